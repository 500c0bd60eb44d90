"""Whatever a file holds, every loader ends in a result or in our own located problems (issue 10).

Never another exception, a hang, a crash or unbounded memory. Each property
starts from a real document the project writes (the default rubric, a sample
self-study, its workbook, CSV folder and Google Sheet grid) and breaks it a
little, or feeds raw junk. The named cases of the issue follow, each its own
test; the bombs run in a child process with bounded memory and time, so that
a failure there is reported instead of taking this test run down with it.
"""

from __future__ import annotations

import csv
import datetime as dt
import html.parser
import io
import json
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from selfstudy.cli import main
from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.rubric import Rubric
from selfstudy.core.rubric.parse import parse_rubric
from selfstudy.core.scoring import score
from selfstudy.core.sheetcopy import SHEETS_TITLE_LIMIT, Sheets, a1, layout, sheets_of
from selfstudy.core.study import SelfStudy, check_study, parse_study
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric
from selfstudy.edges.sheet_files import interpret, read_sheet_copy
from selfstudy.edges.study_files import load_study, sample_files
from selfstudy.edges.workbooks import export_csv, read_csv_files, read_xlsx, xlsx_bytes
from tests import hostile
from tests.sheet_tables import TINY_RUBRIC, tiny_study

T = TypeVar("T")

FUZZ = settings(
    max_examples=30,
    deadline=10_000,  # ms: far above any real load, even on a busy machine; a stall trips it
    phases=[p for p in Phase if p != Phase.explain],  # explaining traces every line: minutes
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.function_scoped_fixture,
    ],
)
MESSAGE_LIMIT = 2_000  # characters in one printed problem: a line a person can read
UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
DEFAULT_RUBRIC_PATH = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"
BOUNDED_MEMORY = 1536 * 2**20  # address space of a child process running a bomb
BOUNDED_SECONDS = 30
SELFSTUDY = Path(sys.executable).parent / "selfstudy"


# --- what every outcome must be --------------------------------------------------------------


def assert_located(problems: list[Problem], readable: bool = False) -> None:
    """Each problem says where it is and what is wrong.

    `readable` asks more, what the command line promises: each problem is one line,
    free of control characters, short enough to read (`MESSAGE_LIMIT`). The fuzz
    properties check it apart, so that a long message never hides a crash.
    """
    for problem in problems:
        assert problem.location.strip(), f"a problem without a location: {problem!r}"[:500]
        assert problem.message.strip(), f"a problem without a message: {problem!r}"[:500]
        if readable:
            line = str(problem)
            assert not UNPRINTABLE.search(line), f"breaks or controls in: {line!r}"[:500]
            assert len(line) <= MESSAGE_LIMIT, f"a problem of {len(line)} chars: {line[:300]!r}"


def located(load: Callable[[], T], readable: bool = False) -> T | None:
    """What `load()` returns, or None when it raised `ProblemsFound` with located problems.

    Any other exception escapes, and fails the test with its traceback.
    """
    try:
        return load()
    except ProblemsFound as exc:
        assert exc.problems, "ProblemsFound without a problem"
        assert_located(exc.problems, readable)
        return None


# --- the real documents the fuzzing starts from -----------------------------------------------


@cache
def default_rubric() -> Rubric:
    return load_rubric(DEFAULT_RUBRIC_PATH)


@cache
def sample_study() -> SelfStudy:
    return load_study(sample_files()[0])


@cache
def sample_xlsx() -> bytes:
    return xlsx_bytes(sample_study(), default_rubric())


@cache
def sample_csv_files() -> dict[str, bytes]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        files = export_csv(sample_study(), default_rubric(), Path(folder) / "copy")
        return {path.stem: path.read_bytes() for path in files}


@cache
def sample_grid() -> Sheets:
    """The copy as a Google Sheet holds it: what a push writes and a pull reads back."""
    return sheets_of(layout(default_rubric(), sample_study(), SHEETS_TITLE_LIMIT))


def yaml_document(text: str) -> Any:
    """A rubric as plain data, read by libyaml as the loader reads it."""
    return yaml.load(text, Loader=yaml.CSafeLoader)


