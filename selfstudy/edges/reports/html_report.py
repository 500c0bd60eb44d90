"""The report of one scored self-study as a self-contained HTML page.

The HTML report is one file that needs nothing else: the styles are inline,
the charts are inline SVG rendered by vl-convert (no scripts, no fonts or
images fetched from anywhere), and the print styles make the browser's
"Print to PDF" give a clean document. The only web addresses in it are the
resource links a reader may choose to follow. Every piece of text a user or a
rubric author wrote is escaped. Numbers and statuses are worded by
`selfstudy.core.wording`, as on every other screen.

A team self-study's scores are its consensus; its report also shows how sure the
team was (`_team_section`): per standard, dimension and overall, how many raters
rated and how much their own levels agreed, and the items they disagreed on most.
Until the lead opens the consensus step, it only says when the ratings are compared:
nothing of any rater's ratings is in it. A single study's report has none of this.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import altair as alt
import vl_convert

from selfstudy import __version__
from selfstudy.core.improvement import DECIDED, DECISIONS, Followed
from selfstudy.core.links import link_target
from selfstudy.core.rounds import Change, changes, round_label
from selfstudy.core.rubric import Item, Rubric, Standard
from selfstudy.core.scoring import Result, Score, Status
from selfstudy.core.study import (
    AnswerValue,
    SelfStudy,
    is_answered,
    is_na,
    shown_items,
    unanswered_required,
)
from selfstudy.core.wording import (
    NONE,
    STATUS_LABELS,
    STATUS_SYMBOLS,
    counted,
    gap_text,
    level_text,
    percent_text,
    signed_text,
)
from selfstudy.edges.reports.charts import dimension_chart
from selfstudy.edges.reports.team_figures import (
    PENDING,
    AgreementRow,
    agreement_rows,
    alpha_text,
    disagreed,
    level_words,
    no_disagreement,
    range_words,
)

if TYPE_CHECKING:
    from selfstudy.core.agreement import Agreement, TeamAgreement


def html_report(
    rubric: Rubric,
    study: SelfStudy,
    result: Result,
    previous: tuple[SelfStudy, Result] | None = None,
    agreement: TeamAgreement | None = None,
    team: bool = False,
    since: tuple[SelfStudy, Sequence[Followed]] | None = None,
) -> str:
    """The whole self-study report as one HTML document (see the module docstring).

    `agreement`: a team study's agreement, once its consensus step is open; `team` with
    no agreement: a team study whose ratings are not compared yet. `since`: an earlier
    round and what became of each of its priorities (`core.improvement.followed_priorities`).
    """
    sections = _sections(rubric, study, result, previous, agreement, team or bool(agreement))
    if since is not None:
        sections.insert(4, _since_section(rubric, *since))
    return _document(rubric, study, "\n".join(s for s in sections if s))


def _sections(
    rubric: Rubric,
    study: SelfStudy,
    result: Result,
    previous: tuple[SelfStudy, Result] | None,
    agreement: TeamAgreement | None = None,
    team: bool = False,
) -> list[str]:
    """The report's sections in reading order; a section with nothing to show is empty."""
    shown = shown_items(rubric, study.answers)
    return [
        _header(rubric, study),
        _summary(rubric, result, previous, agreement),
        _dimensions_section(rubric, result, previous),
        _change_section(result, previous) if previous else "",
        _standards_section(rubric, result),
        _team_section(rubric, study, agreement) if team else "",
        _priorities_section(rubric, result),
        _reflections_section(rubric, study, shown),
        _evidence_section(rubric, study, shown),
        _completeness_section(rubric, study, result, shown),
    ]


def _document(rubric: Rubric, study: SelfStudy, body: str) -> str:
    """The page around the sections: head, inline styles and the footer."""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Self-study report: {_e(study.program.name)}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + body
        + f'\n<footer>Made with selfstudy {_e(__version__)} from the rubric "{_e(rubric.title)}" '
        f"version {_e(rubric.version)}.</footer>\n</main>\n</body>\n</html>\n"
    )


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # tab, LF, FF, CR are fine


