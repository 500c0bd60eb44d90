"""Importing many copies at once on the Import & sync page (AppTest, a real SQLite file):
several workbooks or a .zip of them, read with a progress bar, shown with what saving would
do, saved on one click and reported copy by copy; hostile .zip files are refused in words,
each problem where it is, and nothing is saved that should not be."""

from __future__ import annotations

import io
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from selfstudy.core.study import Answer
from selfstudy.edges.copy_archives import MAX_MEMBERS
from selfstudy.edges.workbooks import read_xlsx, xlsx_bytes
from tests.sheet_tables import xlsx
from tests.test_app_import_sync import XLSX, open_page

ZIP = "application/zip"


def upload(at: AppTest, *files: tuple[str, bytes, str]) -> AppTest:
    at.file_uploader(key="import_files").set_value(list(files))
    return at.run()


def packed(*members: tuple[str, bytes], level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def table(at: AppTest, n: int = 0):
    return at.dataframe[n].value


def problems(at: AppTest) -> list[list[str]]:
    """The problems table as (where, code) rows."""
    frame = at.table[0].value
    return [[where, code] for where, code in zip(frame.index, frame["Code"], strict=True)]


@pytest.fixture
def copies(sample_set, default_rubric) -> dict[str, bytes]:
    """Sheet copies of three programs' baselines, and one with a rating that is no rating."""
    sheets = read_xlsx(xlsx_bytes(sample_set[4], default_rubric))
    sheets["1. Program Goals"][5][3] = "Great"
    return {
        "p01.xlsx": xlsx_bytes(sample_set[0], default_rubric),
        "p02.xlsx": xlsx_bytes(sample_set[2], default_rubric),
        "p03.xlsx": xlsx_bytes(sample_set[4], default_rubric),
        "broken.xlsx": xlsx(sheets),
    }


def test_several_workbooks_are_read_shown_and_saved_with_one_report(db, copies, sample_set):
    at = upload(
        open_page(),
        ("p01.xlsx", copies["p01.xlsx"], XLSX),
        ("p02.xlsx", copies["p02.xlsx"], XLSX),
        ("broken.xlsx", copies["broken.xlsx"], XLSX),
    )
    assert not at.exception
    assert "Read 3 copies: 2 can be saved, 1 cannot" in at.warning[0].value
    assert problems(at) == [["broken.xlsx: '1. Program Goals'!D6", "bad-rating"]]
    plan = table(at)
    assert plan["Copy"].tolist() == ["p01.xlsx", "p02.xlsx"]
    assert set(plan["When you save"]) == {"saved as a new self-study"}
    assert db.list_studies() == []  # nothing before the click
    at = click(at, "Save 2 copies")
    assert not at.exception
    assert "Imported 3 copies: 2 saved, 1 not saved." in at.warning[0].value
    report = table(at)
    assert report["Copy"].tolist() == ["p01.xlsx", "p02.xlsx", "broken.xlsx"]
    assert report["Cohort"].tolist() == [
        sample_set[0].program.cohort,
        sample_set[2].program.cohort,
        "",
    ]
    stored = {s.name: s.id for s in db.list_studies()}
    assert report["What happened"].tolist() == [
        "saved as a new self-study",
        "saved as a new self-study",
        "not saved: 1 problem in the copy",
    ]
    # each saved one is opened by its link, on the Self-study page (not named by its id)
    assert report["Self-study"].fillna("").tolist() == [
        f"self-study?study={stored[sample_set[0].program.name]}",
        f"self-study?study={stored[sample_set[2].program.name]}",
        "",
    ]
    assert {s.program.name: s for _, s in db.all_studies()} == {
        s.program.name: s for s in (sample_set[0], sample_set[2])
    }
    assert not at.file_uploader[0].value  # the upload is emptied: it was imported
    at = click(at, "Done")
    assert not at.dataframe


def test_a_zip_of_copies_is_imported_and_what_it_holds_besides_is_named(db, copies, sample_set):
    archive = packed(
        ("cohort/p01.xlsx", copies["p01.xlsx"]),
        ("cohort/p02.xlsx", copies["p02.xlsx"]),
        ("cohort/broken.xlsx", copies["broken.xlsx"]),
        ("cohort/notes.txt", b"who sent what"),
        ("cohort/inner.zip", packed(("p03.xlsx", copies["p03.xlsx"]))),
        ("__MACOSX/cohort/._p01.xlsx", b"resource fork"),
        ("cohort/", b""),
    )
    at = upload(open_page(), ("cohort.zip", archive, ZIP))
    assert not at.exception
    assert problems(at) == [
        ["cohort.zip: cohort/notes.txt", "unsupported-source"],
        ["cohort.zip: cohort/inner.zip", "unsupported-source"],
        ["cohort.zip: cohort/broken.xlsx: '1. Program Goals'!D6", "bad-rating"],
    ]
    at = click(at, "Save 2 copies")
    assert not at.exception
    assert table(at)["Copy"].tolist() == [
        "cohort.zip: cohort/p01.xlsx",
        "cohort.zip: cohort/p02.xlsx",
        "cohort.zip: cohort/broken.xlsx",
    ]
    assert sorted(s.name for s in db.list_studies()) == sorted(
        [sample_set[0].program.name, sample_set[2].program.name]
    )


def test_copies_already_stored_are_skipped_or_updated_as_chosen_for_all(
    db, copies, sample_set, default_rubric
):
    stored_id = db.create_study(sample_set[0])
    item = next(i for i, a in sample_set[0].answers.items() if a.evidence)
    answers = dict(sample_set[0].answers)
    answers[item] = Answer(value=answers[item].value, evidence="Sent in the cohort's zip")
    changed = sample_set[0].model_copy(update={"answers": answers})
    archive = packed(
        ("p01.xlsx", xlsx_bytes(changed, default_rubric)), ("p02.xlsx", copies["p02.xlsx"])
    )
    at = upload(open_page(), ("cohort.zip", archive, ZIP))
    assert not at.exception
    assert table(at)["When you save"].tolist() == [
        "skipped: already stored (it differs in 1 field)",
        "saved as a new self-study",
    ]
    assert table(at)["Stored"].fillna("").tolist() == [
        f"self-study?study={stored_id}",
        "",
    ]
    at.radio(key="bulk_on_stored").set_value("update").run()
    assert table(at)["When you save"].tolist()[0] == (
        "updates the stored self-study (1 field changes)"
    )
    at = click(at, "Save 2 copies")
    assert not at.exception
    assert "Imported 2 copies: 1 saved, 1 updated." in at.success[0].value
    assert table(at)["What happened"].tolist()[0] == "updated the stored self-study: 1 changed"
    assert table(at)["Self-study"].tolist()[0] == f"self-study?study={stored_id}"
    assert db.get_study(stored_id).study.answers[item].evidence == "Sent in the cohort's zip"
    assert len(db.list_studies()) == 2


def test_a_copy_the_same_as_the_stored_study_says_so_in_words(db, copies, sample_set):
    stored_id = db.create_study(sample_set[0])
    archive = packed(("p01.xlsx", copies["p01.xlsx"]), ("p02.xlsx", copies["p02.xlsx"]))
    at = upload(open_page(), ("cohort.zip", archive, ZIP))
    assert not at.exception
    assert table(at)["When you save"].tolist()[0] == "skipped: already stored (it is the same)"
    assert table(at)["Stored"].tolist()[0] == f"self-study?study={stored_id}"
    at.radio(key="bulk_on_stored").set_value("update").run()
    assert table(at)["When you save"].tolist()[0] == (
        "updates the stored self-study (nothing changes)"
    )


def test_skipped_copies_are_reported_with_what_to_do_in_the_apps_words(db, copies, sample_set):
    stored_id = db.create_study(sample_set[0])
    at = upload(
        open_page(),
        ("p01.xlsx", copies["p01.xlsx"], XLSX),
        ("p02.xlsx", copies["p02.xlsx"], XLSX),
    )
    at = click(at, "Save 1 copy")
    assert not at.exception
    assert table(at)["What happened"].tolist()[0] == (
        "skipped: its program and round are already stored"
    )
    [new_id] = {s.id for s in db.list_studies()} - {stored_id}
    # the skipped copy links the self-study stored already; the saved one, the new one
    assert table(at)["Self-study"].tolist() == [
        f"self-study?study={stored_id}",
        f"self-study?study={new_id}",
    ]
    assert at.table[0].value["Kind"].iloc[0] == "skipped"  # nothing to fix in the copy
    message = at.table[0].value["Problem and how to fix it"].iloc[0]
    assert f"already stored as {stored_id}" in message
    assert "--update" not in message and "upload it again" in message
    assert "to update the stored self-study from it" in message


# --- hostile .zip files ---------------------------------------------------------------------


def test_a_zip_of_too_many_files_is_refused_before_any_is_read(db):
    archive = packed(*[(f"c{n}.xlsx", b"") for n in range(MAX_MEMBERS + 1)])
    at = upload(open_page(), ("many.zip", archive, ZIP))
    assert not at.exception
    assert problems(at) == [["many.zip", "file-too-large"]]
    assert "over 2,000 files" in at.table[0].value["Problem and how to fix it"].iloc[0]
    assert not [b for b in at.button if b.label.startswith("Save")]
    assert db.list_studies() == []


def test_a_zip_bomb_is_refused_member_by_member_and_the_good_copy_still_saved(
    db, copies, sample_set
):
    archive = packed(
        ("huge.xlsx", bytes(30 * 2**20)),  # over a workbook's 20 MB, packed to 30 kB
        ("dense.xlsx", bytes(5 * 2**20)),  # a thousand times smaller packed than unpacked
        ("p01.xlsx", copies["p01.xlsx"]),
        level=9,
    )
    assert len(archive) < 200_000
    at = upload(open_page(), ("bomb.zip", archive, ZIP))
    assert not at.exception
    assert problems(at) == [
        ["bomb.zip: huge.xlsx", "file-too-large"],
        ["bomb.zip: dense.xlsx", "file-too-large"],
    ]
    words = at.table[0].value["Problem and how to fix it"].tolist()
    assert "over 20 MB" in words[0] and "far more than it packs" in words[1]
    at = click(at, "Save 1 copy")
    assert [s.name for s in db.list_studies()] == [sample_set[0].program.name]


def test_a_zip_that_unpacks_to_too_much_in_all_is_refused_whole(db):
    member = bytes(19 * 2**20)  # each one under a workbook's bound
    archive = packed(*[(f"c{n}.xlsx", member) for n in range(22)], level=1)
    at = upload(open_page(), ("all.zip", archive, ZIP))
    assert not at.exception
    assert problems(at) == [["all.zip", "file-too-large"]]
    assert "unpacks to over 400 MB" in at.table[0].value["Problem and how to fix it"].iloc[0]
    assert db.list_studies() == []


def test_a_damaged_zip_and_a_member_named_to_escape_are_only_labels(db, copies, sample_set):
    escaping = packed(("../../../../tmp/escaped.xlsx", copies["p01.xlsx"]))
    damaged = packed(("p02.xlsx", copies["p02.xlsx"]))[:-30]
    at = upload(open_page(), ("escaping.zip", escaping, ZIP), ("damaged.zip", damaged, ZIP))
    assert not at.exception
    assert problems(at) == [["damaged.zip", "unreadable-file"]]
    assert table(at)["Copy"].tolist() == ["escaping.zip: ../../../../tmp/escaped.xlsx"]
    at = click(at, "Save 1 copy")
    assert [s.name for s in db.list_studies()] == [sample_set[0].program.name]


def test_one_workbook_alone_keeps_the_one_copy_preview(db, copies):
    at = upload(open_page(), ("p01.xlsx", copies["p01.xlsx"], XLSX))
    assert "Save as a new self-study" in [b.label for b in at.button]
