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

import param

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
    in :meth:`linked` (the Spin battery names the preset its couplings match).
    """

    __abstract = True

    #: link (URL query) name -> parameter name
    query_names: ClassVar[Mapping[str, str]] = {}

    notices = param.List(default=[], doc="Messages about settings that had to be corrected.")

    @classmethod
    def link_values(cls, values: dict, notices: list[str]) -> dict:
        """The settings a link's checked ``values`` give the model (``values`` by default); may add
        to ``notices``."""
        return values

    def linked(self) -> None:
        """Called once a link has set the model (nothing by default)."""

    @classmethod
    def from_query(cls, query, **kw) -> "LessonModel":
        """A model set from URL query arguments, bad values clamped or refused with notices."""
        values, notices = sanitize(cls, query, cls.query_names)
        model = cls(**kw, **cls.link_values(values, notices))
        model.linked()
        model.notices = notices + model.notices
        return model
