"""Finding rubrics: by path, or by id (and version) among the bundled ones.

The rubric folder is `SELFSTUDY_RUBRICS` when set, else `rubrics/` in the
current directory when it exists, else the `rubrics/` folder of this project.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rubric import Rubric
from selfstudy.core.rubric.parse import parse_rubric
from selfstudy.core.study import SelfStudy
from selfstudy.edges.files import read_text

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def rubrics_dir() -> Path:
    if env := os.environ.get("SELFSTUDY_RUBRICS"):
        return Path(env)
    local = Path.cwd() / "rubrics"
    return local if local.is_dir() else PROJECT_ROOT / "rubrics"


def rubric_files(folder: Path | None = None) -> list[Path]:
    folder = folder or rubrics_dir()
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def load_rubric(path: str | Path) -> Rubric:
    """The rubric in `path`; raises `ProblemsFound` listing every problem."""
    path = Path(path)
    return parse_rubric(read_text(path), str(path))


def rubric_problems(path: str | Path) -> Report:
    """Every problem of the rubric file at `path` (empty when it is valid)."""
    try:
        load_rubric(path)
    except ProblemsFound as exc:
        return exc.problems
    return Report()


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime: float) -> Rubric:
    return load_rubric(path)


def load_rubric_file(path: Path) -> Rubric:
    """`load_rubric`, cached until the file changes."""
    return _load_cached(str(path.resolve()), path.stat().st_mtime)


def available_rubrics(folder: Path | None = None) -> list[Rubric]:
    """Every valid rubric in the rubric folder; `selfstudy validate` names the invalid ones."""
    found = []
    for path in rubric_files(folder):
        try:
            found.append(load_rubric_file(path))
        except ProblemsFound:
            continue
    return found


def find_rubric(path_or_id: str, version: str | None = None, folder: Path | None = None) -> Rubric:
    """The rubric at a path, or the one with this id (and version) in the rubric folder."""
    candidate = Path(path_or_id)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
        if not candidate.is_file():
            raise ProblemsFound(
                [Problem("rubric-not-found", path_or_id, "no such rubric file; check the path")]
            )
        return load_rubric_file(candidate)
    rubrics = available_rubrics(folder)
    same_id = [r for r in rubrics if r.id == path_or_id]
    exact = [r for r in same_id if version is None or r.version == version]
    if exact or same_id:
        # Another version of the same rubric still scores the same ids;
        # `check_study` warns about the version difference.
        return (exact or same_id)[0]
    known = ", ".join(sorted({r.id for r in rubrics})) or "none"
    raise ProblemsFound(
        [
            Problem(
                "rubric-not-found",
                str(folder or rubrics_dir()),
                f"no rubric with id {path_or_id!r}; known ids: {known}. "
                "Pass --rubric with a rubric file path or a known id",
            )
        ]
    )


def rubric_of(study: SelfStudy, path_or_id: str | None = None) -> Rubric:
    """The rubric given by path or id (a `--rubric` option), else the one the study names."""
    if path_or_id:
        return find_rubric(path_or_id)
    return find_rubric(study.rubric.id, study.rubric.version)
