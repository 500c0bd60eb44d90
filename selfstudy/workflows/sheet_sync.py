"""Push, pull and sync a self-study with a Google Sheet: the same steps for the app and the CLI.

A study being synced is a `SyncTarget`: a self-study file, whose sync bases
(what was last pushed to or pulled from each sheet) live in a sidecar file
`STUDY.sync.json` beside it (`edges.sync_records`), or a study kept in the database, whose bases
live there too. Both remember a base per spreadsheet key, and both save what
a sync brought in from the sheet: the file is rewritten whole; the database
takes the changed answers with the revisions read before the sync, so an
answer someone changed in the app meanwhile is refused (`stale-edit`) and
nothing from the sheet is saved.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from selfstudy.core.access import Action
from selfstudy.core.merge import PROGRAM_KEY, Side, Snapshot, snapshot
from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import ImportResult
from selfstudy.core.study import Answer, SelfStudy
from selfstudy.edges import gsheets, sync_records
from selfstudy.edges.rubric_files import rubric_of
from selfstudy.edges.storage import StaleEdit, Storage, StoredStudy, StudyNotFound
from selfstudy.edges.study_files import load_study

if TYPE_CHECKING:
    from gspread import Client


class SyncTarget(ABC):
    """A study being synced, with where its sync bases are kept and how it is saved."""

    study: SelfStudy

    @property
    @abstractmethod
    def label(self) -> str:
        """How messages name the study: its file, or its id in the database."""

    @abstractmethod
    def base(self, key: str) -> Snapshot | None:
        """What was last pushed to or pulled from the spreadsheet `key`, if anything."""

    @abstractmethod
    def remember(self, key: str, base: Snapshot) -> None:
        """Keep `base` as the state last shared with the spreadsheet `key`."""

    @abstractmethod
    def keep(self, key: str, outcome: gsheets.SyncOutcome) -> None:
        """Save what a sync took from the sheet into the study, and remember the new base."""


class FileTarget(SyncTarget):
    """A self-study .json file; its bases are in the sync record beside it."""

    def __init__(self, path: Path, study: SelfStudy | None = None):
        self.path = path
        self.study = study if study is not None else load_study(path)

    @property
    def label(self) -> str:
        return str(self.path)

    def base(self, key: str) -> Snapshot | None:
        return sync_records.read_bases(self.path).get(key)

    def remember(self, key: str, base: Snapshot) -> None:
        sync_records.remember(self.path, key, base)

    def keep(self, key: str, outcome: gsheets.SyncOutcome) -> None:
        """The study file and its sync record are written as one: both, or neither."""
        taken = outcome.study.to_json() if outcome.plan.to_app else None
        sync_records.remember(self.path, key, outcome.base, study_text=taken)
        self.study = outcome.study


class StoredTarget(SyncTarget):
    """A study kept in the database; its bases are kept there too."""

    def __init__(self, storage: Storage, stored: StoredStudy):
        self.storage = storage
        self.stored = stored
        self.study = stored.study

    @property
    def label(self) -> str:
        return self.stored.id

    def base(self, key: str) -> Snapshot | None:
        return self.storage.get_sync_base(self.stored.id, _base_name(key))

    def remember(self, key: str, base: Snapshot) -> None:
        self.storage.set_sync_base(self.stored.id, _base_name(key), base)

    def keep(self, key: str, outcome: gsheets.SyncOutcome) -> None:
        """Answers first: when saving them is refused, the base is not moved, so the
        next sync offers the same changes again."""
        changes = {
            item_id: Answer.model_validate(entry) if entry else Answer()
            for item_id, entry in outcome.plan.to_app.items()
            if item_id != PROGRAM_KEY
        }
        revisions = {i: self.stored.revisions.get(i) for i in changes}
        try:
            if changes:
                self.storage.save_answers(self.stored.id, changes, revisions)
        except StaleEdit as exc:
            raise ProblemsFound(
                [
                    Problem(
                        "stale-edit",
                        self.stored.id,
                        f"{exc}; nothing was taken from the sheet into the app, run sync again",
                    )
                ]
            ) from None
        if PROGRAM_KEY in outcome.plan.to_app:
            self.storage.update_program(self.stored.id, outcome.study.program)
        self.study = outcome.study
        self.remember(key, outcome.base)


def _base_name(key: str) -> str:
    """How a Google Sheet is named among a stored study's sync bases."""
    return f"gsheet:{key}"


