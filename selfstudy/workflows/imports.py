"""Importing sheet copies: from files and folders, Google Sheets or an upload, then saving them.

The app's Import & sync page and `selfstudy import` read and save copies
through these functions. Reading never stops at the first bad copy: each
`Source` reads to an `ImportResult` with every problem located in its copy.

A copy of a program and round that is already stored is never saved again
silently: `existing_match` finds the stored study, `what_would_change` lists
how the copy differs from it, and the user chooses to update it
(`update_from_copy`), keep both (`save_imported`) or do nothing.
`save_copies` makes that choice for many copies at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from selfstudy.core.merge import PROGRAM_KEY
from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rounds import same_program
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import ImportResult, Sheets
from selfstudy.core.study import Answer, Program, SelfStudy
from selfstudy.core.wording import clip, value_text
from selfstudy.edges import gsheets
from selfstudy.edges.files import ensure_folder, write_all_atomically
from selfstudy.edges.rubric_files import rubric_by_id
from selfstudy.edges.sheet_files import discover_sources, interpret, read_sheet_copy
from selfstudy.edges.storage import NewerAnswer, StaleEdit, Storage, StoredStudy
from selfstudy.edges.workbooks import read_csv_files, read_xlsx

if TYPE_CHECKING:
    from gspread import Client


@dataclass
class Source:
    """One sheet copy to import: a file, a CSV folder or a Google Sheet."""

    label: str  # how reports name it
    stem: str  # the base of its output file name
    read: Callable[[], ImportResult]


def file_sources(paths: Iterable[Path], rubric: Rubric | None = None) -> list[Source]:
    """The copies in these files and folders (folders are searched), in the order found."""
    return [
        Source(str(path), path.stem if path.is_file() else path.name, _file_reader(path, rubric))
        for path in discover_sources(paths)
    ]


def sheet_sources(
    urls: Iterable[str], client: Client, rubric: Rubric | None = None
) -> list[Source]:
    """The copies in these Google Sheets; problems are located by URL and cell."""
    return [
        Source(url, gsheets.spreadsheet_key(url), _sheet_reader(client, url, rubric))
        for url in urls
    ]


def _file_reader(path: Path, rubric: Rubric | None) -> Callable[[], ImportResult]:
    return lambda: read_sheet_copy(path, rubric)


def _sheet_reader(client: Client, url: str, rubric: Rubric | None) -> Callable[[], ImportResult]:
    def read() -> ImportResult:
        try:
            result = gsheets.pull(client, url, rubric)
        except ProblemsFound as exc:
            return ImportResult(None, exc.problems)
        result.problems = result.problems.in_file(url)
        return result

    return read


def read_uploaded_copy(
    files: Sequence[tuple[str, bytes]], rubric_id: str | None = None
) -> ImportResult:
    """One uploaded sheet copy (an .xlsx file, or the CSV files of its tabs) read as a study.

    `files` are (file name, contents); `rubric_id` None means the rubric the copy names.
    """
    try:
        sheets = _uploaded_sheets(files)
        rubric = rubric_by_id(rubric_id) if rubric_id else None
    except ProblemsFound as exc:
        return ImportResult(None, exc.problems)
    return interpret(sheets, rubric)


def _uploaded_sheets(files: Sequence[tuple[str, bytes]]) -> Sheets:
    workbooks = [(name, data) for name, data in files if name.lower().endswith(".xlsx")]
    csvs = [(name, data) for name, data in files if name.lower().endswith(".csv")]
    if len(workbooks) > 1 or (workbooks and csvs):
        raise ProblemsFound(
            [
                Problem(
                    "one-copy-at-a-time",
                    ", ".join(name for name, _ in files),
                    "upload one .xlsx copy, or the CSV files of one copy; for many copies use "
                    "`selfstudy import FOLDER` on the command line",
                )
            ]
        )
    if workbooks:
        return read_xlsx(workbooks[0][1])
    return read_csv_files({Path(name).stem: data for name, data in csvs})


def write_studies(
    studies: Sequence[tuple[Source, SelfStudy]], out: Path, many: bool
) -> list[tuple[Source, Path]]:
    """Write each study as JSON: to `out` itself (one study, a .json path), else into folder `out`.

    In a folder, files are named after their source; repeated names get `-2`, `-3`…
    """
    if not many and out.suffix.lower() == ".json":
        ensure_folder(out.parent)
        targets = [(source, out) for source, _ in studies]
    else:
        ensure_folder(out)
        used: set[str] = set()
        targets = []
        for source, _ in studies:
            candidate, n = source.stem, 1
            while candidate in used:
                n += 1
                candidate = f"{source.stem}-{n}"
            used.add(candidate)
            targets.append((source, out / f"{candidate}.json"))
    files: dict[Path, bytes] = {}
    for (_, study), (_, target) in zip(studies, targets, strict=True):
        files[target] = study.to_json().encode("utf-8")
    write_all_atomically(files)  # all of them or, on a failure, none
    return targets


def save_imported(
    storage: Storage, study: SelfStudy, by: str = "", program_id: str | None = None
) -> str:
    """Store an imported study as a new self-study (also when its round is stored: keep both).

    It goes to the program `program_id`, else to the program its details name (a program
    not stored yet is added, by a network admin only)."""
    return storage.create_study(study, by=by, program_id=program_id)


# --- a copy of a program and round that is already stored ----------------------------------

ANSWER_FIELDS = ("value", "evidence", "notes")
OnMatch = Literal["skip", "update", "keep-both"]


@dataclass(frozen=True)
class CopyChange:
    """One field in which a copy differs from the stored self-study of its program and round.

    `item_id` is an item id, or `@program` for the program details (`field` is then
    `name`, `organization`, `round`…). `kept`: the copy leaves the field blank while
    the stored study has it, and an update keeps the stored value.
    """

    item_id: str
    field: str
    stored: Any
    incoming: Any
    kept: bool = False

    def texts(self, rubric: Rubric) -> tuple[str, str]:
        """How the stored value and the copy's read, for a table of changes."""
        if self.kept:
            return self._text(rubric, self.stored), "left blank (the app's is kept)"
        return self._text(rubric, self.stored), self._text(rubric, self.incoming)

    def _text(self, rubric: Rubric, value: Any) -> str:
        item = rubric.item_by_id.get(self.item_id)
        if self.field == "value" and item is not None:
            return value_text(rubric, item, value)
        if _blank(value):
            return "(blank)"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return clip(" ".join(str(value).split()), 78)


