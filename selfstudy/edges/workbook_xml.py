"""The XML parts of a workbook read as calamine reads them, to measure what it would build.

python-calamine (the Rust calamine crate over quick-xml) builds every cell of a
tab in memory, and a shared or repeated text once for each cell that shows it;
when that does not fit it aborts the process. `workbook_limits` therefore
measures each part first, and this module reads a part the way calamine does:

* `visible` makes sure the tags a pattern finds are the tags quick-xml sees. A
  part with a NUL byte, or with a `<` that begins no plain tag (a name of ASCII
  letters, digits and at most one prefix; attributes written `name="value"` with
  no `<` in a value), is damaged: no spreadsheet program writes one, and a
  document type declaration is one. Comments, CDATA sections and processing
  instructions, where quick-xml sees no tag, are blanked with NUL bytes, kept at
  their length. Every `<` left begins a real tag, so a pattern can find no tag
  hidden in a comment or a quoted value, and none is missed. `visible_sheet` does
  the same for a worksheet, checking its tags in the pass that finds its cells.
* `scan_sheet` measures a worksheet: how far its cells reach (from the places
  its cells name, or cell by cell as calamine places them), the text its cells
  may hold (the part's own bytes, and the shared strings its cells name: no more
  than one string for each cell typed `t="s"`, the longest ones its `<v>`
  values name) and its formulas.
* `shared_strings` measures the shared-strings table: each string no longer
  than the `<si>` element calamine reads it from.
* `tab_names` reads the tabs a workbook part names and the targets of a
  relations part, with the attributes calamine takes.
* `ods_tables` follows calamine's reading of an OpenDocument `content.xml`: a
  cell's text (a value, a formula, its paragraphs and `text:s` spaces) counted
  once for each column and row it is repeated over. A table or a note that never
  ends is damaged: calamine would read on forever.

Everything errs high, never low: a measure may count more than calamine
builds (a part no tab names, a cell calamine would refuse), never less.
"""

from __future__ import annotations

import html
import itertools
import operator
import re
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from selfstudy.core.sheetcopy.vocabulary import MAX_COLUMNS, MAX_ROWS, column_letter


class Damaged(ValueError):
    """A part calamine would not read as written, or would read forever."""


class TooLarge(ValueError):
    """A part that makes more than a sheet copy holds; the message says what, in plain words."""


_SPACE = rb"[ \t\r\n]"  # what quick-xml counts as space
_NAME = rb"[A-Za-z_][A-Za-z0-9_.\-]*+(?::[A-Za-z_][A-Za-z0-9_.\-]*+)?+"
_PREFIX = rb"(?:[A-Za-z_][A-Za-z0-9_.\-]*+:)?+"  # calamine compares most names without it
_END_OF_NAME = rb"(?=[ \t\r\n/>])"
# up to the `>` outside quotes: text with no quote, then quoted values each with the text
# after it (one step of the pattern a value, where text and value in turn took two)
_ATTRIBUTES = rb"[^<>\"']*+(?:(?:\"[^\"<]*+\"|'[^'<]*+')[^<>\"']*+)*+"
_PLAIN_TAG = (  # after its `<`: an end tag, or a start tag
    rb"(?:/" + _NAME + _SPACE + rb"*+>|" + _NAME + _END_OF_NAME + _ATTRIBUTES + rb">)"
)
_NOT_A_TAG = re.compile(rb"<(?!" + _PLAIN_TAG + rb")")  # a `<` that begins no plain tag
_OPAQUE = re.compile(rb"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<\?.*?(?:\?>|\Z)", re.DOTALL)
_TAG = re.compile(
    rb"<(?P<closing>/?)(?P<name>%s)%s(?P<attributes>%s)>" % (_NAME, _END_OF_NAME, _ATTRIBUTES)
)
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # what `bytes.strip` keeps
_ATTRIBUTE = re.compile(  # one attribute as calamine reads it: the key is all up to `=`
    rb"[ \t\n\x0c\r]*+([^=]*+)=[ \t\n\x0c\r]*+(?:\"([^\"]*+)\"?|'([^']*+)'?)"
)


