"""The address bar follows a lesson's settings, and a link (or the page) sets them.

Views only: nothing here computes physics.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs

import panel as pn
import param

from lessons.common.classroom import url_with
from lessons.common.urlstate import sanitize

__all__ = ["sync_url"]


def sync_url(model: param.Parameterized, names: dict[str, str]) -> None:
    """Mirror ``model``'s parameters in the URL query (``names``: query name -> parameter name).

    Every change of a synced parameter rewrites its own argument in the address bar, in JSON
    spelling (``true``, ``1.5``), and leaves every other argument as it was.  The model must already
    hold sanitised values (see ``from_query``); when the browser reports its query (after it
    connects, or a value the page changed), it is sanitised the same way: good values are taken,
    bad or blank ones are replaced by the model's, with a notice for what was not noted already.

    Panel's ``Location.sync`` is not used: its ``update_query`` decodes and re-encodes the whole
    query, so ``?a=true`` became ``?a=True`` (Python's spelling) whenever another setting changed,
    and the next report of that query failed to validate.
    """
    location = pn.state.location
    if location is None:
        return
    def clean_search(search: str) -> str:
        present = parse_qs(str(search or "").lstrip("?"), keep_blank_values=True)
        wanted = {q: _serialized(model, names[q]) for q in names}
        if all(present.get(q) == [v] for q, v in wanted.items()):
            return search
        return url_with(search, **wanted)

    writing = []
    # the synced arguments as last read or written: the model already holds what they say.  A link
    # the model was read from reports itself again when the page connects: an argument it had to
    # correct (``scene=-1``) must not then be applied as its default, undoing the link's other
    # settings through the preset it names (found by the fuzz: ``?scene=-1&W=8`` opened at W = 2)
    seen = _synced(location.search, names)
    opened_with = [dict(seen)]        # the link itself, until the page's first report of it

    def write(*_) -> None:
        search = clean_search(location.search)
        if search != location.search:
            writing.append(search)
            try:
                location.search = search
            finally:
                writing.pop()
        seen.clear()
        seen.update(_synced(location.search, names))

    def read(event) -> None:
        if writing:
            return          # our own write: the model holds these values already
        raw = parse_qs(str(event.new or "").lstrip("?"), keep_blank_values=True)
        link = opened_with.pop() if opened_with else {}
        query = {q: v for q, v in raw.items() if q in names and seen.get(q) != v and link.get(q) != v}
        values, notices = sanitize(type(model), query, names)
        # compared as the link spells them: a link rounds to 10 digits (Setting.serialize), and a
        # value equal in the link is no change (a hidden slider sent a new value breaks BokehJS)
        changed = {p: v for p, v in values.items()
                   if _serialized(model, p) != _serialized_value(model, p, v)}
        noted = {n.split("'")[1].split("=")[0] for n in model.notices if n.count("'") >= 2}
        fresh = [n for n in notices if n.split("'")[1].split("=")[0] not in noted]
        if fresh:
            model.notices = [*model.notices, *fresh]
        if changed:
            model.param.update(**changed)      # its watcher writes the address bar
        write()

    model.param.watch(write, list(names.values()))
    location.param.watch(read, "search")
    write()


def _synced(search: str, names: dict[str, str]) -> dict[str, list[str]]:
    """The synced arguments of a query string, as ``parse_qs`` spells them."""
    raw = parse_qs(str(search or "").lstrip("?"), keep_blank_values=True)
    return {q: v for q, v in raw.items() if q in names}


def _serialized(model: param.Parameterized, pname: str) -> str:
    return _serialized_value(model, pname, getattr(model, pname))


def _serialized_value(model: param.Parameterized, pname: str, value) -> str:
    value = model.param[pname].serialize(value)
    return value if isinstance(value, str) else json.dumps(value)
