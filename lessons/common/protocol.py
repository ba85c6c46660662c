"""The messages between a lesson's player in the browser and the server: the one place they are written down.

The browser side is ``lessons/common/shell.js`` (every lesson's player); the server side is
:class:`lessons.common.player.Player`; the documentation's baked runs (``docs/bake.py``) are a
recording of the server's messages and ``docs/_static/ql-embed.js`` answers the page as the server
would; the tests stand in for the browser with ``tests/lessons/helpers.Recorder``.  All go through
Panel's ``JSComponent`` message channel (``_send_msg`` / ``model.send_msg``), in order; NumPy float32
arrays travel as binary buffers.

Server -> page
--------------
``setup``  ``{"kind": "setup", "run": id, ...}``: a new run; the page forgets the previous one.  It
           carries what does not change while the run plays (a grid, a potential, scales, labels).
``chunk``  ``{"kind": "chunk", "run": id, "start": i, "end": j, "done": bool, ...}``: data of the run:
           frames ``i .. j-1`` of a frame-indexed run (arrays frame-major), or a whole run's series
           (``start`` 0, ``end`` its length), or the current state of a run played on a continuous
           clock (``start == end``).  ``done``: no more frames will come (a new state may).
           Chunks of another run than the current one are ignored.
``error``  ``{"kind": "error", "run": id, "text": str}``: the run cannot go on; the page says why.

Page -> server
--------------
``ready``   ``{"kind": "ready"}``: the page has rendered the player (again, after a reconnect); the
            server replays the current run (its setup and chunks).  Messages sent before are lost.
``more``    ``{"kind": "more", "run": id, "upto": n}``: the page wants frames up to ``n`` of that run
            (one request at a time; it asks when less than a second or two of playback is held).
``ended``   ``{"kind": "ended", "run": id}``: the animation of a finished run reached its last frame.
``action``  ``{"kind": "action", "name": str, ...}``: a lesson's own request (the Bound-states
            measurement: ``{"name": "measure", "what", "shots", "t", "state"}``).

Anything a page sends is untrusted (any websocket client can send anything):
:func:`page_message` checks it.
"""
from __future__ import annotations

import math
import numbers

__all__ = ["SETUP", "CHUNK", "ERROR", "READY", "MORE", "ENDED", "ACTION", "setup", "chunk", "error", "page_message"]

SETUP, CHUNK, ERROR = "setup", "chunk", "error"
READY, MORE, ENDED, ACTION = "ready", "more", "ended", "action"


def setup(run: int, **data) -> dict:
    """The ``setup`` message of run ``run``."""
    return {"kind": SETUP, "run": int(run), **data}


def chunk(run: int, start: int = 0, end: int = 0, done: bool = True, **data) -> dict:
    """A ``chunk`` message of run ``run`` (frames ``start .. end-1``)."""
    return {"kind": CHUNK, "run": int(run), "start": int(start), "end": int(end), "done": bool(done), **data}


def error(run: int, text: str) -> dict:
    """The ``error`` message of run ``run``."""
    return {"kind": ERROR, "run": int(run), "text": str(text)}


def _count(value) -> int | None:
    """``value`` if it is a whole number a page could send (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def _finite(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return None
    return float(value)


def page_message(msg) -> dict | None:
    """A message from the page, checked: the message with its fields as their types, or None.

    ``ready`` passes as it is; ``more`` needs a whole ``run`` and a whole ``upto`` >= 0; ``ended`` a
    whole ``run``; ``action`` a ``name`` (a short string); its other fields are the lesson's to check.
    """
    if not isinstance(msg, dict):
        return None
    kind = msg.get("kind")
    if kind == READY:
        return {"kind": READY}
    if kind in (MORE, ENDED):
        run = _count(msg.get("run"))
        if run is None:
            return None
        if kind == ENDED:
            return {"kind": ENDED, "run": run}
        upto = _count(msg.get("upto"))
        return None if upto is None else {"kind": MORE, "run": run, "upto": max(0, upto)}
    if kind == ACTION:
        name = msg.get("name")
        if not isinstance(name, str) or not 0 < len(name) <= 32:
            return None
        return dict(msg)
    return None


def number(value) -> float | None:
    """A finite number from a page's message (an action's field), or None."""
    return _finite(value)


def whole(value) -> int | None:
    """A whole number from a page's message (an action's field), or None."""
    return _count(value)
