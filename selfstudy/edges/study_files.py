"""Self-study files on disk: reading one (`parse_study` does the checking)."""

from __future__ import annotations

from pathlib import Path

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.study import SelfStudy, parse_study


def load_study(path: str | Path) -> SelfStudy:
    """The self-study in `path`; raises `ProblemsFound` naming each bad key path."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemsFound(
            [Problem("unreadable-file", str(path), f"cannot read the file: {exc}")]
        ) from None
    return parse_study(text, str(path))
