"""A review of the improvement faces (the Improvement page, `selfstudy plan`, the points
file and the plan exports) as a careless or hostile user meets them: words typed into a
form the page refuses, a points file whose quote never closes, text that would drive a
terminal, ids that name nothing. The review found seven of these failing, all mended since;
the rest states what held."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.core.problems import ProblemsFound
from selfstudy.edges.measure_files import read_points
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import Storage
from selfstudy.workflows import improvement as plans
from tests.test_app_improvement import button, open_app, page_text, widget

APP = str(PROJECT_ROOT / "app.py")
PAGE = "selfstudy/app/pages/improvement.py"


# --- helpers ----------------------------------------------------------------------------


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def cli_db(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The app's database, which the commands open through SELFSTUDY_DATABASE_URL."""
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", storage.engine.url.render_as_string(False))
    for name in ("SELFSTUDY_AS", "SELFSTUDY_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    return storage


def a_plan(storage: Storage, study) -> tuple[str, str]:
    study_id = storage.create_study(study)
    return study_id, plans.plan_from_priority(storage, study_id, ["PG.1"], {"aim": "More girls"})


# --- the page: words typed into a form the page refuses ---------------------------------


def test_a_refused_measure_keeps_the_definition_typed(db, sample_set):
    study_id, plan_id = a_plan(db, sample_set[0])
    at = open_app(study_id, improvement_open_plan=plan_id)
    definition = "Girls signed in at the door each Tuesday, counted by the mentor on duty"
    widget(at, "text_area", "Definition").input(definition)
    widget(at, "text_input", "Unit").input("girls")
    button(at, "Add the measure").click().run()
    assert not at.exception, at.exception
    assert "The measure was not added" in at.error[0].value
    # the person adds the missing name and submits again, as the error asks
    widget(at, "text_input", "Measure name").input("Girls attending")
    button(at, "Add the measure").click().run()
    [measure] = db.plan(plan_id).measures
    assert (measure.measure.definition, measure.measure.unit) == (definition, "girls")


def test_a_refused_data_point_keeps_its_note(db, sample_set):
    study_id, plan_id = a_plan(db, sample_set[0])
    measure_id = db.add_record("measure", plan_id, {"name": "Girls attending"})
    at = open_app(study_id, improvement_open_plan=plan_id)
    at.session_state[f"imp:measure-open:{measure_id}"] = True
    at.run()
    note = "Field trip week: three girls came with their sisters"
    widget(at, "number_input", "Value").set_value(10.0**13)
    widget(at, "text_input", "Note (optional)").input(note)
    button(at, "Add the data point").click().run()
    assert not at.exception, at.exception
    assert "The data point was not added" in at.error[0].value
    widget(at, "number_input", "Value").set_value(12.0)
    button(at, "Add the data point").click().run()
    [point] = db.plan(plan_id).measures[0].points
    assert point.fields.note == note


def test_a_task_added_after_a_colleagues_keeps_both(db, sample_set, tmp_path):
    """Held: the task form adds to the tasks as stored when it is submitted."""
    study_id, plan_id = a_plan(db, sample_set[0])
    idea_id = plans.add_idea(db, plan_id, "Reminder calls")
    cycle_id = db.add_record("cycle", idea_id, {"objective": "Call the families"})
    at = open_app(study_id, improvement_open_plan=plan_id)
    # a colleague adds a task after this page was drawn
    colleague = Storage(f"sqlite:///{tmp_path / 'app.db'}")
    colleague.update_record(cycle_id, {"tasks": [{"who": "Bo", "what": "Print the list"}]}, 1)
    words = "Call every family whose daughter missed two sessions"
    widget(at, "text_input", "Who").input("Ana")
    widget(at, "text_input", "What").input(words)
    button(at, "Add the task").click().run()
    assert not at.exception, at.exception
    tasks = [t.what for t in db.plan(plan_id).find(cycle_id).fields.tasks]
    assert tasks == ["Print the list", words]


def test_a_new_plan_needs_a_standard_and_asks_for_no_text_it_could_lose(db, sample_set):
    """A plan is made from its standards alone: its aim and the rest are written in the plan,
    each saved as typed (a form's text not yet sent would be lost on a reload). Without a
    standard nothing is made, and the page says why."""
    study_id = db.create_study(sample_set[0])
    at = open_app(study_id)
    at.session_state["imp:new-plan-open"] = True
    at.run()
    assert not [w for w in at.text_area if w.label == "Aim"]
    button(at, "Make the plan").click().run()
    assert not at.exception, at.exception
    assert "The plan was not made" in page_text(at) and "at least one standard" in page_text(at)
    assert db.plans() == []


# --- the points file ---------------------------------------------------------------------


def test_a_quote_never_closed_is_refused_not_swallowed():
    text = (
        "date,value,note\n"
        '2026-03-02,10,"trip week\n'
        "2026-03-09,12,\n"
        "2026-03-16,11,\n"
        "2026-03-23,14,\n"
    )
    with pytest.raises(ProblemsFound) as found:
        read_points(text.encode(), "points.csv")
    assert "points.csv:2" in str(found.value.problems[0])


def test_hostile_points_files_are_refused_in_words():
    """Held: a 2 MB line, a NUL byte, a formula note and more than 2 MB are located."""
    cases = {
        "one long line": b"date,value,note\n2026-03-02,10," + b"x" * (2 * 2**20 - 40) + b"\n",
        "too large": b"date,value,note\n" + b"2026-03-02,10,\n" * 200_000,
        "nul": b"date,value,note\n2026-03-02,1\x00,\n",
    }
    for name, data in cases.items():
        with pytest.raises(ProblemsFound) as found:
            read_points(data, "points.csv")
        assert all(str(p).startswith("points.csv") for p in found.value.problems), name
    [point] = read_points(b'date,value,note\n2026-03-02,10,"=HYPERLINK(""x"")"\n', "p.csv")
    assert point["note"] == '=HYPERLINK("x")'  # kept as typed; exports guard it


def test_a_nul_byte_anywhere_in_a_points_file_is_refused():
    rows = "".join(f"2026-03-{d:02d},{d},note {'x' * 400}\n" for d in range(1, 28))
    data = ("date,value,note\n" + rows).encode() + b"2026-03-28,1,bad\x00note\n"
    assert len(data) > 8192
    with pytest.raises(ProblemsFound):
        read_points(data, "points.csv")


# --- the command line --------------------------------------------------------------------


def test_plan_list_as_csv_does_not_drive_the_terminal(cli_db, new_study):
    study_id = cli_db.create_study(new_study)
    plans.plan_from_priority(cli_db, study_id, ["PG.1"], {"aim": "Aim\x1b]0;pwned\x07\x1b[2J"})
    result = invoke("plan", "list", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_plan_table_and_show_keep_control_characters_out_of_the_terminal(cli_db, new_study):
    """Held: the table and `plan show` write control characters out."""
    study_id = cli_db.create_study(new_study)
    plan_id = plans.plan_from_priority(cli_db, study_id, ["PG.1"], {"aim": "Aim\x1b[2J"})
    idea_id = plans.add_idea(cli_db, plan_id, "Idea\x1b[31m red")
    cli_db.add_record("cycle", idea_id, {"objective": "Obj\x1b[1m"})
    for args in (("plan", "list"), ("plan", "show", plan_id), ("plan", "history", plan_id)):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout, args


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "show", "no-such-plan"),
        ("plan", "set", "no-such-record", "aim=x"),
        ("plan", "close", "no-such-cycle"),
        ("plan", "delete", "no-such-record"),
        ("plan", "restore", "no-such-record"),
        ("plan", "history", "no-such-plan"),
        ("plan", "export", "no-such-plan", "--out", "plan.html"),
        ("plan", "idea", "no-such-plan", "--title", "x"),
        ("plan", "cycle", "no-such-idea"),
        ("plan", "measure", "no-such-plan", "--name", "x"),
        ("plan", "point", "no-such-measure", "--date", "2026-03-02", "--value", "1"),
        ("plan", "points", "no-such-measure", "missing.csv"),
        ("plan", "new", "no-such-study", "--standard", "PG.1"),
        ("plan", "close", "x", "--on", "2026-02-30"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_wrong_ids_and_files_are_refused_in_words(cli_db, args, tmp_path, monkeypatch):
    """Held: an id that names nothing, a missing file or a date of no calendar is one
    located line, never a traceback."""
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code != 0
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    )
    assert result.stderr.strip()


def test_plan_set_tasks_of_the_wrong_shape_is_refused_in_words(cli_db, new_study):
    """Held: a task list that is JSON of the wrong shape is a located refusal."""
    study_id = cli_db.create_study(new_study)
    plan_id = plans.plan_from_priority(cli_db, study_id, ["PG.1"], {})
    idea_id = plans.add_idea(cli_db, plan_id, "Calls")
    cycle_id = cli_db.add_record("cycle", idea_id, {})
    for value in ('{"who": 1}', "[1, 2]", '[{"what": "' + "x" * 100_000 + '"}]', "null"):
        result = invoke("plan", "set", cycle_id, f"tasks={value}")
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), value
        assert "tasks" in result.stderr


