"""The Quantization view without a browser: cards, number lines, marker, curves, FSQ, the run, widgets.

Outside a server the view's debouncing runs at once and ``tab_closed`` is False, so setting a widget
or the model updates every figure source before the next line; ``shown_run(player)`` is what it
would send the page.  Expected numbers come from the model or straight from :mod:`physics`.
"""
import re
from functools import partial

import numpy as np
import pytest

from lessons.quantization.model import AUDIO_RATE, AUDIO_SECONDS, FORMATS, QuantizationModel
from lessons.quantization.player import VIEW_HALF_WIDTH
from lessons.quantization.view import TABS, QuantizationView
from physics import digits as dg
from physics import lowprec as lp
from physics import quantize as qz
from tests.lessons.helpers import Recorder, read_cards, shown_run

CARD_KEYS = ("quantized", "float", "kernel", "sqnr", "levels", "storage")
NETWORK, FSQ, RUN = 1, 2, 3


@pytest.fixture
def view():
    v = QuantizationView(QuantizationModel())
    yield v
    v.stop()


def cards(view) -> dict[str, str]:
    return read_cards(view.cards.object, CARD_KEYS)


def expected_cards(model) -> dict[str, str]:
    now = model.accuracy_now()
    sv = model.signal_view()
    return {"quantized": f"{100 * now['quantized']:.1f} %", "float": f"{100 * now['float']:.1f} %",
            "kernel": f"{100 * now['kernel_W1']:.1f} %", "sqnr": f"{sv['sqnr_db']:.1f} dB",
            "levels": str(sv["levels"]), "storage": f"{model.storage_bits():.3g}"}


def percent(text: str) -> float:
    match = re.fullmatch(r"(\d+\.\d) %", text)
    assert match, text
    return float(match.group(1))


# ---- cards and number lines -------------------------------------------------------------------

def test_cards_show_the_model_numbers(view):
    assert cards(view) == expected_cards(view.model)
    # the defaults: integer, 4 bits, per channel; straight from the physics
    net = dg.trained_network(0)
    q = partial(qz.uniform, bits=4, granularity="channel")
    c = cards(view)
    assert percent(c["quantized"]) == pytest.approx(100 * dg.accuracy(net, q), abs=0.05)
    assert percent(c["float"]) == pytest.approx(100 * dg.accuracy(net), abs=0.05)
    assert percent(c["kernel"]) == pytest.approx(100 * np.mean(q(net.W1) == 0), abs=0.05)
    assert c["storage"] == "4.5"
    sine = np.sin(2 * np.pi * 3 * np.arange(512) / 512)
    assert c["levels"] == str(np.unique(qz.uniform(sine, 4)).size) == "15"
    drop = 100 * (dg.accuracy(net) - dg.accuracy(net, q))
    assert f"loses {drop:.1f} points" in view.status.object
    assert "Could not compute" not in view.status.object


def test_number_lines_hold_the_model_data(view):
    m = view.model
    t, x = m.signal_data()
    nl = m.number_line(x)
    src = view.signal_line
    np.testing.assert_array_equal(src.hist.data["top"], nl["hist"])
    np.testing.assert_array_equal(src.hist.data["left"], nl["edges"][:-1])
    np.testing.assert_array_equal(src.hist.data["right"], nl["edges"][1:])
    np.testing.assert_array_equal(src.landed.data["x"], nl["levels"])
    np.testing.assert_array_equal(src.landed.data["share"], nl["share"])
    np.testing.assert_array_equal(src.grid.data["x"], nl["grid"])            # 15 ticks: every one drawn
    assert np.all(np.asarray(src.grid.data["y1"]) == 0) and np.all(np.asarray(src.grid.data["y0"]) < 0)
    # 4-bit integer on a full-scale sine: the grid is (max|x| / 7) k, k = -7 ... 7
    np.testing.assert_allclose(src.grid.data["x"], np.abs(x).max() / 7 * np.arange(-7, 8), atol=1e-12)
    view.tabs.active = NETWORK                 # the weights' number lines are on the Network tab
    wv = m.weights_view()
    for line, key in ((view.w1_line, "W1"), (view.w2_line, "W2")):
        np.testing.assert_array_equal(line.hist.data["top"], wv[key]["hist"])
        np.testing.assert_array_equal(line.landed.data["x"], wv[key]["levels"])
        np.testing.assert_array_equal(line.landed.data["share"], wv[key]["share"])
        np.testing.assert_array_equal(line.grid.data["x"], wv[key]["grid"])
    sv = m.signal_view()
    np.testing.assert_array_equal(view.sig.data["t"], t)
    np.testing.assert_array_equal(view.sig.data["xq"], sv["xq"])
    np.testing.assert_array_equal(view.sig.data["error"], sv["xq"] - sv["x"])
    assert np.isnan(view.sig.data["mean"]).all() and not view.mean_line.visible


