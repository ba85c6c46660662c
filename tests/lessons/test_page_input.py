"""What a page sends can be anything: every widget of every lesson clamps or drops what its control
could not have sent, quietly (no exception, no error in the log), and the lesson stays in range.

The page's changes are fed to the widgets as Panel's server does (``_process_events`` with the
Bokeh property names, Panel's own tests do the same).  The same over a real websocket is in
``tests/test_security.py``.
"""
from __future__ import annotations

import logging
import math

import numpy as np
import panel as pn
import param
import pytest

from lessons.bound_states.view import BoundStatesModel, BoundStatesView
from lessons.common.page import lesson_app
from lessons.common.sections import LazyTabs
from lessons.quantization.model import QUERY_NAMES as Q_NAMES
from lessons.quantization.view import QuantizationModel, QuantizationView
from lessons.spin_battery.model import QUERY_NAMES as S_NAMES
from lessons.spin_battery.view import SpinBatteryModel, SpinBatteryView
from lessons.tunneling.model import QUERY_NAMES as T_NAMES
from lessons.tunneling.view import TunnelingModel, TunnelingView
from lessons.bound_states.model import QUERY_NAMES as B_NAMES

LESSONS = {
    "tunneling": (TunnelingModel, TunnelingView, T_NAMES),
    "bound_states": (BoundStatesModel, BoundStatesView, B_NAMES),
    "spin_battery": (SpinBatteryModel, SpinBatteryView, S_NAMES),
    "quantization": (QuantizationModel, QuantizationView, Q_NAMES),
}
BAD = (0, -1, 10**9, -1e308, 1e308, math.nan, math.inf, -math.inf, "x", "", None, True, [], {}, [99], 1.5)


def whole_page(name: str):
    """A lesson page (as ``lesson_app`` makes it) with every tab opened once, and its widgets."""
    model_cls, view_cls, _ = LESSONS[name]
    page = lesson_app(name, model_cls, view_cls, args={})
    view = page.ql_view
    view.load_secondary()
    for tabs in [t for t in [getattr(view, "tabs", None)] if isinstance(t, LazyTabs)]:
        for i in range(len(tabs)):
            tabs.active = i
        tabs.active = 0
    objects = [*page.ql_main, *page.sidebar]
    widgets = {id(w): w for o in objects for w in o.select(pn.widgets.Widget)}
    return page, list(widgets.values())


def in_bounds(model: param.Parameterized) -> list[str]:
    """The model's numeric settings that are outside their bounds (none, if all is well)."""
    wrong = []
    for name, p in model.param.objects("existing").items():
        if isinstance(p, param.Number) and p.bounds is not None:
            value = getattr(model, name)
            lo, hi = p.bounds
            if value is None or (lo is not None and value < lo) or (hi is not None and value > hi) \
                    or not math.isfinite(value):
                wrong.append(f"{name}={value!r}")
    return wrong


@pytest.mark.parametrize("name", list(LESSONS))
def test_every_widget_refuses_what_its_control_cannot_send(name, caplog):
    page, widgets = whole_page(name)
    model = page.ql_model
    assert len(widgets) >= 8
    caplog.set_level(logging.WARNING)
    for widget in widgets:
        for prop in widget._linked_properties:
            for bad in BAD:
                widget._process_events({prop: bad})      # must not raise
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[0].getMessage()
    assert in_bounds(model) == []


def test_a_slider_value_out_of_range_is_clamped_and_a_good_one_still_counts():
    page, _ = whole_page("quantization")
    view, model = page.ql_view, page.ql_model
    for sent, kept in ((0, 1), (-5, 1), (99, 16), (6, 6), (7.4, 7), (math.nan, 7), ("3", 7)):
        view.bits._process_events({"value": sent, "value_throttled": sent})
        assert model.bits == kept, sent
    # a menu: an option it does not offer is dropped, one it offers is taken
    view.fmt._process_events({"value": "float1024"})
    assert model.fmt == "int"
    view.fmt._process_events({"value": "nf4"})
    assert model.fmt == "nf4"
    # buttons: an index past the last one is dropped
    view.rounding._process_events({"active": 7})
    assert model.rounding == "nearest"
    view.rounding._process_events({"active": 1})
    assert model.rounding == "stochastic"


def test_a_discrete_slider_takes_only_its_own_positions():
    page, _ = whole_page("bound_states")
    view, model = page.ql_view, page.ql_model
    inner = view.pinn_lr._slider                           # the page moves this one (indices)
    before = model.pinn_lr
    inner._process_events({"value": 99})
    assert model.pinn_lr == max(view.pinn_lr.options.values())
    inner._process_events({"value": -3})
    assert model.pinn_lr == min(view.pinn_lr.options.values())
    inner._process_events({"value": "x"})
    assert model.pinn_lr == min(view.pinn_lr.options.values()) and before > 0
    assert np.isfinite(model.pinn_lr)