def same_round(a: SelfStudy, b: SelfStudy) -> bool:
    """Whether two studies name the same round, ignoring case and spacing (none equals none)."""
    return _round_name(a.program.round) == _round_name(b.program.round)


def _round_name(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def existing_match(storage: Storage, study: SelfStudy) -> str | None:
    """The id of a stored study of the same program and round (the most recently edited)."""
    return existing_matches(storage, [study])[0]


def existing_matches(storage: Storage, studies: Sequence[SelfStudy]) -> list[str | None]:
    """`existing_match` of each study, reading the stored studies once.

    "Same program" is `rounds.same_program`; "same round" is `same_round`.
    """
    wanted = {(study.rubric.id, _round_name(study.program.round)) for study in studies}
    newest_first = [
        summary.id
        for summary in storage.list_studies()
        if (summary.rubric_id, _round_name(summary.round)) in wanted
    ]
    if not newest_first:
        return [None] * len(studies)
    stored = dict(storage.all_studies())
    candidates = [(study_id, stored[study_id]) for study_id in newest_first if study_id in stored]
    return [
        next(
            (
                study_id
                for study_id, other in candidates
                if same_program(other, study) and same_round(other, study)
            ),
            None,
        )
        for study in studies
    ]


def what_would_change(
    stored: SelfStudy, incoming: SelfStudy, rubric: Rubric | None = None
) -> list[CopyChange]:
    """How a copy differs from the stored study: program details, then items in rubric order.

    A field the copy leaves blank while the stored study has it is listed with
    `kept` set, and an update leaves that field as it is: a copy made before
    someone answered in the app, or one missing a column, must not erase that
    work without a word. To clear an answer, clear it in the app (its history
    keeps what it was).
    """
    changes = _differences(
        PROGRAM_KEY,
        stored.program.model_dump(mode="json"),
        incoming.program.model_dump(mode="json"),
    )
    order = {item.id: n for n, item in enumerate(rubric.items())} if rubric else {}
    items = sorted(
        stored.answers.keys() | incoming.answers.keys(),
        key=lambda item_id: (order.get(item_id, len(order)), item_id),
    )
    for item_id in items:
        changes += _differences(
            item_id,
            _answer_fields(stored.answers.get(item_id)),
            _answer_fields(incoming.answers.get(item_id)),
        )
    return changes


def _answer_fields(answer: Answer | None) -> dict[str, Any]:
    answer = answer or Answer()
    return {name: getattr(answer, name) for name in ANSWER_FIELDS}


def _differences(
    key: str, stored: Mapping[str, Any], incoming: Mapping[str, Any]
) -> list[CopyChange]:
    return [
        CopyChange(key, name, stored.get(name), incoming.get(name), _blank(incoming.get(name)))
        for name in dict.fromkeys([*stored, *incoming])
        if not (_blank(stored.get(name)) and _blank(incoming.get(name)))
        and stored.get(name) != incoming.get(name)
    ]


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def update_from_copy(
    storage: Storage,
    study_id: str,
    incoming: SelfStudy,
    by: str = "",
    seen: StoredStudy | None = None,
) -> list[str]:
    """Update a stored study from a copy of its program and round; the ids that changed.

    What is written is what `what_would_change` lists against `seen` (the stored
    study as the user reviewed it; by default, as it is now), never a field the
    copy leaves blank. Answers go through `Storage.save_answers` with the
    revisions in `seen`, so a field someone changed since is refused with
    `StaleEdit` and nothing at all is written; a program detail changed since is
    refused the same way. Every change is in the history, made `by`. The ids are
    item ids, with `@program` when the program details changed.
    """
    current = storage.get_study(study_id)
    seen = seen or current
    wanted: dict[str, dict[str, Any]] = {}
    for change in what_would_change(seen.study, incoming):
        if not change.kept:
            wanted.setdefault(change.item_id, {})[change.field] = change.incoming
    program = _updated_program(
        seen.study.program, current.study.program, wanted.pop(PROGRAM_KEY, {})
    )
    answers = {
        item_id: (current.study.answers.get(item_id) or Answer()).model_copy(update=fields)
        for item_id, fields in wanted.items()
    }
    revisions = storage.save_answers(
        study_id, answers, {item_id: seen.revisions.get(item_id) for item_id in answers}, by
    )
    changed = [
        item_id for item_id, rev in revisions.items() if rev != current.revisions.get(item_id, 0)
    ]
    if program != current.study.program:
        storage.update_program(study_id, program, by)
        changed.insert(0, PROGRAM_KEY)
    return changed


def _updated_program(seen: Program, current: Program, fields: Mapping[str, Any]) -> Program:
    """The current program details with the copy's `fields`; `StaleEdit` if one changed since."""
    before, now = seen.model_dump(mode="json"), current.model_dump(mode="json")
    refused = [
        NewerAnswer(PROGRAM_KEY, None, None, None, field=name, mine=value)
        for name, value in fields.items()
        if before.get(name) != now.get(name)
    ]
    if refused:
        raise StaleEdit(refused)
    return Program.model_validate({**now, **fields})


@dataclass(frozen=True)
class SavedCopy:
    """What became of one copy: a new study (`updated` False) or an update of a stored one."""

    source: Source
    study: SelfStudy
    study_id: str
    updated: bool = False
    changes: list[CopyChange] = field(default_factory=list)  # an update's, kept fields too
    changed: list[str] = field(default_factory=list)  # the ids an update changed


def save_copies(
    storage: Storage,
    copies: Sequence[tuple[Source, SelfStudy]],
    on_match: OnMatch = "skip",
    by: str = "",
) -> tuple[list[SavedCopy], Report]:
    """Save many copies: each as a new study, unless its program and round are stored already.

    Such a copy is skipped and reported (`already-stored`); with `on_match`
    "update" it updates the stored study instead (`update_from_copy`), with
    "keep-both" it is saved as another study. Copies in this one import that are
    the same program and round as each other are all skipped and reported
    (`repeated-copy`), except with "keep-both": which of them is the right one
    cannot be told from the order the files happen to be found in.
    """
    repeats = {} if on_match == "keep-both" else _repeated(copies)
    matches = existing_matches(storage, [study for _, study in copies])
    saved: list[SavedCopy] = []
    problems = Report()
    for n, ((source, study), match) in enumerate(zip(copies, matches, strict=True)):
        if n in repeats:
            problems.append(_repeated_problem(source, study, copies[repeats[n]][0]))
        elif match is None or on_match == "keep-both":
            saved.append(SavedCopy(source, study, save_imported(storage, study, by)))
        elif on_match == "skip":
            problems.append(_stored_problem(source, study, match, storage))
        else:
            seen = storage.get_study(match)
            try:
                changed = update_from_copy(storage, match, study, by, seen)
            except StaleEdit as stale:
                problems.append(_stale_problem(source, stale))
                continue
            changes = what_would_change(
                seen.study, study, rubric_by_id(study.rubric.id, study.rubric.version)
            )
            saved.append(SavedCopy(source, study, match, True, changes, changed))
    return saved, problems


def _repeated(copies: Sequence[tuple[Source, SelfStudy]]) -> dict[int, int]:
    """Each copy that repeats another's program and round: its position and the other's."""
    repeats: dict[int, int] = {}
    for n, (_, study) in enumerate(copies):
        for m, (_, other) in enumerate(copies):
            if m != n and same_program(study, other) and same_round(study, other):
                repeats[n] = m
                break
    return repeats


def _round_words(study: SelfStudy) -> str:
    return f"round {study.program.round!r}" if study.program.round else "no round"


def _stored_problem(source: Source, study: SelfStudy, study_id: str, storage: Storage) -> Problem:
    differences = [
        c for c in what_would_change(storage.get_study(study_id).study, study) if not c.kept
    ]
    differ = f"it differs in {len(differences)} field(s)" if differences else "it is the same"
    return Problem(
        "already-stored",
        source.label,
        f"{study.program.name!r} ({_round_words(study)}) is already stored as {study_id} and "
        f"{differ}; nothing was saved: add --update to update {study_id} from this copy, "
        "or --keep-both to save it as another self-study",
    )


def _repeated_problem(source: Source, study: SelfStudy, other: Source) -> Problem:
    return Problem(
        "repeated-copy",
        source.label,
        f"{other.label} is the same program and round ({study.program.name!r}, "
        f"{_round_words(study)}); neither was saved: import only the one you mean",
    )


def _stale_problem(source: Source, stale: StaleEdit) -> Problem:
    names = ", ".join(dict.fromkeys(c.item_id for c in stale.conflicts))
    return Problem(
        "changed-during-import",
        source.label,
        f"{names} changed in the app while this copy was imported; nothing was updated "
        "from it: import it again to see the changes",
    )
