"""Sessions are isolated: what one student does never shows up on another student's page.

In the browser: two pages of the same lesson (two browser contexts, like two students' machines, or
two tabs of one browser, which share cookies) opened at different settings (by the link) and then
changed (a slider, a menu) keep their own read-outs, sliders and address bars.  "Nothing arrived"
is checked after a barrier rather than a sleep: the other page then changes a setting of its own
and waits for its server's answer, so anything the server had sent it before has arrived too.

Without a browser: two views of each lesson, one driven through every sidebar control, leave the
other's model, widgets and the models' class defaults untouched, and share no mutable object;
fine-tuning in one session leaves the process-wide trained network alone.
"""
from __future__ import annotations

import copy
import hashlib
import re

import numpy as np
import panel as pn
import param
import pytest
from playwright.sync_api import expect

from lessons.quantization.model import QuantizationModel
from lessons.spin_battery.model import SpinBatteryModel
from lessons.tunneling.model import TunnelingModel
from tests.ui.conftest import LessonPage, open_pages
from tests.ui.test_quantization_ui import BITS, QuantPage, accuracy_text
from tests.ui.test_spin_battery_ui import CARD_KEYS, BatteryPage, card_text

browser = pytest.mark.browser


# ---- in the browser ---------------------------------------------------------------------------

@pytest.fixture
def two_pages(new_context):
    """``two_pages(cls, query_a, query_b, same_context)``: two pages of a lesson, loaded in parallel."""
    opened = []

    def make(cls, query_a: str, query_b: str, same_context: bool):
        first = new_context()
        contexts = [first, first if same_context else new_context()]
        pages = [cls(context.new_page()) for context in contexts]
        opened.extend(pages)
        for page, query in zip(pages, (query_a, query_b)):
            page.page.goto(page.PATH + query, wait_until="commit")
        for page in pages:
            page.wait_loaded()
        return pages

    yield make
    for page in opened:
        try:
            page.settle()
        except Exception:  # the test has already failed; do not hide why
            pass


class Tunnelling(LessonPage):
    PATH = "/tunneling"

    def wait_loaded(self) -> None:
        self.wait_for_frames()

    def state(self) -> dict:
        """What this page shows of its settings: sliders, shape, prediction, run, address bar."""
        return {"sliders": [self.slider_title(s) for s in ("Barrier height V₀", "Barrier width", "Packet energy")],
                "shape": self.shape_label(), "predicted": self.predicted(), "run": self.attr("run"),
                "url": self.page.url}

    def press(self, label: str, key: str, times: int) -> float:
        """Keys on a slider; waits until the server has the new value (the address bar follows)."""
        name = {"Barrier width": "width", "Packet energy": "energy", "Barrier height V₀": "height"}[label]
        self.slider(label).locator(".noUi-handle").focus()
        for _ in range(times):
            self.page.keyboard.press(key)
        value = float(re.search(r"(-?\d+(?:\.\d+)?)", self.slider_title(label).split(":")[1]).group(1))
        self.wait_query(name, value)
        return value


class Quant(QuantPage):
    PATH = "/quantization"

    def wait_loaded(self) -> None:
        expect(self.card("quantized")).to_have_text(re.compile(r"^\d+\.\d %$"))

    def state(self) -> dict:
        return {"cards": {k: self.card(k).inner_text() for k in ("quantized", "float", "storage")},
                "bits": self.slider_value(BITS), "format": self.page.locator("select").filter(
                    has=self.page.locator("option", has_text="Integer (uniform)")).evaluate(
                    "s => s.options[s.selectedIndex].text"),
                "url": self.page.url}


class Battery(BatteryPage):
    PATH = "/spin_battery"

    def wait_loaded(self) -> None:
        self.wait_ready()

    def state(self) -> dict:
        return {"cards": self.cards(), "sliders": [self.slider_value(s) for s in ("Jz", "KSEA coupling K", "Temperature T")],
                "preset": self.preset_label(), "url": self.page.url}


