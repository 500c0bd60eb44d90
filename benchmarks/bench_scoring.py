"""Loading the default rubric and scoring one self-study (the app rescores on every click)."""

from __future__ import annotations

from benchmarks.timing import describe, repeat
from selfstudy.catalog import PROJECT_ROOT
from selfstudy.rubric_loader import load_rubric
from selfstudy.samples import sample_studies
from selfstudy.scoring import score

DEFAULT_RUBRIC = PROJECT_ROOT / "rubrics" / "stem-equity-self-study.yaml"


def main() -> None:
    print(
        "load default rubric (YAML + validation):",
        describe(repeat(lambda: load_rubric(DEFAULT_RUBRIC), 30)),
    )
    rubric = load_rubric(DEFAULT_RUBRIC)
    study = sample_studies(rubric, programs=1)[0]
    print(
        f"score one self-study ({len(study.answers)} answers):",
        describe(repeat(lambda: score(rubric, study), 2000)),
    )