# --- exports ------------------------------------------------------------------------------


def test_exports_keep_hostile_text_inert(cli_db, new_study, tmp_path):
    """Held: HTML escapes, CSV guards formulas in every text column, JSON gives text back."""
    hostile = "=cmd|' /C calc'!A0 <script>alert(1)</script>"
    study_id = cli_db.create_study(new_study)
    plan_id = plans.plan_from_priority(
        cli_db, study_id, ["PG.1"], {"aim": hostile, "owner": "@owner"}
    )
    idea_id = plans.add_idea(cli_db, plan_id, "+title", hostile)
    cli_db.add_record(
        "cycle", idea_id, {"objective": "-obj", "tasks": [{"who": "=w", "what": hostile}]}
    )
    measure_id = cli_db.add_record("measure", plan_id, {"name": "=name", "unit": "\tu"})
    cli_db.add_record("point", measure_id, {"on": "2026-03-02", "value": -3, "note": hostile})
    view = cli_db.plan(plan_id)
    html = plans.plan_html(view)
    assert "<script>" not in html and "&lt;script&gt;" in html
    import csv
    import io

    for row in csv.DictReader(io.StringIO(plans.plans_csv([view]))):
        for column, cell in row.items():
            if column != "value":
                assert not cell.startswith(("=", "+", "-", "@", "\t")), (column, cell)
    document = json.loads(plans.plans_json([view]))
    assert document["plans"][0]["aim"] == hostile