def visible(contents: bytes) -> bytes:
    """`contents` with comments, CDATA and processing instructions blanked; raises `Damaged`
    unless every other `<` begins a plain tag (see the module's docstring)."""
    shown = _blanked(contents)
    if _NOT_A_TAG.search(shown):
        raise Damaged
    return shown


def _blanked(contents: bytes) -> bytes:
    """`contents` with comments, CDATA and processing instructions blanked; raises `Damaged`
    for a NUL byte."""
    if b"\x00" in contents:
        raise Damaged
    return _OPAQUE.sub(lambda match: bytes(len(match[0])), contents)


# --- tags and attributes, as quick-xml reads them --------------------------------------------

Event = tuple[bool, bytes, bytes, int, int]  # closing, name, attributes, start, end


def _events(shown: bytes) -> Iterator[Event]:
    """The tags of a visible part in order; `<a/>` as a start and an end, as calamine reads it."""
    for tag in _TAG.finditer(shown):
        name, attributes = tag["name"], tag["attributes"]
        empty = attributes.endswith(b"/")
        yield bool(tag["closing"]), name, attributes[:-1] if empty else attributes, *tag.span()
        if empty:
            yield True, name, b"", tag.end(), tag.end()


def _local(name: bytes) -> bytes:
    return name.rpartition(b":")[2]


def _attributes(text: bytes) -> Iterator[tuple[bytes, bytes]]:
    """A tag's attributes as calamine's `RawAttrIter` reads them, in order, up to the first
    it cannot read (where calamine stops with an error)."""
    text = text[:-1] if text.endswith(b"/") else text
    at = 0
    while _NOT_BLANK.search(text, at):  # `text[at:].strip()`, without copying the rest each time
        match = _ATTRIBUTE.match(text, at)
        if match is None:
            return
        yield match[1].rstrip(b" \t\n\x0c\r"), match[2] if match[2] is not None else match[3]
        at = match.end()


def _first(text: bytes, key: bytes) -> bytes | None:
    """The value of the first attribute named `key`, as calamine's `raw_attr` takes it."""
    return next((value for name, value in _attributes(text) if name == key), None)


def _some(text: bytes, *keys: bytes) -> dict[bytes, bytes]:
    """Attributes as calamine's `get_attrs!` takes them: in order, a later one of a name
    replacing an earlier, until as many as asked for have been seen."""
    found: dict[bytes, bytes] = {}
    seen = 0
    for name, value in _attributes(text):
        if name in keys:
            found[name] = value
            seen += 1
            if seen == len(keys):
                break
    return found


def _unescape(value: bytes) -> str:
    return html.unescape(value.decode("utf-8", errors="replace"))


def _count(value: bytes | None, unescaped: bool = False) -> int:
    """A repeat count as calamine parses it (`+3` is 3); 1 when absent or unreadable (then
    calamine stops reading, and counting on errs high)."""
    if value is None:
        return 1
    text = _unescape(value) if unescaped else value.decode("ascii", errors="replace")
    return int(text) if re.fullmatch(r"\+?[0-9]+", text) else 1


def _place(value: bytes, column: bool = True) -> tuple[int, int] | None:
    """`XFD7` as (row, column) from 0, as calamine reads a place (a row's `7` has no column);
    None where calamine stops with an error."""
    match = re.fullmatch(rb"([A-Za-z]*)([0-9]+)", value)
    if match is None or int(match[2]) == 0 or (column and not match[1]):
        return None
    return int(match[2]) - 1, _column_number(match[1])


