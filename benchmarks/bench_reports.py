"""Results charts and report files for one self-study (the app builds them on every visit).

Target: the HTML report (with its chart rendered to SVG) in well under a second,
so a download never feels stuck; the chart spec and the CSV in a few milliseconds.
"""

from __future__ import annotations

import time

import vl_convert

from benchmarks.timing import describe, repeat
from selfstudy.core.samples import sample_studies
from selfstudy.core.scoring import score
from selfstudy.edges.reports.charts import dimension_chart, standard_chart
from selfstudy.edges.reports.html_report import html_report
from selfstudy.edges.reports.scores_csv import scores_csv
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric

DEFAULT_RUBRIC = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"


def main() -> None:
    rubric = load_rubric(DEFAULT_RUBRIC)
    baseline, follow_up = sample_studies(rubric, programs=1)
    before, after = score(rubric, baseline), score(rubric, follow_up)
    chart = dimension_chart(rubric, after, before)
    start = time.perf_counter()
    vl_convert.vegalite_to_svg(chart.to_json())
    print(f"first chart to SVG in a fresh process: {(time.perf_counter() - start) * 1e3:.0f} ms")
    print("dimension chart spec:", describe(repeat(lambda: chart.to_dict(), 200)))
    print(
        "standard chart spec (24 standards):",
        describe(repeat(lambda: standard_chart(rubric, after).to_dict(), 100)),
    )
    print(
        "dimension chart to SVG (vl-convert):",
        describe(repeat(lambda: vl_convert.vegalite_to_svg(chart.to_json()), 20)),
    )
    print("scores CSV:", describe(repeat(lambda: scores_csv(rubric, follow_up, after), 500)))
    print(
        "HTML report with previous round:",
        describe(repeat(lambda: html_report(rubric, follow_up, after, (baseline, before)), 20)),
    )
