"""How numbers, statuses and answers read to people: one place for the app, reports and CLI.

Every screen that shows a level, a gap, a change, a share or a status to a person
words it here, so the same number reads the same in the app, the HTML report and
the terminal. Machine outputs (JSON, CSV, workbook cells holding numbers) keep
their numbers and do not use these words.
"""

from __future__ import annotations

from selfstudy.core.problems import clip
from selfstudy.core.rubric import Item, Rubric
from selfstudy.core.scoring import Status
from selfstudy.core.study import AnswerValue, is_answered, is_na

NONE = "—"
"""What an unrated level, gap or change reads as."""

STATUS_LABELS: dict[Status, str] = {
    "meets": "Meets",
    "approaching": "Approaching",
    "not_yet": "Not yet",
    "not_rated": "Not rated",
}
# Text symbols rather than emoji, which some systems lack; each has a distinct shape.
STATUS_SYMBOLS: dict[Status, str] = {
    "meets": "●",
    "approaching": "◐",
    "not_yet": "○",
    "not_rated": "–",
}


def status_text(status: Status) -> str:
    """The status as a symbol and its words (`◐ Approaching`), never by colour alone."""
    return f"{STATUS_SYMBOLS[status]} {STATUS_LABELS[status]}"


def level_text(mean_level: float | None) -> str:
    """A mean level with 2 decimals (`2.67`), or `—` when nothing is rated."""
    return NONE if mean_level is None else f"{mean_level:.2f}"


def gap_text(gap: float | None) -> str:
    """The gap to target in words: `on target`, `0.12 below`, `0.50 above`, `—` if unrated.

    The gap is target minus level, so a positive gap is below the target. Only a
    gap of exactly 0 is on target; a gap that shows as 0.00 but is not 0 reads
    `just below` or `just above`, so a level of 2.996 shown as 3.00 against a
    target of 3 does not claim to meet it.
    """
    if gap is None:
        return NONE
    if gap == 0:
        return "on target"
    side = "below" if gap > 0 else "above"
    shown = f"{abs(gap):.2f}"
    return f"just {side}" if shown == "0.00" else f"{shown} {side}"


def signed_text(change: float | None) -> str:
    """A change with its sign and 2 decimals (`+0.12`, `-0.50`), or `—`."""
    return NONE if change is None else f"{change:+.2f}"


def percent_text(share: float | None) -> str:
    """A share from 0 to 1 as a whole percent (`75%`), or `—`."""
    return NONE if share is None else f"{share:.0%}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` of a noun: "1 field", "3 fields"; `plural` where it takes more than an s
    ("1 copy", "3 copies")."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def sentence(text: str) -> str:
    """A problem's message as a sentence on a page: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def value_text(rubric: Rubric, item: Item, value: AnswerValue) -> str:
    """An answer as a person reads it: the level label, the choice, the text."""
    if not is_answered(value):
        return "no answer"
    if is_na(value):
        return "Not applicable"
    if item.is_rating:
        level = rubric.scale.rating_value(value)
        return f"{rubric.scale.label_of(level)} ({level})" if level is not None else str(value)
    if isinstance(value, list):
        return ", ".join(value)
    text = str(value)
    return clip(text, 78)
