"""The Spreading lesson's page: two sliders and the player (the smallest lesson; docs/howto/add_a_lesson.md)."""
from __future__ import annotations

import pathlib

import panel as pn

from lessons.common.i18n import N_
from lessons.common.page import lesson_app, notice_alert
from lessons.common.text import lesson_text
from lessons.common.view import LessonView
from lessons.spreading.model import SpreadingModel
from lessons.spreading.player import SpreadingPlayer


class SpreadingView(LessonView):
    """Sliders for σ and k₀ in the sidebar; the player, then the lesson text, in the main area."""

    MODEL = SpreadingModel

    def __init__(self, model: SpreadingModel | None = None, look=None):
        super().__init__(model, look)
        self.player = SpreadingPlayer(sizing_mode="stretch_width")
        self.notices = notice_alert(self.model)        # what a link set that had to be corrected
        # every word shown goes through self._ (the page's language; English is the msgid itself)
        self.sliders = [pn.widgets.FloatSlider.from_param(self.model.param.sigma, name=self._("Initial width σ"), step=0.05),
                        pn.widgets.FloatSlider.from_param(self.model.param.k0, name=self._("Momentum k₀"), step=0.1)]
        # model.run declares what it depends on (@param.depends): a new run goes out when that changes
        depends = [d.name for d in self.model.param.method_dependencies("run")]
        self.model.param.watch(lambda _event: self._show(), depends)
        self._show()

    def _show(self) -> None:
        self.player.show(self.model.x, self.model.run())

    def sidebar(self) -> list:
        return self.sliders

    def main(self) -> list:
        self.layout = pn.Column(self.notices, self.player, sizing_mode="stretch_width")
        return [self.layout]

    def load_secondary(self) -> None:
        """The lesson text, just after the first paint (the player shows first)."""
        if len(self.layout) == 2:
            self.layout.append(lesson_text(pathlib.Path(__file__).with_name("lesson.md"), self.tr))


def create_app():
    """One session of the Spreading lesson (apps/spreading.py serves it)."""
    return lesson_app(N_("Spreading"), SpreadingModel, SpreadingView)
