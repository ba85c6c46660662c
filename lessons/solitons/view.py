"""Panel/Bokeh rendering of :class:`lessons.solitons.model.SolitonsModel`.

The view owns no physics.  A change of the settings starts a new run; the page plays it and asks
for more frames as it plays (``FieldPlayer.page.request``), so the server computes only what is
watched.  Under the animation: read-out cards (the simulated energy beside its closed form, the
drift, and per scene the collision's outcome, the kink's speed and contraction, the breather's
period or the packet's group velocity), and the phi^4 scan of outgoing against incoming speed,
computed on demand a slice at a time and drawn as it fills (its points are shared by every session
of the server process, so a class pays for it once).
"""
from __future__ import annotations

import math
import pathlib
import time

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, Range1d, Span

from lessons.common.figures import READOUT_CSS, legend_below, lesson_figure, readout_cards
from lessons.common.i18n import N_, Translator
from lessons.common.page import lesson_app, notice_alert
from lessons.common.sections import Debounced, LazyTabs, tab_closed
from lessons.common.text import lesson_text, plain_text
from lessons.common.view import LessonView
from lessons.solitons.model import POTENTIALS, SCAN_SPEEDS, SCENES, V_CRITICAL, SolitonsModel, scan_point
from lessons.solitons.player import FieldPlayer
from physics import kleingordon as kg

__all__ = ["SolitonsView", "create_app"]

HERE = pathlib.Path(__file__).parent
FIRST_CHUNK = 20    # frames in a new run's first chunk (at most SLICE_S of work)
MAX_CHUNK = 120     # the most frames one request computes
SLICE_S = 0.05      # ... and the most server time it takes
DEBOUNCE_MS = 120
SCAN_PERIOD_MS = 80  # the scan computes for at most SCAN_SLICE_S every this often, so the page stays live
SCAN_SLICE_S = 0.06

#: what each series of the scan is drawn in (a swatch of lessons.common.palette)
COLORS = {"one": "blue", "two": "green", "more": "orange", "trapped": "red", "elastic": "slate",
          "critical": "stone", "now": "magenta"}

#: key -> (label, hint): English msgids, shown in the page's language (readout_cards); a hint with
#: fields is filled per run
CARDS = {
    "expected": (N_("Closed-form energy"), ""),
    "energy": (N_("Simulated energy"), N_("∫ (φ_t²/2 + φ_x²/2 + V) dx at t = 0")),
    "drift": (N_("Energy drift"), N_("largest |E(t) − E(0)| / E(0) over the run")),
    "outcome": (N_("Outcome"), N_("what the kinks did when they met")),
    "v_out": (N_("Outgoing speed"), N_("of each kink, over the last 20 time units")),
    "speed": (N_("Measured speed"), N_("of the energy peak; you set v = {v}")),
    "length": (N_("Length ÷ rest length"), N_("relativity says 1/γ = {value}")),
    "period": (N_("Measured period"), N_("from the field in the middle; 2π/ω = {value}")),
    "v_group": (N_("Group velocity"), N_("measured; dω/dk = k₀/ω = {value}")),
    "v_phase": (N_("Phase velocity ω/k₀"), N_("above 1 when m > 0, yet nothing outruns light")),
}
SCENE_CARDS = {"collision": ("expected", "energy", "drift", "outcome", "v_out"),
               "kink": ("expected", "energy", "drift", "speed", "length"),
               "breather": ("expected", "energy", "drift", "period"),
               "packet": ("energy", "drift", "v_group", "v_phase")}
#: the closed-form energy's hint per scene
EXPECTED_HINTS = {"collision": N_("2γM: two kinks of rest energy M = {M}"),
                  "kink": N_("γM: rest energy M = {M} times γ = {gamma}"),
                  "breather": N_("16 √(1 − ω²): less than two kinks' 16")}


