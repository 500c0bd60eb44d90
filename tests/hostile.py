"""Hostile inputs for the fuzz suite: valid documents broken on purpose, and the bombs.

The strategies start from a valid document (a rubric, a self-study, a sheet
copy) and change a few of its parts: a value replaced by one of another type,
a key dropped or added, text full of control characters, a number with 5,000
digits, nesting thousands deep. The bombs are small files that grow huge only
once something unpacks them; they are built on disk without ever holding the
unpacked size in memory.
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from hypothesis import strategies as st

T = TypeVar("T")


class Changed(Generic[T]):
    """A document a strategy changed; it shows as the list of changes, not the whole document,
    so that a failing example reads as what was done to the original."""

    def __init__(self, value: T, changes: tuple[str, ...]):
        self.value = value
        self.changes = changes

    def __repr__(self) -> str:
        return "<" + "; ".join(self.changes) + ">"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how Hypothesis prints it
        printer.text(repr(self))


def shown(value: Any) -> str:
    """A value's repr, clipped: a failing example stays readable when it holds huge text."""
    text = repr(value)
    return text if len(text) <= 120 else f"{text[:100]}...{text[-10:]} ({len(text)} chars)"


# --- text ----------------------------------------------------------------------------------

CONTROL = "".join(chr(c) for c in [*range(0x20), 0x7F, 0x85]) + "\u2028\u2029\u202e\ufeff"
NASTY = [
    "",
    " ",
    "\t\n",
    "N/A",
    "n/a ",
    "3 - Established",
    "=1+1",
    '=HYPERLINK("http://x.example","y")',
    "@SUM(A1)",
    "+1",
    "-0",
    "NaN",
    "Infinity",
    "1e309",
    "true",
    "null",
    "../../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "%s%n%x{0}",
    "_x000D_",
    "'quoted",
    "\u202eevil\u202c",
    "\ufffd",
    "é😀",
    "START HERE",
    "Rubric",
    "ID",
    "Rating",
    "PG.1.a",
]

_any_text = st.text(max_size=40)
_control_text = st.text(alphabet=CONTROL, min_size=1, max_size=8)
_mixed = st.builds(lambda a, b, c: a + b + c, _any_text, _control_text, _any_text)
_long = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["a", "é", "😀", "a\n", "x,y;", '"']),
    # Just past a readable message, Excel's 32,767 characters a cell, the csv module's 131,072
    # characters a field; a few fixed lengths, so that a failing example shrinks at once.
    st.sampled_from([2_001, 32_768, 131_073]),
)
TEXT = st.one_of(st.sampled_from(NASTY), _any_text, _control_text, _mixed, _long)
"""Text a hostile file may hold anywhere (no lone surrogates: no file encoding carries them)."""

SURROGATE_TEXT = st.builds(
    lambda a, s: a + s, _any_text, st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
)
"""Text with a lone surrogate, which JSON can carry as an escape (`"\\ud800"`)."""

NUMBERS = st.one_of(
    st.integers(-10, 10),
    st.integers(-(10**30), 10**30),
    st.floats(),  # NaN and the infinities included
    st.sampled_from([0.5, -0.0, 1e308, 5e-324, 2**53 + 1, 2**63, -(2**63) - 1]),
)

# --- documents as plain data, and their text -------------------------------------------------

# A placeholder string that becomes, in the document's text, nesting `n` deep or a number of
# `n` digits: neither can be built as data and dumped (the dumpers recurse, ints cap digits).
_SPECIAL = re.compile(r"""["']@@(deep|big)-(\d+)@@["']""")
SPECIAL = st.one_of(
    st.builds(lambda n: f"@@deep-{n}@@", st.sampled_from([50, 999, 1_001, 5_000, 100_000])),
    st.builds(lambda n: f"@@big-{n}@@", st.sampled_from([20, 309, 400, 4_301, 5_000])),
)


def _specials(text: str) -> str:
    def expand(match: re.Match[str]) -> str:
        kind, n = match.group(1), int(match.group(2))
        return "[" * n + "]" * n if kind == "deep" else "9" * n

    return _SPECIAL.sub(expand, text)


