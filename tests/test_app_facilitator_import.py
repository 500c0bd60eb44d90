"""A facilitator imports a whole cohort's sheet copies on the Import & sync page, and begins a
round on the Start page (AppTest, signed in, on a real SQLite file).

Bridge (p01) is in the 2025 cohort, which Fay facilitates; Valley (p02) is in 2026. The page
says where copies go; copies of her cohort's programs, and of a new program put in her cohort
by the cohort she chose for copies naming none, are saved; a copy naming 2026 is not, and the
one report says which and why. A stored round she may not update is skipped, or kept both.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from selfstudy.core.access import normal_name
from selfstudy.edges.storage import Storage
from selfstudy.edges.workbooks import xlsx_bytes
from tests.test_app_bulk_import import ZIP, click, packed, problems, table, upload
from tests.test_app_import_sync import XLSX
from tests.test_app_improvement import APP, AUTH, ISSUER

FAY = "fay@network.example"
IMPORT_PAGE = "selfstudy/app/pages/import_sync.py"
START_PAGE = "selfstudy/app/pages/start.py"
QUESTIONNAIRE = "selfstudy/app/pages/questionnaire.py"
COHORT_2025 = "2025 Network cohort"


def signed_in(email: str, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {
        "is_logged_in": True,
        "iss": ISSUER,
        "sub": "sub-" + email.split("@")[0],
        "email": email,
        "email_verified": True,
    }
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def network(db: Storage, sample_set, monkeypatch) -> Storage:
    monkeypatch.delenv("SELFSTUDY_ADMINS", raising=False)
    db.create_study(sample_set[0])  # Bridge, baseline, 2025
    db.create_study(sample_set[2])  # Valley, baseline, 2026
    db.invite(FAY, "facilitator", cohort=COHORT_2025)
    return db


def page_text(at: AppTest) -> str:
    return "\n".join(
        e.value for kind in (at.caption, at.markdown, at.info) for e in kind if e.value
    )


def test_a_facilitator_imports_her_cohorts_copies_in_one_go(network, sample_set, default_rubric):
    harbor = sample_set[0].model_copy(
        update={
            "program": sample_set[0].program.model_copy(
                update={"id": None, "name": "Harbor Lights Robotics Club", "cohort": None}
            )
        }
    )
    archive = packed(
        ("cohort/bridge-follow-up.xlsx", xlsx_bytes(sample_set[1], default_rubric)),
        ("cohort/valley-follow-up.xlsx", xlsx_bytes(sample_set[3], default_rubric)),
        ("cohort/harbor.xlsx", xlsx_bytes(harbor, default_rubric)),
        ("cohort/bridge-baseline.xlsx", xlsx_bytes(sample_set[0], default_rubric)),
    )
    at = upload(signed_in(FAY, IMPORT_PAGE), ("cohort.zip", archive, ZIP))
    assert not at.exception, at.exception
    said = page_text(at)
    assert "Copies go to the programs named in the copy" in said
    assert f"**{COHORT_2025}**" in said
    assert "not saved and the report says which" in said
    assert not any(t.label.startswith("Save them as one team") for t in at.toggle)
    cohort = at.selectbox(key="cohort:bulk")
    assert cohort.label == "Cohort for the 1 copy naming none"
    assert cohort.options == [COHORT_2025, "Leave them without a cohort"]
    assert cohort.value == COHORT_2025
    stored = {s.name: s.id for s in network.list_studies()}
    baseline = stored[sample_set[0].program.name]
    radio = at.radio(key="bulk_on_stored")
    assert radio.options == [
        "Skip it (save nothing from it)",  # one copy is of a stored round
        "Keep both (save it as a new self-study)",
    ]
    plan = table(at)
    assert plan["Cohort"].tolist() == [COHORT_2025, "2026 Network cohort", COHORT_2025, COHORT_2025]
    assert plan["When you save"].tolist()[3] == (
        "skipped: already stored, and you may read it but not change it (ask a member of its "
        "program to update it, or keep both)"
    )
    assert plan["Stored"].tolist()[3] == f"self-study?study={baseline}"
    assert plan["When you save"].tolist()[1] == (
        "not saved: it names the cohort 2026 Network cohort, which you do not facilitate"
    )
    assert "Read 4 copies: 2 can be saved, 2 are left out" in at.info[0].value
    at = click(at, "Save 2 copies")
    assert not at.exception, at.exception
    assert "Imported 4 copies: 2 saved, 1 skipped, 1 not saved." in at.warning[0].value
    happened = table(at).set_index("Copy")["What happened"]
    assert happened["cohort.zip: cohort/valley-follow-up.xlsx"] == (
        "not saved: it names the cohort 2026 Network cohort, which you do not facilitate"
    )
    assert happened["cohort.zip: cohort/bridge-baseline.xlsx"] == (
        "skipped: its program and round are already stored"
    )
    assert ["cohort.zip: cohort/valley-follow-up.xlsx", "no-access"] in problems(at)
    reasons = at.table[0].value["Problem and how to fix it"].tolist()
    assert any("names cohort" in r and "which you do not facilitate" in r for r in reasons)
    programs = {p.name: p for p in network.programs()}
    assert [normal_name(c) for c in programs["Harbor Lights Robotics Club"].cohorts] == [
        normal_name(COHORT_2025)
    ]
    assert programs[sample_set[0].program.name].studies == 2  # baseline, and the follow-up
    assert programs[sample_set[2].program.name].studies == 1  # Valley: nothing added
    assert [normal_name(c) for c in programs[sample_set[2].program.name].cohorts] == [
        "2026 network cohort"
    ]


def test_a_stored_round_she_may_not_update_she_keeps_both(network, sample_set, default_rubric):
    archive = packed(
        ("bridge-baseline.xlsx", xlsx_bytes(sample_set[0], default_rubric)),
        ("bridge-follow-up.xlsx", xlsx_bytes(sample_set[1], default_rubric)),
    )
    at = upload(signed_in(FAY, IMPORT_PAGE), ("two.zip", archive, ZIP))
    at.radio(key="bulk_on_stored").set_value("keep-both").run()
    baseline = next(s.id for s in network.list_studies() if s.name == sample_set[0].program.name)
    assert table(at)["When you save"].tolist()[0] == (
        "saved as another self-study beside the stored one"
    )
    assert table(at)["Stored"].tolist()[0] == f"self-study?study={baseline}"
    at = click(at, "Save 2 copies")
    assert not at.exception, at.exception
    assert "Imported 2 copies: 2 saved." in at.success[0].value
    assert sorted(
        s.round for s in network.list_studies() if s.name == sample_set[0].program.name
    ) == [
        "baseline",
        "baseline",
        "follow-up",
    ]


def test_she_begins_a_round_of_her_cohorts_program_and_reads_it_only(network, sample_set):
    at = signed_in(FAY, START_PAGE)
    program = next(s for s in at.selectbox if s.label == "Program *")
    assert program.options == [sample_set[0].program.name]  # her cohort's program only
    assert any("only the program's members can answer it" in c.value for c in at.caption)
    next(t for t in at.text_input if t.label == "Round").set_value("2027")
    at = next(b for b in at.button if b.label == "Begin the self-study").click().run()
    assert not at.exception, at.exception
    begun = next(s for s in network.list_studies() if s.round == "2027")
    assert begun.name == sample_set[0].program.name
    assert any("only its program's members can change it" in i.value for i in at.info), [
        i.value for i in at.info
    ]


def test_one_copy_she_may_not_save_says_why_before_any_button(network, sample_set, default_rubric):
    """One copy is read on its own page section: a copy naming a cohort she does not
    facilitate is refused there and then, in words, with no Save button that would fail;
    her own cohort's copy offers the button."""
    valley = ("valley-follow-up.xlsx", xlsx_bytes(sample_set[3], default_rubric), XLSX)
    at = upload(signed_in(FAY, IMPORT_PAGE), valley)
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "This copy cannot be saved: it names the cohort 2026 Network cohort, which you do "
        "not facilitate."
    ]
    assert [code for _, code in problems(at)] == ["no-access"]  # the reason in full, below
    assert not [b for b in at.button if b.label == "Save as a new self-study"]

    bridge = ("bridge-follow-up.xlsx", xlsx_bytes(sample_set[1], default_rubric), XLSX)
    at = upload(signed_in(FAY, IMPORT_PAGE), bridge)
    assert not at.exception, at.exception
    assert not at.error
    at = click(at, "Save as a new self-study")
    assert not at.exception, at.exception
    assert {p.name: p.studies for p in network.programs()}[sample_set[1].program.name] == 2
