"""Stand-ins and parsers shared by the view tests (no browser)."""
from __future__ import annotations

import re

__all__ = ["Recorder", "read_cards", "shown_run"]

_CARD = re.compile(r'<div class="ql-card" data-q="(\w+)"><span>[^<]*</span><b>([^<]*)</b>')


class Recorder:
    """Stands in for the browser: collects what ``player`` sends.

    ``ready=True`` first reports the page as ready, as a browser does once it has rendered the
    player (which then replays its current state); ``ready=False`` records without that.
    """

    def __init__(self, player, ready: bool = True):
        self.sent = []
        player._send_msg = self.sent.append
        if ready:
            player._handle_msg({"kind": "ready"})

    def last(self, kind):
        return [m for m in self.sent if m["kind"] == kind][-1]

    def runs(self) -> list[dict]:
        """Each run the page was sent, as the page holds it: its setup with its chunks' fields on top."""
        return _merged(self.sent)


def _merged(messages) -> list[dict]:
    out = []
    for m in messages:
        if m["kind"] == "setup":
            out.append(dict(m))
        elif m["kind"] == "chunk" and out and out[-1]["run"] == m["run"]:
            out[-1].update({k: v for k, v in m.items() if k != "kind"})
    return out


def shown_run(player) -> dict | None:
    """What a page that connects now would hold of ``player``'s run (its replay, merged), or None."""
    runs = _merged(player._replay())
    return runs[-1] if runs else None


def read_cards(html: str, keys) -> dict[str, str]:
    """key -> shown text of the read-out cards (lessons.common.figures.readout_cards), checking their order."""
    found = dict(_CARD.findall(html))
    assert list(found) == list(keys), html
    return found
