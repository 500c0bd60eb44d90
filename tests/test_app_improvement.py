"""The Improvement page (AppTest on a real SQLite file): a team turns a priority into a plan
and runs it: a change idea from the rubric, a PDSA cycle through its four stages (closed only
once its Study and Act are written), a measure with its points drawn as a run chart, deleting
and restoring, the history, a colleague's edit in between, and a viewer who only reads."""

from __future__ import annotations

import re
from datetime import date, timedelta

from streamlit.testing.v1 import AppTest

from selfstudy.core.access import Actor
from selfstudy.core.scoring import score
from selfstudy.edges.rubric_files import PROJECT_ROOT
from selfstudy.edges.storage import Storage
from selfstudy.workflows import improvement as plans

APP = str(PROJECT_ROOT / "app.py")
PAGE = "selfstudy/app/pages/improvement.py"
RESULTS = "selfstudy/app/pages/results.py"


def page_text(at: AppTest) -> str:
    kinds = (
        "markdown",
        "info",
        "success",
        "warning",
        "error",
        "caption",
        "title",
        "header",
        "subheader",
    )
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def button(at: AppTest, label: str, n: int = 0):
    return [b for b in at.button if b.label == label][n]


def widget(at: AppTest, kind: str, label: str, n: int = 0):
    return [w for w in at.get(kind) if w.label == label][n]


