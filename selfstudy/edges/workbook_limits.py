"""What a workbook file may be before any parser opens it: every size bounded.

python-calamine reads a whole tab into memory, sized by its farthest cell, and
when that does not fit it aborts the process: no exception, the server is gone.
A 5 kB .xlsx with one cell at XFD1048576 asks for 512 GB; a 3 MB file whose
sheet inflates to gigabytes, or whose shared-strings table claims a trillion
strings, does the same. So `scan_workbook` reads the file first, bounding:

* the file: `MAX_FILE_BYTES` (also the app's upload limit, in .streamlit/config.toml);
* what it unpacks to: `MAX_UNPACKED_BYTES` in all, no part more than `MAX_RATIO`
  times its packed size, as the zip directory declares; each part is inflated
  here, never past its declared size (a part holding more is damaged);
* how far a tab reaches: `MAX_ROWS` rows and `MAX_COLUMNS` columns, counted
  to its farthest cell that holds anything, at least as far as calamine counts,
  and `MAX_CELLS` for all tabs together (each is read as a full grid);
* how many strings the shared-strings table declares.

Tags are found with a pattern rather than an XML parser, because calamine's
reader goes on where a strict parser would stop; the pattern finds every tag
it could see (and, in comments, a few more), so the count errs high, never low.

Only Office Open XML (.xlsx, .xlsm) and OpenDocument (.ods) workbooks pass: an
old binary .xls file or an .xlsb has its parser size memory by numbers written
in the file, which no check short of parsing the whole format could bound.

The scan also notes each formula cell of an .xlsx, which import does not read.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.core.sheetcopy.vocabulary import MAX_COLUMNS, MAX_ROWS, column_letter
from selfstudy.edges.files import read_bytes, unreadable

MAX_FILE_BYTES = 20 * 2**20
MAX_UNPACKED_BYTES = 100 * 2**20
MAX_RATIO = 100  # for parts over 1 MB unpacked; XML packs about 10:1
MAX_CELLS = MAX_ROWS * MAX_COLUMNS  # all tabs together
MAX_PARTS = 10_000

_RATIO_FLOOR = 2**20
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ATTRIBUTES = rb"(?:[^<>\"']|\"[^\"]*\"|'[^']*')*"  # quoted values may hold < and >
_TAG = re.compile(
    rb"<(?P<closing>/?)(?P<name>[^\s<>/!?=\"']+)(?P<attributes>" + _ATTRIBUTES + rb")>"
)
_PREFIX = rb"(?:[^\s<>/!?=\"':]*:)?"  # calamine compares names without it
_CELL_TAG = re.compile(  # a cell's start tag, and a formula tag right inside it, if any
    rb"<"
    + _PREFIX
    + rb"c(?=[\s/>])(?P<attributes>"
    + _ATTRIBUTES
    + rb")>(?:\s*(?P<formula><"
    + _PREFIX
    + rb"f(?=[\s/>])[^<>]*>)(?P<text>[^<]{0,200}))?"
)
_NAMING_TAG = re.compile(  # the shared strings, and the tabs and parts a workbook names
    rb"<"
    + _PREFIX
    + rb"(?P<name>sst|sheet|Relationship)(?=[\s/>])(?P<attributes>"
    + _ATTRIBUTES
    + rb")>"
)
_KEY_VALUE = rb"\s+(?!r\s*=)[^\s=<>\"'/]+\s*=\s*(?:\"[^\"]*\"|'[^']*')"  # any but `r`
_PLACED = re.compile(  # a cell's attributes that name its place once, as calamine reads them
    b"(?:" + _KEY_VALUE + rb")*\s+r\s*=\s*(?P<quote>[\"'])(?P<column>[A-Za-z]+)(?P<row>[0-9]+)"
    rb"(?P=quote)(?:" + _KEY_VALUE + rb")*\s*/?"
)
_ATTRIBUTE = re.compile(rb"([^\s=\"'/]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CELL_REF = re.compile(rb"([A-Za-z]*)([0-9]+)")
_COUNT = re.compile(rb"\+?[0-9]+")

Formulas = dict[str, dict[tuple[int, int], str]]  # tab -> (row, column) from 1 -> formula


def scan_workbook(data: bytes, where: str) -> Formulas:
    """Raise `ProblemsFound` unless `data` is a workbook within every bound; its formulas."""
    if len(data) > MAX_FILE_BYTES:
        raise copy_too_large(where, f"it is over {MAX_FILE_BYTES // 2**20} MB")
    if data.startswith(_OLE):
        raise ProblemsFound(
            [
                Problem(
                    "unreadable-file",
                    where,
                    "this is an Excel 97-2003 workbook (.xls), which is not read; open it in "
                    "Excel or LibreOffice and save it as an Excel Workbook (.xlsx)",
                )
            ]
        )
    if not data.startswith(_ZIP):
        raise _unreadable(where, "it is not an Excel (.xlsx) or OpenDocument (.ods) workbook")
    if _declared_parts(data) > MAX_PARTS:  # before `zipfile` makes an object of each
        raise copy_too_large(where, f"it holds over {MAX_PARTS:,} parts")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [part for part in archive.infolist() if not part.is_dir()]
        _check_directory(parts, where)
        scans: dict[str, _PartScan] = {}
        reach = _Reach(where)
        for part in parts:
            contents = _inflate(data, part)
            scans[part.filename] = _scan_ooxml(contents, reach)
            if posixpath.basename(part.filename) == "content.xml":
                _scan_ods(contents, reach)
    except (zipfile.BadZipFile, zlib.error, struct.error, ValueError, EOFError, OSError):
        raise _unreadable(where, "it is damaged") from None
    except NotImplementedError:
        raise _unreadable(where, "it is packed in a way only some programs read") from None
    return _formulas_by_tab(scans)


def _declared_parts(data: bytes) -> int:
    """How many parts the zip's end record declares (65,535 for a Zip64 file, which has more)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 2**16 - 22))
    return struct.unpack("<H", data[end + 10 : end + 12])[0] if 0 <= end <= len(data) - 22 else 0


