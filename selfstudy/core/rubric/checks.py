"""Rules of a rubric that span several nodes, checked on the raw document.

They run on plain dicts and lists, before (and whatever the outcome of) the
pydantic validation of each node, so one pass reports every problem. Every
check tolerates missing or mistyped parts: those are reported by the models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from selfstudy.core.problems import Problem, Report, clip, quoted

KeyPath = tuple[str | int, ...]
"""Where a value is inside the document: `("dimensions", 0, "id")`."""

LineOf = Callable[[KeyPath], int | None]
Locate = Callable[[KeyPath], str]
Add = Callable[[str, KeyPath, str], None]


def format_path(path: KeyPath) -> str:
    """`dimensions[0].standards[1].id`; a key longer than any the format has is cut short."""
    out = ""
    for part in path:
        key = clip(str(part), 60)
        out += f"[{key}]" if isinstance(part, int) else (f".{key}" if out else key)
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _where(path: KeyPath, line_of: LineOf | None) -> str:
    line = line_of(path) if line_of else None
    return f"line {line}" if line else format_path(path)


def check_rubric_document(
    doc: Any, locate: Locate = format_path, line_of: LineOf | None = None
) -> Report:
    """Every cross-node problem of `doc`, each located by `locate(key path)`.

    `line_of`, when given, names the line of an earlier use in a duplicate-id message.
    """
    doc = _dict(doc)
    found = Report()

    def add(code: str, path: KeyPath, message: str) -> None:
        found.append(Problem(code, locate(path), message, format_path(path)))

    values, labels = _check_scale(_dict(doc.get("scale")), add)
    scale_values = set(values)
    _check_target(doc.get("target"), ("target",), scale_values, add)

    seen_dimensions: dict[str, KeyPath] = {}
    seen_ids: dict[str, KeyPath] = {}  # standards and items share one namespace
    seen_ideas: dict[str, KeyPath] = {}  # change ideas have their own, across the rubric
    items_so_far: dict[str, dict[str, Any]] = {}
    for d_index, dimension in enumerate(_list(doc.get("dimensions"))):
        d_path: KeyPath = ("dimensions", d_index)
        dimension = _dict(dimension)
        _check_unique(dimension.get("id"), (*d_path, "id"), seen_dimensions, add, line_of)
        _check_target(dimension.get("target"), (*d_path, "target"), scale_values, add)
        for s_index, standard in enumerate(_list(dimension.get("standards"))):
            s_path: KeyPath = (*d_path, "standards", s_index)
            standard = _dict(standard)
            _check_unique(standard.get("id"), (*s_path, "id"), seen_ids, add, line_of)
            _check_target(standard.get("target"), (*s_path, "target"), scale_values, add)
            for key in _dict(standard.get("levels")):
                if scale_values and key not in scale_values:
                    add(
                        "level-not-on-scale",
                        (*s_path, "levels", key),
                        f"{quoted(key)} is not a scale value; use one of {_show(values)}",
                    )
            for c_index, idea in enumerate(_list(standard.get("change_ideas"))):
                c_path: KeyPath = (*s_path, "change_ideas", c_index, "id")
                _check_unique(_dict(idea).get("id"), c_path, seen_ideas, add, line_of)
            for i_index, item in enumerate(_list(standard.get("items"))):
                i_path: KeyPath = (*s_path, "items", i_index)
                item = _dict(item)
                _check_unique(item.get("id"), (*i_path, "id"), seen_ids, add, line_of)
                _check_item(item, i_path, items_so_far, values, labels, add)
                if isinstance(item.get("id"), str):
                    items_so_far.setdefault(item["id"], item)
    return found


def _show(values: list[Any]) -> str:
    return clip(", ".join(clip(str(v), 40) for v in values), 200)


def _check_scale(scale: dict[str, Any], add: Add) -> tuple[list[Any], list[str]]:
    levels = [_dict(level) for level in _list(scale.get("levels"))]
    values = [level.get("value") for level in levels if _number(level.get("value"))]
    labels = [level.get("label") for level in levels if isinstance(level.get("label"), str)]
    for index in range(1, len(levels)):
        previous, current = levels[index - 1].get("value"), levels[index].get("value")
        if _number(previous) and _number(current) and current <= previous:
            add(
                "scale-not-increasing",
                ("scale", "levels", index, "value"),
                f"value {quoted(current)} must be greater than the value before it "
                f"({quoted(previous)}); "
                "list the levels from lowest to highest",
            )
    seen: dict[str, int] = {}
    for index, level in enumerate(levels):
        label = level.get("label")
        if not isinstance(label, str):
            continue
        key = " ".join(label.split()).casefold()
        if key in seen:
            add(
                "duplicate-label",
                ("scale", "levels", index, "label"),
                f"label {quoted(label)} is already used by level {seen[key] + 1}; "
                "give every level its own label",
            )
        elif key in {"n/a", "na", "not applicable"}:
            add(
                "reserved-label",
                ("scale", "levels", index, "label"),
                f"label {quoted(label)} is reserved for 'not applicable'; "
                "use allow_na: true instead",
            )
        seen.setdefault(key, index)
    return values, labels


def _check_target(value: Any, path: KeyPath, scale_values: set[Any], add: Add) -> None:
    if _number(value) and scale_values and value not in scale_values:
        add(
            "target-not-on-scale",
            path,
            f"target {quoted(value)} is not a scale value; use one of "
            f"{_show(sorted(scale_values))}",
        )


def _check_unique(
    value: Any, path: KeyPath, seen: dict[str, KeyPath], add: Add, line_of: LineOf | None
) -> None:
    if not isinstance(value, str):
        return
    if value in seen:
        add(
            "duplicate-id",
            path,
            f"duplicate id {quoted(value)} (first used at {_where(seen[value], line_of)}); "
            "ids must be unique, rename one of them",
        )
    else:
        seen[value] = path


def _check_item(
    item: dict[str, Any],
    path: KeyPath,
    earlier: dict[str, dict[str, Any]],
    values: list[Any],
    labels: list[str],
    add: Add,
) -> None:
    kind = item.get("type", "rating")
    if kind in ("choice", "multichoice") and not _list(item.get("options")):
        add(
            "missing-options",
            (*path, "options"),
            f"a {kind} item needs options: add `options: [First, Second, ...]`",
        )
    if kind not in ("choice", "multichoice") and item.get("options") is not None:
        add(
            "unexpected-options",
            (*path, "options"),
            f"options are only for choice and multichoice items, not {quoted(kind)}; remove them",
        )
    if kind != "rating" and item.get("weight") is not None:
        add(
            "unexpected-weight",
            (*path, "weight"),
            f"only rating items are scored, so a {quoted(kind)} item takes no weight; remove it",
        )
    options = item.get("options")
    if isinstance(options, list) and len(set(map(str, options))) != len(options):
        add("duplicate-option", (*path, "options"), "options must be unique")
    show_if = item.get("show_if")
    if isinstance(show_if, dict):
        _check_show_if(show_if, (*path, "show_if"), item.get("id"), earlier, values, labels, add)


def _check_show_if(
    rule: dict[str, Any],
    path: KeyPath,
    own_id: Any,
    earlier: dict[str, dict[str, Any]],
    values: list[Any],
    labels: list[str],
    add: Add,
) -> None:
    target_id = rule.get("item")
    if not isinstance(target_id, str):
        return
    if target_id == own_id:
        add("show-if-self", (*path, "item"), "an item cannot depend on itself")
        return
    if target_id not in earlier:
        add(
            "show-if-unknown-item",
            (*path, "item"),
            f"show_if names {quoted(target_id)}, which is not an item earlier in the rubric; "
            "name an item that comes before this one",
        )
        return
    target = earlier[target_id]
    kind = target.get("type", "rating")
    operators = [op for op in ("equals", "in", "at_least", "at_most") if rule.get(op) is not None]
    for op in operators:
        operand = rule[op]
        if op in ("at_least", "at_most"):
            if kind not in ("rating", "number"):
                add(
                    "show-if-bad-value",
                    (*path, op),
                    f"{op} compares numbers, but {quoted(target_id)} is a {quoted(kind)} item; "
                    "use equals or in",
                )
            elif kind == "rating" and values and operand not in values:
                add(
                    "show-if-bad-value",
                    (*path, op),
                    f"{quoted(operand)} is not a scale value; use one of {_show(values)}",
                )
            continue
        for value in operand if op == "in" and isinstance(operand, list) else [operand]:
            problem = _impossible_value(value, kind, target, values, labels)
            if problem:
                add("show-if-bad-value", (*path, op), problem)


def _impossible_value(
    value: Any, kind: str, target: dict[str, Any], values: list[Any], labels: list[str]
) -> str | None:
    if kind in ("choice", "multichoice"):
        options = _list(target.get("options"))
        if value not in options:
            return (
                f"{quoted(value)} is not one of the options of {quoted(target.get('id'))}: "
                f"{_show(options)}"
            )
    elif kind == "rating":
        folded = {" ".join(label.split()).casefold() for label in labels}
        is_label = isinstance(value, str) and " ".join(value.split()).casefold() in folded
        if not (is_label or (_number(value) and value in values) or value == "N/A"):
            return (
                f"{quoted(value)} is neither a scale value nor a label; "
                f"use one of {_show(values)} or {_show(labels)}"
            )
    elif kind == "number" and not _number(value):
        return f"{quoted(target.get('id'))} is a number item; compare it with a number"
    return None