def _column_number(letters: bytes) -> int:
    """`A` as 0, `XFD` as 16383; -1 for none."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number - 1


def _read_to_end(events: Iterator[Event], name: bytes) -> None:
    """Skip to the end tag of `name`, nested ones of the same name included (quick-xml's
    `read_to_end`)."""
    depth = 0
    for closing, other, *_ in events:
        if other == name:
            if not closing:
                depth += 1
            elif depth == 0:
                return
            else:
                depth -= 1


def _read_string(events: Iterator[Event], name: bytes) -> int | None:
    """Where calamine's `read_string` stops reading a string begun by `name` (the start of
    the end tag that ends it): a `<t>` is read to its own end, whatever ends inside it."""
    phonetic = False
    for closing, other, _, start, _ in events:
        local = _local(other)
        if closing:
            if other == name:
                return start
            if local == b"rPh":
                phonetic = False
        elif local == b"rPh":
            phonetic = True
        elif local == b"t" and not phonetic:
            _read_to_first_end(events, other)
    return None


def _read_to_first_end(events: Iterator[Event], name: bytes) -> Event | None:
    """Skip to the first end tag of `name`, nested ones of the same name not counted."""
    return next((event for event in events if event[0] and event[1] == name), None)


# --- worksheets ------------------------------------------------------------------------------

# Every repeat in these takes all it can and gives none back (`*+`, `++`): what follows
# each can never begin with what it repeats (a space before `=`, a name or `r`; a letter
# before a digit; a key-value before the `r` one, whose name differs, or before the end),
# so giving back never makes a match, and the pattern of every cell tag is read in about
# half the steps.
_EQUALS = _SPACE + rb"*+=" + _SPACE + rb"*+"
_KEY_VALUE = (  # a value holds no `<`, as in a plain tag (`_ATTRIBUTES`)
    _SPACE + rb"++(?!r" + _EQUALS + rb")" + _NAME + _EQUALS + rb"(?:\"[^\"<]*+\"|'[^'<]*+')"
)
_PLACED = (  # a cell's attributes that name its place once (`r`), as calamine reads it,
    # and the `/` that ends the tag of an empty cell
    rb"(?:%s)*+%s++r%s(?P<quote>[\"'])(?P<column>[A-Za-z]++)(?P<row>[0-9]++)(?P=quote)"
    rb"(?:%s)*+%s*+(?P<empty>/?+)" % (_KEY_VALUE, _SPACE, _EQUALS, _KEY_VALUE, _SPACE)
)
# A cell's start tag, its place, and a formula tag right inside it, if any. The place is
# found when all its attributes are `_PLACED`, which holds no `>` outside quotes and
# quotes as the attributes do: so it is followed by `>` only where they end, and the
# attributes are read once, as `_PLACED` or else as any (where a look ahead for `_PLACED`
# and then the attributes read each cell's twice, the longest step of measuring a copy).
_CELL_TAG = (  # after its `<`
    rb"%(prefix)sc%(end)s(?:%(placed)s>|(?P<attributes>%(attributes)s)>)"
    rb"(?:%(space)s*(?P<formula><%(prefix)sf%(end)s%(attributes)s>)(?P<text>[^<]{0,200}))?"
    % {
        b"prefix": _PREFIX,
        b"end": _END_OF_NAME,
        b"placed": _PLACED,
        b"attributes": _ATTRIBUTES,
        b"space": _SPACE,
    }
)
# The tags a worksheet holds most, written out: each a plain tag, found as it is before the
# pattern of any tag is tried (a third less work for checking the tags of a copy).
_COMMON_TAGS = rb"(?:t>|/t>|is>|/is>|v>|/v>|/c>|/row>)"
# A worksheet's tags in one pass: text and plain tags but a cell's, then a cell's tag (a
# plain tag, as `_PLACED` quotes as `_ATTRIBUTES` does), or a `<` that begins no plain tag
# (and the rest of the part, which is not read), or the end.
_SHEET_TAGS = re.compile(
    rb"(?:[^<]++|<%(common)s|<(?!%(prefix)sc%(end)s)%(plain)s)*+"
    rb"(?:(?P<cell><)%(cell)s|(?P<damage><)[\x00-\xff]*+|\Z)"
    % {
        b"common": _COMMON_TAGS,
        b"prefix": _PREFIX,
        b"end": _END_OF_NAME,
        b"plain": _PLAIN_TAG,
        b"cell": _CELL_TAG,
    }
)
_IS_CELL, _COLUMN, _ROW, _FORMULA, _DAMAGE = (  # of what `_SHEET_TAGS` finds
    operator.itemgetter(i) for i in (0, 2, 3, 6, -1)
)
_SHARED_TYPE = re.compile(rb"t" + _EQUALS + rb"(?:\"s\"|'s')")
_VALUE_TAG = re.compile(  # a `<v>` (not `<v/>`) and its text up to the next tag or entity
    rb"<" + _PREFIX + rb"v" + _END_OF_NAME + _ATTRIBUTES + rb"(?<!/)>([^<&\x00]*+)"
)
_LARGEST_INDEX = 2**64 - 1  # calamine reads a larger one as 0


@dataclass
class SheetScan:
    """How far a worksheet's cells reach, the text they may hold, and its formulas."""

    rows: int = 0
    columns: int = 0
    text: int = 0  # bytes
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) from 1


