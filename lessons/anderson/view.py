"""Panel/Bokeh rendering of :class:`lessons.anderson.model.AndersonModel`.

The view owns no physics.  A change of the settings starts a new run; the page plays it and asks
for more frames as it plays (``LatticePlayer.page.request``), so the server computes only what is
watched.  Beside the animation: the localization length against W from the transfer matrix with
the perturbative laws and a marker at the current W, and the eigenstates of the chain nearest the
packet's energy.  When the page has played a run to its end, the cards show how it spread.
"""
from __future__ import annotations

import math
import pathlib

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, Range1d

from lessons.anderson.model import SCENES, AndersonModel
from lessons.anderson.player import LatticePlayer
from lessons.common.figures import READOUT_CSS, flow_row, legend_below, lesson_figure, readout_cards
from lessons.common.i18n import N_, Translator
from lessons.common.page import lesson_app, notice_alert
from lessons.common.sections import Debounced, LazyTabs, Section
from lessons.common.text import lesson_text, plain_text
from lessons.common.view import LessonView

__all__ = ["AndersonView", "create_app"]

HERE = pathlib.Path(__file__).parent
FIRST_CHUNK = 20    # frames in a new run's first chunk (at most SLICE_S of work)
MAX_CHUNK = 120     # the most frames one request computes
SLICE_S = 0.05      # ... and the most server time it takes
DEBOUNCE_MS = 120

#: what each curve of the figures is drawn in (a swatch of lessons.common.palette)
COLORS = {"tm": "blue", "perturbative": "green", "band_centre": "orange", "now": "red",
          "state0": "sky", "state1": "violet", "state2": "olive"}
#: key -> (label, hint): English msgids, shown in the page's language (readout_cards)
CARDS = (("xi", N_("Localization length ξ"), N_("transfer matrix at the packet's energy, static W")),
         ("xi_pert", N_("Perturbative ξ"), N_("24(4 − E²)/W², weak disorder")),
         ("exponent", N_("Spreading exponent"), N_("slope of log⟨x²⟩ vs log t, last decade: 2, 1 or 0")),
         ("D", N_("Diffusion constant D"), N_("from ⟨x²⟩ ≈ 2Dt, second half of the run")),
         ("pr", N_("Participation ratio"), N_("sites the electron occupies at the end")))


def _fmt(v, tr: Translator, digits=3) -> str:
    """A read-out number with ``digits`` significant digits, written the page's way (– none, ∞)."""
    if v is None:
        return "–"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    return tr.num(v, f".{digits}g")


