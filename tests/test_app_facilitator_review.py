"""What a facilitator is shown before and after she acts (AppTest, signed in, on a real
SQLite file): the bulk import's plan promises only the saves the storage will allow, the
Start page offers only what she may do and keeps a program's details, a study she may not
change says so, and the Cohorts page says which stored round it left out.

Bridge (p01) is in the 2025 cohort, which Fay facilitates; Valley (p02) is in 2026.
"""

from __future__ import annotations

from selfstudy.edges.workbooks import xlsx_bytes
from tests.test_app_bulk_import import ZIP, click, packed, table, upload
from tests.test_app_facilitator_import import (
    COHORT_2025,
    FAY,
    IMPORT_PAGE,
    network,  # noqa: F401 (a fixture)
    signed_in,
)


def test_the_plan_counts_only_the_copies_the_storage_will_save(
    network,  # noqa: F811 (the fixture)
    sample_set,
    default_rubric,
):
    valley = sample_set[3].model_copy(  # Valley's follow-up, naming no cohort: hers is set
        update={"program": sample_set[3].program.model_copy(update={"cohort": None})}
    )
    archive = packed(
        ("bridge-baseline.xlsx", xlsx_bytes(sample_set[0], default_rubric)),
        ("bridge-follow-up.xlsx", xlsx_bytes(sample_set[1], default_rubric)),
        ("valley-follow-up.xlsx", xlsx_bytes(valley, default_rubric)),
    )
    at = upload(signed_in(FAY, IMPORT_PAGE), ("three.zip", archive, ZIP))
    assert not at.exception, at.exception
    radio = at.radio(key="bulk_on_stored")
    assert radio.label == "1 copy is of a program and round already stored"
    plan = table(at).set_index("Copy")["When you save"]
    assert plan["three.zip: valley-follow-up.xlsx"] == (
        "not saved: its program is not in your cohorts (a network admin can put it in one, "
        "or a member of the program can import it)"
    )
    assert plan["three.zip: bridge-follow-up.xlsx"] == "saved as a new self-study"
    assert "Read 3 copies: 1 can be saved, 2 are left out" in at.info[0].value
    assert [b.label for b in at.button if b.label.startswith("Save")] == ["Save 1 copy"]
    at.radio(key="bulk_on_stored").set_value("keep-both").run()
    assert "Read 3 copies: 2 can be saved, 1 is left out" in at.info[0].value
    at = click(at, "Save 2 copies")
    assert not at.exception, at.exception
    assert "Imported 3 copies: 2 saved, 1 not saved." in at.warning[0].value
    happened = table(at).set_index("Copy")["What happened"]
    assert happened["three.zip: valley-follow-up.xlsx"] == plan["three.zip: valley-follow-up.xlsx"]
    rounds = sorted(s.round for s in network.list_studies() if s.name == sample_set[0].program.name)
    assert rounds == ["baseline", "baseline", "follow-up"]
    assert [s.round for s in network.list_studies() if s.name == sample_set[2].program.name] == [
        "baseline"
    ]


START_PAGE = "selfstudy/app/pages/start.py"
MO = "mo@network.example"  # a member of Bridge and of Valley


def cohort_box(at):
    return next(t for t in at.text_input if t.label == "Cohort")


def program_box(at):
    return next(s for s in at.selectbox if s.label == "Program *")


def test_a_facilitator_is_not_offered_a_team_and_finds_her_cohort_filled_in(
    network,  # noqa: F811 (the fixture)
):
    at = signed_in(FAY, START_PAGE)
    assert cohort_box(at).value == COHORT_2025  # Bridge's cohort, hers
    assert not any(c.label.startswith("Rate it as a team") for c in at.checkbox)
    assert any(
        "Rating as a team is set up by one of the program's members" in c.value for c in at.caption
    )
    next(t for t in at.text_input if t.label == "Round").set_value("2027")
    at = next(b for b in at.button if b.label == "Begin the self-study").click().run()
    assert not at.exception, at.exception
    [begun] = [s for s in network.list_studies() if s.round == "2027"]
    assert begun.cohort == COHORT_2025