def test_a_dense_grid_is_drawn_as_at_most_600_ticks(view):
    view.model.param.update(bits=12, granularity="tensor")
    grid = view.model.grid(view.model.signal_data()[1])
    assert grid.size > 600
    ticks = np.asarray(view.signal_line.grid.data["x"])
    assert ticks.size == 600 and np.all(np.isin(ticks, grid)) and ticks[0] == grid[0] and ticks[-1] == grid[-1]


def test_a_tab_is_built_when_first_opened_and_shows_the_settings_of_then(view):
    # only the open tab's figures exist: a class on the first tab never pays for the others
    assert view.tabs.built(TABS[0]) and not any(view.tabs.built(t) for t in TABS[1:])
    assert not hasattr(view, "w1_line") and not hasattr(view, "norm_fig")
    view.bits.value = 6                                # changed while the Network tab was never open
    view.tabs.active = NETWORK
    assert view.tabs.built(TABS[1])
    wv = view.model.weights_view()
    np.testing.assert_array_equal(view.w1_line.landed.data["x"], wv["W1"]["levels"])
    assert view.acc_now.data["bits"] == [6]
    # a change while the tab is hidden is drawn when it is opened again
    view.tabs.active = 0
    view.bits.value = 2
    assert view.acc_now.data["bits"] == [6]              # hidden: not redrawn yet
    view.tabs.active = NETWORK
    assert view.acc_now.data["bits"] == [2]
    np.testing.assert_array_equal(view.w2_line.landed.data["x"], view.model.weights_view()["W2"]["levels"])


def test_changing_the_bits_updates_the_cards_and_the_marker(view):
    m = view.model
    view.tabs.active = NETWORK                         # where the marker is
    before = cards(view)
    view.bits.value = 3                                 # what the slider does
    assert m.bits == 3
    assert cards(view) == expected_cards(m) != before
    now = m.accuracy_now()
    assert view.acc_now.data["bits"] == [3]
    assert view.acc_now.data["acc"] == [pytest.approx(100 * now["quantized"])]
    assert view.float_span.location == pytest.approx(100 * now["float"])
    assert now["quantized"] == dg.accuracy(dg.trained_network(0), partial(qz.uniform, bits=3, granularity="channel"))
    # a format of fixed width: the marker sits at its width, whatever the slider says
    view.fmt.value = "nvfp4"
    assert view.bits.disabled and cards(view) == expected_cards(m)
    assert view.acc_now.data["bits"] == [4]
    assert view.acc_now.data["acc"] == [pytest.approx(100 * dg.accuracy(dg.trained_network(0), qz.nvfp4))]
    assert "4-bit format" in view.applies_text.object


def test_stochastic_rounding_shows_the_average_of_the_draws(view):
    view.rounding.value = "stochastic"
    sv = view.model.signal_view()
    assert view.mean_line.visible
    np.testing.assert_allclose(view.sig.data["mean"], sv["xq_mean"], rtol=0, atol=1e-15)
    assert view.reroll.visible


# ---- the tabs ---------------------------------------------------------------------------------