def _fmt(v, tr: Translator, digits=4) -> str:
    """A read-out number with ``digits`` significant digits, written the page's way (– none, ∞)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    return tr.num(v, f".{digits}g")


def _sci(v, tr: Translator) -> str:
    """A small positive number as the player writes it: 2,1·10⁻⁴ (– none)."""
    if v is None or not math.isfinite(v):
        return "–"
    if v == 0 or v >= 0.01:
        return tr.num(v, ".2g")
    exponent = math.floor(math.log10(v))
    return f"{tr.num(v / 10 ** exponent, '.1f')}·10{str(exponent).translate(_SUPERSCRIPT)}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class SolitonsView(LessonView):
    """Widgets, the field player, the read-outs and the phi^4 scan for one browser session."""

    COLORS = COLORS
    MODEL = SolitonsModel

    HIDEABLE = {"outcome": N_("the collision's outcome"), "v_out": N_("outgoing speed"),
                "expected": N_("closed-form energy"), "speed": N_("measured speed"),
                "length": N_("length ÷ rest length"), "period": N_("measured period"),
                "v_group": N_("group velocity")}

    def __init__(self, model: SolitonsModel | None = None, look=None):
        super().__init__(model, look)
        m = self.model
        self.player = FieldPlayer(exact=m.exact, sizing_mode="stretch_width")
        self._make_widgets()
        self.notices = notice_alert(m)
        self.cards = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[READOUT_CSS])
        self.status = pn.pane.Markdown(sizing_mode="stretch_width",
                                       styles={"font-size": "calc(15px * var(--ql-scale, 1))"})
        self._make_scan()
        m.param.watch(lambda e: setattr(self.player, "exact", e.new), "exact")
        self.player.answer_pulls(lambda: self.model.run, self._pump, MAX_CHUNK)
        self.player.page.param.watch(lambda *_: self._on_ended(), "ended_run")
        m.param.watch(Debounced(self._restart, DEBOUNCE_MS), list(SolitonsModel.RUN))
        m.param.watch(lambda *_: self._show_controls(), "scene")
        m.param.watch(lambda *_: self._mark_speed(), ["v", "scene", "potential"])
        self._scan_cb = None
        self._show_controls()
        self._restart()

    # ---- widgets -------------------------------------------------------------------------------------
    def _make_widgets(self):
        m, _ = self.model, self._
        self.scene = pn.widgets.Select.from_param(m.param.scene, label=_("Scene"), description=_("What is on the line."),
                                                  options={_(label): key for key, label in SCENES.items()})
        self.potential = pn.widgets.RadioButtonGroup.from_param(
            m.param.potential, options={_(label): key for key, label in POTENTIALS.items()},
            label=_("Potential"), description=_("The kinks' potential V(φ)."), orientation="vertical")
        self.v = pn.widgets.FloatSlider.from_param(m.param.v, label=_("Speed of each kink v"), format="0.0000")
        self.boost = pn.widgets.FloatSlider.from_param(m.param.boost, label=_("Kink speed v"))
        self.omega = pn.widgets.FloatSlider.from_param(m.param.omega, label=_("Breather frequency ω"))
        self.mass = pn.widgets.FloatSlider.from_param(m.param.mass, label=_("Mass m"))
        self.k0 = pn.widgets.FloatSlider.from_param(m.param.k0, label=_("Wavenumber k₀"))
        self.sigma = pn.widgets.FloatSlider.from_param(m.param.sigma, label=_("Packet width σ"))
        self.t_max = pn.widgets.FloatSlider.from_param(m.param.t_max, label=_("Run length"))
        self.exact = pn.widgets.Checkbox.from_param(m.param.exact, label=_("Draw the closed-form solution"))
        self.scene_controls = {"collision": [self.potential, self.v], "kink": [self.potential, self.boost],
                               "breather": [self.omega], "packet": [self.mass, self.k0, self.sigma]}

    def _show_controls(self):
        shown = self.scene_controls[self.model.scene]
        for widget in {id(w): w for ws in self.scene_controls.values() for w in ws}.values():
            widget.visible = any(widget is w for w in shown)

    # ---- runs ------------------------------------------------------------------------------------------
    def _restart(self):
        m = self.model
        try:
            run = m.new_run()
            first = run.next_chunk(1)      # frame 0: the player's axes come from it
        except (ValueError, FloatingPointError) as err:
            self.status.object = self._("Could not start this run: {reason}").format(reason=plain_text(str(err)))
            return
        self.player.show_setup(run, m.expected_energy())
        self.player.push_chunk(first)
        self._pump(FIRST_CHUNK)
        self._show_cards(None)
        self._show_status()

    def _pump(self, n: int = MAX_CHUNK):
        self.player.send_frames(self.model.run, n, SLICE_S)

    def _on_ended(self):
        if self.player.played_to_end(self.model.run):
            self._show_cards(self.model.run)

    # ---- read-outs ---------------------------------------------------------------------------------------
    def _show_cards(self, run):
        m, tr, _ = self.model, self.tr, self._
        scene = m.scene
        cur = m.run
        values = dict.fromkeys(CARDS, "–")
        hints = {}
        values["expected"] = _fmt(m.expected_energy(), tr)
        if scene in EXPECTED_HINTS:
            M = kg.kink_mass(m.potential) if scene != "breather" else 0.0
            hints["expected"] = _(EXPECTED_HINTS[scene]).format(M=tr.num(M, ".4g"), gamma=tr.num(m.gamma(), ".4g"))
        values["energy"] = _fmt(cur.energy0 if cur is not None else None, tr)
        hints["speed"] = _(CARDS["speed"][1]).format(v=tr.num(m.boost, ".3g"))
        hints["length"] = _(CARDS["length"][1]).format(value=tr.num(1 / kg.lorentz_gamma(m.boost), ".4g"))
        hints["period"] = _(CARDS["period"][1]).format(value=tr.num(m.breather_period(), ".4g"))
        hints["v_group"] = _(CARDS["v_group"][1]).format(value=tr.num(m.group_velocity(), ".4g"))
        values["v_phase"] = _fmt(m.phase_velocity(), tr)
        if run is not None:
            values["drift"] = _sci(run.energy_drift(), tr)
            out = run.outgoing()
            if out is not None:
                values["outcome"] = self._outcome_text(out)
                values["v_out"] = _fmt(out["v_out"], tr, 3) if out["met"] and out.get("decided", True) else "–"
            if scene == "kink":
                values["speed"] = _fmt(run.kink_speed(), tr)
                length = run.kink_length()
                values["length"] = _fmt(length / m.rest_length() if length else None, tr)
            values["period"] = _fmt(run.period(), tr)
            values["v_group"] = _fmt(run.group_velocity(), tr)
        cards = [(key, CARDS[key][0], hints.get(key, CARDS[key][1])) for key in SCENE_CARDS[scene]]
        # (hints already translated pass through gettext unchanged: they are no msgids)
        self.cards.object = readout_cards(cards, values, tr)

    def _outcome_text(self, out: dict) -> str:
        _ = self._
        if not out["met"]:
            return _("not met yet: make the run longer")
        if out["passed"]:
            return _("passed through each other")
        if not out.get("decided", True):
            return _("too early to tell: make the run longer")
        if out["escaped"]:
            return (_("bounced apart") if out["bounces"] == 1 else
                    self.tr.ngettext("bounced apart after {n} collision", "bounced apart after {n} collisions",
                                     out["bounces"]).format(n=out["bounces"]))
        return _("stuck together: a bion")

    def _show_status(self):
        m, tr, _ = self.model, self.tr, self._
        run = m.run
        if m.scene == "collision":
            name = _("φ⁴ kinks") if m.potential == "phi4" else _("sine-Gordon kinks")
            text = _("**{name}** start at x = ∓10 and come together at v = {v} each (γ = {gamma}). "
                     "Predict before you play: will they pass through each other, bounce apart, or stick?").format(
                name=name, v=tr.num(m.v, "g"), gamma=tr.num(m.gamma(), ".4g"))
        elif m.scene == "kink":
            text = _("A kink moving at v = {v}: Lorentz contracted to 1/γ = {inv} of its length at rest. "
                     "The dashed line is the exact moving kink.").format(
                v=tr.num(m.boost, "g"), inv=tr.num(1 / m.gamma(), ".3g"))
            if run is not None and run.t_end < m.t_max:
                text += " " + _("The run stops at t = {t}, before the kink reaches the edge of the box.").format(
                    t=tr.num(run.t_end, ".3g"))
        elif m.scene == "breather":
            text = _("A breather: a kink and an antikink bound together, breathing with frequency ω = {w} "
                     "(period {T}). It never radiates: its energy {E} stays below two free kinks' 16.").format(
                w=tr.num(m.omega, "g"), T=tr.num(m.breather_period(), ".3g"), E=tr.num(m.expected_energy(), ".4g"))
        else:
            text = _("A packet of the linear Klein–Gordon field (ω² = k² + m²): its crests run at ω/k₀ = {vp}, "
                     "faster than light, while its energy moves at dω/dk = {vg} and spreads.").format(
                vp=_fmt(m.phase_velocity(), tr, 3), vg=tr.num(m.group_velocity(), ".3g"))
        self.status.object = text

    # ---- the phi^4 scan -------------------------------------------------------------------------------------
    def _make_scan(self):
        c, _ = self.colors, self._
        self.scan_src = {key: ColumnDataSource(dict(v=[], out=[])) for key in ("one", "two", "more", "trapped")}
        f = lesson_figure("φ⁴ kink collisions: outgoing against incoming speed", _("incoming speed v"),
                          _("outgoing speed"), height=360, x_range=Range1d(SCAN_SPEEDS[0] - 0.005, SCAN_SPEEDS[-1] + 0.005),
                          y_range=Range1d(-0.02, 0.42))
        f.title.text = _("φ⁴ kink collisions: outgoing against incoming speed")
        f.line([0.0, 0.45], [0.0, 0.45], color=c["elastic"], line_width=1.5, line_dash="dashed",
               legend_label=_("sine-Gordon: out = in"))
        labels = {"one": _("escape after 1 bounce"), "two": _("escape after 2 bounces"),
                  "more": _("escape after 3 or more"), "trapped": _("trapped: a bion")}
        for key, src in self.scan_src.items():
            f.scatter("v", "out", source=src, color=c[key], size=7, legend_label=labels[key],
                      marker="x" if key == "trapped" else "circle")
        f.add_layout(Span(location=V_CRITICAL, dimension="height", line_color=c["critical"], line_dash="dotted",
                          line_width=2))
        self.now_span = Span(location=self.model.v, dimension="height", line_color=c["now"], line_width=2)
        f.add_layout(self.now_span)
        legend_below(f)
        self.scan_fig = f
        self.scan_button = pn.widgets.Button(label=_("Scan the speeds"), color="primary")
        self.scan_button.on_click(lambda *_e: self.start_scan())
        self.scan_text = pn.pane.Markdown(
            _("Each point is one φ⁴ collision, {n} speeds from {lo} to {hi}. The dotted line is v_c ≈ 0.26: above "
              "it one bounce always frees the kinks; below it they stick, except in narrow windows where they "
              "escape after two or more bounces. The solid line is your v.").format(
                n=len(SCAN_SPEEDS), lo=self.tr.num(SCAN_SPEEDS[0], "g"), hi=self.tr.num(SCAN_SPEEDS[-1], "g")),
            sizing_mode="stretch_width", styles={"font-size": "calc(14px * var(--ql-scale, 1))"})
        self.scan_progress = pn.pane.Markdown("", styles={"font-size": "calc(14px * var(--ql-scale, 1))"})
        self.scan_box = pn.Column(pn.Row(self.scan_button, self.scan_progress), self.scan_text,
                                  pn.pane.Bokeh(f, sizing_mode="stretch_width"), sizing_mode="stretch_width")
        self._scanned = 0

    def _mark_speed(self):
        self.now_span.location = self.model.v

    def start_scan(self):
        """Compute the scan's points a slice at a time (all at once outside a server)."""
        self.scan_button.disabled = True
        doc = pn.state.curdoc
        # (in Pyodide the page has no session context either, but its event loop runs callbacks: the
        # NumPy path takes about 150 ms a collision there, so the scan goes a slice at a time too)
        if (doc is None or doc.session_context is None) and not getattr(pn.state, "_is_pyodide", False):
            while not self.scan_slice(1e9):
                pass
            return
        if self._scan_cb is None:
            self._scan_cb = pn.state.add_periodic_callback(self._scan_tick, period=SCAN_PERIOD_MS, start=False)
        if not self._scan_cb.running:
            self._scan_cb.start()

    def _scan_tick(self):
        if tab_closed(self.player) or self.scan_slice(SCAN_SLICE_S):
            self._stop_scan()

    def scan_slice(self, seconds: float) -> bool:
        """Compute scan points for up to ``seconds`` (at least one) and draw them; True when all are drawn."""
        start = time.perf_counter()
        new = {key: ([], []) for key in self.scan_src}
        while self._scanned < len(SCAN_SPEEDS):
            out = scan_point(SCAN_SPEEDS[self._scanned])
            key = ("trapped" if not out["escaped"] else "one" if out["bounces"] <= 1 else
                   "two" if out["bounces"] == 2 else "more")
            new[key][0].append(out["v_in"])
            new[key][1].append(out["v_out"])
            self._scanned += 1
            if time.perf_counter() - start > seconds:
                break
        with pn.io.hold():
            for key, (vs, outs) in new.items():
                if vs:
                    self.scan_src[key].stream(dict(v=vs, out=outs))
        done = self._scanned >= len(SCAN_SPEEDS)
        self.scan_progress.object = (self._("{n} of {total} collisions").format(n=self._scanned, total=len(SCAN_SPEEDS))
                                     if not done else self._("All {total} collisions computed.").format(total=len(SCAN_SPEEDS)))
        return done

    def _stop_scan(self):
        if self._scan_cb is not None and self._scan_cb.running:
            self._scan_cb.stop()

    # ---- lifetime -------------------------------------------------------------------------------------------
    def stop(self):
        self._stop_scan()
        self.model.run = None

    @staticmethod
    def warm() -> None:
        """Compile the kernels once per server process."""
        SolitonsModel(t_max=20.0).full_run()

    # ---- layout ---------------------------------------------------------------------------------------------
    def sidebar(self) -> list:
        _ = self._
        return [
            self.scene,
            pn.pane.Markdown("### " + _("The field")), self.potential, self.v, self.boost, self.omega,
            self.mass, self.k0, self.sigma,
            pn.pane.Markdown("### " + _("The run")), self.t_max, self.exact,
        ]

    def main(self) -> list:
        self.layout = pn.Column(self.notices, self.player, self.cards, self.status, sizing_mode="stretch_width")
        return [self.layout]

    def load_secondary(self) -> None:
        """The scan and the lesson text (after the first paint, in a served page)."""
        if len(self.layout) > 4:
            return
        about = LazyTabs((self._("Lesson"), lambda: lesson_text(HERE / "lesson.md", self.tr)),
                         (self._("Teacher notes"), lambda: lesson_text(HERE / "model.md", self.tr)),
                         sizing_mode="stretch_width")
        self.layout.extend([pn.pane.Markdown("### " + self._("Bounce windows of φ⁴ kinks")), self.scan_box, about])


def create_app():
    """One session of the Solitons lesson (called by apps/solitons.py per browser tab)."""
    return lesson_app(N_("Solitons"), SolitonsModel, SolitonsView)
