"""What a workbook file may be before any parser opens it: every size bounded.

python-calamine reads a whole tab into memory, sized by its farthest cell, and
a shared or repeated text once for every cell that shows it; when that does not
fit it aborts the process: no exception, the server is gone. A 5 kB .xlsx with
one cell at XFD1048576 asks for 512 GB; a 3 MB file whose sheet inflates to
gigabytes, 500 kB whose 260,000 cells all show one 29,000-character shared
string, or 3 kB naming one sheet as 300 tabs (each read again) do the same. So
`scan_workbook` reads the file first, bounding:

* the file: `MAX_FILE_BYTES` (also the app's upload limit, in .streamlit/config.toml);
* what it unpacks to: `MAX_UNPACKED_BYTES` in all, no part more than `MAX_RATIO`
  times its packed size, as the zip directory declares; each part is inflated
  here, never past its declared size (a part holding more is damaged); two parts
  whose names differ only in case (or `\\` for `/`), which calamine cannot tell
  apart, make a damaged file;
* how many tabs it has: `MAX_TABS`;
* how far a tab reaches: `MAX_ROWS` rows and `MAX_COLUMNS` columns, counted
  to its farthest cell that holds anything, at least as far as calamine counts,
  and `MAX_CELLS` for all tabs together (each read as a full grid, a sheet once
  for each tab that names it);
* the text all cells stand for: `MAX_TEXT_BYTES`, a shared string once for each
  cell that shows it, a repeated OpenDocument cell once for each repeat, a sheet
  once for each tab that names it.

`workbook_xml` measures each part as calamine reads it; here the parts are
found as calamine finds them (names compared in ASCII lower case), the tabs
followed to the sheets they read, and the measures added up.

Only Office Open XML (.xlsx, .xlsm) and OpenDocument (.ods) workbooks pass: an
old binary .xls file or an .xlsb has its parser size memory by numbers written
in the file, which no check short of parsing the whole format could bound.

The scan also notes each formula cell of an .xlsx, which import does not read.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.sheetcopy.vocabulary import MAX_COLUMNS, MAX_ROWS, MAX_TABS
from selfstudy.edges import workbook_xml
from selfstudy.edges.files import read_bytes, unreadable
from selfstudy.edges.workbook_xml import SharedStrings, TooLarge

MAX_FILE_BYTES = 20 * 2**20
MAX_UNPACKED_BYTES = 100 * 2**20
MAX_TEXT_BYTES = 100 * 2**20  # all cells together, a text counted once for each cell showing it
MAX_RATIO = 100  # for parts over 1 MB unpacked; XML packs about 10:1
MAX_CELLS = MAX_ROWS * MAX_COLUMNS  # all tabs together
MAX_PARTS = 10_000

_RATIO_FLOOR = 2**20
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # how Excel keeps an .xlsx it locks
_MANIFEST = "META-INF/manifest.xml"  # an OpenDocument file's list of parts
_BINARY_WORKBOOK = ("xl/workbook.bin", "xl/_rels/workbook.bin.rels")
_SAVE_AGAIN = "save it again as .xlsx (Excel Workbook) and retry"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

Formulas = dict[str, dict[tuple[int, int], str]]  # tab -> (row, column) from 1 -> formula


# What reading a damaged zip raises, from the zip's directory to a member's inflating.
ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, struct.error, ValueError, EOFError, OSError)


def scan_workbook(data: bytes, where: str) -> Formulas:
    """Raise `ProblemsFound` unless `data` is a workbook within every bound; its formulas."""
    if len(data) > MAX_FILE_BYTES:
        raise copy_too_large(where, f"it is over {MAX_FILE_BYTES // 2**20} MB")
    if data.startswith(_OLE):
        raise _old_or_locked(data, where)
    if not data.startswith(_ZIP):
        raise _unreadable(where, "it is not an Excel (.xlsx) or OpenDocument (.ods) workbook")
    if _declared_parts(data) > MAX_PARTS:  # before `zipfile` makes an object of each
        raise copy_too_large(where, f"it holds over {MAX_PARTS:,} parts")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [part for part in archive.infolist() if not part.is_dir()]
        _check_directory(parts, where)
        book = _Book(part.filename for part in parts)
        for part in sorted(parts, key=_reading_order):
            contents = _inflate(data, part)
            if part.filename == _MANIFEST and b"encryption-data" in contents:
                raise _locked(where)  # an OpenDocument file locked with a password
            book.read(part.filename, contents)
        return book.check()
    except TooLarge as exc:
        raise copy_too_large(where, str(exc)) from None
    except ZIP_DAMAGE:
        raise _unreadable(where, "it is damaged") from None  # `Damaged` is a ValueError
    except NotImplementedError:
        raise _unreadable(where, "it is packed in a way only some programs read") from None


def _old_or_locked(data: bytes, where: str) -> ProblemsFound:
    """An OLE file: a workbook Excel locked with a password, or an old .xls workbook."""
    if _ENCRYPTED_PACKAGE in data:
        return _locked(where)
    return ProblemsFound(
        [
            Problem(
                "unreadable-file",
                where,
                "this is an Excel 97-2003 workbook (.xls), which is not read; open it in "
                "Excel or LibreOffice and save it as an Excel Workbook (.xlsx)",
            )
        ]
    )


def _declared_parts(data: bytes) -> int:
    """How many parts the zip's end record declares (65,535 for a Zip64 file, which has more)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 2**16 - 22))
    return struct.unpack("<H", data[end + 10 : end + 12])[0] if 0 <= end <= len(data) - 22 else 0


