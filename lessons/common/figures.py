"""The lessons' Bokeh figures: one style, a CSV tool on each, legends under the plot, read-out cards,
and a colour profile's look (type, lines) applied before a figure is shown.

Views only: nothing here computes physics.
"""
from __future__ import annotations

import pathlib
import re

import panel as pn

from lessons.common.i18n import N_, Translator
from lessons.common.palette import css_var, profile
from lessons.common.workarounds import title_as_panel

__all__ = ["lesson_figure", "legend_below", "readout_cards", "READOUT_CSS", "restyle_figures", "translate_tools", "localize_numbers",
           "flow_row",
           "FLOW_CSS"]

_FIGURE_CSV_JS = (pathlib.Path(__file__).parent / "figure_csv.js").read_text(encoding="utf-8")
_FIGURE_FIT_JS = (pathlib.Path(__file__).parent / "figure_fit.js").read_text(encoding="utf-8")

#: An icon for the CSV tool (a sheet with rows), as a data URL: the page loads nothing from elsewhere.
_INK = profile(None).named("axis").replace("#", "%23")
_CSV_ICON = ("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'>"
             f"<path d='M4 3h11l5 5v13H4z' fill='none' stroke='{_INK}' stroke-width='1.6'/>"
             "<text x='12' y='18' font-size='7' text-anchor='middle' font-family='sans-serif' "
             f"fill='{_INK}'>CSV</text></svg>")


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "figure"


def lesson_figure(title: str, x_label: str, y_label: str, height: int = 300, **kw):
    """A Bokeh figure in the lessons' style: full width, readable title and axes, and a tool bar
    (shown while the pointer is over the plot) that saves it as PNG or its data as CSV."""
    from bokeh.models import CustomAction, CustomJS, SaveTool
    from bokeh.plotting import figure

    fig = figure(title=title, height=height, sizing_mode="stretch_width", toolbar_location="right",
                 tools="", x_axis_label=x_label, y_axis_label=y_label, **kw)
    name = _slug(title)
    fig.add_tools(SaveTool(filename=name, description=N_("Save the plot as PNG")),
                  CustomAction(icon=_CSV_ICON, description=N_("Download the plot's data as CSV"),
                               callback=CustomJS(args=dict(fig=fig, filename=f"{name}.csv"), code=_FIGURE_CSV_JS)))
    fig.toolbar.autohide = True
    fig.toolbar.logo = None
    # Bokeh lines up the frames of figures side by side (its panels take the tallest neighbour's
    # height): a figure that folds under a neighbour with a tall legend kept only a sliver of a plot
    fig.frame_align = False
    title_as_panel(fig)
    # the title and a legend below are fitted to the width the figure gets in the browser
    fit = CustomJS(args=dict(fig=fig), code=_FIGURE_FIT_JS)
    fig.js_on_change("inner_width", fit)
    fig.title.js_on_change("text", fit)
    fig.title.text_font_size = "15px"
    for axis in (fig.xaxis, fig.yaxis):
        axis.axis_label_text_font_size = "14px"
        axis.major_label_text_font_size = "13px"
    return fig


def legend_below(fig, rows: int | None = None) -> None:
    """Move a figure's legend under the plot (horizontal, in ``rows`` rows if given), where it covers no data."""
    legend = fig.legend[0]
    legend.orientation = "horizontal"
    if rows:
        legend.nrows = rows
    legend.label_text_font_size = "12px"
    legend.spacing = 14
    fig.add_layout(legend, "below")


#: Look of the read-out cards (a stylesheet for the pane that shows :func:`readout_cards`).
READOUT_CSS = f"""
.ql-cards {{ display: flex; flex-wrap: wrap; gap: 10px; font-family: system-ui, sans-serif; }}
.ql-card {{ border: 1px solid {css_var("border")}; border-radius: 8px; padding: 6px 12px; min-width: 150px;
           max-width: calc(280px * var(--ql-scale, 1));
           background: {css_var("surface")}; color: {css_var("ink")}; }}
.ql-card span {{ display: block; font-size: calc(14px * var(--ql-scale, 1)); color: {css_var("ink2")}; }}
.ql-card b {{ display: block; font-size: calc(24px * var(--ql-scale, 1)); font-variant-numeric: tabular-nums; }}
.ql-card small {{ color: {css_var("muted")}; font-size: calc(12px * var(--ql-scale, 1)); }}
@media (max-width: 600px) {{
  .ql-cards {{ gap: 6px; }}
  .ql-card {{ flex: 1 1 140px; min-width: 0; padding: 4px 8px; }}
  .ql-card b {{ font-size: calc(20px * var(--ql-scale, 1)); }}
  .ql-card small {{ font-size: calc(11px * var(--ql-scale, 1)); }}
}}
"""


def readout_cards(cards, values: dict[str, str], tr: Translator | None = None) -> str:
    """HTML of the read-out cards: ``cards`` is (key, label, hint) per card (English msgids, shown in
    ``tr``'s language), ``values`` the shown text per key.

    Each card is ``div.ql-card[data-q=key]`` with the value in ``b`` (the hook of the UI tests); the
    row is a polite live region, so screen readers announce new values.
    """
    _ = tr.gettext if tr is not None else str
    body = "".join(f'<div class="ql-card" data-q="{key}"><span>{_(label)}</span><b>{values[key]}</b>'
                   f'<small>{_(hint) if hint else ""}</small></div>' for key, label, hint in cards)
    return f'<div class="ql-cards" aria-live="polite">{body}</div>'