def json_text(document: Any) -> str:
    """JSON as `json.dumps` writes it (NaN and Infinity included), with the specials expanded."""
    return _specials(json.dumps(document, allow_nan=True))


def yaml_text(document: Any) -> str:
    """YAML as a person might write it, with the specials expanded."""
    return _specials(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10**6))


SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT, SPECIAL)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
"""A value of any shape and type, for wherever a document has a value."""

YAML_KEYS = st.one_of(TEXT, st.integers(-3, 3), st.booleans(), st.none(), st.floats())


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated(
    draw: st.DrawFn, document: Any, values: st.SearchStrategy = VALUES, keys=TEXT, most: int = 3
) -> Changed[Any]:
    """`document` with one to `most` parts replaced, dropped, added to, wrapped or repeated."""
    document = copy.deepcopy(document)
    changes = []
    for _ in range(draw(st.integers(1, most))):
        path = draw(st.sampled_from(list(_paths(document))))
        action = draw(st.sampled_from(["replace", "replace", "drop", "add", "wrap", "repeat"]))
        where = "".join(f"[{part!r}]" for part in path) or "document"
        if not path:
            document = draw(values) if action == "replace" else [document]
            changes.append(f"document = {shown(document)}" if action == "replace" else "[document]")
            continue
        parent, last = _at(document, path[:-1]), path[-1]
        if action == "replace":
            parent[last] = draw(values)
            changes.append(f"{where} = {shown(parent[last])}")
        elif action == "drop":
            del parent[last]
            changes.append(f"del {where}")
        elif action == "wrap":
            parent[last] = draw(st.sampled_from([[parent[last]], {"value": parent[last]}]))
            changes.append(f"{where} wrapped in a {type(parent[last]).__name__}")
        elif action == "repeat" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
            changes.append(f"{where} repeated")
        else:
            node = _at(document, path)
            if isinstance(node, dict):
                key = draw(keys)
                node[key] = draw(values)
                changes.append(f"{where}[{shown(key)}] = {shown(node[key])}")
            elif isinstance(node, list):
                node.append(draw(values))
                changes.append(f"{where}.append({shown(node[-1])})")
            else:
                parent[last] = draw(values)
                changes.append(f"{where} = {shown(parent[last])}")
    return Changed(document, tuple(changes))


# Snippets of YAML syntax a hand-edited rubric may hold, for inserting into its text.
YAML_SNIPPETS = [
    "&anchor",
    "*anchor",
    "*missing",
    "<<: *anchor",
    "!!python/object/apply:os.system ['echo pwned']",
    "!!binary aGVsbG8=",
    "!!timestamp 2025-01-01",
    "!!set {a, b}",
    "!custom x",
    "? [a, b]\n: c",
    "{[1, 2]: x}",
    "- - - -",
    ": :",
    "'unclosed",
    '"unclosed',
    "\t",
    "%YAML 1.1\n---",
    "---\n...",
    "--- second document",
    "\ufeff",
    ".nan",
    "-.inf",
    "0x1F",
    "0o17",
    "1_000",
    "2001-12-14t21:59:43.10-05:00",
    "~",
    "yes",
]


@st.composite
def edited_text(draw: st.DrawFn, text: str, snippets: list[str]) -> Changed[str]:
    """`text` with a few edits by hand: snippets or junk put in, a stretch cut out or cut off."""
    changes = []
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "insert", "cut", "truncate"]))
        if action == "insert":
            piece = draw(st.sampled_from(snippets) | st.text(max_size=10) | _control_text)
            text = text[:at] + piece + text[at:]
            changes.append(f"at {at} put {piece!r}")
        elif action == "cut":
            length = draw(st.integers(1, 200))
            changes.append(f"at {at} cut {shown(text[at : at + length])}")
            text = text[:at] + text[at + length :]
        else:
            text = text[:at]
            changes.append(f"cut off at {at}")
    return Changed(text, tuple(changes))


