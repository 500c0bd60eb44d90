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

Every text a person writes (evidence, notes, a text answer, a program detail)
holds its line breaks as line feeds, as a browser's text box does: a carriage
return and line feed (Windows, a CSV file) or a carriage return alone becomes
one line feed where the text comes in (`line_feeds`), so every format carries
the same text. A text holds at most `MAX_TEXT_LENGTH` characters: the most every
format carries whole. An Excel cell holds 32,767 characters, a Google Sheets
cell 50,000, and the .xlsx writer lengthens a text that holds other control
characters (`_x001B_`), so the limit leaves room. Characters are counted as
spreadsheets and browsers count them (`text_length`: an emoji counts two). A
longer text is refused where it comes in, never cut. An id (of the rubric, its
version, an item) is at most `MAX_ID_LENGTH` characters, as the storage keeps it.
Numbers are numbers: `true` is not an answer, though Python counts it as 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from selfstudy.core.printable import json_text
from selfstudy.core.problems import Problem, ProblemsFound, Report, clip
from selfstudy.core.rubric import MAX_ID_LENGTH, NA, Id, Item, Rubric, ShowIf
from selfstudy.core.rubric.checks import format_path

M = TypeVar("M", bound=BaseModel)

FORMAT = "selfstudy/1"
MAX_TEXT_LENGTH = 30_000


def text_length(text: str) -> int:
    """How many characters a spreadsheet or a browser counts in `text`: UTF-16 code units,
    so a character beyond the first 65,536 (an emoji, say) counts two."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_HALF_OF_A_PAIR = re.compile("[\ud800-\udfff]")


def half_of_a_pair(text: str, what: str = "the text") -> str | None:
    """Why `text` cannot be kept when it holds half of a pair (an unpaired surrogate), else
    None. Only an escape such as `\\ud800` in a JSON file makes one: no file, database or
    spreadsheet can hold it."""
    found = _HALF_OF_A_PAIR.search(text)
    if found is None:
        return None
    return (
        f"{what} holds a character that is half of a pair (an unpaired surrogate, "
        f"\\u{ord(found.group()):04x}), which no file or database can keep; delete it, or "
        "type the character again"
    )


def line_feeds(text: str) -> str:
    """`text` with each line break a line feed (CR LF and a lone CR are one LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_too_long(text: str) -> bool:
    """Whether `text`, its line breaks as line feeds, is longer than `MAX_TEXT_LENGTH`."""
    return text_length(line_feeds(text)) > MAX_TEXT_LENGTH


NUL_REASON = (
    "holds a NUL character (U+0000, invisible, often left by an export from another system), "
    "which no database can store; remove the NUL character"
)


def _typed_text(text: str) -> str:
    """A text as the models hold it: line breaks as line feeds, within the limit, whole
    characters only, and no NUL (PostgreSQL cannot store one, and SQLite would keep what
    no export can write: refused here, so every face and database refuses it alike)."""
    if reason := half_of_a_pair(text):
        raise PydanticCustomError("half_of_a_pair", reason)
    if "\x00" in text:
        raise PydanticCustomError("nul_character", f"the text {NUL_REASON}")
    if is_too_long(text):
        raise PydanticCustomError(
            "text_too_long", "at most {max_length} characters", {"max_length": MAX_TEXT_LENGTH}
        )
    return line_feeds(text)


Text = Annotated[str, AfterValidator(_typed_text)]
FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
AnswerValue = StrictInt | FiniteFloat | Text | list[Text] | None
ProgramValue = Text | StrictInt | FiniteFloat | StrictBool | None


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: AnswerValue = None
    evidence: Text = ""
    notes: Text = ""


class RubricRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id
    version: Id


class Program(BaseModel):
    """Who the self-study is about. Fields beyond these are kept as they are."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, ProgramValue] = Field(init=False)

    name: Annotated[str, Field(min_length=1), AfterValidator(_typed_text)]
    id: Text | None = None
    organization: Text | None = None
    cohort: Text | None = None
    round: Text | None = None


class SelfStudy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["selfstudy/1"] = FORMAT
    rubric: RubricRef
    program: Program
    answers: dict[Annotated[str, Field(max_length=MAX_ID_LENGTH)], Answer] = Field(
        default_factory=dict
    )

    @classmethod
    def new(cls, rubric: Rubric, name: str, **program: Any) -> SelfStudy:
        return cls(
            rubric=RubricRef(id=rubric.id, version=rubric.version),
            program=Program(name=name, **program),
        )

    def value(self, item_id: str) -> AnswerValue:
        return _value(self.answers, item_id)

    def to_json(self) -> str:
        return json_text(self.to_dict()) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=False)


def study_json_schema() -> dict[str, Any]:
    schema = SelfStudy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "selfstudy self-study file (selfstudy/1)"
    return schema


# --- reading -------------------------------------------------------------------------


def parse_study(text: str, source: str = "<self-study>") -> SelfStudy:
    """The self-study in a JSON document; raises `ProblemsFound` naming each bad key path."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(
            "json-syntax",
            f"{source}:{exc.lineno}",
            f"not valid JSON: {exc.msg} at column {exc.colno}; "
            "a self-study file is the JSON document the app or `selfstudy import` writes",
        )
        raise ProblemsFound([problem]) from None
    except ValueError:  # an integer longer than Python reads (4,300 digits)
        raise ProblemsFound([_number_too_long(text, source)]) from None
    except RecursionError:
        problem = Problem(
            "json-too-deep",
            source,
            "lists or objects are nested inside each other too deeply to read; a self-study "
            "nests only a few levels: use the file the app or `selfstudy import` wrote",
        )
        raise ProblemsFound([problem]) from None
    return study_from_data(data, source)


