"""Panel/Bokeh rendering of :class:`lessons.spin_battery.model.SpinBatteryModel`.

The view owns no physics.  It shows the model's figures of merit as numbers and bars, the
populations of rho and of its passive state on H_B's energy ladder, |rho| as a heat map, a 2-D map
with a marker at the current settings, curves against one setting, and sends charging runs to the
browser player (:class:`ChargePlayer`, which animates them itself).  Settings changes are coalesced
(:class:`Debounced`); the map, the curves and the charging run are recomputed only while their tab
is open, and then only when a setting they depend on has changed.
"""
from __future__ import annotations

import pathlib

import numpy as np
import panel as pn
from bokeh.models import (ColorBar, ColumnDataSource, CustomJSTickFormatter, FixedTicker, HoverTool,
                          LinearAxis, LinearColorMapper, Range1d, Span)
from bokeh.palettes import Viridis256

from lessons.common.figures import READOUT_CSS, flow_row, legend_below, lesson_figure, readout_cards
from lessons.common.i18n import N_
from lessons.common.page import lesson_app, notice_alert
from lessons.common.sections import Debounced, LazyTabs, Section, tab_closed
from lessons.common.text import lesson_text, plain_text
from lessons.common.view import LessonView
from lessons.spin_battery.model import (AXIS_LABELS, CHARGER_HAMILTONIANS, CHARGERS, MAP_AXES, MAX_MAP_SITES, PRESETS, QUANTITY_LABELS,
                                        QUERY_NAMES, SpinBatteryModel)
from lessons.spin_battery.player import ChargePlayer

__all__ = ["SpinBatteryView", "create_app", "TABS"]

HERE = pathlib.Path(__file__).parent
DEBOUNCE_MS = 60
#: the tabs' titles (English msgids; a page shows them in its language, :attr:`SpinBatteryView.tab_titles`)
TABS = (N_("Battery state"), N_("Maps and curves"), N_("Charging"))
CHAIN = ("n_sites", "Jx", "Jy", "Jz", "D", "K", "B", "b", "profile")
#: what each curve is drawn in (a swatch of lessons.common.palette, in the page's profile)
COLORS = {"stored": "blue", "incoherent": "green", "coherent": "lime", "capacity": "grey",
          "coherence": "violet", "concurrence": "magenta", "rho": "blue", "passive": "orange"}
CARDS = (("ergotropy", N_("Ergotropy W"), N_("the most work a unitary can extract")),
         ("capacity", N_("Capacity C"), N_("most a unitary could ever add or take, from the best to the worst state")),
         ("stored", N_("Stored energy E"), N_("Tr ρH_B above the empty battery")),
         ("coherent", N_("Coherent part of W"), N_("lost if ρ were dephased")),
         ("coherence", N_("l1 coherence"), N_("Σ|ρ_bc| off the diagonal")),
         ("concurrence", N_("Concurrence"), N_("entanglement of sites 1 and 2")))
#: the rows of the energies figure and of the resources figure (English msgids)
BAR_ROWS = (N_("capacity C"), N_("ergotropy W"), N_("stored energy E"))
RESOURCE_ROWS = (N_("concurrence"), N_("l1 coherence"))


