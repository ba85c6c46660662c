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


def test_closed_socket_noise_is_dropped_and_nothing_else(caplog):
    import asyncio
    import logging

    from tornado.websocket import WebSocketClosedError

    from lessons.common.ui import quiet_closed_sockets

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        quiet_closed_sockets()
        quiet_closed_sockets()                     # idempotent: one handler, not a chain
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            loop.call_exception_handler({"message": "Task exception was never retrieved",
                                         "exception": WebSocketClosedError()})
            assert caplog.records == []
            loop.call_exception_handler({"message": "real trouble", "exception": ValueError("boom")})
            assert any("real trouble" in r.getMessage() for r in caplog.records)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
