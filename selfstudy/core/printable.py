"""Text from the input, made safe to show in a terminal: the one way it gets there.

A terminal acts on some characters instead of showing them: an escape sequence
clears the screen, retitles the window or colours what follows, a line break
starts a line that looks like our own, a bidirectional override shows a line in
another order than it holds. Every text from a file, a copy, a sheet or the
database that a command prints passes through `printable` (a line, a table cell)
or `json_text` (a JSON document), which write such characters out instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Control characters (C0 but the tab, DEL, C1), line and paragraph separators, the marks
# that reorder a line (bidirectional embeddings, overrides, isolates), and halves of a
# pair, which no terminal can print.
_HIDDEN = "\\x7f-\\x9f\\u2028-\\u202e\\u2066-\\u2069\\ud800-\\udfff"
_UNPRINTABLE = re.compile(f"[\\x00-\\x08\\x0a-\\x1f{_HIDDEN}]")
_UNPRINTABLE_IN_JSON = re.compile(f"[{_HIDDEN}]")  # JSON writes C0 characters out itself


def printable(text: str) -> str:
    """`text` on one line, each character a terminal would act on written out as Python
    writes it: `\\x1b`, `\\n`, `\\u202e`."""
    return _UNPRINTABLE.sub(lambda found: repr(found.group())[1:-1], text)


def json_text(data: Any) -> str:
    """`data` as indented JSON with its text as typed (accents, other scripts), each
    character a terminal would act on written as a JSON escape: `\\u009b`."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _UNPRINTABLE_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def printable_lines(text: str) -> str:
    """`text` line by line through `printable`, its line breaks kept: a CSV table for the
    terminal (a file gets the exact text: `selfstudy plan export`)."""
    return "\n".join(printable(line) for line in text.split("\n"))
