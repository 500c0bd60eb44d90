"""Improvement plans: what the Improvement page, the Results page and `selfstudy plan` do.

A plan is made from a self-study's priority (`plan_from_priority`), its change ideas
come from the rubric or the team (`add_idea`), its cycles are closed only with their
Study and Act (`close_cycle`), and its measures' data points come typed or from a CSV
file. The next round of the self-study shows what became of each earlier priority
(`followed_since`), and a facilitator sees what the network tried (`learning`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from selfstudy.core.improvement import (
    Followed,
    Learning,
    PlanView,
    Tried,
    followed_priorities,
    network_learning,
)
from selfstudy.core.problems import Problem, ProblemsFound, clip
from selfstudy.core.rounds import compare_rounds, same_program
from selfstudy.core.rubric import Rubric
from selfstudy.core.runchart import Point, RunChart, analyse
from selfstudy.core.scoring import Result
from selfstudy.core.study import SelfStudy
from selfstudy.edges.rubric_files import rubric_by_id
from selfstudy.edges.storage import Storage


def plan_from_priority(
    storage: Storage,
    study_id: str,
    standards: Sequence[str],
    fields: Mapping[str, Any] | None = None,
    by: str = "",
) -> str:
    """A new plan of the study's program for `standards` of its rubric (usually priorities
    of the study); `fields` are the plan's others (aim, owner, dates, status). Its id."""
    stored = storage.get_study(study_id)
    rubric = rubric_by_id(stored.study.rubric.id, stored.study.rubric.version)
    _check_standards(rubric, standards, "The new improvement plan")
    if stored.program_id is None:  # every stored study has a program since migration 003
        raise AssertionError("a stored study without a program")
    return storage.add_plan(
        stored.program_id,
        {
            **(fields or {}),
            "rubric_id": rubric.id,
            "study_id": study_id,
            "standards": list(dict.fromkeys(standards)),
        },
        by,
    )


def _check_standards(rubric: Rubric, standards: Sequence[Any], where: str) -> None:
    """Refuse, naming each, standards that are not the rubric's (a plan serves at least one)."""
    unknown = [s for s in standards if s not in rubric.standard_by_id]
    if unknown or not standards:
        raise ProblemsFound(
            [
                Problem(
                    "bad-record",
                    where,
                    f"{clip(str(s), 40)!r} is not a standard of the rubric {rubric.title!r}; "
                    "use a standard id the Results page or `selfstudy score` shows (such as PG.1)",
                    "standards",
                )
                for s in unknown
            ]
            or [
                Problem(
                    "bad-record", where, "a plan serves at least one standard; name it", "standards"
                )
            ]
        )


def save_fields(
    storage: Storage,
    record_id: str,
    fields: Mapping[str, Any],
    seen: int | Mapping[str, int] | None,
    by: str = "",
) -> int:
    """Save fields of a plan or a record under it, as the page's boxes and `selfstudy plan
    set` do: a plan's standards must be its rubric's. The record's revision after it."""
    if "standards" in fields:
        record = storage.record(record_id)
        if record.kind == "plan":
            rubric = rubric_by_id(record.fields.rubric_id, where="The plan's rubric")
            standards = fields["standards"]
            _check_standards(
                rubric, standards if isinstance(standards, list) else [standards], "This plan"
            )
    return storage.update_record(record_id, fields, seen, by)


def rubric_of_plan(view: PlanView) -> Rubric:
    """The rubric a plan's standards belong to (its latest version in the rubric folder)."""
    return rubric_by_id(view.plan.rubric_id, where="The plan's rubric")


def add_idea(
    storage: Storage,
    plan_id: str,
    title: str = "",
    description: str = "",
    rubric_idea: str | None = None,
    by: str = "",
) -> str:
    """A change idea under the plan: one of the rubric's (by its id: its title and words are
    taken when none are given) or the team's own. Its id."""
    if rubric_idea is not None:
        view = storage.plan(plan_id)
        idea = rubric_of_plan(view).change_idea_by_id.get(rubric_idea)
        if idea is None:
            raise ProblemsFound(
                [
                    Problem(
                        "bad-record",
                        "The new change idea",
                        f"{clip(rubric_idea, 40)!r} is not a change idea of the plan's rubric; "
                        "choose one the rubric lists, or write the team's own",
                        "rubric_idea",
                    )
                ]
            )
        title = title or idea.title
        description = description or idea.description
    return storage.add_record(
        "idea",
        plan_id,
        {"title": title, "description": description, "rubric_idea": rubric_idea},
        by,
    )


def close_cycle(
    storage: Storage,
    cycle_id: str,
    on: date | None = None,
    seen: int | Mapping[str, int] | None = None,
    by: str = "",
) -> int:
    """Close a cycle (on `on`, default today): refused, saying what is missing, until its
    Study and Act are written. The record's revision after it."""
    return storage.update_record(
        cycle_id, {"closed_on": (on or date.today()).isoformat()}, seen, by
    )