def quant_model(query: str) -> QuantizationModel:
    return QuantizationModel.from_query(dict(p.split("=") for p in query.lstrip("?").split("&") if p))


def battery_cards(query: str) -> dict:
    model = SpinBatteryModel.from_query(dict(p.split("=") for p in query.lstrip("?").split("&") if p))
    r = model.readouts()
    return {key: card_text(r[key]) for key in CARD_KEYS}


@browser
@pytest.mark.parametrize("same_context", [False, True], ids=["two-browsers", "two-tabs"])
def test_tunnelling_pages_keep_their_own_settings(two_pages, same_context):
    a, b = two_pages(Tunnelling, "?shape=double&height=2&width=0.6", "", same_context)
    assert a.state()["sliders"][:2] == ["Barrier height V₀: 2", "Barrier width: 0.60"]
    assert a.shape_label().startswith("Double barrier") and b.shape_label() == "Rectangular barrier"
    assert a.predicted() != b.predicted()
    b_before = b.state()

    # A moves its width with the keyboard: A's server answers (URL, new run, new prediction)
    a_before = a.state()
    width = a.press("Barrier width", "ArrowRight", 4)
    assert width == pytest.approx(0.8)
    a.wait_player(f"+d.dataset.run > {a_before['run']}")
    a.wait_until(lambda: a.predicted() != a_before["predicted"], "A's prediction follows its width")

    # barrier: B changes its own energy (steps of 0.01) and sees its own answer
    energy = b.press("Packet energy", "ArrowLeft", 2)
    assert energy == pytest.approx(0.98)
    b.wait_player(f"+d.dataset.run > {b_before['run']}")
    b.wait_until(lambda: b.predicted() != b_before["predicted"], "B's prediction follows its energy")
    # ... and nothing of A's came with it
    b_after = b.state()
    assert b_after["sliders"] == ["Barrier height V₀: 1", "Barrier width: 1.50", "Packet energy k₀²/2: 0.98"]
    assert b_after["shape"] == "Rectangular barrier"
    assert b.query_number("width") in (None, 1.5) and b.query_number("height") in (None, 1.0)
    assert b.query().get("shape") in (None, ["rectangular"])

    # and the other way round: B's change did not reach A
    a_after = a.state()
    assert a_after["sliders"] == ["Barrier height V₀: 2", "Barrier width: 0.80", "Packet energy k₀²/2: 1"]
    assert a_after["shape"].startswith("Double barrier") and a_after["run"] == a.attr("run")
    assert a.query_number("energy") in (None, 1.0) and a.query_number("width") == pytest.approx(0.8)
    assert a.query().get("shape") == ["double"]
    for page in (a, b):
        page.watch.assert_no_errors()


@browser
def test_quantization_pages_keep_their_own_settings(two_pages):
    qa, qb = "?bits=3&format=power&a=0.65&gran=tensor", "?bits=8"
    a, b = two_pages(Quant, qa, qb, same_context=False)
    a.wait_accuracy(quant_model(qa), "A's link")
    b.wait_accuracy(quant_model(qb), "B's link")
    a_before = a.state()
    assert a_before["bits"] == 3 and a_before["format"].startswith("Power")

    # B: two bits fewer with the keyboard
    b.press_on_slider(BITS, "ArrowLeft", 2)
    b.wait_until(lambda: b.query_number("bits") == 6, "B's URL has bits=6")
    b.wait_accuracy(quant_model("?bits=6"), "B at 6 bits")

    # barrier: A switches to integers and gets its own answer
    a.page.locator("select").filter(has=a.page.locator("option", has_text="Integer (uniform)")).select_option(
        label="Integer (uniform)")
    a.wait_until(lambda: a.query().get("format") == ["int"], "A's URL has format=int")
    a.wait_accuracy(quant_model("?bits=3&format=int&gran=tensor"), "A with integers")
    a_after = a.state()
    assert a_after["bits"] == 3 and a.query_number("bits") == 3, "B's bit width reached A"
    assert a_after["cards"]["quantized"] == accuracy_text(quant_model("?bits=3&format=int&gran=tensor"))

    b_after = b.state()
    assert b_after["bits"] == 6 and b_after["format"] == "Integer (uniform)"
    assert b_after["cards"]["quantized"] == accuracy_text(quant_model("?bits=6"))
    assert "format=power" not in b_after["url"] and "gran=tensor" not in b_after["url"]
    for page in (a, b):
        page.watch.assert_no_errors()


