"""Improvement plans in the storage (SQLite and PostgreSQL): a plan made from a study's
priority, its ideas, cycles, measures and points saved field by field; a colleague's change
is never overwritten and refused words are kept; every change has a history and can be put
back; deletes are reversible; access follows the program's; the migration from a database
made before plans existed keeps everything."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from selfstudy.core.access import Action, Actor, Grant, NoAccess, Role
from selfstudy.core.improvement import MAX_POINTS
from selfstudy.core.problems import ProblemsFound
from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.improvement import RecordChanged
from selfstudy.workflows.improvement import add_idea, close_cycle, plan_from_priority


def codes(exc: pytest.ExceptionInfo) -> list[str]:
    return [p.code for p in exc.value.problems]


@pytest.fixture
def planned(storage, new_study):
    """A stored study with a plan for PG.1, an idea, a cycle and a measure: (storage, ids)."""
    study_id = storage.create_study(new_study)
    plan_id = plan_from_priority(
        storage, study_id, ["PG.1"], {"aim": "Every goal measurable by June", "owner": "Ana"}
    )
    idea_id = add_idea(storage, plan_id, "Guest speakers each month")
    cycle_id = storage.add_record("cycle", idea_id, {"objective": "Try one visit"})
    measure_id = storage.add_record("measure", plan_id, {"name": "Students attending"})
    return storage, {
        "study": study_id,
        "plan": plan_id,
        "idea": idea_id,
        "cycle": cycle_id,
        "measure": measure_id,
        "program": storage.get_study(study_id).program_id,
    }


def test_a_plan_holds_what_was_typed_under_it(planned):
    storage, ids = planned
    storage.add_records(
        "point",
        ids["measure"],
        [{"on": f"2026-02-{day:02d}", "value": day, "note": "week"} for day in (9, 2, 16)],
    )
    [view] = storage.plans(ids["program"])
    assert view.plan.aim == "Every goal measurable by June"
    assert view.plan.standards == ["PG.1"] and view.plan.study_id == ids["study"]
    assert [i.idea.title for i in view.ideas] == ["Guest speakers each month"]
    assert [c.number for c in view.ideas[0].cycles] == [1]
    assert view.ideas[0].cycles[0].cycle.objective == "Try one visit"
    points = view.measures[0].points
    assert [p.fields.on.day for p in points] == [2, 9, 16]  # in time order
    assert storage.plan(ids["plan"]) == view
    assert view.program_name == "Bridge to STEM"


def test_a_plan_names_only_standards_of_its_rubric_and_its_own_programs_study(planned):
    storage, ids = planned
    with pytest.raises(ProblemsFound) as exc:
        plan_from_priority(storage, ids["study"], ["PG.1", "XX.9"])
    assert codes(exc) == ["bad-record"] and "'XX.9'" in str(exc.value)
    other = storage.add_program("Another program")
    with pytest.raises(ProblemsFound) as exc:
        storage.add_plan(
            other,
            {
                "rubric_id": "stem-equity-self-study",
                "study_id": ids["study"],
                "standards": ["PG.1"],
            },
        )
    assert "names no self-study of this program" in str(exc.value)


def test_a_colleagues_change_is_never_overwritten_and_the_refused_words_are_kept(planned):
    storage, ids = planned
    seen = storage.plan(ids["plan"]).record.changed["aim"]
    bo = storage.acting_as(Actor.local("Bo"))
    cy = storage.acting_as(Actor.local("Cy"))
    bo.update_record(ids["plan"], {"aim": "Bo's aim"}, {"aim": seen})
    with pytest.raises(RecordChanged) as exc:
        cy.update_record(ids["plan"], {"aim": "Cy's aim"}, {"aim": seen})
    [conflict] = exc.value.conflicts
    assert (conflict.field, conflict.stored, conflict.mine, conflict.changed_by) == (
        "aim",
        "Bo's aim",
        "Cy's aim",
        "Bo",
    )
    assert "Bo changed it since you opened it" in str(exc.value)
    assert storage.plan(ids["plan"]).plan.aim == "Bo's aim"
    refused = [c for c in storage.record_history(ids["plan"]) if not c.accepted]
    assert [(c.field, c.new, c.changed_by) for c in refused] == [("aim", "Cy's aim", "Cy")]
    # another field of the same plan goes through: fields are saved one by one
    cy.update_record(ids["plan"], {"owner": "Cy"}, {"owner": seen})
    assert storage.plan(ids["plan"]).plan.owner == "Cy"
    # the refused words can be put back, as a new change
    storage.restore_record_value(refused[0].id)
    assert storage.plan(ids["plan"]).plan.aim == "Cy's aim"


def test_every_change_has_a_history_and_any_value_can_be_put_back(planned):
    storage, ids = planned
    storage.update_record(ids["cycle"], {"prediction": "Ten come"}, None)
    storage.update_record(ids["cycle"], {"prediction": "Twenty come"}, None)
    history = [c for c in storage.record_history(ids["plan"]) if c.field == "prediction"]
    assert [(c.old, c.new) for c in history] == [("Ten come", "Twenty come"), ("", "Ten come")]
    storage.restore_record_value(history[1].id)
    cycle = storage.plan(ids["plan"]).ideas[0].cycles[0].cycle
    assert cycle.prediction == "Ten come"


def test_a_cycle_closes_only_with_its_study_and_act(planned):
    storage, ids = planned
    with pytest.raises(ProblemsFound) as exc:
        close_cycle(storage, ids["cycle"])
    assert codes(exc) == ["bad-record"]
    assert "its Study" in str(exc.value) and "its Act" in str(exc.value)
    storage.update_record(ids["cycle"], {"results": "12 came", "learned": "Evenings work"}, None)
    with pytest.raises(ProblemsFound, match="its Act"):
        close_cycle(storage, ids["cycle"])
    storage.update_record(ids["cycle"], {"decision": "adapt"}, None)
    close_cycle(storage, ids["cycle"])
    idea = storage.plan(ids["plan"]).ideas[0]
    assert idea.cycles[0].cycle.stage == "closed" and idea.decisions == ["adapt"]
    # a closed cycle's Study cannot be emptied while it stays closed
    with pytest.raises(ProblemsFound):
        storage.update_record(ids["cycle"], {"learned": ""}, None)
    second = storage.add_record("cycle", ids["idea"], {"objective": "Two visits"})
    assert [c.number for c in storage.plan(ids["plan"]).ideas[0].cycles] == [1, 2]
    assert second


def test_deleting_is_reversible_and_hides_what_lies_under_a_plan(planned):
    storage, ids = planned
    storage.delete_record(ids["cycle"])
    assert storage.plan(ids["plan"]).ideas[0].cycles == ()
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["cycle"], {"objective": "x"}, None)
    assert codes(exc) == ["no-record"]
    assert [r.id for r in storage.deleted_records(ids["plan"])] == [ids["cycle"]]
    storage.restore_record(ids["cycle"])
    assert storage.plan(ids["plan"]).ideas[0].cycles[0].cycle.objective == "Try one visit"
    storage.delete_record(ids["plan"])
    assert storage.plans() == []
    assert [p.id for p in storage.plans(deleted=True)] == [ids["plan"]]
    with pytest.raises(ProblemsFound):  # nothing under a deleted plan can be changed
        storage.add_record("cycle", ids["idea"], {"objective": "x"})
    storage.restore_record(ids["plan"])
    assert [c.cycle.objective for c in storage.plan(ids["plan"]).cycles()] == ["Try one visit"]
    entries = [c.new for c in storage.record_history(ids["plan"]) if c.field == "@record"]
    assert entries[:4] == ["restored", "deleted", "restored", "deleted"]


def test_bad_fields_are_refused_with_the_field_named_and_nothing_is_written(planned):
    storage, ids = planned
    with pytest.raises(ProblemsFound) as exc:
        storage.add_records(
            "point",
            ids["measure"],
            [{"on": "2026-02-01", "value": 3}, {"on": "next week", "value": "many"}],
        )
    assert [(p.location, p.path) for p in exc.value.problems] == [
        ("The new data point 2", "on"),
        ("The new data point 2", "value"),
    ]
    assert storage.plan(ids["plan"]).measures[0].points == ()  # all or nothing
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["plan"], {"starts_on": "2026-06-01", "due_on": "2026-01-01"}, 1)
    assert "due date comes before the start date" in str(exc.value)
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["plan"], {"status": "finished"}, None)
    assert exc.value.problems[0].path == "status"
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["plan"], {"study_id": "elsewhere"}, None)
    assert "cannot be changed" in str(exc.value)
    with pytest.raises(ProblemsFound) as exc:
        storage.update_record(ids["cycle"], {"objective": "x" * 30_001}, None)
    assert "shorten it" in str(exc.value)
    with pytest.raises(ProblemsFound) as exc:  # a cycle lies under an idea, not a plan
        storage.add_record("cycle", ids["plan"], {"objective": "x"})
    assert codes(exc) == ["no-record"]
    with pytest.raises(ProblemsFound) as exc:  # a measure's name left empty, in plain words
        storage.add_record("measure", ids["plan"], {"name": "", "unit": "girls"})
    [problem] = exc.value.problems
    assert (problem.path, problem.message) == ("name", "must not be empty; write something")


def test_texts_with_control_characters_and_markup_come_back_as_typed(planned):
    storage, ids = planned
    typed = "line one\r\nline two\x07\x1b[31m <script>alert(1)</script> =SUM(A1) 🙂"
    storage.update_record(ids["cycle"], {"observations": typed}, None)
    stored = storage.plan(ids["plan"]).ideas[0].cycles[0].cycle.observations
    assert stored == typed.replace("\r\n", "\n")
    with pytest.raises(ProblemsFound) as refused:  # the one text rule of answers and plans
        storage.update_record(ids["cycle"], {"observations": "line\x00 two"}, None)
    assert refused.value.codes() == ["nul-character"]
    assert "remove the NUL character" in str(refused.value)
    assert storage.plan(ids["plan"]).ideas[0].cycles[0].cycle.observations == stored


def test_a_measure_holds_a_bounded_number_of_points(planned):
    storage, ids = planned
    with pytest.raises(ProblemsFound, match="at most 10,000 data points"):
        storage.add_records(
            "point", ids["measure"], [{"on": "2026-01-01", "value": 1}] * (MAX_POINTS + 1)
        )


def test_people_see_and_change_plans_as_their_program_allows(planned):
    storage, ids = planned
    program = ids["program"]
    storage.set_cohort(program, "2025")
    other = storage.add_program("Other program")

    def actor(*grants: Grant) -> Storage:
        return storage.acting_as(Actor(label="someone", grants=frozenset(grants)))

    member = actor(Grant(Role.MEMBER, program_id=program))
    viewer = actor(Grant(Role.VIEWER, program_id=program))
    facilitator = actor(Grant(Role.FACILITATOR, cohort="2025"))
    outsider = actor(Grant(Role.MEMBER, program_id=other))
    member.update_record(ids["plan"], {"owner": "Member"}, None)
    assert [p.id for p in viewer.plans()] == [ids["plan"]]
    assert [p.id for p in facilitator.plans()] == [ids["plan"]]
    assert outsider.plans() == []
    for reader in (viewer, facilitator, outsider):
        with pytest.raises(NoAccess):
            reader.update_record(ids["plan"], {"owner": "Not me"}, None)
        with pytest.raises(NoAccess):
            reader.delete_record(ids["plan"])
        with pytest.raises(NoAccess):
            reader.add_record("idea", ids["plan"], {"title": "Mine"})
    with pytest.raises(NoAccess):
        outsider.plan(ids["plan"])
    with pytest.raises(NoAccess):
        outsider.record_history(ids["plan"])
    with pytest.raises(NoAccess):
        viewer.set_sharing(program, True)
    # a program that shares what it learned is read by the network, never changed by it
    assert outsider.shared_plans() == []
    member.set_sharing(program, True)
    assert [p.id for p in outsider.shared_plans()] == [ids["plan"]]
    with pytest.raises(NoAccess):
        outsider.update_record(ids["plan"], {"owner": "Not me"}, None)
    assert actor().shared_plans() == []  # someone with no access at all sees nothing
    assert storage.allows(Action.EDIT, ids["study"])


def test_two_writers_at_once_lose_nothing(planned):
    storage, ids = planned
    failures: list[BaseException] = []

    def add(n: int) -> None:
        try:
            writer = Storage(storage.url, Actor.local(f"writer {n}"))
            for k in range(5):
                writer.add_record(
                    "point", ids["measure"], {"on": "2026-03-01", "value": n * 10 + k}
                )
            writer.engine.dispose()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    values = sorted(p.fields.value for p in storage.plan(ids["plan"]).measures[0].points)
    assert values == sorted(n * 10 + k for n in range(3) for k in range(5))


def test_a_database_from_before_plans_is_migrated_and_keeps_everything(db_url, new_study):
    storage = Storage(db_url)
    study_id = storage.create_study(new_study)
    with storage.engine.begin() as conn:  # as a database of the release before plans was
        for table in ("improvement_records", "improvement_changes", "program_sharing"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("DELETE FROM _migrations WHERE name = '005_improvement_plans'"))
    storage.engine.dispose()
    again = Storage(db_url)
    assert "005_improvement_plans" in again.applied_migrations()
    assert again.get_study(study_id).study == new_study
    plan_id = plan_from_priority(again, study_id, ["PG.2"])
    assert again.plan(plan_id).plan.standards == ["PG.2"]
    again.engine.dispose()
