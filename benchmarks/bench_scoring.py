"""Loading the default rubric and scoring one self-study (the app rescores on every click)."""

from __future__ import annotations

from benchmarks.timing import describe, repeat
from selfstudy.core.samples import sample_studies
from selfstudy.core.scoring import score
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric

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