def _e(text: Any) -> str:
    """Text made safe for HTML: escaped, and each control character HTML forbids shown as �."""
    return _CONTROLS.sub("\ufffd", html.escape(str(text), quote=True))


def _header(rubric: Rubric, study: SelfStudy) -> str:
    program = study.program
    extra = program.model_extra or {}
    facts = [
        ("Organization", program.organization),
        ("Cohort", program.cohort),
        ("Round", program.round),
        ("Completed on", extra.get("completed_on")),
        ("Completed by", extra.get("completed_by")),
        ("Program ID", program.id),
    ]
    rows = "".join(f"<dt>{label}</dt><dd>{_e(value)}</dd>" for label, value in facts if value)
    return (
        '<header class="report-header">\n<p class="eyebrow">Self-study report</p>\n'
        f"<h1>{_e(program.name)}</h1>\n"
        f'<p class="rubric">{_e(rubric.title)} <span class="muted">· version '
        f"{_e(rubric.version)}</span></p>\n"
        + (f'<dl class="facts">{rows}</dl>\n' if rows else "")
        + "</header>"
    )


# --- summary --------------------------------------------------------------------------


def _summary(
    rubric: Rubric,
    result: Result,
    previous: tuple[SelfStudy, Result] | None,
    agreement: TeamAgreement | None = None,
) -> str:
    cards = [
        _level_card(rubric, result),
        _gap_card(rubric, result),
        _completeness_card(result),
    ]
    if previous:
        cards.append(_change_card(result, previous))
    if agreement is not None:
        cards.append(_agreement_card(agreement.overall))
    return '<section class="summary" aria-label="Summary">' + "".join(cards) + "</section>"


def _level_card(rubric: Rubric, result: Result) -> str:
    overall = result.overall
    return _card(
        "Overall level",
        f'{level_text(overall.mean_level)} <span class="of">of {_e(rubric.scale.highest)}</span>',
        _status_badge(overall.status),
    )


def _gap_card(rubric: Rubric, result: Result) -> str:
    overall = result.overall
    scale = rubric.scale
    target_label = scale.label_of(overall.target) if overall.target in scale.values else ""
    return _card(
        "Gap to target",
        gap_text(overall.gap),
        f"target {_e(overall.target)} {_e(target_label)}".rstrip(),
    )


def _completeness_card(result: Result) -> str:
    return _card(
        "Completeness",
        percent_text(result.completeness),
        f"{result.answered} of {result.required} required items answered",
    )


def _change_card(result: Result, previous: tuple[SelfStudy, Result]) -> str:
    before_study, before = previous
    delta = _delta(before.overall.mean_level, result.overall.mean_level)
    return _card("Change since previous round", delta, _e(round_label(before_study)))


def _agreement_card(overall: Agreement) -> str:
    return _card(
        "Raters gave the same level",
        percent_text(overall.exact),
        f"{percent_text(overall.within_one)} within one level · {overall.raters} raters, "
        f"{overall.items} items compared",
    )


def _card(label: str, value: str, detail: str) -> str:
    return (
        f'<div class="card"><p class="card-label">{label}</p>'
        f'<p class="card-value">{value}</p><p class="card-detail">{detail}</p></div>'
    )


# --- dimensions, change and standards -------------------------------------------------

DIMENSIONS_HEAD = (
    '<thead><tr><th scope="col">Dimension</th>'
    '<th scope="col" class="num">Level</th><th scope="col" class="num">Target</th>'
    '<th scope="col">Gap</th><th scope="col">Status</th>'
    '<th scope="col" class="num">Answered</th></tr></thead>\n'
)
STANDARDS_HEAD = (
    '<thead><tr><th scope="col">ID</th><th scope="col">Standard</th>'
    '<th scope="col" class="num">Level</th><th scope="col" class="num">Target</th>'
    '<th scope="col">Gap</th><th scope="col">Status</th></tr></thead>\n'
)


