"""How numbers, statuses and answers read to people: one place for the app, reports and CLI."""

from __future__ import annotations

from selfstudy.core.rubric import Item, Rubric
from selfstudy.core.study import AnswerValue, is_answered, is_na


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
    return text if len(text) <= 80 else text[:77] + "…"
