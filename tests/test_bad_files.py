"""Hostile and broken files, uploads and texts: one located problem each, never a crash,
a hang, a cut text or a half-written file (issue 10).

Bombs are real workbooks built here with `zipfile`; the command line meets them in a
child process with bounded memory, so a parser that tried to fill memory would end
that process with no problem line, not this test run. A full disk is `os.write`
failing with ENOSPC, as the system does.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import json
import os
import re
import resource
import subprocess
import sys
import tomllib
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from streamlit.testing.v1 import AppTest

from selfstudy.cli import main
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.sheetcopy import (
    MAX_COLUMNS,
    MAX_TABS,
    Formula,
    Tab,
    a1,
    parse_sheet_copy,
    split_options,
)
from selfstudy.core.study import (
    MAX_TEXT_LENGTH,
    Answer,
    Program,
    SelfStudy,
    parse_study,
    text_length,
)
from selfstudy.edges import sync_records
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.sheet_files import read_sheet_copy
from selfstudy.edges.workbook_limits import MAX_CELLS, MAX_FILE_BYTES, MAX_UNPACKED_BYTES
from selfstudy.edges.workbooks import (
    export_csv,
    export_xlsx,
    read_csv_files,
    read_csv_folder,
    read_xlsx,
    write_xlsx,
    xlsx_bytes,
)
from selfstudy.workflows.imports import read_uploaded_copy, upload_sources
from tests import hostile
from tests.conftest import DEFAULT_RUBRIC_PATH, SAMPLES_DIR
from tests.hostile import SPREADSHEETML, sheet_xml, tab_part, with_date_cells, with_part
from tests.sheet_tables import TINY, table, tiny_copy, tiny_study, xlsx

P01 = SAMPLES_DIR / "p01-baseline.json"
BOUNDED_MEMORY = 1536 * 2**20  # address space of the child process meeting a bomb


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def refused(call) -> ProblemsFound:
    with pytest.raises(ProblemsFound) as caught:
        call()
    return caught.value


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line(result: Result, code_words: str) -> None:
    """The command said what went wrong in one line on stderr (no traceback) and exited 1."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if code_words in line]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr


def run_bounded(*args: object, **env: str) -> subprocess.CompletedProcess:
    """`selfstudy ARGS` in a child process with bounded memory and time (a hang fails)."""

    def bound() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (BOUNDED_MEMORY, BOUNDED_MEMORY))

    command = [sys.executable, "-c", "from selfstudy.cli import main; main()", *map(str, args)]
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=bound,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1", **env},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after 300 s (a hang): selfstudy {' '.join(command[3:])}")


# --- workbooks built to hurt ------------------------------------------------------------------


def copy_bytes() -> bytes:
    """A real .xlsx copy of the tiny rubric, as export writes it."""
    return xlsx_bytes(tiny_study(**{"PG.1.a": Answer(value=3, evidence="Goals page")}), TINY)


FIRST_SHEET = "xl/worksheets/sheet1.xml"


def zip_bomb() -> bytes:
    """A real copy whose first tab unpacks to 150 MB of rows from a few hundred kB."""
    row = b"<row><c><v>1</v></c></row>"
    assert len(row) * 40_000 * 140 > MAX_UNPACKED_BYTES
    chunks = [sheet_xml()[:-24], *[row * 40_000] * 140, b"</sheetData></worksheet>"]
    return with_part(copy_bytes(), FIRST_SHEET, chunks)


def far_cell() -> bytes:
    """Five kilobytes that ask calamine for 512 GB, which ends a process without a word."""
    far = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>',
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    )
    return with_part(copy_bytes(), FIRST_SHEET, [far])


def test_a_zip_bomb_is_one_problem_before_any_parser_opens_it(tmp_path):
    bomb = zip_bomb()
    assert len(bomb) < 2 * 2**20
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    for source, where in ((path, str(path)), (bomb, "uploaded workbook")):
        problems = refused(lambda source=source: read_xlsx(source)).problems
        assert [(p.code, p.location) for p in problems] == [("file-too-large", where)]
        assert "too large to be a sheet copy" in problems[0].message
    upload = read_uploaded_copy([("copy.xlsx", bomb)])
    assert upload.study is None and codes(upload.problems) == ["file-too-large"]


def too_large(done: subprocess.CompletedProcess) -> list[str]:
    """What each "too large" line of a command says, up to its advice."""
    lines = [line for line in done.stderr.splitlines() if "too large" in line]
    return [line.split(". A sheet copy")[0] for line in lines]


def test_the_command_line_meets_bombs_with_one_line_each_in_bounded_memory(tmp_path):
    bomb, far = tmp_path / "bomb.xlsx", tmp_path / "far.xlsx"
    bomb.write_bytes(zip_bomb())
    far.write_bytes(far_cell())
    # The far cell again, between two comments that make it look part of a cell at B2 to a
    # reader blind to comments; calamine skips comments and reads the cell.
    hidden = hostile.hidden_far_cell_xlsx(copy_bytes(), tmp_path / "hidden.xlsx")
    done = run_bounded("import", bomb, far, hidden)
    assert done.returncode == 1, done.stderr
    assert too_large(done) == [
        f"{bomb}: this is too large to be a sheet copy: it unpacks to over 100 MB",
        f"{far}: this is too large to be a sheet copy: a tab reaches cell XFD1048576",
        f"{hidden}: this is too large to be a sheet copy: a tab reaches cell XFD1048576",
    ]
    assert "Traceback" not in done.stderr


