"""Answer values and the Rating cells that hold them, both ways.

Cell values round-trip exactly under these rules, which the edges rely on:

* a rating is written as its scale label, N/A as `N/A`;
* a multichoice answer is its options joined by `"; "`; on import the cell is
  split on `;` or `,` by matching the item's options, so an option that itself
  holds a comma or a semicolon still comes back whole;
* a number answer is written as a number cell when the cell gives it back
  exactly (an `int`, or a `float` that is not whole), otherwise as text
  (`"3.0"`, a 17-digit integer); on import a whole number cell is an `int`, and
  text is read with `int()` first, then `float()`;
* text is written as it is: the edges keep it from ever being a formula.

An answer with no value, evidence or notes is the same as no answer: it is
not written as anything and does not come back.
"""

from __future__ import annotations

import math
import re

from selfstudy.core.problems import Problem
from selfstudy.core.rubric import NA, Item, Number, Rubric, Scale
from selfstudy.core.sheetcopy.vocabulary import (
    _EXACT_FLOAT_LIMIT,
    MULTICHOICE_SEPARATOR,
    NA_SPELLINGS,
    Cell,
    cell_text,
    is_blank,
    normalize,
    shown,
)
from selfstudy.core.study import AnswerValue, is_answered

_NUMBER_AND_LABEL = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(?:[-–—:.)=]\s*|\s+)(.+)$")
_LABEL_AND_NUMBER = re.compile(r"^\s*(.+?)\s*\(\s*([-+]?\d+(?:\.\d+)?)\s*\)\s*$")  # Established (3)
_NUMBER_IN_TEXT = re.compile(r"[-+]?(?:\d[\d,]*)?\.?\d+(?:[eE][-+]?\d+)?")
# A rating cell with more text than this is no rating; the patterns above never see it
# (matching them takes time that grows with the square of the text's length).
_RATING_TEXT_LIMIT = 200