def _dimensions_section(
    rubric: Rubric, result: Result, previous: tuple[SelfStudy, Result] | None
) -> str:
    chart = dimension_chart(rubric, result, previous[1] if previous else None)
    rows = "".join(
        _dimension_row(d.title, d.score, d.answered, d.required) for d in result.dimensions
    )
    return (
        '<section id="dimensions">\n<h2>Dimensions</h2>\n'
        + _figure(chart, "Mean level of each dimension against its target.")
        + '<table class="data">\n'
        + DIMENSIONS_HEAD
        + f"<tbody>{rows}</tbody>\n</table>\n</section>"
    )


def _dimension_row(title: str, score: Score, answered: int, required: int) -> str:
    return (
        "<tr>"
        f"<td>{_e(title)}</td>"
        f'<td class="num">{level_text(score.mean_level)}</td>'
        f'<td class="num">{_e(score.target)}</td>'
        f'<td class="nowrap">{gap_text(score.gap)}</td>'
        f"<td>{_status_badge(score.status)}</td>"
        f'<td class="num">{answered} of {required}</td>'
        "</tr>"
    )


def _figure(chart: alt.TopLevelMixin, caption: str) -> str:
    """The chart as inline SVG. Namespace declarations are dropped: HTML does not need them,
    and without them the only web addresses in the report are the resource links.
    The chart is not validated again here: its tests validate it."""
    svg = vl_convert.vegalite_to_svg(chart.to_dict(validate=False))
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg[svg.index("<svg") :])
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_e(caption)}" ', 1)
    return f'<figure class="chart">{svg}<figcaption>{_e(caption)}</figcaption></figure>\n'


def _change_section(result: Result, previous: tuple[SelfStudy, Result]) -> str:
    before_study, before = previous
    found = changes(before, result)
    rows = "".join(_change_row(c) for c in found if c.kind in ("overall", "dimension"))
    return (
        '<section id="change">\n<h2>Change since the previous round</h2>\n'
        f'<p class="lead">Compared with {_e(before_study.program.name)}, '
        f"{_e(round_label(before_study))}.</p>\n"
        + _change_table(rows, "Dimension")
        + _moved_standards(found)
        + "</section>"
    )


def _moved_standards(found: list[Change]) -> str:
    """The standards whose status changed between the rounds, or a line saying none did."""
    moved = [c for c in found if c.kind == "standard" and c.before_status != c.after_status]
    if not moved:
        return "<p>No standard changed status.</p>\n"
    rows = "".join(_change_row(c, f"{c.id} {c.title}") for c in moved)
    return "<h3>Standards whose status changed</h3>\n" + _change_table(rows, "Standard")


def _change_table(rows: str, first: str) -> str:
    return (
        f'<table class="data">\n<thead><tr><th scope="col">{first}</th>'
        '<th scope="col" class="num">Before</th><th scope="col" class="num">Now</th>'
        '<th scope="col" class="num">Change</th><th scope="col">Status before</th>'
        f'<th scope="col">Status now</th></tr></thead>\n<tbody>{rows}</tbody>\n</table>\n'
    )


def _change_row(change: Change, title: str | None = None) -> str:
    css = ' class="total"' if change.kind == "overall" else ""
    return (
        f"<tr{css}><td>{_e(title or change.title)}</td>"
        f'<td class="num">{level_text(change.before_level)}</td>'
        f'<td class="num">{level_text(change.after_level)}</td>'
        f'<td class="num">{_delta(change.before_level, change.after_level)}</td>'
        f"<td>{_status_badge(change.before_status)}</td>"
        f"<td>{_status_badge(change.after_status)}</td></tr>"
    )


def _standards_section(rubric: Rubric, result: Result) -> str:
    body = []
    for dimension in result.dimensions:
        body.append(_group_row(dimension.title, 6))
        body.extend(_standard_row(s.id, s.title, s.score) for s in dimension.standards)
    return (
        '<section id="standards">\n<h2>Standards</h2>\n<table class="data">\n'
        + STANDARDS_HEAD
        + f"<tbody>{''.join(body)}</tbody>\n</table>\n</section>"
    )


