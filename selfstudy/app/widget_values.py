"""Between a widget's value and the stored answer, and the widget keys of answers."""

from __future__ import annotations

from typing import Any

from selfstudy.core.rubric import NA, Item, Rubric
from selfstudy.core.study import AnswerValue, is_na


def widget_key(study_id: str, item_id: str, part: str) -> str:
    return f"w:{study_id}:{item_id}:{part}"


def widget_value(rubric: Rubric, item: Item, value: AnswerValue) -> Any:
    """What the item's widget shows for a stored value."""
    if item.type == "rating":
        if is_na(value):
            return NA if rubric.scale.allow_na else None
        return rubric.scale.rating_value(value)
    if item.type == "text":
        return value if isinstance(value, str) else ""
    if item.type == "choice":
        return value if value in (item.options or []) else None
    if item.type == "multichoice":
        chosen = value if isinstance(value, list) else [value] if value else []
        return [v for v in chosen if v in (item.options or [])]
    if item.type == "number":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    return value


def stored_value(item: Item, raw: Any) -> AnswerValue:
    """What is stored for a widget's value (blank becomes None)."""
    if item.type == "text":
        return raw if isinstance(raw, str) and raw.strip() else None
    if item.type == "multichoice":
        return list(raw) if raw else None
    if item.type == "number" and isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw
