"""Improvement plans: from a priority to change ideas, tests of change and measures.

A self-study ends at priorities; this module holds what comes next, as plain models
and the rules over them (the Model for Improvement's records):

- a **plan** serves one or more standards of a rubric (usually a priority of a
  self-study): an aim (what will improve, by how much, by when), an owner, dates and
  a status;
- under a plan, **change ideas** the team tests: one of the rubric's (`rubric_idea`)
  or the team's own;
- under an idea, **cycles** (Plan-Do-Study-Act), chained in the order they were
  begun: a cycle is closed only once its Study (results, what was learned) and its Act
  (adopt, adapt or abandon) are written;
- under a plan, **measures** (outcome, process, balancing), each with **points**
  entered over time, which `core.runchart` reads.

Each of these is one *record* of the storage: its fields are saved one by one, each
with its history, as an answer's are. `Record` is a stored record as a reader gets
it, and `PlanView` a plan with everything under it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    model_validator,
)

from selfstudy.core.problems import Problem, ProblemsFound, Report, clip
from selfstudy.core.rubric import Id
from selfstudy.core.study import FiniteFloat, Text

Kind = Literal["plan", "idea", "cycle", "measure", "point"]
PlanStatus = Literal["planned", "in progress", "done", "stopped"]
PLAN_STATUSES: tuple[PlanStatus, ...] = ("planned", "in progress", "done", "stopped")
AsPlanned = Literal["yes", "partly", "no"]
Decision = Literal["adopt", "adapt", "abandon"]
DECISIONS: tuple[Decision, ...] = ("adopt", "adapt", "abandon")
DECIDED: dict[Decision, str] = {"adopt": "adopted", "adapt": "adapted", "abandon": "abandoned"}


def decisions_text(counts: Mapping[Decision, int]) -> str:
    """How closed cycles ended, in words: `2 adopted, 1 abandoned` (empty: none ended)."""
    return ", ".join(f"{counts[d]} {DECIDED[d]}" for d in DECISIONS if counts.get(d))


MeasureKind = Literal["outcome", "process", "balancing"]
MEASURE_KINDS: tuple[MeasureKind, ...] = ("outcome", "process", "balancing")
MAX_TASKS = 100
MAX_STANDARDS = 50
MAX_POINTS = 10_000  # points of one measure: years of weekly data, many times over

Title = Annotated[Text, Field(min_length=1)]


class FieldError(ValueError):
    """A rule over several fields broken, told at the field a person would correct."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _once_each(ids: list[str]) -> list[str]:
    """Each standard once, in the order first named (a plan serves a standard once)."""
    return list(dict.fromkeys(ids))


class Plan(_Fields):
    """What will improve, for which standards, who owns it, and by when."""

    rubric_id: Id
    standards: Annotated[
        list[Id], Field(min_length=1, max_length=MAX_STANDARDS), AfterValidator(_once_each)
    ]
    study_id: str | None = None  # the self-study whose priorities it came from
    aim: Text = ""
    owner: Text = ""
    starts_on: date | None = None
    due_on: date | None = None
    status: PlanStatus = "planned"

    @model_validator(mode="after")
    def _dates_in_order(self) -> Plan:
        if self.starts_on and self.due_on and self.due_on < self.starts_on:
            raise FieldError("due_on", "the due date comes before the start date")
        return self


class Idea(_Fields):
    """A change idea the plan tests: the rubric's (`rubric_idea`) or the team's own."""

    title: Title
    description: Text = ""
    rubric_idea: Id | None = None


class Task(_Fields):
    """One task of a cycle's plan: who does what, by when."""

    who: Text = ""
    what: Title
    when: date | None = None