def test_the_network_tab_fills_the_curves(view):
    m = view.model
    assert not view.tabs.built(TABS[1])                    # nothing made or computed while never opened
    view.tabs.active = NETWORK
    c = m.accuracy_curves()
    np.testing.assert_array_equal(view.acc.data["bits"], np.arange(1, 17))
    for key, name in (("tensor", "int per-tensor"), ("channel", "int per-channel"), ("current", "current"),
                      ("kernel", "kernel")):
        np.testing.assert_allclose(view.acc.data[key], 100 * c[name], rtol=0, atol=1e-12)
    # the current format's curve passes through the marker
    assert view.acc.data["current"][m.bits - 1] == pytest.approx(view.acc_now.data["acc"][0])
    # the curves are against bits: a new bit count moves the marker only
    curves = view.acc.data["current"]
    view.bits.value = 6
    assert view.acc.data["current"] is curves
    assert view.acc_now.data["acc"] == [pytest.approx(curves[5])]
    view.granularity.value = "tensor"
    np.testing.assert_allclose(view.acc.data["current"], view.acc.data["tensor"], rtol=0, atol=0)
    view.fmt.value = "nf4"
    nf4 = 100 * dg.accuracy(dg.trained_network(0), partial(qz.nf4, block=64))
    np.testing.assert_allclose(view.acc.data["current"], nf4, rtol=0, atol=1e-12)
    assert "NF4" in view.acc_fig.title.text


def test_the_fsq_tab_fills_the_usage_and_curves(view):
    m = view.model
    view.tabs.active = FSQ
    u, c = m.fsq_usage(), m.fsq_curves()
    np.testing.assert_array_equal(view.usage.data["level"], np.arange(-8, 9))
    np.testing.assert_allclose(view.usage.data["tanh"], 100 * u["tanh"]["usage"])
    np.testing.assert_allclose(view.usage.data["ifsq"], 100 * u["ifsq"]["usage"])
    np.testing.assert_allclose(np.sum(view.usage.data["ideal"]), 100.0)
    np.testing.assert_array_equal(view.ent.data["L"], c["levels"])
    np.testing.assert_allclose(view.ent.data["ifsq_spread"], 100 * c["ifsq_spread"])
    np.testing.assert_allclose(view.ent.data["tanh_entropy"], c["tanh_entropy"])
    np.testing.assert_allclose(view.ent.data["max"], np.log2(c["levels"]))
    assert view.levels_now.location == 17
    assert f"**{100 * u['ifsq']['spread']:.1f} %**" in view.fsq_text.object
    # the FSQ sliders
    view.fsq_levels.value = 9
    view.latent_std.value = 2.0
    assert (m.fsq_levels, m.latent_std) == (9, 2.0)
    u = m.fsq_usage()
    np.testing.assert_array_equal(view.usage.data["level"], np.arange(-4, 5))
    np.testing.assert_allclose(view.usage.data["ifsq"], 100 * u["ifsq"]["usage"])
    assert view.levels_now.location == 9 and "latent std 2" in view.usage_fig.title.text


def shapes(run) -> np.ndarray:
    """The player's |psi|^2 / ||psi||^2 rows (records x points in the window)."""
    return run["q"].reshape(run["t"].size, run["x"].size)