class AndersonView(LessonView):
    """Widgets, the lattice player and the two figures for one browser session."""

    COLORS = COLORS
    MODEL = AndersonModel

    HIDEABLE = {"xi": N_("localization length ξ"), "xi_pert": N_("perturbative ξ"),
                "exponent": N_("spreading exponent"), "D": N_("diffusion constant D"),
                "pr": N_("participation ratio (card)"), "spread": N_("spread √⟨x²⟩"),
                "norm": N_("probability on the chain")}

    def __init__(self, model: AndersonModel | None = None, look=None):
        super().__init__(model, look)
        m = self.model
        self.player = LatticePlayer(scale=m.scale, sizing_mode="stretch_width")
        self._make_widgets()
        self.notices = notice_alert(m)
        self.cards = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[READOUT_CSS])
        self.status = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(15px * var(--ql-scale, 1))"})
        self._make_figures()
        m.param.watch(lambda e: setattr(self.player, "scale", e.new), "scale")
        self.player.answer_pulls(lambda: self.model.run, self._pump, MAX_CHUNK)
        self.player.page.param.watch(lambda *_: self._on_ended(), "ended_run")
        self.xi_section = Section(m, ("W", "seed", "start", "k0"), self._draw_xi, lambda: self._secondary)
        self.states_section = Section(m, ("sites", "W", "seed", "amplitude", "start", "k0"), self._draw_states,
                                      lambda: self._secondary)
        self._secondary = False
        m.param.watch(Debounced(self._restart, DEBOUNCE_MS), list(AndersonModel.RUN))
        self._restart()

    # ---- widgets -------------------------------------------------------------------------------------
    def _make_widgets(self):
        m, _ = self.model, self._
        self.scene = pn.widgets.Select.from_param(m.param.scene, label=_("Scene"),
                                                  description=_("A ready-made setting."),
                                                  options={_(label): key for key, (label, _v) in SCENES.items()})
        self.W = pn.widgets.FloatSlider.from_param(m.param.W, label=_("Disorder W"))
        self.seed = pn.widgets.IntSlider.from_param(m.param.seed, label=_("Seed"), end=99)
        self.amplitude = pn.widgets.FloatSlider.from_param(m.param.amplitude, label=_("Vibration amplitude A"))
        self.speed = pn.widgets.FloatSlider.from_param(m.param.speed, label=_("Sound speed c"))
        self.start = pn.widgets.RadioButtonGroup.from_param(
            m.param.start, options={_("Gaussian packet"): "packet", _("one site"): "site"}, label=_("Start"))
        self.k0 = pn.widgets.FloatSlider.from_param(m.param.k0, label=_("Packet wavenumber k₀"))
        self.sigma = pn.widgets.FloatSlider.from_param(m.param.sigma, label=_("Packet width σ (sites)"))
        self.sites = pn.widgets.IntSlider.from_param(m.param.sites, label=_("Sites N"), step=50)
        self.ends = pn.widgets.RadioButtonGroup.from_param(
            m.param.ends, options={_("open"): "open", _("absorbing"): "absorbing"}, label=_("Ends"))
        self.t_max = pn.widgets.FloatSlider.from_param(m.param.t_max, label=_("Run length"))
        self.scale = pn.widgets.RadioButtonGroup.from_param(
            m.param.scale, options={_("|ψ|² linear"): "linear", "log₁₀ |ψ|²": "log"}, label=_("Axis"))
        show = lambda *_: setattr(self.sigma, "visible", m.start == "packet") or setattr(self.k0, "visible", m.start == "packet")  # noqa: E731
        m.param.watch(show, "start")
        show()

    def _make_figures(self):
        c, _ = self.colors, self._
        self.xi_src = ColumnDataSource(dict(W=[], xi=[]))
        self.law_src = ColumnDataSource(dict(W=[], pert=[], centre=[]))
        self.now_src = ColumnDataSource(dict(W=[], xi=[]))
        # (made with the English title: the PNG and CSV files are named after it; then shown translated)
        f = lesson_figure("Localization length ξ against the disorder W", _("disorder W (units of J)"),
                          _("ξ (sites)"), height=340, x_axis_type="log", y_axis_type="log",
                          x_range=Range1d(0.4, 9.0), y_range=Range1d(0.5, 2000))
        f.title.text = _("Localization length ξ against the disorder W")
        f.line("W", "pert", source=self.law_src, color=c["perturbative"], line_width=2, line_dash="dashed",
               legend_label=_("perturbative 24(4 − E²)/W²"))
        self.centre_line = f.line("W", "centre", source=self.law_src, color=c["band_centre"], line_width=2,
                                  line_dash="dotted", legend_label=_("band centre 105/W²"))
        f.scatter("W", "xi", source=self.xi_src, color=c["tm"], size=8,
                  legend_label=_("transfer matrix (2·10⁵ sites)"))
        f.scatter("W", "xi", source=self.now_src, color=c["now"], size=14, marker="circle_cross",
                  fill_alpha=0.3, legend_label=_("your W"))
        legend_below(f)
        self.xi_fig = f
        self.state_src = [ColumnDataSource(dict(x=[], y=[])) for _ in range(3)]
        g = lesson_figure("Eigenstates nearest the packet's energy", _("site i"), "|φ|²", height=340)
        g.title.text = _("Eigenstates nearest the packet's energy")
        self.state_renderers = [g.line("x", "y", source=src, color=c[f"state{k}"], line_width=2,
                                       legend_label=_("state {n}").format(n=k + 1))
                                for k, src in enumerate(self.state_src)]
        legend_below(g)
        self.states_fig = g
        self.states_text = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(14px * var(--ql-scale, 1))"})

    # ---- runs ------------------------------------------------------------------------------------------
    def _restart(self):
        m = self.model
        try:
            run = m.new_run()
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as err:
            self.status.object = self._("Could not start this run: {reason}").format(
                reason=plain_text(str(err)))
            return
        self.player.show_setup(run)
        self._pump(FIRST_CHUNK)
        self._show_cards(None)
        self._show_status()
        self.xi_section.refresh()
        self.states_section.refresh()

    def _pump(self, n: int = MAX_CHUNK):
        self.player.send_frames(self.model.run, n, SLICE_S)

    def _on_ended(self):
        if self.player.played_to_end(self.model.run):
            self._show_cards(self.model.run)

    # ---- read-outs ---------------------------------------------------------------------------------------
    def _show_cards(self, run):
        xi, tr = self.model.xi(), self.tr
        values = {"xi": _fmt(xi["now"], tr), "xi_pert": _fmt(xi["perturbative_now"], tr),
                  "exponent": "–", "D": "–", "pr": "–"}
        if run is not None:
            values["exponent"] = _fmt(run.exponent(), tr, 2)
            D = run.diffusion() if run.moving and run.s.speed > 0 else None
            values["D"] = _fmt(D, tr) if D is not None and D > 0 else "–"
            values["pr"] = _fmt(run.records["pr"][-1], tr)
        self.cards.object = readout_cards(CARDS, values, tr)

    def _show_status(self):
        m, tr, _ = self.model, self.tr, self._
        E = m.band_energy()
        # a list of what the run is made of, each item a msgid of its own (bold Markdown stays outside the
        # msgids: a translation's text is then one text node on the page)
        sites = tr.ngettext("{n} site", "{n} sites", m.sites).format(n=m.sites)
        parts = [f"**{sites}**, " + _("static disorder W = {W}").format(W=tr.num(m.W, "g"))]
        if m.amplitude > 0:
            wave = (_("a wave field of amplitude A = {A} moving at c = {c} (frozen)") if m.speed == 0 else
                    _("a wave field of amplitude A = {A} moving at c = {c}"))
            parts.append(wave.format(A=tr.num(m.amplitude, "g"), c=tr.num(m.speed, "g")))
        parts.append(_("the electron starts on one site") if m.start == "site" else
                     _("a packet of width {sigma} sites at energy E = −2 cos k₀ = {E}").format(
                         sigma=tr.num(m.sigma, "g"), E=tr.num(E, ".3g")))
        if m.ends == "absorbing":
            parts.append(_("absorbing ends"))
        self.status.object = "; ".join(parts) + "."

    # ---- figures -------------------------------------------------------------------------------------------
    def _draw_xi(self):
        x = self.model.xi()
        with pn.io.hold():
            self.xi_src.data = dict(W=x["W"], xi=x["xi"])
            centre = x["band_centre"]
            self.law_src.data = dict(W=x["W_line"], pert=x["perturbative"],
                                     centre=centre if centre is not None else np.full(x["W_line"].size, np.nan))
            self.centre_line.visible = centre is not None
            now = x["now"]
            self.now_src.data = dict(W=[x["W_now"]] if x["W_now"] > 0 else [], xi=[now] if x["W_now"] > 0 else [])
            self.xi_fig.title.text = self._("Localization length ξ against the disorder W at E = {E}").format(
                E=self.tr.num(x["E"], ".3g"))

    def _draw_states(self):
        s, tr = self.model.eigenstates_near(), self.tr
        with pn.io.hold():
            for k, src in enumerate(self.state_src):
                if k < len(s["E"]):
                    src.data = dict(x=s["x"], y=s["density"][k])
                else:
                    src.data = dict(x=[], y=[])
            for k, r in enumerate(self.state_renderers):
                if k < len(s["E"]):
                    self.states_fig.legend[0].items[k].label = {"value": f"E = {tr.num(s['E'][k], '.3f')}"}
        rows = "; ".join(self._("E = {E}: participation ratio {pr} sites, ξ ≈ {xi}").format(
                             E=tr.num(E, ".3f"), pr=tr.num(pr, ".0f"), xi=_fmt(xi, tr))
                         for E, pr, xi in zip(s["E"], s["pr"], s["xi"]))
        text = (self._("The three eigenstates of the chain nearest E = {E} (lattice frozen as at t = 0): {rows}.")
                if self.model.amplitude > 0 else
                self._("The three eigenstates of the chain nearest E = {E}: {rows}."))
        self.states_text.object = plain_text(text.format(E=tr.num(s["target"], ".3g"), rows=rows))

    # ---- lifetime -------------------------------------------------------------------------------------------
    def stop(self):
        self.model.run = None

    @staticmethod
    def warm() -> None:
        """Compile the kernels and fill the default ξ(W) curve once per server process."""
        m = AndersonModel(t_max=20.0)
        m.full_run()
        m.xi()
        AndersonModel(scene="vibrating", t_max=10.0).full_run()

    # ---- layout ---------------------------------------------------------------------------------------------
    def sidebar(self) -> list:
        _ = self._
        return [
            self.scene,
            pn.pane.Markdown("### " + _("Disorder")), self.W, self.seed,
            pn.pane.Markdown("### " + _("The vibrating lattice")), self.amplitude, self.speed,
            pn.pane.Markdown("### " + _("The electron")), self.start, self.k0, self.sigma,
            pn.pane.Markdown("### " + _("The chain and the run")), self.sites, self.ends, self.t_max,
            pn.pane.Markdown("### " + _("Display")), self.scale,
        ]

    def main(self) -> list:
        self.layout = pn.Column(self.notices, self.player, self.cards, self.status, sizing_mode="stretch_width")
        return [self.layout]

    def load_secondary(self) -> None:
        """The two figures and the lesson text (after the first paint, in a served page)."""
        if len(self.layout) > 4:
            return
        self._secondary = True
        self.xi_section.refresh()
        self.states_section.refresh()
        about = LazyTabs((self._("Lesson"), lambda: lesson_text(HERE / "lesson.md", self.tr)),
                         (self._("Teacher notes"), lambda: lesson_text(HERE / "model.md", self.tr)),
                         sizing_mode="stretch_width")
        self.layout.extend([flow_row(pn.pane.Bokeh(self.xi_fig, sizing_mode="stretch_width"),
                                     pn.pane.Bokeh(self.states_fig, sizing_mode="stretch_width")),
                            self.states_text, about])


def create_app():
    """One session of the Anderson lesson (called by apps/anderson.py per browser tab)."""
    return lesson_app(N_("Anderson localization"), AndersonModel, AndersonView)