class Cycle(_Fields):
    """One test of change: Plan, Do, Study, Act."""

    # Plan
    objective: Text = ""
    prediction: Text = ""
    tasks: Annotated[list[Task], Field(max_length=MAX_TASKS)] = []
    data_collection: Text = ""
    starts_on: date | None = None
    # Do
    as_planned: AsPlanned | None = None
    observations: Text = ""
    problems: Text = ""
    # Study
    results: Text = ""
    learned: Text = ""
    # Act
    decision: Decision | None = None
    next_steps: Text = ""
    closed_on: date | None = None

    @model_validator(mode="after")
    def _closed_only_when_studied_and_acted(self) -> Cycle:
        if self.closed_on is not None and (missing := closing_gaps(self)):
            raise FieldError(
                "closed_on", f"a cycle is closed only once {' and '.join(missing)} are written"
            )
        if self.closed_on and self.starts_on and self.closed_on < self.starts_on:
            raise FieldError(
                "closed_on", "the cycle would close before it starts; check both dates"
            )
        return self

    @property
    def stage(self) -> str:
        """Where the cycle is: plan, do, study, act, or closed."""
        if self.closed_on is not None:
            return "closed"
        if self.decision or self.next_steps:
            return "act"
        if self.results or self.learned:
            return "study"
        if self.as_planned or self.observations or self.problems:
            return "do"
        return "plan"


def closing_gaps(cycle: Cycle) -> list[str]:
    """What a cycle still lacks to be closed, in words (empty: it may be closed)."""
    gaps = []
    if not cycle.results.strip() or not cycle.learned.strip():
        gaps.append("its Study (the results against the prediction, and what was learned)")
    if cycle.decision is None:
        gaps.append("its Act (adopt, adapt or abandon)")
    return gaps


class Measure(_Fields):
    """What the team counts to know whether a change is an improvement."""

    kind: MeasureKind = "outcome"
    name: Title
    definition: Text = ""
    unit: Text = ""


MAX_VALUE = 10**12  # far beyond any count, share or score a measure holds


def _measurable(value: float) -> float:
    if abs(value) > MAX_VALUE:
        raise ValueError(
            f"the number is larger than any measure needs (at most {MAX_VALUE:,} either side "
            "of 0); check it, or count in larger units"
        )
    return value


class Point(_Fields):
    """One value of a measure, on a date."""

    on: date
    value: Annotated[StrictInt | FiniteFloat, AfterValidator(_measurable)]
    note: Text = ""


MODELS: dict[Kind, type[_Fields]] = {
    "plan": Plan,
    "idea": Idea,
    "cycle": Cycle,
    "measure": Measure,
    "point": Point,
}
# what each kind of record lies under ("plan": the plan itself)
PARENTS: dict[Kind, Kind | None] = {
    "plan": None,
    "idea": "plan",
    "cycle": "idea",
    "measure": "plan",
    "point": "measure",
}
WORDS: dict[Kind, str] = {
    "plan": "improvement plan",
    "idea": "change idea",
    "cycle": "cycle",
    "measure": "measure",
    "point": "data point",
}
# the fields a person may not change once the record exists (what it belongs to)
FIXED_FIELDS: dict[Kind, frozenset[str]] = {
    "plan": frozenset({"rubric_id", "study_id"}),
    "idea": frozenset({"rubric_idea"}),  # the rubric's idea it is, or the team's own
    "cycle": frozenset(),
    "measure": frozenset(),
    "point": frozenset(),
}


def checked(kind: Kind, fields: Mapping[str, Any], where: str = "") -> _Fields:
    """`fields` as the model of `kind`, or `ProblemsFound` naming each bad field in words."""
    model = MODELS[kind]
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        raise ProblemsFound(_problems(kind, exc, where or WORDS[kind])) from None


