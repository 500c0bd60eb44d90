"""Cohorts page: where the network meets the standards, where it does not, and what changed.

Reads every self-study in the app's database, scores them all at once
(`selfstudy.core.cohorts`), and shows, for the chosen cohorts and rounds: a table
per group and dimension, a programs × standards heatmap, the spread per
dimension, baseline → follow-up per program, the network's needs and assets,
one program against its group's median, what programs tried to improve (their change
ideas, cycles and what they learned), and the cohort report as .xlsx.
Only self-studies complete enough count (a slider, by default every required
item answered); the page says how many were left out and why, and the One
program tab still shows an unfinished one, marked as such. Program names can be
replaced by stable pseudonyms everywhere, downloads included.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pandas as pd
import streamlit as st

from selfstudy.app import markdown
from selfstudy.app.session import (
    Fingerprint,
    access_scope,
    get_storage,
    problem_lines,
    study_link,
)
from selfstudy.core.access import Actor
from selfstudy.core.cohorts import (
    DEFAULT_MIN_COMPLETE,
    CohortScores,
    Comparison,
    LeftOut,
    against_group,
    duplicate_studies,
    levels_by_group,
    threshold_text,
)
from selfstudy.core.cohorts.pseudonyms import pseudonym
from selfstudy.core.improvement import DECISIONS, Learning, Tried, decisions_text
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.wording import counted, percent_text, sentence
from selfstudy.edges.reports.cohort_charts import (
    against_group_chart,
    cohort_heatmap,
    distributions,
    dumbbell,
)
from selfstudy.edges.reports.cohort_workbook import cohort_report_bytes
from selfstudy.edges.reports.team_figures import alpha_text
from selfstudy.edges.settings import PSEUDONYM_SECRET_VARIABLE, pseudonym_secret
from selfstudy.edges.storage import database_url
from selfstudy.workflows import cohorts as cohort_workflow
from selfstudy.workflows.improvement import learning
from selfstudy.workflows.teams import team_overview

ALL_DIMENSIONS = "All dimensions"
OVERALL = "Overall"
MOST_CHANGES_DRAWN = 60
NOT_GROUPABLE = {"name", "id", "key", "program", "completed_on", "completed_by"}
THRESHOLD = "Count self-studies at least this complete"
VIEWS = [
    "Groups",
    "Heatmap",
    "Distributions",
    "Change",
    "Needs and assets",
    "One program",
    "Team ratings",
    "What programs tried",
]
ALL_STANDARDS = "All standards"


@st.cache_resource(show_spinner="Scoring…", max_entries=8)
def _scores(
    url: str, fingerprint: Fingerprint, rubric_id: str, scope: Actor, teams: str = "every"
) -> tuple[CohortScores, Rubric, int, int]:
    """The scores of the studies of one rubric this `scope` may compare, kept as `teams`
    chooses; how many were left out as unreadable, and how many the choice left out: read
    in bulk from the database's columns."""
    stored = _stored(url, fingerprint, rubric_id, scope, teams)
    return stored.scores, stored.rubric, stored.left_out, stored.not_chosen


@st.cache_resource(show_spinner="Scoring…", max_entries=8)
def _stored(
    url: str, fingerprint: Fingerprint, rubric_id: str, scope: Actor, teams: str = "every"
) -> cohort_workflow.StoredScores:
    """The stored scores as the workflow gives them, with their problems (`_scores`)."""
    return cohort_workflow.stored_scores(get_storage(), rubric_id, teams)


def _replaced_notice(stored: cohort_workflow.StoredScores, pseudonyms: bool) -> None:
    """Which stored self-studies the comparison leaves out because a later one of the same
    program and round replaces it (kept both when imported): said, not silently dropped.
    Under pseudonyms the programs are not named here either."""
    replaced = [p for p in stored.problems if p.code == "repeated-round"]
    if not replaced:
        return
    n = len(replaced)
    title = (
        f"{counted(n, 'self-study', 'self-studies')} replaced by a later one of the same "
        "program and round"
    )
    with st.expander(title, icon=":material/layers:"):
        st.caption(
            "Each program counts once per round, with its latest self-study. To count one "
            "of these instead, change the round of one of the two on its Self-study page "
            "(its program's members can), or delete the one not wanted."
        )
        # the problems are of these rows, in their order (`scores_of_columns`)
        rows = duplicate_studies(stored.scores.programs)
        # a link to open each (its id under pseudonyms, where the page names no program)
        table = pd.DataFrame(
            {
                "Self-study": [
                    p.location if pseudonyms else study_link(p.location) for p in replaced
                ],
                "Program": rows["name"].astype(str).to_numpy(),
                "Round": rows["round"].fillna("").astype(str).to_numpy(),
            }
        )
        st.dataframe(
            table.drop(columns=["Program"] if pseudonyms else []),
            hide_index=True,
            column_config={}
            if pseudonyms
            else {"Self-study": st.column_config.LinkColumn(display_text="Open")},
        )