@browser
def test_spin_battery_pages_keep_their_own_settings(two_pages):
    qa = "?preset=xxx_afm&K=1.9&map=K_T"
    a, b = two_pages(Battery, qa, "", same_context=True)
    a.wait_cards(SpinBatteryModel.from_query({"preset": "xxx_afm", "K": "1.9", "map": "K_T"}), "A's link")
    b.wait_cards(SpinBatteryModel.from_query({}), "the default")
    assert a.cards() != b.cards()
    b_before = b.state()

    # A picks another preset
    a.preset_select.select_option(label="XYZ antiferromagnet (1, 0.6, 0.3)")
    a.wait_until(lambda: a.query().get("preset") == ["xyz_afm"], "A's URL has preset=xyz_afm")
    a.wait_cards(SpinBatteryModel.from_query({"preset": "xyz_afm", "K": "1.9", "map": "K_T"}), "A's XYZ preset")

    # barrier: B raises its temperature and gets its own answer
    b.press_on_slider("Temperature T", "End", 1)
    b.wait_until(lambda: b.query_number("T") == 5, "B's URL has T=5")
    b.wait_cards(SpinBatteryModel.from_query({"T": "5"}), "B at T = 5")
    b_after = b.state()
    assert b_after["preset"] == b_before["preset"] and b_after["sliders"][:2] == b_before["sliders"][:2]
    assert "xyz_afm" not in b_after["url"] and "K=1.9" not in b_after["url"]

    a_after = a.state()
    assert a_after["sliders"][1:] == [1.9, SpinBatteryModel.param.T.default], "B's temperature reached A"
    assert a_after["cards"] == battery_cards("?preset=xyz_afm&K=1.9&map=K_T")
    for page in (a, b):
        page.watch.assert_no_errors()


# ---- without a browser ------------------------------------------------------------------------

def _views():
    from lessons.bound_states.model import BoundStatesModel
    from lessons.bound_states.view import BoundStatesView
    from lessons.quantization.view import QuantizationView
    from lessons.spin_battery.view import SpinBatteryView
    from lessons.tunneling.view import TunnelingView
    return {
        "tunneling": (TunnelingModel, TunnelingView, {"shape": "double", "height": "2"}),
        "bound_states": (BoundStatesModel, BoundStatesView, {"shape": "harmonic", "a2": "1"}),
        "spin_battery": (SpinBatteryModel, SpinBatteryView, {"preset": "xxz_afm", "T": "1"}),
        "quantization": (QuantizationModel, QuantizationView, {"bits": "3", "format": "power"}),
    }


def _snapshot(value):
    """A comparable copy of a parameter's value (plain data copied, other objects by identity)."""
    if isinstance(value, np.ndarray):
        return ("array", value.copy())
    if isinstance(value, (str, bytes, int, float, bool, type(None), tuple, list, dict, set)):
        try:
            return ("data", copy.deepcopy(value))
        except Exception:
            return ("object", id(value))
    return ("object", id(value))


def _same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "array":
        return a[1].shape == b[1].shape and bool(np.array_equal(a[1], b[1], equal_nan=True))
    try:
        return bool(a[1] == b[1])
    except Exception:  # containers of arrays
        return repr(a[1]) == repr(b[1])


def _model_state(model: param.Parameterized) -> dict:
    return {name: _snapshot(value) for name, value in model.param.values().items() if name != "name"}


def _widgets(view) -> list:
    return [w for w in pn.Column(*view.sidebar()).select(pn.widgets.Widget)
            if not isinstance(w, pn.widgets.Button) and not w.disabled]


def _widget_state(view) -> list:
    return [(type(w).__name__, getattr(w, "label", None), _snapshot(w.value)) for w in _widgets(view)]


