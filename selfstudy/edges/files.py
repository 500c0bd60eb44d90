"""Reading text files, and writing files whole: to a temporary file beside the target,
then renamed into place.

Only regular files are read or written: a folder, a device (a terminal,
/dev/null), a named pipe or a socket at the path is refused in one line naming
it, before anything is read or written, so a read never waits (on a pipe, a
terminal) and a write never replaces a device with a file. A link is followed
to the file it leads to.

A failed write (a missing folder, no permission, a full disk) leaves whatever
was at the target as it was and raises `ProblemsFound` with one line saying
what went wrong; nothing is ever half-written. Several files that belong
together (the tabs of a CSV copy, the studies of one import) are written as
one: every file goes to its temporary first, and only when all are written
are they renamed into place, so a failure leaves every old file as it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from selfstudy.core.problems import Problem, ProblemsFound


def _process_umask() -> int:
    """The umask, read once at import (reading it means setting it, which is not thread-safe)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _process_umask()


class NotAFile(OSError):
    """What is at a path is not a regular file (a folder, a device, a pipe, a socket)."""

    def __init__(self, path: Path | str, what: str):
        super().__init__(errno.EINVAL, f"this is {what}, not a file", str(path))
        self.what = what


def read_bytes(path: Path, limit: int | None) -> bytes | None:
    """The bytes of a regular file, None when it holds more than `limit`; raises `OSError`
    (`NotAFile` for anything else at the path: reading a pipe or a terminal waits).

    No more than `limit` + 1 bytes are read, whatever the file says of its size: a
    growing file says less than it holds. The file is opened without waiting (a pipe put
    there after the check would wait for a writer) and checked again once open.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotAFile(path, _what_is_at(path))
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with open(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise NotAFile(path, _what_is_at(path))
        os.set_blocking(handle, True)
        data = file.read(-1 if limit is None else limit + 1)
    return data if limit is None or len(data) <= limit else None


def read_text(path: Path, limit: int | None = None, what: str = "what it should be") -> str:
    """The UTF-8 text of a file; an unreadable or undecodable file is one located problem.

    A byte order mark at its start (Notepad writes one) is not part of the text; line
    ends are read as text mode reads them. A file larger than `limit` bytes is read no
    further: it is too large to be `what`.
    """
    try:
        data = read_bytes(path, limit)
        if data is None:
            raise ProblemsFound([_too_large(path, limit or 0, what)])
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemsFound([unreadable(path, exc)]) from None


def unreadable(path: Path | str, exc: OSError | UnicodeDecodeError) -> Problem:
    """The problem of a file that cannot be read, in the words of the system."""
    if isinstance(exc, NotAFile):
        message = f"this is {exc.what}, not a file, so it is not read; give the name of a file"
        return Problem("unreadable-file", str(path), message)
    return Problem("unreadable-file", str(path), f"cannot read the file: {_reason(exc)}")


def _too_large(where: str | Path, limit: int, what: str) -> Problem:
    """The problem of a file larger than `what` can be (`limit` bytes)."""
    return Problem(
        "file-too-large",
        str(where),
        f"this file is too large to be {what} (at most {limit // 2**20} MB); check that it "
        "is the right file",
    )


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole, or not at all.

    A link is followed (the file it points to is replaced), and a file that is
    already there keeps its permissions; a new file gets the usual ones. Anything at
    `path` that is not a file (a folder, a device such as /dev/null, a named pipe, a
    socket, a loop of links) is refused, and left as it was.
    """
    write_all_atomically({path: data})


def write_all_atomically(files: Mapping[Path, bytes]) -> None:
    """Write every file whole, or none of them: each as `write_atomically` does.

    All are written to temporaries first; a failure there (a full disk) leaves
    every old file as it was. Then each is renamed into place; should a rename
    fail, the files already replaced get their old contents back.
    """
    targets = {_target(path): data for path, data in files.items()}
    temporaries: dict[Path, Path] = {}
    try:
        for path, data in targets.items():
            temporaries[path] = _temporary_copy(path, data)
        _rename_all(temporaries)
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)