def _standard_row(standard_id: str, title: str, score: Score) -> str:
    return (
        "<tr>"
        f'<td class="id">{_e(standard_id)}</td><td>{_e(title)}</td>'
        f'<td class="num">{level_text(score.mean_level)}</td>'
        f'<td class="num">{_e(score.target)}</td>'
        f'<td class="nowrap">{gap_text(score.gap)}</td>'
        f"<td>{_status_badge(score.status)}</td></tr>"
    )


# --- how sure the team was -------------------------------------------------------------

AGREEMENT_HEAD = (
    '<thead><tr><th scope="col">ID</th><th scope="col">Standard</th>'
    '<th scope="col" class="num">Raters</th><th scope="col" class="num">Items compared</th>'
    '<th scope="col" class="num">Same level</th><th scope="col" class="num">Within one</th>'
    '<th scope="col">Krippendorff\'s alpha</th></tr></thead>\n'
)


def _team_section(rubric: Rubric, study: SelfStudy, agreement: TeamAgreement | None) -> str:
    """The team's agreement beside its consensus scores; before the consensus step opens,
    only when the ratings will be compared (no rater's ratings are known to the report)."""
    head = '<section id="team">\n<h2>How sure the team was</h2>\n'
    if agreement is None:
        return head + f'<p class="lead">{_e(PENDING)}</p>\n</section>'
    names = ", ".join(_e(name) for name in agreement.raters)
    body = []
    for row in agreement_rows(rubric, agreement):
        if row.scope == "dimension":
            body.append(_group_row(row.title, 7))
        title = row.title if row.scope == "standard" else f"{row.title} (all its standards)"
        if row.scope == "overall":
            title = "The whole self-study"
        body.append(_agreement_row(row.id if row.scope == "standard" else "", title, row))
    return (
        head + f'<p class="lead">These scores are the team\'s consensus. Before agreeing, '
        f"{len(agreement.raters)} raters ({names}) each rated on their own. "
        "<em>Same level</em> and <em>within one</em> are shares of every two raters' levels "
        "for the same item; Krippendorff's alpha (ordinal) corrects those for chance "
        "(1: the raters agree fully, 0: no more than chance would give).</p>\n"
        '<table class="data">\n'
        + AGREEMENT_HEAD
        + f"<tbody>{''.join(body)}</tbody>\n</table>\n"
        + _disagreed_table(rubric, study, agreement)
        + "</section>"
    )


def _agreement_row(row_id: str, title: str, row: AgreementRow) -> str:
    a: Agreement = row.agreement
    css = ' class="total"' if row.scope != "standard" else ""
    alpha = alpha_text(a)
    alpha_cell = alpha if a.alpha is not None else f'<span class="muted">{_e(alpha)}</span>'
    return (
        f'<tr{css}><td class="id">{_e(row_id)}</td><td>{_e(title)}</td>'
        f'<td class="num">{a.raters}</td><td class="num">{a.items}</td>'
        f'<td class="num">{percent_text(a.exact)}</td>'
        f'<td class="num">{percent_text(a.within_one)}</td><td>{alpha_cell}</td></tr>'
    )


def _disagreed_table(rubric: Rubric, study: SelfStudy, agreement: TeamAgreement) -> str:
    spreads = disagreed(agreement)
    if not spreads:
        return f"<p>{_e(no_disagreement(agreement))}</p>\n"
    raters = "".join(f'<th scope="col" class="num">{_e(name)}</th>' for name in agreement.raters)
    rows = []
    for spread in spreads:
        given = dict(spread.answers)
        item = rubric.item_by_id[spread.item_id]
        cells = "".join(
            f'<td class="num">{_e(level_words(rubric, given.get(name)))}</td>'
            for name in agreement.raters
        )
        rows.append(
            f'<tr><td class="id">{_e(spread.item_id)}</td><td>{_e(item.text)}</td>'
            f'<td class="nowrap">{_e(range_words(spread))}</td>{cells}'
            f'<td class="num">{_e(level_words(rubric, study.value(spread.item_id)))}</td></tr>'
        )
    return (
        "<h3>Items the raters disagreed on most</h3>\n"
        '<p class="lead">Widest range of levels first, each rater\'s level beside the '
        "team's.</p>\n"
        '<table class="data">\n<thead><tr><th scope="col">ID</th><th scope="col">Statement</th>'
        f'<th scope="col">Range</th>{raters}<th scope="col" class="num">Team</th></tr></thead>\n'
        f"<tbody>{''.join(rows)}</tbody>\n</table>\n"
    )