def open_target(reference: str, storage: Callable[[], Storage]) -> SyncTarget:
    """The study named by `reference`: a self-study file, else the id of a stored study in
    the database `storage()` opens (for whoever it acts for: a stored study is never opened
    by anyone in particular)."""
    path = Path(reference)
    if path.is_file():
        return FileTarget(path)
    return open_stored(storage(), reference)


def open_stored(storage: Storage, study_id: str) -> StoredTarget:
    """The stored study `study_id`, to push or sync (so to change: pushing records what the
    sheet holds); a deleted or unknown one is a `study-not-found` problem, and one the
    storage's actor may not change is `no-access` before anything reaches the sheet."""
    try:
        storage.require(Action.EDIT, study_id)
        return StoredTarget(storage, storage.get_study(study_id))
    except StudyNotFound:
        raise ProblemsFound(
            [
                Problem(
                    "study-not-found",
                    study_id,
                    "no such self-study file, and no study with this id in the database; "
                    "give a .json file or an id from the app",
                )
            ]
        ) from None


def push(
    target: SyncTarget, client: Client, spreadsheet: str, rubric: Rubric | None = None
) -> gsheets.PushReport:
    """Write the study into the spreadsheet and remember what was pushed.

    `rubric` defaults to the one the study names.
    """
    key = gsheets.spreadsheet_key(spreadsheet)
    report = gsheets.push(client, key, target.study, rubric or rubric_of(target.study))
    target.remember(key, snapshot(target.study))
    return report


def sync(
    target: SyncTarget,
    client: Client,
    spreadsheet: str,
    choices: Mapping[str, Side] | None = None,
    rubric: Rubric | None = None,
) -> gsheets.SyncOutcome:
    """Sync the study with the spreadsheet both ways, save what came in, remember the base.

    When saving fails (a stale edit), the base is not moved, so the next sync
    offers the same changes again. `rubric` defaults to the one the study names.
    """
    key = gsheets.spreadsheet_key(spreadsheet)
    rubric = rubric or rubric_of(target.study)
    outcome = gsheets.sync(client, key, target.study, rubric, target.base(key), choices)
    target.keep(key, outcome)
    return outcome


def pull(client: Client, spreadsheet: str, rubric: Rubric | None = None) -> ImportResult:
    """Read the sheet copy in a spreadsheet, with every problem located by its cell."""
    return gsheets.pull(client, gsheets.spreadsheet_key(spreadsheet), rubric)


def keep_pulled_in_file(study: SelfStudy, spreadsheet: str, path: Path) -> None:
    """Write a pulled study to a file, remembering the sheet as its sync base."""
    key = gsheets.spreadsheet_key(spreadsheet)
    sync_records.remember(path, key, snapshot(study), study_text=study.to_json())


def keep_pulled_in_database(
    study: SelfStudy,
    spreadsheet: str,
    storage: Storage,
    by: str = "",
    program_id: str | None = None,
) -> str:
    """Store a pulled study as a new one, remembering the sheet as its sync base; its id.

    It goes to the program `program_id`, else to the program its details name. A person
    who may begin studies there but not change them (a facilitator) stores it without the
    sync base, which only who may sync it may set: a member's first sync then compares the
    sheet and the app afresh."""
    study_id = storage.create_study(study, by=by, program_id=program_id)
    if storage.allows(Action.EDIT, study_id):
        storage.set_sync_base(
            study_id, _base_name(gsheets.spreadsheet_key(spreadsheet)), snapshot(study)
        )
    return study_id
