"""Text someone else wrote, made safe to hand to Streamlit, which reads it as Markdown.

A rubric, a sheet copy or a stored study may come from anyone. In Markdown,
`[title](address)` and `<address>` become links whatever the address says, and
`![title](address)` fetches an image; Streamlit shows no raw HTML unless told
to, and we never tell it to. So every such text goes through `text`, which keeps
bold, italics and lists but escapes the characters that make links, images,
HTML and formulas; `link` makes the one kind of link we allow, to a web or
e-mail address (`core.links.link_target`), and shows any other address as text.
"""

from __future__ import annotations

import re

from selfstudy.core.links import link_target

_SPECIAL = re.compile(r"([\\\[\]<>$])")
# Characters that end or change a Markdown link's address; percent-encoded, they mean the same.
_ENDS_ADDRESS = re.compile(r"[()<>\[\]\\`\"']")


def text(value: str) -> str:
    """`value` as it was written, with no link, image, HTML tag or formula in it."""
    return _SPECIAL.sub(r"\\\1", value)


def link(title: str, url: str | None) -> str:
    """`title` as a link to `url` when it is a web or e-mail address; else both as text."""
    title = text(" ".join(title.split()))
    target = link_target(url)
    if target is not None:
        address = _ENDS_ADDRESS.sub(lambda m: f"%{ord(m.group()):02X}", target)
        return f"[{title}]({address})"
    return f"{title} ({text(' '.join(url.split()))})" if url else title