# --- since an earlier round ---------------------------------------------------------------


def _since_section(rubric: Rubric, earlier: SelfStudy, followed: Sequence[Followed]) -> str:
    """What became of each priority of the earlier round: its plans, their cycles and Act
    decisions, and how the standard's level moved."""
    label = _e(round_label(earlier))
    if not followed:
        return (
            f'<section id="since">\n<h2>Since {label}</h2>\n<p>No standard was below its '
            "target then, and no improvement plan was made from it.</p>\n</section>"
        )
    rows = []
    details = []
    for each in followed:
        standard = rubric.standard_by_id.get(each.standard_id)
        title = f"{each.standard_id} {standard.title if standard else ''}".strip()
        cycles = sum(len(p.cycles()) for p in each.plans)
        plans = f"{len(each.plans)}" if each.plans else "none made"
        counts = "".join(f'<td class="num">{each.decisions[d]}</td>' for d in DECISIONS)
        rows.append(
            f'<tr><td>{_e(title)}</td><td class="num">{level_text(each.before)}</td>'
            f'<td class="num">{level_text(each.after)}</td>'
            f'<td class="num">{_delta(each.before, each.after)}</td>'
            f'<td class="num">{plans}</td><td class="num">{cycles}</td>{counts}</tr>'
        )
        for view in each.plans:
            ideas = "".join(
                f"<li>{_e(idea.idea.title)}: {counted(len(idea.cycles), 'cycle')}"
                + "".join(f", {_e(DECIDED[d])}" for d in idea.decisions)
                + "".join(
                    f"<br><em>Learned:</em> {_e(c.cycle.learned)}"
                    for c in idea.cycles
                    if c.cycle.closed_on is not None and c.cycle.learned.strip()
                )
                + "</li>"
                for idea in view.ideas
            )
            aim = view.plan.aim.strip() or "A plan with no aim written yet"
            details.append(
                f"<h3>{_e(title)}: {_e(aim)}</h3>\n<p>{_e(view.plan.status)}"
                + (f", owner {_e(view.plan.owner)}" if view.plan.owner else "")
                + "</p>\n"
                + (f"<ul>{ideas}</ul>\n" if ideas else "<p>No change idea was written.</p>\n")
            )
    decided = "".join(
        f'<th scope="col" class="num">{d.capitalize()}</th>' for d in DECIDED.values()
    )
    return (
        f'<section id="since">\n<h2>Since {label}</h2>\n'
        f'<p class="lead">Each priority of {label}: the improvement plans made for it, the '
        "cycles they ran and how those ended, and how the standard's level moved.</p>\n"
        '<table class="data">\n<thead><tr><th scope="col">Standard</th>'
        '<th scope="col" class="num">Then</th><th scope="col" class="num">Now</th>'
        '<th scope="col" class="num">Change</th><th scope="col" class="num">Plans</th>'
        f'<th scope="col" class="num">Cycles</th>{decided}</tr></thead>\n'
        f"<tbody>{''.join(rows)}</tbody>\n</table>\n" + "".join(details) + "</section>"
    )


# --- priorities -----------------------------------------------------------------------


def _priorities_section(rubric: Rubric, result: Result) -> str:
    if not result.priorities:
        rated = any(s.score.mean_level is not None for s in result.standards)
        words = "Every rated standard meets its target." if rated else "No standard is rated yet."
        return f'<section id="priorities">\n<h2>Priorities</h2>\n<p>{words}</p>\n</section>'

    entries = "".join(
        _priority(rubric, rubric.standard_by_id[sid], result) for sid in result.priorities
    )
    return (
        '<section id="priorities">\n<h2>Priorities</h2>\n'
        '<p class="lead">Standards below their target, largest gap first, with resources '
        "to act on. Choose one or two to work on first.</p>\n"
        f'<ol class="priorities">{entries}</ol>\n</section>'
    )