class SpinBatteryView(LessonView):
    """Widgets, figures and callbacks for one browser session."""

    COLORS = COLORS

    #: read-outs a link can hide until the teacher reveals them (the cards, the charging read-outs)
    HIDEABLE = {**{key: label for key, label, _ in CARDS},
                "E": N_("stored E (charging)"), "W": N_("ergotropy W (charging)"), "Wloc": N_("local W"),
                "P": N_("average power")}

    MODEL = SpinBatteryModel

    def __init__(self, model: SpinBatteryModel | None = None, look=None):
        super().__init__(model, look)
        m = model = self.model
        _ = self._
        #: the tabs' titles in the page's language (LazyTabs knows its tabs by title)
        self.tab_titles = tuple(_(t) for t in TABS)
        self.player = ChargePlayer(sizing_mode="stretch_width")
        self._make_widgets()
        self.cards = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[READOUT_CSS])
        self.status = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(15px * var(--ql-scale, 1))"})
        # each tab's figures are made when it is first opened, the first one just after the first
        # paint (load_secondary)
        titles = self.tab_titles
        self.tabs = LazyTabs((titles[0], self._state_tab), (titles[1], self._maps_tab), (titles[2], self._charging_tab),
                             later=True, sizing_mode="stretch_width")
        self.tabs.param.watch(lambda *_: self._refresh_visible(), "active")
        self._make_sections()

        on_chain = Debounced(self._on_settings, DEBOUNCE_MS)
        # a preset changes several settings at once: param then passes one event per setting
        m.param.watch(lambda *_: on_chain(), [*CHAIN, "T"])
        m.param.watch(lambda *_: self._refresh_visible(), ["map_axes", "map_quantity", "curve_axis"])
        m.param.watch(lambda *_: self._refresh_visible(), ["charger", "omega", "t_max"])
        m.param.watch(lambda *_: self._show_for_size(), "n_sites")
        self._show_for_size()
        self._on_settings()
        self.layout = pn.Column(self.notices, self.cards, self.status, self.tabs, sizing_mode="stretch_width")

    # ---- widgets ---------------------------------------------------------------------------
    def _make_sections(self):
        """What each tab draws and what it depends on: drawn when it can be seen and that has changed."""
        m = self.model
        settings = (*CHAIN, "T")
        open_ = lambda title: lambda: self.tabs.active_title == title and self.tabs.built(title)  # noqa: E731

        def map_depends():
            axes = MAP_AXES[m.map_axes]
            return ("map_axes", "map_quantity", *(k for k in settings if k not in axes))

        self.state_section = Section(m, settings, self._draw_state, open_(self.tab_titles[0]))
        # maps and curves follow every change (they are cached per setting and cheap to patch)
        self.map_section = Section(m, map_depends, lambda: self._draw_map(m.map_grid()), m.maps_available)
        self.curve_section = Section(m, lambda: ("curve_axis", *(k for k in settings if k != m.curve_axis)),
                                     lambda: self._draw_curves(m.curves()),
                                     lambda: m.maps_available() or m.curve_axis == "T")
        self.charging_section = Section(m, (*settings, "charger", "omega", "t_max"),
                                        lambda: self.player.show_run(m.charging()), open_(self.tab_titles[2]))

    def _widget(self, cls, name: str, label: str, **kw):
        """A widget of the model's parameter ``name``, its label and help text (the parameter's doc, on
        the widgets that show one) in the page's language."""
        p = self.model.param[name]
        if p.doc and "description" in cls.param:
            kw["description"] = self._(p.doc)
        return cls.from_param(p, label=self._(label), **kw)

    def _make_widgets(self):
        m = self.model
        _ = self._
        self.preset = self._widget(pn.widgets.Select, "preset", N_("Couplings"),
                                   options={_(label): key for key, (label, _J) in PRESETS.items()})
        self.sliders = {name: self._widget(pn.widgets.FloatSlider, name, label) for name, label in (
            ("Jx", "Jx"), ("Jy", "Jy"), ("Jz", "Jz"), ("D", N_("DM coupling D")), ("K", N_("KSEA coupling K")),
            ("B", N_("Field B")), ("b", N_("Inhomogeneity b (sites get B ± b)")), ("T", N_("Temperature T")))}
        self.n_sites = self._widget(pn.widgets.IntSlider, "n_sites", N_("Number of spins N"))
        self.profile = self._widget(pn.widgets.RadioButtonGroup, "profile", N_("Field profile"),
                                    options={"B+b, B−b, …": "alternating", _("gradient B+b → B−b"): "gradient"})
        self.map_axes = self._widget(
            pn.widgets.Select, "map_axes", N_("Map over"),
            options={f"{_(AXIS_LABELS[x])} × {_(AXIS_LABELS[y])}": k for k, (x, y) in MAP_AXES.items()})
        self.map_quantity = self._widget(pn.widgets.Select, "map_quantity", N_("Map of"),
                                         options=self._quantity_options())
        self.curve_axis = self._widget(pn.widgets.Select, "curve_axis", N_("Curves against"),
                                       options={_(AXIS_LABELS[k]): k for k in m.param.curve_axis.objects})
        self.charger = self._widget(pn.widgets.Select, "charger", N_("Charger"), width=320,
                                    options={_(v): k for k, v in CHARGERS.items()})
        self.omega = self._widget(pn.widgets.FloatSlider, "omega", N_("Drive strength Ω"), width=240)
        self.t_max = self._widget(pn.widgets.FloatSlider, "t_max", N_("Charging time"), width=240)
        self.charger_text = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(14px * var(--ql-scale, 1))"})
        show = lambda *_e: setattr(self.charger_text, "object", plain_text(self._(CHARGER_HAMILTONIANS[m.charger])))  # noqa: E731
        m.param.watch(show, "charger")
        show()
        self.notices = notice_alert(m)
        self.map_note = pn.pane.Alert(alert_type="info", visible=False, sizing_mode="stretch_width")

    def _show_for_size(self):
        """Field profiles matter from three spins; the concurrence map exists for two."""
        m = self.model
        self.profile.visible = m.n_sites > 2
        self.map_quantity.options = self._quantity_options()

    def _quantity_options(self) -> dict[str, str]:
        """What a map can show (its name in the page's language -> key); the concurrence for two spins."""
        return {self._(v): k for k, v in QUANTITY_LABELS.items() if k != "concurrence" or self.model.n_sites == 2}

    # ---- figures ---------------------------------------------------------------------------
    def _figure(self, title: str, x_label: str, y_label: str, **kw):
        """:func:`lesson_figure` with its title and axis labels (English msgids) in the page's language;
        the file its PNG tool saves keeps the English title's name."""
        f = lesson_figure(title, self._(x_label), self._(y_label), **kw)
        f.title.text = self._(title)
        return f

    def _state_tab(self) -> pn.Column:
        """Energies and resources as bars, the populations on H_B's ladder, |rho| as a heat map."""
        _ = self._
        rows = self.bar_rows = [_(r) for r in BAR_ROWS]
        self.bars = ColumnDataSource(dict(y=rows, incoherent=[0, 0, 0], coherent=[0, 0, 0], stored=[0, 0, 0],
                                          capacity=[0, 0, 0]))
        f = self._figure(N_("Energies (J); dashed: full battery"), N_("energy"), "", height=270, y_range=rows)
        f.hbar_stack(["incoherent", "coherent"], y="y", height=0.6, source=self.bars,
                     color=[self.colors["incoherent"], self.colors["coherent"]],
                     legend_label=[_("ergotropy: incoherent part"), _("coherent part")])
        f.hbar(y="y", right="stored", height=0.6, source=self.bars, color=self.colors["stored"], legend_label=_("stored"))
        f.hbar(y="y", right="capacity", height=0.6, source=self.bars, color=self.colors["capacity"],
               legend_label=_("capacity"))
        self.max_span = Span(location=0, dimension="height", line_dash="dashed", line_color=self.c.axis, line_width=1.5)
        f.add_layout(self.max_span)
        f.x_range = Range1d(0, 1)
        legend_below(f, rows=2)      # one row does not fit beside the resources figure in the projector look
        self.bars_fig = f
        res_rows = self.resource_rows = [_(r) for r in RESOURCE_ROWS]
        self.res = ColumnDataSource(dict(y=res_rows, value=[0, 0], color=[self.colors["concurrence"], self.colors["coherence"]]))
        g = self._figure(N_("Quantum resources"), N_("value"), "", height=230, y_range=res_rows, x_range=Range1d(0, 1.05))
        g.hbar(y="y", right="value", height=0.6, color="color", source=self.res)
        self.res_fig = g

        self.ladder = ColumnDataSource(dict(E=[], rho=[], passive=[], h=[], deg=[]))
        lf = self._figure(N_("Populations on H_B's levels: ρ (left) and its passive state (right)"),
                          N_("population"), N_("energy of H_B"), height=340, x_range=Range1d(-1.05, 1.05))
        lf.hbar(y="E", left="rho", right=0, height="h", source=self.ladder, color=self.colors["rho"], alpha=0.8,
                legend_label="ρ")
        lf.hbar(y="E", left=0, right="passive", height="h", source=self.ladder, color=self.colors["passive"], alpha=0.8,
                legend_label=_("passive state π"))
        # populations are drawn both ways from 0: the ticks show their size, with the page's decimal sign
        decimal = "" if self.tr.decimal == "." else f".replace('.', {self.tr.decimal!r})"
        lf.xaxis.formatter = CustomJSTickFormatter(code=f"return Math.abs(tick).toFixed(1){decimal}")
        self.mean_lines = ColumnDataSource(dict(x0=[-1.0, 0.0], x1=[0.0, 1.0], y=[0, 0], color=[self.colors["rho"], self.colors["passive"]]))
        lf.segment(x0="x0", x1="x1", y0="y", y1="y", source=self.mean_lines, color="color", line_width=3,
                   line_dash="dashed", legend_label=_("mean energy (the gap is W)"))
        lf.add_tools(HoverTool(tooltips=[(_("energy"), "@E{0.000}"), ("ρ", "@rho_abs{0.0000}"),
                                         ("π", "@passive{0.0000}"), (_("states"), "@deg")], mode="hline"))
        legend_below(lf)
        self.ladder_fig = lf

        self.heat = ColumnDataSource(dict(x=[], y=[], v=[], re=[], im=[], bra=[], ket=[]))
        self.heat_mapper = LinearColorMapper(palette=Viridis256, low=0, high=1)
        hf = self._figure(N_("|ρ| in the spin basis"), "", "", height=340, match_aspect=True,
                           x_range=Range1d(-0.5, 3.5), y_range=Range1d(3.5, -0.5))
        hf.rect("x", "y", 1, 1, source=self.heat, fill_color={"field": "v", "transform": self.heat_mapper},
                line_color=None)
        hf.add_layout(ColorBar(color_mapper=self.heat_mapper, width=12), "right")
        hf.add_tools(HoverTool(tooltips=[(_("⟨row|ρ|col⟩"), "⟨@ket|ρ|@bra⟩"), ("Re", "@re{0.0000}"), ("Im", "@im{0.0000}")]))
        hf.xgrid.visible = hf.ygrid.visible = False
        self.heat_ticker = FixedTicker(ticks=[])
        hf.xaxis.ticker = hf.yaxis.ticker = self.heat_ticker
        self.heat_fig = hf

        return pn.Column(
            flow_row(pn.pane.Bokeh(self.bars_fig, sizing_mode="stretch_width"),
                   pn.pane.Bokeh(self.res_fig, sizing_mode="stretch_width"), sizing_mode="stretch_width"),
            flow_row(pn.pane.Bokeh(self.ladder_fig, sizing_mode="stretch_width"),
                   pn.pane.Bokeh(self.heat_fig, sizing_mode="stretch_width"), sizing_mode="stretch_width"),
            sizing_mode="stretch_width")

    def _maps_tab(self) -> pn.Column:
        """A 2-D map with a marker at the settings, and curves against one setting."""
        self.map_src = ColumnDataSource(dict(image=[np.zeros((2, 2))], x=[0], y=[0], dw=[1], dh=[1]))
        self.map_mapper = LinearColorMapper(palette=Viridis256, low=0, high=1)
        _ = self._
        mf = self._figure(N_("Map"), "", "", height=380, x_range=Range1d(0, 1), y_range=Range1d(0, 1))
        mf.image(image="image", x="x", y="y", dw="dw", dh="dh", source=self.map_src, color_mapper=self.map_mapper)
        mf.add_layout(ColorBar(color_mapper=self.map_mapper, width=12), "right")
        self.marker = ColumnDataSource(dict(x=[0.0], y=[0.0]))
        mf.scatter("x", "y", source=self.marker, marker="circle_cross", size=18, fill_color="white",
                   fill_alpha=0.6, line_color=self.c.red, line_width=3)
        mf.xgrid.visible = mf.ygrid.visible = False
        self.map_fig = mf

        self.curve_src = ColumnDataSource(dict(x=[], ergotropy=[], capacity=[], stored=[], coherence=[], incoherent=[]))
        cf = self._figure(N_("Curves"), "", N_("energy"), height=380)
        for name, label, dash in (("capacity", N_("capacity C"), "solid"), ("ergotropy", N_("ergotropy W"), "solid"),
                                  ("incoherent", N_("incoherent part of W"), "dashed"),
                                  ("stored", N_("stored energy E"), "dotted")):
            cf.line("x", name, source=self.curve_src, line_width=2.5, line_dash=dash, legend_label=_(label),
                    color={"capacity": self.colors["capacity"], "ergotropy": self.colors["incoherent"],
                           "incoherent": self.c.olive, "stored": self.colors["stored"]}[name])
        cf.extra_y_ranges = {"coh": Range1d(0, 1)}
        cf.add_layout(LinearAxis(y_range_name="coh", axis_label=_("l1 coherence")), "right")
        cf.line("x", "coherence", source=self.curve_src, y_range_name="coh", color=self.colors["coherence"],
                line_width=2, line_dash="dotdash", legend_label=_("l1 coherence (right axis)"))
        self.curve_now = Span(location=0, dimension="height", line_color=self.c.red, line_width=2)
        cf.add_layout(self.curve_now)
        legend_below(cf)
        self.curve_fig = cf
        # visibility is toggled on a Column around each figure: toggling a rendered Bokeh pane's
        # own `visible` fails in Panel 1.9 (its stylesheets are re-validated and rejected)
        self.map_pane = pn.Column(pn.pane.Bokeh(self.map_fig, sizing_mode="stretch_width"),
                                  sizing_mode="stretch_width")
        self.curve_pane = pn.Column(pn.pane.Bokeh(self.curve_fig, sizing_mode="stretch_width"),
                                    sizing_mode="stretch_width")
        return pn.Column(
            flow_row(self.map_axes, self.map_quantity, self.curve_axis, sizing_mode="stretch_width"),
            self.map_note,
            flow_row(self.map_pane, self.curve_pane, sizing_mode="stretch_width"),
            sizing_mode="stretch_width")

    def _charging_tab(self) -> pn.Column:
        """The charging run, played in the browser."""
        return pn.Column(pn.FlexBox(self.charger, self.omega, self.t_max, sizing_mode="stretch_width"),
                         self.charger_text, self.player, sizing_mode="stretch_width")

    # ---- refreshing ----------------------------------------------------------------------------
    def _on_settings(self):
        # on the Charging tab the new run goes out first: the page handles messages in order
        if self.tabs.active_title == self.tab_titles[2]:
            self._refresh_visible()
        try:
            self._refresh_state()
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
            self.status.object = self._("Could not compute this setting: {error}").format(error=plain_text(str(err)))
            return
        self._refresh_visible()

    def _refresh_visible(self):
        if tab_closed(self.player):
            return
        try:
            self.state_section.refresh()
            if self.tabs.active_title == self.tab_titles[1]:
                self._refresh_maps()
            self.charging_section.refresh()
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
            self.map_note.object = self._("Could not compute: {error}").format(error=plain_text(str(err)))
            self.map_note.visible = True

    def _refresh_state(self):
        """The cards and the status line (every change); the Battery state tab's figures if it is open."""
        m, tr = self.model, self.tr
        r = m.readouts()
        # a list of decimal-comma numbers is separated by semicolons
        sep = ", " if tr.decimal == "." else "; "
        with pn.io.hold():
            self.cards.object = readout_cards(CARDS, {key: tr.num(r[key], ".4f") for key, _l, _h in CARDS}, tr)
            chain = tr.ngettext("N = {n} spin, fields B_i = {fields}.", "N = {n} spins, fields B_i = {fields}.",
                                m.n_sites).format(n=m.n_sites, fields=sep.join(tr.num(v, ".2f") for v in m.fields()))
            # the bold figure stays outside the translated sentence, which follows it (a message is one
            # run of text on the page)
            percent = self._("{percent}%").format(percent=tr.num(100 * r["efficiency"], ".1f"))
            # TRANSLATORS: follows "W/C = 45.6%" (the percentage in bold), the subject of the sentence
            usable = self._("of the capacity is extractable; a full battery would store {energy}.").format(
                energy=tr.num(r["max_energy"], ".3g"))
            self.status.object = f"{chain} W/C = **{percent}** {usable}"
        self.state_section.refresh()

    def _draw_state(self):
        """The bars, the ladder and the heat map of the current settings."""
        m = self.model
        r = m.readouts()
        L = m.ladder()
        heat = m.heatmap()
        with pn.io.hold():
            top = max(r["capacity"], r["stored"], r["max_energy"], 1e-9) * 1.05
            self.bars.data = dict(y=self.bar_rows,
                                  incoherent=[0, r["incoherent"], 0], coherent=[0, r["coherent"], 0],
                                  stored=[0, 0, r["stored"]], capacity=[r["capacity"], 0, 0])
            self.bars_fig.x_range.update(start=0, end=top)
            self.max_span.location = r["max_energy"]
            self.res.data = dict(y=self.resource_rows, value=[r["concurrence"], r["coherence"]],
                                 color=[self.colors["concurrence"], self.colors["coherence"]])
            self.res_fig.x_range.update(start=0, end=max(1.05, r["coherence"] * 1.05))
            E = L["energy"]
            gap = np.min(np.diff(E)) if E.size > 1 else 1.0
            self.ladder.data = dict(E=E, rho=-L["rho"], rho_abs=L["rho"], passive=L["passive"],
                                    h=np.full(E.size, 0.7 * gap), deg=L["degeneracy"])
            self.mean_lines.data = dict(x0=[-1.0, 0.0], x1=[0.0, 1.0], y=[L["mean_rho"], L["mean_passive"]],
                                        color=[self.colors["rho"], self.colors["passive"]])
            span = max(E[-1] - E[0], 1e-6)
            self.ladder_fig.y_range.update(start=E[0] - 0.08 * span - gap, end=E[-1] + 0.08 * span + gap)
            self._refresh_heat(heat)

    def _refresh_heat(self, heat: dict):
        rho, labels = heat["rho"], heat["labels"]
        d = rho.shape[0]
        i, j = np.meshgrid(np.arange(d), np.arange(d), indexing="ij")
        self.heat.data = dict(x=j.ravel(), y=i.ravel(), v=np.abs(rho).ravel(), re=rho.real.ravel(),
                              im=rho.imag.ravel(), bra=[labels[k] for k in j.ravel()],
                              ket=[labels[k] for k in i.ravel()])
        self.heat_mapper.update(low=0.0, high=max(float(np.abs(rho).max()), 1e-12))
        f = self.heat_fig
        f.x_range.update(start=-0.5, end=d - 0.5)
        f.y_range.update(start=d - 0.5, end=-0.5)
        ticks = list(range(d)) if d <= 8 else []      # beyond three spins the hover names the kets
        # the ticker's ticks change, never the ticker: a new model on a shown figure makes Bokeh
        # walk the whole page again (~30 ms a move, measured with bench/lesson_cost.py)
        if list(self.heat_ticker.ticks) != ticks:
            self.heat_ticker.ticks = ticks
        for axis in (f.xaxis, f.yaxis):
            axis.major_label_overrides = {k: labels[k] for k in ticks}
            axis.major_label_text_font_size = "17px" if d <= 4 else "13px"
        f.xaxis.major_label_orientation = 0 if d <= 4 else 0.9
        if heat["reduced"]:
            f.title.text = self.tr.ngettext("|ρ| of the first {n} spin (traced over the rest); hover for the kets",
                                            "|ρ| of the first {n} spins (traced over the rest); hover for the kets",
                                            heat["sites"]).format(n=heat["sites"])
        elif d <= 8:
            f.title.text = self._("|ρ| in the spin basis (↑ = |0⟩, σz = +1)")
        else:
            f.title.text = self._("|ρ| in the spin basis (↑ = |0⟩, σz = +1); hover for the kets")

    def _refresh_maps(self):
        """Recompute the map and the curves if a setting they depend on changed, else move the
        marker and the cursor (the setting that changed is one of their axes)."""
        m = self.model
        xname, yname = MAP_AXES[m.map_axes]
        if not m.maps_available():
            text = (N_("Maps are computed up to N = {max} spins (each point needs two {dim}-dimensional "
                       "diagonalisations). The curves against T work at every N.") if m.curve_axis == "T" else
                    N_("Maps and curves against couplings are computed up to N = {max} spins (each point needs "
                       "two {dim}-dimensional diagonalisations). The curves against T work at every N."))
            self.map_note.object = self._(text).format(max=MAX_MAP_SITES, dim=2 ** (m.n_sites - 1))
        self.map_note.visible = not m.maps_available()
        self.map_pane.visible = m.maps_available()
        self.curve_pane.visible = m.maps_available() or m.curve_axis == "T"
        with pn.io.hold():
            self.marker.data = dict(x=[getattr(m, xname)], y=[getattr(m, yname)])
            self.curve_now.location = getattr(m, m.curve_axis)
        self.map_section.refresh()
        self.curve_section.refresh()

    def _draw_map(self, g: dict):
        m = self.model
        x, y = g["x"], g["y"]
        dx, dy = x[1] - x[0], y[1] - y[0]
        lo, hi = float(np.nanmin(g["z"])), float(np.nanmax(g["z"]))
        with pn.io.hold():
            self.map_src.data = dict(image=[g["z"]], x=[x[0] - dx / 2], y=[y[0] - dy / 2],
                                     dw=[x[-1] - x[0] + dx], dh=[y[-1] - y[0] + dy])
            self.map_mapper.update(low=lo, high=max(hi, lo + 1e-9))
            f = self.map_fig
            f.x_range.update(start=x[0] - dx / 2, end=x[-1] + dx / 2)
            f.y_range.update(start=y[0] - dy / 2, end=y[-1] + dy / 2)
            f.xaxis.axis_label = self._(AXIS_LABELS[g["x_name"]])
            f.yaxis.axis_label = self._(AXIS_LABELS[g["y_name"]])
            f.title.text = self._("{quantity} ({nx} × {ny} points, N = {n}); ⊕ = your settings").format(
                quantity=self._(QUANTITY_LABELS[g["quantity"]]), nx=len(x), ny=len(y), n=m.n_sites)

    def _draw_curves(self, c: dict):
        nan = np.full(c["x"].size, np.nan)
        coh = c.get("coherence")
        with pn.io.hold():
            self.curve_src.data = dict(x=c["x"], ergotropy=c["ergotropy"], capacity=c["capacity"],
                                       stored=c["stored"], incoherent=c["incoherent"],
                                       coherence=nan if coh is None else coh)
            self.curve_fig.extra_y_ranges["coh"].update(
                start=0, end=1.0 if coh is None else float(np.nanmax(coh)) * 1.05 + 1e-9)
            self.curve_fig.xaxis.axis_label = self._(AXIS_LABELS[c["axis"]])
            self.curve_fig.title.text = self._("Against {axis} (red line: your value)").format(
                axis=self._(AXIS_LABELS[c["axis"]]))

    # ---- lifetime ------------------------------------------------------------------------------
    def stop(self):
        """Nothing runs periodically in this lesson; kept for the lesson_app contract."""

    # ---- layout ----------------------------------------------------------------------------------
    def sidebar(self) -> list:
        s = self.sliders
        return [
            pn.pane.Markdown("### " + self._("Couplings")), self.preset, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"],
            pn.pane.Markdown("### " + self._("Zeeman field")), s["B"], s["b"], self.profile,
            pn.pane.Markdown("### " + self._("Chain and bath")), self.n_sites, s["T"],
        ]

    def main(self) -> list:
        return [self.layout]

    def load_secondary(self) -> None:
        """Build the open tab and add the lesson text and teacher notes (after the first paint, in a
        served page)."""
        self.tabs.opened(self.tabs.active_title)
        self._refresh_visible()
        if len(self.tabs) > len(TABS):
            return
        self.tabs.add_lazy((self._("Lesson"), lambda: lesson_text(HERE / "lesson.md", self.tr)),
                           (self._("Teacher notes"), lambda: lesson_text(HERE / "model.md", self.tr)))


def create_app():
    """One session of the Spin-battery lesson (called by apps/spin_battery.py per browser tab)."""
    return lesson_app(N_("Spin-chain quantum battery"), SpinBatteryModel, SpinBatteryView)