def test_cells_that_stand_for_more_text_than_a_copy_holds_are_one_line_each(tmp_path):
    # Each cell gets its own copy of the text it shows: 260,000 cells showing one shared
    # string of 29,000 characters (half a megabyte on disk), one OpenDocument cell of 29,000
    # characters repeated over 256 columns and 10,000 rows (a kilobyte), one cell of two
    # billion spaces written as one `text:s`. Each used to end the process.
    shared = hostile.shared_text_bomb_xlsx(copy_bytes(), tmp_path / "shared.xlsx")
    repeated = hostile.ods_file(tmp_path / "repeated.ods", hostile.REPEATED_TEXT_ODS)
    spaces = hostile.ods_file(tmp_path / "spaces.ods", hostile.SPACES_ODS)
    assert shared.stat().st_size < 2**20 and repeated.stat().st_size < 2**10
    done = run_bounded("import", shared, repeated, spaces)
    assert done.returncode == 1, done.stderr[-2000:]
    assert too_large(done) == [
        f"{path}: this is too large to be a sheet copy: its cells hold over 100 MB of text"
        for path in (shared, repeated, spaces)
    ]


def test_a_long_shared_string_shown_by_a_few_cells_still_reads():
    strings = f'<sst xmlns="{SPREADSHEETML}"><si><t>{"x" * 29_000}</t></si></sst>'
    rows = [f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(1, 101)]
    workbook = with_part(copy_bytes(), "xl/sharedStrings.xml", [strings.encode()])
    workbook = with_part(workbook, FIRST_SHEET, [sheet_xml(*rows)])
    assert read_xlsx(workbook)["START HERE"] == [["x" * 29_000]] * 100


def test_a_sheet_named_by_many_tabs_counts_once_for_each_and_tabs_are_bounded(tmp_path):
    # calamine reads a sheet again for each tab that names it: a sheet reaching IV6000 spans
    # 60% of the cells a copy may, and twice that when two tabs name it; 201 tabs are more
    # than a copy has.
    twice = tmp_path / "twice.xlsx"
    hostile.aliased_tabs_xlsx(copy_bytes(), twice, tabs=2, corner="IV6000")
    many = tmp_path / "many.xlsx"
    hostile.aliased_tabs_xlsx(copy_bytes(), many, tabs=MAX_TABS + 1, corner="B2")
    done = run_bounded("import", twice, many)
    assert done.returncode == 1, done.stderr[-2000:]
    assert too_large(done) == [
        f"{twice}: this is too large to be a sheet copy: its tabs span over {MAX_CELLS:,} cells",
        f"{many}: this is too large to be a sheet copy: it has over {MAX_TABS} tabs",
    ]


def test_an_ods_table_or_note_that_never_ends_is_damaged_not_read_forever(tmp_path):
    table = hostile.ods_file(tmp_path / "table.ods", hostile.UNENDING_TABLE_ODS)
    note = hostile.ods_file(tmp_path / "note.ods", hostile.UNENDING_NOTE_ODS)
    done = run_bounded("import", table, note)
    assert done.returncode == 1, done.stderr[-2000:]
    for path in (table, note):
        assert f"{path}: cannot read this workbook: it is damaged;" in done.stderr


@pytest.mark.parametrize("target", ["/XL/WORKSHEETS/SHEET2.XML", "worksheets/Sheet2.xml"])
def test_a_formula_is_pointed_out_however_the_workbook_spells_its_sheets_name(target):
    # calamine finds a part whatever the case of its name; the formula check must too.
    workbook = copy_bytes()
    cells = parse_sheet_copy(read_xlsx(workbook), TINY).cells["PG.1.a"]
    rating = a1(cells.tab, cells.row, cells.rating).split("!")[1]
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        sheet = source.read("xl/worksheets/sheet2.xml").decode()
        relations = source.read("xl/_rels/workbook.xml.rels").decode()
    formula = f'<c r="{rating}" t="str"><f>IF(1,"Sustaining")</f><v>Sustaining</v></c>'
    sheet = re.sub(rf'<c r="{rating}"[^>]*>.*?</c>', formula, sheet)
    relations = relations.replace('"/xl/worksheets/sheet2.xml"', f'"{target}"')
    hidden = with_part(workbook, "xl/worksheets/sheet2.xml", [sheet.encode()])
    hidden = with_part(hidden, "xl/_rels/workbook.xml.rels", [relations.encode()])
    result = parse_sheet_copy(read_xlsx(hidden), TINY)
    warned = [(p.code, p.location) for p in result.problems.warnings]
    assert warned == [("formula-not-read", a1(cells.tab, cells.row, cells.rating))]
    assert result.study.answers["PG.1.a"].value is None  # not the formula's "Sustaining"


def test_a_workbook_holding_two_parts_of_one_name_is_refused():
    # Excel refuses such a file; calamine reads one of the two (the last, or either of two
    # names that differ in case only), so what it read would not be what the scan checked.
    sheet = zipfile.ZipFile(io.BytesIO(copy_bytes())).read(FIRST_SHEET)
    for name in (FIRST_SHEET, "XL/Worksheets/Sheet1.xml", "xl\\worksheets\\sheet1.xml"):
        workbook = io.BytesIO(copy_bytes())
        with warnings.catch_warnings(), zipfile.ZipFile(workbook, "a") as archive:
            warnings.simplefilter("ignore")  # zipfile warns of a name written twice
            archive.writestr(name, sheet.replace(b"Tiny", b"Other"))
        problems = refused(lambda workbook=workbook: read_xlsx(workbook.getvalue())).problems
        assert [(p.code, p.location) for p in problems] == [
            ("unreadable-file", "uploaded workbook")
        ]
        assert "two parts of the same name" in problems[0].message


