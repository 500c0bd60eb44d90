"""A sheet copy downloaded from Google Sheets as CSV files, one per tab, as Google names them.

Google Sheets' File > Download > CSV saves the current tab as `<spreadsheet> - <tab>.csv`.
The parser already reads a dimension tab named that way ("Copy of template - 1. Program
Goals.csv"), so a person who downloads every tab expects the folder to import as the copy
does; START HERE and SUMMARY are named the same way and are not recognised.
"""

from __future__ import annotations

from pathlib import Path

from selfstudy.core.sheetcopy import MAX_COLUMNS
from selfstudy.edges.sheet_files import read_sheet_copy
from selfstudy.edges.workbooks import export_csv
from selfstudy.workflows.imports import read_uploaded_copy

GOOGLE_PREFIX = "Copy of template - "


def google_named(folder: Path) -> Path:
    """`folder`'s CSV files renamed as Google Sheets names each tab it downloads."""
    for path in list(folder.glob("*.csv")):
        path.rename(folder / f"{GOOGLE_PREFIX}{path.name}")
    return folder


def test_a_csv_copy_named_as_google_downloads_it_imports_as_the_copy_does(
    tmp_path, sample_set, default_rubric
):
    plain = tmp_path / "plain"
    export_csv(sample_set[0], default_rubric, plain)
    expected = read_sheet_copy(plain)
    assert expected.study is not None and list(expected.problems) == []
    downloaded = tmp_path / "downloaded"
    export_csv(sample_set[0], default_rubric, downloaded)
    read = read_sheet_copy(google_named(downloaded))
    assert [str(p) for p in read.problems] == []  # no missing START HERE, no extra SUMMARY tab
    assert read.study == expected.study
    # the same files uploaded together in the app (Import & sync)
    files = [(p.name, p.read_bytes()) for p in sorted(downloaded.glob("*.csv"))]
    assert all(name.startswith(GOOGLE_PREFIX) for name, _ in files)
    uploaded = read_uploaded_copy(files)
    assert ([str(p) for p in uploaded.problems], uploaded.study) == ([], expected.study)


def test_a_google_named_summary_too_wide_to_read_refuses_no_copy(
    tmp_path, sample_set, default_rubric
):
    # As SUMMARY.csv (tests/test_bad_files.py): import ignores SUMMARY, so its cells are not
    # read and cannot refuse the copy, whatever name Google's download gave the file
    plain = tmp_path / "plain"
    export_csv(sample_set[0], default_rubric, plain)
    expected = read_sheet_copy(plain).study
    assert expected is not None
    downloaded = tmp_path / "downloaded"
    export_csv(sample_set[0], default_rubric, downloaded)
    (downloaded / "SUMMARY.csv").write_bytes(b",".join([b"x"] * (MAX_COLUMNS + 1)))
    read = read_sheet_copy(google_named(downloaded))
    assert [str(p) for p in read.problems] == []
    assert read.study == expected
