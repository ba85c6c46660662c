"""The Spin-battery view without a browser: cards, maps and marker, curves, charging runs, tabs.

Outside a server the view's debouncing runs at once, so setting a widget or the model updates
every figure source before the next line; ``shown_run(player)`` is what it would send the page.
"""

import numpy as np
import pytest

from lessons.common.text import plain_text
from lessons.spin_battery.model import (CHARGE_TIMES, CHARGER_HAMILTONIANS, CURVE_AXES, MAP_AXES, MAX_MAP_SITES,
                                        QUANTITY_LABELS, SpinBatteryModel)
from lessons.spin_battery.view import SpinBatteryView
from tests.lessons.helpers import Recorder, read_cards, shown_run

CARD_KEYS = ("ergotropy", "capacity", "stored", "coherent", "coherence", "concurrence")
MAPS, CHARGING = 1, 2


@pytest.fixture
def view():
    v = SpinBatteryView(SpinBatteryModel())
    yield v
    v.stop()


def cards(view) -> dict[str, str]:
    return read_cards(view.cards.object, CARD_KEYS)


def assert_cards_show(view, model):
    r = model.readouts()
    assert cards(view) == {k: f"{r[k]:.4f}" for k in CARD_KEYS}


def test_cards_show_the_model_numbers(view):
    assert_cards_show(view, view.model)
    assert cards(view)["ergotropy"] == "1.8108"
    r = view.model.readouts()
    assert f"**{r['efficiency']:.1%}**" in view.status.object and "1.30, 0.70" in view.status.object
    # the bars and the resources figure hold the same numbers
    assert view.bars.data["incoherent"][1] == r["incoherent"] and view.bars.data["coherent"][1] == r["coherent"]
    assert view.bars.data["capacity"][0] == r["capacity"] and view.bars.data["stored"][2] == r["stored"]
    assert view.max_span.location == pytest.approx(4.0)
    assert view.res.data["value"] == [r["concurrence"], r["coherence"]]


def test_changing_D_updates_the_cards_ladder_and_heat_map(view):
    before = cards(view)
    view.sliders["D"].value = 2.0                 # what the slider does
    assert view.model.D == 2.0
    assert_cards_show(view, view.model)
    assert cards(view)["ergotropy"] != before["ergotropy"]
    L = view.model.ladder()
    np.testing.assert_array_equal(view.ladder.data["E"], L["energy"])
    np.testing.assert_array_equal(view.ladder.data["rho"], -L["rho"])       # drawn to the left
    np.testing.assert_array_equal(view.ladder.data["passive"], L["passive"])
    assert view.mean_lines.data["y"] == [L["mean_rho"], L["mean_passive"]]
    rho = view.model.heatmap()["rho"]
    np.testing.assert_array_equal(view.heat.data["v"], np.abs(rho).ravel())
    assert view.heat.data["ket"][1] == "↑↑" and view.heat.data["bra"][1] == "↑↓"   # row 0, column 1


def test_changing_N_redraws_the_heat_map_at_its_size(view):
    view.n_sites.value = 3
    assert len(view.heat.data["v"]) == 64 and view.profile.visible
    assert_cards_show(view, view.model)
    view.model.n_sites = 7
    assert len(view.heat.data["v"]) == 4096 and "first 6 spins" in view.heat_fig.title.text


def test_opening_the_maps_tab_fills_the_map_marker_and_curves(view):
    m = view.model
    assert not view.tabs.built("Maps and curves")                 # nothing made or computed while closed
    view.tabs.active = MAPS
    g = m.map_grid()
    np.testing.assert_array_equal(view.map_src.data["image"][0], g["z"])
    assert view.marker.data == {"x": [m.D], "y": [m.T]}
    assert view.map_fig.xaxis.axis_label == "DM coupling D" and view.map_fig.yaxis.axis_label == "temperature T"
    assert (view.map_mapper.low, view.map_mapper.high) == pytest.approx((g["z"].min(), g["z"].max()))
    c = m.curves()
    np.testing.assert_array_equal(view.curve_src.data["ergotropy"], c["ergotropy"])
    assert view.curve_now.location == m.T


def test_an_axis_setting_moves_the_marker_and_another_recomputes_the_map(view):
    view.tabs.active = MAPS
    image, curves = view.map_src.data["image"][0], view.curve_src.data["ergotropy"]
    view.sliders["D"].value = 1.75                 # D is the map's x axis
    assert view.marker.data == {"x": [1.75], "y": [0.5]}
    assert view.map_src.data["image"][0] is image, "the map was recomputed for a move along its axis"
    assert view.curve_src.data["ergotropy"] is not curves          # the curves are against T: new D, new curves
    curves = view.curve_src.data["ergotropy"]
    view.sliders["T"].value = 1.2                  # T is the map's y axis and the curves' x axis
    assert view.marker.data == {"x": [1.75], "y": [1.2]}
    assert view.map_src.data["image"][0] is image
    assert view.curve_src.data["ergotropy"] is curves and view.curve_now.location == 1.2
    view.sliders["K"].value = 1.0                  # on no axis: a new map
    new = view.map_src.data["image"][0]
    assert new is not image and not np.array_equal(new, image)
    np.testing.assert_array_equal(new, view.model.map_grid()["z"])
    # a new pair of axes: a new map and the marker on them
    view.map_axes.value = "B_b"
    assert view.marker.data == {"x": [view.model.B], "y": [view.model.b]}
    np.testing.assert_array_equal(view.map_src.data["image"][0], view.model.map_grid()["z"])
    assert view.map_fig.xaxis.axis_label == "field B"


