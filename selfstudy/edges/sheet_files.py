"""Sheet copies and self-studies on disk: finding them in folders and reading them.

These are the functions of `selfstudy.core.sheetcopy` that touch files; they hand the
reading to `selfstudy.edges.workbooks` and the rubric lookup to `selfstudy.edges.rubric_files`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.sheetcopy.parse import ImportResult, copy_rubric_named, parse_sheet_copy
from selfstudy.core.sheetcopy.vocabulary import START_HERE, Sheets, a1, is_ignored_tab, titled
from selfstudy.core.study import SelfStudy, check_study
from selfstudy.edges import workbooks
from selfstudy.edges.rubric_files import rubric_by_id
from selfstudy.edges.study_files import load_study
from selfstudy.edges.workbooks import WORKBOOK_SUFFIXES, is_skipped

JSON_SUFFIX = ".json"
# How a copy's rubric is found from the id, version and where they are written
RubricLookup = Callable[[str, str | None, str], Rubric]


def is_csv_copy_folder(path: Path) -> bool:
    """A folder holding a sheet copy as CSV files, one per tab.

    That is a folder with a `START HERE.csv`, or with CSV files and no other
    sheet copies (.xlsx, .json) beside them.
    """
    if not path.is_dir():
        return False
    suffixes = {p.suffix.lower() for p in path.iterdir() if not is_skipped(p)}
    has_start = any(titled(p.stem, START_HERE) for p in path.glob("*.csv"))
    return has_start or (".csv" in suffixes and not suffixes & {JSON_SUFFIX, *WORKBOOK_SUFFIXES})


def discover_sources(paths: Iterable[Path]) -> list[Path]:
    """The self-study sources named by `paths`, with folders expanded.

    A folder holding CSV files is one source (a sheet copy as CSV); any other
    folder is searched for `*.json`, workbooks (`WORKBOOK_SUFFIXES`) and CSV
    sub-folders. Office lock files (`~$copy.xlsx`) and hidden files are skipped.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir() and not is_csv_copy_folder(path):
            for child in sorted(path.iterdir()):
                if is_skipped(child):
                    continue
                if child.is_dir():
                    found += discover_sources([child]) if is_csv_copy_folder(child) else []
                elif child.suffix.lower() in (JSON_SUFFIX, *WORKBOOK_SUFFIXES):
                    found.append(child)
        else:
            found.append(path)
    return found


def read_sheet_copy(
    path: Path, rubric: Rubric | None = None, lookup: RubricLookup = rubric_by_id
) -> ImportResult:
    """Read a `.json` self-study, an `.xlsx` copy or a CSV folder, with every problem.

    Problem locations are prefixed with the file (`copy.xlsx: '1. Program Goals'!D7`).
    Without `rubric`, the one the copy names is found by `lookup`.
    """
    source = str(path)
    try:
        if path.suffix.lower() == JSON_SUFFIX and path.is_file():
            study = load_study(path)
            rubric = rubric or lookup(study.rubric.id, study.rubric.version, source)
            problems = check_study(study, rubric, source)
            return ImportResult(None if problems.has_errors else study, problems)
        sheets = workbooks.read_sheets(path, is_ignored_tab)
    except ProblemsFound as exc:
        return ImportResult(None, exc.problems.in_file(source))
    result = interpret(sheets, rubric, lookup)
    result.problems = result.problems.in_file(source)
    return result


def read_study_source(path: Path, rubric: Rubric | None = None) -> SelfStudy:
    """The self-study in a `.json` file, an `.xlsx` copy or a CSV folder; raises `ProblemsFound`."""
    return read_sheet_copy(Path(path), rubric).raise_on_errors()


def interpret(
    sheets: Sheets, rubric: Rubric | None = None, lookup: RubricLookup = rubric_by_id
) -> ImportResult:
    """`parse_sheet_copy` against `rubric`, by default the rubric the copy names on START HERE.

    A copy that names no rubric, or one the rubric folder lacks, gives an import
    result with that problem and no study.
    """
    if rubric is None:
        try:
            rubric = _rubric_named_in(sheets, lookup)
        except ProblemsFound as exc:
            return ImportResult(None, exc.problems)
    return parse_sheet_copy(sheets, rubric)


def _rubric_named_in(sheets: Sheets, lookup: RubricLookup) -> Rubric:
    rubric_id, version, cell = copy_rubric_named(sheets)
    if rubric_id is None:
        raise ProblemsFound(
            [
                Problem(
                    "missing-rubric",
                    a1(START_HERE, 1),
                    "the copy does not name its rubric (no 'Rubric' row on START HERE); "
                    "choose the rubric with --rubric, or add the row",
                )
            ]
        )
    return lookup(rubric_id, version, cell)
