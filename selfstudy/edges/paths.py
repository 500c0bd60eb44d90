"""Where the project's own folders are: the rubrics, the samples and the default database."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RUBRICS_DIR = PROJECT_ROOT / "rubrics"
SAMPLES_DIR = PROJECT_ROOT / "sample_responses"
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_RUBRIC_ID = "stem-equity-self-study"