def _number_too_long(text: str, source: str) -> Problem:
    digits = re.search(r"\d{4301,}", text)  # Python reads up to 4,300 digits
    line = text.count("\n", 0, digits.start()) + 1 if digits else 1
    return Problem(
        "number-too-long",
        f"{source}:{line}",
        "a number has thousands of digits, more than can be read; no answer needs such a "
        "number: correct it, or use the file the app or `selfstudy import` wrote",
    )


def study_from_data(data: Any, source: str = "<self-study>") -> SelfStudy:
    return _validated(SelfStudy, data, source)


def program_from_data(data: Any, source: str = "<program>") -> Program:
    """Program details checked as a self-study file's are (a name, texts within the limit)."""
    return _validated(Program, data, source)


def _validated(model: type[M], data: Any, source: str) -> M:
    """`data` as `model`, or `ProblemsFound` naming each bad key path."""
    _refuse_halves_of_pairs(data, source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProblemsFound(_problems_of(exc, source)) from None


def _refuse_halves_of_pairs(data: Any, source: str) -> None:
    """Raise `ProblemsFound` naming each text or key of `data` that holds half of a pair, at
    its key path, before the models read it (they would name it in their own words)."""
    problems = Report()
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        path, node = stack.pop()
        key = path[-1] if path else None
        if isinstance(key, str) and (reason := half_of_a_pair(key, "the key")):
            problems.append(Problem("bad-value", source, reason, _error_path(path)))
        if isinstance(node, str) and (reason := half_of_a_pair(node)):
            problems.append(Problem("bad-value", source, reason, _error_path(path)))
        elif isinstance(node, dict):
            stack.extend(((*path, name), value) for name, value in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, index), item) for index, item in reversed(list(enumerate(node))))
    if problems:
        raise ProblemsFound(problems)


def too_long(where: str, text: str, what: str = "the text", path: str = "") -> Problem:
    """The problem of a text longer than `MAX_TEXT_LENGTH`: refused, never cut."""
    return Problem(
        "text-too-long",
        where,
        f"{what} is {text_length(line_feeds(text)):,} characters long, more than the "
        f"{MAX_TEXT_LENGTH:,} a text may hold; shorten it (keep a long document elsewhere "
        "and name it here)",
        path,
    )