TINY_DOCUMENT = yaml_document(TINY_RUBRIC)
DEFAULT_DOCUMENT = yaml_document(DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8"))
STUDY_DOCUMENT = json.loads(sample_files()[0].read_text(encoding="utf-8"))


# --- what happens after a load ---------------------------------------------------------------


def rubric_outcome(load: Callable[[], Rubric], readable: bool = False) -> None:
    """A rubric that loads can score a blank self-study and be laid out as a sheet copy."""
    rubric = located(load, readable)
    if rubric is not None:
        blank = SelfStudy.new(rubric, "Bridge to STEM")
        score(rubric, blank)
        sheets_of(layout(rubric, blank))


def study_outcome(load: Callable[[], SelfStudy], readable: bool = False) -> None:
    """A self-study that loads is checked against its rubric, then scored and written back."""
    study = located(load, readable)
    if study is None:
        return
    problems = check_study(study, default_rubric(), "study.json")
    assert_located(problems, readable)
    if not problems.has_errors:
        score(default_rubric(), study)
        study.to_json().encode("utf-8")


def import_outcome(sheets: Sheets, rubric: Rubric | None = None, readable: bool = False) -> None:
    """A sheet copy gives a study, or no study and an error saying why; both can be written."""
    result = located(lambda: interpret(sheets, rubric), readable)
    if result is None:
        return
    assert_located(result.problems, readable)
    assert (result.study is None) == result.problems.has_errors, (
        f"study {'missing' if result.study is None else 'given'} "
        f"with problems {result.problems.codes()}"
    )
    if result.study is not None:
        result.study.to_json().encode("utf-8")


def sheets_outcome(read: Callable[[], Sheets]) -> None:
    sheets = located(read)
    if sheets is not None:
        import_outcome(sheets)
        import_outcome(sheets, default_rubric())


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- rubric YAML -------------------------------------------------------------------------------


@FUZZ
@given(text=st.text(max_size=300) | hostile.TEXT)
def test_any_text_as_a_rubric_gives_a_rubric_or_located_problems(text):
    rubric_outcome(lambda: parse_rubric(text, "rubric.yaml"))


@FUZZ
@given(text=hostile.edited_text(TINY_RUBRIC, hostile.YAML_SNIPPETS))
def test_a_hand_edited_rubric_gives_a_rubric_or_located_problems(text):
    rubric_outcome(lambda: parse_rubric(text.value, "rubric.yaml"))


@settings(FUZZ, max_examples=60)
@given(
    document=st.sampled_from([TINY_DOCUMENT, DEFAULT_DOCUMENT]).flatmap(
        lambda doc: hostile.mutated(doc, keys=hostile.YAML_KEYS)
    )
)
def test_a_rubric_with_parts_of_the_wrong_shape_gives_a_rubric_or_located_problems(document):
    rubric_outcome(lambda: parse_rubric(hostile.yaml_text(document.value), "rubric.yaml"))


@FUZZ
@given(
    data=st.binary(max_size=500)
    | hostile.edited_bytes(TINY_RUBRIC.encode())
    | st.sampled_from(["utf-16", "utf-32", "cp1252", "utf-8-sig"]).map(TINY_RUBRIC.encode)
)
def test_a_rubric_file_of_any_bytes_gives_a_rubric_or_located_problems(data, scratch):
    path = scratch / "rubric.yaml"
    path.write_bytes(hostile.unwrap(data))
    rubric_outcome(lambda: load_rubric(path))


# --- self-study JSON -------------------------------------------------------------------------


@FUZZ
@given(text=st.text(max_size=300) | hostile.TEXT)
def test_any_text_as_a_self_study_gives_a_study_or_located_problems(text):
    study_outcome(lambda: parse_study(text, "study.json"))


@settings(FUZZ, max_examples=60)
@given(
    document=hostile.mutated(STUDY_DOCUMENT, values=hostile.VALUES | hostile.SURROGATE_TEXT, most=4)
)
def test_a_self_study_with_parts_of_the_wrong_shape_gives_a_study_or_located_problems(document):
    study_outcome(lambda: parse_study(hostile.json_text(document.value), "study.json"))


@FUZZ
@given(
    data=st.binary(max_size=500)
    | hostile.edited_bytes(json.dumps(STUDY_DOCUMENT).encode())
    | st.sampled_from(["utf-16", "utf-32", "cp1252"]).map(json.dumps(STUDY_DOCUMENT).encode)
)
def test_a_self_study_file_of_any_bytes_gives_a_study_or_located_problems(data, scratch):
    path = scratch / "study.json"
    path.write_bytes(hostile.unwrap(data))
    study_outcome(lambda: load_study(path))


# --- xlsx --------------------------------------------------------------------------------------


@FUZZ
@given(data=st.builds(lambda: sample_xlsx()).flatmap(hostile.edited_bytes))
def test_a_workbook_with_damaged_bytes_gives_a_study_or_located_problems(data):
    sheets_outcome(lambda: read_xlsx(data.value))


@settings(FUZZ, max_examples=20)
@given(data=st.builds(lambda: sample_xlsx()).flatmap(hostile.edited_zip_xml))
def test_a_workbook_with_edited_xml_gives_a_study_or_located_problems(data):
    sheets_outcome(lambda: read_xlsx(data.value))


FORMULAS = ["=3", "=A1", "=1/0", "=SUM(D1:D9)", '=HYPERLINK("javascript:alert(1)","3")']
WORKBOOK_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    hostile.NUMBERS,
    hostile.TEXT.map(lambda t: ILLEGAL_CHARACTERS_RE.sub("", t)),
    st.sampled_from(FORMULAS).map(lambda f: ("formula", f)),
    st.sampled_from(["#N/A", "#DIV/0!", "#REF!", "#VALUE!"]).map(lambda e: ("error", e)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1)),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.times(),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=9999)),
)