def test_the_schroedinger_tab_sends_a_run(view):
    m = view.model
    assert shown_run(view.player) is None               # not computed while the tab is closed
    m.bits = 8
    view.tabs.active = RUN
    run = shown_run(view.player)
    assert run["run"] == 1 and "8 bits" in run["label"] and "(nearest)" in run["label"]
    s = lp.harmonic_setup()
    keep = np.abs(s.x) <= VIEW_HALF_WIDTH
    np.testing.assert_array_equal(run["x"], s.x[keep].astype(np.float32))
    assert run["t"].dtype == np.float32 and run["t"].size == 201 and run["t"][-1] == pytest.approx(20.0)
    direct = lp.stored_run(partial(qz.uniform, bits=8), steps=2000)
    np.testing.assert_allclose(10.0 ** run["lognorm"].astype(float), direct.norm, rtol=1e-5)
    np.testing.assert_allclose(run["fid"], direct.fidelity, rtol=1e-6)
    assert run["valid"] == 201
    q = shapes(run)
    dx = s.dx
    # the last record is the final state: |psi|^2 / ||psi||^2 in the window
    np.testing.assert_allclose(q[-1], (np.abs(direct.psi) ** 2 / direct.norm[-1])[keep], rtol=1e-5, atol=1e-9)
    assert q[0].sum() * dx == pytest.approx(1.0, abs=1e-6)          # the packet starts inside the window
    ref = run["ref"].reshape(q.shape)
    np.testing.assert_allclose(ref.sum(axis=1) * dx, 1.0, atol=1e-5)
    # the norm figure (log axis) and the fidelity figure
    np.testing.assert_allclose(view.norm_src.data["nearest"], direct.norm, rtol=1e-12)
    assert view._norm_lines["stochastic"].visible
    assert f"**{direct.norm[-1]:.4g}**" in view.run_text.object

    # the page reports ready: the run is replayed; a new setting sends a new one at once
    rec = Recorder(view.player)
    assert [r["run"] for r in rec.runs()] == [1]
    assert [msg["kind"] for msg in rec.sent] == ["setup", "chunk"]
    view.bits.value = 12
    assert rec.runs()[-1]["run"] == 2 and "12 bits" in rec.runs()[-1]["label"]
    q = shapes(rec.runs()[-1])
    np.testing.assert_allclose(q.sum(axis=1) * dx, 1.0, atol=2e-3)   # normalised, almost all in the window
    # with the tab closed nothing is computed; the run follows when it opens
    view.tabs.active = 0
    view.bits.value = 10
    assert len(rec.runs()) == 2
    view.tabs.active = RUN
    assert rec.runs()[-1]["run"] == 3 and "10 bits" in rec.runs()[-1]["label"]
    # a format without stochastic rounding has one curve
    view.fmt.value = "nf4"
    assert not view._norm_lines["stochastic"].visible and np.isnan(view.norm_src.data["stochastic"]).all()
    assert "no stochastic rounding" in view.run_text.object


@pytest.mark.parametrize("bits", [2, 1])
def test_the_animated_shape_is_normalised_when_the_norm_leaves_float32(bits):
    view = QuantizationView(QuantizationModel(bits=bits))
    view.tabs.active = RUN
    run = shown_run(view.player)
    direct = lp.stored_run(partial(qz.uniform, bits=bits, granularity="channel"), steps=2000)
    assert run["valid"] == 201 and np.isfinite(direct.norm).all()
    assert not 1e-30 < direct.norm[-1] < 1e30                           # outside float32's comfortable range
    keep = np.abs(lp.harmonic_setup().x) <= VIEW_HALF_WIDTH
    np.testing.assert_allclose(shapes(run)[-1], (np.abs(direct.psi) ** 2 / direct.norm[-1])[keep],
                               rtol=1e-4, atol=1e-9)


# ---- widgets ----------------------------------------------------------------------------------

def test_widgets_show_what_the_format_uses(view):
    m = view.model
    for granularity in ("channel", "block"):
        view.granularity.value = granularity
        for fmt in FORMATS:
            view.fmt.value = fmt
            a = m.applies()
            assert view.bits.disabled == (not a["bits"]), fmt
            assert view.rounding.disabled == (not a["rounding"]), fmt
            for name in ("granularity", "block", "clip", "exp_bits", "exponent"):
                assert getattr(view, name).visible == a[name], (fmt, granularity, name)
            assert view.best_f.visible == a["frac_bits"]
            assert view.frac.visible == (a["frac_bits"] and m.frac_bits != -99)
            assert cards(view) == expected_cards(m), fmt
            assert "Could not compute" not in view.status.object
    view.fmt.value = "minifloat"
    view.bits.value = 6
    assert "E2M3" in view.applies_text.object
    view.exp_bits.value = 3
    assert "E3M2" in view.applies_text.object