def test_a_plan_of_another_program_is_not_exported_even_when_it_shares(storage, new_study):
    """Held: sharing lets the network read what was learned, not export another program's
    whole plan (its points and who wrote what)."""
    from selfstudy.core.access import Actor, Grant, Role

    study_id, plan_id = a_plan(storage, new_study)
    program_id = storage.get_study(study_id).program_id
    storage.set_sharing(program_id, True)
    other = storage.add_program("Other program")
    reader = storage.acting_as(
        Actor(label="o", grants=frozenset({Grant(Role.MEMBER, program_id=other)}))
    )
    with pytest.raises(ProblemsFound):
        reader.plan(plan_id)
    assert plan_id in {p.id for p in reader.shared_plans()}


def test_a_points_file_date_like_a_formula_is_refused():
    """Held: a date cell a spreadsheet would compute is not a date."""
    with pytest.raises(ProblemsFound) as found:
        read_points(b"date,value\n=TODAY(),3\n", "points.csv")
    assert "points.csv:2" in str(found.value.problems[0])
    assert date.today().isoformat() not in str(found.value.problems[0])


def test_a_measure_stays_open_while_its_name_is_edited(db, sample_set):
    """A measure's name is edited inside its own section: the section must stay open."""
    study_id, plan_id = a_plan(db, sample_set[0])
    measure_id = db.add_record("measure", plan_id, {"name": "Girls attending"})
    db.add_record("point", measure_id, {"on": "2026-03-02", "value": 10})
    at = open_app(study_id, improvement_open_plan=plan_id)
    at.session_state[f"imp:measure-open:{measure_id}"] = True
    at.run()
    assert any("Data points" in m.value for m in at.markdown)
    at.text_input(key=f"imp:w:{measure_id}:name").input("Girls attending weekly").run()
    assert not at.exception, at.exception
    assert db.plan(plan_id).measures[0].measure.name == "Girls attending weekly"
    assert any("Data points" in m.value for m in at.markdown)
    assert at.text_input(key=f"imp:w:{measure_id}:name").value == "Girls attending weekly"


def test_a_standard_the_rubric_lacks_is_refused_by_the_library_too(storage, new_study):
    """`plan set PLAN standards=...` refuses a standard the rubric lacks; the same change
    through the workflow the page's boxes call is refused as well (one rule, one function)."""
    _, plan_id = a_plan(storage, new_study)
    with pytest.raises(ProblemsFound) as found:
        plans.save_fields(storage, plan_id, {"standards": ["PG.1", "ZZ.9"]}, seen=1)
    assert "'ZZ.9' is not a standard" in str(found.value)
    assert storage.plan(plan_id).plan.standards == ["PG.1"]


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "points", "MEASURE", "."),
        ("plan", "export", "PLAN", "--out", "."),
        ("plan", "export", "PLAN", "--out", "no/such/folder/plan.json"),
        ("plan", "point", "MEASURE", "--date", "2026-03-02", "--value", "1e999"),
        ("plan", "set", "MEASURE", "kind=sideways"),
        ("plan", "set", "PLAN", "status="),
        ("plan", "set", "PLAN", "due_on=31/02/2026"),
        ("plan", "list", "--program", "No such program"),
        ("plan", "share", "No such program", "--on"),
    ],
    ids=lambda a: " ".join(a[:2]) + " " + a[-1],
)
def test_bad_options_on_real_records_are_refused_in_words(
    cli_db, new_study, args, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    _, plan_id = a_plan(cli_db, new_study)
    measure_id = cli_db.add_record("measure", plan_id, {"name": "Girls attending"})
    args = [{"PLAN": plan_id, "MEASURE": measure_id}.get(a, a) for a in args]
    result = invoke(*args)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr.strip() and "Traceback" not in result.output