@cache
def sample_answer_cells() -> list[tuple[str, int, int]]:
    """Where the sample workbook holds each rating, evidence and note."""
    cells = interpret(read_xlsx(sample_xlsx()), default_rubric()).cells.values()
    return [(c.tab, c.row, col) for c in cells for col in (c.rating, c.evidence, c.notes) if col]


ANY_CELL = st.builds(lambda: sorted(read_xlsx(sample_xlsx()))).flatmap(
    lambda titles: st.tuples(st.sampled_from(titles), st.integers(1, 60), st.integers(1, 10))
)
ANSWER_CELL = st.builds(sample_answer_cells).flatmap(st.sampled_from)
CELL_EDITS = st.lists(st.tuples(ANY_CELL | ANSWER_CELL, WORKBOOK_VALUES), min_size=1, max_size=8)


def _edited_workbook(edits: list[tuple[tuple[str, int, int], Any]]) -> bytes:
    """The sample workbook with cells changed by openpyxl, as a spreadsheet program would."""
    workbook = openpyxl.load_workbook(io.BytesIO(sample_xlsx()))
    for (tab, row, column), value in edits:
        cell = workbook[tab].cell(row=row, column=column)
        if isinstance(value, tuple):
            cell.value = value[1]
            cell.data_type = "f" if value[0] == "formula" else "e"
        else:
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@settings(FUZZ, max_examples=20)
@given(edits=CELL_EDITS)
def test_a_workbook_with_cells_of_any_type_gives_a_study_or_located_problems(edits):
    data = _edited_workbook(edits)
    sheets_outcome(lambda: read_xlsx(data))


@settings(FUZZ, max_examples=20)
@given(cells=hostile.DATE_CELLS)
def test_a_workbook_with_date_cells_of_any_number_gives_a_study_or_located_problems(cells):
    data = hostile.with_date_cells(sample_xlsx(), cells)
    sheets_outcome(lambda: read_xlsx(data))


# --- a folder of CSV files -----------------------------------------------------------------