def _problems(kind: Kind, exc: ValidationError, where: str) -> Report:
    """One problem per field (a value that fits none of a field's kinds is one problem)."""
    by_path: dict[str, list[Any]] = {}
    for error in exc.errors():
        # a union names the kind it tried (`value.int`): the field is the reader's place
        parts = [str(p) for p in error["loc"] if p not in ("int", "float", "str", "date")]
        broken = error.get("ctx", {}).get("error")
        if isinstance(broken, FieldError):
            parts = [*parts, broken.field]
        by_path.setdefault(".".join(parts), []).append(error)
    return Report(
        # a NUL is said as it is said of answers (`core.study`)
        Problem("nul-character", where, _message(kind, errors), path)
        if errors[0]["type"] == "nul_character"
        else Problem("bad-record", where, _message(kind, errors), path)
        for path, errors in by_path.items()
    )


def _message(kind: Kind, errors: list[Any]) -> str:
    error = errors[0]
    kind_of = str(error["type"])
    shown = _shown(error.get("input"))
    if any(e["type"].startswith(("int", "float")) for e in errors):
        return f"{shown} is not a number; write it as 12 or 12.5"
    if kind_of == "missing":
        return "is needed; fill it in"
    if kind_of == "string_too_short" or (
        kind_of == "too_short" and isinstance(error.get("input"), str)
    ):
        return "must not be empty; write something"  # a title checked after its text's rules
    if kind_of == "extra_forbidden":
        return f"is not a field of a {WORDS[kind]}; remove it or check its spelling"
    if kind_of == "text_too_long":
        return f"{error['msg']}; shorten it"
    if kind_of.startswith("date"):
        return f"{shown} is not a date; write it as 2026-03-15"
    if kind_of == "literal_error":
        return f"{shown} is not one of {error.get('ctx', {}).get('expected', '')}"
    if kind_of == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind_of == "too_long":
        return f"holds too many entries ({error['msg']})"
    return str(error["msg"])


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return "the number"  # of thousands of digits, perhaps: more than repr writes
    return repr(clip(value, 40)) if isinstance(value, str) else clip(repr(value), 40)


def changed_fields(kind: Kind, stored: _Fields, new: Mapping[str, Any], where: str) -> _Fields:
    """The record `stored` with the fields in `new`, checked as a whole (a due date before the
    start, a closed cycle without its Study). Fields it may not change raise `ProblemsFound`."""
    fixed = FIXED_FIELDS[kind] & set(new)
    if fixed:
        raise ProblemsFound(
            [
                Problem(
                    "bad-record",
                    where,
                    "cannot be changed once the record exists; make a new one instead",
                    name,
                )
                for name in sorted(fixed)
            ]
        )
    merged = stored.model_dump(mode="json")
    merged.update(new)
    return checked(kind, merged, where)


_DATES: dict[Kind, tuple[str, ...]] = {
    "plan": ("starts_on", "due_on"),
    "idea": (),
    "cycle": ("starts_on", "closed_on"),
    "measure": (),
    "point": ("on",),
}


def from_storage(kind: Kind, values: Mapping[str, Any]) -> _Fields:
    """A record's fields as the storage keeps them (`field_values` of a checked record), made
    into its model without checking them again: a network's plans are hundreds of thousands
    of records, and checking each text again took most of the time of reading them."""
    data = dict(values)
    for name in _DATES[kind]:
        if data.get(name):
            data[name] = date.fromisoformat(data[name])
    if kind == "cycle":
        data["tasks"] = [
            Task.model_construct(
                **{**task, "when": date.fromisoformat(task["when"]) if task.get("when") else None}
            )
            for task in data.get("tasks") or []
        ]
    return MODELS[kind].model_construct(**data)


def field_values(model: _Fields) -> dict[str, Any]:
    """A record's fields as JSON values (dates as ISO text), as the storage keeps them."""
    return model.model_dump(mode="json")


# --- records as stored ---------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One stored record: its fields, where it belongs, and its revisions for conflict checks."""

    id: str
    kind: Kind
    program_id: str
    plan_id: str
    parent_id: str | None
    fields: Any  # the model of `kind`
    revision: int  # raised by every change to the record
    changed_json: str  # JSON: the revision at which each field last changed (`changed`)
    created_at: str
    created_by: str
    updated_at: str

    @cached_property
    def changed(self) -> Mapping[str, int]:
        """The revision at which each field last changed (read when asked: a view of a
        network's plans reads tens of thousands of records and needs none)."""
        return json.loads(self.changed_json)