def test_a_workbook_locked_with_a_password_says_so_once():
    flagged = bytearray(copy_bytes())  # every part marked as encrypted, as a zip tool locks one
    entry = flagged.find(b"PK\x01\x02")
    while entry >= 0:
        flagged[entry + 8] |= 1
        entry = flagged.find(b"PK\x01\x02", entry + 4)
    # Excel keeps a workbook it locks in an OLE file, as its own `EncryptedPackage`
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000) + "EncryptedPackage".encode("utf-16-le")
    # LibreOffice says in the manifest that it locked a file; the rest is then unreadable
    manifest = (
        b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        b'<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data '
        b'manifest:checksum="x"/></manifest:file-entry></manifest:manifest>'
    )
    ods = with_part(hostile.ods_bytes(""), "content.xml", [os.urandom(2000)])
    ods = with_part(ods, "META-INF/manifest.xml", [manifest])
    for data in (bytes(flagged), ole + bytes(1000), ods):
        problems = refused(lambda data=data: read_xlsx(data)).problems
        assert codes(problems) == ["unreadable-file"]
        assert "locked with a password" in problems[0].message
        assert problems[0].message.count("save it again") == 1


def test_a_date_cell_no_calendar_holds_is_one_problem_not_a_crash(tmp_path):
    # A date is a number of days; -1e20 days made calamine's Rust code panic, which Python
    # sees as a PanicException: a BaseException, which `except Exception` lets through.
    workbook = with_date_cells(copy_bytes(), [(14, "-1e20")])
    path = tmp_path / "copy.xlsx"
    path.write_bytes(workbook)
    for source, where in ((path, str(path)), (workbook, "uploaded workbook")):
        problems = refused(lambda source=source: read_xlsx(source)).problems
        assert [(p.code, p.location) for p in problems] == [("unreadable-file", where)]
    upload = read_uploaded_copy([("copy.xlsx", workbook)])
    assert upload.study is None and codes(upload.problems) == ["unreadable-file"]
    assert_one_line(invoke("import", path), "cannot read this workbook")


def test_a_summary_tab_no_reader_can_read_refuses_no_copy_since_import_ignores_it(
    tmp_path, sample_set, default_rubric
):
    # START HERE tells people the SUMMARY tab is recomputed and ignored on import: one whose
    # date cell makes calamine panic (as above) leaves the copy's answers to be imported
    study = sample_set[0]
    whole = xlsx_bytes(study, default_rubric)
    damaged = with_date_cells(whole, [(14, "-1e20")], sheet=tab_part(whole, "SUMMARY"))
    refused(lambda: read_xlsx(damaged))  # the workbook as a whole cannot be read
    (tmp_path / "whole.xlsx").write_bytes(whole)
    path = tmp_path / "copy.xlsx"
    path.write_bytes(damaged)
    expected = read_sheet_copy(tmp_path / "whole.xlsx")
    assert expected.study is not None and expected.study.answers == study.answers
    read = read_sheet_copy(path)
    assert (read.study, read.problems) == (expected.study, expected.problems)
    upload = read_uploaded_copy([("copy.xlsx", damaged)])
    assert upload.study == expected.study
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as cohort:
        cohort.writestr("copy.xlsx", damaged)
    [source], found = upload_sources([("cohort.zip", archive.getvalue())])
    assert found == [] and source.read().study == expected.study
    done = invoke("import", path)
    assert done.exit_code == 0, done.output
    assert parse_study(done.stdout).answers == study.answers
    # the same cell on a tab import reads still refuses the copy, in one line
    goals = next(t for t in read_xlsx(whole) if t.startswith("1."))
    path.write_bytes(with_date_cells(whole, [(14, "-1e20")], sheet=tab_part(whole, goals)))
    assert codes(read_sheet_copy(path).problems) == ["unreadable-file"]


def test_a_summary_csv_file_is_not_read_on_import(tmp_path, sample_set, default_rubric):
    folder = tmp_path / "csv"
    export_csv(sample_set[0], default_rubric, folder)
    expected = read_sheet_copy(folder).study
    assert expected is not None and expected.answers == sample_set[0].answers
    too_wide = b",".join([b"x"] * (MAX_COLUMNS + 1))  # a tab import reads is refused
    (folder / "SUMMARY.csv").write_bytes(too_wide)
    assert read_sheet_copy(folder).study == expected
    files = [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.csv"))]
    assert read_uploaded_copy(files).study == expected
    (folder / "START HERE.csv").write_bytes((folder / "START HERE.csv").read_bytes() + too_wide)
    assert codes(read_sheet_copy(folder).problems) == ["file-too-large"]


def zero_link(path: Path) -> Path:
    """`path` as a link to /dev/zero: a file that says it is empty and never ends."""
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")
    return path


def test_a_copy_that_never_ends_is_read_no_further_than_a_copy_can_be(tmp_path):
    endless = zero_link(tmp_path / "copy.xlsx")
    folder = tmp_path / "csv"
    export_csv(tiny_study(), TINY, folder)
    endless_tab = zero_link(folder / "START HERE.csv")
    done = run_bounded("import", endless, folder)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    not_files = [line for line in done.stderr.splitlines() if "a link to a device" in line]
    assert [line.split(": this is a link to a device")[0] for line in not_files] == [
        str(endless),
        f"{folder}: {endless_tab.name}",
    ]


def test_a_csv_file_linked_to_nothing_is_one_problem(tmp_path):
    folder = tmp_path / "csv"
    export_csv(tiny_study(), TINY, folder)
    (folder / "gone.csv").symlink_to(tmp_path / "nowhere.csv")
    problems = refused(lambda: read_csv_folder(folder)).problems
    assert [(p.code, p.location) for p in problems] == [("unreadable-file", "gone.csv")]


def test_a_rubric_that_never_ends_is_read_no_further_than_a_rubric_can_be(tmp_path):
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / DEFAULT_RUBRIC_PATH.name).write_bytes(DEFAULT_RUBRIC_PATH.read_bytes())
    endless = zero_link(folder / "endless.yaml")
    done = run_bounded("validate", folder)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert f"{endless}: this is a link to a device" in done.stderr  # never read
    assert f"{folder / DEFAULT_RUBRIC_PATH.name}: ok" in done.stdout
    # The rubric folder's other rubrics are still found, by every command
    scored = run_bounded("score", P01, SELFSTUDY_RUBRICS=str(folder))
    assert scored.returncode == 0, scored.stderr[-2000:]