@st.composite
def edited_bytes(draw: st.DrawFn, data: bytes) -> Changed[bytes]:
    """`data` with a few bytes flipped, inserted or removed, or cut off."""
    data = bytearray(data)
    changes = []
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "flip", "insert", "delete", "truncate"]))
        if action == "flip" and data:
            bit = draw(st.integers(0, 7))
            data[at] ^= 1 << bit
            changes.append(f"flip bit {bit} of byte {at}")
        elif action == "insert":
            piece = draw(st.binary(min_size=1, max_size=16))
            data[at:at] = piece
            changes.append(f"at {at} put {piece!r}")
        elif action == "delete":
            length = draw(st.integers(1, 64))
            del data[at : at + length]
            changes.append(f"at {at} cut {length} bytes")
        else:
            del data[at:]
            changes.append(f"cut off at {at}")
    return Changed(bytes(data), tuple(changes))


# --- sheet copies as grids -----------------------------------------------------------------

CELLS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
"""A cell as any reader hands it over: text, a number (NaN too), a boolean or empty."""

ROWS = st.lists(st.lists(CELLS, max_size=12), max_size=30)
"""Rows of any length, ragged."""

TAB_TITLES = st.one_of(
    st.sampled_from(["START HERE", "SUMMARY", "1. Program Goals", "Program Goals", "1", ""]),
    TEXT.map(lambda t: t[:120]),
)


@st.composite
def edited_sheets(draw: st.DrawFn, sheets: dict[str, list[list[Any]]]) -> Changed[dict]:
    """A sheet copy with a few cells changed, rows dropped or added, tabs renamed or dropped."""
    sheets = {title: [list(row) for row in rows] for title, rows in sheets.items()}
    changes = []
    for _ in range(draw(st.integers(1, 6))):
        title = draw(st.sampled_from(sorted(sheets))) if sheets else None
        action = draw(
            st.sampled_from(["cell", "cell", "cell", "row", "drop-row", "rename", "drop", "add"])
        )
        rows = sheets.get(title, []) if title is not None else []
        if action == "cell" and rows:
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) + 2))
            rows[r].extend([None] * (c + 1 - len(rows[r])))
            rows[r][c] = draw(CELLS)
            changes.append(f"{title!r} row {r + 1} column {c + 1} = {shown(rows[r][c])}")
        elif action == "row" and title is not None:
            r = draw(st.integers(0, len(rows)))
            rows.insert(r, draw(st.lists(CELLS, max_size=12)))
            changes.append(f"{title!r} new row {r + 1} = {shown(rows[r])}")
        elif action == "drop-row" and rows:
            r = draw(st.integers(0, len(rows) - 1))
            del rows[r]
            changes.append(f"{title!r} row {r + 1} removed")
        elif action == "rename" and title is not None:
            new = draw(TAB_TITLES)
            sheets[new] = sheets.pop(title)
            changes.append(f"tab {title!r} renamed {shown(new)}")
        elif action == "drop" and title is not None:
            del sheets[title]
            changes.append(f"tab {title!r} removed")
        else:
            new = draw(TAB_TITLES)
            sheets[new] = draw(ROWS)
            changes.append(f"tab {shown(new)} = {shown(sheets[new])}")
    return Changed(sheets, tuple(changes))


# --- the bombs -----------------------------------------------------------------------------

