"""Deleting, restoring and the history of a stored self-study: what both faces call.

A deleted study is kept among the recently deleted ones, with every answer and
its history, until it is restored or purged. The history lists every change in
the order it was made, oldest first, refused edits included; any answer field
can be put back to a value a change gave it. An unknown study or change is a
located `Problem`, never a bare `KeyError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.study import RubricRef
from selfstudy.core.wording import value_text
from selfstudy.edges.rubric_files import rubric_by_id
from selfstudy.edges.storage import Change, Storage, StudyNotFound, StudySummary
from selfstudy.edges.storage.database import Seen
from selfstudy.edges.storage.schema import FIELDS, PROGRAM_ENTRY, STUDY_ENTRY

GRACE_PERIOD = timedelta(days=30)
"""How long a deleted study is kept before purging it needs no second thought."""


# --- deleting and restoring -----------------------------------------------------------------


def delete(storage: Storage, study_id: str, by: str = "") -> StudySummary:
    """Move a study to the recently deleted ones; its summary there (with `deleted_at`)."""
    try:
        storage.delete_study(study_id, by=by)
    except StudyNotFound:
        raise _not_found(storage, study_id) from None
    return _summary(storage.deleted_studies(), study_id)


def restore(storage: Storage, study_id: str, by: str = "") -> StudySummary:
    """Bring a deleted study back, with every answer and its history; its summary."""
    try:
        storage.restore_study(study_id, by=by)
    except StudyNotFound:
        raise _not_found(storage, study_id) from None
    return _summary(storage.list_studies(), study_id)


def recently_deleted(storage: Storage) -> list[StudySummary]:
    """The deleted studies that can still be restored, most recently deleted first."""
    return storage.deleted_studies()


def purge_deleted(storage: Storage, older_than: timedelta = GRACE_PERIOD) -> list[StudySummary]:
    """Remove for good the studies deleted longer ago than `older_than`; what was removed."""
    deleted = {summary.id: summary for summary in storage.deleted_studies()}
    removed = storage.purge_deleted(older_than)
    return [deleted[study_id] for study_id in removed if study_id in deleted]


# --- the history --------------------------------------------------------------------------------


def history(storage: Storage, study_id: str, item_id: str | None = None) -> list[Change]:
    """The changes of a study (or of one item), oldest first; a deleted study's too."""
    try:
        return storage.history(study_id, item_id)[::-1]
    except StudyNotFound:
        raise _not_found(storage, study_id) from None


def history_document(storage: Storage, study_id: str, item_id: str | None = None) -> dict[str, Any]:
    """The study as its self-study JSON plus `"history"`: its changes (or an item's), oldest first.

    Each change is `Change.to_dict()`: its `id` (what `restore_value` takes),
    `item`, `field`, `old`, `new`, `accepted` (false for a refused edit), `at`
    and `by`. A deleted study must be restored first.
    """
    try:
        stored = storage.get_study(study_id)
    except StudyNotFound:
        raise _not_found(storage, study_id) from None
    changes = history(storage, study_id, item_id)
    return {**stored.study.to_dict(), "history": [change.to_dict() for change in changes]}


@dataclass(frozen=True)
class HistoryLine:
    """One change as a person reads it; a change of program details gives one per detail."""

    change: Change
    item: str  # the item id, "program details" or "self-study"
    field: str
    old: str
    new: str


def history_lines(storage: Storage, study_id: str, item_id: str | None = None) -> list[HistoryLine]:
    """The history of a study (or one item), oldest first, with its values in words.

    Ratings read as their level label (`Developing (2)`) when the study's rubric
    is found; otherwise values read as they are stored.
    """
    changes = history(storage, study_id, item_id)
    rubric = _rubric_or_none(_rubric_ref(storage, study_id))
    return [line for change in changes for line in _lines(change, rubric)]


