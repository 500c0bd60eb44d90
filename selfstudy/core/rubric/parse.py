"""Read a rubric's YAML text into a `Rubric`, reporting every problem at once.

Each problem carries the file, the line, the key path and how to fix it:

    rubrics/x.yaml:42: dimensions[1].standards[0].items[2].id: duplicate id 'PG.1.a' (...)

YAML is read with the YAML 1.2 notion of booleans (only `true`/`false`), so a
rubric author's `equals: Yes` or `options: [Yes, No]` stays the text "Yes"; and,
as in YAML 1.2, a date is text: `version: 2025-01-15` is the version "2025-01-15".

A rubric file may come from anyone, so reading it is bounded before anything
is built: its size (`MAX_RUBRIC_CHARS`), its nesting (`MAX_DEPTH`, far beyond
the few levels the format has), and no aliases at all. An alias (`*name`)
repeats an anchored value (`&name`) wherever it is named, so nine lines of
aliases can stand for a billion values ("billion laughs"); a rubric has no need
of them, since each standard and item is written out once, and a value spelt
out where it applies also keeps its own line for the problem reports.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from selfstudy.core.links import LINK_SCHEMES, link_target, scheme_of
from selfstudy.core.problems import Problem, Report, clip, quoted
from selfstudy.core.rubric import (
    ChangeIdea,
    Dimension,
    Item,
    Level,
    Resource,
    Rubric,
    Scale,
    ShowIf,
    Standard,
)
from selfstudy.core.rubric.checks import KeyPath, check_rubric_document, format_path

MAX_RUBRIC_CHARS = 1_000_000  # about twenty times the bundled rubric
MAX_DEPTH = 32  # the format needs about ten levels of nesting

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed


class _Yaml12Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader that reads as YAML 1.2's core schema does: its booleans only (`yes`, `no`,
    `on`, `off` stay text), and no dates (`2025-01-15` stays text)."""


_NOT_IN_YAML_12 = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _NOT_IN_YAML_12]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Document:
    """A YAML document as plain data, with the line and the written text of every key path."""

    def __init__(self, text: str):
        self.text = text
        self.lines: dict[KeyPath, int] = {}
        self.spans: dict[KeyPath, tuple[int, int]] = {}  # where each value is in the text
        self.duplicates: list[tuple[KeyPath, int, int]] = []
        self.unusable_keys: list[int] = []  # lines of keys that are lists or blocks
        self.overlong_numbers: list[int] = []  # lines of integers Python will not read
        loader = _Yaml12Loader(text)
        try:
            node = loader.get_single_node()
            self.data = self._build(loader, node, ()) if node is not None else None
        finally:
            loader.dispose()

    def _build(self, loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        self.spans.setdefault(path, (node.start_mark.index, node.end_mark.index))
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._construct(loader, key_node)
                line = key_node.start_mark.line + 1
                if not isinstance(key, Hashable):
                    self.unusable_keys.append(line)
                    continue
                child = (*path, key)
                if key in out:
                    self.duplicates.append((child, line, self.lines[child]))
                    continue
                self.lines[child] = line
                out[key] = self._build(loader, value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._build(loader, n, (*path, i)) for i, n in enumerate(node.value)]
        return self._construct(loader, node)

    def _construct(self, loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        """The value of a key or scalar; a tag it does not fit is a YAML error at its line."""
        try:
            return loader.construct_object(node, deep=True)
        except (ValueError, TypeError, AttributeError, KeyError):
            if re.fullmatch(r"[-+]?[0-9_]{4301,}", str(node.value)):  # Python reads 4,300 digits
                self.overlong_numbers.append(node.start_mark.line + 1)
                return None
            tag = node.tag.rsplit(":", 1)[-1]  # a tag the value does not fit: `!!timestamp x`
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{quoted(node.value, 40)} is not a {tag}: remove the tag `!!{tag}` or correct "
                "the value",
                node.start_mark,
            ) from None

    def written(self, path: KeyPath) -> str | None:
        """The value at `path` as the file writes it, when it is on one line."""
        start, end = self.spans.get(path, (0, 0))
        text = self.text[start:end]
        return text if text and "\n" not in text else None

    def line_of(self, path: KeyPath) -> int | None:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)


