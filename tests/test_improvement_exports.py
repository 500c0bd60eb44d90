"""A plan exported as a reader of each file would check it: the JSON gives back every field
the team saved, the CSV keeps formula-like text inert in a spreadsheet, and the printable
HTML shows the run chart and each cycle's decision with every typed text escaped."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest

from selfstudy.core.improvement import Cycle, Idea, Measure, Plan, Point
from selfstudy.edges.storage import Storage
from selfstudy.workflows.improvement import (
    add_idea,
    close_cycle,
    import_points,
    plan_from_priority,
    plan_html,
    plans_csv,
    plans_json,
)

HOSTILE = "<script>alert('x')</script> & \"quotes\""
FORMULA = '=HYPERLINK("http://evil.example","click")'
VALUES = [10, 12, 11, 10, 12, 11, 14, 15, 16, 17, 18, 19]


@pytest.fixture
def plan(storage: Storage, new_study):
    """A plan of PG.1 with one idea of the team's own (a hostile title), one closed cycle
    (abandon), one open cycle, and a measure with twelve weekly points (one formula note)."""
    study_id = storage.create_study(new_study)
    plan_id = plan_from_priority(
        storage,
        study_id,
        ["PG.1"],
        {
            "aim": f"Raise attendance {HOSTILE}",
            "owner": "Ana",
            "starts_on": "2026-03-01",
            "due_on": "2026-06-30",
            "status": "in progress",
        },
    )
    idea_id = add_idea(storage, plan_id, title=HOSTILE, description="Call each family")
    cycle_id = storage.add_record(
        "cycle",
        idea_id,
        {
            "objective": "Test reminder calls",
            "prediction": "Attendance rises",
            "tasks": [{"who": "Bo", "what": FORMULA, "when": "2026-03-10"}],
            "starts_on": "2026-03-30",
        },
    )
    storage.update_record(
        cycle_id,
        {
            "as_planned": "partly",
            "results": "No change",
            "learned": "Families wanted texts",
            "decision": "abandon",
        },
        None,
    )
    close_cycle(storage, cycle_id, date(2026, 4, 20))
    storage.add_record("cycle", idea_id, {"objective": "Test texts", "starts_on": "2026-04-27"})
    measure_id = storage.add_record(
        "measure", plan_id, {"name": "Weekly attendance", "unit": "students", "kind": "outcome"}
    )
    rows = "date,value,note\n" + "".join(
        f"{date(2026, 3, 2) + timedelta(weeks=i)},{v},{FORMULA if i == 3 else ''}\n"
        for i, v in enumerate(VALUES)
    )
    # the note holds quotes: write the cell quoted, as a spreadsheet would
    rows = rows.replace(FORMULA, '"' + FORMULA.replace('"', '""') + '"')
    assert import_points(storage, measure_id, rows.encode(), "attendance.csv") == len(VALUES)
    return storage.plan(plan_id)


def test_json_gives_back_every_field_the_team_saved(plan):
    document = json.loads(plans_json([plan]))
    assert (document["format"], document["version"]) == ("selfstudy-improvement-plans", 1)
    [saved] = document["plans"]
    assert Plan.model_validate({k: saved[k] for k in Plan.model_fields}) == plan.plan
    assert saved["program"] == plan.program_name and saved["id"] == plan.id
    [idea] = saved["ideas"]
    assert Idea.model_validate({k: idea[k] for k in Idea.model_fields}) == plan.ideas[0].idea
    assert idea["decisions"] == ["abandon"]
    cycles = idea["cycles"]
    assert [(c["number"], c["stage"]) for c in cycles] == [(1, "closed"), (2, "plan")]
    for kept, view in zip(cycles, plan.ideas[0].cycles, strict=True):
        assert Cycle.model_validate({k: kept[k] for k in Cycle.model_fields}) == view.cycle
    [measure] = saved["measures"]
    assert Measure.model_validate({k: measure[k] for k in Measure.model_fields}) == (
        plan.measures[0].measure
    )
    points = [
        Point.model_validate({k: p[k] for k in Point.model_fields}) for p in measure["points"]
    ]
    assert [p.value for p in points] == VALUES
    assert points[3].note == FORMULA
    chart = measure["run_chart"]
    assert chart["median"] == 13.0
    assert {s["rule"] for s in chart["signals"]} >= {"trend"}


def test_csv_has_a_row_per_record_and_keeps_formula_like_text_inert(plan):
    rows = list(csv.DictReader(io.StringIO(plans_csv([plan]))))
    assert [r["record"] for r in rows] == ["plan", "idea", "cycle", "cycle", "measure"] + [
        "point"
    ] * len(VALUES)
    points = [r for r in rows if r["record"] == "point"]
    assert [float(r["value"]) for r in points] == VALUES
    assert {r["measure"] for r in points} == {"Weekly attendance"}
    assert points[3]["note"] == "'" + FORMULA
    closed = rows[2]
    assert (closed["number"], closed["decision"], closed["closed_on"]) == (
        "1",
        "abandon",
        "2026-04-20",
    )
    assert closed["tasks"] == "Bo · " + FORMULA + " · by 2026-03-10"  # begins with a name
    assert rows[0]["standards"] == "PG.1" and rows[0]["status"] == "in progress"
    every_cell = [cell for r in rows for cell in r.values() if cell]
    assert not [c for c in every_cell if c.startswith(("=", "+", "@"))]


def test_the_printable_plan_escapes_typed_text_and_holds_the_run_chart(plan, default_rubric):
    page = plan_html(plan, default_rubric)
    assert "<script>" not in page and "alert(&#x27;x&#x27;)" in page
    assert "&lt;script&gt;" in page
    assert page.count("<svg") == 1
    assert 'aria-label="Run chart of Weekly attendance"' in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "Median 13 students" in svg
    assert "cycle 1" in svg and "cycle 2" in svg  # each cycle's start on the time axis
    assert "Abandon: the change is dropped" in page
    assert "Families wanted texts" in page
    assert default_rubric.standard_by_id["PG.1"].title in page  # the standard's title
    assert "Trend: " in page  # the signal, in words
    assert "@media print" in page
    assert "<script" not in page.lower().replace("&lt;script", "")


def test_a_plan_with_nothing_under_it_still_exports(storage, new_study, default_rubric):
    study_id = storage.create_study(new_study)
    view = storage.plan(plan_from_priority(storage, study_id, ["PG.1"]))
    page = plan_html(view, default_rubric)
    assert "No aim is written yet" in page and "No change idea is chosen yet" in page
    assert "No measure is defined yet" in page
    assert json.loads(plans_json([view]))["plans"][0]["ideas"] == []
    assert [r["record"] for r in csv.DictReader(io.StringIO(plans_csv([view])))] == ["plan"]