@dataclass(frozen=True)
class CycleView:
    record: Record
    number: int  # 1, 2, ... in the order the idea's cycles were begun

    @property
    def cycle(self) -> Cycle:
        return self.record.fields


@dataclass(frozen=True)
class IdeaView:
    record: Record
    cycles: tuple[CycleView, ...]

    @property
    def idea(self) -> Idea:
        return self.record.fields

    @property
    def decisions(self) -> list[Decision]:
        """The Act decisions of its closed cycles, in order."""
        return [
            c.cycle.decision
            for c in self.cycles
            if c.cycle.closed_on is not None and c.cycle.decision is not None
        ]


@dataclass(frozen=True)
class MeasureView:
    record: Record
    points: tuple[Record, ...]  # in the order of their dates (then of entry)

    @property
    def measure(self) -> Measure:
        return self.record.fields


@dataclass(frozen=True)
class PlanView:
    """A plan with its ideas (each with its cycles) and its measures (each with its points)."""

    record: Record
    program_name: str
    ideas: tuple[IdeaView, ...] = ()
    measures: tuple[MeasureView, ...] = ()

    @property
    def plan(self) -> Plan:
        return self.record.fields

    @property
    def id(self) -> str:
        return self.record.id

    def cycles(self) -> list[CycleView]:
        return [cycle for idea in self.ideas for cycle in idea.cycles]

    def cycle_starts(self) -> list[tuple[date, str]]:
        """When each cycle began (its start date), for the run charts' time axis."""
        return sorted(
            (c.cycle.starts_on, f"{clip(idea.idea.title, 40)}: cycle {c.number}")
            for idea in self.ideas
            for c in idea.cycles
            if c.cycle.starts_on is not None
        )

    def find(self, record_id: str) -> Record | None:
        for record in self.records():
            if record.id == record_id:
                return record
        return None

    def records(self) -> Iterable[Record]:
        yield self.record
        for idea in self.ideas:
            yield idea.record
            for cycle in idea.cycles:
                yield cycle.record
        for measure in self.measures:
            yield measure.record
            yield from measure.points


def assemble(records: Iterable[Record], program_names: Mapping[str, str]) -> list[PlanView]:
    """The plans among `records`, each with what lies under it; records whose plan or parent
    is not among them (deleted) are left out. Plans in the order they were made."""
    by_parent: dict[str | None, list[Record]] = {}
    plans: list[Record] = []
    for record in sorted(records, key=lambda r: (r.created_at, r.id)):
        if record.kind == "plan":
            plans.append(record)
        else:
            by_parent.setdefault(record.parent_id or record.plan_id, []).append(record)

    def under(parent: str, kind: Kind) -> list[Record]:
        return [r for r in by_parent.get(parent, []) if r.kind == kind]

    views = []
    for plan in plans:
        ideas = tuple(
            IdeaView(
                idea,
                tuple(
                    CycleView(cycle, number)
                    for number, cycle in enumerate(under(idea.id, "cycle"), 1)
                ),
            )
            for idea in under(plan.id, "idea")
        )
        measures = tuple(
            MeasureView(
                measure,
                tuple(sorted(under(measure.id, "point"), key=lambda p: p.fields.on)),
            )
            for measure in under(plan.id, "measure")
        )
        views.append(PlanView(plan, program_names.get(plan.program_id, ""), ideas, measures))
    return views


# --- what a plan's place is in the rounds of a self-study ----------------------------------


