"""Which addresses may become links: web pages and e-mail only.

A rubric, a sheet copy or a Google Sheet is written by someone we do not know,
so an address in it is hostile until shown otherwise. Every face that makes a
link (the HTML report, the app, the .xlsx export, the Google Sheet) asks
`link_target` first; anything else (`javascript:`, `data:`, `file:`,
`vbscript:`, an address with spaces or control characters hidden in it) is
shown as plain text, never as something to click.
"""

from __future__ import annotations

import re

LINK_SCHEMES = ("http", "https", "mailto")

# A scheme, then for the web a host; no whitespace or control character anywhere,
# since browsers drop tabs and newlines inside an address ("java\tscript:").
_WEB = re.compile(r"https?://[^\s/?#@\\]+(?:[/?#][^\s]*)?", re.IGNORECASE)
_MAIL = re.compile(r"mailto:[^\s]+", re.IGNORECASE)
_HIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def link_target(url: str | None) -> str | None:
    """The address to link to (surrounding spaces removed), or None when it must stay text."""
    if not url:
        return None
    address = url.strip()
    if _HIDDEN.search(address):
        return None
    if _WEB.fullmatch(address) or _MAIL.fullmatch(address):
        return address
    return None


def scheme_of(url: str) -> str | None:
    """The scheme an address names (`javascript`, `data`, ...), lower-cased; None if none."""
    match = _SCHEME.match(url.strip())
    return match.group(1).lower() if match else None