def _check_directory(parts: list[zipfile.ZipInfo], where: str) -> None:
    """What the zip directory says: parts, their sizes and packing ratios."""
    if any(part.filename.lower() == "xl/workbook.bin" for part in parts):
        raise _unreadable(where, "it is a binary workbook (.xlsb), which is not read")
    if len(parts) > MAX_PARTS:
        raise copy_too_large(where, f"it holds over {MAX_PARTS:,} parts")
    if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
        raise copy_too_large(where, f"it unpacks to over {MAX_UNPACKED_BYTES // 2**20} MB")
    for part in parts:
        if part.file_size > _RATIO_FLOOR and part.file_size > MAX_RATIO * part.compress_size:
            raise copy_too_large(where, "a part of it unpacks to far more than it packs")
        if part.flag_bits & 1:
            raise _unreadable(where, "it is encrypted; save it again without a password")
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


@dataclass
class _PartScan:
    """What the tags of one part name: formulas, and the tabs or parts it points to."""

    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    tabs: dict[bytes, str] = field(default_factory=dict)  # a workbook: relation id -> tab
    targets: dict[bytes, str] = field(default_factory=dict)  # a .rels part: id -> part name


class _Reach:
    """How far the cells of each tab reach: within `MAX_ROWS` by `MAX_COLUMNS`, and
    `MAX_CELLS` for all tabs, each counted as the grid from A1 to its farthest cell."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.before = 0  # cells of the tabs done
        self.rows = self.columns = 0  # the grid of the tab being read

    def new_tab(self) -> None:
        self.before += self.rows * self.columns
        self.rows = self.columns = 0

    def fits(self, row: int, column: int) -> bool:
        """Whether a cell at `row` and `column` (from 0) keeps every bound."""
        rows, columns = max(self.rows, row + 1), max(self.columns, column + 1)
        return row < MAX_ROWS and column < MAX_COLUMNS and self.before + rows * columns <= MAX_CELLS

    def cell(self, row: int, column: int) -> None:
        """A cell that holds something, at `row` and `column` (from 0)."""
        if row >= MAX_ROWS or column >= MAX_COLUMNS:
            reach = f"{column_letter(min(column, 10**6) + 1)}{row + 1}"
            raise copy_too_large(self.where, f"a tab reaches cell {reach}")
        self.rows, self.columns = max(self.rows, row + 1), max(self.columns, column + 1)
        if self.before + self.rows * self.columns > MAX_CELLS:
            raise copy_too_large(self.where, f"its tabs span over {MAX_CELLS:,} cells")


def _scan_ooxml(contents: bytes, reach: _Reach) -> _PartScan:
    """What an Office Open XML part holds that matters before calamine reads it.

    A part with a `sheetData` tag may be a worksheet: how far its cells reach is
    checked, first from the places cells name (`r`, empty cells too: a bound from
    above, and quick), and only when that is too far, or some cell names no
    place, cell by cell as calamine places them (`_check_cells`).
    """
    scan = _PartScan()
    reach.new_tab()
    if b"sheetData" in contents:
        cells = _CELL_TAG.findall(contents)
        places = [_PLACED.fullmatch(attributes) for attributes, _, _ in cells]
        farthest = _farthest(places)
        if farthest is not None and reach.fits(*farthest):
            reach.cell(*farthest)
        else:
            _check_cells(contents, reach)
        for (attributes, formula, text), place in zip(cells, places, strict=True):
            if formula and place and not attributes.endswith(b"/"):
                where = (int(place["row"]), _column_number(place["column"]) + 1)
                scan.formulas[where] = _formula_text(text, formula.endswith(b"/>"))
    for tag in _NAMING_TAG.finditer(contents):
        values = _attributes(tag["attributes"])
        if tag["name"] == b"sst":
            _check_strings(values, reach.where)
        elif tag["name"] == b"sheet":
            ids = [v for k, vs in values.items() if k.endswith(b":id") for v in vs]
            if ids and b"name" in values:
                scan.tabs[ids[0]] = _text(values[b"name"][0])
        elif b"Id" in values and b"Target" in values:
            scan.targets[values[b"Id"][0]] = _text(values[b"Target"][0])
    return scan


def _farthest(places: list[re.Match[bytes] | None]) -> tuple[int, int] | None:
    """The farthest row and column that the cells of a part name (`_PLACED`); None when
    there is no cell, or one that does not name its place once in plain attributes."""
    if not places or None in places:
        return None
    row = max(int(place["row"]) for place in places if place)
    letters = max((place["column"].upper() for place in places if place), key=_column_order)
    return row - 1, _column_number(letters)


def _column_order(letters: bytes) -> tuple[int, bytes]:
    return len(letters), letters


def _check_cells(contents: bytes, reach: _Reach) -> None:
    """Check how far the cells of a worksheet reach, placing each as calamine does.

    Cells (`c`) and rows are matched by local name, as calamine matches them; a
    cell's `r` places it, else it follows the cell before; a row's `r` sets the
    row, else it follows the row before. A cell counts when any tag is inside it.
    """
    row = column = 0  # where the next cell goes, from 0
    cell: tuple[int, int] | None = None  # the open cell, until a tag inside it counts it
    open_cell = False
    for tag in _TAG.finditer(contents):
        closing, local = tag["closing"], tag["name"].split(b":", 1)[-1]
        if open_cell:
            if not closing and cell is not None:
                reach.cell(*cell)
                cell = None
            elif closing and local == b"c":
                open_cell, column = False, column + 1
            continue
        if closing:
            if local == b"row":
                row, column = row + 1, 0
            continue
        empty = tag["attributes"].endswith(b"/")  # calamine reads <c/> as <c></c>
        if local == b"row":
            places = [_cell_ref(p, column=False) for p in _places(tag["attributes"])]
            row = max((r for r, _ in filter(None, places)), default=row)
            if empty:
                row, column = row + 1, 0
        elif local == b"c":
            places = list(filter(None, map(_cell_ref, _places(tag["attributes"]))))
            if places:
                column = max(c for _, c in places)
            cell = (max(r for r, _ in places), column) if places else (row, column)
            open_cell = not empty
            if empty:
                column += 1


def _scan_ods(contents: bytes, reach: _Reach) -> None:
    """Check how far the cells of an OpenDocument spreadsheet reach, repeats included.

    Names are matched whole (`table:table-row`), as calamine matches them. A cell
    with a value type, a formula or anything inside counts, repeated across
    `number-columns-repeated` columns and its row's `number-rows-repeated` rows.
    """
    depth = row = column = 0
    rows_repeated = 1
    cell: list[int] | None = None  # the open cell: column, columns repeated, counts
    for tag in _TAG.finditer(contents):
        closing, name, attributes = tag.groups()
        empty = attributes.endswith(b"/")
        values = {} if closing else _attributes(attributes)
        if name == b"table:table":
            depth += -1 if closing else 0 if empty else 1
            if not closing and depth <= 1:
                row = 0
                reach.new_tab()
        elif name == b"table:table-row":
            if not closing:
                rows_repeated, column = _repeats(values, b"table:number-rows-repeated"), 0
            if closing or empty:
                row += rows_repeated
        elif name in (b"table:table-cell", b"table:covered-table-cell"):
            if not closing:
                counts = b"office:value-type" in values or b"table:formula" in values
                cell = [column, _repeats(values, b"table:number-columns-repeated"), counts]
            if (closing or empty) and cell is not None:
                if cell[2]:
                    reach.cell(row + rows_repeated - 1, cell[0] + cell[1] - 1)
                column, cell = cell[0] + cell[1], None
        elif cell is not None and not closing:
            cell[2] = True


def _places(attributes: bytes) -> list[bytes]:
    """The values of every `r` among a tag's attributes (a name given twice gives two)."""
    return _attributes(attributes).get(b"r", [])