def test_the_binary_point_checkbox_and_slider_follow_the_model(view):
    m = view.model
    view.fmt.value = "fixed"
    assert m.frac_bits == -99 and view.best_f.value and view.best_f.visible and not view.frac.visible
    view.best_f.value = False                           # untick: the slider's value is used
    assert m.frac_bits == view.frac.value == 4 and view.frac.visible
    view.frac.value = 2
    assert m.frac_bits == 2 and not view.best_f.value
    x = m.signal_data()[1]
    np.testing.assert_array_equal(view.sig.data["xq"], qz.fixed_point(x, 4, 2))
    view.best_f.value = True
    assert m.frac_bits == -99 and not view.frac.visible
    np.testing.assert_array_equal(view.sig.data["xq"], qz.fixed_point(x, 4, qz.best_frac_bits(x, 4)))
    view.best_f.value = False
    m.frac_bits = 5                                     # the model set from outside (a link)
    assert m.frac_bits == 5 and not view.best_f.value and view.frac.value == 5 and view.frac.visible
    m.frac_bits = -99
    assert view.best_f.value and not view.frac.visible
    # a view built on a model with a given binary point shows it
    other = QuantizationView(QuantizationModel(fmt="fixed", frac_bits=3))
    assert not other.best_f.value and other.frac.value == 3 and other.frac.visible


def test_a_binary_point_set_on_the_model_in_best_mode_is_kept():
    view = QuantizationView(QuantizationModel(fmt="fixed"))
    assert view.best_f.value and view.frac.value == 4
    view.model.frac_bits = 5
    assert view.model.frac_bits == 5 and view.frac.value == 5 and not view.best_f.value


def test_a_binary_point_below_the_slider_snaps_to_its_end_with_a_notice():
    # below F = -8 the step 2^-F exceeds every value of the lesson's data: everything would round to 0
    built = QuantizationView(QuantizationModel(fmt="fixed", frac_bits=-20))
    assert built.model.frac_bits == -8 and built.frac.value == -8 and not built.best_f.value
    assert any("F=-20" in n for n in built.model.notices)
    view = QuantizationView(QuantizationModel(fmt="fixed", frac_bits=3))
    view.model.frac_bits = -20
    assert view.model.frac_bits == -8 and view.frac.value == -8 and any("F=-20" in n for n in view.model.notices)
    view.model.frac_bits = -99                        # "best" is not snapped
    assert view.model.frac_bits == -99 and view.best_f.value
    linked = QuantizationModel.from_query({"format": "fixed", "F": "-50"})
    assert linked.frac_bits == -8 and any("F=-50" in n for n in linked.notices)


def test_reroll_draws_again(view):
    m = view.model
    assert not view.reroll.visible                      # round to nearest on a sine: nothing random
    view.rounding.value = "stochastic"
    assert view.reroll.visible
    xq = np.array(view.sig.data["xq"])
    view.reroll.clicks += 1
    assert m.seed == 1
    x = m.signal_data()[1]
    np.testing.assert_array_equal(view.sig.data["xq"], qz.uniform(x, 4, "channel", rounding="stochastic", seed=1))
    assert not np.array_equal(view.sig.data["xq"], xq)
    view.reroll.clicks += 1
    assert m.seed == 2
    view.rounding.value = "nearest"
    view.signal.value = "gaussian"
    assert view.reroll.visible
    np.testing.assert_array_equal(view.sig.data["x"], np.random.default_rng(2).normal(size=512))


def test_fine_tune_button_reports_before_and_after(view):
    m = view.model
    view.bits.value = 2
    view.qat_button.clicks += 1
    net = dg.trained_network(0)
    q = partial(qz.uniform, bits=2, granularity="channel")
    before = dg.accuracy(net, q)
    after = dg.accuracy(dg.qat(net, q, steps=200), q)
    assert after > before + 0.3
    text = view.qat_text.object
    assert f"**{100 * before:.1f} % → {100 * after:.1f} %**" in text and "2 bits" in text
    assert not view.qat_button.loading and m.bits == 2