def _check_directory(parts: list[zipfile.ZipInfo], where: str) -> None:
    """What the zip directory says: parts, their names, sizes and packing ratios."""
    names = [_folded(part.filename) for part in parts]
    if any(name in _BINARY_WORKBOOK for name in names):
        raise _unreadable(where, "it is a binary workbook (.xlsb), which is not read")
    if len(parts) > MAX_PARTS:
        raise copy_too_large(where, f"it holds over {MAX_PARTS:,} parts")
    if len(set(names)) < len(names):  # calamine would read one of them, Excel neither
        raise _unreadable(where, "it is damaged: it holds two parts of the same name")
    if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
        raise copy_too_large(where, f"it unpacks to over {MAX_UNPACKED_BYTES // 2**20} MB")
    for part in parts:
        if part.file_size > _RATIO_FLOOR and part.file_size > MAX_RATIO * part.compress_size:
            raise copy_too_large(where, "a part of it unpacks to far more than it packs")
        if part.flag_bits & 1:
            raise _locked(where)
        if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _unreadable(where, "it is packed in a way only some programs read")


def _inflate(data: bytes, part: zipfile.ZipInfo) -> bytes:
    """The part's contents, inflated here and never past the size the directory declares
    (which `_check_directory` bounds): a part that holds more is damaged."""
    header = data[part.header_offset : part.header_offset + 30]
    if len(header) < 30 or not header.startswith(_ZIP[0]):
        raise zipfile.BadZipFile
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = part.header_offset + 30 + name_length + extra_length
    packed = data[start : start + part.compress_size]
    if part.compress_type == zipfile.ZIP_STORED:
        contents = packed
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        contents = inflater.decompress(packed, part.file_size + 1)
    if len(contents) != part.file_size:
        raise zipfile.BadZipFile
    return contents


def _folded(name: str) -> str:
    """A part's name as calamine compares it: `\\` as `/`, ASCII letters in lower case."""
    return name.replace("\\", "/").translate(_ASCII_LOWER)


def _reading_order(part: zipfile.ZipInfo) -> tuple[bool, bool]:
    """The manifest first (a locked OpenDocument file says so there, its other parts being
    unreadable), then the shared strings (which sheets show), then the rest."""
    return part.filename != _MANIFEST, not _holds_shared_strings(part.filename)


def _holds_shared_strings(name: str) -> bool:
    """A part calamine may read as the shared strings (`<workbook folder>sharedStrings.xml`)."""
    return _folded(name).endswith("sharedstrings.xml")