BILLION_LAUGHS = """\
# A rubric of a billion laughs: nine nested lists of nine aliases each.
id: laughs
version: "1.0"
title: Laughs
lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def zip_bomb_xlsx(workbook: bytes, target: Path, inflated: int = 1_100_000_000) -> Path:
    """A copy of `workbook` whose first sheet unpacks to `inflated` bytes of valid rows.

    The rest of the workbook is as it was, so the file opens as a real .xlsx; the
    sheet is written in 1 MB pieces, so building it never holds more than that.
    """
    cell = '<c t="inlineStr"><is><t>' + "a" * 30_000 + "</t></is></c>"
    rows = ("<row>" + cell * 8 + "</row>") * 4
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        sheet = next(n for n in source.namelist() if n.startswith("xl/worksheets/sheet"))
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
            for info in source.infolist():
                if info.filename != sheet:
                    bomb.writestr(info, source.read(info))
                    continue
                with bomb.open(sheet, "w", force_zip64=True) as out:
                    out.write(
                        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>'
                    )
                    piece = rows.encode()
                    for _ in range(inflated // len(piece) + 1):
                        out.write(piece)
                    out.write(b"</sheetData></worksheet>")
    return target


def far_cell_xlsx(workbook: bytes, target: Path) -> Path:
    """A copy of `workbook` whose first sheet has one more cell, in its last row and column.

    A few bytes on disk; a reader that fills the empty area builds 17 billion cells.
    """
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        sheet = next(n for n in source.namelist() if n.startswith("xl/worksheets/sheet"))
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                data = source.read(info)
                if info.filename == sheet:
                    far = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'
                    data = data.replace(b"</sheetData>", far + b"</sheetData>")
                    data = re.sub(
                        rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data
                    )
                out.writestr(info, data)
    return target


def unwrap(value: Changed[T] | T) -> T:
    """The document itself, whether a strategy changed it or drew it whole."""
    return value.value if isinstance(value, Changed) else value


# --- workbooks as zipped XML ------------------------------------------------------------------

XML_SNIPPETS = [
    '<c r="B2" t="s"><v>99999</v></c>',
    '<c r="B2" t="s"><v>-1</v></c>',
    '<c r="B2" t="n"><v>NaN</v></c>',
    '<c r="B2" t="n"><v>1e999</v></c>',
    '<c r="B2"><v>12345678901234567890123</v></c>',
    '<c r="C3" t="e"><v>#DIV/0!</v></c>',
    '<c r="D4" t="d"><v>not a date</v></c>',
    '<c r="D4" t="b"><v>7</v></c>',
    '<c r="D4"><f>1/0</f></c>',
    '<c r="D4" t="str"><f>A1</f><v>=cmd|"/c calc"!A1</v></c>',
    '<c r="D4" t="inlineStr"><is><t>_xD800_ _x0000_ _x001B_</t></is></c>',
    '<c r="D4" t="inlineStr"><is><t>&amp;&lt;&#0;&#xD800;</t></is></c>',
    '<row r="0"><c r="A0"><v>1</v></c></row>',
    '<row r="3"><c r="A3"><v>1</v></c></row>',
    "<row><c><v>1</v></c></row>",
    '<c r="A1"><v>1</v></c>',
    "<si><t>extra</t></si>",
    '<sheet name="START HERE" sheetId="99" r:id="rId99"/>',
    '<sheet name="" sheetId="1" r:id="rId1"/>',
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    "&e;",
    "&unknown;",
    "<![CDATA[x]]>",
    "<?pi x?>",
    "<!-- comment -->",
    '<!-- <c r="XFD1048576"><v>1</v></c> -->',
    "<![CDATA[</sheetData><c>]]>",
    '<c r="B2" t="s"><v>0</v><v>99</v></c>',
    '<c r="B2" a="<c>"><v>1</v></c>',
    '<x=y:c r="B2"><v>1</v></x=y:c>',
    "<si><t>a string that never ends</si>",
    '<sheet name="Again" sheetId="98" r:id="rId1"/>',
    '<Relationship Id="rId1" Target="/XL/WORKSHEETS/SHEET1.XML" Type="x/worksheet"/>',
    "</sheetData>",
    "<sheetData>",
    "</worksheet>",
    "<",
    '"',
]


@st.composite
def edited_zip_xml(draw: st.DrawFn, data: bytes, snippets: list[str] = XML_SNIPPETS) -> Changed:
    """A zip of XML files (an .xlsx) with a few snippets put in after a tag of one member."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    name = draw(st.sampled_from(sorted(n for n in members if n.endswith((".xml", ".rels")))))
    text = members[name].decode("utf-8")
    changes = []
    for _ in range(draw(st.integers(1, 3))):
        # After a '>' only: a snippet never lands inside a number, where it could make a
        # row or column millions of cells away (the bombs do that, in a child process).
        at = draw(st.sampled_from([m.end() for m in re.finditer(">", text)] or [0]))
        piece = draw(st.sampled_from(snippets))
        text = text[:at] + piece + text[at:]
        changes.append(f"{name} at {at} put {piece!r}")
    members[name] = text.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member, content in members.items():
            target.writestr(member, content)
    return Changed(out.getvalue(), tuple(changes))


