"""Importing sheet copies: from files and folders, Google Sheets or an upload, then saving them.

The app's Import & sync page and `selfstudy import` read and save copies
through these functions. Reading never stops at the first bad copy: each
`Source` reads to an `ImportResult` with every problem located in its copy.

A copy of a program and round that is already stored is never saved again
silently: `existing_match` finds the stored study, `what_would_change` lists
how the copy differs from it, and the user chooses to update it
(`update_from_copy`), keep both (`save_imported`) or do nothing.
`save_copies` makes that choice for many copies at once, and writes the new
studies a batch at a time (`Storage.create_studies`: one transaction per batch,
the same checks as one study), so a cohort's copies import in seconds.
`read_copies` reads many copies in files with several processes, and
`upload_sources` finds the copies in uploaded files: workbooks, and .zip files
of workbooks read within `copy_archives`' bounds.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from selfstudy.core.access import Action, NoAccess
from selfstudy.core.merge import PROGRAM_KEY
from selfstudy.core.printable import printable
from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rounds import same_program
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import ImportResult, Sheets, is_ignored_tab
from selfstudy.core.study import Answer, Program, SelfStudy
from selfstudy.core.wording import clip, counted, value_text
from selfstudy.edges.copy_archives import MAX_MEMBERS, archive_members, is_archive
from selfstudy.edges.files import ensure_folder, write_all_atomically
from selfstudy.edges.rubric_files import rubric_by_id
from selfstudy.edges.sheet_files import discover_sources, interpret, read_sheet_copy
from selfstudy.edges.storage import NewerAnswer, StaleEdit, Storage, StoredStudy
from selfstudy.edges.storage.database import StudiesRefused
from selfstudy.edges.workbooks import WORKBOOK_SUFFIXES, read_csv_files, read_xlsx

if TYPE_CHECKING:
    from gspread import Client


@dataclass
class Source:
    """One sheet copy to import: a file, a CSV folder or a Google Sheet."""

    label: str  # how reports name it
    stem: str  # the base of its output file name
    read: Callable[[], ImportResult]
    path: Path | None = None  # a file or CSV folder: `read_copies` may read it in another process
    rubric: Rubric | None = None  # the rubric it is read against (None: the one it names)
    # saving it again finds the study it made (`Storage.create_studies`): an upload's copy
    creation_key: str | None = None


def file_sources(paths: Iterable[Path], rubric: Rubric | None = None) -> list[Source]:
    """The copies in these files and folders (folders are searched), in the order found."""
    return [
        Source(
            str(path),
            path.stem if path.is_file() else path.name,
            _file_reader(path, rubric),
            path,
            rubric,
        )
        for path in discover_sources(paths)
    ]


def sheet_sources(
    urls: Iterable[str], client: Client, rubric: Rubric | None = None
) -> list[Source]:
    """The copies in these Google Sheets; problems are located by URL and cell."""
    from selfstudy.edges import gsheets  # gspread and google-auth: only for Google Sheets

    return [
        Source(url, gsheets.spreadsheet_key(url), _sheet_reader(client, url, rubric))
        for url in urls
    ]


def _file_reader(path: Path, rubric: Rubric | None) -> Callable[[], ImportResult]:
    return lambda: read_sheet_copy(path, rubric)


def _sheet_reader(client: Client, url: str, rubric: Rubric | None) -> Callable[[], ImportResult]:
    from selfstudy.edges import gsheets

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
        return read_xlsx(workbooks[0][1], unread=is_ignored_tab)
    return read_csv_files({Path(name).stem: data for name, data in csvs}, is_ignored_tab)


# --- reading many copies --------------------------------------------------------------------

PARALLEL_FROM = 8  # copies in files; fewer are read here (starting processes costs more)
MAX_WORKERS = 4  # reading processes at most: each holds a workbook's cells in memory
IN_FLIGHT = 2  # shares of copies handed out to each reading process ahead of its reading them
SHARE = 8  # copies handed out at once, at most: a share is read in a tenth of a second
READ_SECONDS = 120.0  # one copy's reading in another process, at most (a bounded workbook
# reads in seconds: longer is a file that hangs its reader)
MAX_COPIES = MAX_MEMBERS  # copies one upload may bring, in all its files
_UPLOADED = "uploaded workbook"  # where `read_xlsx` locates a problem of bytes it was given


def read_copies(
    sources: Sequence[Source],
    done: Callable[[int], None] | None = None,
    workers: int = 0,
    timeout: float = READ_SECONDS,
) -> list[ImportResult]:
    """Every copy read, in order; `done(n)` is called as each `n` more are read.

    Reading a copy is most of an import's time (opening, bounding and parsing the
    workbook), so copies in files are read by `workers` processes at once (0: one per
    processor this process may use, at most `MAX_WORKERS`; 1: all here). Each copy is
    read whole by one process, exactly as here, so its problems are located as always.
    A copy whose reading kills its process, or takes longer than `timeout` seconds, is
    never read here (it would do the same to this process): the copies a reading
    process left unfinished are each read again in a process of their own, and the
    one that dies or hangs there is reported unreadable (`unreadable-file`), located
    at the copy. Google Sheets, and copies in files when there are few, are read here.

    A result holds the copy's study and problems, not where its items' cells are
    (`ImportResult.cells`, which only Google Sheets sync writes back to): sending those
    from a reading process, and taking them in here, cost more than a tenth of a copy's
    reading (0.8 ms of its 11). They are left out however the copy was read, so that a
    result never depends on the process that read it.
    """
    done = done or (lambda n: None)
    results: list[ImportResult | None] = [None] * len(sources)
    on_disk = [n for n, source in enumerate(sources) if source.path is not None]
    workers = min(workers or min(_processors(), MAX_WORKERS), len(on_disk))
    if workers > 1 and len(on_disk) >= PARALLEL_FROM:
        left = _read_in_pool(sources, on_disk, workers, timeout, results, done)
        for n in left:  # each alone: a copy that kills or hangs its process is found out
            results[n] = _read_alone(sources[n], timeout)
            done(1)
    for n, source in enumerate(sources):
        if results[n] is None:
            results[n] = _for_import(source.read())
            done(1)
    return [result for result in results if result is not None]


def _for_import(result: ImportResult) -> ImportResult:
    """What an import keeps of a copy read: its study and problems (`read_copies`)."""
    return ImportResult(result.study, result.problems)


def _read_in_pool(
    sources: Sequence[Source],
    on_disk: list[int],
    workers: int,
    timeout: float,
    results: list[ImportResult | None],
    done: Callable[[int], None],
) -> list[int]:
    """Read these copies with `workers` processes; the positions left unread when a
    process died, or none finished its copies within `timeout` seconds.

    Copies are handed out a few at a time (`_share`), more as each share is read:
    waiting on every copy's future at once cost this process time for each copy
    each time one finished (a second of a 1,000-copy import, taken from the readers),
    and a future for each single copy still cost it over a millisecond a copy (1.7
    processor seconds of 1,000 copies, beside the readers' 12). A share whose process
    dies is left unread, as are those not yet handed out: each of their copies is then
    read alone.
    """
    tasks = [(sources[n].path, sources[n].rubric) for n in on_disk]
    share = _share(len(on_disk), workers)
    pool = ProcessPoolExecutor(workers, _start_method(), initializer=_take_tasks, initargs=(tasks,))
    waiting = iter(range(0, len(on_disk), share))
    futures: dict[Future[list[ImportResult]], int] = {}
    pending: set[Future[list[ImportResult]]] = set()

    def hand_out(shares: int) -> None:
        for first in itertools.islice(waiting, shares):
            future = pool.submit(_read_tasks, first, min(first + share, len(on_disk)))
            futures[future] = first
            pending.add(future)

    try:
        hand_out(workers * IN_FLIGHT)
        while pending:
            finished, _ = wait(pending, timeout, return_when=FIRST_COMPLETED)
            if not finished:  # a reader hangs: stop them all, the rest are read alone
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.kill()
                break
            pending -= finished
            for future in finished:
                try:
                    read = future.result()
                except BrokenProcessPool:
                    continue  # left unread, as are those not handed out: read alone below
                first = futures[future]
                for k, result in enumerate(read):
                    results[on_disk[first + k]] = result
                done(len(read))
                try:
                    hand_out(1)
                except BrokenProcessPool:  # a reader died: hand out no more
                    waiting = iter(())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [n for n in on_disk if results[n] is None]


def _share(copies: int, workers: int) -> int:
    """How many copies a reading process is handed at once: up to `SHARE`, and few enough
    that each process is handed several shares (so that all finish at about one time)."""
    return max(1, min(SHARE, copies // (workers * IN_FLIGHT * 2)))


def _read_alone(source: Source, timeout: float) -> ImportResult:
    """One copy read in a process of its own: its result, or unreadable when that
    process dies or takes longer than `timeout` seconds."""
    context = _start_method()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_send_read, args=(source.path, source.rubric, send))
    process.daemon = True
    process.start()
    send.close()
    try:
        if receive.poll(timeout):
            return receive.recv()
    except EOFError:
        pass  # it died before it sent the copy
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join()
    return ImportResult(
        None,
        Report(
            [
                Problem(
                    "unreadable-file",
                    source.label,
                    "reading this copy stopped its reader (it failed, or took longer than "
                    f"{timeout:g} seconds), so it was not read; open it and save it again as "
                    ".xlsx, or import it on its own",
                )
            ]
        ),
    )


def _send_read(path: Path, rubric: Rubric | None, send: Any) -> None:
    send.send(_for_import(read_sheet_copy(path, rubric)))
    send.close()


def _processors() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _start_method() -> Any:
    """Fork, which starts a reader at once, when nothing else runs in this process (a
    fork copies only the thread that made it, and a lock another thread held stays held);
    else a fork server, which starts clean."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


_TASKS: list[tuple[Path, Rubric | None]] = []  # a reading process's copies, by position


_RUBRICS: dict[tuple[str, str | None], Rubric] = {}  # the rubrics its copies named so far


def _take_tasks(tasks: list[tuple[Path, Rubric | None]]) -> None:
    _TASKS[:] = tasks
    _RUBRICS.clear()


def _read_tasks(first: int, last: int) -> list[ImportResult]:
    """The copies from the `first`th to before the `last`th, read in a reading process."""
    return [
        _for_import(read_sheet_copy(path, rubric, _rubric_once))
        for path, rubric in _TASKS[first:last]
    ]


def _rubric_once(rubric_id: str, version: str | None, where: str) -> Rubric:
    """`rubric_by_id`, found once for each id and version a reading process meets.

    Finding a rubric lists and checks every file of the rubric folder, a twentieth of
    a copy's reading; a reading process lives for one import's copies, which all name
    the same rubric or a few. An id that finds none is looked up for each copy naming
    it, so that each is refused at its own cell.
    """
    key = (rubric_id, version)
    if key not in _RUBRICS:
        _RUBRICS[key] = rubric_by_id(rubric_id, version, where)
    return _RUBRICS[key]


def upload_sources(
    files: Sequence[tuple[str, bytes]], rubric_id: str | None = None, upload: str = ""
) -> tuple[list[Source], Report]:
    """The sheet copies in uploaded files, and the problems of the files that hold none.

    `files` are (file name, contents). Each workbook is a copy; each workbook in a .zip
    is one (the .zip read within `copy_archives`' bounds, each of its workbooks then
    within a workbook's own); CSV files uploaded together are the tabs of one copy. A
    copy's problems are located by its file name, and its name inside the .zip:
    `cohort.zip: p01.xlsx: '1. Program Goals'!D7`. A .zip that cannot be opened, a
    file of another kind, and copies past `MAX_COPIES` are reported, never read. Names
    are labels only: nothing is written anywhere.

    Each copy has a creation key: a digest of `upload` (what tells this upload from
    another of the same files, such as when it was read), the copy's label and the
    bytes of the file it came in, so saving the same upload again (a click during
    saving, which reruns the app's page) stores none of its copies twice.
    """
    sources: list[Source] = []
    problems = Report()
    used: set[str] = set()

    def add(where: str, read: Callable[[], bytes], stem: str, data: bytes) -> None:
        label = _unique(where, used)
        if len(sources) < MAX_COPIES:
            reader = _upload_reader(label, read, rubric_id)
            key = _creation_key(upload, label, data)
            sources.append(Source(label, stem, reader, creation_key=key))
        elif len(sources) == MAX_COPIES:
            problems.append(_too_many_copies(label))

    csvs = [(name, data) for name, data in files if name.lower().endswith(".csv")]
    for name, data in files:
        where = _file_label(name)
        if is_archive(name):
            try:
                members = archive_members(data, where)
            except ProblemsFound as exc:
                problems.extend(exc.problems)
                continue
            for member in members:
                if member.name.lower().endswith(WORKBOOK_SUFFIXES):
                    add(member.where, member.read, Path(member.name).stem, data)
                else:
                    problems.append(_not_a_copy(member.where, inside=True))
        elif name.lower().endswith(WORKBOOK_SUFFIXES):
            add(where, lambda data=data: data, Path(name).stem, data)
        elif not name.lower().endswith(".csv"):
            problems.append(_not_a_copy(where, inside=False))
    if csvs:
        label = _unique(", ".join(_file_label(name) for name, _ in csvs), used)
        key = _creation_key(upload, label, b"".join(_digest(data) for _, data in csvs))
        read = functools.partial(read_uploaded_copy, csvs, rubric_id)
        sources.append(Source(label, "csv-copy", read, creation_key=key))
    return sources, problems


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _creation_key(upload: str, label: str, data: bytes) -> str:
    """One copy of one upload, short enough for a person's namespaced key (100 characters)."""
    digest = hashlib.sha256(f"{len(upload)}:{upload}:{len(label)}:{label}:".encode())
    digest.update(_digest(data))
    return "copy:" + digest.hexdigest()[:40]


def _upload_reader(
    where: str, read: Callable[[], bytes], rubric_id: str | None
) -> Callable[[], ImportResult]:
    def read_copy() -> ImportResult:
        try:
            sheets = read_xlsx(read(), unread=is_ignored_tab)
            rubric = rubric_by_id(rubric_id) if rubric_id else None
        except ProblemsFound as exc:
            return ImportResult(None, _located(exc.problems, where))
        result = interpret(sheets, rubric)
        result.problems = _located(result.problems, where)
        return result

    return read_copy


def _located(problems: Report, where: str) -> Report:
    """Problems located in the upload `where` names, not in "uploaded workbook"."""
    return Report(
        replace(p, location=where + p.location.removeprefix(_UPLOADED))
        if p.location.startswith(_UPLOADED)
        else p
        for p in problems
    ).in_file(where)


def _file_label(name: str) -> str:
    return clip(printable(Path(name.replace("\\", "/")).name or name), 120)


def _unique(label: str, used: set[str]) -> str:
    """`label`, or `label (2)`, `(3)`… when another copy of this upload has it already."""
    candidate, n = label, 1
    while candidate in used:
        n += 1
        candidate = f"{label} ({n})"
    used.add(candidate)
    return candidate


def _not_a_copy(where: str, inside: bool) -> Problem:
    return Problem(
        "unsupported-source",
        where,
        "not a sheet copy: "
        + (
            "in a .zip, only the workbooks (.xlsx) are read; a .zip in a .zip is not opened"
            if inside
            else "upload .xlsx copies, a .zip of them, or the CSV files of one copy"
        ),
    )


def _too_many_copies(where: str) -> Problem:
    return Problem(
        "too-many-copies",
        where,
        f"one import takes at most {MAX_COPIES:,} copies; this one and those after it were "
        "not read: import them in another go",
    )


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
    return next(iter(stored_rounds(storage, study)), None)


def stored_rounds(storage: Storage, study: SelfStudy) -> list[str]:
    """The ids of every stored study of the same program and round as `study` (several when
    copies were kept both), the most recently edited first: `existing_match` is the first."""
    stored = storage.study_programs({study.rubric.id})  # newest first
    return [stored[n][0] for n in _Rounds([other for _, other in stored]).matches(study)]


def existing_matches(storage: Storage, studies: Sequence[SelfStudy]) -> list[str | None]:
    """`existing_match` of each study: one read of the stored studies' program details (never
    their answers), however many copies there are.

    "Same program" is `rounds.same_program`; "same round" is `same_round`.
    """
    if not studies:
        return []
    stored = storage.study_programs({study.rubric.id for study in studies})  # newest first
    rounds = _Rounds([other for _, other in stored])
    return [next((stored[n][0] for n in rounds.matches(study)), None) for study in studies]


class _Rounds:
    """Studies filed by what `same_program` compares (the rubric, and the program id or the
    name as it compares them), so the studies of a copy's program and round are found
    among a handful, not by comparing it with every study. The rule stays `same_program`
    and `same_round`: the filing only narrows the studies they are asked about."""

    def __init__(self, studies: Sequence[SelfStudy]):
        self.studies = studies
        self.by_id: dict[tuple[str, str], list[int]] = {}
        self.by_name: dict[tuple[str, str], list[int]] = {}
        for n, study in enumerate(studies):
            if study.program.id:
                self.by_id.setdefault(_id_key(study), []).append(n)
            self.by_name.setdefault(_name_key(study), []).append(n)

    def matches(self, study: SelfStudy) -> list[int]:
        """The positions of the studies of the same program and round as `study`, in order."""
        found = set(self.by_name.get(_name_key(study), []))
        if study.program.id:
            found.update(self.by_id.get(_id_key(study), []))
        return [
            n
            for n in sorted(found)
            if same_program(self.studies[n], study) and same_round(self.studies[n], study)
        ]


def _id_key(study: SelfStudy) -> tuple[str, str]:
    return study.rubric.id, (study.program.id or "").strip()


def _name_key(study: SelfStudy) -> tuple[str, str]:
    return study.rubric.id, " ".join(study.program.name.split()).casefold()


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
    refused the same way. Answers and program details are saved in one transaction:
    a refusal of either writes neither. Every change is in the history, made `by`.
    The ids are item ids, with `@program` when the program details changed.
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
    new_details = program != current.study.program
    revisions = storage.save_answers(
        study_id,
        answers,
        {item_id: seen.revisions.get(item_id) for item_id in answers},
        by,
        # in the same transaction: only the details the copy changes, over those stored then
        program=program if new_details else None,
        shown=current.study.program,
    )
    changed = [
        item_id for item_id, rev in revisions.items() if rev != current.revisions.get(item_id, 0)
    ]
    if new_details:
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


class SavingStopped(ProblemsFound):
    """Saving stopped part-way (the database failed, or access was taken away meanwhile).

    The copies in `saved` are stored (each batch is written whole or not at all); the
    others are not. `found` holds why copies were left out before it stopped (already
    stored, another program's…), for the report. The problems are the failure's, then
    `import-stopped` saying so, with `again_hint`: how importing again does not store
    the saved copies twice.
    """

    def __init__(
        self,
        failure: ProblemsFound,
        saved: list[SavedCopy],
        total: int,
        found: Report | None = None,
        again_hint: str = "",
    ):
        self.failure = failure
        self.saved = saved
        self.found = found or Report()
        left = total - len(saved)
        super().__init__(
            [
                *failure.problems,
                Problem(
                    "import-stopped",
                    "import",
                    f"saving stopped after {len(saved)} of {total} copies: those reported "
                    f"saved are stored, the other {left} are not; when the problem above is "
                    "fixed, import them again (the saved ones are then found already stored"
                    + (f"; {again_hint})" if again_hint else ")"),
                ),
            ]
        )


BATCH = 200  # new studies written in one transaction: seconds of writing at most
STORED_HINT = (
    "add --update to update {study_id} from this copy, or --keep-both to save it as another "
    "self-study"
)
AGAIN_HINT = "leave out --keep-both, which would store the saved ones again"


def save_copies(
    storage: Storage,
    copies: Sequence[tuple[Source, SelfStudy]],
    on_match: OnMatch | Sequence[OnMatch] = "skip",
    by: str = "",
    *,
    program_id: str | None = None,
    seen: Mapping[str, StoredStudy] | None = None,
    done: Callable[[int], None] | None = None,
    stored_hint: str = STORED_HINT,
    batch: int = BATCH,
    so_far: list[SavedCopy] | None = None,
    again_hint: str = AGAIN_HINT,
) -> tuple[list[SavedCopy], Report]:
    """Save many copies: each as a new study, unless its program and round are stored already.

    Such a copy is skipped and reported (`already-stored`, with `stored_hint` saying how
    to choose otherwise); with `on_match` "update" it updates the stored study instead
    (`update_from_copy`, checked against `seen`, the stored studies by id as the user
    reviewed them), with "keep-both" it is saved as another study. `on_match` is one
    choice for every copy, or one per copy. Copies in this one import that are the
    same program and round as each other are all skipped and reported
    (`repeated-copy`), except those to keep both: which of them is the right one
    cannot be told from the order the files happen to be found in.

    New studies go to `program_id` (None: the program each names) in batches of
    `batch`, each one transaction with every check of a single `create_study`; a copy
    whose details are another program's is reported (`another-program`) and the rest
    of its batch saved. `done(n)` is called as each `n` more copies are dealt with;
    each copy stored is first added to `so_far`, so a caller stopped inside `done` (the
    app, when the page is rerun) still knows what was saved. A copy with a creation key
    (`upload_sources`) saved again returns the study it made the first time.

    The person must be allowed to update every copy chosen for an update, and to begin
    studies in `program_id` when it is given: else `NoAccess` is raised before anything
    is written. A new copy of a program they may not begin studies in is checked before
    anything is written too, and reported where it is (`no-access`), the others saved
    (when they may begin none of the new copies, and update none, `NoAccess`; but a
    facilitator's refusals say different things of each copy, so each is reported). When
    writing fails part-way, `SavingStopped` holds what was saved; a failure before
    anything was written is raised as it is.
    """
    done = done or (lambda n: None)
    record = (lambda copy: None) if so_far is None else so_far.append
    studies = [study for _, study in copies]
    choices = [on_match] * len(copies) if isinstance(on_match, str) else list(on_match)
    repeats = {n: m for n, m in _repeated(studies).items() if choices[n] != "keep-both"}
    matches = existing_matches(storage, studies)
    found: dict[int, list[Problem]] = {}
    new: list[int] = []
    updates: list[int] = []
    for n, ((source, study), match) in enumerate(zip(copies, matches, strict=True)):
        if n in repeats:
            found[n] = [_repeated_problem(source, study, copies[repeats[n]][0])]
        elif match is None or choices[n] == "keep-both":
            new.append(n)
        elif choices[n] == "skip":
            found[n] = [_stored_problem(source, study, match, storage, stored_hint)]
        else:
            updates.append(n)
    refused = [copies[n][0].label for n in updates if not storage.allows(Action.EDIT, matches[n])]
    if refused:
        raise NoAccess(
            ", ".join(refused),
            "only the members of a self-study's program can update it from a copy",
        )
    refusals = storage.creation_refusals([studies[n] for n in new], program_id)
    if (
        new
        and not updates
        and not storage.actor.cohorts_for(Action.CREATE)  # a facilitator's differ: each told
        and all(isinstance(refusals.get(k), NoAccess) for k in range(len(new)))
    ):
        raise NoAccess(  # they may begin none of them: refused as a whole, as for one
            ", ".join(copies[n][0].label for n in new),
            "begin or import self-studies in one of your own programs; only a network admin "
            "can add a program",
        )
    for k, refusal in refusals.items():  # each refused copy where it is; the others saved
        found[new[k]] = _located_at(refusal, copies[new[k]][0].label)
    new = [n for k, n in enumerate(new) if k not in refusals]
    done(len(copies) - len(new) - len(updates))
    saved: dict[int, SavedCopy] = {}
    try:
        for start in range(0, len(new), batch):
            positions = new[start : start + batch]
            for n, study_id in _create_batch(storage, copies, positions, by, program_id, found):
                saved[n] = SavedCopy(copies[n][0], copies[n][1], study_id)
                record(saved[n])
            done(len(positions))
        for n in updates:
            source, study = copies[n]
            outcome = _update(storage, source, study, matches[n], by, (seen or {}).get(matches[n]))
            if isinstance(outcome, Problem):
                found[n] = [outcome]
            else:
                saved[n] = outcome
                record(outcome)
            done(1)
    except ProblemsFound as failure:
        if not saved:
            raise  # nothing was written: refused, or failed, as it is
        raise SavingStopped(
            failure,
            [saved[n] for n in sorted(saved)],
            len(copies),
            Report(p for n in sorted(found) for p in found[n]),
            again_hint,
        ) from None
    problems = Report(p for n in sorted(found) for p in found[n])
    return [saved[n] for n in sorted(saved)], problems


def _create_batch(
    storage: Storage,
    copies: Sequence[tuple[Source, SelfStudy]],
    batch: list[int],
    by: str,
    program_id: str | None,
    found: dict[int, list[Problem]],
) -> list[tuple[int, str]]:
    """Store the copies at these positions as new studies in one transaction: their ids.

    A copy refused (its details another program's, or access to its program taken away
    since `save_copies` checked it) is reported in `found` and the others are stored
    without it.
    """
    while batch:
        try:
            keys = [copies[n][0].creation_key for n in batch]
            ids = storage.create_studies(
                [copies[n][1] for n in batch],
                by,
                program_id,
                keys if any(k is not None for k in keys) else None,
            )
        except StudiesRefused as refused:
            for k, refusal in refused.refused.items():
                found[batch[k]] = _located_at(refusal, copies[batch[k]][0].label)
            batch = [n for k, n in enumerate(batch) if k not in refused.refused]
            continue
        return list(zip(batch, ids, strict=True))
    return []


def _located_at(refusal: ProblemsFound, label: str) -> list[Problem]:
    """A refusal of one copy's study, located at the copy (its words name what in it)."""
    return [replace(p, location=label) for p in refusal.problems]


def _update(
    storage: Storage,
    source: Source,
    study: SelfStudy,
    match: str,
    by: str,
    seen: StoredStudy | None,
) -> SavedCopy | Problem:
    """Update the stored study `match` from a copy: what was saved, or why it was not."""
    seen = seen or storage.get_study(match)
    try:
        changed = update_from_copy(storage, match, study, by, seen)
    except StaleEdit as stale:
        return _stale_problem(source, stale)
    changes = what_would_change(
        seen.study, study, rubric_by_id(study.rubric.id, study.rubric.version)
    )
    return SavedCopy(source, study, match, True, changes, changed)


def _repeated(studies: Sequence[SelfStudy]) -> dict[int, int]:
    """Each copy that repeats another's program and round: its position and the first other's."""
    rounds = _Rounds(studies)
    repeats: dict[int, int] = {}
    for n, study in enumerate(studies):
        other = next((m for m in rounds.matches(study) if m != n), None)
        if other is not None:
            repeats[n] = other
    return repeats


def _round_words(study: SelfStudy) -> str:
    return f"round {study.program.round!r}" if study.program.round else "no round"


def _stored_problem(
    source: Source, study: SelfStudy, study_id: str, storage: Storage, hint: str
) -> Problem:
    if not storage.allows(Action.EDIT, study_id):
        return Problem(
            "already-stored",
            source.label,
            f"{study.program.name!r} ({_round_words(study)}) is already stored as {study_id}, "
            "which you may read but not change; nothing was saved: only its program's "
            "members can update it from a copy",
        )
    differences = [
        c for c in what_would_change(storage.get_study(study_id).study, study) if not c.kept
    ]
    differ = (
        f"it differs in {counted(len(differences), 'field')}" if differences else "it is the same"
    )
    return Problem(
        "already-stored",
        source.label,
        f"{study.program.name!r} ({_round_words(study)}) is already stored as {study_id} and "
        f"{differ}; nothing was saved: {hint.format(study_id=study_id)}",
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


# --- what became of each copy, for a report ------------------------------------------------

Status = Literal["saved", "updated", "skipped", "not saved"]
SKIPPED = ("already-stored", "repeated-copy")  # the choice or the import left it out


@dataclass(frozen=True)
class CopyOutcome:
    """One copy of an import as its report shows it: what became of it and why."""

    source: Source
    study: SelfStudy | None  # None: it could not be read
    status: Status
    study_id: str | None = None
    problems: list[Problem] = field(default_factory=list)
    saved: SavedCopy | None = None


def copy_outcomes(
    copies: Sequence[tuple[Source, SelfStudy]],
    saved: Sequence[SavedCopy],
    problems: Sequence[Problem],
) -> list[CopyOutcome]:
    """What `save_copies` did with each copy, in order: saved, updated, skipped (stored
    already, or repeated) or not saved (refused, or changed meanwhile), with its problems."""
    by_source = {id(copy.source): copy for copy in saved}
    by_label: dict[str, list[Problem]] = {}
    for problem in problems:
        by_label.setdefault(problem.location, []).append(problem)
    outcomes = []
    for source, study in copies:
        copy = by_source.get(id(source))
        mine = by_label.get(source.label, [])
        if copy is not None:
            status: Status = "updated" if copy.updated else "saved"
            outcomes.append(CopyOutcome(source, study, status, copy.study_id, mine, copy))
        else:
            skipped = mine and all(p.code in SKIPPED for p in mine)
            outcomes.append(
                CopyOutcome(source, study, "skipped" if skipped else "not saved", None, mine)
            )
    return outcomes


# --- what saving would do, for a person to choose first -------------------------------------


@dataclass(frozen=True)
class CopyReview:
    """What saving a copy would do, shown before anything is written (the app's bulk import).

    `match` is the stored study of its program and round, `editable` whether the person
    may update it, `seen` that study as shown (an update is checked against it) and
    `changes` what an update would change; `repeats` another copy of this import of the
    same program and round (then neither is saved, unless both are kept).
    """

    source: Source
    study: SelfStudy
    match: str | None = None
    editable: bool = False
    seen: StoredStudy | None = None
    changes: list[CopyChange] = field(default_factory=list)
    repeats: Source | None = None


def review_copies(storage: Storage, copies: Sequence[tuple[Source, SelfStudy]]) -> list[CopyReview]:
    """What `save_copies` would find for each copy: the same matches and repeats it uses."""
    studies = [study for _, study in copies]
    repeats = _repeated(studies)
    reviews = []
    for n, ((source, study), match) in enumerate(
        zip(copies, existing_matches(storage, studies), strict=True)
    ):
        other = copies[repeats[n]][0] if n in repeats else None
        if match is None:
            reviews.append(CopyReview(source, study, repeats=other))
            continue
        seen = storage.get_study(match)
        rubric = rubric_by_id(study.rubric.id, study.rubric.version)
        reviews.append(
            CopyReview(
                source,
                study,
                match,
                storage.allows(Action.EDIT, match),
                seen,
                what_would_change(seen.study, study, rubric),
                other,
            )
        )
    return reviews
