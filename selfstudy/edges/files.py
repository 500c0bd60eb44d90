"""Reading text files, and writing files whole: to a temporary file beside the target,
then renamed into place.

A failed write (a missing folder, no permission, a full disk) leaves whatever
was at the target as it was and raises `ProblemsFound` with one line saying
what went wrong; nothing is ever half-written.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from selfstudy.core.problems import Problem, ProblemsFound


def _process_umask() -> int:
    """The umask, read once at import (reading it means setting it, which is not thread-safe)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _process_umask()


def read_text(path: Path) -> str:
    """The UTF-8 text of a file; an unreadable or undecodable file is one located problem."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemsFound(
            [Problem("unreadable-file", str(path), f"cannot read the file: {exc}")]
        ) from None


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole, or not at all.

    A link is followed (the file it points to is replaced), and a file that is
    already there keeps its permissions; a new file gets the usual ones.
    """
    path = path.resolve() if path.is_symlink() else path
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise _cannot_write(folder, f"folder {folder} does not exist; create it or choose another")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _cannot_write(folder, f"cannot write in {folder}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise _cannot_write(path, f"cannot write {path}: {exc.strerror or exc}") from None


def _mode_for(path: Path) -> int:
    """The permissions of the file being replaced, else those a new file gets (umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_UMASK


def ensure_folder(folder: Path) -> None:
    """Make `folder` (and its parents) if missing; a file in the way is one located problem."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise _cannot_write(folder, f"{folder} is a file, not a folder; choose a folder") from None
    except OSError as exc:
        raise _cannot_write(folder, f"cannot make {folder}: {exc.strerror or exc}") from None


def write_text_atomically(path: Path, text: str) -> None:
    write_atomically(path, text.encode("utf-8"))


def _cannot_write(where: Path, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("cannot-write", str(where), message)])
