"""Improvement plans attacked as a careless user or a hostile one would (SQLite and
PostgreSQL): records under a deleted idea or measure, other programs' change ids, words a
refused save carried, numbers the run chart cannot draw, ids that are not ids, and the
network's counts. Each test states what a user expects; the review that wrote them found
eleven of these failing, all mended since."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from selfstudy.core.access import Actor, Grant, NoAccess, Role
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.runchart import Point, analyse
from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.improvement import RecordChanged
from selfstudy.edges.storage.schema import record_changes_table
from selfstudy.workflows.improvement import (
    add_idea,
    close_cycle,
    learning,
    plan_from_priority,
    run_chart_of,
)


def codes(exc: pytest.ExceptionInfo) -> list[str]:
    return [p.code for p in exc.value.problems]


@pytest.fixture
def planned(storage, new_study):
    """A stored study with a plan for PG.1, an idea, a cycle and a measure: (storage, ids)."""
    study_id = storage.create_study(new_study)
    plan_id = plan_from_priority(storage, study_id, ["PG.1"], {"aim": "Every goal measurable"})
    idea_id = add_idea(storage, plan_id, "Guest speakers each month")
    cycle_id = storage.add_record("cycle", idea_id, {"objective": "Try one visit"})
    measure_id = storage.add_record("measure", plan_id, {"name": "Students attending"})
    point_id = storage.add_record("point", measure_id, {"on": "2026-02-02", "value": 12})
    return storage, {
        "study": study_id,
        "plan": plan_id,
        "idea": idea_id,
        "cycle": cycle_id,
        "measure": measure_id,
        "point": point_id,
        "program": storage.get_study(study_id).program_id,
    }


def _as(storage: Storage, *grants: Grant, label: str = "someone") -> Storage:
    return storage.acting_as(Actor(label=label, grants=frozenset(grants)))


def _other_program_plan(storage: Storage) -> tuple[str, str, str]:
    """A second program with a plan and a cycle of its own: (program, plan, cycle)."""
    other = storage.add_program("Other program")
    plan = storage.add_plan(
        other, {"rubric_id": "stem-equity-self-study", "standards": ["PG.1"], "aim": "Theirs"}
    )
    idea = storage.add_record("idea", plan, {"title": "Their idea"})
    cycle = storage.add_record("cycle", idea, {"objective": "Their words"})
    return other, plan, cycle


# --- records under a deleted idea or measure ------------------------------------------------


def test_a_cycle_under_a_deleted_idea_cannot_be_changed(planned):
    storage, ids = planned
    storage.delete_record(ids["idea"])
    assert storage.plan(ids["plan"]).ideas == ()  # hidden, as its idea is
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["cycle"], {"objective": "Changed out of sight"}, None)
    assert codes(exc) == ["no-record"]


def test_a_data_point_under_a_deleted_measure_cannot_be_changed(planned):
    storage, ids = planned
    storage.delete_record(ids["measure"])
    assert storage.plan(ids["plan"]).measures == ()
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["point"], {"value": 99}, None)
    assert codes(exc) == ["no-record"]


def test_an_old_value_cannot_be_put_back_into_a_cycle_of_a_deleted_idea(planned):
    storage, ids = planned
    storage.update_record(ids["cycle"], {"objective": "Second words"}, None)
    [first] = [
        c
        for c in storage.record_history(ids["plan"])
        if c.field == "objective" and c.new == "Try one visit"
    ]
    storage.delete_record(ids["idea"])
    with pytest.raises(ProblemsFound) as exc:
        storage.restore_record_value(first.id)
    assert codes(exc) == ["no-record"]


def test_nothing_can_be_added_under_a_deleted_idea_or_measure(planned):
    storage, ids = planned
    storage.delete_record(ids["idea"])
    storage.delete_record(ids["measure"])
    with pytest.raises(ProblemsFound) as exc:
        storage.add_record("cycle", ids["idea"], {"objective": "x"})
    assert codes(exc) == ["no-record"]
    with pytest.raises(ProblemsFound) as exc:
        storage.add_record("point", ids["measure"], {"on": "2026-03-01", "value": 1})
    assert codes(exc) == ["no-record"]
    # restoring the idea brings its cycle back, as it was
    storage.restore_record(ids["idea"])
    [idea] = storage.plan(ids["plan"]).ideas
    assert [c.cycle.objective for c in idea.cycles] == ["Try one visit"]


# --- other programs' records ----------------------------------------------------------------


def test_another_programs_records_are_out_of_reach_by_every_door(planned):
    storage, ids = planned
    other, their_plan, their_cycle = _other_program_plan(storage)
    mine = _as(storage, Grant(Role.MEMBER, program_id=ids["program"]))
    [their_change] = [c for c in storage.record_history(their_plan) if c.field == "objective"]
    with pytest.raises(NoAccess):
        mine.restore_record_value(their_change.id)
    with pytest.raises(NoAccess):
        mine.add_record("cycle", storage.plan(their_plan).ideas[0].record.id, {"objective": "x"})
    with pytest.raises(NoAccess):
        mine.add_record("measure", their_plan, {"name": "x"})
    with pytest.raises(NoAccess):
        mine.update_record(their_cycle, {"objective": "x"}, None)
    with pytest.raises(NoAccess):
        mine.delete_record(their_cycle)
    with pytest.raises(NoAccess):
        mine.deleted_records(their_plan)
    with pytest.raises(NoAccess):
        mine.record_history(their_cycle)
    with pytest.raises(NoAccess):
        mine.set_sharing(other, True)
    with pytest.raises(NoAccess):
        mine.add_plan(other, {"rubric_id": "stem-equity-self-study", "standards": ["PG.1"]})
    storage.delete_record(their_plan)
    with pytest.raises(NoAccess):
        mine.restore_record(their_plan)
    assert mine.plans(deleted=True) == []
    assert storage.plan(ids["plan"]).plan.aim == "Every goal measurable"
    assert [c.cycle.objective for c in storage.plans(other, deleted=True)[0].cycles()] == [
        "Their words"
    ]


def test_a_viewer_neither_sees_deleted_plans_nor_restores_them(planned):
    storage, ids = planned
    viewer = _as(storage, Grant(Role.VIEWER, program_id=ids["program"]))
    storage.delete_record(ids["cycle"])
    with pytest.raises(NoAccess):
        viewer.restore_record(ids["cycle"])
    with pytest.raises(NoAccess):
        viewer.deleted_records(ids["plan"])
    storage.delete_record(ids["plan"])
    assert viewer.plans(deleted=True) == []


def test_a_program_that_stops_sharing_is_no_longer_read_by_the_network(planned):
    storage, ids = planned
    other, their_plan, _ = _other_program_plan(storage)
    outsider = _as(storage, Grant(Role.MEMBER, program_id=ids["program"]))
    storage.set_sharing(other, True)
    assert [p.id for p in outsider.shared_plans()] == [their_plan]
    storage.set_sharing(other, False)
    assert outsider.shared_plans() == []
    assert [t.program_id for t in learning(outsider, shared=True).tried] == [ids["program"]]
    # a shared plan that was deleted is not shown either
    storage.set_sharing(other, True)
    storage.delete_record(their_plan)
    assert outsider.shared_plans() == []


# --- words of a refused save ----------------------------------------------------------------


def test_a_refused_save_keeps_every_field_it_carried(planned):
    storage, ids = planned
    seen = storage.plan(ids["plan"]).record.revision
    storage.acting_as(Actor.local("Bo")).update_record(ids["plan"], {"aim": "Bo's aim"}, seen)
    cy = storage.acting_as(Actor.local("Cy"))
    with pytest.raises(RecordChanged):
        cy.update_record(ids["plan"], {"aim": "Cy's aim", "owner": "Cy, who typed this"}, seen)
    kept = {c.new for c in storage.record_history(ids["plan"]) if c.changed_by == "Cy"}
    assert "Cy, who typed this" in kept  # nothing Cy typed is lost


def test_two_colleagues_saving_the_same_field_at_once_never_overwrite_each_other(planned):
    storage, ids = planned
    seen = storage.plan(ids["plan"]).record.revision
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def save(n: int) -> None:
        writer = Storage(storage.url, Actor.local(f"writer {n}"))
        barrier.wait()
        try:
            writer.update_record(ids["plan"], {"aim": f"aim of writer {n}"}, seen)
            outcomes.append("saved")
        except RecordChanged:
            outcomes.append("refused")
        finally:
            writer.engine.dispose()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "saved"]
    history = [c for c in storage.record_history(ids["plan"]) if c.field == "aim"]
    assert sorted(c.new for c in history if c.new.startswith("aim of")) == [
        f"aim of writer {n}" for n in range(4)
    ]
    assert sum(c.accepted for c in history if c.new.startswith("aim of")) == 1


def test_a_closed_cycles_study_cannot_be_emptied_by_a_colleague_who_saw_it_open(planned):
    storage, ids = planned
    seen = storage.plan(ids["plan"]).ideas[0].cycles[0].record.revision
    storage.update_record(
        ids["cycle"], {"results": "12 came", "learned": "Evenings", "decision": "adopt"}, None
    )
    close_cycle(storage, ids["cycle"])
    with pytest.raises(ProblemsFound):
        storage.update_record(ids["cycle"], {"results": ""}, seen)
    with pytest.raises(ProblemsFound):
        storage.update_record(ids["cycle"], {"decision": None}, None)
    cycle = storage.plan(ids["plan"]).ideas[0].cycles[0].cycle
    assert (cycle.results, cycle.decision, cycle.stage) == ("12 came", "adopt", "closed")


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [10**400, 10**5000], ids=["401 digits", "5001 digits"])
def test_a_data_point_too_large_to_draw_is_refused_when_typed(planned, value):
    storage, ids = planned
    with pytest.raises(ProblemsFound) as exc:
        storage.add_record("point", ids["measure"], {"on": "2026-03-01", "value": value})
    assert [(p.code, p.path) for p in exc.value.problems] == [("bad-record", "value")]
    run_chart_of(storage.plan(ids["plan"]), ids["measure"])  # the chart still draws


def test_the_median_of_the_largest_numbers_is_a_number(planned):
    storage, ids = planned
    with pytest.raises(ProblemsFound) as exc:  # no measure needs such a number
        storage.update_record(ids["point"], {"value": 1e308}, None)
    assert "larger than any measure needs" in str(exc.value)
    days = (date(2026, 2, 2), date(2026, 2, 9))
    chart = analyse([Point(day, 1e308) for day in days])  # the rules themselves hold too
    assert chart.median == 1e308


@pytest.mark.parametrize("value", [True, float("nan"), float("inf"), "12", None, [1], {"v": 1}])
def test_a_data_point_value_must_be_a_finite_number(planned, value):
    storage, ids = planned
    with pytest.raises(ProblemsFound) as exc:
        storage.add_record("point", ids["measure"], {"on": "2026-03-01", "value": value})
    assert [(p.code, p.path) for p in exc.value.problems] == [("bad-record", "value")]
    with pytest.raises(ProblemsFound):
        storage.update_record(ids["point"], {"value": value}, None)
    assert storage.plan(ids["plan"]).measures[0].points[0].fields.value == 12


@pytest.mark.parametrize("on", ["0001-01-01", "9999-12-31"])
def test_the_first_and_last_dates_are_kept_and_charted(planned, on):
    storage, ids = planned
    storage.add_record("point", ids["measure"], {"on": on, "value": 3})
    storage.update_record(ids["cycle"], {"starts_on": on}, None)
    storage.update_record(ids["plan"], {"starts_on": on, "due_on": on}, None)
    view = storage.plan(ids["plan"])
    assert view.plan.due_on.isoformat() == on
    assert view.cycle_starts()[0][0].isoformat() == on
    assert len(run_chart_of(view, ids["measure"]).points) == 2


def test_a_plan_naming_a_standard_twice_counts_its_idea_once(planned):
    storage, ids = planned
    storage.update_record(ids["plan"], {"standards": ["PG.1", "PG.1"]}, None)
    assert storage.plan(ids["plan"]).plan.standards == ["PG.1"]
    assert len(learning(storage).for_standard("PG.1")) == 1


def test_too_many_standards_or_tasks_are_refused_with_the_field_named(planned):
    storage, ids = planned
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["plan"], {"standards": [f"S.{n}" for n in range(51)]}, None)
    assert [p.path for p in exc.value.problems] == ["standards"]
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["cycle"], {"tasks": [{"what": "x"}] * 101}, None)
    assert [p.path for p in exc.value.problems] == ["tasks"]
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["cycle"], {"tasks": [{"who": "Ana"}]}, None)
    assert [p.path for p in exc.value.problems] == ["tasks.0.what"]


@pytest.mark.parametrize(
    "kind, parent",
    [("point", "idea"), ("cycle", "measure"), ("idea", "cycle"), ("measure", "point")],
)
def test_a_record_under_the_wrong_kind_of_parent_is_refused(planned, kind, parent):
    storage, ids = planned
    fields = {
        "point": {"on": "2026-03-01", "value": 1},
        "cycle": {"objective": "x"},
        "idea": {"title": "x"},
        "measure": {"name": "x"},
    }[kind]
    with pytest.raises(ProblemsFound) as exc:
        storage.add_record(kind, ids[parent], fields)
    assert codes(exc) == ["no-record"]


@pytest.mark.parametrize(
    "record_id", ["", "x" * 500, "'; DROP TABLE improvement_records; --", "🙂" * 50]
)
def test_ids_that_are_not_ids_are_no_record(planned, record_id):
    storage, ids = planned
    for attempt in (
        lambda: storage.update_record(record_id, {"aim": "x"}, None),
        lambda: storage.delete_record(record_id),
        lambda: storage.plan(record_id),
        lambda: storage.record_history(record_id),
        lambda: storage.add_record("idea", record_id, {"title": "x"}),
    ):
        with pytest.raises(ProblemsFound) as exc:
            attempt()
        assert codes(exc) == ["no-record"]
    assert storage.plan(ids["plan"]).plan.aim == "Every goal measurable"


def test_an_id_holding_nul_is_refused_in_words_and_changes_nothing(planned):
    storage, ids = planned
    for attempt in (
        lambda: storage.update_record("\x00", {"aim": "x"}, None),
        lambda: storage.plan("\x00"),
        lambda: storage.add_record("idea", "\x00", {"title": "x"}),
    ):
        with pytest.raises(ProblemsFound):  # PostgreSQL: database-data, SQLite: no-record
            attempt()
    assert storage.plan(ids["plan"]).ideas[0].idea.title == "Guest speakers each month"


def test_a_change_id_out_of_range_is_no_record(planned):
    storage, _ = planned
    for change_id in (-1, 0, 2**31, 2**63):
        with pytest.raises(ProblemsFound) as exc:
            storage.restore_record_value(change_id)
        assert codes(exc) == ["no-record"]


def test_a_sharing_entry_of_the_history_cannot_be_put_back_as_a_value(planned):
    storage, ids = planned
    storage.set_sharing(ids["program"], True)
    with storage.engine.connect() as conn:
        sharing = conn.scalar(
            select(record_changes_table.c.id).where(record_changes_table.c.field == "@sharing")
        )
    with pytest.raises(ProblemsFound) as exc:
        storage.restore_record_value(sharing)
    assert codes(exc) == ["no-record"]


# --- at once, and in order ------------------------------------------------------------------


def test_two_leaders_choosing_to_share_at_once_both_succeed(planned):
    storage, ids = planned
    failures: list[BaseException] = []
    barrier = threading.Barrier(8)

    def share(n: int, shares: bool) -> None:
        writer = Storage(storage.url, Actor.local(f"leader {n}"))
        barrier.wait()
        try:
            writer.set_sharing(ids["program"], shares)
        except BaseException as exc:
            failures.append(exc)
        finally:
            writer.engine.dispose()

    for shares in (True, False, True):  # three rounds: the race is not left to luck
        threads = [threading.Thread(target=share, args=(n, shares)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert storage.shares_learning(ids["program"]) is shares
    assert failures == []


def test_points_of_one_date_keep_the_order_they_were_entered_in(planned):
    storage, ids = planned
    storage.add_records(
        "point", ids["measure"], [{"on": "2026-05-01", "value": n} for n in range(300)]
    )
    points = storage.plan(ids["plan"]).measures[0].points
    assert [p.fields.value for p in points if p.fields.on.month == 5] == list(range(300))


# --- rules a record keeps -------------------------------------------------------------------


def test_a_cycle_cannot_close_before_it_started(planned):
    storage, ids = planned
    storage.update_record(
        ids["cycle"],
        {"starts_on": "2026-03-01", "results": "12 came", "learned": "x", "decision": "adopt"},
        None,
    )
    with pytest.raises(ProblemsFound) as exc:
        close_cycle(storage, ids["cycle"], on=date(2026, 2, 1))
    assert [p.path for p in exc.value.problems] == ["closed_on"]
    assert storage.plan(ids["plan"]).ideas[0].cycles[0].cycle.closed_on is None


def test_an_act_decision_counts_only_once_its_cycle_is_closed(planned):
    storage, ids = planned
    storage.update_record(
        ids["cycle"], {"results": "12 came", "learned": "Evenings", "decision": "abandon"}, None
    )
    [tried] = learning(storage).for_standard("PG.1")
    assert (tried.cycles, tried.closed, tried.learned) == (1, 0, ())
    assert dict(tried.decisions) == {"adopt": 0, "adapt": 0, "abandon": 0}
    close_cycle(storage, ids["cycle"], on=date(2026, 3, 1))
    [tried] = learning(storage).for_standard("PG.1")
    assert dict(tried.decisions) == {"adopt": 0, "adapt": 0, "abandon": 1}
    assert tried.learned == ("Evenings",)
    storage.delete_record(ids["plan"])  # a deleted plan teaches the network nothing
    assert learning(storage).tried == ()


def test_readers_cannot_put_back_values_or_make_plans(planned):
    storage, ids = planned
    storage.update_record(ids["plan"], {"owner": "Ana"}, None)
    [change] = [c for c in storage.record_history(ids["plan"]) if c.field == "owner"]
    storage.set_cohort(ids["program"], "2025")
    for reader in (
        _as(storage, Grant(Role.VIEWER, program_id=ids["program"])),
        _as(storage, Grant(Role.FACILITATOR, cohort="2025")),
    ):
        with pytest.raises(NoAccess):
            reader.restore_record_value(change.id)
        with pytest.raises(NoAccess):
            plan_from_priority(reader, ids["study"], ["PG.2"])
        with pytest.raises(NoAccess):
            reader.add_records("point", ids["measure"], [{"on": "2026-03-01", "value": 1}])
        with pytest.raises(NoAccess):
            reader.restore_record(ids["plan"])
    assert [p.id for p in storage.plans()] == [ids["plan"]]
    assert len(storage.plan(ids["plan"]).measures[0].points) == 1


# --- what the network is told ---------------------------------------------------------------


def test_a_change_idea_cannot_be_made_to_claim_a_rubric_idea_the_rubric_lacks(planned):
    storage, ids = planned
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["idea"], {"rubric_idea": "made-up-idea"}, None)
    assert [p.path for p in exc.value.problems] == ["rubric_idea"]
    assert storage.plan(ids["plan"]).ideas[0].idea.rubric_idea is None


def test_a_rubric_idea_is_named_as_the_rubric_names_it_whoever_renamed_it(planned, default_rubric):
    storage, ids = planned
    standard = next(s for s in default_rubric.standards() if s.change_ideas)
    idea = standard.change_ideas[0]
    plan = plan_from_priority(storage, ids["study"], [standard.id])
    add_idea(storage, plan, "Our spin on it, with a name of our own", rubric_idea=idea.id)
    other = storage.add_program("Other program")
    theirs = storage.add_plan(other, {"rubric_id": default_rubric.id, "standards": [standard.id]})
    add_idea(storage, theirs, rubric_idea=idea.id)
    [(title, group)] = [
        (title, group)
        for standard_id, title, group in learning(storage).by_idea()
        if standard_id == standard.id and group[0].rubric_idea == idea.id
    ]
    assert len(group) == 2  # one idea, whoever tried it
    assert title == idea.title


def test_only_who_may_restore_a_deleted_plan_reads_its_history(planned):
    storage, ids = planned
    member = _as(storage, Grant(Role.MEMBER, program_id=ids["program"]))
    viewer = _as(storage, Grant(Role.VIEWER, program_id=ids["program"]))
    storage.delete_record(ids["plan"])
    assert any(c.new == "Every goal measurable" for c in member.record_history(ids["plan"]))
    with pytest.raises((NoAccess, ProblemsFound)):
        viewer.record_history(ids["plan"])