def _another_value(widget):
    """A different valid value for ``widget``, one step from its value (keeps the physics light)."""
    if isinstance(widget, pn.widgets.DiscreteSlider):
        values = list(widget.values)
        i = values.index(widget.value)
        return values[i + 1 if i + 1 < len(values) else i - 1]
    if isinstance(widget, (pn.widgets.IntSlider, pn.widgets.FloatSlider)):
        step = widget.step or 1
        return widget.value + step if widget.value + step <= widget.end else widget.value - step
    if isinstance(widget, (pn.widgets.Checkbox, pn.widgets.Toggle)):
        return not widget.value
    if isinstance(widget, pn.widgets.CheckButtonGroup):
        # one button toggled, as a click does (two at once: see test_fuzz_ui's Draw-buttons bug)
        values = list(widget.values)
        first = values[0]
        return [v for v in widget.value if v != first] if first in widget.value else [*widget.value, first]
    if isinstance(widget, (pn.widgets.Select, pn.widgets.RadioButtonGroup)):
        values = list(widget.values)
        return values[(values.index(widget.value) + 1) % len(values)]
    return None


@pytest.mark.slow
@pytest.mark.parametrize("lesson", ["tunneling", "bound_states", "spin_battery", "quantization"])
def test_two_views_share_no_state(lesson):
    model_cls, view_cls, query = _views()[lesson]
    defaults = {name: _snapshot(p.default) for name, p in model_cls.param.objects("existing").items()}
    one = view_cls(model_cls.from_query(query))
    other = view_cls(model_cls.from_query({}))
    try:
        # nothing mutable is shared between the two sessions' models
        for name in one.model.param:
            v1, v2 = getattr(one.model, name), getattr(other.model, name)
            if isinstance(v1, (list, dict, set)) or (isinstance(v1, np.ndarray) and v1.flags.writeable):
                assert v1 is not v2, f"{lesson}: the sessions share the object in {name}"

        other_model, other_widgets = _model_state(other.model), _widget_state(other)
        one_before = _model_state(one.model)
        changed = 0
        for widget in _widgets(one):
            if widget.disabled or not widget.visible:
                continue
            value = _another_value(widget)
            if value is not None and value != widget.value:
                widget.value = value
                changed += 1
        assert changed >= 5, f"{lesson}: only {changed} controls could be moved"
        assert _model_state(one.model) != one_before, f"{lesson}: moving the controls changed nothing"

        after = _model_state(other.model)
        moved = [k for k in other_model if not _same(other_model[k], after[k])]
        assert moved == [], f"{lesson}: the other session's {moved} changed"
        widgets_after = _widget_state(other)
        assert len(widgets_after) == len(other_widgets)
        moved = [w[:2] for w, v in zip(other_widgets, widgets_after) if not _same(w[2], v[2])]
        assert moved == [], f"{lesson}: the other session's widgets {moved} moved"
        changed_defaults = [name for name, p in model_cls.param.objects("existing").items()
                            if not _same(defaults[name], _snapshot(p.default))]
        assert changed_defaults == [], f"{lesson}: class defaults changed: {changed_defaults}"
    finally:
        one.stop()
        other.stop()


def _digest(net) -> str:
    return hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in (net.W1, net.b1, net.W2, net.b2))).hexdigest()


@pytest.mark.slow
def test_fine_tuning_in_one_session_leaves_the_shared_network_alone():
    from physics import digits
    net = digits.trained_network(0)
    before = _digest(net)
    other = QuantizationModel(bits=4)
    accuracy = other.accuracy_now()
    tuner = QuantizationModel(bits=2)
    result = tuner.fine_tune(steps=30)
    assert result["after"] != result["before"], "the fine-tune did nothing: the check would prove nothing"
    assert _digest(digits.trained_network(0)) == before
    assert digits.trained_network(0) is net
    assert not any(a.flags.writeable for a in (net.W1, net.b1, net.W2, net.b2))
    assert other.accuracy_now() == accuracy