def test_the_listen_toggle_fills_the_audio(view):
    m = view.model
    assert not view.audio_row.visible and view.audio_orig.object is None
    view.listen.value = True
    assert view.audio_row.visible
    n = int(AUDIO_RATE * AUDIO_SECONDS)
    orig, quant = view.audio_orig.object, view.audio_q.object
    assert orig.dtype == quant.dtype == np.int16 and orig.shape == quant.shape == (n,)
    t = np.arange(n) / AUDIO_RATE
    tone = np.sin(2 * np.pi * 330 * t)
    tone = 0.9 * tone / np.abs(tone).max()
    np.testing.assert_allclose(orig, tone * 32767, atol=1.0)
    np.testing.assert_allclose(quant, qz.uniform(tone, 4) * 32767, atol=1.0)     # one tensor: 15 levels
    assert np.unique(quant).size == 15
    # a new setting: new sound
    view.bits.value = 2
    assert np.unique(view.audio_q.object).size == 3
    assert view.audio_orig.object.dtype == np.int16
    view.listen.value = False
    assert not view.audio_row.visible
    assert m.bits == 2


def test_load_secondary_adds_the_text_tabs_once(view):
    assert len(view.tabs) == len(TABS) == 4
    view.load_secondary()
    view.load_secondary()
    assert view.tabs._names == [*TABS, "Lesson", "Teacher notes"]


def test_bad_settings_never_raise(view):
    m = view.model
    view.rounding.value = "stochastic"
    combos = [dict(fmt=f, bits=b, granularity=g, signal=s)
              for f in FORMATS for b in (1, 2, 16) for g in ("tensor", "block")
              for s in ("sine", "heavy_tails")]
    combos += [dict(fmt="fixed", bits=1, frac_bits=24), dict(fmt="fixed", bits=16, frac_bits=-8),
               dict(fmt="int", clip=0.05, block=4, granularity="block", bits=1),
               dict(fmt="minifloat", bits=16, exp_bits=8), dict(fmt="minifloat", bits=3, exp_bits=8),
               dict(fmt="power", exponent=0.2, bits=16), dict(fmt="power", exponent=2.0, bits=2),
               dict(activations=True, bits=1), dict(seed=2**31 - 1, signal="gaussian")]
    for combo in combos:
        m.param.update(**combo)
        assert "Could not compute" not in view.status.object, (combo, view.status.object)
        c = cards(view)
        assert 0 <= percent(c["quantized"]) <= 100 and 0 <= percent(c["kernel"]) <= 100, (combo, c)
        assert np.all(np.isfinite(view.sig.data["xq"])), combo
    # the expensive tabs at a few extreme settings
    for combo in (dict(fmt="int", bits=1), dict(fmt="mx", bits=16), dict(fmt="power_of_two", bits=2),
                  dict(fmt="fixed", bits=1, frac_bits=24)):
        m.param.update(**combo)
        for tab in (NETWORK, FSQ, RUN):
            view.tabs.active = tab
            assert "Could not compute" not in view.status.object, (combo, tab, view.status.object)
        view.tabs.active = 0
    run = shown_run(view.player)
    assert np.all(np.isfinite(run["q"])) and np.all(np.isfinite(run["lognorm"]))
    assert np.all(np.isfinite(view.acc.data["current"]))


def test_on_the_schroedinger_tab_a_new_run_goes_out_before_the_cards_and_figures(view):
    """The page handles messages in order: the run a student waits for is not queued behind the
    cards' and figures' patches (in a class of 6 the pages waited 58 ms p50 for it, the protocol
    clients 15)."""
    view.tabs.active = RUN
    order = []
    Recorder(view.player)                        # the page is ready
    view.player._send_msg = lambda msg: order.append(msg["kind"])
    view.norm_src.on_change("data", lambda _attr, _old, _new: order.append("figure"))
    view.cards.param.watch(lambda _e: order.append("cards"), "object")
    view.run_text.param.watch(lambda _e: order.append("text"), "object")
    view.bits.value = 7
    assert order[:2] == ["setup", "chunk"] and {"figure", "cards", "text"} <= set(order[2:]), order
    assert order.count("setup") == 1