def checked_texts(item_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an answer (value, evidence, notes) with their texts as the models hold
    them; raises `ProblemsFound`, naming the item and field, when a text is too long or
    holds a NUL character."""
    texts = [
        (name, text)
        for name, value in fields.items()
        for text in (value if isinstance(value, list) else [value])
        if isinstance(text, str)
    ]
    problems = [
        too_long(item_id, text, f"the {name}", name) for name, text in texts if is_too_long(text)
    ]
    problems += [
        Problem("nul-character", item_id, f"the {name} {NUL_REASON}", name)
        for name, text in texts
        if "\x00" in text
    ]
    if problems:
        raise ProblemsFound(problems)
    return {name: _line_fed(value) for name, value in fields.items()}


def _line_fed(value: Any) -> Any:
    if isinstance(value, str):
        return line_feeds(value)
    return [_line_fed(v) for v in value] if isinstance(value, list) else value


def _problems_of(exc: ValidationError, source: str) -> Report:
    """One problem per key path: a value that fits none of the kinds allowed is one problem."""
    by_path: dict[str, list[Any]] = {}
    for error in exc.errors():
        by_path.setdefault(_error_path(error["loc"]), []).append(error)
    return Report(_problem_from_errors(path, errors, source) for path, errors in by_path.items())


def _error_path(loc: tuple[Any, ...]) -> str:
    """The key path of an error: an answer's field or a program detail, not deeper (where
    pydantic names the kinds of value it tried, and the item of a list)."""
    head = loc[0] if loc else None
    loc = tuple(part for part in loc if part != "[key]")  # an answer's id, not its value
    parts = [_key(part) for part in loc[: {"answers": 3, "program": 2}.get(head, len(loc))]]
    if len(parts) > 1 and head == "answers":
        parts = [f"answers[{_item_key(loc[1])}]", *parts[2:]]
    return format_path(tuple(parts))


def _item_key(item_id: Any) -> str:
    """An item id as a key path names it, `answers['PG.1.a']`: quoted, cut short."""
    return repr(clip(str(item_id), 40))


def _key(part: Any) -> Any:
    """A key of a key path as a problem line shows it: cut short, control characters escaped."""
    if not isinstance(part, str):
        return part
    return part if len(part) <= 40 and part.isprintable() else _shown(part)


def _problem_from_errors(path: str, errors: list[Any], source: str) -> Problem:
    if any(e["type"] == "nul_character" for e in errors):
        return Problem("nul-character", source, f"the text {NUL_REASON}", path)
    long_text = next((e["input"] for e in errors if e["type"] == "text_too_long"), None)
    if isinstance(long_text, str):
        return too_long(source, long_text, path=path)
    long_id = next((e["input"] for e in errors if e["type"] == "string_too_long"), None)
    if isinstance(long_id, str):
        what, fix = (
            ("item id", "remove the answer, or use an id its rubric gives")
            if path.startswith("answers")
            else ("rubric id or version", "use the one its rubric file names")
        )
        return Problem(
            "bad-value",
            source,
            f"{len(long_id):,} characters, longer than any {what} ({MAX_ID_LENGTH} at most); {fix}",
            path,
        )
    error = errors[0]
    kind = error["type"]
    if len(errors) > 1:  # no kind of value fits
        shown = _shown(error["input"])
        if path.startswith("answers"):
            return Problem(
                "bad-value",
                source,
                f"{shown} is not an answer: write a number such as 3, text in quotes, "
                "or a list of options in [ ]",
                path,
            )
        return Problem(
            "bad-value",
            source,
            f"{shown} is not a program detail: write text in quotes, or a number",
            path,
        )
    if kind == "model_type" and not path:
        return Problem(
            "bad-value",
            source,
            f"the file holds {_shown(error['input'])}, not a self-study: a self-study file is "
            f'a JSON object that begins {{"format": "{FORMAT}"',
        )
    if kind == "missing":
        return Problem("missing-key", source, "missing required key; add it", path)
    if kind == "extra_forbidden":
        return Problem("unknown-key", source, "unknown key; remove it or check its spelling", path)
    if kind == "literal_error" and path == "format":
        return Problem(
            "unknown-format", source, f'expected "{FORMAT}", got {_shown(error["input"])}', path
        )
    if kind == "string_too_short":
        return Problem("empty-value", source, "must not be empty", path)
    message = error["msg"]
    return Problem("bad-value", source, f"{message[0].lower()}{message[1:]}", path)


def _shown(value: Any) -> str:
    """A value as JSON writes it, cut short: `true`, `"Gr…"`."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return clip(text, 40)


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
            return f"a rating is a scale value ({_scale_text(rubric)}), got {_shown(value)}"
        if value not in rubric.scale.values:
            return f"{_shown(value)} is not on the scale; use one of {_scale_text(rubric)}"
    elif item.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {_shown(value)}"
    elif item.type == "text":
        if not isinstance(value, str):
            return f"expected text, got {_shown(value)}"
    elif item.type == "choice":
        if value not in (item.options or []):
            return f"{_shown(value)} is not one of the options: {'; '.join(item.options or [])}"
    elif item.type == "multichoice":
        chosen = value if isinstance(value, list) else [value]
        unknown = [v for v in chosen if v not in (item.options or [])]
        if unknown:
            return f"{_shown(unknown)} not among the options: {'; '.join(item.options or [])}"
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
                f"the self-study is for rubric {_shown(study.rubric.id)}, not {rubric.id!r}; "
                "choose the rubric it names",
                "rubric.id",
            )
        )
    elif study.rubric.version != rubric.version:
        problems.append(
            Problem(
                "rubric-version-mismatch",
                source,
                f"the self-study is for version {_shown(study.rubric.version)} of {rubric.id!r}, "
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
                    f"{_item_key(item_id)} is not an item of {rubric.id!r}; remove it or fix "
                    "the id",
                    f"answers[{_item_key(item_id)}]",
                )
            )
            continue
        reason = value_problem(rubric, item, answer.value)
        if reason:
            problems.append(Problem("bad-answer", source, reason, f"answers[{item_id!r}].value"))
    return problems