class _Book:
    """The measures of a workbook's parts, and the tabs that read its sheets.

    Parts are read shared strings first, so that a sheet can count the strings its
    cells show. A part is read as each kind it may be, whatever its name (a sheet is
    a part with `sheetData`); `check` then follows the tabs to their sheets and adds
    the measures up, a sheet once for each tab that names it.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.names = set(names)
        self.by_folded = {_folded(name): name for name in self.names}
        self.strings = SharedStrings()
        self.sheets: dict[str, workbook_xml.SheetScan] = {}
        self.naming: dict[str, workbook_xml.TabNames] = {}
        self.tables: list[workbook_xml.Table] = []

    def read(self, name: str, contents: bytes) -> None:
        shared = _holds_shared_strings(name)
        sheet = b"sheetData" in contents
        naming = workbook_xml.names_tabs(contents)
        tables = name == "content.xml"  # calamine reads an OpenDocument's from there
        if not (shared or sheet or naming or tables):
            return
        worksheet = workbook_xml.visible_sheet(contents) if sheet else None
        shown = worksheet.shown if worksheet else workbook_xml.visible(contents)
        if shared:
            self.strings = self.strings.merged(workbook_xml.shared_strings(shown, MAX_CELLS))
        if worksheet:
            self.sheets[name] = workbook_xml.scan_sheet(worksheet, self.strings)
        if naming:
            self.naming[name] = workbook_xml.tab_names(shown)
        if tables:
            self.tables += workbook_xml.ods_tables(shown)

    def find(self, path: str) -> str | None:
        """The part calamine opens for `path`: its name in any case, else exactly as given."""
        return self.by_folded.get(
            path.translate(_ASCII_LOWER), path if path in self.names else None
        )

    def check(self) -> Formulas:
        """Raise `TooLarge` unless the tabs, their cells and their text are within bounds;
        the formulas of each tab."""
        reads: Counter[str] = Counter()
        formulas: Formulas = {}
        tabs = len(self.tables)
        for name, naming in self.naming.items():
            tabs += len(naming.tabs)
            folder, _, base = name.replace("\\", "/").rpartition("/")
            folder += "/" if folder else ""
            relations = self.naming.get(self.find(f"{folder}_rels/{base}.rels") or "")
            for title, relation in naming.tabs:
                target = relations.targets.get(relation) if relations else None
                part = target and self.find(target[1:] if target[:1] == "/" else folder + target)
                if part:
                    reads[part] += 1
                    if part in self.sheets and self.sheets[part].formulas:
                        formulas.setdefault(title, self.sheets[part].formulas)
        if tabs > MAX_TABS:
            raise TooLarge(f"it has over {MAX_TABS} tabs")
        read = [(sheet, max(reads[name], 1)) for name, sheet in self.sheets.items()]
        cells = sum(s.rows * s.columns * n for s, n in read) + sum(
            t.rows * t.columns for t in self.tables
        )
        if cells > MAX_CELLS:
            raise TooLarge(f"its tabs span over {MAX_CELLS:,} cells")
        if sum(s.text * n for s, n in read) + sum(t.text for t in self.tables) > MAX_TEXT_BYTES:
            raise TooLarge(f"its cells hold over {MAX_TEXT_BYTES // 2**20} MB of text")
        return formulas


def bounded_bytes(source: Path | bytes | IO[bytes], where: str) -> bytes:
    """The bytes of a copy's file, none read past `MAX_FILE_BYTES` (a larger one is refused
    as soon as the bound is passed, whatever the file says of its size)."""
    try:
        if isinstance(source, Path):
            data = read_bytes(source, MAX_FILE_BYTES)
        else:
            data = source if isinstance(source, bytes) else source.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ProblemsFound([unreadable(where, exc)]) from None
    if data is None or len(data) > MAX_FILE_BYTES:
        raise copy_too_large(where, f"it is over {MAX_FILE_BYTES // 2**20} MB")
    return data


def copy_too_large(where: str, why: str) -> ProblemsFound:
    return ProblemsFound(
        [
            Problem(
                "file-too-large",
                where,
                f"this is too large to be a sheet copy: {why}. A sheet copy has a few "
                f"hundred rows (at most {MAX_ROWS:,} rows and {MAX_COLUMNS} columns a tab, "
                f"{MAX_FILE_BYTES // 2**20} MB in all); check that it is the right file",
            )
        ]
    )


def _unreadable(where: str, why: str) -> ProblemsFound:
    return ProblemsFound(
        [Problem("unreadable-file", where, f"cannot read this workbook: {why}; {_SAVE_AGAIN}")]
    )


def _locked(where: str) -> ProblemsFound:
    return ProblemsFound(
        [
            Problem(
                "unreadable-file",
                where,
                "cannot read this workbook: it is locked with a password; open it in Excel or "
                "LibreOffice, remove the password and save it again as .xlsx, then retry",
            )
        ]
    )
