"""What every lesson's model shares, and the card that makes a lesson known: no Panel import.

:class:`LessonModel` holds what all lesson models share: the notices about link values that had to
be corrected and reading a link (:meth:`LessonModel.from_query`, through :attr:`query_names`).  The
view's side of the contract is :class:`lessons.common.view.LessonView`.

Each lesson package declares its :class:`LessonCard` as ``CARD`` in its ``__init__.py``; that is
how the gallery, the server and the documentation find it (:func:`lessons.catalogue`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

import numpy as np
import param

from lessons.common.i18n import Translator, translator
from lessons.common.urlstate import sanitize

__all__ = ["LessonModel", "LessonCard"]


@dataclass(frozen=True)
class LessonCard:
    """What the gallery, the server and the documentation need to know of one lesson.

    The lesson's package is ``lessons.<slug>``: its ``view`` module has ``create_app()``, its
    ``lesson.md`` and ``model.md`` are the lesson text and the teacher notes, ``apps/<slug>.py``
    serves it at ``/<slug>`` and ``assets/<slug>.svg`` (if there) is its picture in the gallery.
    """

    slug: str            # the package's name and the served app's path, /<slug>
    title: str           # the gallery card's and the documentation page's title
    description: str     # one or two sentences (gallery card, documentation page)
    short: str = ""      # a short name (the documentation's table; default: the title)
    page_title: str = ""  # the served page's title (default: the short name)
    summary: str = ""    # what students do, one line (the documentation's table)
    order: int = 100     # teaching order in the gallery and the docs (smaller first)
    throttled: bool = True  # sliders report on release only (False: while dragged; the view coalesces)

    @property
    def thumbnail(self) -> str:
        """The gallery picture's file in assets/."""
        return f"{self.slug}.svg"

    @property
    def name(self) -> str:
        return self.short or self.title


class LessonModel(param.Parameterized):
    """Base of a lesson's state: settings as parameters (with bounds, mirrored in the link), the
    notices about link values that had to be corrected, and reading a link.

    A subclass sets :attr:`query_names` (link name -> parameter name) and may adjust what a link
    sets in :meth:`link_values` (the Bound-states well applies its shape's preset first) and finish
    in :meth:`linked` (by default: name the preset the settings match, :attr:`presets`).
    """

    __abstract = True

    #: link (URL query) name -> parameter name
    query_names: ClassVar[Mapping[str, str]] = {}

    #: A selector whose options name settings, kept in step both ways: ``(selector, {option:
    #: {parameter: value}})``, an option mapped to None (such as "custom") naming none.  Choosing an
    #: option applies its settings; a model made with one (a link that names it) opens with them,
    #: under any setting also given; changing a setting selects the first option whose settings all
    #: match it, else the one mapped to None (the Spin battery's and the VQE's coupling presets, the
    #: Anderson lesson's scenes).
    presets: ClassVar[tuple[str, Mapping[str, Mapping[str, float] | None]] | None] = None

    notices = param.List(default=[], doc="Messages about settings that had to be corrected.")

    def __init__(self, tr: Translator | None = None, **params):
        #: the language of the text the model writes (notices, run messages): the page's, else English
        self.tr = tr or translator()
        if self.presets is not None:
            selector, table = self.presets
            chosen = table.get(params.get(selector))
            if chosen:
                params = {**chosen, **params}
        super().__init__(**params)
        self._preset_syncing = False      # one side is following the other: no echo back
        if self.presets is not None:
            selector, table = self.presets
            self.param.watch(self._apply_preset, selector)
            self.param.watch(self._match_preset, sorted({k for v in table.values() if v for k in v}))

    def _apply_preset(self, *_events) -> None:
        selector, table = self.presets
        values = table[getattr(self, selector)]
        if values is not None and not self._preset_syncing:
            self._preset_syncing = True
            try:
                self.param.update(**values)
            finally:
                self._preset_syncing = False

    def _match_preset(self, *_events) -> None:
        if self.presets is None or self._preset_syncing:
            return
        selector, table = self.presets
        match = next((option for option, values in table.items() if values is not None and all(
            np.isclose(getattr(self, k), v, atol=1e-9) for k, v in values.items())),
            next(option for option, values in table.items() if values is None))
        if match != getattr(self, selector):
            self._preset_syncing = True
            try:
                setattr(self, selector, match)
            finally:
                self._preset_syncing = False

    @classmethod
    def link_values(cls, values: dict, notices: list[str], tr=None) -> dict:
        """The settings a link's checked ``values`` give the model (``values`` by default); may add
        to ``notices``."""
        return values

    def linked(self) -> None:
        """Called once a link has set the model: name the preset its settings match."""
        self._match_preset()

    @classmethod
    def from_query(cls, query, tr: Translator | None = None, **kw) -> "LessonModel":
        """A model set from URL query arguments, bad values clamped or refused with notices (in
        ``tr``'s language)."""
        values, notices = sanitize(cls, query, cls.query_names, tr)
        model = cls(tr=tr, **kw, **cls.link_values(values, notices, tr or translator()))
        model.linked()
        model.notices = notices + model.notices
        return model