def _priority(rubric: Rubric, standard: Standard, result: Result) -> str:
    score = result.standard(standard.id).score
    dimension = rubric.dimension_of_standard[standard.id]
    return standard_entry(
        standard,
        f'<p class="muted">{_e(dimension.title)} · level {level_text(score.mean_level)}, '
        f"target {_e(score.target)}, {gap_text(score.gap)} · "
        f"{_status_badge(score.status)}</p>",
    )


def standard_entry(standard: Standard, facts: str = "") -> str:
    """A standard as a list item: its id and title, `facts` (HTML) under them, its
    description and resources (the priorities here, the standards a printable plan serves)."""
    resources = _resource_items(standard)
    return (
        f'<li class="priority"><h3><span class="id">{_e(standard.id)}</span> '
        f"{_e(standard.title)}</h3>"
        + facts
        + (f"<p>{_e(standard.description)}</p>" if standard.description else "")
        + (
            f'<p class="resources-label">Resources</p><ul class="resources">{resources}</ul>'
            if resources
            else ""
        )
        + "</li>"
    )


def _resource_items(standard: Standard) -> str:
    """The standard's resources as list items, each a link where it safely can be."""
    return "".join(
        f"<li>{_resource_link(r.title, r.url)}"
        + (f' <span class="muted">{_e(r.description)}</span>' if r.description else "")
        + "</li>"
        for r in standard.resources
    )


def _resource_link(title: str, url: str | None) -> str:
    """A link only for web and mail addresses (`link_target`); any other address is text."""
    if target := link_target(url):
        return f'<a href="{_e(target)}">{_e(title)}</a>'
    return _e(title) + (f' <span class="muted">({_e(url)})</span>' if url else "")


# --- what the team wrote --------------------------------------------------------------


def _answered_items(
    rubric: Rubric, study: SelfStudy, shown: set[str], kinds: Iterable[str]
) -> list[Item]:
    wanted = set(kinds)
    return [
        item
        for item in rubric.items()
        if item.type in wanted and item.id in shown and is_answered(study.value(item.id))
    ]


def _reflections_section(rubric: Rubric, study: SelfStudy, shown: set[str]) -> str:
    written = _answered_items(rubric, study, shown, ["text"])
    other = _answered_items(rubric, study, shown, ["choice", "multichoice", "number"])
    if not written and not other:
        return ""
    parts = ['<section id="reflections">\n<h2>Reflections and other answers</h2>\n']
    parts.extend(_reflection(rubric, study, item) for item in written)
    if other:
        parts.append(_other_answers_table(study, other))
    parts.append("</section>")
    return "".join(parts)


def _reflection(rubric: Rubric, study: SelfStudy, item: Item) -> str:
    dimension = rubric.dimension_of_standard[rubric.standard_of_item[item.id].id]
    return (
        f'<div class="reflection"><p class="question"><span class="muted">'
        f"{_e(dimension.title)}</span><br>{_e(item.text)}</p>"
        f"<blockquote>{_e(_answer_text(study.value(item.id)))}</blockquote></div>\n"
    )


def _other_answers_table(study: SelfStudy, items: list[Item]) -> str:
    rows = "".join(
        f'<tr><td class="id">{_e(item.id)}</td><td>{_e(item.text)}</td>'
        f"<td>{_e(_answer_text(study.value(item.id)))}</td></tr>"
        for item in items
    )
    return (
        '<table class="data">\n<thead><tr><th scope="col">ID</th>'
        '<th scope="col">Question</th><th scope="col">Answer</th></tr></thead>\n'
        f"<tbody>{rows}</tbody>\n</table>\n"
    )