def _team_choice() -> str:
    """Which self-studies count, by how they were rated: asked only where there are teams."""
    if not get_storage().team_summaries():
        return "every"
    return st.selectbox(
        "Which self-studies count",
        list(cohort_workflow.TEAM_CHOICES),
        format_func=lambda key: cohort_workflow.TEAM_CHOICES[key].capitalize(),
        key="cohort_teams",
        help="A team self-study holds the team's agreed ratings only once it reached "
        "consensus; before, it holds what it held before the team began, or nothing.",
    )


@st.cache_resource(max_entries=32)
def _comparison(
    url: str,
    fingerprint: Fingerprint,
    rubric_id: str,
    cohorts: tuple[str, ...] | None,
    rounds: tuple[str, ...] | None,
    by: str,
    pseudonyms: bool,
    min_complete: float,
    scope: Actor,
    secret: str,
    teams: str = "every",
) -> Comparison | cohort_workflow.CohortChoiceError:
    """The comparison of the chosen studies at least `min_complete` percent complete, or
    why there is none; `secret` (the pseudonym secret) keys the cache, so pseudonyms change
    as soon as an admin changes it."""
    scores, _, _, _ = _scores(url, fingerprint, rubric_id, scope, teams)
    try:
        chosen = cohort_workflow.choose(
            scores, by, cohorts, rounds, pseudonyms, storage=get_storage()
        )
        return cohort_workflow.comparison(chosen, by, min_complete=min_complete)
    except cohort_workflow.CohortChoiceError as exc:
        return exc.with_traceback(None)  # cached: keeps no frame alive


def _options(values: pd.Series) -> list[str]:
    return sorted({str(v) for v in values.dropna()})


def _filters(scores: CohortScores, rubric: Rubric) -> dict:
    programs = scores.programs
    cohort_options, round_options = _options(programs["cohort"]), _options(programs["round"])
    fields = [c for c in programs.columns if c not in NOT_GROUPABLE]
    first, second, third, fourth = st.columns([3, 3, 2, 3])
    cohorts = first.multiselect("Cohorts", cohort_options, default=cohort_options)
    rounds = second.multiselect("Rounds", round_options, default=round_options)
    by = third.selectbox("Group by", fields, index=fields.index("cohort"))
    titles = {d.title: d.id for d in rubric.dimensions}
    dimension = fourth.selectbox("Dimension", [ALL_DIMENSIONS, *titles])
    pseudonyms = st.toggle(
        "Show pseudonyms instead of program names (in every view and download)",
        help="Stable stand-ins for sharing outside the network, made with this database's "
        "own random secret (a network admin can change it on the People page, or set "
        f"{PSEUDONYM_SECRET_VARIABLE} on the server), so outsiders cannot recompute them.",
    )
    min_complete = st.slider(
        THRESHOLD,
        min_value=0,
        max_value=100,
        value=int(DEFAULT_MIN_COMPLETE),
        format="%d%%",
        help="The share of a self-study's required items answered, as its progress bar on the "
        "Self-study page shows it (N/A counts as answered). Self-studies below it are left out "
        "of every figure and download, and listed; 0% counts every self-study.",
    )
    return {
        # Everything chosen means no filter, so studies without a cohort or round still count.
        "cohorts": None if set(cohorts) == set(cohort_options) else tuple(cohorts),
        "rounds": None if set(rounds) == set(round_options) else tuple(rounds),
        "by": by,
        "pseudonyms": pseudonyms,
        "min_complete": float(min_complete),
        "dimension": titles.get(dimension),
    }