def _attributes(text: bytes) -> dict[bytes, list[bytes]]:
    """Each attribute's values (a name given twice has two)."""
    found: dict[bytes, list[bytes]] = {}
    for match in _ATTRIBUTE.finditer(text):
        found.setdefault(match[1], []).append(match[2] if match[2] is not None else match[3])
    return found


def _cell_ref(value: bytes, column: bool = True) -> tuple[int, int] | None:
    """`XFD7` as (row, column) from 0; a row's `r` (`7`) has no column. None if unreadable."""
    match = _CELL_REF.fullmatch(value)
    if match is None or (column and not match[1]) or int(match[2]) == 0:
        return None
    return int(match[2]) - 1, _column_number(match[1])


def _column_number(letters: bytes) -> int:
    """`A` as 0, `XFD` as 16383; -1 for none."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number - 1


def _repeats(values: dict[bytes, list[bytes]], name: bytes) -> int:
    counts = [int(v) for v in values.get(name, []) if _COUNT.fullmatch(v)]
    return max(counts, default=1)


def _check_strings(values: dict[bytes, list[bytes]], where: str) -> None:
    """A shared-strings table that claims more strings than a copy has cells."""
    for name in (b"count", b"uniqueCount"):
        if _repeats(values, name) > MAX_CELLS:
            raise copy_too_large(where, "it claims more texts than a sheet copy has cells")


def _text(value: bytes) -> str:
    return html.unescape(value.decode("utf-8", errors="replace"))


def _formula_text(text: bytes, empty: bool) -> str:
    """A formula as a person types it (`=A1`); empty when the tag holds none (shared)."""
    formula = "" if empty else _text(text).strip()
    return "=" + formula if formula and not formula.startswith("=") else formula


def _formulas_by_tab(scans: dict[str, _PartScan]) -> Formulas:
    """Formula cells by the title of their tab, following workbook.xml and its relations."""
    found: Formulas = {}
    for name, scan in scans.items():
        if not scan.tabs:
            continue
        folder, base = posixpath.split(name)
        relations = scans.get(posixpath.join(folder, "_rels", base + ".rels"))
        for relation, title in scan.tabs.items():
            target = relations.targets.get(relation) if relations else None
            if target is None:
                continue
            part = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            sheet = scans.get(posixpath.normpath(part))
            if sheet is not None and sheet.formulas:
                found[title] = sheet.formulas
    return found


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
        [
            Problem(
                "unreadable-file",
                where,
                f"cannot read this workbook: {why}; save it again as .xlsx (Excel Workbook) "
                "and retry",
            )
        ]
    )
