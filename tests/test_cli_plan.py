"""`selfstudy plan`: an improvement plan from a priority to an exported, printable plan, run
as a user runs it on the app's database (SQLite file, and PostgreSQL too when
`SELFSTUDY_TEST_POSTGRES_URL` is set)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from selfstudy.cli import main
from selfstudy.edges.storage import Storage

POINTS = (
    "Date,Value,Notes\n"
    "2026-03-02,10,\n"
    "2026-03-09,12,\n"
    '2026-03-16,11,"=HYPERLINK(""http://evil.example"",""x"")"\n'
    "2026-03-23,10,\n"
    "2026-03-30,12,\n"
    "2026-04-06,14,calls began\n"
    "2026-04-13,15,\n"
    "2026-04-20,16,\n"
    "2026-04-27,17,\n"
    "2026-05-04,18,\n"
)


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def database(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The app's database, which the commands open through SELFSTUDY_DATABASE_URL."""
    monkeypatch.setenv("SELFSTUDY_DATABASE_URL", storage.engine.url.render_as_string(False))
    for name in ("SELFSTUDY_AS", "SELFSTUDY_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    return storage


def ok(*args: object) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout.strip()


def refused(*args: object) -> list[str]:
    """The lines a refused command writes, each a problem; exit status 1, nothing on stdout."""
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr
    return result.stderr.splitlines()


def test_a_plan_from_priority_to_exported_files(database, new_study, tmp_path):
    study_id = database.create_study(new_study)
    plan_id = ok(
        "plan", "new", study_id, "--standard", "PG.1", "--aim", "Attendance <b>85%</b> by June",
        "--owner", "Ana", "--starts", "2026-03-01", "--due", "2026-06-30", "--by", "Ana",
    )  # fmt: skip
    idea_id = ok("plan", "idea", plan_id, "--from-rubric", "measurable-equity-goals")
    own_idea = ok("plan", "idea", plan_id, "--title", "Reminder calls", "--description", "Call")
    cycle_id = ok(
        "plan", "cycle", own_idea, "--objective", "Test calls", "--prediction", "More come",
        "--starts", "2026-04-06",
    )  # fmt: skip
    ok("plan", "set", cycle_id, "as_planned=partly", "observations=Two of three sessions")
    ok("plan", "set", cycle_id, 'tasks=[{"who": "Bo", "what": "Call families"}]')

    [line] = refused("plan", "close", cycle_id)
    assert "closed only once its Study" in line and "its Act" in line
    ok("plan", "set", cycle_id, "results=Attendance rose", "learned=Calls work", "decision=adopt")
    assert "closed the cycle" in ok("plan", "close", cycle_id, "--on", "2026-05-05")

    measure_id = ok("plan", "measure", plan_id, "--name", "Weekly attendance", "--unit", "students")
    (tmp_path / "points.csv").write_text(POINTS, encoding="utf-8-sig")
    assert ok("plan", "points", measure_id, tmp_path / "points.csv") == (
        f"added 10 data points to the measure {measure_id}"
    )
    ok("plan", "point", measure_id, "--date", "2026-05-11", "--value", "19", "--note", "last")

    shown = json.loads(ok("plan", "show", plan_id, "--format", "json"))
    assert shown["aim"] == "Attendance <b>85%</b> by June" and shown["owner"] == "Ana"
    assert [i["id"] for i in shown["ideas"]] == [idea_id, own_idea]
    cycle = shown["ideas"][1]["cycles"][0]
    assert (cycle["stage"], cycle["decision"], cycle["closed_on"]) == (
        "closed",
        "adopt",
        "2026-05-05",
    )
    assert cycle["tasks"] == [{"who": "Bo", "what": "Call families", "when": None}]
    assert [p["value"] for p in shown["measures"][0]["points"]][-2:] == [18, 19]
    table = ok("plan", "show", plan_id)
    assert "Trend: " in table and "adopt" in table
    listed = ok("plan", "list")
    assert plan_id in listed and "PG.1" in listed

    ok("plan", "export", plan_id, "--out", tmp_path / "plan.html")
    page = (tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "Attendance &lt;b&gt;85%&lt;/b&gt; by June" in page
    assert page.count("<svg") == 1 and "Adopt: the change is kept" in page
    ok("plan", "export", plan_id, "--format", "json", "--output", tmp_path / "plan.data")
    exported = json.loads((tmp_path / "plan.data").read_text(encoding="utf-8"))
    assert exported["plans"][0]["ideas"][1]["cycles"][0]["learned"] == "Calls work"
    ok("plan", "export", plan_id, "--out", tmp_path / "plan.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "plan.csv").read_text("utf-8-sig"))))
    notes = [r["note"] for r in rows if r["record"] == "point"]
    assert notes[2].startswith("'=HYPERLINK") and notes[-1] == "last"
    assert len(notes) == 11

    history = ok("plan", "history", plan_id, "--format", "json")
    assert {"decision", "closed_on", "as_planned"} <= {c["field"] for c in json.loads(history)}


def test_bad_input_is_refused_in_located_lines(database, new_study, tmp_path):
    study_id = database.create_study(new_study)
    lines = refused("plan", "new", study_id, "--standard", "XX.9", "--due", "June")
    assert lines == [
        "--standard: 'XX.9' is not a standard of the rubric "
        "'Equity self-study for pre-college STEM programs'; use a standard id the Results page "
        "or `selfstudy score` shows (such as PG.1)"
    ]
    [line] = refused("plan", "new", study_id, "--standard", "PG.1", "--due", "June")
    assert line == "--due: 'June' is not a date; write it as 2026-03-15"
    [line] = refused("plan", "new", "no-such-study", "--standard", "PG.1")
    assert line.startswith("no-such-study: no self-study")

    plan_id = ok("plan", "new", study_id, "--standard", "PG.1")
    measure_id = ok("plan", "measure", plan_id, "--name", "Attendance")
    (tmp_path / "bad.csv").write_text(
        "date,value\n2026-03-02,10\n3/4/2026,11\n2026-03-16,lots\n", encoding="utf-8"
    )
    lines = refused("plan", "points", measure_id, tmp_path / "bad.csv")
    where = str(tmp_path / "bad.csv")
    assert [line.split(": ")[0] for line in lines] == [f"{where}:3", f"{where}:4"]
    assert "could be 3 April or 4 March" in lines[0] and "'lots' is not a number" in lines[1]
    assert (
        json.loads(ok("plan", "show", plan_id, "--format", "json"))["measures"][0]["points"] == []
    )  # all or nothing

    [line] = refused("plan", "point", measure_id, "--date", "2026-03-02", "--value", "ten")
    assert line.startswith("--value: 'ten' is not a number")
    lines = refused("plan", "set", plan_id, "status=finished", "colour=red", "aim")
    assert lines[0].startswith("colour: is not a field of this improvement plan")
    assert lines[1].startswith("'aim': write each change as FIELD=VALUE")
    [line] = refused("plan", "set", plan_id, "status=finished")
    assert "status" in line and "'finished' is not one of" in line
    [line] = refused("plan", "set", plan_id, "standards=PG.1,XX.9")
    assert "standards: 'XX.9' is not a standard" in line
    [line] = refused("plan", "show", "nothing-here")
    assert "nothing-here" in line and "there is no such record" in line

    ok("plan", "delete", plan_id)
    [line] = refused("plan", "show", plan_id)
    assert "there is no such" in line and "may have been deleted" in line
    ok("plan", "restore", plan_id)
    assert ok("plan", "show", plan_id).startswith(f"Improvement plan {plan_id}")

    result = invoke("plan", "export", plan_id, "--out", tmp_path / "plan.txt")
    assert result.exit_code == 2 and "add --format html, json or csv" in result.stderr


def test_sharing_is_a_programs_choice(database, new_study):
    study_id = database.create_study(new_study)
    program_id = database.get_study(study_id).program_id
    assert "shares what its plans learned" in ok("plan", "share", "Bridge to STEM", "--on")
    assert database.shares_learning(program_id)
    ok("plan", "share", program_id, "--off")
    assert not database.shares_learning(program_id)
    [line] = refused("plan", "share", "Nobody", "--on")
    assert "no program is named 'Nobody'" in line