def _lines(change: Change, rubric: Rubric | None) -> list[HistoryLine]:
    if change.item_id == PROGRAM_ENTRY:
        return _program_lines(change)
    if change.item_id == STUDY_ENTRY:
        words = {True: "deleted", False: "listed"}
        return [
            HistoryLine(change, "self-study", "deleted", words[bool(change.old)], words[change.new])
        ]
    return [
        HistoryLine(
            change,
            change.item_id,
            change.field,
            _field_text(rubric, change.item_id, change.field, change.old),
            _field_text(rubric, change.item_id, change.field, change.new),
        )
    ]


def _program_lines(change: Change) -> list[HistoryLine]:
    old, new = change.old or {}, change.new or {}
    keys = [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]
    return [
        HistoryLine(
            change,
            "program details",
            key,
            _detail_text(key, old.get(key)),
            _detail_text(key, new.get(key)),
        )
        for key in keys
    ]


def _detail_text(key: str, value: Any) -> str:
    return f"no {key}" if value in (None, "") else str(value)


def _field_text(rubric: Rubric | None, item_id: str, field: str, value: Any) -> str:
    """A stored field as a person reads it: a value by the rubric, evidence and notes as text."""
    if field != "value":
        return f"no {field}" if not value else str(value)
    item = rubric.item_by_id.get(item_id) if rubric else None
    if rubric is not None and item is not None:
        return value_text(rubric, item, value)
    if value is None:
        return "no answer"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _rubric_ref(storage: Storage, study_id: str) -> RubricRef | None:
    try:
        return storage.get_study(study_id).study.rubric
    except StudyNotFound:
        deleted = [s for s in storage.deleted_studies() if s.id == study_id]
        return (
            RubricRef(id=deleted[0].rubric_id, version=deleted[0].rubric_version)
            if deleted
            else None
        )


def _rubric_or_none(ref: RubricRef | None) -> Rubric | None:
    if ref is None:
        return None
    try:
        return rubric_by_id(ref.id, ref.version)
    except ProblemsFound:
        return None  # values then read as stored


# --- putting back a value ---------------------------------------------------------------------


@dataclass(frozen=True)
class RestoredValue:
    """The change whose value was put back, and whether the field held another value."""

    change: Change
    changed: bool


def restore_value(
    storage: Storage, study_id: str, change_id: int, by: str = "", seen: Seen = None
) -> RestoredValue:
    """Put back the value a change gave its answer field (a refused change: the text tried).

    The restore is itself a change, kept in the history. Only answer fields
    (value, evidence, notes) can be put back, and only in a study that is not deleted.
    """
    change = next((c for c in history(storage, study_id) if c.id == change_id), None)
    if change is None or change.field not in FIELDS:
        raise ProblemsFound(
            [
                Problem(
                    "change-not-found",
                    f"{study_id}: change {change_id}",
                    "no change to an answer with this number in the study's history; "
                    "take the number of a value, evidence or notes change from the history",
                )
            ]
        )
    try:
        before = storage.get_study(study_id).revisions.get(change.item_id)
        after = storage.restore_value(study_id, change_id, by=by, seen=seen)
    except StudyNotFound:
        raise _not_found(storage, study_id) from None
    return RestoredValue(change, changed=after != before)


# --- problems -----------------------------------------------------------------------------------


def _summary(summaries: list[StudySummary], study_id: str) -> StudySummary:
    return next(s for s in summaries if s.id == study_id)


def _not_found(storage: Storage, study_id: str) -> ProblemsFound:
    """`study-not-found`, saying whether the id is of a deleted study, a listed one or none."""
    if any(s.id == study_id for s in storage.deleted_studies()):
        message = (
            "this self-study is already among the recently deleted ones; restore it to change "
            "or export it"
        )
    elif any(s.id == study_id for s in storage.list_studies()):
        message = "this self-study is not deleted, so there is nothing to restore"
    else:
        message = "no self-study with this id, in the list or among the recently deleted ones"
    return ProblemsFound([Problem("study-not-found", study_id, message)])
