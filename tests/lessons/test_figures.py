"""The shared figure and layout helpers (lessons.common.figures), without a browser."""
import panel as pn

from lessons.common.figures import flow_row, legend_below, lesson_figure


def test_figures_fit_title_and_legend_to_their_width_in_the_browser():
    # the fitting runs in the browser (tests/ui/test_screens_ui.py measures it); here: it is attached
    fig = lesson_figure("Fidelity with the exact state", "t", "F")
    fig.line([0, 1], [0, 1], legend_label="one")
    legend_below(fig)
    width_cb = fig.js_property_callbacks["change:inner_width"]
    title_cb = fig.title.js_property_callbacks["change:text"]
    assert width_cb == title_cb and "setv" in width_cb[0].code and width_cb[0].args["fig"] is fig


def test_flow_row_lets_fixed_width_children_shrink():
    # Bokeh gives a row the sum of its children's fixed widths as its minimum width: a phone could
    # not fold it. Fixed widths become maxima.
    select = pn.widgets.Select(options=["a", "b"], width=300)
    button = pn.widgets.Button(label="Go", width=320)
    stretch = pn.pane.Markdown("text", sizing_mode="stretch_width")
    row = flow_row(select, button, stretch)
    assert (select.sizing_mode, select.max_width, select.width) == ("stretch_width", 300, None)
    assert (button.sizing_mode, button.max_width, button.width) == ("stretch_width", 320, None)
    assert stretch.max_width is None and row.sizing_mode == "stretch_width"
    assert any("flex-wrap" in css for css in row.stylesheets)


def test_a_title_is_a_panel_above_the_plot():
    # workarounds.title_as_panel: Bokeh 3.9 lays a figure out again when a side panel changes size,
    # not when its own title does; the fitted (wrapped) title lives in the panel above the plot
    fig = lesson_figure("A title long enough to wrap on a phone", "x", "y")
    assert fig.title_location is None
    assert fig.title in fig.above and fig.title.text == "A title long enough to wrap on a phone"
    fig.title.text = "changed"
    assert [t.text for t in fig.above if t is fig.title] == ["changed"]


def test_numbers_in_scientific_notation_read_as_maths_and_do_not_break():
    from lessons.common.text import sci

    nb = "\u202f"
    assert sci(1.55e-3) == f"1.55{nb}×{nb}10⁻³"
    assert sci(-2.3e-7, 1, sign=True) == f"-2.3{nb}×{nb}10⁻⁷"
    assert sci(9.996e-3) == f"1.00{nb}×{nb}10⁻²"            # rounding carries into the exponent
    assert sci(1.234e5) == f"1.23{nb}×{nb}10⁵"
    assert (sci(0.42), sci(31.6), sci(0.0), sci(float("nan"))) == ("0.42", "31.6", "0", "nan")
    assert sci(3e-4, 1, sign=True).startswith("+3.0")
    assert " " not in sci(4.4e-17) and "-" not in sci(4.4e-17)