def test_a_named_pipe_named_like_a_copy_or_a_rubric_never_hangs_a_read(tmp_path):
    # Opening a pipe for reading waits for a writer, which never comes.
    pipes = [tmp_path / "copy.xlsx", tmp_path / "rubric.yaml"]
    for pipe in pipes:
        os.mkfifo(pipe)
    imported = run_bounded("import", pipes[0])
    assert imported.returncode == 1, imported.stderr[-2000:]
    assert f"{pipes[0]}: this is a named pipe, not a file" in imported.stderr
    validated = run_bounded("validate", pipes[1])
    assert validated.returncode == 1, validated.stderr[-2000:]
    assert str(pipes[1]) in validated.stderr and "Traceback" not in validated.stderr


def test_tabs_that_span_too_many_cells_together_are_refused():
    # Each tab is read as a full grid from A1: two corner cells make half of what all
    # tabs together may span; one such tab reads, two do not.
    corners = sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c></row>',
        '<row r="5000"><c r="IV5000"><v>1</v></c></row>',
    )
    one_tab = with_part(copy_bytes(), FIRST_SHEET, [corners])
    assert len(read_xlsx(one_tab)["START HERE"]) == 5_000
    two_tabs = with_part(one_tab, "xl/worksheets/sheet2.xml", [corners])
    problems = refused(lambda: read_xlsx(two_tabs)).problems
    assert codes(problems) == ["file-too-large"]
    assert f"over {MAX_CELLS:,} cells" in problems[0].message


def test_rows_and_cells_without_a_place_are_counted_where_they_fall():
    # No `r` on rows or cells: each follows the one before, as calamine places them; an
    # `r="A1"` inside another attribute's quotes names no place either.
    wide = sheet_xml("<row>" + "<c><v>1</v></c>" * 300 + "</row>")
    long = sheet_xml(*["<row><c><v>1</v></c></row>"] * 10_001)
    hidden = sheet_xml("<row>" + "<c s=' r=\"A1\"'><v>1</v></c>" * 300 + "</row>")
    for part in (wide, long, hidden):
        problems = refused(
            lambda part=part: read_xlsx(with_part(copy_bytes(), FIRST_SHEET, [part]))
        )
        assert codes(problems.problems) == ["file-too-large"]


def test_a_shared_strings_table_that_claims_billions_of_texts_is_refused():
    claim = f'<sst xmlns="{SPREADSHEETML}" count="99999999999" uniqueCount="99999999999"></sst>'
    workbook = with_part(copy_bytes(), "xl/sharedStrings.xml", [claim.encode()])
    assert codes(refused(lambda: read_xlsx(workbook)).problems) == ["file-too-large"]


def test_a_part_holding_more_than_the_zip_directory_says_is_damaged():
    # The sheet says it unpacks to 100 bytes, in its header and in the zip directory.
    workbook = bytearray(with_part(copy_bytes(), FIRST_SHEET, [sheet_xml("<row/>" * 5000)]))
    declared = (100).to_bytes(4, "little")
    header = zipfile.ZipFile(io.BytesIO(bytes(workbook))).getinfo(FIRST_SHEET).header_offset
    workbook[header + 22 : header + 26] = declared
    entry = workbook.find(b"PK\x01\x02")
    while entry >= 0:
        name_length = int.from_bytes(workbook[entry + 28 : entry + 30], "little")
        if workbook[entry + 46 : entry + 46 + name_length] == FIRST_SHEET.encode():
            workbook[entry + 24 : entry + 28] = declared
        entry = workbook.find(b"PK\x01\x02", entry + 4)
    problems = refused(lambda: read_xlsx(bytes(workbook))).problems
    assert codes(problems) == ["unreadable-file"]
    assert "damaged" in problems[0].message


def test_an_old_xls_file_a_binary_workbook_or_no_workbook_at_all_says_what_to_do(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)
    xlsb = with_part(copy_bytes(), "xl/workbook.bin", [b"\x00"])
    for data, words in (
        (ole, "save it as an Excel Workbook (.xlsx)"),
        (xlsb, "binary workbook (.xlsb)"),
        (b"just some text", "not an Excel (.xlsx) or OpenDocument (.ods) workbook"),
    ):
        path = tmp_path / "copy.xls"
        path.write_bytes(data)
        problems = read_sheet_copy(path, TINY).problems
        assert codes(problems) == ["unreadable-file"]
        assert words in problems[0].message


