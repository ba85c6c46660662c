"""Parts of a lesson page that are made or redrawn only when a student can see them.

:class:`LazyTabs` builds a tab the first time it is opened and keeps only the open tab on the page;
:class:`Section` redraws a part of the page when the settings it declares it depends on have changed;
:class:`Debounced` coalesces a burst of setting changes into one recompute; :func:`tab_closed`
tells periodic work that its page has gone.  Views only: nothing here computes physics.
"""
from __future__ import annotations

import time

import panel as pn

__all__ = ["Debounced", "LazyTabs", "Section", "tab_closed", "TABS_CSS"]

#: Tab titles take a second row rather than running off the side of a narrow screen or a large font.
TABS_CSS = ".bk-headers-wrapper, .bk-headers { flex-wrap: wrap; }"


class Debounced:
    """``fn`` called for the latest settings at most once every ``ms`` (at once outside a server).

    A lone change runs at the next tick, so a click or a key press is answered without delay; held
    keys and fast slider drags send many values within ``ms``, which are coalesced into one call
    ``ms`` after the previous one, for the latest settings.
    """

    def __init__(self, fn, ms: int):
        self.fn, self.ms, self.pending = fn, ms, False
        self.last = -1e9            # time.monotonic() of the last call of fn

    def __call__(self, *_):
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:
            self._run()
        elif not self.pending:
            self.pending = True
            wait_ms = self.ms - 1000 * (time.monotonic() - self.last)
            if wait_ms <= 0:
                doc.add_next_tick_callback(self._run)
            else:
                doc.add_timeout_callback(self._run, wait_ms)

    def _run(self):
        self.pending = False
        self.last = time.monotonic()
        self.fn()


class Section:
    """A part of the page drawn from the model, redrawn when what it declares it depends on changes.

    ``Section(model, depends, draw)``: ``depends`` names the model's parameters the drawing reads (a
    sequence of names, or a function returning them when they depend on other settings, such as
    the settings of a map that are not its axes); ``draw()`` draws it.  :meth:`refresh` draws if
    any of them has changed since the last drawing (or it was never drawn) and ``shown()`` says the
    section can be seen (e.g. its tab is open): a section nobody can see is drawn when it next can.
    The view does not keep keys or flags of its own.
    """

    _NEVER = object()

    def __init__(self, model, depends, draw, shown=lambda: True):
        self.model, self.depends, self.draw, self.shown = model, depends, draw, shown
        self._drawn = self._NEVER

    def names(self) -> tuple[str, ...]:
        """The parameters the section depends on now."""
        return tuple(self.depends() if callable(self.depends) else self.depends)

    def key(self) -> tuple:
        """The current values of what the section depends on."""
        return tuple((name, getattr(self.model, name)) for name in self.names())

    @staticmethod
    def _same(a, b) -> bool:
        # settings compare by value; anything else (a computed state holding arrays) by identity
        if a is b:
            return True
        if len(a) != len(b):
            return False
        plain = (int, float, str, bool, type(None))
        return all(na == nb and (va is vb or (isinstance(va, plain) and type(va) is type(vb) and va == vb))
                   for (na, va), (nb, vb) in zip(a, b))

    @property
    def stale(self) -> bool:
        """Whether what is drawn (if anything) is older than the settings."""
        return self._drawn is self._NEVER or not self._same(self._drawn, self.key())

    def refresh(self) -> bool:
        """Draw if stale and shown; returns whether it drew."""
        if not self.shown():
            return False
        key = self.key()
        if self._drawn is not self._NEVER and self._same(self._drawn, key):
            return False
        self.draw()
        self._drawn = key       # only once drawn: a drawing that raised is tried again next time
        return True


class LazyTabs(pn.Tabs):
    """Tabs whose contents are built the first time they are opened, and rendered only while open.

    ``LazyTabs(("title", build), ...)``: ``build()`` returns the tab's Panel objects (or one).  The
    tabs are ``dynamic``: Panel renders only the open one, so a hidden tab costs the page nothing,
    and a tab never opened costs nothing at all: its Bokeh figures are never made (a figure costs
    about 10 ms of server CPU to build and as much again to put on a page).  ``prepare(objects)`` is
    called with what a build returns before it is shown (``lesson_app`` sets it to give the
    objects the page's look); ``opened(title)`` builds a tab now, ``built(title)`` tells whether it
    is.  Tabs can be added later with :meth:`add_lazy`.

    ``later=True``: in a served page the open tab too is built only when ``opened`` is called (a
    view's ``load_secondary``, just after the first paint), so the page's first message carries
    the read-outs and controls, not the figures.  Outside a server it is built at once.
    """

    def __init__(self, *tabs, later: bool = False, **params):
        params["stylesheets"] = [TABS_CSS, *params.get("stylesheets", [])]
        super().__init__(*[(title, pn.Column(sizing_mode="stretch_width")) for title, _ in tabs],
                         dynamic=True, **params)
        self._builders = {title: build for title, build in tabs}
        self._built: set[str] = set()
        self.prepare = lambda objects: None
        self.param.watch(lambda _e: self.opened(self.active_title), "active")
        doc = pn.state.curdoc
        served = doc is not None and doc.session_context is not None
        if tabs and not (later and served):
            self.opened(self.active_title)

    @property
    def active_title(self) -> str | None:
        return self._names[self.active] if 0 <= self.active < len(self._names) else None

    def built(self, title: str) -> bool:
        return title in self._built

    def opened(self, title: str | None) -> None:
        """Build the tab called ``title`` if it has not been built yet."""
        if title is None or title in self._built or title not in self._builders:
            return
        self._built.add(title)
        objects = self._builders[title]()
        objects = list(objects) if isinstance(objects, (list, tuple)) else [objects]
        self.prepare(objects)
        self[self._names.index(title)].objects = objects

    def add_lazy(self, *tabs) -> None:
        """Add ``(title, build)`` tabs at the end (built when first opened)."""
        for title, build in tabs:
            self._builders[title] = build
        self.extend([(title, pn.Column(sizing_mode="stretch_width")) for title, _ in tabs])
        self.opened(self.active_title)       # the first tabs added are the open one


def tab_closed(player) -> bool:
    """True when ``player``'s page had connected and this session now has no websocket (tab closed).

    Before the page first connects the count is 0 too, so only a page that said "ready" counts.
    Bokeh keeps a session for a while after its tab closes; periodic work should stop at once.
    """
    if not player.connected:
        return False
    ctx = pn.state.curdoc.session_context if pn.state.curdoc else None
    session = getattr(ctx, "_session", None)  # Bokeh's ServerSession; absent outside a server
    return session is not None and getattr(session, "connection_count", 1) == 0
