"""Two-way sync without losing edits: a three-way merge of answers.

The engine remembers a *base*: the state it last pushed to, or pulled from, a
copy (a Google Sheet). At the next sync each entry (every answer, and the
program details as one entry) is compared with the base on both sides:

* changed only in the sheet -> taken into the app;
* changed only in the app   -> written to the sheet;
* changed on both sides to the same thing -> nothing to do;
* changed on both sides differently -> a `SyncConflict`, showing both values. It is
  left alone on both sides until the user chooses a side; the base keeps its
  old entry so the conflict is offered again next time.

With no base yet (the first sync), an entry present on one side only is copied
to the other, and entries that differ are conflicts.

A row deleted in the sheet is not an answer cleared there: an item whose row
is gone (`rowless`) has no answer in the sheet, but that is taken into the app
only when the user chooses the sheet's side. Until then it is a conflict like
any other (its `row_deleted` set), offered again at every sync. Pure functions
over plain dicts: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from selfstudy.core.study import Answer, Program, SelfStudy

Side = Literal["app", "sheet"]
PROGRAM_KEY = "@program"
Snapshot = dict[str, Any]


@dataclass(frozen=True)
class SyncConflict:
    """An entry changed on both sides since the base; `None` means no answer.

    `row_deleted`: the sheet has no row for the item any more, so taking the
    sheet's side deletes the app's answer.
    """

    key: str
    base: Any
    app: Any
    sheet: Any
    row_deleted: bool = False


@dataclass
class SyncPlan:
    to_app: dict[str, Any] = field(default_factory=dict)
    to_sheet: dict[str, Any] = field(default_factory=dict)
    conflicts: list[SyncConflict] = field(default_factory=list)
    base: Snapshot = field(default_factory=dict)

    @property
    def in_sync(self) -> bool:
        return not (self.to_app or self.to_sheet or self.conflicts)


def snapshot(study: SelfStudy) -> Snapshot:
    """A study as plain, comparable entries: `@program` and one per non-empty answer."""
    entries: Snapshot = {PROGRAM_KEY: study.program.model_dump(mode="json")}
    for item_id, answer in study.answers.items():
        if answer.value is not None or answer.evidence or answer.notes:
            entries[item_id] = answer.model_dump(mode="json")
    return entries


def plan_sync(
    base: Snapshot | None,
    app: Snapshot,
    sheet: Snapshot,
    choices: Mapping[str, Side] | None = None,
    rowless: Collection[str] = (),
) -> SyncPlan:
    """What to copy each way, what conflicts, and the base to remember afterwards.

    `choices` settles conflicts the user has decided: key -> the side that wins.
    `rowless` are the keys the sheet has no row for (absent from `sheet`).
    """
    choices = choices or {}
    plan = SyncPlan()
    for key in _keys(base, app, sheet):
        ours, theirs = app.get(key), sheet.get(key)
        if ours == theirs:
            if ours is not None:
                plan.base[key] = ours
            continue
        if base is None:
            app_changed, sheet_changed = ours is not None, theirs is not None
        else:
            app_changed, sheet_changed = ours != base.get(key), theirs != base.get(key)
        row_deleted = sheet_changed and key in rowless
        winner: Side | None
        if (app_changed and sheet_changed) or row_deleted:
            winner = choices.get(key)
        else:
            winner = "app" if app_changed else "sheet"
        if winner is None:
            plan.conflicts.append(
                SyncConflict(
                    key, None if base is None else base.get(key), ours, theirs, row_deleted
                )
            )
            if base is not None and key in base:
                plan.base[key] = base[key]
            continue
        value = ours if winner == "app" else theirs
        (plan.to_sheet if winner == "app" else plan.to_app)[key] = value
        if value is not None:
            plan.base[key] = value
    return plan


def _keys(*snapshots: Snapshot | None) -> list[str]:
    seen: dict[str, None] = {}
    for snap in snapshots:
        for key in snap or {}:
            seen.setdefault(key, None)
    return list(seen)


def change_names(changes: Mapping[str, Any]) -> str:
    """The keys of a `SyncPlan` side as a reader would name them, or `nothing`."""
    return ", ".join("program details" if k == PROGRAM_KEY else k for k in changes) or "nothing"


def apply_changes(study: SelfStudy, changes: Mapping[str, Any]) -> SelfStudy:
    """`study` with the entries of `changes` (from `SyncPlan.to_app`) put in."""
    program = study.program
    answers = dict(study.answers)
    for key, value in changes.items():
        if key == PROGRAM_KEY:
            program = Program.model_validate(value)
        elif value is None:
            answers.pop(key, None)
        else:
            answers[key] = Answer.model_validate(value)
    return study.model_copy(update={"program": program, "answers": answers})