def test_a_file_over_the_upload_limit_is_refused_unread_and_the_app_agrees(tmp_path):
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_FILE_BYTES
    big = tmp_path / "big.xlsx"
    with big.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)
    assert codes(refused(lambda: read_xlsx(big)).problems) == ["file-too-large"]
    upload = read_uploaded_copy([("big.xlsx", bytes(MAX_FILE_BYTES + 1))])
    assert codes(upload.problems) == ["file-too-large"]


def test_a_normal_copy_still_reads_from_a_file_and_an_upload(tmp_path):
    study = tiny_study(**{"PG.1.a": Answer(value=3, evidence="Goals page")})
    path = tmp_path / "copy.xlsx"
    export_xlsx(study, TINY, path)
    assert read_sheet_copy(path, TINY).study == study
    assert parse_sheet_copy(read_xlsx(path.read_bytes()), TINY).study == study


def ods(rows: str) -> bytes:
    return hostile.ods_bytes(f'<table:table table:name="START HERE">{rows}</table:table>')


def test_an_ods_file_repeating_one_cell_over_the_whole_sheet_is_refused():
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    normal = ods(
        f"<table:table-row>{cell.format('Program name')}{cell.format('X')}</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048575">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    assert read_xlsx(normal) == {"START HERE": [["Program name", "X"]]}
    repeated = ods(
        '<table:table-row table:number-rows-repeated="1048576"><table:table-cell '
        'table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
        "</table:table-row>"
    )
    assert codes(refused(lambda: read_xlsx(repeated)).problems) == ["file-too-large"]


# --- the longest text, and one character more --------------------------------------------------


def longest_text(seed: str) -> str:
    """Exactly MAX_TEXT_LENGTH characters as spreadsheets count them, with letters of many
    scripts, line breaks (a few typed as carriage returns), emoji (each counts two) and
    trailing spaces."""
    text = "\r\n".join([f"{seed}: Évidence ñ 数学 🙂\nline two\n" * 40] * 30)
    text = text[: MAX_TEXT_LENGTH - 6] + "end  "
    while text_length(text) < MAX_TEXT_LENGTH:
        text += "x"
    while text_length(text) > MAX_TEXT_LENGTH:
        text = text[:-1]
    assert text_length(text) == MAX_TEXT_LENGTH
    return text


def test_the_longest_text_round_trips_exactly_through_xlsx_csv_and_json(tmp_path):
    study = tiny_study(
        **{
            "PG.1.a": Answer(value=3, evidence=longest_text("evidence"), notes=longest_text("n")),
            "PG.R": Answer(value=longest_text("answer")),
        }
    )
    study = study.model_copy(update={"program": Program(name=longest_text("name"), cohort="25")})
    xlsx_path = tmp_path / "copy.xlsx"
    export_xlsx(study, TINY, xlsx_path)
    assert read_sheet_copy(xlsx_path, TINY).study == study
    export_csv(study, TINY, tmp_path / "csv")
    assert read_sheet_copy(tmp_path / "csv", TINY).study == study
    assert parse_study(study.to_json()) == study


def test_one_character_more_is_refused_naming_the_item_wherever_it_comes_in(tmp_path, db):
    too_long = "é" * (MAX_TEXT_LENGTH + 1)
    document = json.loads(tiny_study(**{"PG.1.a": Answer(value=3)}).to_json())
    document["answers"]["PG.1.a"]["evidence"] = too_long
    problems = refused(lambda: parse_study(json.dumps(document), "study.json")).problems
    assert [(p.code, p.location, p.path) for p in problems] == [
        ("text-too-long", "study.json", "answers['PG.1.a'].evidence")
    ]
    assert "30,001 characters" in problems[0].message

    copy = tiny_copy(
        **{
            "1. Program Goals": [
                ["ID", "Rating", "Evidence", "Notes"],
                ["PG.1.a", "Established", too_long, None],
                ["PG.1.b", "Emerging", None, None],
                ["PG.R", too_long, None, None],
            ]
        }
    )
    for sheets in (
        read_xlsx(xlsx(copy)),
        read_csv_files({t: _csv(rows).encode() for t, rows in copy.items()}),
    ):
        result = parse_sheet_copy(sheets, TINY)
        assert result.study is None
        assert [(p.code, p.location) for p in result.problems.errors] == [
            ("text-too-long", "'1. Program Goals'!C2"),
            ("text-too-long", "'1. Program Goals'!B4"),
        ]
        assert "Evidence of PG.1.a" in result.problems[0].message

    study_id = db.create_study(tiny_study())
    problems = refused(lambda: db.save_field(study_id, "PG.1.a", "notes", too_long, None)).problems
    assert [(p.code, p.location) for p in problems] == [("text-too-long", "PG.1.a")]
    assert db.get_study(study_id).study.answers == {}


def _csv(rows, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    return out.getvalue()


def test_a_csv_cell_longer_than_the_csv_module_reads_by_default_is_named_by_its_cell():
    copy = tiny_copy(
        **{"1. Program Goals": [["ID", "Rating", "Evidence"], ["PG.1.a", "3", "x" * 131_073]]}
    )
    sheets = read_csv_files({t: _csv(rows).encode() for t, rows in copy.items()})
    result = parse_sheet_copy(sheets, TINY)
    assert [(p.code, p.location) for p in result.problems.errors] == [
        ("text-too-long", "'1. Program Goals'!C2")
    ]


def crlf_text(length: int) -> str:
    """A text of `length` characters once its line breaks are line feeds, typed with CR LF
    every 52 characters, as Windows and CSV files write them."""
    text = ("x" * 50 + "\r\n") * (length // 51 + 1)
    while text_length(text.replace("\r\n", "\n")) > length:
        text = text[:-1]
    return text.rstrip("\r")


def test_line_breaks_typed_as_cr_lf_or_cr_come_in_as_line_feeds_wherever_they_come_in(tmp_path):
    typed = {"evidence": "first\r\nsecond\rthird\n", "notes": "a\r\n\r\nb"}
    held = {"evidence": "first\nsecond\nthird\n", "notes": "a\n\nb"}
    document = json.loads(tiny_study(**{"PG.1.a": Answer(value=3)}).to_json())
    document["answers"]["PG.1.a"].update(typed)
    document["program"]["name"] = "Bridge\r\nto STEM"
    study = parse_study(json.dumps(document), "study.json")
    assert study.answers["PG.1.a"].model_dump(include={"evidence", "notes"}) == held
    assert study.program.name == "Bridge\nto STEM"

    copy = tiny_copy(
        **{
            "1. Program Goals": [
                ["ID", "Rating", "Evidence", "Notes"],
                ["PG.1.a", "3", typed["evidence"], typed["notes"]],
            ]
        }
    )
    result = parse_sheet_copy(read_csv_files({t: _csv(r).encode() for t, r in copy.items()}), TINY)
    assert result.study is not None, [str(p) for p in result.problems]
    assert result.study.answers["PG.1.a"].model_dump(include={"evidence", "notes"}) == held


def test_a_text_at_the_limit_typed_with_cr_lf_round_trips_through_xlsx_csv_and_json(tmp_path):
    # 30,000 characters with a CR LF every 52: each CR would take 7 as `_x000D_` in a
    # workbook, so the copy would need over 34,000; as line feeds it takes 30,000.
    typed = crlf_text(MAX_TEXT_LENGTH)
    document = json.loads(tiny_study(**{"PG.1.a": Answer(value=3)}).to_json())
    document["answers"]["PG.1.a"]["evidence"] = typed
    document["answers"]["PG.1.a"]["notes"] = typed
    study = parse_study(json.dumps(document), "study.json")
    assert text_length(study.answers["PG.1.a"].evidence) == MAX_TEXT_LENGTH
    export_xlsx(study, TINY, tmp_path / "copy.xlsx")
    assert read_sheet_copy(tmp_path / "copy.xlsx", TINY).study == study
    export_csv(study, TINY, tmp_path / "csv")
    assert read_sheet_copy(tmp_path / "csv", TINY).study == study
    assert parse_study(study.to_json()) == study


@pytest.mark.parametrize(
    "text",
    [
        "_x0041" * (MAX_TEXT_LENGTH // 6),  # each `_` escaped as `_x005F_`: 60,000 stored
        "_x0041_x0041_" * 10,  # escapes that overlap
        "\x1b\x01" * (MAX_TEXT_LENGTH // 2),  # control characters: 7 stored each
    ],
    ids=["looks-escaped", "overlapping", "controls"],
)
def test_any_text_within_the_limit_round_trips_through_xlsx_whatever_its_escapes(text):
    study = tiny_study(**{"PG.1.a": Answer(value=3, evidence=text)})
    for engine in ("calamine", "openpyxl"):
        result = parse_sheet_copy(read_xlsx(xlsx_bytes(study, TINY), engine), TINY)
        assert result.study == study, (engine, [str(p) for p in result.problems])


@pytest.mark.parametrize(
    "text", ["\u2028", "\u2029", "\u3000", "\u1680", "\u2028 ", " \u3000", "\xa0\t", " "]
)
def test_a_text_of_spaces_of_any_kind_round_trips_through_xlsx(text):
    # A text only of spaces is escaped so that readers keep it; calamine undoes only the
    # escapes of the first 256 characters, so `_x2028_` came back as written.
    study = tiny_study(**{"PG.1.a": Answer(value=3, evidence=text)})
    for engine in ("calamine", "openpyxl"):
        result = parse_sheet_copy(read_xlsx(xlsx_bytes(study, TINY), engine), TINY)
        assert result.study == study, (engine, [str(p) for p in result.problems])


def test_a_cell_longer_than_excel_holds_is_refused_at_its_cell_and_the_old_file_stays(tmp_path):
    # No self-study text is this long; a rubric's own text may be.
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"the old copy")
    tab = Tab("Notes", [["short", "x" * 32_768]])
    problems = refused(lambda: write_xlsx([tab], target)).problems
    assert [(p.code, p.location) for p in problems] == [("text-too-long", "'Notes'!B1")]
    assert "32,768 characters" in problems[0].message
    assert target.read_bytes() == b"the old copy"


def test_the_apps_text_boxes_take_no_more_than_the_longest_text(db, default_rubric):
    study_id = db.create_study(SelfStudy.new(default_rubric, "Bridge to STEM"))
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30)
    at.query_params["study"] = study_id
    at.run()
    at = at.switch_page("selfstudy/app/pages/questionnaire.py").run()
    assert at.text_area and all(box.max_chars == MAX_TEXT_LENGTH for box in at.text_area)


# --- a full disk, a folder in the way, a folder that may not be written --------------------------


def no_space(fd: int, data: bytes) -> int:
    """`os.write` on a full disk."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def full_disk(monkeypatch):
    monkeypatch.setattr(os, "write", no_space)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_full_disk_leaves_an_old_export_import_or_report_as_it_was(tmp_path, monkeypatch):
    old = b"the old file"
    targets = {
        "export": tmp_path / "copy.xlsx",
        "import": tmp_path / "study.json",
        "report": tmp_path / "report.html",
    }
    for target in targets.values():
        target.write_bytes(old)
    commands = {
        "export": ("export", P01, "--to", targets["export"]),
        "import": ("import", P01, "--out", targets["import"]),
        "report": ("report", P01, "--out", targets["report"]),
    }
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", no_space)
        results = {name: invoke(*args) for name, args in commands.items()}
    for name, result in results.items():
        assert_one_line(result, "No space left on device")
        assert targets[name].read_bytes() == old, name
    assert leftovers(tmp_path) == []


def test_a_csv_folder_is_written_whole_or_its_old_files_stay(tmp_path, monkeypatch):
    folder = tmp_path / "copy"
    export_csv(tiny_study(), TINY, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    study = tiny_study(**{"PG.1.a": Answer(value=3, evidence="new words")})
    writes = iter(range(1_000))

    def third_write_fails(fd: int, data: bytes) -> int:  # the disk fills part way
        return no_space(fd, data) if next(writes) == 2 else real_write(fd, data)

    real_write = os.write
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", third_write_fails)
        problems = refused(lambda: export_csv(study, TINY, folder)).problems
    assert codes(problems) == ["cannot-write"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    renames = iter(range(1_000))
    real_replace = os.replace

    def third_rename_fails(source, target) -> None:
        # Each old file is renamed aside, then the new one in: two files are in place.
        if next(renames) == 4:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(source, target)

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", third_rename_fails)
        problems = refused(lambda: export_csv(study, TINY, folder)).problems
    assert codes(problems) == ["cannot-write"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    export_csv(study, TINY, folder)
    rows = read_csv_folder(folder)["1. Program Goals"]
    assert next(row for row in rows if row[:1] == ["PG.1.a"])[4] == "new words"


def test_a_full_disk_leaves_the_sync_record_as_it_was(tmp_path, full_disk):
    study = tmp_path / "study.json"
    record = sync_records.record_of(study)
    record.write_text('{"sheet-1": {"PG.1.a": {"value": 3}}}')
    before = record.read_bytes()
    problems = refused(lambda: sync_records.remember(study, "sheet-2", {})).problems
    assert codes(problems) == ["cannot-write"]
    assert record.read_bytes() == before and leftovers(tmp_path) == []


def test_a_study_taken_from_a_sheet_and_its_sync_record_are_written_both_or_neither(
    tmp_path, monkeypatch
):
    study = tmp_path / "study.json"
    study.write_text("the old study")
    record = sync_records.record_of(study)
    record.write_text('{"sheet-1": {"PG.1.a": {"value": 3}}}')
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_replace = os.replace
    renames = iter(range(1_000))

    def second_file_fails(source, target) -> None:
        if next(renames) == 2:  # the first file is in place, the second cannot be
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(source, target)

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", second_file_fails)
        remembering = lambda: sync_records.remember(study, "sheet-2", {}, "the new study")  # noqa: E731
        assert codes(refused(remembering).problems) == ["cannot-write"]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    sync_records.remember(study, "sheet-2", {}, "the new study")
    assert study.read_text() == "the new study"
    assert set(sync_records.read_bases(study)) == {"sheet-1", "sheet-2"}


def test_a_file_where_a_folder_is_wanted_is_one_line(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("a file")
    p02 = SAMPLES_DIR / "p02-baseline.json"
    assert_one_line(invoke("export", P01, "--to", taken), "is a file, not a folder")
    assert_one_line(invoke("import", P01, p02, "--out", taken), "is a file, not a folder")
    assert taken.read_text() == "a file"


def test_a_folder_that_may_not_be_written_is_one_line(tmp_path, monkeypatch):
    def refused_here(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("tempfile.mkstemp", refused_here)
    result = invoke("export", P01, "--to", tmp_path / "copy.xlsx")
    assert_one_line(result, "Permission denied")
    assert list(tmp_path.iterdir()) == []


# --- JSON that Python cannot take as it is ----------------------------------------------------


def test_a_number_of_thousands_of_digits_or_json_nested_too_deep_is_one_line(tmp_path):
    digits = tmp_path / "digits.json"
    study = json.loads(P01.read_text())
    text = json.dumps(study, indent=2).replace('"value": 3', '"value": ' + "9" * 5000, 1)
    digits.write_text(text)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = invoke("score", digits)
    assert_one_line(result, "thousands of digits")
    line = text[: text.index("9" * 5000)].count("\n") + 1
    assert f"{digits}:{line}: " in result.stderr
    assert_one_line(invoke("score", deep), "nested inside each other too deeply")
    problems = refused(lambda: parse_study(deep.read_text(), "deep.json")).problems
    assert [(p.code, p.location) for p in problems] == [("json-too-deep", "deep.json")]


def test_true_is_not_an_answer_though_python_counts_it_as_1():
    document = json.loads(tiny_study(**{"PG.1.a": Answer(value=3)}).to_json())
    document["answers"]["PG.1.a"]["value"] = True
    problems = refused(lambda: parse_study(json.dumps(document), "study.json")).problems
    assert [(p.code, p.path) for p in problems] == [("bad-value", "answers['PG.1.a'].value")]
    assert problems[0].message.startswith("true is not an answer")


def test_a_damaged_sync_record_is_one_problem_whatever_it_holds(tmp_path):
    study = tmp_path / "study.json"
    record = sync_records.record_of(study)
    for text in ("[1, 2]", '{"sheet": 5}', '{"sheet": [1]}', "[" * 100_000, "\x00\xff", "{"):
        record.write_text(text, encoding="latin-1")
        problems = refused(lambda: sync_records.read_bases(study)).problems
        assert [(p.code, p.location) for p in problems] == [("bad-sync-file", str(record))]


# --- CSV files as other programs save them -------------------------------------------------------


def csv_copy(delimiter: str = ",") -> dict[str, str]:
    return {title: _csv(rows, delimiter) for title, rows in tiny_copy().items()}


def test_semicolon_separated_and_utf16_csv_files_read_like_the_usual_ones():
    expected = parse_sheet_copy(tiny_copy(), TINY).study
    # Excel where a comma is the decimal point: semicolons, in UTF-8 with a byte-order mark.
    semicolons = {t: x.encode("utf-8-sig") for t, x in csv_copy(";").items()}
    # Excel's "Unicode text": UTF-16 with a byte-order mark, tab separated.
    unicode_text = {
        t: codecs.BOM_UTF16_LE + x.encode("utf-16-le") for t, x in csv_copy("\t").items()
    }
    for files in (semicolons, unicode_text):
        assert parse_sheet_copy(read_csv_files(files), TINY).study == expected


def test_a_csv_file_in_no_encoding_we_read_names_the_file_line_and_what_to_save_it_as():
    files = {t: x.encode() for t, x in csv_copy().items()}
    files["1. Program Goals"] = b"ID,Rating\r\nPG.1.a,3\r\nPG.1.b,\x81\x8d\r\n"
    problems = refused(lambda: read_csv_files(files)).problems
    assert [(p.code, p.location) for p in problems] == [
        ("unreadable-file", "1. Program Goals.csv:3")
    ]
    assert "UTF-8" in problems[0].message and "CSV UTF-8" in problems[0].message


def test_utf32_and_old_mac_csv_files_read_like_the_usual_ones():
    expected = parse_sheet_copy(tiny_copy(), TINY).study
    utf32 = {t: codecs.BOM_UTF32_LE + x.encode("utf-32-le") for t, x in csv_copy().items()}
    utf32_be = {t: codecs.BOM_UTF32_BE + x.encode("utf-32-be") for t, x in csv_copy().items()}
    mac = {t: x.replace("\r\n", "\r").encode() for t, x in csv_copy().items()}  # CR alone
    for files in (utf32, utf32_be, mac):
        assert parse_sheet_copy(read_csv_files(files), TINY).study == expected


def test_a_utf8_csv_file_with_a_stray_byte_is_named_at_its_line_not_read_as_windows_1252():
    # Read as Windows-1252, the whole file would become other letters without a word.
    evidence = "Café señora 😀 résumé"
    files = {t: x.encode() for t, x in csv_copy().items()}
    goals = "1. Program Goals"
    text = files[goals].replace(b"Goals page", evidence.encode())
    assert evidence.encode() in text
    files[goals] = text.replace(b"Ask board", b"Ask\xffboard")
    line = files[goals][: files[goals].index(b"\xff")].count(b"\n") + 1
    problems = refused(lambda: read_csv_files(files)).problems
    assert [(p.code, p.location) for p in problems] == [("unreadable-file", f"{goals}.csv:{line}")]
    assert "0xFF" in problems[0].message and "CSV UTF-8" in problems[0].message


def test_a_workbook_saved_under_a_csv_name_says_so():
    files = {t: x.encode() for t, x in csv_copy().items()}
    files["START HERE"] = copy_bytes()
    problems = refused(lambda: read_csv_files(files)).problems
    assert codes(problems) == ["unreadable-file"]
    assert "a workbook, not a CSV file" in problems[0].message


# --- formulas -----------------------------------------------------------------------------------


def test_a_formula_in_an_answer_cell_is_not_read_and_is_named_at_its_cell(tmp_path):
    copy = tiny_copy(
        **{
            "1. Program Goals": table(
                """
                | ID     | Rating      | Evidence |
                | PG.1.a | =3          | =A1      |
                | PG.1.b | =B2         |          |
                | PG.R   | Time        |          |
                """
            )
        }
    )
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in copy.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)  # text starting with "=" becomes a formula, as typed in Excel
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Excel keeps the last result beside a formula; openpyxl writes none. Give =3 its 3.
    sheet = zipfile.ZipFile(buffer).read("xl/worksheets/sheet2.xml")
    assert b"<f>3</f><v />" in sheet
    with_result = sheet.replace(b"<f>3</f><v />", b"<f>3</f><v>3</v>")
    cached = with_part(buffer.getvalue(), "xl/worksheets/sheet2.xml", [with_result])
    assert read_xlsx(cached, engine="openpyxl")["1. Program Goals"][1][1] == Formula("=3")
    for data in (buffer.getvalue(), cached):
        result = parse_sheet_copy(read_xlsx(data), TINY)
        warnings = [(p.code, p.location) for p in result.problems.warnings]
        assert warnings == [
            ("formula-not-read", "'1. Program Goals'!B2"),
            ("formula-not-read", "'1. Program Goals'!C2"),
            ("formula-not-read", "'1. Program Goals'!B3"),
        ]
        assert "'=3'" in result.problems.warnings[0].message
        assert "PG.1.a" not in result.study.answers and "PG.1.b" not in result.study.answers


def test_options_are_split_in_time_that_grows_with_the_cell_not_faster():
    options = ["x", "x,x", "y"]
    assert split_options("x," * 5_000 + "y", options) == ["x,x"] * 2_500 + ["y"]
    assert split_options("x," * 5_000 + "z", options) is None
