"""The three-way merge behind sync: nothing changed on one side is ever lost silently."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from selfstudy.core.merge import PROGRAM_KEY, apply_changes, plan_sync, snapshot
from selfstudy.core.study import Answer, Program, RubricRef, SelfStudy


def entry(value, evidence=""):
    return {"value": value, "evidence": evidence, "notes": ""}


def test_a_change_made_only_in_the_sheet_comes_into_the_app():
    base = {"A": entry(1), "B": entry(2)}
    plan = plan_sync(base, app=dict(base), sheet={"A": entry(3), "B": entry(2)})
    assert plan.to_app == {"A": entry(3)}
    assert plan.to_sheet == {} and plan.conflicts == []
    assert plan.base == {"A": entry(3), "B": entry(2)}


def test_a_change_made_only_in_the_app_goes_to_the_sheet():
    base = {"A": entry(1)}
    plan = plan_sync(base, app={"A": entry(1, "minutes")}, sheet=dict(base))
    assert plan.to_sheet == {"A": entry(1, "minutes")}
    assert plan.to_app == {}


def test_an_answer_cleared_on_one_side_is_cleared_on_the_other():
    base = {"A": entry(1), "B": entry(2)}
    plan = plan_sync(base, app={"B": entry(2)}, sheet={"A": entry(1)})
    assert plan.to_sheet == {"A": None}
    assert plan.to_app == {"B": None}
    assert plan.base == {}


def test_a_change_on_both_sides_is_a_conflict_showing_both_and_touching_neither():
    base = {"A": entry(1)}
    plan = plan_sync(base, app={"A": entry(2)}, sheet={"A": entry(3)})
    assert plan.to_app == {} and plan.to_sheet == {}
    [conflict] = plan.conflicts
    assert (conflict.key, conflict.base, conflict.app, conflict.sheet) == (
        "A",
        entry(1),
        entry(2),
        entry(3),
    )
    assert plan.base == {"A": entry(1)}  # so the conflict is offered again


def test_a_row_deleted_in_the_sheet_is_a_conflict_not_a_cleared_answer():
    base = {"A": entry(1), "B": entry(2)}
    plan = plan_sync(base, app=dict(base), sheet={"A": entry(1)}, rowless=["B"])
    assert plan.to_app == {} and plan.to_sheet == {}
    [conflict] = plan.conflicts
    assert (conflict.key, conflict.row_deleted, conflict.app, conflict.sheet) == (
        "B",
        True,
        entry(2),
        None,
    )
    assert plan.base == base  # so it is asked again
    confirmed = plan_sync(base, dict(base), {"A": entry(1)}, {"B": "sheet"}, rowless=["B"])
    assert confirmed.to_app == {"B": None} and confirmed.conflicts == []
    emptied = plan_sync(base, dict(base), {"A": entry(1)})  # the row is there, its cells empty
    assert emptied.to_app == {"B": None} and emptied.conflicts == []


def test_the_users_choice_settles_a_conflict_either_way():
    base = {"A": entry(1)}
    app, sheet = {"A": entry(2)}, {"A": entry(3)}
    keep_app = plan_sync(base, app, sheet, {"A": "app"})
    assert keep_app.to_sheet == {"A": entry(2)} and keep_app.conflicts == []
    keep_sheet = plan_sync(base, app, sheet, {"A": "sheet"})
    assert keep_sheet.to_app == {"A": entry(3)} and keep_sheet.base == {"A": entry(3)}


def test_the_same_change_on_both_sides_is_not_a_conflict():
    plan = plan_sync({"A": entry(1)}, app={"A": entry(4)}, sheet={"A": entry(4)})
    assert plan.in_sync and plan.base == {"A": entry(4)}


def test_first_sync_copies_one_sided_entries_and_flags_differences():
    plan = plan_sync(None, app={"A": entry(1), "C": entry(1)}, sheet={"B": entry(2), "C": entry(4)})
    assert plan.to_sheet == {"A": entry(1)}
    assert plan.to_app == {"B": entry(2)}
    assert [c.key for c in plan.conflicts] == ["C"]
    assert "C" not in plan.base


def test_snapshot_holds_the_program_and_non_empty_answers_and_applies_back():
    study = SelfStudy(
        rubric=RubricRef(id="r", version="1"),
        program=Program(name="P", cohort="2025"),
        answers={"A": Answer(value=3), "B": Answer()},
    )
    snap = snapshot(study)
    assert set(snap) == {PROGRAM_KEY, "A"}
    changed = apply_changes(
        study, {"A": None, "C": entry("N/A"), PROGRAM_KEY: {"name": "Q", "cohort": "2026"}}
    )
    assert changed.program.name == "Q"
    assert set(changed.answers) == {"B", "C"}


ENTRIES = st.dictionaries(st.sampled_from("ABCDE"), st.integers(1, 4).map(entry), max_size=5)


@settings(max_examples=200, deadline=None)
@given(base=ENTRIES, app=ENTRIES, sheet=ENTRIES)
def test_after_a_sync_both_sides_agree_except_on_conflicts_and_no_edit_is_lost(base, app, sheet):
    plan = plan_sync(base, app, sheet)
    new_app = {**app, **plan.to_app}
    new_sheet = {**sheet, **plan.to_sheet}
    new_app = {k: v for k, v in new_app.items() if v is not None}
    new_sheet = {k: v for k, v in new_sheet.items() if v is not None}
    conflicted = {c.key for c in plan.conflicts}
    for key in set(app) | set(sheet) | set(base):
        if key in conflicted:
            assert new_app.get(key) == app.get(key) and new_sheet.get(key) == sheet.get(key)
        else:
            assert new_app.get(key) == new_sheet.get(key) == plan.base.get(key)
            # an edit on exactly one side always survives
            if app.get(key) != base.get(key) and sheet.get(key) == base.get(key):
                assert new_sheet.get(key) == app.get(key)
            if sheet.get(key) != base.get(key) and app.get(key) == base.get(key):
                assert new_app.get(key) == sheet.get(key)
    again = plan_sync(plan.base, new_app, new_sheet)
    assert {c.key for c in again.conflicts} == conflicted
    assert again.to_app == {} and again.to_sheet == {}


@settings(max_examples=200, deadline=None)
@given(base=ENTRIES, app=ENTRIES, sheet=ENTRIES, rowless=st.sets(st.sampled_from("ABCDE")))
def test_no_answer_leaves_the_app_because_its_row_is_gone_unless_chosen(base, app, sheet, rowless):
    sheet = {k: v for k, v in sheet.items() if k not in rowless}
    plan = plan_sync(base, app, sheet, rowless=rowless)
    assert not rowless & set(plan.to_app)
    assert all(c.row_deleted == (c.key in rowless) for c in plan.conflicts)
    chosen = plan_sync(base, app, sheet, {k: "sheet" for k in rowless}, rowless)
    assert {c.key for c in chosen.conflicts} == {c.key for c in plan.conflicts} - rowless