def test_opening_the_charging_tab_sends_a_run(view):
    m = view.model
    assert shown_run(view.player) is None                # not computed while the tab is closed
    view.tabs.active = CHARGING
    run = shown_run(view.player)
    assert run["run"] == 1 and run["n"] == 2 and run["t"].size == CHARGE_TIMES
    expected = m.charging()
    np.testing.assert_array_equal(run["E"], expected["stored"].astype(np.float32))
    np.testing.assert_array_equal(run["W"], expected["ergotropy"].astype(np.float32))
    assert run["Emax"] == pytest.approx(4.0) and run["fields"] == pytest.approx([1.3, 0.7])
    # the page reports ready: the run is replayed to it
    rec = Recorder(view.player)
    assert [r["run"] for r in rec.runs()] == [1]
    # a charging setting or a chain setting: a new run, sent at once
    view.omega.value = 2.0
    assert shown_run(view.player)["run"] == 2 and rec.runs()[-1]["run"] == 2
    view.sliders["D"].value = 1.0
    assert rec.runs()[-1]["run"] == 3
    np.testing.assert_array_equal(rec.runs()[-1]["E"], m.charging()["stored"].astype(np.float32))
    # with the tab closed nothing is computed, and the run follows when it opens again
    view.tabs.active = 0
    view.sliders["B"].value = 2.0
    view.charger.value = "field"
    assert len(rec.runs()) == 3
    view.tabs.active = CHARGING
    assert rec.runs()[-1]["run"] == 4 and len(rec.runs()) == 4
    np.testing.assert_array_equal(rec.runs()[-1]["E"], m.charging()["stored"].astype(np.float32))
    assert view.charger_text.object == plain_text(CHARGER_HAMILTONIANS["field"])


def test_load_secondary_adds_the_text_tabs_once(view):
    assert len(view.tabs) == 3
    view.load_secondary()
    view.load_secondary()
    assert view.tabs._names == ["Battery state", "Maps and curves", "Charging", "Lesson", "Teacher notes"]


def test_long_chains_show_a_note_instead_of_a_map(view):
    view.tabs.active = MAPS
    image = view.map_src.data["image"][0]
    view.model.n_sites = MAX_MAP_SITES + 1
    assert view.map_note.visible and "N = 8" in view.map_note.object
    assert view.map_src.data["image"][0] is image
    assert len(view.curve_src.data["x"]) == 251                    # curves against T: still drawn
    np.testing.assert_array_equal(view.curve_src.data["stored"], view.model.curves()["stored"])
    assert "Could not compute" not in view.status.object
    view.model.n_sites = 2
    assert not view.map_note.visible


def test_a_fully_degenerate_setting_breaks_nothing():
    # no couplings, no fields, T = 0: every state has energy 0, H_B = 0
    m = SpinBatteryModel(preset="custom", Jx=0.0, Jy=0.0, Jz=0.0, D=0.0, K=0.0, B=0.0, b=0.0, T=0.0)
    view = SpinBatteryView(m)
    assert cards(view) == {k: "0.0000" for k in CARD_KEYS}
    assert "Could not compute" not in view.status.object and "0.0%" in view.status.object
    assert list(view.ladder.data["E"]) == [0.0] and np.all(np.isfinite(view.ladder.data["h"]))
    assert np.all(np.isfinite(view.heat.data["v"])) and view.heat_mapper.high > 0
    view.tabs.active = MAPS
    for axes in MAP_AXES:
        for quantity in QUANTITY_LABELS:
            view.map_axes.value, view.map_quantity.value = axes, quantity
            assert not view.map_note.visible, view.map_note.object
            assert np.all(np.isfinite(view.map_src.data["image"][0])), (axes, quantity)
            assert view.map_mapper.high > view.map_mapper.low
    for axis in CURVE_AXES:
        view.curve_axis.value = axis
        assert not view.map_note.visible, view.map_note.object
        assert np.all(np.isfinite(view.curve_src.data["ergotropy"])), axis
    view.tabs.active = CHARGING
    for charger in ("drive", "field", "chain"):
        view.charger.value = charger
        run = shown_run(view.player)
        assert np.all(np.isfinite(run["E"])) and np.all(np.isfinite(run["sz"])), charger
        assert np.all(run["E"] == 0)                              # nothing can be stored without fields
    view.n_sites.value = 3
    assert cards(view)["capacity"] == "0.0000" and "Could not compute" not in view.status.object
    assert shown_run(view.player)["n"] == 3


# A preset changes several settings at once; param then calls each watcher with one event per
# changed parameter (a regression test: the view's watchers once took exactly one).


def test_choosing_a_preset_updates_the_cards(view):
    view.preset.value = "xyz_afm"                 # Jy and Jz change together
    assert (view.model.Jx, view.model.Jy, view.model.Jz) == (1.0, 0.6, 0.3)
    assert_cards_show(view, view.model)


def test_several_settings_changed_at_once_update_everything(view):
    view.tabs.active = CHARGING
    view.model.param.update(D=1.0, K=0.4, omega=2.0, t_max=10.0)
    assert_cards_show(view, view.model)
    assert shown_run(view.player)["t"][-1] == pytest.approx(10.0)


def test_on_the_charging_tab_a_new_run_goes_out_before_the_cards(view):
    """A chain setting changed on the Charging tab: the charging run first, then the read-outs."""
    view.tabs.active = CHARGING
    order = []
    Recorder(view.player)
    view.player._send_msg = lambda msg: order.append(msg["kind"])
    view.cards.param.watch(lambda _e: order.append("cards"), "object")
    view.sliders["Jz"].value = 0.4
    assert order[:2] == ["setup", "chunk"] and "cards" in order[2:], order
    assert order.count("setup") == 1