def test_a_cohort_she_does_not_facilitate_is_refused_in_the_start_pages_words(
    network,  # noqa: F811 (the fixture)
):
    at = signed_in(FAY, START_PAGE)
    cohort_box(at).set_value("2026 Network cohort")
    next(t for t in at.text_input if t.label == "Round").set_value("2027")
    at = next(b for b in at.button if b.label == "Begin the self-study").click().run()
    assert not at.exception, at.exception
    said = at.error[0].value
    assert "Cohort: you do not facilitate the cohort 2026 Network cohort" in said
    assert "Cohort box" in said and "Cohort detail" not in said and "import" not in said
    assert cohort_box(at).value == "2026 Network cohort"  # what she typed is kept
    assert not [s for s in network.list_studies() if s.round == "2027"]


def test_a_member_sees_each_programs_cohort_filled_in_until_she_types_her_own(
    network,  # noqa: F811 (the fixture)
    sample_set,
):
    ids = {p.name: p.id for p in network.programs()}
    bridge, valley = sample_set[0].program.name, sample_set[2].program.name
    network.invite(MO, "member", program_id=ids[bridge])
    network.invite(MO, "member", program_id=ids[valley])
    at = signed_in(MO, START_PAGE)
    program_box(at).set_value(ids[bridge]).run()
    assert cohort_box(at).value == COHORT_2025
    program_box(at).set_value(ids[valley]).run()
    assert cohort_box(at).value == "2026 Network cohort"
    assert any(c.label.startswith("Rate it as a team") for c in at.checkbox)  # she may lead
    cohort_box(at).set_value("Summer pilot").run()
    program_box(at).set_value(ids[bridge]).run()
    assert cohort_box(at).value == "Summer pilot"  # typed: never replaced


def test_a_study_she_may_only_read_says_so_and_how_its_program_gets_members(
    network,  # noqa: F811 (the fixture)
    sample_set,
):
    bridge = next(s.id for s in network.list_studies() if s.name == sample_set[0].program.name)
    at = signed_in(FAY, START_PAGE)
    at = next(b for b in at.button if b.key == f"open-{bridge}").click().run()
    assert not at.exception, at.exception
    said = " ".join(i.value for i in at.info)
    assert "This self-study is read-only for you" in said
    assert "As a facilitator of its cohort you can read and compare it" in said
    assert "a network admin can invite them, if the program has none yet" in said
    captions = " ".join(c.value for c in at.caption)
    assert "Answers save automatically" not in captions
    assert "Read-only for you" in captions


COHORTS_PAGE = "selfstudy/app/pages/cohorts.py"


def test_the_cohorts_page_says_which_stored_round_a_later_one_replaced(
    network,  # noqa: F811 (the fixture)
    sample_set,
):
    first = next(s.id for s in network.list_studies() if s.name == sample_set[0].program.name)
    network.create_study(sample_set[0])  # Bridge's baseline again, kept both
    at = signed_in(FAY, COHORTS_PAGE)
    assert not at.exception, at.exception
    [replaced] = [
        e
        for e in at.expander
        if e.label.endswith("replaced by a later one of the same program and round")
    ]
    assert replaced.label.startswith("1 self-study replaced")
    shown = replaced.dataframe[0].value
    assert shown.to_dict("records") == [
        {
            "Self-study": f"self-study?study={first}",  # a link to open it
            "Program": sample_set[0].program.name,
            "Round": "baseline",
        }
    ]
    # under pseudonyms the page names no program: the id, no link and no program's name
    at.toggle[0].set_value(True).run()
    [replaced] = [e for e in at.expander if e.label.startswith("1 self-study replaced")]
    assert replaced.dataframe[0].value.to_dict("records") == [
        {"Self-study": first, "Round": "baseline"}
    ]