@st.composite
def edited_csv_files(draw: st.DrawFn) -> hostile.Changed[dict[str, bytes]]:
    """The sample CSV folder with files damaged, saved another way, added or removed."""
    files = dict(sample_csv_files())
    changes = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(files))) if files else draw(hostile.TAB_TITLES)
        data = files.get(name, b"")
        action = draw(
            st.sampled_from(["bytes", "encoding", "delimiter", "long", "junk", "drop", "nul"])
        )
        if action == "bytes":
            edited = draw(hostile.edited_bytes(data))
            files[name] = edited.value
            changes.append(f"{name!r}: {edited!r}")
        elif action == "encoding":
            encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "cp1252", "cp437"]))
            text = data.decode("utf-8-sig", errors="replace")
            files[name] = text.encode(encoding, errors="replace")
            changes.append(f"{name!r} saved as {encoding}")
        elif action == "delimiter":
            delimiter = draw(st.sampled_from([b";", b"\t", b"|"]))
            files[name] = data.replace(b",", delimiter)
            changes.append(f"{name!r} separated by {delimiter!r}")
        elif action == "long":
            at = draw(st.integers(0, len(data)))
            length = draw(st.sampled_from([32_768, 131_073]))
            files[name] = data[:at] + b'"' + b"x" * length + b'",' + data[at:]
            changes.append(f"{name!r} at {at} a field of {length} characters")
        elif action == "nul":
            at = draw(st.integers(0, len(data)))
            files[name] = data[:at] + b"\x00" + data[at:]
            changes.append(f"{name!r} at {at} a NUL byte")
        elif action == "junk":
            junk_name, junk = draw(hostile.TAB_TITLES), draw(st.binary(max_size=300))
            files[junk_name] = junk
            changes.append(f"file {hostile.shown(junk_name)} = {junk!r}")
        else:
            files.pop(name, None)
            changes.append(f"{name!r} removed")
    return hostile.Changed(files, tuple(changes))


@FUZZ
@given(files=edited_csv_files())
def test_a_csv_folder_with_damaged_files_gives_a_study_or_located_problems(files):
    sheets_outcome(lambda: read_csv_files(files.value))


@FUZZ
@given(files=st.dictionaries(hostile.TAB_TITLES, st.binary(max_size=300), max_size=4))
def test_csv_files_of_any_bytes_give_a_study_or_located_problems(files):
    sheets_outcome(lambda: read_csv_files(files))


# --- grids of values, as a Google Sheet pull hands them over ---------------------------------


@settings(FUZZ, max_examples=60)
@given(sheets=st.builds(sample_grid).flatmap(hostile.edited_sheets))
def test_a_pulled_grid_with_cells_changed_gives_a_study_or_located_problems(sheets):
    import_outcome(sheets.value)
    import_outcome(sheets.value, default_rubric())


@FUZZ
@given(sheets=st.dictionaries(hostile.TAB_TITLES, hostile.ROWS, max_size=4))
def test_any_pulled_grid_gives_a_study_or_located_problems(sheets):
    import_outcome(sheets)
    import_outcome(sheets, default_rubric())


# --- every problem reads as one line --------------------------------------------------------


def readability(outcome: Callable[[], None]) -> None:
    """Run `outcome`, failing on an unreadable problem only: crashes are the properties above."""
    try:
        outcome()
    except AssertionError:
        raise
    except Exception:
        return


READABLE = settings(FUZZ, deadline=None, report_multiple_bugs=False)  # speed: the others


@READABLE
@given(document=hostile.mutated(TINY_DOCUMENT, keys=hostile.YAML_KEYS))
def test_every_rubric_problem_is_one_readable_line(document):
    text = hostile.yaml_text(document.value)
    readability(lambda: rubric_outcome(lambda: parse_rubric(text, "rubric.yaml"), readable=True))


@READABLE
@given(document=hostile.mutated(STUDY_DOCUMENT, most=4))
def test_every_self_study_problem_is_one_readable_line(document):
    text = hostile.json_text(document.value)
    readability(lambda: study_outcome(lambda: parse_study(text, "study.json"), readable=True))


@READABLE
@given(sheets=st.builds(sample_grid).flatmap(hostile.edited_sheets))
def test_every_sheet_copy_problem_is_one_readable_line(sheets):
    readability(lambda: import_outcome(sheets.value, default_rubric(), readable=True))


# --- the named cases of issue 10 ---------------------------------------------------------------


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (BOUNDED_MEMORY, BOUNDED_MEMORY))


def run_bounded(
    args: list[str], cwd: Path, bound_memory: bool = True
) -> subprocess.CompletedProcess:
    """Run a child process within `BOUNDED_MEMORY` and `BOUNDED_SECONDS`; fail on a hang."""
    try:
        return subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            errors="backslashreplace",
            timeout=BOUNDED_SECONDS,
            preexec_fn=_limit_memory if bound_memory else None,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {BOUNDED_SECONDS} s (a hang): {args}")