def _answer_text(value: AnswerValue) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _evidence_section(rubric: Rubric, study: SelfStudy, shown: set[str]) -> str:
    rows = []
    for dimension in rubric.dimensions:
        group = [
            _evidence_row(rubric, item, study)
            for standard in dimension.standards
            for item in standard.items
            if item.id in shown and _has_evidence_or_notes(study, item.id)
        ]
        if group:
            rows.append(_group_row(dimension.title, 5))
            rows.extend(group)
    if not rows:
        return ""
    return (
        '<section id="evidence">\n<h2>Evidence and notes</h2>\n'
        '<p class="lead">What the team pointed to for each rating, and the next steps they noted.'
        '</p>\n<table class="data evidence">\n<thead><tr><th scope="col">ID</th>'
        '<th scope="col">Statement</th><th scope="col">Rating</th>'
        '<th scope="col">Evidence</th><th scope="col">Notes</th></tr></thead>\n'
        f"<tbody>{''.join(rows)}</tbody>\n</table>\n</section>"
    )


def _has_evidence_or_notes(study: SelfStudy, item_id: str) -> bool:
    answer = study.answers.get(item_id)
    return answer is not None and bool(answer.evidence.strip() or answer.notes.strip())


def _evidence_row(rubric: Rubric, item: Item, study: SelfStudy) -> str:
    answer = study.answers[item.id]
    return (
        f'<tr><td class="id">{_e(item.id)}</td><td>{_e(item.text)}</td>'
        f'<td class="nowrap">{_e(_rating_text(rubric, item, answer.value))}</td>'
        f'<td class="prose">{_e(answer.evidence)}</td>'
        f'<td class="prose">{_e(answer.notes)}</td></tr>'
    )


def _rating_text(rubric: Rubric, item: Item, value: AnswerValue) -> str:
    if not is_answered(value):
        return NONE
    if is_na(value):
        return "Not applicable"
    if item.is_rating:
        level = rubric.scale.rating_value(value)
        if level is not None:
            return f"{_answer_text(level)} {rubric.scale.label_of(level)}"
    return _answer_text(value)


# --- completeness ---------------------------------------------------------------------


def _completeness_section(rubric: Rubric, study: SelfStudy, result: Result, shown: set[str]) -> str:
    missing = unanswered_required(rubric, study.answers, shown)
    return (
        '<section id="completeness">\n<h2>Completeness</h2>\n'
        f'<p class="lead">{result.answered} of {result.required} required items answered '
        f"({percent_text(result.completeness)}). Not applicable counts as answered.</p>\n"
        + (
            _missing_table(rubric, missing)
            if missing
            else "<p>Every required item is answered.</p>\n"
        )
        + "</section>"
    )


def _missing_table(rubric: Rubric, missing: list[Item]) -> str:
    rows = "".join(
        f'<tr><td class="id">{_e(item.id)}</td>'
        f"<td>{_e(rubric.dimension_of_standard[rubric.standard_of_item[item.id].id].title)}</td>"
        f"<td>{_e(item.text)}</td></tr>"
        for item in missing
    )
    return (
        "<h3>Required items not yet answered</h3>\n"
        '<table class="data">\n<thead><tr><th scope="col">ID</th><th scope="col">Dimension</th>'
        '<th scope="col">Statement</th></tr></thead>\n'
        f"<tbody>{rows}</tbody>\n</table>\n"
    )


# --- small pieces ---------------------------------------------------------------------


def _delta(before: float | None, after: float | None) -> str:
    """The change between two levels with an arrow, or `no change` when it shows as 0.00."""
    if before is None or after is None:
        return NONE
    delta = after - before
    if round(delta, 2) == 0:
        return "no change"
    arrow = "▲" if delta > 0 else "▼"
    return f'<span class="delta">{arrow} {signed_text(delta)}</span>'


def _group_row(title: str, columns: int) -> str:
    return f'<tr class="group"><th colspan="{columns}" scope="rowgroup">{_e(title)}</th></tr>'


def _status_badge(status: Status) -> str:
    return (
        f'<span class="status status-{status}">'
        f'<span aria-hidden="true">{STATUS_SYMBOLS[status]}</span> {STATUS_LABELS[status]}</span>'
    )