def parse_rubric(text: str, source: str = "<rubric>") -> Rubric:
    """The rubric in `text`; raises `ProblemsFound` when any problem is an error."""
    rubric, problems = read_rubric(text, source)
    problems.raise_if_errors()
    assert rubric is not None
    return rubric


def read_rubric(text: str, source: str = "<rubric>") -> tuple[Rubric | None, Report]:
    """The rubric in `text` (None when it has an error) and every problem, warnings included."""
    if len(text) > MAX_RUBRIC_CHARS:
        return None, Report([too_large(source)])
    if unreadable := _unreadable_characters(text, source):
        return None, unreadable
    try:
        unsafe = _unsafe_structure(text, source)
        if unsafe:
            return None, unsafe
        doc = _Document(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = f"YAML syntax error: {clip(str(exc.problem or exc), 200)}"
        if exc.context:
            message += f" ({clip(exc.context, 100)})"
        message += "; check indentation, colons and quotes on this line or the one above"
        return None, Report([Problem("yaml-syntax", f"{source}:{line}", message)])
    except yaml.YAMLError as exc:
        return None, Report(
            [Problem("yaml-syntax", f"{source}:1", f"YAML error: {clip(str(exc), 200)}")]
        )

    def at(path: KeyPath) -> str:
        return f"{source}:{doc.line_of(path) or 1}"

    problems = Report(
        Problem(
            "duplicate-key",
            f"{source}:{line}",
            f"key {quoted(path[-1])} appears twice in the same block (first at line {first}); "
            "keep one of them",
            format_path(path),
        )
        for path, line, first in doc.duplicates
    )
    problems += (
        Problem(
            "wrong-type",
            f"{source}:{line}",
            "a key is a list or a block here; a key is a name (or a scale value), then `:`",
        )
        for line in doc.unusable_keys
    )
    problems += (
        Problem(
            "number-too-long",
            f"{source}:{line}",
            "a number has thousands of digits, more than can be read; no rubric value needs "
            "such a number: correct it",
        )
        for line in doc.overlong_numbers
    )
    if not isinstance(doc.data, dict):
        problems.append(
            Problem(
                "not-a-mapping",
                f"{source}:1",
                "a rubric is a YAML mapping starting with `id:`, `version:`, `title:`; "
                "see rubric-format.md",
            )
        )
        return None, problems
    problems += check_rubric_document(doc.data, at, doc.line_of)
    try:
        rubric = Rubric.model_validate(doc.data, context={"checked": True})
    except ValidationError as exc:
        reported: set[KeyPath] = set()
        for error in exc.errors():
            path = _data_path(tuple(error["loc"]), doc.data)
            if path in reported:  # the other members of a union (int | float) say the same
                continue
            reported.add(path)
            code, message = _explain({**error, "loc": path}, doc.written(path))
            problems.append(Problem(code, at(path), message, format_path(path)))
        rubric = None
    if rubric is not None:
        problems += _resources_not_links(rubric, at)
    problems.sort(key=lambda p: _line_number(p.location))
    return (None if problems.has_errors else rubric), problems


def too_large(source: str) -> Problem:
    return Problem(
        "rubric-too-large",
        f"{source}:1",
        f"the file is larger than a rubric can be ({MAX_RUBRIC_CHARS:,} characters); "
        "check that it is the rubric file, or split it into several rubrics",
    )


# What YAML 1.1 lets a file hold (its spec, section 5.1): no other control character, no
# lone surrogate. Found first, so each is reported on its line whichever YAML reader is used.
_NOT_IN_YAML = re.compile(r"[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _unreadable_characters(text: str, source: str) -> Report:
    problems = Report()
    for number, line in enumerate(text.split("\n"), 1):
        if found := _NOT_IN_YAML.search(line):
            problems.append(
                Problem(
                    "yaml-syntax",
                    f"{source}:{number}",
                    f"a hidden character (U+{ord(found.group()):04X}) that a YAML file cannot "
                    "hold; delete it, or type the line again",
                )
            )
    return problems


def _unsafe_structure(text: str, source: str) -> Report:
    """Aliases and nesting beyond `MAX_DEPTH`, read from the YAML events before any value is
    built (see the module docstring); each alias once per line."""
    problems = Report()
    depth = 0
    loader = _Yaml12Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            where = f"{source}:{event.start_mark.line + 1}"
            if isinstance(event, yaml.AliasEvent):
                if not problems or problems[-1].location != where:
                    problems.append(
                        Problem(
                            "yaml-alias",
                            where,
                            "a YAML alias (`*name`) is not allowed in a rubric; write the value "
                            "out in full here, and remove its anchor (`&name`)",
                        )
                    )
            elif isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    problems.append(
                        Problem(
                            "yaml-too-deep",
                            where,
                            f"lists and blocks are nested more than {MAX_DEPTH} levels deep "
                            "here; a rubric needs about ten, as in rubric-format.md",
                        )
                    )
                    break
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()
    return problems


def _resources_not_links(rubric: Rubric, at: Callable[[KeyPath], str]) -> Report:
    """A warning for each resource address, of a standard or of its change ideas, that will
    be shown as text, not as a link."""
    warnings = Report()
    for path, resource in _resources(rubric):
        if resource.url is None or link_target(resource.url) is not None:
            continue
        warnings.append(
            Problem(
                "not-a-link",
                at((*path, "url")),
                _not_a_link_message(resource.url),
                format_path((*path, "url")),
                severity="warning",
            )
        )
    return warnings


def _resources(rubric: Rubric) -> Iterator[tuple[KeyPath, Resource]]:
    """Every resource of the rubric with its key path, in file order."""
    for d, dimension in enumerate(rubric.dimensions):
        for s, standard in enumerate(dimension.standards):
            s_path: KeyPath = ("dimensions", d, "standards", s)
            for r, resource in enumerate(standard.resources):
                yield (*s_path, "resources", r), resource
            for c, idea in enumerate(standard.change_ideas):
                for r, resource in enumerate(idea.resources):
                    yield (*s_path, "change_ideas", c, "resources", r), resource


def _not_a_link_message(url: str) -> str:
    scheme = scheme_of(url)
    fix = "use a web (https://…) or e-mail (mailto:…) address"
    if scheme and scheme not in LINK_SCHEMES and len(scheme) <= 20:
        return f"a {quoted(scheme)} address is shown as text, never as a link; {fix}"
    return (
        "this address is shown as text, not as a link: it is not a whole web or e-mail "
        f"address, or has spaces or hidden characters in it; {fix}"
    )


def _data_path(loc: KeyPath, data: Any) -> KeyPath:
    """`loc` without the union member names pydantic inserts (`target.int`)."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif isinstance(node, dict) and last:
            pass  # a missing or unknown key: keep its name
        else:
            continue
        path.append(part)
    return tuple(path)


_READ_AS = (
    (bool, "true or false"),
    (int | float, "a number"),
    (list, "a list"),
    (dict, "keys and values"),
)


def _not_text(field: str | int, value: Any, written: str | None) -> str:
    """Why a value is not text, and how to write it as text: in quotes, as written."""
    if value is None:
        return "expected text, but the value is empty; write it after the key"
    what = next((words for kind, words in _READ_AS if isinstance(value, kind)), "not text")
    if written is None:
        return f"expected text, got {what}; check the indentation, or put the text in quotes"
    if len(written) > 40:
        return f"expected text, but {clip(written, 40)} is read as {what}; put it in quotes"
    example = '"' + written.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return (
        f"expected text, but {written} is read as {what}; put it in quotes "
        f"(for example {example if isinstance(field, int) else f'{field}: {example}'})"
    )


def _line_number(location: str) -> int:
    return int(location.rsplit(":", 1)[1])


_MODEL_AT_DEPTH: dict[tuple[str | int, ...], type[BaseModel]] = {
    (): Rubric,
    ("scale",): Scale,
    ("scale", "levels", 0): Level,
    ("dimensions", 0): Dimension,
    ("dimensions", 0, "standards", 0): Standard,
    ("dimensions", 0, "standards", 0, "resources", 0): Resource,
    ("dimensions", 0, "standards", 0, "change_ideas", 0): ChangeIdea,
    ("dimensions", 0, "standards", 0, "change_ideas", 0, "resources", 0): Resource,
    ("dimensions", 0, "standards", 0, "items", 0): Item,
    ("dimensions", 0, "standards", 0, "items", 0, "show_if"): ShowIf,
}


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    shape = tuple(0 if isinstance(p, int) else p for p in path)
    return _MODEL_AT_DEPTH.get(shape)


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _explain(error: dict[str, Any], written: str | None = None) -> tuple[str, str]:
    """A stable code and a how-to-fix sentence for one pydantic error; `written` is the
    value as the file writes it, when it is on one line."""
    kind, loc = error["type"], tuple(error["loc"])
    field = loc[-1] if loc else ""
    parent = _model_at(loc[:-1])
    if kind == "extra_forbidden":
        allowed = _allowed_keys(parent) if parent else []
        close = difflib.get_close_matches(str(field), allowed, n=1)
        hint = (
            f"did you mean {quoted(close[0])}?" if close else f"allowed keys: {', '.join(allowed)}"
        )
        return "unknown-key", f"unknown key {quoted(field)}; {hint}"
    if kind == "missing":
        return "missing-key", f"missing required key {quoted(field)}; add it"
    if kind in ("too_short",) and field in ("items", "standards", "dimensions", "levels"):
        need = "at least two levels" if field == "levels" else f"at least one entry in {field}"
        return "empty-list", f"{field} is empty; add {need}"
    if kind in ("greater_than",) and field == "weight":
        return "bad-weight", f"weight must be greater than 0, got {quoted(error.get('input'))}"
    if kind in ("string_pattern_mismatch", "string_too_long") and loc == ("id",):
        return "bad-slug", (
            f"{quoted(error.get('input'))} is not a valid rubric id; use lower-case letters, "
            "digits and '-' (for example 'stem-equity-self-study')"
        )
    if kind == "string_too_long":
        return "bad-value", (
            f"{quoted(error.get('input'), 40)} is {len(str(error.get('input'))):,} characters "
            f"long; at most {error.get('ctx', {}).get('max_length')} are allowed here: shorten it"
        )
    if kind == "string_too_short":
        if isinstance(field, int):
            return "empty-value", "this entry of the list is empty; fill it in or remove it"
        return "empty-value", f"{quoted(field)} is empty; write it after the key"
    if kind == "string_type":
        return "wrong-type", _not_text(field, error.get("input"), written)
    if kind == "literal_error":
        return "bad-value", f"{quoted(error.get('input'))} is not allowed; {error['msg'].lower()}"
    if kind == "value_error" and loc and loc[-1] == "show_if":
        return (
            "bad-show-if",
            "show_if needs `item:` and exactly one of equals, in, at_least, at_most",
        )
    if kind == "value_error" and parent is None and _model_at(loc) is ShowIf:
        return (
            "bad-show-if",
            "show_if needs `item:` and exactly one of equals, in, at_least, at_most",
        )
    if kind == "finite_number":
        return "wrong-type", f"expected an ordinary number, got {quoted(error.get('input'))}"
    if kind.startswith(("int_", "float_")):
        return "wrong-type", f"expected a number, got {quoted(error.get('input'))}"
    if kind == "bool_type":
        return "wrong-type", f"expected true or false, got {quoted(error.get('input'))}"
    message = error["msg"]
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return "wrong-type", f"{message[0].lower()}{message[1:]}, got {quoted(error.get('input'))}"
    return "bad-value", f"{message[0].lower()}{message[1:]}"
