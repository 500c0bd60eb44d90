"""The self-study file: one program's answers to one rubric, as JSON.

```json
{"format": "selfstudy/1",
 "rubric": {"id": "stem-equity-self-study", "version": "1.0"},
 "program": {"name": "Bridge to STEM", "cohort": "2025", "round": "baseline"},
 "answers": {"PG.1.a": {"value": 3, "evidence": "Goals page", "notes": ""}}}
```

An answer's `value` is a scale value, `"N/A"`, text, a number, or a list of
options. This module also says what an answer means: whether it counts as
answered, whether an item is shown (`show_if`), and whether a value is one the
rubric allows.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rubric import NA, Item, Number, Rubric, ShowIf
from selfstudy.core.rubric.checks import format_path

FORMAT = "selfstudy/1"

AnswerValue = Number | str | list[str] | None


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: AnswerValue = None
    evidence: str = ""
    notes: str = ""


class RubricRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1)]
    version: Annotated[str, Field(min_length=1)]


class Program(BaseModel):
    """Who the self-study is about. Fields beyond these are kept as they are."""

    model_config = ConfigDict(extra="allow")

    name: Annotated[str, Field(min_length=1)]
    id: str | None = None
    organization: str | None = None
    cohort: str | None = None
    round: str | None = None


class SelfStudy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["selfstudy/1"] = FORMAT
    rubric: RubricRef
    program: Program
    answers: dict[str, Answer] = Field(default_factory=dict)

    @classmethod
    def new(cls, rubric: Rubric, name: str, **program: Any) -> SelfStudy:
        return cls(
            rubric=RubricRef(id=rubric.id, version=rubric.version),
            program=Program(name=name, **program),
        )

    def value(self, item_id: str) -> AnswerValue:
        return _value(self.answers, item_id)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=False)


def study_json_schema() -> dict[str, Any]:
    schema = SelfStudy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "selfstudy self-study file (selfstudy/1)"
    return schema


# --- reading -------------------------------------------------------------------------


def parse_study(text: str, source: str = "<self-study>") -> SelfStudy:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(
            "json-syntax",
            f"{source}:{exc.lineno}",
            f"not valid JSON: {exc.msg} at column {exc.colno}; "
            "a self-study file is the JSON document the app or `selfstudy import` writes",
        )
        raise ProblemsFound(Report([problem])) from None
    return study_from_data(data, source)


def study_from_data(data: Any, source: str = "<self-study>") -> SelfStudy:
    try:
        return SelfStudy.model_validate(data)
    except ValidationError as exc:
        report = Report(_problem_from_error(error, source) for error in exc.errors())
        raise ProblemsFound(report) from None


def _problem_from_error(error: Any, source: str) -> Problem:
    loc = [p for p in error["loc"] if p not in ("int", "float", "str", "list[str]", "none")]
    if len(loc) > 1 and loc[0] == "answers":
        loc = [f"answers[{loc[1]!r}]", *loc[2:]]
    path = format_path(tuple(loc))
    kind = error["type"]
    if kind == "missing":
        return Problem("missing-key", source, "missing required key; add it", path)
    if kind == "extra_forbidden":
        return Problem("unknown-key", source, "unknown key; remove it or check its spelling", path)
    if kind == "literal_error" and path == "format":
        return Problem(
            "unknown-format", source, f'expected "{FORMAT}", got {error.get("input")!r}', path
        )
    if kind == "string_too_short":
        return Problem("empty-value", source, "must not be empty", path)
    message = error["msg"]
    return Problem("bad-value", source, f"{message[0].lower()}{message[1:]}", path)


# --- what answers mean ------------------------------------------------------------------


def is_answered(value: AnswerValue) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, list):
        return len(value) > 0
    return True


def is_na(value: AnswerValue) -> bool:
    return isinstance(value, str) and value == NA


def shown_items(rubric: Rubric, answers: dict[str, Answer]) -> set[str]:
    """Ids of the items shown for these answers (`show_if` holds, up the chain)."""
    shown: set[str] = set()
    for item in rubric.items():
        rule = item.show_if
        if rule is None or (
            rule.item in shown
            and condition_holds(rubric, rubric.item_by_id[rule.item], rule, answers)
        ):
            shown.add(item.id)
    return shown


def unanswered_required(
    rubric: Rubric, answers: dict[str, Answer], shown: set[str] | None = None
) -> list[Item]:
    """Required items that are shown and not answered yet, in rubric order.

    Pass `shown` when the caller already has `shown_items` for these answers.
    """
    shown = shown_items(rubric, answers) if shown is None else shown
    return [
        item
        for item in rubric.items()
        if item.is_required and item.id in shown and not is_answered(_value(answers, item.id))
    ]


def _value(answers: dict[str, Answer], item_id: str) -> AnswerValue:
    answer = answers.get(item_id)
    return answer.value if answer is not None else None


def condition_holds(rubric: Rubric, source: Item, rule: ShowIf, answers: dict[str, Answer]) -> bool:
    """Whether `rule` (the show_if of some item, naming `source`) holds for these answers.

    Unanswered and N/A never satisfy a condition; `equals` on a multichoice item
    means "was chosen"; ratings compare as scale values, so labels work too.
    """
    value = _value(answers, source.id)
    if not is_answered(value) or is_na(value):
        return False
    if source.is_rating:
        value = rubric.scale.rating_value(value)
        if value is None:
            return False

    def same(expected: Any) -> bool:
        if source.is_rating:
            return rubric.scale.rating_value(expected) == value
        if isinstance(value, list):
            return expected in value
        return expected == value

    op, operand = rule.operator, rule.operand
    if op == "equals":
        return same(operand)
    if op == "in":
        return any(same(option) for option in operand)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return value >= operand if op == "at_least" else value <= operand


def value_problem(rubric: Rubric, item: Item, value: AnswerValue) -> str | None:
    """Why `value` cannot be an answer to `item`, or None when it can."""
    if not is_answered(value):
        return None
    if is_na(value):
        if item.is_rating and not rubric.scale.allow_na:
            return "this rubric does not allow N/A; choose a rating or leave it blank"
        return None
    if item.type == "rating":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"a rating is a scale value ({_scale_text(rubric)}), got {value!r}"
        if value not in rubric.scale.values:
            return f"{value!r} is not on the scale; use one of {_scale_text(rubric)}"
    elif item.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {value!r}"
    elif item.type == "text":
        if not isinstance(value, str):
            return f"expected text, got {value!r}"
    elif item.type == "choice":
        if value not in (item.options or []):
            return f"{value!r} is not one of the options: {'; '.join(item.options or [])}"
    elif item.type == "multichoice":
        chosen = value if isinstance(value, list) else [value]
        unknown = [v for v in chosen if v not in (item.options or [])]
        if unknown:
            return f"{unknown!r} not among the options: {'; '.join(item.options or [])}"
    return None


def _scale_text(rubric: Rubric) -> str:
    return ", ".join(f"{lv.value} {lv.label}" for lv in rubric.scale.levels) + (
        ", N/A" if rubric.scale.allow_na else ""
    )


def check_study(study: SelfStudy, rubric: Rubric, source: str = "<self-study>") -> Report:
    """Every answer that the rubric does not allow, and a rubric that does not match."""
    problems = Report()
    if study.rubric.id != rubric.id:
        problems.append(
            Problem(
                "rubric-mismatch",
                source,
                f"the self-study is for rubric {study.rubric.id!r}, not {rubric.id!r}; "
                "choose the rubric it names",
                "rubric.id",
            )
        )
    elif study.rubric.version != rubric.version:
        problems.append(
            Problem(
                "rubric-version-mismatch",
                source,
                f"the self-study is for version {study.rubric.version!r} of {rubric.id!r}, "
                f"this rubric is version {rubric.version!r}; scores may differ",
                "rubric.version",
                severity="warning",
            )
        )
    for item_id, answer in study.answers.items():
        item = rubric.item_by_id.get(item_id)
        if item is None:
            problems.append(
                Problem(
                    "unknown-item",
                    source,
                    f"{item_id!r} is not an item of {rubric.id!r}; remove it or fix the id",
                    f"answers[{item_id!r}]",
                )
            )
            continue
        reason = value_problem(rubric, item, answer.value)
        if reason:
            problems.append(Problem("bad-answer", source, reason, f"answers[{item_id!r}].value"))
    return problems
