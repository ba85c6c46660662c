"""The contract of a lesson's view with the page shell, as a type: :class:`LessonView`.

A view is a Panel ``Viewer``: ``TunnelingView()`` (a model with the default settings) or
``TunnelingView(model)`` shows in a notebook cell like any Panel object (after ``pn.extension()``); served, :func:`lessons.common.page.lesson_app` builds the page from it.
"""
from __future__ import annotations

from typing import ClassVar

import panel as pn

from lessons.common.figures import flow_row, localize_numbers, translate_tools
from lessons.common.model import LessonModel
from lessons.common.palette import profile

__all__ = ["LessonView"]


class LessonView(pn.viewable.Viewer):
    """The contract between a lesson's view and the page shell (:func:`lessons.common.page.lesson_app`).

    A subclass names its model class (:attr:`MODEL`), builds its widgets, figures and player in
    ``__init__(model=None, look=None)`` (no model: one with the default settings) and provides:

    - ``player``: the canvas player on the lesson's first screen (or on one of its tabs);
    - :meth:`sidebar` and :meth:`main`: the page's parts, shown first;
    - :meth:`load_secondary`: what follows the first paint (figures, text; idempotent);
    - :meth:`stop`: stop periodic work (the session is gone);
    - :attr:`HIDEABLE`: read-outs a link can hide until revealed (key -> label);
    - :meth:`warm`: fill the lesson's shared caches once per server process (optional).

    Every string it shows goes through ``self._`` (``self.tr``, the session's
    :class:`~lessons.common.i18n.Translator`, the model's) and every number through ``self.tr.num``.

    ``look`` is the page's colour profile (:mod:`lessons.common.palette`): figures and players are
    drawn in it from the start (``self.c``: every named colour in it; ``self.colors``: the view's
    :attr:`COLORS` in it).
    """

    #: read-outs a link can hide until the teacher reveals them (key -> label)
    HIDEABLE: ClassVar[dict[str, str]] = {}

    #: what each of the view's curves is drawn in: a swatch name of lessons.common.palette per key
    COLORS: ClassVar[dict[str, str]] = {}

    #: the lesson's model class (a view made without a model makes one with the default settings)
    MODEL: ClassVar[type[LessonModel]] = LessonModel

    def __init__(self, model: LessonModel | None = None, look=None, **params):
        super().__init__(**params)
        if model is None:
            if type(self).MODEL is LessonModel:
                raise TypeError(f"{type(self).__name__} names no MODEL: pass a model")
            model = type(self).MODEL()
        self.model = model
        #: the session's language (the model's: the page made both with it); ``self._`` translates
        self.tr = model.tr
        self._ = self.tr.gettext
        self.look = look if look is not None else profile(None)
        self.c = self.look.swatches()                       # every named colour, in the page's profile
        self.colors = {key: getattr(self.c, name) for key, name in type(self).COLORS.items()}

    # ---- the contract -------------------------------------------------------------------------
    player = None

    def sidebar(self) -> list:
        raise NotImplementedError

    def main(self) -> list:
        raise NotImplementedError

    def load_secondary(self) -> None:
        """What follows the first paint (nothing by default)."""

    def stop(self) -> None:
        """Stop periodic work (nothing runs periodically by default)."""

    @staticmethod
    def warm() -> None:
        """Fill the lesson's shared caches (nothing by default)."""

    def players(self) -> list:
        """Every canvas player of the lesson (the page hands them the look and the hidden read-outs)."""
        return [self.player]

    # ---- a notebook cell --------------------------------------------------------------------
    def __panel__(self):
        # the page shell's order: the parts first, then what follows the first paint; built once
        if getattr(self, "_cell", None) is None:
            for player in self.players():      # a notebook has no page shell to hand them the look
                if not player.palette:
                    player.param.update(palette=self.look.js(), large_text=self.look.large)
            sidebar, main = self.sidebar(), self.main()
            self.load_secondary()
            parts = [*sidebar, *main]
            translate_tools(parts, self.tr)       # a page does this in lesson_app
            localize_numbers(parts, self.tr)
            self._cell = flow_row(pn.Column(*sidebar, width=340), pn.Column(*main, sizing_mode="stretch_width"))
        return self._cell
