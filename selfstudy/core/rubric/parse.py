"""Read a rubric's YAML text into a `Rubric`, reporting every problem at once.

Each problem carries the file, the line, the key path and how to fix it:

    rubrics/x.yaml:42: dimensions[1].standards[0].items[2].id: duplicate id 'PG.1.a' (...)

YAML is read with the YAML 1.2 notion of booleans (only `true`/`false`), so a
rubric author's `equals: Yes` or `options: [Yes, No]` stays the text "Yes".
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rubric import Dimension, Item, Level, Resource, Rubric, Scale, ShowIf, Standard
from selfstudy.core.rubric.checks import KeyPath, check_rubric_document, format_path

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed


class _Yaml12Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader whose booleans are YAML 1.2's: `yes`, `no`, `on`, `off` stay text."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Document:
    """A YAML document as plain data, with the line of every key path."""

    def __init__(self, text: str):
        self.lines: dict[KeyPath, int] = {}
        self.duplicates: list[tuple[KeyPath, int, int]] = []
        loader = _Yaml12Loader(text)
        try:
            node = loader.get_single_node()
            self.data = self._build(loader, node, ()) if node is not None else None
        finally:
            loader.dispose()

    def _build(self, loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                child = (*path, key)
                line = key_node.start_mark.line + 1
                if key in out:
                    self.duplicates.append((child, line, self.lines[child]))
                    continue
                self.lines[child] = line
                out[key] = self._build(loader, value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._build(loader, n, (*path, i)) for i, n in enumerate(node.value)]
        return loader.construct_object(node, deep=True)

    def line_of(self, path: KeyPath) -> int | None:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)


def parse_rubric(text: str, source: str = "<rubric>") -> Rubric:
    rubric, problems = _parse(text, source)
    if problems:
        raise ProblemsFound(problems)
    assert rubric is not None
    return rubric


def _parse(text: str, source: str) -> tuple[Rubric | None, Report]:
    try:
        doc = _Document(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = f"YAML syntax error: {exc.problem or exc}"
        if exc.context:
            message += f" ({exc.context})"
        message += "; check indentation, colons and quotes on this line or the one above"
        return None, Report([Problem("yaml-syntax", f"{source}:{line}", message)])
    except yaml.YAMLError as exc:
        return None, Report([Problem("yaml-syntax", f"{source}:1", f"YAML error: {exc}")])

    def at(path: KeyPath) -> str:
        return f"{source}:{doc.line_of(path) or 1}"

    problems = Report(
        Problem(
            "duplicate-key",
            f"{source}:{line}",
            f"key {path[-1]!r} appears twice in the same block (first at line {first}); "
            "keep one of them",
            format_path(path),
        )
        for path, line, first in doc.duplicates
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
            code, message = _explain({**error, "loc": path})
            problems.append(Problem(code, at(path), message, format_path(path)))
        rubric = None
    problems.sort(key=lambda p: _line_number(p.location))
    return (None if problems else rubric), problems


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


def _line_number(location: str) -> int:
    return int(location.rsplit(":", 1)[1])


_MODEL_AT_DEPTH: dict[tuple[str | int, ...], type[BaseModel]] = {
    (): Rubric,
    ("scale",): Scale,
    ("scale", "levels", 0): Level,
    ("dimensions", 0): Dimension,
    ("dimensions", 0, "standards", 0): Standard,
    ("dimensions", 0, "standards", 0, "resources", 0): Resource,
    ("dimensions", 0, "standards", 0, "items", 0): Item,
    ("dimensions", 0, "standards", 0, "items", 0, "show_if"): ShowIf,
}


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    shape = tuple(0 if isinstance(p, int) else p for p in path)
    return _MODEL_AT_DEPTH.get(shape)


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _explain(error: dict[str, Any]) -> tuple[str, str]:
    """A stable code and a how-to-fix sentence for one pydantic error."""
    kind, loc = error["type"], tuple(error["loc"])
    field = loc[-1] if loc else ""
    parent = _model_at(loc[:-1])
    if kind == "extra_forbidden":
        allowed = _allowed_keys(parent) if parent else []
        close = difflib.get_close_matches(str(field), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        return "unknown-key", f"unknown key {field!r}; {hint}"
    if kind == "missing":
        return "missing-key", f"missing required key {field!r}; add it"
    if kind in ("too_short",) and field in ("items", "standards", "dimensions", "levels"):
        need = "at least two levels" if field == "levels" else f"at least one entry in {field}"
        return "empty-list", f"{field} is empty; add {need}"
    if kind in ("greater_than",) and field == "weight":
        return "bad-weight", f"weight must be greater than 0, got {error.get('input')!r}"
    if kind == "string_pattern_mismatch" and field == "id":
        return "bad-slug", (
            f"{error.get('input')!r} is not a valid rubric id; use lower-case letters, digits "
            "and '-' (for example 'stem-equity-self-study')"
        )
    if kind == "string_type":
        return "wrong-type", (
            f"expected text, got {error.get('input')!r}; put the value in quotes "
            f'(for example {field}: "{error.get("input")}")'
        )
    if kind == "literal_error":
        return "bad-value", f"{error.get('input')!r} is not allowed; {error['msg'].lower()}"
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
    if kind.startswith(("int_", "float_")):
        return "wrong-type", f"expected a number, got {error.get('input')!r}"
    if kind == "bool_type":
        return "wrong-type", f"expected true or false, got {error.get('input')!r}"
    message = error["msg"]
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return "wrong-type", f"{message[0].lower()}{message[1:]}, got {error.get('input')!r}"
    return "bad-value", f"{message[0].lower()}{message[1:]}"