@dataclass(frozen=True)
class Worksheet:
    """A visible worksheet part and its cell tags: for each, the groups `_SHEET_TAGS` finds
    (`<`, quote, column, row, empty, attributes, formula, text, and no damage)."""

    shown: bytes
    cells: list[tuple[bytes, ...]]


def visible_sheet(contents: bytes) -> Worksheet:
    """`visible` for a worksheet, its cell tags found in the same pass over its tags (where
    checking them and then finding the cells took two, the longest steps of measuring a copy).
    """
    shown = _blanked(contents)
    found = _SHEET_TAGS.findall(shown)
    if any(map(_DAMAGE, found)):  # a `<` that begins no plain tag
        raise Damaged
    return Worksheet(shown, list(filter(_IS_CELL, found)))


def scan_sheet(sheet: Worksheet, strings: SharedStrings) -> SheetScan:
    """Measure a visible worksheet part; raises `TooLarge` for a cell out of bounds.

    How far cells reach is read first from the places cells name (`r`, empty cells
    too: a bound from above, and quick), and only when that is too far, or some cell
    names no place, cell by cell as calamine places them (`_placed_cells`).
    """
    shown, cells = sheet.shown, sheet.cells
    scan = SheetScan(text=len(shown) + strings.text_of(shown))
    farthest = _farthest(cells)
    if farthest is None or farthest[0] >= MAX_ROWS or farthest[1] >= MAX_COLUMNS:
        farthest = (-1, -1)
        for row, column in _placed_cells(shown):
            farthest = (max(farthest[0], row), max(farthest[1], column))
    scan.rows, scan.columns = farthest[0] + 1, farthest[1] + 1
    if not any(map(_FORMULA, cells)):  # no formula tag: most sheets, with no loop over cells
        return scan
    for _, _, column, row, empty, _, formula, text, _ in cells:
        if formula and row and not empty:  # a placed cell that is not empty (`<c r="A1"/>`)
            where = (int(row), _column_number(column) + 1)
            scan.formulas[where] = _formula_text(text, formula)
    return scan


def _farthest(cells: list[tuple[bytes, ...]]) -> tuple[int, int] | None:
    """The farthest row and column (from 0) the cells name (`_PLACED`); None when there is
    no cell, or one that does not name its place once."""
    rows = set(map(_ROW, cells))  # each distinct place compared once: a tab has few columns
    if not rows or b"" in rows:
        return None
    row = max(map(int, rows))
    letters = max({column.upper() for column in set(map(_COLUMN, cells))}, key=_column_order)
    return row - 1, _column_number(letters)


def _column_order(letters: bytes) -> tuple[int, bytes]:
    return len(letters), letters


def _placed_cells(shown: bytes) -> Iterator[tuple[int, int]]:
    """The place of each cell calamine keeps (one that may hold something), as it places them.

    After `sheetData` begins: a row's `r` sets the row, its end moves to the next; a
    cell's `r` places it (and sets the column), else it follows the cell before.
    Raises `TooLarge` for the first cell out of bounds.
    """
    events = _events(shown)
    for closing, name, *_ in events:
        if not closing and _local(name) == b"sheetData":
            break
    row = column = 0
    for closing, name, attributes, _, _ in events:
        local = _local(name)
        if closing:
            if local == b"row":
                row, column = row + 1, 0
            elif local == b"sheetData":
                return
        elif local == b"row":
            place = _first(attributes, b"r")
            if place is not None:
                found = _place(place, column=False)
                if found is None:
                    return  # calamine stops here
                row = found[0]
        elif local == b"c":
            named = _some(attributes, b"r", b"s", b"t")
            at = (row, column) if b"r" not in named else _place(named[b"r"])
            if at is None:
                return
            column = at[1]
            if _cell_holds_something(events, named.get(b"t")):
                _check_place(*at)
                yield at
            column += 1