def measure_points(view: PlanView, measure_id: str) -> list[Point]:
    """A measure's data points, in time order, as the run-chart rules read them."""
    for measure in view.measures:
        if measure.record.id == measure_id:
            return [
                Point(p.fields.on, float(p.fields.value), p.fields.note) for p in measure.points
            ]
    raise KeyError(measure_id)


def run_chart_of(view: PlanView, measure_id: str) -> RunChart:
    return analyse(measure_points(view, measure_id))


# --- the next round ---------------------------------------------------------------------


@dataclass(frozen=True)
class SinceEarlier:
    """What the plans made since an earlier round did: the earlier round's priorities, each
    with its plans and how the standard's level moved."""

    earlier: SelfStudy  # the round before this one
    followed: list[Followed]


def followed_since(
    study: SelfStudy,
    previous: tuple[SelfStudy, Result],
    others: Iterable[tuple[str, SelfStudy]],
    plans: Iterable[PlanView],
    result: Result,
) -> SinceEarlier:
    """For a study's Results: the round before it (`previous`, as the page's change since
    that round scored it), each of its priorities with the plans made from any earlier
    round of the program (their cycles and Act decisions), and how each standard's level
    moved. `others` are the studies the page compared with (id, study); `plans` the
    program's plans: both already read for the page."""
    before, before_result = previous
    earlier = {
        other_id
        for other_id, other in others
        if same_program(other, study) and compare_rounds(other, study) < 0
    }
    return SinceEarlier(
        before,
        followed_priorities(
            before_result.priorities,
            [p for p in plans if p.plan.study_id in earlier],
            _levels(before_result),
            _levels(result),
        ),
    )


def _levels(result: Result) -> dict[str, float | None]:
    return {s.id: s.score.mean_level for s in result.standards}


# --- the network ------------------------------------------------------------------------


def learning(storage: Storage, shared: bool = False) -> Learning:
    """What programs tried: of the programs the actor may read (a facilitator's cohorts),
    or with `shared` those that chose to share with the network, too."""
    plans = storage.plans(points=False, measures=False)
    if shared:
        seen = {p.id for p in plans}
        more = storage.shared_plans(points=False, measures=False)
        plans += [p for p in more if p.id not in seen]
    ideas: dict[str, dict[str, str]] = {}
    for rubric_id in {p.plan.rubric_id for p in plans}:
        try:
            rubric = rubric_by_id(rubric_id)
        except ProblemsFound:  # a rubric no longer in the folder: its ideas count as own
            continue
        ideas[rubric_id] = {i.id: i.title for i in rubric.change_ideas()}
    return network_learning(plans, ideas)


def others_tried(
    storage: Storage, program_id: str, standard_ids: Sequence[str]
) -> dict[str, list[Tried]]:
    """What other programs tried for each standard, as far as the actor may see (their own
    access, and programs that share): for a team planning for those standards. The
    network's plans are read once for all of them."""
    learned = learning(storage, shared=True)
    return {
        standard_id: [t for t in learned.for_standard(standard_id) if t.program_id != program_id]
        for standard_id in standard_ids
    }


# --- data points from a file, and the plans as files ------------------------------------


def import_points(storage: Storage, measure_id: str, data: bytes, source: str, by: str = "") -> int:
    """The data points of a CSV file (`edges.measure_files` says its form) added to a
    measure, all or nothing: a file with any problem adds none, and every problem is
    located (`points.csv:7`). How many were added."""
    from selfstudy.edges.measure_files import read_points

    rows = read_points(data, source)
    return len(storage.add_records("point", measure_id, rows, by))


def charts_of(view: PlanView) -> dict[str, RunChart]:
    """Each measure's run chart, by the measure's id."""
    return {m.record.id: run_chart_of(view, m.record.id) for m in view.measures}


def plans_json(views: Sequence[PlanView]) -> str:
    """The plans as one JSON document (`docs/improvement.md` shows its shape)."""
    from selfstudy.edges.reports.improvement_report import plans_json as document

    charts: dict[str, RunChart] = {}
    for view in views:
        charts.update(charts_of(view))
    return document(views, charts)


def plans_csv(views: Sequence[PlanView]) -> str:
    """The plans as one CSV table, a row per record (`docs/improvement.md`)."""
    from selfstudy.edges.reports.improvement_report import plans_csv as table

    return table(views)


def plan_html(view: PlanView, rubric: Rubric | None = None) -> str:
    """One plan as a printable HTML page, its measures drawn as run charts; `rubric` is
    the plan's (found in the rubric folder when not given; the standards' ids alone when it
    cannot be found there)."""
    # Here, not at the top: the charts' altair and vl_convert take most of a second.
    from selfstudy.edges.reports.improvement_report import plan_html as page

    if rubric is None:
        try:
            rubric = rubric_of_plan(view)
        except ProblemsFound:
            rubric = None
    return page(view, rubric, charts_of(view))