def _group_table(comparison: Comparison, dimension: str | None, titles: dict[str, str]) -> None:
    frame = comparison.dimensions
    if dimension is not None:
        frame = comparison.standards[comparison.standards["dimension"] == dimension]
    part = "dimension" if dimension is None else "standard"
    shown = frame.assign(**{part: frame[part].astype(str).map(lambda x: titles.get(x, x))})
    columns = [*comparison.group_fields, part, "rated", "mean_level", "median_level"]
    columns += ["std_level", "min_level", "max_level", "share_meets"]
    st.dataframe(
        shown[columns].round(2),
        hide_index=True,
        column_config={
            **{f: st.column_config.TextColumn(f.capitalize()) for f in comparison.group_fields},
            part: st.column_config.TextColumn(part.capitalize()),
            "rated": st.column_config.NumberColumn("Programs rated"),
            "mean_level": st.column_config.NumberColumn("Mean", format="%.2f"),
            "median_level": st.column_config.NumberColumn("Median", format="%.2f"),
            "std_level": st.column_config.NumberColumn("SD", format="%.2f"),
            "min_level": st.column_config.NumberColumn("Min", format="%.2f"),
            "max_level": st.column_config.NumberColumn("Max", format="%.2f"),
            "share_meets": st.column_config.ProgressColumn(
                "Share meeting target", min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    st.caption(
        "Mean and median are over the group's programs' mean levels; the share meeting the "
        "target counts only programs with it rated. Groups other than rounds are split by round."
    )


def _changes(comparison: Comparison, dimension: str | None, titles: dict[str, str]) -> None:
    changes = comparison.changes
    if changes.empty:
        st.info("No program has both a baseline and a later round among the chosen studies.")
        return
    first, last = changes["baseline"].iloc[0], changes["follow_up"].iloc[0]
    summary = comparison.change_summary
    summary = summary[
        summary["dimension"].isna() if dimension is None else summary["dimension"] == dimension
    ]
    st.markdown(
        f"**{markdown.text(str(first))} → {markdown.text(str(last))}**, "
        "programs paired by program id."
    )
    st.dataframe(
        summary[["group", "programs", "mean_change", "median_change", "share_improved"]].round(2),
        hide_index=True,
        column_config={
            "group": st.column_config.TextColumn(comparison.by.capitalize()),
            "programs": st.column_config.NumberColumn("Programs with both rounds"),
            "mean_change": st.column_config.NumberColumn("Mean change", format="%+.2f"),
            "median_change": st.column_config.NumberColumn("Median change", format="%+.2f"),
            "share_improved": st.column_config.ProgressColumn(
                "Share improved", min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    title = OVERALL if dimension is None else titles[dimension]
    drawn, paired = _drawn_changes(changes, dimension)
    st.altair_chart(dumbbell(drawn, dimension, title), width="stretch")
    shown = "Programs with the largest gain first."
    if len(drawn) < paired:
        half = len(drawn) // 2
        shown = (
            f"{len(drawn)} of the {paired} programs, to keep the chart readable: the {half} "
            f"with the largest gains and the {half} with the largest falls; the table above "
            "counts them all. Narrow the cohorts or rounds to see every program."
        )
    st.caption(
        f"Light grey dot: {markdown.text(str(first))}; dark blue dot: "
        f"{markdown.text(str(last))}. {shown}"
    )


def _drawn_changes(changes: pd.DataFrame, dimension: str | None) -> tuple[pd.DataFrame, int]:
    """The programs' changes the chart draws (one row each: a network of thousands would
    make it tens of thousands of pixels tall), and how many programs have one."""
    rows = changes[
        changes["dimension"].isna() if dimension is None else changes["dimension"] == dimension
    ].dropna(subset=["change"])
    if len(rows) <= MOST_CHANGES_DRAWN:
        return rows, len(rows)
    ordered = rows.sort_values("change", kind="stable")
    half = MOST_CHANGES_DRAWN // 2
    return pd.concat([ordered.tail(half), ordered.head(half)]), len(rows)


def _needs_and_assets(comparison: Comparison, rubric: Rubric) -> None:
    for heading, frame in (
        ("Network needs: the standards the fewest programs meet", comparison.needs),
        ("Network assets: the standards the most programs meet", comparison.assets),
    ):
        st.markdown(f"**{heading}**")
        meets = [f"{m} of {r}" for m, r in zip(frame["meets"], frame["rated"], strict=True)]
        st.dataframe(
            pd.DataFrame(
                {
                    "Standard": frame["standard"].astype(str),
                    "Meets": meets,
                    "Share": frame["share_meets"],
                    "Title": [rubric.standard_by_id[s].title for s in frame["standard"]],
                }
            ),
            hide_index=True,
            column_config={
                "Share": st.column_config.ProgressColumn(
                    min_value=0.0, max_value=1.0, format="percent"
                )
            },
        )
    st.caption("Each program counts once, with its latest round.")


def _one_program(comparison: Comparison, titles: dict[str, str]) -> None:
    """One study against its group's median: a study that counts, or one left out as
    unfinished, marked so and set against the median of the studies that count."""
    scores, left_out = comparison.scores, comparison.left_out
    labels = _program_labels(scores.programs) + [
        f"{label} — unfinished, {complete}% complete"
        for label, complete in zip(
            _program_labels(left_out.scores.programs), left_out.table()["complete"], strict=True
        )
    ]
    choice = int(st.selectbox("Program", range(len(labels)), format_func=labels.__getitem__))
    unfinished = choice >= len(scores)
    if unfinished:
        compared = against_group(left_out.scores, choice - len(scores), comparison.by, scores)
    else:
        compared = against_group(scores, choice, comparison.by)
    st.altair_chart(against_group_chart(compared, titles, labels[choice]), width="stretch")
    count = int(compared["group_programs"].iloc[0])
    counting = " that count" if unfinished else ""
    if count:
        st.caption(
            f"The tick is the median of the {count} programs{counting} "
            f"with the same {comparison.by} and round."
        )
    else:
        st.caption(
            f"No self-study that counts has the same {comparison.by} and round: "
            "there is no median to set it against."
        )
    if unfinished:
        st.caption(
            f"Unfinished: {left_out.reason(choice - len(scores))}. Its levels are from the "
            "items answered so far, and it is left out of every other view and download."
        )


def _program_labels(programs: pd.DataFrame) -> list[str]:
    return [
        f"{p} ({r})" if isinstance(r, str) else str(p)
        for p, r in zip(programs["program"], programs["round"], strict=True)
    ]


def _left_out_notice(left_out: LeftOut, views: bool = True) -> None:
    """How many chosen self-studies are left out as unfinished, and (opened) which and why."""
    threshold = threshold_text(left_out.min_complete)
    if not len(left_out):
        st.caption(
            "Every chosen self-study counts, however unfinished."
            if left_out.min_complete == 0
            else f"Every chosen self-study is at least {threshold} complete and counts."
        )
        return
    if views:
        it, each, them = (
            ("It is", "it", "it") if len(left_out) == 1 else ("They are", "each", "them")
        )
        st.info(
            f"{left_out.summary()}. {it} in no figure or download here; the One program tab "
            f"still shows {each}, marked unfinished. Lower “{THRESHOLD}” to count {them}.",
            icon=":material/hourglass_top:",
        )
    listing = st.expander(
        f"The {len(left_out)} left out, and why", key="left_out_list", on_change="rerun"
    )
    if not listing.open:  # the list (a reason worded per study) is built only when opened
        return
    with listing:
        st.dataframe(
            left_out.table()[["label", "reason"]],
            hide_index=True,
            column_config={
                "label": st.column_config.TextColumn("Self-study", width="medium"),
                "reason": st.column_config.TextColumn("Why", width="large"),
            },
        )


def _spread(comparison: Comparison, dimension: str | None, titles: dict[str, str]) -> None:
    picked = titles if dimension is None else {dimension: titles[dimension]}
    frame = levels_by_group(comparison.scores, comparison.group_fields, list(picked))
    st.altair_chart(distributions(frame, "group", picked), width="content")


def _headline(comparison: Comparison) -> None:
    shown = comparison.scores
    first, second, third = st.columns(3)
    first.metric("Self-studies", len(shown))
    second.metric("Programs", shown.programs["key"].nunique())
    third.metric("Rounds", shown.programs["round"].nunique())
    st.download_button(
        "Download the cohort report (.xlsx)",
        data=functools.partial(cohort_report_bytes, comparison),
        file_name="cohort-report.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )


def _views(
    comparison: Comparison,
    rubric: Rubric,
    dimension: str | None,
    pseudonyms: bool = False,
    scores: CohortScores | None = None,
) -> None:
    """The views as tabs, of which only the open one is built and sent: tabs that
    ignore changes run, and send, every tab's charts and tables on every rerun."""
    titles = {d.id: d.title for d in rubric.dimensions}
    groups, grid, spread, change, network, one, teams, tried = st.tabs(
        VIEWS, key="cohort_view", on_change="rerun"
    )
    if groups.open:
        with groups:
            _group_table(comparison, dimension, titles)
    if grid.open:
        with grid:
            _heatmap(comparison, dimension)
    if spread.open:
        with spread:
            _spread(comparison, dimension, titles)
    if change.open:
        with change:
            _changes(comparison, dimension, titles)
    if network.open:
        with network:
            _needs_and_assets(comparison, rubric)
    if one.open:
        with one:
            _one_program(comparison, titles)
    if teams.open:
        with teams:
            _team_ratings(rubric, pseudonyms)
    if tried.open:
        with tried:
            _what_programs_tried(rubric, dimension, pseudonyms, scores)


def _team_ratings(rubric: Rubric, pseudonyms: bool) -> None:
    """The team self-studies among the programs this person may see: raters, step and,
    once the ratings were compared, how much each team agreed."""
    rows = team_overview(get_storage(), rubric)
    if not rows:
        st.info(
            "No team self-studies here yet. A program makes one on its Team page: each "
            "rater rates on their own, then the team agrees."
        )
        return
    secret = pseudonym_secret(get_storage()) if pseudonyms else ""
    table = pd.DataFrame(
        [
            {
                "Program": pseudonym(row.program.id or row.program.name, secret)
                if pseudonyms
                else row.program.name,
                "Cohort": row.program.cohort,
                "Round": row.program.round,
                "Raters": row.raters,
                "Submitted": row.submitted,
                "Step": row.step,
                "Same level": percent_text(row.agreement.exact) if row.agreement else "—",
                "Within one": percent_text(row.agreement.within_one) if row.agreement else "—",
                "Alpha": alpha_text(row.agreement) if row.agreement else "—",
                "Items compared": row.agreement.items if row.agreement else None,
            }
            for row in rows
        ]
    )
    st.dataframe(table, hide_index=True)
    st.caption(
        "Agreement is shown once a team's lead opens the consensus step: same level and "
        "within one level are shares of rater pairs; alpha is Krippendorff's, for ordinal "
        "ratings (0.8 or more is usually taken as reliable)."
    )


def _what_programs_tried(
    rubric: Rubric, dimension: str | None, pseudonyms: bool, scores: CohortScores | None
) -> None:
    """Across the programs this person may see: which change ideas were tried for which
    standards, by how many programs, how many cycles ran and how they ended, and what each
    program's closed cycles learned."""
    found = learning(get_storage())
    tried = [
        t
        for t in found.tried
        if t.standard_id in rubric.standard_by_id
        and (dimension is None or rubric.dimension_of_standard[t.standard_id].id == dimension)
    ]
    if not tried:
        where = "" if dimension is None else " for the standards of this dimension"
        st.info(
            f"No program here has tried a change idea{where} yet. A program makes an "
            "improvement plan from a priority on its Results page and tests change ideas "
            "under it in cycles; what it tries, and what it learns, shows here."
        )
        return
    standards = list(dict.fromkeys(t.standard_id for t in tried))
    standards.sort(key=list(rubric.standard_by_id).index)
    choice = st.selectbox(
        "Standard",
        [ALL_STANDARDS, *standards],
        format_func=lambda s: s if s == ALL_STANDARDS else f"{s} {rubric.standard_by_id[s].title}",
        key="tried_standard",
    )
    if choice != ALL_STANDARDS:
        tried = [t for t in tried if t.standard_id == choice]
    groups = Learning(tuple(tried)).by_idea()
    groups.sort(key=lambda group: list(rubric.standard_by_id).index(group[0]))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Standard": f"{standard_id} {rubric.standard_by_id[standard_id].title}",
                    "Change idea": idea,
                    "From": "the rubric" if group[0].rubric_idea else "a program's own",
                    "Programs": len({t.program_id for t in group}),
                    "Cycles run": sum(t.cycles for t in group),
                    "Closed": sum(t.closed for t in group),
                    "Act decisions": decisions_text(
                        {d: sum(t.decisions[d] for t in group) for d in DECISIONS}
                    )
                    or "none yet",
                }
                for standard_id, idea, group in groups
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "Each row is one change idea tried for one standard: an idea of the rubric is one row "
        "whoever tried it; programs' own ideas are grouped by their title. Act decisions "
        "count the closed cycles that ended in each: adopted, adapted or abandoned."
    )
    name = _program_namer(pseudonyms, scores)
    for standard_id, idea, group in groups:
        with st.expander(f"{standard_id} · {markdown.text(idea)} — what programs learned"):
            for t in group:
                st.markdown(f"**{markdown.text(name(t))}** — {markdown.text(_tried_words(t))}")
                for words in t.learned:
                    st.markdown("> " + markdown.text(words).replace("\n", "\n> "))
                if not t.learned:
                    st.caption("No closed cycle has said what it learned yet.")


def _tried_words(tried: Tried) -> str:
    ended = decisions_text(tried.decisions)
    words = f"{tried.cycles} cycle{'' if tried.cycles == 1 else 's'} run, {tried.closed} closed"
    return f"{words}: {ended}" if ended else words


def _program_namer(pseudonyms: bool, scores: CohortScores | None) -> Callable[[Tried], str]:
    """How a program is named here: its name, or under pseudonyms the same stand-in the
    other views give it (made from the key its self-studies are compared by)."""
    if not pseudonyms:
        return lambda tried: tried.program_name
    secret = pseudonym_secret(get_storage())
    keys: dict[str, str] = {}
    if scores is not None:
        programs = scores.programs
        for program_name, key in zip(programs["name"], programs["key"], strict=True):
            keys.setdefault(str(program_name).casefold(), str(key))
    return lambda tried: pseudonym(
        keys.get(tried.program_name.casefold(), tried.program_id), secret
    )


def _heatmap(comparison: Comparison, dimension: str | None) -> None:
    """One row per program, or one per group when there are too many programs to read."""
    view = cohort_heatmap(comparison, dimension)
    st.altair_chart(view.chart, width="content")
    st.caption(markdown.text(view.caption))


@st.cache_resource(max_entries=32)
def _rubric_ids(url: str, fingerprint: Fingerprint, scope: Actor) -> list[str]:
    return get_storage().rubric_ids()


def _rubric_id(fingerprint: Fingerprint) -> str | None:
    """The rubric to compare by: the only one the studies use, else the one chosen."""
    rubric_ids = _rubric_ids(database_url(), fingerprint, access_scope())
    if len(rubric_ids) > 1:
        return st.selectbox("Rubric", rubric_ids)
    return rubric_ids[0] if rubric_ids else None


def _no_comparison(error: cohort_workflow.CohortChoiceError) -> None:
    """Why nothing can be compared, in the page's words, and the unfinished studies if any."""
    if error.left_out is None:
        st.info("No self-study matches these cohorts and rounds.")
        return
    st.info(
        f"{markdown.text(sentence(str(error)))} Lower “{THRESHOLD}” to count unfinished "
        "self-studies."
    )
    _left_out_notice(error.left_out, views=False)


def page() -> None:
    st.title("Cohorts")
    st.caption("Compare programs across cohorts and rounds: where the network meets the standards.")
    url = database_url()
    fingerprint = get_storage().fingerprint()
    rubric_id = _rubric_id(fingerprint)
    if rubric_id is None:
        st.info("There are no self-studies yet. Start one, or import sheet copies, then come back.")
        return
    teams = _team_choice()
    try:
        scores, rubric, left_out, not_chosen = _scores(
            url, fingerprint, rubric_id, access_scope(), teams
        )
    except ProblemsFound as exc:
        st.error(f"This rubric is not in the rubric folder.\n\n{problem_lines(exc)}")
        return
    if left_out:
        st.warning(
            f"{counted(left_out, 'self-study', 'self-studies')} left out: answers that "
            "this rubric does not allow. Open them on the Self-study page to fix them."
        )
    if not_chosen:
        st.caption(
            f"{counted(not_chosen, 'self-study', 'self-studies')} left out: not "
            f"{cohort_workflow.TEAM_CHOICES[teams]} (“Which self-studies count”)."
        )
    if not len(scores):
        return
    chosen = _filters(scores, rubric)
    _replaced_notice(
        _stored(url, fingerprint, rubric_id, access_scope(), teams), chosen["pseudonyms"]
    )
    comparison = _comparison(
        url,
        fingerprint,
        rubric_id,
        chosen["cohorts"],
        chosen["rounds"],
        chosen["by"],
        chosen["pseudonyms"],
        chosen["min_complete"],
        access_scope(),
        pseudonym_secret(get_storage()) if chosen["pseudonyms"] else "",
        teams,
    )
    if isinstance(comparison, cohort_workflow.CohortChoiceError):
        _no_comparison(comparison)
        if team_overview(get_storage(), rubric):  # teams still rating have no figures yet
            st.subheader("Team ratings")
            _team_ratings(rubric, chosen["pseudonyms"])
        return
    _left_out_notice(comparison.left_out)
    _headline(comparison)
    _views(comparison, rubric, chosen["dimension"], chosen["pseudonyms"], scores)


page()
