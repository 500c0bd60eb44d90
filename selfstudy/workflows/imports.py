"""Importing sheet copies: from files and folders, Google Sheets or an upload, then saving them.

The app's Import & sync page and `selfstudy import` read and save copies
through these functions. Reading never stops at the first bad copy: each
`Source` reads to an `ImportResult` with every problem located in its copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy import ImportResult, Sheets
from selfstudy.core.study import SelfStudy
from selfstudy.edges import gsheets
from selfstudy.edges.files import ensure_folder, write_text_atomically
from selfstudy.edges.rubric_files import find_rubric
from selfstudy.edges.sheet_files import discover_sources, interpret, read_sheet_copy
from selfstudy.edges.storage import Storage
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
        rubric = find_rubric(rubric_id) if rubric_id else None
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
    for (_, study), (_, target) in zip(studies, targets, strict=True):
        write_text_atomically(target, study.to_json())
    return targets


def save_imported(storage: Storage, study: SelfStudy) -> str:
    """Store an imported study as a new self-study; its id."""
    return storage.create_study(study)