def assert_refused_cleanly(run: subprocess.CompletedProcess, names: str = "") -> None:
    """Exit 1, no traceback, no crash, and problems (naming the file, if given) on stderr."""
    said = run.stdout + run.stderr
    assert run.returncode >= 0, f"killed by signal {-run.returncode}: {said[-2000:]}"
    assert "Traceback" not in said, said[-3000:]
    assert run.returncode == 1, said[-2000:]
    assert run.stderr.strip() and names in run.stderr, run.stderr[-2000:]
    assert all(len(line) <= MESSAGE_LIMIT for line in run.stderr.splitlines())


READ_BYTES = """
import sys
from pathlib import Path
from selfstudy.core.problems import ProblemsFound
from selfstudy.edges.workbooks import read_xlsx
try:
    read_xlsx(Path(sys.argv[1]).read_bytes())
except ProblemsFound as exc:
    print(exc.report(), file=sys.stderr)
    sys.exit(1)
print("read the whole workbook")
"""


def _study_file(folder: Path) -> Path:
    path = folder / "study.json"
    path.write_text(sample_study().to_json(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    """The workbook bombs, built once: small files that calamine would make gigabytes of, or
    read forever."""
    folder = tmp_path_factory.mktemp("bombs")
    workbook = sample_xlsx()
    return {
        "zip-bomb": hostile.zip_bomb_xlsx(workbook, folder / "zip-bomb.xlsx"),
        "far-cell": hostile.far_cell_xlsx(workbook, folder / "far-cell.xlsx"),
        "hidden-far-cell": hostile.hidden_far_cell_xlsx(workbook, folder / "hidden.xlsx"),
        "shared-text": hostile.shared_text_bomb_xlsx(workbook, folder / "shared-text.xlsx"),
        "aliased-tabs": hostile.aliased_tabs_xlsx(
            workbook, folder / "aliased.xlsx", tabs=200, corner="IV5000"
        ),
        "repeated-text": hostile.ods_file(folder / "repeated.ods", hostile.REPEATED_TEXT_ODS),
        "spaces": hostile.ods_file(folder / "spaces.ods", hostile.SPACES_ODS),
        "unending-table": hostile.ods_file(folder / "table.ods", hostile.UNENDING_TABLE_ODS),
        "unending-note": hostile.ods_file(folder / "note.ods", hostile.UNENDING_NOTE_ODS),
    }


WORKBOOK_BOMBS = [
    "zip-bomb",
    "far-cell",
    "hidden-far-cell",
    "shared-text",
    "aliased-tabs",
    "repeated-text",
    "spaces",
    "unending-table",
    "unending-note",
]


@pytest.mark.parametrize(
    "case",
    [
        "billion-laughs-validate",
        "billion-laughs-score",
        *(f"{bomb}-{way}" for bomb in WORKBOOK_BOMBS for way in ("import", "upload")),
    ],
)
def test_a_bomb_is_refused_in_bounded_time_and_memory(case, bombs, tmp_path):
    if case.startswith("billion-laughs"):
        bomb = tmp_path / "laughs.yaml"
        bomb.write_text(hostile.BILLION_LAUGHS, encoding="utf-8")
        args = (
            [SELFSTUDY, "validate", bomb]
            if case.endswith("validate")
            else [SELFSTUDY, "score", _study_file(tmp_path), "--rubric", bomb]
        )
    else:
        bomb = bombs[case.rsplit("-", 1)[0]]
        args = (
            [SELFSTUDY, "import", bomb]
            if case.endswith("import")
            else [sys.executable, "-c", READ_BYTES, bomb]
        )
    run = run_bounded(args, cwd=tmp_path)
    assert_refused_cleanly(run, "" if case.endswith("upload") else str(bomb))


SECRET = "SECRET-4f1d-hunter2"
SECRET_YAML = f"""\
id: {SECRET}
version: 1
title: "{SECRET}"
{SECRET}: {SECRET}
database_password: {SECRET}
"""


def cli(*args: Any) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_no_traceback(result: Result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        pytest.fail("".join(traceback.format_exception(result.exception))[-3000:])


def _copy_naming_rubric(rubric_id: str, target: Path) -> Path:
    """The sample workbook with its START HERE 'Rubric' cell changed to `rubric_id`."""
    workbook = openpyxl.load_workbook(io.BytesIO(sample_xlsx()))
    start = workbook["START HERE"]
    row = next(r for r in start.iter_rows() if r[0].value == "Rubric")
    row[1].value = rubric_id
    workbook.save(target)
    return target


@pytest.mark.parametrize("command", ["score", "report", "import-json", "import-xlsx"])
def test_a_rubric_id_that_is_a_path_reads_nothing_and_reveals_nothing(command, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text(SECRET_YAML, encoding="utf-8")
    said = {}
    for name, rubric_id in [("real", secret), ("missing", tmp_path / "absent.yaml")]:
        if command == "import-xlsx":
            source = _copy_naming_rubric(str(rubric_id), tmp_path / f"copy-{name}.xlsx")
        else:
            document = {**STUDY_DOCUMENT, "rubric": {"id": str(rubric_id), "version": "1"}}
            source = tmp_path / f"copy-{name}.json"
            source.write_text(json.dumps(document), encoding="utf-8")
        args = {
            "score": ["score", source],
            "report": ["report", source, "--out", tmp_path / "report.html"],
            "import-json": ["import", source],
            "import-xlsx": ["import", source],
        }[command]
        result = cli(*args)
        assert_no_traceback(result)
        assert result.exit_code == 1, result.output
        assert SECRET not in result.output
        said[name] = (
            result.output.replace(str(rubric_id), "<RUBRIC>")
            .replace(str(source), "<COPY>")
            .replace(source.name, "<COPY>")
        )
    assert said["real"] == said["missing"], "the message tells an existing file from a missing one"


@pytest.mark.parametrize(
    ("case", "value_text"),
    [
        ("value-true", "true"),
        ("number-of-5000-digits", "9" * 5000),
        ("nested-100000-deep", hostile.deep_json(100_000)),
    ],
)
def test_a_self_study_json_that_no_rubric_allows_is_refused_in_one_line(case, value_text, tmp_path):
    item = "PG.1.a"
    document = {**STUDY_DOCUMENT, "answers": {item: {"value": "@@value@@"}}}
    study = tmp_path / "study.json"
    study.write_text(json.dumps(document).replace('"@@value@@"', value_text), encoding="utf-8")
    result = cli("score", study)
    assert_no_traceback(result)
    assert result.exit_code == 1, result.output[-2000:]
    assert str(study) in result.output
    if case == "value-true":
        assert item in result.output
    assert all(len(line) <= MESSAGE_LIMIT for line in result.output.splitlines())


def _with_semicolons(text: str) -> str:
    """The CSV text as Excel saves it where the list separator is ';' (much of Europe)."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(csv.reader(io.StringIO(text)))
    return out.getvalue()


def _csv_copy(folder: Path) -> Path:
    export_csv(sample_study(), default_rubric(), folder)
    return folder


GOALS = "1. Program Goals"


def test_a_csv_file_of_undecodable_bytes_is_named_with_the_encoding_expected(tmp_path):
    folder = _csv_copy(tmp_path / "copy")
    goals = folder / f"{GOALS}.csv"
    goals.write_bytes(
        goals.read_bytes().replace(b"Staff meeting", b"Staff \x81\x8d\x90\xff meeting")
    )
    result = read_sheet_copy(folder)
    assert_located(result.problems)
    assert result.study is None, "text with undecodable bytes imported as if it were fine"
    assert any(GOALS in str(p) and "utf-8" in p.message.lower() for p in result.problems), [
        str(p) for p in result.problems
    ]


@pytest.mark.parametrize(
    ("case", "rewrite", "words"),
    [
        ("semicolons", lambda text: _with_semicolons(text).encode(), ("comma", "semicolon")),
        ("utf-16", lambda text: text.encode("utf-16"), ("utf-8", "utf-16", "encoding")),
    ],
)
def test_a_csv_folder_saved_another_way_reads_right_or_says_what_it_found(
    case, rewrite, words, tmp_path
):
    folder = _csv_copy(tmp_path / "copy")
    for path in folder.glob("*.csv"):
        path.write_bytes(rewrite(path.read_text(encoding="utf-8-sig")))
    result = read_sheet_copy(folder)
    assert_located(result.problems)
    if result.study is not None:
        assert result.study == sample_study()
        return
    messages = [str(p) for p in result.problems]
    assert any(w in m.lower() for m in messages for w in words), messages


@pytest.mark.parametrize("formula", ["=3", "=A1", "=1/0"])
def test_a_formula_in_a_rating_cell_is_pointed_out_at_its_cell(formula, tmp_path):
    item = next(i for i, a in sample_study().answers.items() if isinstance(a.value, int))
    cells = interpret(read_xlsx(sample_xlsx())).cells[item]
    workbook = openpyxl.load_workbook(io.BytesIO(sample_xlsx()))
    workbook[cells.tab].cell(row=cells.row, column=cells.rating).value = formula
    copy = tmp_path / "copy.xlsx"
    workbook.save(copy)
    result = read_sheet_copy(copy)
    assert_located(result.problems)
    cell = a1(cells.tab, cells.row, cells.rating)
    assert any(p.location.endswith(cell) for p in result.problems), [
        str(p) for p in result.problems
    ]


def _tiny_rubric_file(folder: Path, change: Callable[[dict], None]) -> Path:
    document = yaml_document(TINY_RUBRIC)
    change(document)
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _tiny_study_file(folder: Path) -> Path:
    from selfstudy.core.study import Answer

    study = tiny_study(**{"PG.1.a": Answer(value=3), "PG.1.b": Answer(value=2)})
    path = folder / "study.json"
    path.write_text(study.to_json(), encoding="utf-8")
    return path


CONTROLS = "".join(chr(c) for c in [*range(0x20), 0x7F])


def _control_titles(only_nul: bool) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        if only_nul:
            document["title"] = "Tiny\x00self-study"
            return
        document["title"] = f"Tiny {CONTROLS} self-study"
        for dimension in document["dimensions"]:
            dimension["title"] += CONTROLS[:16]
            for standard in dimension["standards"]:
                standard["title"] += CONTROLS[16:]

    return change


@pytest.mark.parametrize("only_nul", [True, False], ids=["nul-in-title", "every-control-in-titles"])
def test_control_characters_in_rubric_titles_never_crash_the_html_report(only_nul, tmp_path):
    rubric = _tiny_rubric_file(tmp_path, _control_titles(only_nul))
    out = tmp_path / "report.html"
    run = run_bounded(
        [SELFSTUDY, "report", _tiny_study_file(tmp_path), "--rubric", rubric, "--out", out],
        cwd=tmp_path,
        bound_memory=False,  # the chart renderer reserves a large address space up front
    )
    said = run.stdout + run.stderr
    assert run.returncode >= 0, f"killed by signal {-run.returncode}: {said[-2000:]}"
    assert "Traceback" not in said, said[-3000:]
    assert not UNPRINTABLE.search(said.replace("\n", "")), said[-2000:]
    if run.returncode == 1:
        assert str(rubric) in run.stderr
        return
    assert run.returncode == 0, said[-2000:]
    page = out.read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>")
    assert not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", page)  # HTML forbids them


BAD_LINKS = [
    "javascript:alert(1)",
    " JAVASCRIPT:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]
GOOD_LINK = "https://example.org/logic"


def _hostile_links(document: dict) -> None:
    standard = document["dimensions"][0]["standards"][0]
    standard["resources"] = [
        {"title": "Good", "url": GOOD_LINK},
        *({"title": f"Bad {n}", "url": url} for n, url in enumerate(BAD_LINKS)),
    ]


def _scheme(address: str) -> str:
    """The scheme a browser sees: controls and spaces dropped, case folded."""
    return re.sub(r"[\x00-\x20]", "", address).lower().split(":", 1)[0]


class _Addresses(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value or "" for name, value in attrs if name == "href"]


@pytest.mark.parametrize("output", ["xlsx", "html"])
def test_only_web_and_mail_addresses_become_links(output, tmp_path):
    rubric = _tiny_rubric_file(tmp_path, _hostile_links)
    study = _tiny_study_file(tmp_path)
    target = tmp_path / f"out.{output}"
    if output == "xlsx":
        result = cli("export", study, "--rubric", rubric, "--to", target)
    else:
        result = cli("report", study, "--rubric", rubric, "--out", target)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    if output == "xlsx":
        workbook = openpyxl.load_workbook(target)
        links = [
            c.hyperlink.target for s in workbook for r in s.iter_rows() for c in r if c.hyperlink
        ]
    else:
        parser = _Addresses()
        parser.feed(target.read_text(encoding="utf-8"))
        links = parser.found
    assert GOOD_LINK in links
    assert {_scheme(link) for link in links if ":" in link} <= {"https", "http", "mailto"}, links
