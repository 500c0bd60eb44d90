"""Improvement plans across a network: what the facilitator's "What programs tried" view and
a plan's page read.

The network: 2,000 programs, each with 2 plans; each plan with 2 change ideas of 3 cycles
(the last open) and one measure of 40 weekly points: 200,000 records. The database is
built once, by rows written straight into the tables (making it through the storage, one
transaction a record, would take an hour), and kept in the benchmarks' cache folder.

Targets: what the network tried (every plan the network admin may read, with its ideas
and cycles, and the counts: `workflows.improvement.learning`) under 2 s; one plan with
everything under it under 50 ms; a measure's run chart (the rules and the chart's spec)
under 50 ms.
"""

from __future__ import annotations

import json
import random
import time
from datetime import date, timedelta

from sqlalchemy import insert

from benchmarks.timing import cache_folder, describe, load, repeat
from selfstudy.core.runchart import analyse
from selfstudy.edges.reports.run_charts import run_chart
from selfstudy.edges.storage import Storage
from selfstudy.edges.storage.schema import new_id, now, programs_table, records_table
from selfstudy.workflows.improvement import learning, measure_points

PROGRAMS = 2_000
PLANS = 2
IDEAS = 2
CYCLES = 3
POINTS = 40
BUILD = 2  # raise when the rows written change, so the cached database is made again


def _row(kind: str, program: str, plan: str, parent: str | None, fields: dict) -> dict:
    stamp = now()
    return {
        "id": plan if kind == "plan" else new_id(),
        "kind": kind,
        "program_id": program,
        "plan_id": plan,
        "parent_id": parent,
        "fields": json.dumps(fields),
        "changed": json.dumps(dict.fromkeys(fields, 1)),
        "revision": 1,
        "created_at": stamp,
        "created_by": "bench",
        "updated_at": stamp,
    }


def build(url: str) -> None:
    storage = Storage(url)
    chance = random.Random(14)
    start = date(2026, 1, 5)
    with storage.engine.begin() as conn:
        for n in range(PROGRAMS):
            program = new_id()
            conn.execute(
                insert(programs_table).values(
                    id=program,
                    key=f"name:program {n}",
                    name=f"Program {n}",
                    organization=None,
                    origin="created",
                    created_at=now(),
                    created_by="bench",
                )
            )
            rows = []
            for p in range(PLANS):
                plan = new_id()
                standard = f"PG.{p + 1}"
                rows.append(
                    _row(
                        "plan",
                        program,
                        plan,
                        None,
                        {
                            "rubric_id": "stem-equity-self-study",
                            "standards": [standard],
                            "study_id": None,
                            "aim": "More students finish",
                            "owner": "Lead",
                            "starts_on": None,
                            "due_on": None,
                            "status": "in progress",
                        },
                    )
                )
                for _ in range(IDEAS):
                    idea = _row(
                        "idea",
                        program,
                        plan,
                        None,
                        {
                            "title": f"Idea {chance.randrange(12)}",
                            "description": "",
                            "rubric_idea": None,
                        },
                    )
                    rows.append(idea)
                    for c in range(CYCLES):
                        closed = c < CYCLES - 1
                        rows.append(
                            _row(
                                "cycle",
                                program,
                                plan,
                                idea["id"],
                                {
                                    "objective": "Try it",
                                    "prediction": "It works",
                                    "tasks": [],
                                    "data_collection": "",
                                    "starts_on": str(start + timedelta(weeks=6 * c)),
                                    "as_planned": "yes",
                                    "observations": "",
                                    "problems": "",
                                    "results": "Better" if closed else "",
                                    "learned": "Keep it short" if closed else "",
                                    "decision": chance.choice(["adopt", "adapt", "abandon"])
                                    if closed
                                    else None,
                                    "next_steps": "",
                                    "closed_on": str(start + timedelta(weeks=6 * c + 5))
                                    if closed
                                    else None,
                                },
                            )
                        )
                measure = _row(
                    "measure",
                    program,
                    plan,
                    None,
                    {
                        "kind": "outcome",
                        "name": "Attending",
                        "definition": "",
                        "unit": "students",
                    },
                )
                rows.append(measure)
                for w in range(POINTS):
                    rows.append(
                        _row(
                            "point",
                            program,
                            plan,
                            measure["id"],
                            {
                                "on": str(start + timedelta(weeks=w)),
                                "value": chance.randint(5, 25),
                                "note": "",
                            },
                        )
                    )
            conn.execute(insert(records_table), rows)
    storage.engine.dispose()


def main() -> None:
    path = cache_folder() / f"improvement-{PROGRAMS}-{BUILD}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        build(url)
        print(f"built {path} in {time.perf_counter() - started:.0f} s")
    storage = Storage(url)
    records = PROGRAMS * PLANS * (1 + IDEAS * (1 + CYCLES) + 1 + POINTS)
    print(f"{PROGRAMS:,} programs, {records:,} records; {load()}")
    print(
        "what the network tried (`workflows.improvement.learning`: plans, ideas and cycles):",
        describe(repeat(lambda: learning(storage), 5, warmup=1), "s"),
    )
    print("every plan with its points:", describe(repeat(storage.plans, 3, warmup=1), "s"))
    plans = storage.plans(points=False)
    one = plans[len(plans) // 2]
    print("one plan with everything under it:", describe(repeat(lambda: storage.plan(one.id), 50)))
    measure = one.measures[0].record.id

    def chart() -> None:
        run_chart(analyse(measure_points(one, measure)), "Attending", one.cycle_starts()).to_dict()

    print("a measure's run chart (rules and spec):", describe(repeat(chart, 50)))
    storage.engine.dispose()
