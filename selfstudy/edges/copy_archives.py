"""Sheet copies packed in a .zip file, as an upload brings a cohort's copies: every size bounded.

A .zip is hostile until read. It may declare a million entries, hold members that
inflate to gigabytes, or name them `../../etc/cron.d/x`. So `archive_members` counts
what the archive declares before `zipfile` makes an object of each entry, and bounds:

* the archive: `MAX_ARCHIVE_BYTES` (a workbook's own bound, also the app's upload limit)
  and `MAX_MEMBERS` entries;
* what it unpacks to: `MAX_UNPACKED_BYTES` for all its members as the directory declares
  them, no member over `MAX_FILE_BYTES` (a sheet copy's bound), none over 1 MB unpacking
  to more than `MAX_RATIO` times its packed size (`workbook_limits`' bounds);
* each member as it is read: inflated in memory, never past the size it declares (one
  that holds more, or fails its checksum, is damaged), and never written anywhere: its
  name is only a label for the copy read from it.

A workbook read from a member then passes `workbook_limits.scan_workbook` like any other.
Members are read one at a time, when asked, so an import holds one member's bytes at once.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath

from selfstudy.core.printable import printable
from selfstudy.core.problems import Problem, ProblemsFound, clip
from selfstudy.edges.workbook_limits import (
    MAX_FILE_BYTES,
    MAX_RATIO,
    ZIP_DAMAGE,
    copy_too_large,
)

MAX_ARCHIVE_BYTES = MAX_FILE_BYTES
MAX_MEMBERS = 2_000
MAX_UNPACKED_BYTES = 400 * 2**20
_RATIO_FLOOR = 2**20  # a member this small is never a bomb, whatever its ratio
_DIRECTORY_BYTES = 1_024  # per member: the directory of `MAX_MEMBERS` long names at most
_END = b"PK\x05\x06"
_NAME_WIDTH = 120
_MAC_FOLDER = "__MACOSX/"  # the resource forks macOS's Archive Utility adds


@dataclass(frozen=True)
class Member:
    """One file in the archive: its name as the archive gives it (a label, never a path)."""

    name: str
    read: Callable[[], bytes]  # its bytes, bounded; raises `ProblemsFound` located at `where`
    where: str  # how reports name it: `cohort.zip: p01.xlsx`


def is_archive(name: str) -> bool:
    return name.lower().endswith(".zip")


def archive_members(data: bytes, where: str) -> list[Member]:
    """The files of the .zip `data`, in the archive's order (folders, hidden files and
    macOS's resource forks left out); raises `ProblemsFound` at `where` when the archive is
    not a .zip, is damaged, or is over a bound."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise _too_large(where, f"it is over {MAX_ARCHIVE_BYTES // 2**20} MB")
    if not data.startswith((b"PK\x03\x04", _END)):
        raise _unreadable(where, "it is not a .zip file")
    entries, directory = _declared(data)
    if entries > MAX_MEMBERS or directory > MAX_MEMBERS * _DIRECTORY_BYTES:
        raise _too_large(where, f"it holds over {MAX_MEMBERS:,} files")
    with _reading(where):
        archive = zipfile.ZipFile(io.BytesIO(data))  # in memory: nothing to close
        infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _too_large(where, f"it holds over {MAX_MEMBERS:,} files")
    files = [info for info in infos if not _left_out(info)]
    if sum(info.file_size for info in files) > MAX_UNPACKED_BYTES:
        raise _too_large(where, f"it unpacks to over {MAX_UNPACKED_BYTES // 2**20} MB")
    return [
        Member(_label(info.filename), _reader(archive, info, _in(where, info)), _in(where, info))
        for info in files
    ]


def _declared(data: bytes) -> tuple[int, int]:
    """How many entries the end record declares, and the size of the directory it declares
    (65,535 entries for a Zip64 archive, which may have more)."""
    end = data.rfind(_END, max(0, len(data) - 2**16 - 22))
    if end < 0 or end > len(data) - 22:
        return 0, 0
    entries, size = struct.unpack("<HI", data[end + 10 : end + 16])
    return entries, size


def _left_out(info: zipfile.ZipInfo) -> bool:
    """A folder, a hidden or Office lock file, or a macOS resource fork: never a copy."""
    name = info.filename.replace("\\", "/")
    base = PurePosixPath(name).name
    return info.is_dir() or name.startswith(_MAC_FOLDER) or base.startswith((".", "~$"))


def _reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> Callable[[], bytes]:
    def read() -> bytes:
        if info.flag_bits & 1:
            raise _unreadable(where, "it is locked with a password; unpack it and add it again")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _unreadable(where, "it is packed in a way only some programs read")
        if info.file_size > MAX_FILE_BYTES:
            raise copy_too_large(where, f"it is over {MAX_FILE_BYTES // 2**20} MB")
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * info.compress_size:
            raise copy_too_large(where, "it unpacks to far more than it packs")
        with _reading(where), archive.open(info) as member:
            contents = member.read(info.file_size + 1)
        if len(contents) != info.file_size:
            raise _unreadable(where, "it is damaged")
        return contents

    return read


def _label(name: str) -> str:
    """A member's name as a report shows it: on one line, not too long."""
    return clip(printable(name), _NAME_WIDTH)


def _in(where: str, info: zipfile.ZipInfo) -> str:
    return f"{where}: {_label(info.filename)}"


def _too_large(where: str, why: str) -> ProblemsFound:
    return ProblemsFound(
        [
            Problem(
                "file-too-large",
                where,
                f"this is too large to import: {why}. A .zip of sheet copies holds at most "
                f"{MAX_MEMBERS:,} copies and {MAX_ARCHIVE_BYTES // 2**20} MB; split it into "
                "several and import each",
            )
        ]
    )


@contextmanager
def _reading(where: str) -> Iterator[None]:
    """What a damaged zip, or one packed in a way Python cannot read, raises while it is
    read: a problem of `where`."""
    try:
        yield
    except ZIP_DAMAGE:
        raise _unreadable(where, "it is damaged") from None
    except NotImplementedError:
        raise _unreadable(where, "it is packed in a way only some programs read") from None


def _unreadable(where: str, why: str) -> ProblemsFound:
    return ProblemsFound(
        [Problem("unreadable-file", where, f"cannot read this: {why}; pack the copies again")]
    )
