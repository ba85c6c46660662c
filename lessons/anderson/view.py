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
CARDS = (("xi", "Localization length ξ", "transfer matrix at the packet's energy, static W"),
         ("xi_pert", "Perturbative ξ", "24(4 − E²)/W², weak disorder"),
         ("exponent", "Spreading exponent", "slope of log⟨x²⟩ vs log t, last decade: 2, 1 or 0"),
         ("D", "Diffusion constant D", "from ⟨x²⟩ ≈ 2Dt, second half of the run"),
         ("pr", "Participation ratio", "sites the electron occupies at the end"))


def _fmt(v, digits=3) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    return f"{v:.{digits}g}"


class AndersonView(LessonView):
    """Widgets, the lattice player and the two figures for one browser session."""

    COLORS = COLORS
    MODEL = AndersonModel

    HIDEABLE = {"xi": "localization length ξ", "xi_pert": "perturbative ξ", "exponent": "spreading exponent",
                "D": "diffusion constant D", "pr": "participation ratio (card)", "spread": "spread √⟨x²⟩",
                "norm": "probability on the chain"}

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
        m = self.model
        self.scene = pn.widgets.Select.from_param(m.param.scene, label="Scene",
                                                  options={label: key for key, (label, _) in SCENES.items()})
        self.W = pn.widgets.FloatSlider.from_param(m.param.W, label="Disorder W")
        self.seed = pn.widgets.IntSlider.from_param(m.param.seed, label="Seed", end=99)
        self.amplitude = pn.widgets.FloatSlider.from_param(m.param.amplitude, label="Vibration amplitude A")
        self.speed = pn.widgets.FloatSlider.from_param(m.param.speed, label="Sound speed c")
        self.start = pn.widgets.RadioButtonGroup.from_param(
            m.param.start, options={"Gaussian packet": "packet", "one site": "site"}, label="Start")
        self.k0 = pn.widgets.FloatSlider.from_param(m.param.k0, label="Packet wavenumber k₀")
        self.sigma = pn.widgets.FloatSlider.from_param(m.param.sigma, label="Packet width σ (sites)")
        self.sites = pn.widgets.IntSlider.from_param(m.param.sites, label="Sites N", step=50)
        self.ends = pn.widgets.RadioButtonGroup.from_param(m.param.ends, options={"open": "open", "absorbing": "absorbing"},
                                                           label="Ends")
        self.t_max = pn.widgets.FloatSlider.from_param(m.param.t_max, label="Run length")
        self.scale = pn.widgets.RadioButtonGroup.from_param(
            m.param.scale, options={"|ψ|² linear": "linear", "log₁₀ |ψ|²": "log"}, label="Axis")
        show = lambda *_: setattr(self.sigma, "visible", m.start == "packet") or setattr(self.k0, "visible", m.start == "packet")  # noqa: E731
        m.param.watch(show, "start")
        show()

    def _make_figures(self):
        c = self.colors
        self.xi_src = ColumnDataSource(dict(W=[], xi=[]))
        self.law_src = ColumnDataSource(dict(W=[], pert=[], centre=[]))
        self.now_src = ColumnDataSource(dict(W=[], xi=[]))
        f = lesson_figure("Localization length ξ against the disorder W", "disorder W (units of J)",
                          "ξ (sites)", height=340, x_axis_type="log", y_axis_type="log",
                          x_range=Range1d(0.4, 9.0), y_range=Range1d(0.5, 2000))
        f.line("W", "pert", source=self.law_src, color=c["perturbative"], line_width=2, line_dash="dashed",
               legend_label="perturbative 24(4 − E²)/W²")
        self.centre_line = f.line("W", "centre", source=self.law_src, color=c["band_centre"], line_width=2,
                                  line_dash="dotted", legend_label="band centre 105/W²")
        f.scatter("W", "xi", source=self.xi_src, color=c["tm"], size=8, legend_label="transfer matrix (2·10⁵ sites)")
        f.scatter("W", "xi", source=self.now_src, color=c["now"], size=14, marker="circle_cross",
                  fill_alpha=0.3, legend_label="your W")
        legend_below(f)
        self.xi_fig = f
        self.state_src = [ColumnDataSource(dict(x=[], y=[])) for _ in range(3)]
        g = lesson_figure("Eigenstates nearest the packet's energy", "site i", "|φ|²", height=340)
        self.state_renderers = [g.line("x", "y", source=src, color=c[f"state{k}"], line_width=2,
                                       legend_label=f"state {k + 1}") for k, src in enumerate(self.state_src)]
        legend_below(g)
        self.states_fig = g
        self.states_text = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(14px * var(--ql-scale, 1))"})

    # ---- runs ------------------------------------------------------------------------------------------
    def _restart(self):
        m = self.model
        try:
            run = m.new_run()
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as err:
            self.status.object = f"Could not start this run: {plain_text(str(err))}"
            return
        self.player.show_setup(run)
        self._pump(FIRST_CHUNK)
        self._show_cards(None)
        self._show_status()
        self.xi_section.refresh()
        self.states_section.refresh()

    def _pump(self, n: int = MAX_CHUNK):
        run = self.model.run
        if run is None:
            return
        chunk = run.next_chunk(n, SLICE_S)
        if chunk is not None:
            self.player.push_chunk(chunk)
            if run.done and run.error:
                self.player.fail(run.error)

    def _on_ended(self):
        run = self.model.run
        if run is not None and run.done and run.frames and self.player.page.ended_run == run.run_id:
            self._show_cards(run)

    # ---- read-outs ---------------------------------------------------------------------------------------
    def _show_cards(self, run):
        xi = self.model.xi()
        values = {"xi": _fmt(xi["now"]), "xi_pert": _fmt(xi["perturbative_now"]),
                  "exponent": "–", "D": "–", "pr": "–"}
        if run is not None:
            values["exponent"] = _fmt(run.exponent(), 2)
            D = run.diffusion() if run.moving and run.s.speed > 0 else None
            values["D"] = _fmt(D) if D is not None and D > 0 else "–"
            values["pr"] = _fmt(run.records["pr"][-1])
        self.cards.object = readout_cards(CARDS, values)

    def _show_status(self):
        m = self.model
        E = m.band_energy()
        parts = [f"**{m.sites} sites**, static disorder W = {m.W:g}"]
        if m.amplitude > 0:
            parts.append(f"a wave field of amplitude A = {m.amplitude:g} moving at c = {m.speed:g}"
                         + (" (frozen)" if m.speed == 0 else ""))
        parts.append("the electron starts on one site" if m.start == "site" else
                     f"a packet of width {m.sigma:g} sites at energy E = −2 cos k₀ = {E:.3g}")
        if m.ends == "absorbing":
            parts.append("absorbing ends")
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
            self.xi_fig.title.text = f"Localization length ξ against the disorder W at E = {x['E']:.3g}"

    def _draw_states(self):
        s = self.model.eigenstates_near()
        with pn.io.hold():
            for k, src in enumerate(self.state_src):
                if k < len(s["E"]):
                    src.data = dict(x=s["x"], y=s["density"][k])
                else:
                    src.data = dict(x=[], y=[])
            for k, r in enumerate(self.state_renderers):
                if k < len(s["E"]):
                    self.states_fig.legend[0].items[k].label = {"value": f"E = {s['E'][k]:.3f}"}
        rows = "; ".join(f"E = {E:.3f}: participation ratio {pr:.0f} sites, ξ ≈ {_fmt(xi)}"
                         for E, pr, xi in zip(s["E"], s["pr"], s["xi"]))
        self.states_text.object = plain_text(f"The three eigenstates of the chain nearest E = {s['target']:.3g}"
                                             f"{' (lattice frozen as at t = 0)' if self.model.amplitude > 0 else ''}: "
                                             f"{rows}.")

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
        return [
            self.scene,
            pn.pane.Markdown("### Disorder"), self.W, self.seed,
            pn.pane.Markdown("### The vibrating lattice"), self.amplitude, self.speed,
            pn.pane.Markdown("### The electron"), self.start, self.k0, self.sigma,
            pn.pane.Markdown("### The chain and the run"), self.sites, self.ends, self.t_max,
            pn.pane.Markdown("### Display"), self.scale,
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
        about = LazyTabs(("Lesson", lambda: lesson_text(HERE / "lesson.md")),
                         ("Teacher notes", lambda: lesson_text(HERE / "model.md")), sizing_mode="stretch_width")
        self.layout.extend([flow_row(pn.pane.Bokeh(self.xi_fig, sizing_mode="stretch_width"),
                                     pn.pane.Bokeh(self.states_fig, sizing_mode="stretch_width")),
                            self.states_text, about])


def create_app():
    """One session of the Anderson lesson (called by apps/anderson.py per browser tab)."""
    return lesson_app("Anderson localization", AndersonModel, AndersonView)
