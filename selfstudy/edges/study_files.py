"""Self-study files on disk: reading one (`parse_study` does the checking), and the samples."""

from __future__ import annotations

from pathlib import Path

from selfstudy.core.study import SelfStudy, parse_study
from selfstudy.edges.files import read_text

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "sample_responses"
# Far above any self-study: 100 items with a text answer, evidence and notes each at
# MAX_TEXT_LENGTH take 36 MB at most (4 bytes a character).
MAX_STUDY_BYTES = 64 * 2**20


def load_study(path: str | Path) -> SelfStudy:
    """The self-study in `path`; raises `ProblemsFound` naming each bad key path."""
    path = Path(path)
    return parse_study(read_text(path, MAX_STUDY_BYTES, "a self-study file"), str(path))


def sample_files(folder: Path | None = None) -> list[Path]:
    """The bundled sample self-studies (`sample_responses/*.json`), in name order."""
    return sorted((folder or SAMPLES_DIR).glob("*.json"))