def export_value(rubric: Rubric, item: Item, value: AnswerValue) -> Cell:
    """What goes in the Rating cell for this answer (see the module doc for the rules)."""
    if not is_answered(value):
        return None
    if item.is_rating and isinstance(value, int | float) and value in rubric.scale.values:
        return rubric.scale.label_of(value)
    if isinstance(value, list):
        return MULTICHOICE_SEPARATOR.join(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value if abs(value) < _EXACT_FLOAT_LIMIT else str(value)
    if isinstance(value, float):
        exact = math.isfinite(value) and not value.is_integer() and float(f"{value:.15g}") == value
        return value if exact else repr(value)
    return value


def read_value(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    """The answer a Rating cell holds for `item`; a problem is added when it cannot be read."""
    if is_blank(cell):
        return None
    reader = {
        "rating": _read_rating,
        "text": _read_text,
        "choice": _read_choice,
        "multichoice": _read_multichoice,
        "number": _read_number,
    }[item.type]
    return reader(rubric, item, cell, where, problems)


def _read_rating(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    scale = rubric.scale
    if isinstance(cell, str) and normalize(cell) in NA_SPELLINGS:
        if scale.allow_na:
            return NA
        problems.append(
            Problem(
                "na-not-allowed",
                where,
                "this rubric does not allow N/A; choose a rating or clear the cell",
            )
        )
        return None
    value = _rating_from_cell(rubric, cell)
    if value is None:
        choices = ", ".join(f"{lv.label} ({cell_text(lv.value)})" for lv in scale.levels)
        problems.append(
            Problem(
                "bad-rating",
                where,
                f"{shown(cell)} is not a rating on this scale; choose one of "
                f"{choices}" + (" or N/A" if scale.allow_na else ""),
            )
        )
    return value


def _rating_from_cell(rubric: Rubric, cell: Cell) -> Number | None:
    scale = rubric.scale
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return scale.rating_value(cell)
    text = str(cell).strip()
    if len(text) > _RATING_TEXT_LIMIT:
        return None
    by_label = _by_label(scale).get(" ".join(text.split()).casefold())  # scale.rating_value
    if by_label is not None:
        return by_label
    number = _parse_number(text)
    if number is not None:
        return scale.rating_value(number)
    for pattern, number_group, label_group in (
        (_NUMBER_AND_LABEL, 1, 2),
        (_LABEL_AND_NUMBER, 2, 1),
    ):
        both = pattern.match(text)
        if both:
            from_number = scale.rating_value(_parse_number(both.group(number_group)))
            if from_number is not None and from_number == scale.rating_value(
                both.group(label_group)
            ):
                return from_number
    return None


_LABELS: dict[int, tuple[Scale, dict[str, Number]]] = {}  # by id(scale), with the scale itself


def _by_label(scale: Scale) -> dict[str, Number]:
    """The value of each level by its label as `Scale.rating_value` compares text (spaces
    collapsed, case folded; the first level of a label wins), made once for each scale:
    comparing a rating with every label took a tenth of a copy's interpreting. A scale is
    frozen, and held here, so its id names it while its entry lives."""
    entry = _LABELS.get(id(scale))
    if entry is None or entry[0] is not scale:
        if len(_LABELS) >= 64:
            _LABELS.clear()
        labels: dict[str, Number] = {}
        for level in scale.levels:
            labels.setdefault(" ".join(level.label.split()).casefold(), level.value)
        entry = _LABELS[id(scale)] = (scale, labels)
    return entry[1]


def _read_text(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    return cell_text(cell)


def _read_choice(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    wanted = normalize(cell_text(cell))
    match = next((o for o in item.options or [] if normalize(o) == wanted), None)
    if match is None:
        problems.append(
            Problem(
                "bad-choice",
                where,
                f"{shown(cell)} is not one of the options for {item.id}; "
                f"choose one of: {'; '.join(item.options or [])}",
            )
        )
    return match


def _read_multichoice(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    options = item.options or []
    chosen = split_options(cell_text(cell), options)
    if chosen is None:
        pieces = [p.strip() for p in re.split(r"[;,]", cell_text(cell)) if p.strip()]
        unknown = [p for p in pieces if normalize(p) not in {normalize(o) for o in options}]
        problems.append(
            Problem(
                "bad-choice",
                where,
                f"{'; '.join(shown(p) for p in unknown[:5]) or shown(cell)} not among the options "
                f"for {item.id}; choose from: {'; '.join(options)}, separated by ';'",
            )
        )
    return chosen


def split_options(text: str, options: list[str]) -> list[str] | None:
    """The options named in `text`, separated by `;` or `,`, or None when it cannot be split.

    Options are matched whole (case and spacing ignored) before any separator
    is considered, so an option such as `Financial aid, FAFSA help` survives;
    where several splits work, the one taking the longest option first wins.
    Each position is split once (from the end back), so time grows with the
    length of `text` times the number of options, whatever the cell holds.
    """
    keys = sorted(((normalize(o), o) for o in options), key=lambda pair: -len(pair[0]))
    text = normalize(text)
    end = len(text)
    # step[i]: (option, where the rest starts) for a split of text[i:]; `end` is the empty rest
    step: dict[int, tuple[str, int] | None] = {end: None}
    splits = {end}
    for i in range(end - 1, -1, -1):
        start = i + 1 if text[i] == " " else i
        if start == end:
            splits.add(i)
            step[i] = None
            continue
        for key, option in keys:
            if not key or not text.startswith(key, start):
                continue
            after = start + len(key)
            if after < end and text[after] == " ":
                after += 1
            rest = end if after == end else after + 1 if text[after] in ";," else None
            if rest is not None and rest in splits:
                splits.add(i)
                step[i] = (option, rest)
                break
    if 0 not in splits:
        return None
    chosen: list[str] = []
    at = step.get(0)
    while at is not None:
        chosen.append(at[0])
        at = step[at[1]]
    return chosen


def _read_number(
    rubric: Rubric, item: Item, cell: Cell, where: str, problems: list[Problem]
) -> AnswerValue:
    if isinstance(cell, bool):
        number = None
    elif isinstance(cell, int | float):
        number = int(cell) if isinstance(cell, float) and cell.is_integer() else cell
    else:
        number = _parse_number(str(cell).strip())
        if number is None:
            found = _NUMBER_IN_TEXT.findall(str(cell))
            if len(found) == 1:
                number = _parse_number(found[0].replace(",", ""))
                problems.append(
                    Problem(
                        "number-trimmed",
                        where,
                        f"{item.id} takes a number; read {shown(cell)} as "
                        f"{number!r}. Write only the number to silence this warning",
                        severity="warning",
                    )
                )
    if number is None:
        problems.append(
            Problem(
                "bad-number",
                where,
                f"{item.id} takes a number, got {shown(cell)}; write a number "
                "such as 120, or clear the cell",
            )
        )
    return number


def _parse_number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