# --- date and time cells -----------------------------------------------------------------------

DATE_FORMATS = [14, 20, 21, 22, 45, 46, 47]  # Excel's own: date, times, date and time, durations
DATE_NUMBERS = [
    "-1e20",  # a panic in calamine's Rust code (chrono: milliseconds out of bounds)
    "1e20",
    "-1",
    "0",
    "60",  # 29 February 1900, which never was
    "-693594",
    "2958465.99999999",
    "2958466",
    "1e308",
    "-1e308",
    "4.9e-324",
    "NaN",
    "INF",
    "-INF",
    "1e",
]


def with_date_cells(
    workbook: bytes, cells: list[tuple[int, str]], sheet: str | None = None
) -> bytes:
    """`workbook` with one more row on its first sheet (or the sheet part `sheet`): a cell
    for each (number format, number) in `cells`, styled as that date or time format, as a
    spreadsheet stores a date (a number of days since 1900)."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    styles = members["xl/styles.xml"].decode("utf-8")
    count = int(re.search(r'<cellXfs count="(\d+)"', styles)[1])
    formats = sorted({number_format for number_format, _ in cells})
    styles = styles.replace(f'<cellXfs count="{count}"', f'<cellXfs count="{count + len(formats)}"')
    styles = styles.replace(
        "</cellXfs>",
        "".join(
            f'<xf numFmtId="{f}" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>'
            for f in formats
        )
        + "</cellXfs>",
    )
    members["xl/styles.xml"] = styles.encode("utf-8")
    sheet = sheet or next(n for n in sorted(members) if n.startswith("xl/worksheets/sheet"))
    text = members[sheet].decode("utf-8")
    row = max(map(int, re.findall(r'<row r="(\d+)"', text)), default=0) + 1
    row_xml = f'<row r="{row}">' + "".join(
        f'<c r="{chr(65 + i)}{row}" s="{count + formats.index(f)}"><v>{number}</v></c>'
        for i, (f, number) in enumerate(cells[:26])
    )
    members[sheet] = text.replace("</sheetData>", row_xml + "</row></sheetData>").encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member, content in members.items():
            target.writestr(member, content)
    return out.getvalue()


DATE_CELLS = st.lists(
    st.tuples(
        st.sampled_from(DATE_FORMATS),
        st.sampled_from(DATE_NUMBERS) | st.floats().map(repr) | st.integers().map(str),
    ),
    min_size=1,
    max_size=6,
)
"""Cells styled as dates or times, holding any number: near, far, negative, not a number."""


# --- workbooks whose cells stand for far more than the file holds -------------------------------

SPREADSHEETML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def tab_part(workbook: bytes, title: str) -> str:
    """The name of the sheet part an .xlsx workbook's tab `title` reads."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        book = source.read("xl/workbook.xml").decode("utf-8")
        links = source.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    tab = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*>', book)[0]
    link = re.search(r'r:id="([^"]+)"', tab)[1]
    target = re.search(rf'<Relationship [^>]*Id="{link}"[^>]*>', links)[0]
    return "xl/" + re.search(r'Target="/?(?:xl/)?([^"]+)"', target)[1]


