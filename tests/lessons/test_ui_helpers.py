"""Page helpers: text quoted from a link is shown as text, never as markup."""
import html
import re

import pytest
from markdown_it import MarkdownIt

from lessons.common.ui import plain_text

PAYLOADS = [
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    "'width=<img src=x onerror=alert(1)>' is not a number: using 1.5.",
    "**bold** _it_ [link](javascript:alert(1)) `code` # head",
    "a & b < c > d \" ' \x00 \u202e",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_plain_text_renders_as_the_same_text_without_tags(text):
    rendered = MarkdownIt("commonmark", {"html": True}).render(plain_text(text))
    inner = re.fullmatch(r"<p>(.*)</p>\s*", rendered, re.S)
    assert inner, rendered                     # one paragraph, no other element
    assert "<" not in inner.group(1)           # no tag of any kind
    shown = html.unescape(inner.group(1))
    expected = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    assert shown == expected