def open_app(study_id: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["study"] = study_id
    at.run()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def plan_of(db: Storage):
    [view] = db.plans()
    return view


def test_a_priority_becomes_a_plan_whose_cycle_and_measure_the_team_runs(
    db, sample_set, default_rubric
):
    study = sample_set[0]
    study_id = db.create_study(study)
    priority = score(default_rubric, study).priorities[0]
    standard = default_rubric.standard_by_id[priority]
    rubric_idea = standard.change_ideas[0]

    # from a priority on Results, as the Results page sends a person here
    at = open_app(study_id, improvement_new_plan_standards=[priority])
    chosen = widget(at, "multiselect", "Standards it serves (the self-study's priorities first)")
    assert chosen.value == [priority]
    assert rubric_idea.title in page_text(at)  # the standard's change ideas beside the form
    assert "Nothing yet: no other program" in page_text(at)
    button(at, "Make the plan").click().run()
    assert not at.exception, at.exception
    view = plan_of(db)
    assert view.plan.standards == [priority] and view.plan.study_id == study_id
    assert "The plan was made; write its aim, owner and dates below." in page_text(at)
    assert at.selectbox(key="imp:open-plan").value == view.id
    # its aim and owner are written in the plan itself, each saved as it is typed
    pid = view.id
    at.text_area(key=f"imp:w:{pid}:aim").input("Mentored girls attending weekly: 60% to 80%").run()
    at.text_input(key=f"imp:w:{pid}:owner").input("Ana").run()
    view = plan_of(db)
    assert view.plan.aim.startswith("Mentored girls") and view.plan.owner == "Ana"
    assert at.selectbox(key="imp:open-plan").value == pid  # the edited aim keeps it open
    # the new-plan section closed, and a second click on a button no longer shown makes none
    assert not [b for b in at.button if b.label == "Make the plan"]

    # a change idea from the rubric, and a cycle through Plan, Do, Study and Act
    button(at, "Add this idea").click().run()
    [idea] = plan_of(db).ideas
    assert (idea.idea.rubric_idea, idea.idea.title) == (rubric_idea.id, rubric_idea.title)
    button(at, "Begin a cycle").click().run()
    [cycle] = plan_of(db).ideas[0].cycles
    cid = cycle.record.id

    def field(kind: str, name: str):
        return at.get(kind)[[w.key for w in at.get(kind)].index(f"imp:w:{cid}:{name}")]

    field("text_area", "objective").input("Try student-chosen mentor matches").run()
    field("text_area", "prediction").input("Attendance rises within a month").run()
    field("date_input", "starts_on").set_value(date(2026, 3, 9)).run()
    assert "stage: **Plan**" in page_text(at)
    field("selectbox", "as_planned").set_value("partly").run()
    field("text_area", "observations").input("Two pairs re-matched").run()
    assert "stage: **Do**" in page_text(at)
    button(at, "Close this cycle").click().run()
    refused = " ".join(w.value for w in at.warning)
    assert "cannot be closed yet" in refused and "its Study" in refused and "its Act" in refused
    assert plan_of(db).ideas[0].cycles[0].cycle.closed_on is None
    field("text_area", "results").input("Attendance rose from 60% to 72%").run()
    field("text_area", "learned").input("Students' own choice matters most").run()
    assert "stage: **Study**" in page_text(at)
    field("selectbox", "decision").set_value("adapt").run()
    field("text_area", "next_steps").input("Add a check-in at week two").run()
    assert "stage: **Act**" in page_text(at)
    button(at, "Close this cycle").click().run()
    assert not at.exception, at.exception
    closed = plan_of(db).ideas[0].cycles[0].cycle
    assert closed.closed_on == date.today() and closed.decision == "adapt"
    assert closed.prediction == "Attendance rises within a month"
    assert "stage: **Closed**" in page_text(at)
    button(at, "Begin the next cycle").click().run()
    cycles = plan_of(db).ideas[0].cycles
    assert [c.number for c in cycles] == [1, 2]
    assert cycles[1].cycle.objective == "Add a check-in at week two"  # from the Act

    # a measure with data points, drawn as a run chart with its median
    widget(at, "text_input", "Measure name").input("Girls attending weekly")
    widget(at, "text_input", "Unit").input("students")
    button(at, "Add the measure").click().run()
    [measure] = plan_of(db).measures
    mid = measure.record.id
    at.session_state[f"imp:measure-open:{mid}"] = True  # the person opens the measure
    at.run()
    widget(at, "date_input", "Date of the point").set_value(date(2026, 3, 2))
    widget(at, "number_input", "Value").set_value(10)
    widget(at, "text_input", "Note (optional)").input("Before the change")
    button(at, "Add the data point").click().run()
    start = date(2026, 3, 9)
    for week, value in enumerate([11, 10, 12, 11, 14, 15, 16, 17, 18], 0):
        db.add_record(
            "point", mid, {"on": (start + timedelta(weeks=week)).isoformat(), "value": value}
        )
    at.run()
    assert not at.exception, at.exception
    [chart] = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    spec = chart.proto.spec
    # 10, 11, 10, 12, 11, 14, 15, 16, 17, 18: the median is between 12 and 14
    assert "Median 13 students" in spec and "Girls attending weekly" in spec
    assert "cycle 1" in spec  # the cycle's start marked on the time axis
    assert "Before the change" in spec
    shown = page_text(at)
    assert "Trend: 6 points in a row going up" in shown  # the signal in words under it

    # delete a cycle, and restore it from the Deleted list
    button(at, "Delete this cycle", 1).click().run()
    assert len(plan_of(db).ideas[0].cycles) == 1
    at.session_state[f"imp:deleted-open:{view.id}"] = True
    at.run()
    restore = next(b for b in at.button if b.key == f"imp:restore:{cycles[1].record.id}")
    restore.click().run()
    assert len(plan_of(db).ideas[0].cycles) == 2

    # the history, newest first, and a value put back
    at.session_state[f"imp:history-open:{view.id}"] = True
    at.run()
    shown = page_text(at)
    assert shown.index("restored") < shown.index("deleted") < shown.index("Objective")
    put_back = [
        c for c in db.record_history(view.id) if c.field == "prediction" and c.record_id == cid
    ][-1]
    field("text_area", "prediction").input("A wrong guess").run()
    assert plan_of(db).ideas[0].cycles[0].cycle.prediction == "A wrong guess"
    next(b for b in at.button if b.key == f"imp:put-back:{put_back.id}").click().run()
    assert not at.exception, at.exception
    assert plan_of(db).ideas[0].cycles[0].cycle.prediction == "Attendance rises within a month"
    assert field("text_area", "prediction").value == "Attendance rises within a month"


def test_a_colleagues_edit_in_between_is_kept_and_so_is_the_persons_text(
    db, sample_set, default_rubric, tmp_path
):
    study_id = db.create_study(sample_set[0])
    plan_id = plans.plan_from_priority(db, study_id, ["PG.1"], {"aim": "First words"})
    at = open_app(study_id, improvement_open_plan=plan_id)
    aim = at.text_area(key=f"imp:w:{plan_id}:aim")
    assert aim.value == "First words"

    # a colleague, on another server of the same database, saves the aim first
    colleague = Storage(f"sqlite:///{tmp_path / 'app.db'}", actor=Actor.local("Bo"))
    colleague.update_record(plan_id, {"aim": "Bo's aim"}, seen=1)
    # and another field: this person's save of the aim must not undo it
    colleague.update_record(plan_id, {"owner": "Bo"}, seen=1)

    aim.input("Ana's aim, typed over the old one").run()
    assert not at.exception, at.exception
    stored = db.plan(plan_id).plan
    assert (stored.aim, stored.owner) == ("Bo's aim", "Bo")  # nothing of Bo's overwritten
    warning = " ".join(w.value for w in at.warning)
    assert "changed by **Bo**" in warning
    assert at.text_area(key=f"imp:w:{plan_id}:aim").value == "Bo's aim"
    assert "Ana's aim, typed over the old one" in [c.value for c in at.code]  # kept on screen
    refused = [c for c in db.record_history(plan_id) if not c.accepted]
    assert [c.new for c in refused] == ["Ana's aim, typed over the old one"]

    # the owner Bo saved is shown at the next run, and saving on top of it works
    assert at.text_input(key=f"imp:w:{plan_id}:owner").value == "Bo"
    at.text_area(key=f"imp:w:{plan_id}:aim").input("Both aims, merged").run()
    assert db.plan(plan_id).plan.aim == "Both aims, merged"


ISSUER = "https://accounts.example.test"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "cookie-secret-0123456789abcdef",
    "client_id": "selfstudy",
    "client_secret": "client-secret-0123456789",
    "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
}


