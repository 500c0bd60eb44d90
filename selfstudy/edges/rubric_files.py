"""Finding rubrics: by id (and version) among those in the rubric folder, or, for a
`--rubric` option only, by path.

The rubric folder is `SELFSTUDY_RUBRICS` when set, else `rubrics/` in the
current directory when it exists, else the `rubrics/` folder of this project.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from selfstudy.core.problems import Problem, ProblemsFound, Report
from selfstudy.core.rubric import Rubric, is_rubric_id
from selfstudy.core.rubric.parse import read_rubric
from selfstudy.core.study import SelfStudy
from selfstudy.edges.files import read_text, unreadable

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAX_RUBRIC_BYTES = 4 * 2**20  # room for MAX_RUBRIC_CHARS characters of 4 bytes each


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
    rubric, problems = _read(Path(path))
    problems.raise_if_errors()
    assert rubric is not None
    return rubric


def rubric_problems(path: str | Path) -> Report:
    """Every problem of the rubric file at `path`, warnings included (empty when there is none)."""
    try:
        return _read(Path(path))[1]
    except ProblemsFound as exc:
        return exc.problems


def _read(path: Path) -> tuple[Rubric | None, Report]:
    """`read_rubric` of a file, read no further than a rubric file can be long."""
    return read_rubric(read_text(path, MAX_RUBRIC_BYTES, "a rubric"), str(path))


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime: float) -> Rubric:
    return load_rubric(path)


def load_rubric_file(path: Path) -> Rubric:
    """`load_rubric`, cached until the file changes; a file that cannot be reached (a link
    to nothing) is one located problem."""
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise ProblemsFound([unreadable(path, exc)]) from None
    return _load_cached(str(path.resolve()), mtime)


def available_rubrics(folder: Path | None = None) -> list[Rubric]:
    """Every valid rubric in the rubric folder; `selfstudy validate` names the invalid ones
    (a file that cannot be read among them)."""
    found = []
    for path in rubric_files(folder):
        try:
            found.append(load_rubric_file(path))
        except ProblemsFound:
            continue
    return found


def rubric_by_id(
    rubric_id: str, version: str | None = None, where: str = "rubric.id", folder: Path | None = None
) -> Rubric:
    """The rubric with this id (and version) among those in the rubric folder.

    For every id read from data (a self-study file, a sheet copy's START HERE, the
    database): such an id is never a path. One that could not be a rubric id is refused
    without touching any file, by the same words whatever it names, so a copy cannot
    make the server read, quote or even confirm a file of its choosing. `where` is where
    the id was read (a file, a cell), the location of the problem.
    """
    rubrics = available_rubrics(folder)
    known = ", ".join(sorted({r.id for r in rubrics})) or "none"
    if not is_rubric_id(rubric_id):
        raise ProblemsFound(
            [
                Problem(
                    "bad-slug",
                    where,
                    "the rubric named here is not a rubric id (an id is lower-case letters, "
                    f"digits and '-'); name one of the known rubrics: {known}",
                )
            ]
        )
    same_id = [r for r in rubrics if r.id == rubric_id]
    exact = [r for r in same_id if version is None or r.version == version]
    if exact or same_id:
        # Another version of the same rubric still scores the same ids;
        # `check_study` warns about the version difference.
        return (exact or same_id)[0]
    raise ProblemsFound(
        [
            Problem(
                "rubric-not-found",
                where,
                f"no rubric with id {rubric_id!r}; known ids: {known}. Add its rubric file to "
                "the rubric folder, or name one of the known rubrics",
            )
        ]
    )


def rubric_from_option(path_or_id: str) -> Rubric:
    """The rubric a person named on the command line (`--rubric`): a file path or an id.

    Only here may a rubric be a path: the person running the command chose the file.
    """
    candidate = Path(path_or_id)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
        if not candidate.exists():
            raise ProblemsFound(
                [Problem("rubric-not-found", path_or_id, "no such rubric file; check the path")]
            )
        return load_rubric_file(candidate)
    return rubric_by_id(path_or_id, where="--rubric")


def rubric_of(study: SelfStudy, path_or_id: str | None = None, where: str = "rubric.id") -> Rubric:
    """The rubric named by a `--rubric` option (path or id), else the one the study names.

    `where` is the study's file or name, the location of a problem with the id it names.
    """
    if path_or_id:
        return rubric_from_option(path_or_id)
    return rubric_by_id(study.rubric.id, study.rubric.version, where)