def with_part(workbook: bytes, name: str, chunks: Iterable[bytes]) -> bytes:
    """`workbook` with the part `name` written from `chunks` (streamed, so it may be huge)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info.filename))
        with target.open(name, "w", force_zip64=True) as part:
            for chunk in chunks:
                part.write(chunk)
    return out.getvalue()


def sheet_xml(*rows: str) -> bytes:
    return (
        f'<?xml version="1.0"?><worksheet xmlns="{SPREADSHEETML}"><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>"
    ).encode()


def shared_text_bomb_xlsx(workbook: bytes, target: Path, length: int = 29_000) -> Path:
    """A copy of `workbook` whose first sheet has 10,000 rows of 26 cells, all showing one
    shared string of `length` characters: half a megabyte on disk, 7.5 GB once calamine
    gives each cell its own copy."""
    letters = [chr(ord("A") + c) for c in range(26)]
    rows = (
        f'<row r="{r}">' + "".join(f'<c r="{x}{r}" t="s"><v>0</v></c>' for x in letters) + "</row>"
        for r in range(1, 10_001)
    )
    strings = f'<sst xmlns="{SPREADSHEETML}" count="1" uniqueCount="1">'
    strings += f"<si><t>{'x' * length}</t></si></sst>"
    workbook = with_part(workbook, "xl/sharedStrings.xml", [strings.encode()])
    target.write_bytes(with_part(workbook, "xl/worksheets/sheet1.xml", [sheet_xml(*rows)]))
    return target


def aliased_tabs_xlsx(workbook: bytes, target: Path, tabs: int, corner: str = "IV10000") -> Path:
    """A copy of `workbook` whose workbook part names its first sheet as `tabs` tabs, each of
    which calamine reads again; the sheet's cells reach from A1 to `corner`."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        book = source.read("xl/workbook.xml").decode()
    sheets = "".join(f'<sheet name="Tab {i}" sheetId="{i + 1}" r:id="rId1"/>' for i in range(tabs))
    book = re.sub(r"<sheets>.*</sheets>", f"<sheets>{sheets}</sheets>", book)
    row = re.search(r"\d+", corner)[0]
    sheet = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>',
        f'<row r="{row}"><c r="{corner}" t="inlineStr"><is><t>y</t></is></c></row>',
    )
    workbook = with_part(workbook, "xl/workbook.xml", [book.encode()])
    target.write_bytes(with_part(workbook, "xl/worksheets/sheet1.xml", [sheet]))
    return target


def hidden_far_cell_xlsx(workbook: bytes, target: Path) -> Path:
    """A copy of `workbook` whose first sheet has a cell at XFD1048576 that comments make look,
    to a pattern blind to comments, like part of a cell at B2 (calamine skips comments)."""
    sheet = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>',
        "<!-- <c a=' -->",
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        '<!-- \' r="B2"> -->',
    )
    target.write_bytes(with_part(workbook, "xl/worksheets/sheet1.xml", [sheet]))
    return target


def ods_bytes(tables: str) -> bytes:
    """An OpenDocument spreadsheet whose body holds `tables`, written as given."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
            'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
            'manifest:media-type="text/xml"/></manifest:manifest>',
        )
        archive.writestr("content.xml", content)
    return out.getvalue()


def ods_file(target: Path, tables: str) -> Path:
    target.write_bytes(ods_bytes(tables))
    return target


REPEATED_TEXT_ODS = (  # one cell of 29,000 characters, repeated over 256 columns and 10,000 rows
    '<table:table table:name="START HERE"><table:table-row table:number-rows-repeated="10000">'
    f'<table:table-cell office:value-type="string" office:string-value="{"z" * 29_000}" '
    'table:number-columns-repeated="256"/></table:table-row></table:table>'
)
SPACES_ODS = (  # one cell of two billion spaces, written in a few bytes
    '<table:table table:name="START HERE"><table:table-row>'
    '<table:table-cell office:value-type="string"><text:p>a<text:s text:c="2000000000"/>b'
    "</text:p></table:table-cell></table:table-row></table:table>"
)
UNENDING_TABLE_ODS = '<table:table table:name="START HERE">'  # calamine reads on forever
UNENDING_NOTE_ODS = (  # a note in a cell that never ends: calamine reads on forever
    '<table:table table:name="START HERE"><table:table-row>'
    '<table:table-cell office:value-type="string"><office:annotation><text:p>x</text:p>'
    "</table:table-cell></table:table-row></table:table>"
)