def signed_in_app(email: str, study_id: str, **state) -> AppTest:
    """The app as the person who signed in with `email` sees it, on this page of the study."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {
        "is_logged_in": True,
        "iss": ISSUER,
        "sub": "sub-" + email.split("@")[0],
        "email": email,
        "email_verified": True,
    }
    at.query_params["study"] = study_id
    at.run()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


HOSTILE = "[Click here](http://evil.example) <img src=x onerror=alert(1)>"


def test_a_viewer_reads_the_plans_without_any_input_and_hostile_text_stays_text(
    db, sample_set, monkeypatch
):
    monkeypatch.delenv("SELFSTUDY_ADMINS", raising=False)
    study_id = db.create_study(sample_set[0])
    program_id = db.get_study(study_id).program_id
    plan_id = plans.plan_from_priority(db, study_id, ["PG.1"], {"aim": HOSTILE, "owner": "Ana"})
    idea_id = plans.add_idea(db, plan_id, "Our own idea", HOSTILE)
    db.add_record("cycle", idea_id, {"objective": "Try it", "learned": HOSTILE})
    measure_id = db.add_record("measure", plan_id, {"name": "Attending", "unit": "students"})
    db.add_record("point", measure_id, {"on": "2026-03-02", "value": 10, "note": HOSTILE})
    db.invite("vi@bridge.example", "viewer", program_id)

    at = signed_in_app("vi@bridge.example", study_id, improvement_open_plan=plan_id)
    at.session_state[f"imp:measure-open:{measure_id}"] = True
    at.run()
    assert not at.exception, at.exception
    shown = page_text(at)
    assert "only its members can change them" in shown
    assert "**Owner:** Ana" in shown and "**Learned:**" not in shown  # fields in words
    assert "**What we learned:**" in shown
    # no input of any kind: no form, text box, choice, date, toggle or button to change
    assert not at.get("form") and not at.text_area and not at.text_input
    assert not at.date_input and not at.toggle and not at.multiselect
    assert [s.key for s in at.selectbox] == ["imp:open-plan"]
    assert not [b for b in at.button if b.label != "Sign out"]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the chart is read too
    # what the team typed is shown as typed: never a link, image or HTML
    assert not re.search(r"(?<!\\)(\[Click|<img)", shown)
    assert "\\[Click here\\](http://evil.example) \\<img" in shown


def test_a_team_sees_what_a_sharing_program_tried_and_chooses_to_share_its_own(db, sample_set):
    ours = db.create_study(sample_set[0])
    theirs = db.create_study(
        next(s for s in sample_set if s.program.name != sample_set[0].program.name)
    )
    our_program = db.get_study(ours).program_id
    assert our_program != db.get_study(theirs).program_id
    db.invite("mo@bridge.example", "member", our_program)
    their_plan = plans.plan_from_priority(db, theirs, ["PG.1"], {"aim": "Goals"})
    idea_id = plans.add_idea(db, their_plan, "Goal-setting evening with families")
    db.add_record(
        "cycle",
        idea_id,
        {
            "results": "Twelve families came",
            "learned": "Evenings suit families better",
            "decision": "adopt",
            "closed_on": "2026-04-01",
        },
    )
    at = signed_in_app("mo@bridge.example", ours, improvement_new_plan_standards=["PG.1"])
    assert "Goal-setting evening with families" not in page_text(at)  # not shared yet
    assert "Nothing yet: no other program" in page_text(at)
    db.set_sharing(db.get_study(theirs).program_id, True)
    at.session_state["imp:new-standards"] = ["PG.1"]
    at.run()
    shown = page_text(at)
    assert "**Goal-setting evening with families** at" in shown
    assert "1 cycle, 1 closed; decisions: 1 adopt" in shown
    assert "learned: Evenings suit families better" in shown

    sharing = next(t for t in at.toggle if t.label == "Share what we learn with the network")
    assert sharing.value is False
    sharing.set_value(True).run()
    assert db.shares_learning(our_program)
    assert "never shared" in page_text(at)


def test_data_points_come_from_a_csv_file_all_or_nothing(db, sample_set):
    study_id = db.create_study(sample_set[0])
    plan_id = plans.plan_from_priority(db, study_id, ["PG.1"], {"aim": "More girls"})
    measure_id = db.add_record("measure", plan_id, {"name": "Girls attending"})
    at = open_app(study_id, improvement_open_plan=plan_id)
    at.session_state[f"imp:measure-open:{measure_id}"] = True
    at.run()

    def upload(text: str) -> None:
        at.file_uploader(key=f"imp:csv-file:{measure_id}").set_value(
            [("points.csv", text.encode(), "text/csv")]
        )
        button(at, "Import the points").click().run()
        assert not at.exception, at.exception

    upload("date,value,note\n2026-03-02,10,\n2026-03-09,lots,\n")
    assert "points.csv:3" in at.error[0].value and "not a number" in at.error[0].value
    assert db.plan(plan_id).measures[0].points == ()  # nothing of a bad file is added
    upload("date,value,note\n2026-03-02,10,\n2026-03-09,12.5,trip week\n2026-03-16,11,\n")
    assert "3 data points imported." in page_text(at)
    points = db.plan(plan_id).measures[0].points
    assert [(p.fields.value, p.fields.note) for p in points] == [
        (10, ""),
        (12.5, "trip week"),
        (11, ""),
    ]
    assert "Data points** (3)" in page_text(at)


def test_without_an_open_study_the_page_points_to_start(db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert "No self-study is open" in at.info[0].value
    assert [link.label for link in at.get("page_link")] == ["Go to the Start page"]


def test_a_refused_value_says_why_and_the_plan_keeps_what_it_had(db, sample_set):
    study_id = db.create_study(sample_set[0])
    plan_id = plans.plan_from_priority(db, study_id, ["PG.1"], {"starts_on": "2026-03-01"})
    at = open_app(study_id, improvement_open_plan=plan_id)
    at.multiselect(key=f"imp:w:{plan_id}:standards").set_value([]).run()
    assert "Your Standards could not be saved" in at.error[0].value
    assert at.multiselect(key=f"imp:w:{plan_id}:standards").value == ["PG.1"]
    at.date_input(key=f"imp:w:{plan_id}:due_on").set_value(date(2026, 2, 1)).run()
    assert "the due date comes before the start date" in at.error[0].value
    assert at.date_input(key=f"imp:w:{plan_id}:due_on").value is None
    assert db.plan(plan_id).plan.standards == ["PG.1"] and db.plan(plan_id).plan.due_on is None