def _cell_holds_something(events: Iterator[Event], kind: bytes | None) -> bool:
    """Read a cell's values as calamine does, to the cell's end tag; whether it may hold
    something (errs high: a value an `<f>` after it empties still counts)."""
    holds = False
    for closing, name, _, _, end in events:
        local = _local(name)
        if closing:
            if local == b"c":
                break
        elif local == b"is":
            _read_string(events, name)
            holds = True
        elif local == b"f":
            _read_to_end(events, name)
        elif local == b"v":
            holds = _read_value(events, name, end, kind) or holds
        else:
            break  # calamine stops with an error here
    return holds


def _read_value(events: Iterator[Event], name: bytes, end: int, kind: bytes | None) -> bool:
    """Read a `<v>` as calamine's `read_value` does for a cell of type `kind`, to its end;
    whether it may hold something."""
    if kind in (b"inlineStr", b"is"):
        _read_to_end(events, name)
        return False
    first = next(events, None)
    if first is None:
        return False
    if kind not in (None, b"n", b"s", b"b", b"e"):  # text to the first end tag of the name
        if not (first[0] and first[1] == name):
            _read_to_first_end(events, name)
        return True
    if first[3] > end:  # text: the value; then on to the end, `first` included
        _read_to_end(itertools.chain([first], events), name)
        return True
    if not (first[0] and first[1] == name):  # not `<v></v>`: nothing, then on to the end
        _read_to_end(events, name)
    return False


def _check_place(row: int, column: int) -> None:
    if row >= MAX_ROWS or column >= MAX_COLUMNS:
        cell = f"{column_letter(min(column, 10**6) + 1)}{min(row, 10**9) + 1}"
        raise TooLarge(f"a tab reaches cell {cell}")


def _formula_text(text: bytes, tag: bytes) -> str:
    """A formula as a person types it (`=A1`); empty when the tag holds none (shared)."""
    formula = "" if tag.endswith(b"/>") else _unescape(text).strip()
    return "=" + formula if formula and not formula.startswith("=") else formula


# --- shared strings ----------------------------------------------------------------------------

_TABLE = re.compile(
    rb"<" + _PREFIX + rb"sst" + _END_OF_NAME + rb"(?P<attributes>" + _ATTRIBUTES + rb")>"
)
_STRING_START = re.compile(rb"<" + _PREFIX + rb"si[ \t\r\n/>]")
_STRING = re.compile(  # one string as calamine reads it: its `<t>` elements ended before it ends
    rb"<(?P<name>%(prefix)ssi)%(end)s%(attributes)s(?:(?<=/)>|>(?:"
    rb"[^<]++"  # text
    rb"|<(?!/?%(prefix)s(?:si|t)[ \t\r\n/>])[^>]*+>"  # a tag but a string's or a `<t>`
    rb"|<(?P<t>%(prefix)st)%(end)s%(attributes)s(?:(?<=/)>|>[^<]*+</(?P=t)%(space)s*>)"
    rb")*+</(?P=name)%(space)s*>)"
    % {b"prefix": _PREFIX, b"end": _END_OF_NAME, b"attributes": _ATTRIBUTES, b"space": _SPACE}
)


@dataclass
class SharedStrings:
    """The most bytes each shared string may hold, by index (calamine's order)."""

    # an `array` of int64, not numpy's: importing numpy cost every `selfstudy import` a
    # tenth of a second or more, for a list of numbers
    lengths: array[int] = field(default_factory=lambda: array("q"))

    def merged(self, other: SharedStrings) -> SharedStrings:
        """The longer of two measures at each index (for a workbook with two such tables)."""
        short, long = sorted((self.lengths, other.lengths), key=len)
        longest = array("q", map(max, short, long))
        longest.extend(long[len(short) :])
        return SharedStrings(longest)

    def text_of(self, shown: bytes) -> int:
        """The most bytes of shared strings the cells of a worksheet may stand for.

        Each cell typed `t="s"` (there are at most as many as `t="s"` is written)
        takes the string its last `<v>` names; two cells never read the same `<v>`.
        So the cells stand for no more than the longest strings the `<v>` values name,
        one for each such cell.
        """
        if not len(self.lengths):
            return 0
        cells = sum(1 for _ in _SHARED_TYPE.finditer(shown))
        if not cells:
            return 0
        named = Counter(match[1] for match in _VALUE_TAG.finditer(shown))
        text = 0
        for length, times in sorted(((self._length(v), n) for v, n in named.items()), reverse=True):
            text += length * min(times, cells)
            cells -= min(times, cells)
            if not cells:
                break
        return text

    def _length(self, value: bytes) -> int:
        if not value:
            return 0  # an empty cell
        index = int(value) if value.isdigit() else 0  # calamine reads what is no number as 0
        index = index if index <= _LARGEST_INDEX else 0
        return int(self.lengths[index]) if index < len(self.lengths) else 0