CSS = """
:root { --ink: #1f2328; --muted: #5b6470; --rule: #d8dde3; --paper: #ffffff; --tint: #f5f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--tint); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Liberation Sans", sans-serif; }
main { max-width: 60rem; margin: 2rem auto; padding: 2.5rem 3rem; background: var(--paper);
  border: 1px solid var(--rule); border-radius: 6px; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0.2rem 0 0.4rem; }
h2 { font-size: 1.3rem; margin: 2.4rem 0 0.8rem; padding-bottom: 0.3rem;
  border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
p { margin: 0.4rem 0; }
.eyebrow { text-transform: uppercase; letter-spacing: 0.08em; font-size: 0.78rem;
  color: var(--muted); margin: 0; }
.rubric { font-size: 1.05rem; margin: 0 0 1rem; }
.muted { color: var(--muted); }
.lead { color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1.2rem; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
  gap: 0.8rem; margin: 1.8rem 0 0.5rem; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: 0.8rem 1rem; }
.card-label { margin: 0; font-size: 0.8rem; color: var(--muted); text-transform: uppercase;
  letter-spacing: 0.05em; }
.card-value { margin: 0.2rem 0; font-size: 1.6rem; font-weight: 600; }
.card-value .of { font-size: 0.95rem; font-weight: 400; color: var(--muted); }
.card-detail { margin: 0; font-size: 0.88rem; color: var(--muted); }
figure.chart { margin: 0.5rem 0 1.2rem; }
figure.chart svg { width: 100%; max-width: 54rem; height: auto; }
figcaption { font-size: 0.85rem; color: var(--muted); }
table.data { width: 100%; border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
table.data th, table.data td { text-align: left; vertical-align: top; padding: 0.4rem 0.6rem;
  border-bottom: 1px solid var(--rule); }
table.data thead th { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em;
  color: var(--muted); border-bottom: 2px solid var(--rule); }
table.data .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data tr.group th { background: var(--tint); font-weight: 600; padding-top: 0.6rem; }
table.data tr.total td { font-weight: 600; }
td.id, span.id { font-variant-numeric: tabular-nums; white-space: nowrap; color: var(--muted); }
td.prose { white-space: pre-wrap; }
td.nowrap { white-space: nowrap; }
table.evidence td:nth-child(2) { width: 32%; }
.status { display: inline-block; white-space: nowrap; padding: 0.05rem 0.5rem;
  border-radius: 999px; font-size: 0.85rem; font-weight: 600; border: 1px solid transparent; }
.status-meets { background: #e3eff8; color: #00497a; border-color: #9cc3e3; }
.status-approaching { background: #fdf1d8; color: #6e4a00; border-color: #ecc56e; }
.status-not_yet { background: #fbe5d9; color: #8a3300; border-color: #eaa47f; }
.status-not_rated { background: #eeeff1; color: #4a4f55; border-color: #cfd3d8; }
.delta { white-space: nowrap; }
ol.priorities { padding-left: 1.4rem; }
li.priority { margin-bottom: 1.2rem; }
li.priority h3 { margin: 0 0 0.2rem; }
.resources-label { font-weight: 600; font-size: 0.88rem; margin-top: 0.5rem; }
ul.resources { margin: 0.2rem 0; padding-left: 1.2rem; }
a { color: #00599c; }
.reflection { margin: 0.8rem 0 1.1rem; }
.question { margin: 0; }
blockquote { margin: 0.3rem 0 0; padding: 0.5rem 0.9rem; border-left: 3px solid #9cc3e3;
  background: var(--tint); white-space: pre-wrap; }
footer { margin-top: 2.5rem; padding-top: 0.8rem; border-top: 1px solid var(--rule);
  font-size: 0.82rem; color: var(--muted); }
@media print {
  @page { size: auto; margin: 16mm 14mm; }
  body { background: none; font-size: 10.5pt; }
  main { max-width: none; margin: 0; padding: 0; border: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr, figure, .card, li.priority, .reflection { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .summary { grid-template-columns: repeat(auto-fit, minmax(8.5rem, 1fr)); }
  section#priorities, section#evidence { break-before: page; }
  ul.resources a[href]::after { content: " (" attr(href) ")"; color: var(--muted);
    font-size: 0.85em; word-break: break-all; }
}
"""