@dataclass(frozen=True)
class Followed:
    """What became of one priority of an earlier round, as the next round's results show it."""

    standard_id: str
    plans: tuple[PlanView, ...]  # plans made for it (none: it was not planned for)
    before: float | None  # the standard's level in the earlier round
    after: float | None  # its level now

    @property
    def moved(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 2)

    @property
    def decisions(self) -> dict[Decision, int]:
        """How many closed cycles of its plans ended in each Act decision."""
        counts: dict[Decision, int] = dict.fromkeys(DECISIONS, 0)
        for plan in self.plans:
            for idea in plan.ideas:
                for decision in idea.decisions:
                    counts[decision] += 1
        return counts


def followed_priorities(
    priorities: Sequence[str],
    plans: Iterable[PlanView],
    earlier_levels: Mapping[str, float | None],
    levels_now: Mapping[str, float | None],
) -> list[Followed]:
    """For each priority of an earlier round (in its order), the plans made for it and how
    the standard's level moved since; also standards planned for that were not priorities."""
    plans = list(plans)
    wanted = list(priorities)
    for plan in plans:
        for standard_id in plan.plan.standards:
            if standard_id not in wanted:
                wanted.append(standard_id)
    return [
        Followed(
            standard_id,
            tuple(p for p in plans if standard_id in p.plan.standards),
            earlier_levels.get(standard_id),
            levels_now.get(standard_id),
        )
        for standard_id in wanted
    ]


# --- what the network learned --------------------------------------------------------------


@dataclass(frozen=True)
class Tried:
    """One change idea one program tried for one standard, and what came of it."""

    program_id: str
    program_name: str
    plan_id: str
    standard_id: str
    idea: str  # its title
    rubric_idea: str | None
    cycles: int
    closed: int
    decisions: Mapping[Decision, int]
    learned: tuple[str, ...]  # what each closed cycle learned, in order


@dataclass(frozen=True)
class Learning:
    """Across programs: which ideas were tried for which standards, and how they ended."""

    tried: tuple[Tried, ...] = field(default_factory=tuple)

    def for_standard(self, standard_id: str) -> list[Tried]:
        return [t for t in self.tried if t.standard_id == standard_id]

    def by_idea(self) -> list[tuple[str, str, list[Tried]]]:
        """(standard, idea, what each program made of it): an idea of the rubric is one idea
        whoever tried it; a team's own ideas are grouped by their title."""
        groups: dict[tuple[str, str], list[Tried]] = {}
        for tried in self.tried:
            key = tried.rubric_idea or " ".join(tried.idea.split()).casefold()
            groups.setdefault((tried.standard_id, key), []).append(tried)
        return [(s, group[0].idea, group) for (s, _), group in sorted(groups.items())]


def network_learning(
    plans: Iterable[PlanView], rubric_ideas: Mapping[str, Mapping[str, str]] | None = None
) -> Learning:
    """What the plans' ideas were tried for, how many cycles ran and how they ended.

    `rubric_ideas` holds each rubric's change ideas (rubric id -> idea id -> title): an
    idea of the rubric is named as the rubric names it, whatever title a program gave it,
    and an idea naming one its rubric does not hold counts as the team's own."""
    tried = []
    for view in plans:
        known = (rubric_ideas or {}).get(view.plan.rubric_id, {})
        for idea in view.ideas:
            rubric_idea = idea.idea.rubric_idea if idea.idea.rubric_idea in known else None
            closed = [c.cycle for c in idea.cycles if c.cycle.closed_on is not None]
            decisions: dict[Decision, int] = dict.fromkeys(DECISIONS, 0)
            for decision in idea.decisions:
                decisions[decision] += 1
            for standard_id in view.plan.standards:
                tried.append(
                    Tried(
                        program_id=view.record.program_id,
                        program_name=view.program_name,
                        plan_id=view.id,
                        standard_id=standard_id,
                        idea=known[rubric_idea] if rubric_idea else idea.idea.title,
                        rubric_idea=rubric_idea,
                        cycles=len(idea.cycles),
                        closed=len(closed),
                        decisions=decisions,
                        learned=tuple(c.learned for c in closed if c.learned.strip()),
                    )
                )
    return Learning(tuple(tried))