def shared_strings(shown: bytes, most: int) -> SharedStrings:
    """Measure a visible shared-strings part; raises `TooLarge` for more than `most` strings.

    Each string is no longer than the `<si>` element it is read from. When a string
    is not written so that calamine plainly reads it to its `</si>` (an unended `<t>`,
    a string in a string), each counts as long as the whole part.
    """
    table = _TABLE.search(shown)
    if table is None or table["attributes"].endswith(b"/"):
        return SharedStrings()
    if any(_count(value) > most for _, value in _claims(table["attributes"])):
        raise TooLarge("it claims more texts than a sheet copy has cells")
    starts = sum(1 for _ in _STRING_START.finditer(shown, table.end()))
    if starts > most:
        raise TooLarge("it holds more texts than a sheet copy has cells")
    lengths = array(
        "q", (match.end() - match.start() for match in _STRING.finditer(shown, table.end()))
    )
    if len(lengths) != starts:
        lengths = array("q", [len(shown)]) * starts
    return SharedStrings(lengths)


def _claims(attributes: bytes) -> Iterator[tuple[bytes, bytes]]:
    return ((k, v) for k, v in _attributes(attributes) if k in (b"count", b"uniqueCount"))


# --- the tabs a workbook names ----------------------------------------------------------------

_NAMING_TAG = re.compile(  # a tab a workbook names, or a relation's target
    rb"<%s(?P<name>sheet|Relationship)%s(?P<attributes>%s)>" % (_PREFIX, _END_OF_NAME, _ATTRIBUTES)
)
_WORKBOOK_END = re.compile(rb"</" + _PREFIX + rb"workbook" + _SPACE + rb"*>")
_RELATIONS_END = re.compile(rb"</" + _PREFIX + rb"Relationships" + _SPACE + rb"*>")


def names_tabs(contents: bytes) -> bool:
    """Whether a part may name tabs or relations (and so be read by `tab_names`): whether
    `_NAMING_START` is found in it.

    It is tried where it may end: before each name followed by what ends a name (one
    quick search for the name's letters, `_NAMED`: in a worksheet only its own start and
    end tags), from the last `<` before the name; a search of every tag for it took a
    twentieth of measuring a copy. Only the first name after a `<` can be in that `<`'s
    tag (what ends a name is no part of one), so each `<` is tried once at most. A part
    that repeats a name more than `_NAMES_TRIED` times is searched whole instead, so that
    no part is read slower than before.
    """
    for letters, named in _NAMED:
        if letters not in contents:  # most parts lack one name or both
            continue
        searched = 0  # every `<` before here has been tried
        for tried, name in enumerate(named.finditer(contents)):
            if tried == _NAMES_TRIED:
                return _NAMING_START.search(contents) is not None
            start = contents.rfind(b"<", searched, name.start())
            if start >= 0 and _NAMING_START.match(contents, start):
                return True
            searched = name.start()
    return False


_NAMED = tuple(  # each name, and the name followed by what ends it (`_END_OF_NAME`)
    (name, re.compile(name + rb"[ \t\r\n/>]")) for name in (b"sheet", b"Relationship")
)
_NAMES_TRIED = 64
_NAMING_START = re.compile(rb"<" + _PREFIX + rb"(?:sheet|Relationship)[ \t\r\n/>]")


@dataclass
class TabNames:
    """The tabs a workbook part names (title, relation id), and a relations part's targets."""

    tabs: list[tuple[str, bytes]] = field(default_factory=list)
    targets: dict[bytes, str] = field(default_factory=dict)