def _target(path: Path) -> Path:
    """The file that writing `path` replaces: `path`, or the file a link there leads to.

    Nothing there yet (or a link to nothing) is a new file. Raises `ProblemsFound` when
    what is there is not a file, or a file stands where a folder of the path should be
    (a missing folder is named when the temporary file is made).
    """
    try:
        is_file = stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        is_file = True  # nothing there yet, or a link to nothing: a new file
    except OSError as exc:
        if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
            raise _cannot_write(path, f"cannot write {path}: {_reason(exc)}") from None
        is_file = False
    if is_file:
        return Path(os.path.realpath(path)) if path.is_symlink() else path
    if (part := _in_the_way(path)) != path:
        raise _not_a_folder(part)
    message = f"this is {_what_is_at(path)}, not a file, and is left as it is; name a file to write"
    raise _cannot_write(path, message)


def _temporary_copy(path: Path, data: bytes) -> Path:
    """`data` in a new temporary file beside `path`, with the permissions `path` will have."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise _cannot_write(folder, "this folder does not exist; create it or choose another")
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _cannot_write(folder, f"cannot write in {folder}: {_reason(exc)}") from None
    temporary = Path(name)
    try:
        try:
            rest = memoryview(data)
            while rest:
                rest = rest[os.write(handle, rest) :]
            os.fsync(handle)  # on disk before the rename, so a power cut cannot empty the file
        finally:
            os.close(handle)
        os.chmod(temporary, _mode_for(path))
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        message = f"cannot write {path}: {_reason(exc)}; it was left as it was"
        raise _cannot_write(path, message) from None
    return temporary


def _rename_all(temporaries: dict[Path, Path]) -> None:
    """Rename each temporary onto its target; on a failure, put back what was replaced.

    With several files, each file being replaced is first renamed aside (beside
    its temporary), so that putting it back is a rename too, which a full disk
    does not stop. One file is replaced by one rename, which is whole or not at all.
    """
    done: list[tuple[Path, Path | None]] = []  # (target, where its old file waits)
    try:
        for path, temporary in temporaries.items():
            aside = None
            if len(temporaries) > 1 and path.exists():
                aside = temporary.with_suffix(".old")
                os.replace(path, aside)
            done.append((path, aside))
            os.replace(temporary, path)
    except OSError as exc:
        for target, aside in reversed(done):
            with contextlib.suppress(OSError):
                if aside is not None:
                    os.replace(aside, target)
                elif not temporaries[target].exists():  # renamed into place: a new file
                    target.unlink()
        message = f"cannot write {path}: {_reason(exc)}; nothing was changed"
        raise _cannot_write(path, message) from None
    for _, aside in done:
        if aside is not None:
            aside.unlink(missing_ok=True)


def _mode_for(path: Path) -> int:
    """The permissions of the file being replaced, else those a new file gets (umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_UMASK


def ensure_folder(folder: Path) -> None:
    """Make `folder` (and its parents) if missing; anything in the way (a file, a device, a
    loop of links, at the folder or above it) is one problem naming it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTDIR, errno.ELOOP):
            raise _not_a_folder(_in_the_way(folder)) from None
        raise _cannot_write(folder, f"cannot make {folder}: {_reason(exc)}") from None


def _in_the_way(folder: Path) -> Path:
    """The first part of `folder`, from the top, that is there but is not a folder."""
    for part in [*reversed(folder.parents), folder]:
        if os.path.lexists(part) and not part.is_dir():
            return part
    return folder


_KINDS = (
    (stat.S_ISREG, "a file"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device (such as a terminal or /dev/null)"),
    (stat.S_ISBLK, "a device (a disk)"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def _what_is_at(path: Path | str) -> str:
    """What is at `path`, in words: `a folder`, `a link to a named pipe`, `nothing`."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a link that leads back to itself (a loop of links)"
        return "a link to nothing" if os.path.islink(path) else "nothing that can be reached"
    kind = next((word for test, word in _KINDS if test(info.st_mode)), "a special entry")
    return f"a link to {kind}" if os.path.islink(path) else kind


def _not_a_folder(part: Path) -> ProblemsFound:
    return _cannot_write(part, f"this is {_what_is_at(part)}, not a folder; choose a folder")


def _reason(exc: OSError | UnicodeDecodeError) -> str:
    """What went wrong, in the words of the system (`No space left on device`)."""
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text; save it again as UTF-8"
    if exc.errno == errno.ELOOP:
        return "a link on its way leads back to itself (a loop of links)"
    return exc.strerror or type(exc).__name__


def _cannot_write(where: Path, message: str) -> ProblemsFound:
    return ProblemsFound([Problem("cannot-write", str(where), message)])