#: What Bokeh's own tools say on hover (its English, when a tool has no description of ours).
_TOOL_NAMES = {"PanTool": N_("Pan"), "WheelZoomTool": N_("Wheel zoom"), "BoxZoomTool": N_("Box zoom"),
               "ResetTool": N_("Reset"), "HoverTool": N_("Hover"), "SaveTool": N_("Save"),
               "CrosshairTool": N_("Crosshair"), "TapTool": N_("Tap")}


def translate_tools(layout, tr: Translator) -> None:
    """Put the hover text of every figure tool inside ``layout`` in ``tr``'s language (once a figure:
    a translated description is no msgid any more, so a second pass leaves it)."""
    if tr.lang == "en":
        return
    for item in layout if isinstance(layout, (list, tuple)) else [layout]:
        if not isinstance(item, pn.viewable.Viewable):
            continue
        for pane in item.select(pn.pane.Bokeh):
            fig = pane.object
            toolbar = getattr(fig, "toolbar", None)
            if toolbar is None or getattr(fig, "_ql_translated", False):
                continue
            fig._ql_translated = True
            for tool in toolbar.tools:
                text = tool.description or _TOOL_NAMES.get(type(tool).__name__)
                if text:
                    tool.description = tr.gettext(text)


#: Bokeh's own tick text, its decimal point made the page's sign (and no other dot: 1e-5 stays)
_TICKS_JS = "return base.doFormat(ticks, {loc: 0})[index].replace(/(\\d)\\.(\\d)/, '$1' + sign + '$2')"
#: A slider's value as its numbro format would write it ("0[.]00": two decimals unless whole, "0.0%":
#: a percentage), with the page's decimal sign: BokehJS loads numbro's English only, so a
#: NumeralTickFormatter's ``language`` changes nothing.
_SLIDER_JS = """
const m = /\\.\\]?(0+)/.exec(fmt), digits = m ? m[1].length : 0, percent = fmt.endsWith("%")
const v = percent ? tick * 100 : tick
const text = fmt.includes("[.]") && Number.isInteger(v) ? String(v) : v.toFixed(digits)
return text.replace(".", sign) + (percent ? "%" : "")
"""


def localize_numbers(layout, tr: Translator) -> None:
    """Write the numbers Bokeh draws inside ``layout`` with ``tr``'s decimal sign: the tick labels
    of every linear axis and colour bar (Bokeh's own choice of digits, then the sign) and the values of the float
    sliders (as their format, default ``0[.]00``, writes them).  Nothing changes for a decimal point,
    nor where a view set a formatter of its own."""
    if tr.decimal == ".":
        return
    from bokeh.models import BasicTickFormatter, CustomJSTickFormatter

    for item in layout if isinstance(layout, (list, tuple)) else [layout]:
        if not isinstance(item, pn.viewable.Viewable):
            continue
        for slider in item.select(lambda o: isinstance(o, (pn.widgets.FloatSlider, pn.widgets.RangeSlider))):
            if slider.format is None or isinstance(slider.format, str):
                slider.format = CustomJSTickFormatter(args=dict(fmt=slider.format or "0[.]00", sign=tr.decimal),
                                                      code=_SLIDER_JS)
        for pane in item.select(pn.pane.Bokeh):
            fig = pane.object
            if fig is None or not hasattr(fig, "axis"):
                continue
            # axes, and colour bars (whose default formatter is "auto": Bokeh's basic one)
            for ruler in (*fig.axis, *(m for m in (*fig.right, *fig.left, *fig.below, *fig.above)
                                       if type(m).__name__ == "ColorBar")):
                if ruler.formatter == "auto" or type(ruler.formatter) is BasicTickFormatter:
                    base = ruler.formatter if ruler.formatter != "auto" else BasicTickFormatter()
                    ruler.formatter = CustomJSTickFormatter(args=dict(base=base, sign=tr.decimal), code=_TICKS_JS)


def restyle_figures(layout, look, done: set) -> None:
    """Draw every Bokeh figure inside ``layout`` (a Panel object or list of them) in profile ``look``."""
    if look.index == 0:
        return
    widget_css = look.widget_css()
    for item in layout if isinstance(layout, (list, tuple)) else [layout]:
        if not isinstance(item, pn.viewable.Viewable):
            continue
        for pane in item.select(pn.pane.Bokeh):
            if pane.object is not None:
                look.restyle(pane.object, done)
        if widget_css:
            # form controls do not inherit the page's type size into their shadow roots
            for widget in item.select(lambda o: isinstance(o, (pn.widgets.Widget, pn.Tabs))):
                if id(widget) not in done:
                    done.add(id(widget))
                    widget.stylesheets = [*widget.stylesheets, widget_css]


#: A row of figures or controls: side by side on a wide screen, one under the other up to 900 px wide
#: (lessons.common.page.NARROW_PX), each then the full width.
FLOW_CSS = """
@media (max-width: 900px) {
  :host { flex-wrap: wrap !important; }
  :host > * { flex: 1 1 100% !important; max-width: 100% !important; }
}
"""


def flow_row(*objects, **params) -> pn.Row:
    """``pn.Row(*objects)`` as wide as the page, folding into a column on narrow screens (:data:`FLOW_CSS`).

    A child given a fixed ``width`` becomes stretchable up to that width: Bokeh gives a row the sum of
    its children's fixed widths as its minimum width, and that minimum (not the CSS) would hold the row,
    and the tabs around it, wider than a phone.
    """
    for obj in objects:
        width = getattr(obj, "width", None)
        if width and getattr(obj, "sizing_mode", None) in (None, "fixed"):
            obj.param.update(sizing_mode="stretch_width", max_width=width, width=None)
    params.setdefault("sizing_mode", "stretch_width")
    return pn.Row(*objects, stylesheets=[FLOW_CSS, *params.pop("stylesheets", [])], **params)