def tab_names(shown: bytes) -> TabNames:
    """The tabs (`<sheet>` before the workbook's end) and relations (`<Relationship>` before
    the relations' end) of a visible part, each attribute taken as calamine takes it."""
    names = TabNames()
    workbook_end = _end_of(_WORKBOOK_END, shown)
    relations_end = _end_of(_RELATIONS_END, shown)
    for tag in _NAMING_TAG.finditer(shown):
        if tag["name"] == b"sheet" and tag.start() < workbook_end:
            title, relation = "", b""
            for key, value in _attributes(tag["attributes"]):
                if key == b"name":
                    title = _unescape(value)
                elif key == b"id" or key.endswith(b":id"):
                    relation = value
            names.tabs.append((title, relation))
        elif tag["name"] == b"Relationship" and tag.start() < relations_end:
            found = _some(tag["attributes"], b"Id", b"Type", b"Target")
            if b"Id" in found:  # the target as written: calamine undoes no escape in it
                names.targets[found[b"Id"]] = found.get(b"Target", b"").decode(errors="replace")
    return names


def _end_of(pattern: re.Pattern[bytes], shown: bytes) -> int:
    match = pattern.search(shown)
    return match.start() if match else len(shown)


# --- OpenDocument ------------------------------------------------------------------------------

_CELL_NAMES = (b"table:table-cell", b"table:covered-table-cell")
_TEXT_VALUES = (b"office:string-value", b"office:date-value", b"office:time-value")


@dataclass
class Table:
    """An OpenDocument table as calamine builds it: its grid from A1, and its text in bytes."""

    rows: int = 0
    columns: int = 0
    text: int = 0


def ods_tables(shown: bytes) -> Iterator[Table]:
    """The tables of a visible `content.xml`, measured as calamine reads them; raises
    `TooLarge` for a cell out of bounds, `Damaged` for a table or a note that never ends."""
    events = _events(shown)
    for closing, name, attributes, *_ in events:
        if not closing and name == b"table:table" and _first(attributes, b"table:name") is not None:
            yield _table(events)


def _table(events: Iterator[Event]) -> Table:
    table = Table()
    row = 0
    for closing, name, attributes, *_ in events:
        if closing:
            if name == b"table:table":
                return table
        elif name == b"table:table-row":
            repeats = _count(_first(attributes, b"table:number-rows-repeated"), unescaped=True)
            width, text = _row(events)
            if width:
                _check_place(row + repeats - 1, width - 1)
                table.rows, table.columns = row + repeats, max(table.columns, width)
                table.text += text * repeats
            row += repeats
    raise Damaged  # calamine reads a table that never ends forever


def _row(events: Iterator[Event]) -> tuple[int, int]:
    """How far the cells of a row reach that hold something, and their text in bytes."""
    column = width = text = 0
    for closing, name, attributes, _, end in events:
        if closing:
            if name == b"table:table-row":
                break
        elif name in _CELL_NAMES:
            repeats = _count(_first(attributes, b"table:number-columns-repeated"))
            holds, cell_text, ended = _cell(attributes, end, events)
            if holds:
                width, text = column + repeats, text + cell_text * repeats
            column += repeats
            if not ended:
                _read_to_end(events, name)
    return width, text


def _cell(attributes: bytes, after: int, events: Iterator[Event]) -> tuple[bool, int, bool]:
    """Whether a cell holds something, its text in bytes and whether its end was read, as
    calamine's `get_datatype` reads it: the first value attribute wins; a string cell
    without one takes its paragraphs, with `text:s` spaces, up to the cell's end."""
    valued = string = holds = False
    text = 0
    for key, value in _attributes(attributes):
        if key == b"table:formula":
            text, holds = text + len(value), holds or bool(value)
        elif valued:
            continue
        elif key in (b"office:value", b"office:boolean-value", *_TEXT_VALUES):
            valued = holds = True
            text += len(value) if key in _TEXT_VALUES else 0
        elif key == b"office:value-type":
            string = value == b"string"
    if valued or not string:
        return holds, text, False
    spaces = 0
    for closing, name, attributes, start, _ in events:
        if closing and name in _CELL_NAMES:
            return True, text + start - after + spaces, True
        if not closing and name == b"office:annotation":
            if not any(c and n == b"office:annotation" for c, n, *_ in events):
                raise Damaged  # calamine reads a note that never ends forever
        elif not closing and name == b"text:s":
            spaces += _count(_first(attributes, b"text:c"), unescaped=True)
    return True, text + spaces, True
