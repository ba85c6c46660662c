"""The Bound-states lesson in a headless Chromium: player, well switch, measurement, PINN, URL state.

The canvas cannot be read as text: the hooks are the player's ``data-*`` attributes (``setup``,
``state``, ``time``, ``playing``), its DOM read-outs (``.ql-clock``, ``.ql-mean-x``, ``.ql-mean-E``,
``.ql-norm``), the server's Markdown read-outs and alerts, and a hash of the canvas pixels.  Every
expected number comes from :class:`lessons.bound_states.model.BoundStatesModel`, computed here the
same way the server does.
"""
from __future__ import annotations

import functools
import hashlib
import math
import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from lessons.bound_states.model import BoundStatesModel
from physics.potentials import WELLS
from tests.ui.conftest import TIMEOUT_MS, PlayerPage, open_pages

pytestmark = pytest.mark.browser

NUMBER = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
#: The PINN builds its network (with a warm-up of several hundred steps) on the first Train: slow
#: on a loaded machine, and it blocks the server meanwhile.
PINN_TIMEOUT_MS = 120_000


# ---- expected numbers -----------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def model_for(query: tuple[tuple[str, str], ...] = (), shape: str | None = None) -> BoundStatesModel:
    """The model a session opened with ``query`` holds (``shape``: then picked in the Select)."""
    model = BoundStatesModel.from_query(dict(query), seed=0)
    if shape is not None:
        model.shape = shape      # as the Select does: the shape's preset applies
    return model


def js_precision4(value: float) -> str:
    """``value.toPrecision(4)`` of JavaScript (for values between 1e-3 and 1e4)."""
    digits = 3 - math.floor(math.log10(abs(value)))
    return f"{value:.{max(digits, 0)}f}"


def same_4_digits(shown: float, expected: float) -> bool:
    """``shown`` is ``expected`` printed with 4 significant digits (so equal to 3 at least)."""
    return math.isclose(shown, float(f"{expected:.4g}"), rel_tol=1e-9, abs_tol=1e-12)


# ---- the page ---------------------------------------------------------------------------------

class BoundStatesPage(PlayerPage):
    """The Bound-states lesson in one browser page: locators and read-outs used by the tests."""

    def __init__(self, page: Page):
        super().__init__(page, "div.ql-eigen")
        self.canvas = self.player.locator("canvas.ql-canvas")
        self.play_button = self.player.locator("button.ql-play")
        self.restart_button = self.player.locator("button.ql-restart")
        self.measure_E = self.player.locator("button.ql-measure-E")
        self.measure_x = self.player.locator("button.ql-measure-x")
        self.many_E = self.player.locator("button.ql-many-E")
        self.many_x = self.player.locator("button.ql-many-x")
        self.measure_buttons = [self.measure_E, self.measure_x, self.many_E, self.many_x]
        self.clock = self.player.locator(".ql-clock")
        self.mean_x = self.player.locator(".ql-mean-x")
        self.mean_E = self.player.locator(".ql-mean-E")
        self.norm = self.player.locator(".ql-norm")
        # server-side Markdown and alerts (in shadow roots: CSS locators pierce them)
        self.readout = page.locator("p").filter(has_text=re.compile(r"^(⟨E⟩ = |Levels hidden)"))
        self.notice = page.locator("div.alert-warning")
        self.collapse_note = page.locator("div.alert-info")
        self.collapse_text = page.locator("p").filter(has_text=re.compile(r"^(Energy|Position) measured:"))
        self.count_text = page.locator("p").filter(
            has_text=re.compile(r"^(\d+ energy and \d+ position outcomes|No measurements yet)"))
        self.shape_select = page.locator("select").filter(
            has=page.locator("option", has_text="Harmonic oscillator"))
        self.predict_toggle = page.get_by_role("button", name="Predict first: hide the levels")
        self.reveal_button = page.get_by_role("button", name="Reveal the levels")
        self.reveal_text = page.locator("p").filter(has_text=re.compile(r"^Your guess E₁ = "))
        self.pinn_status = page.locator("p").filter(
            has_text=re.compile(r"^(Step \d+|Press Train|Reset:|Settings changed|Training stopped)"))

    def open(self, query: str = "") -> "BoundStatesPage":
        self.page.goto("/bound_states" + query)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        """The player has its well and state, and the tabs under it have loaded."""
        expect(self.player).to_be_visible()
        self.wait_player("d.dataset.setup && d.dataset.state")
        expect(self.tab("Measurements")).to_be_visible()

    def tab(self, name: str) -> Locator:
        return self.page.locator(".bk-tab").filter(has_text=name)

    # -- player state --
    def number(self, locator: Locator) -> float:
        text = locator.inner_text().strip()
        assert re.fullmatch(NUMBER, text), f"read-out shows {text!r}"
        return float(text)

    def clock_time(self) -> float:
        text = self.clock.inner_text().strip()
        match = re.fullmatch(r"t = " + NUMBER, text)
        assert match, f"clock reads {text!r}"
        return float(match.group(1))

    def pause(self) -> None:
        if self.data("playing") == "1":
            self.play_button.click()
        expect(self.player).to_have_attribute("data-playing", "0")

    def canvas_hash(self) -> str:
        return hashlib.sha1(self.canvas.evaluate("c => c.toDataURL('image/png')").encode()).hexdigest()

    # -- server read-outs --
    def readout_energy(self) -> float:
        text = self.readout.inner_text()
        match = re.match(r"⟨E⟩ = " + NUMBER + ",", text)
        assert match, f"read-out {text!r}"
        return float(match.group(1))

    def counts(self) -> tuple[int, int]:
        text = self.count_text.inner_text()
        match = re.match(r"(\d+) energy and (\d+) position outcomes", text)
        assert match, f"count text {text!r}"
        return int(match.group(1)), int(match.group(2))

    def wait_counts(self, energy: int, position: int) -> None:
        expect(self.count_text).to_contain_text(f"{energy} energy and {position} position outcomes")

    def pinn(self) -> dict:
        text = self.pinn_status.inner_text()
        match = re.match(r"Step (\d+) · (variational warm-up|residual training)[^·]* · " + NUMBER
                         + r" s · network E = " + NUMBER + r" · ∫ψ² = " + NUMBER
                         + r" · exact E = " + NUMBER + r" · error " + NUMBER + "%", text)
        assert match, f"PINN status {text!r}"
        step, phase, seconds, energy, norm, exact, error = match.groups()
        return dict(step=int(step), phase=phase, seconds=float(seconds), energy=float(energy),
                    norm=float(norm), exact=float(exact), error=float(error), text=text)

    # -- widgets --
    def shape_label(self) -> str:
        return self.shape_select.evaluate("s => s.options[s.selectedIndex].text")



@pytest.fixture
def bound_factory(new_context):
    """``bound_factory(query="", **context_args)``: a new browser context with the lesson open."""
    yield from open_pages(new_context, BoundStatesPage)


@pytest.fixture
def bound(bound_factory) -> BoundStatesPage:
    return bound_factory("")


# ---- the tests ------------------------------------------------------------------------------

def test_loads_clean_and_animates_the_superposition(bound):
    model = model_for()
    E = model.energies
    expected_E = (E[0] + E[1]) / 2
    assert model.mean_energy() == pytest.approx(expected_E, rel=1e-12)   # |c1| = |c2| = 1
    amplitude = max(abs(model.mean_x(t)) for t in [0.05 * k for k in range(120)])  # one beat ~ 5.1

    bound.watch.assert_no_errors()
    expect(bound.canvas).to_be_visible()
    box = bound.canvas.bounding_box()
    assert box and box["width"] >= 320 and abs(box["height"] - 480) <= 2, box
    assert bound.shape_label() == "Finite square well"
    assert bound.slider_value("Well width") == 3
    assert bound.slider_value("Depth (height of the walls)") == 10
    expect(bound.notice).to_be_hidden()
    expect(bound.collapse_note).to_be_hidden()
    assert re.fullmatch(r"\d+", bound.data("setup")) and re.fullmatch(r"\d+", bound.data("state"))

    # <E> under the player and in the server's read-out: (E1 + E2) / 2 of the model
    assert same_4_digits(bound.number(bound.mean_E), expected_E), (bound.mean_E.inner_text(), expected_E)
    expect(bound.readout).to_contain_text(f"⟨E⟩ = {expected_E:.4g}, spread ΔE = {model.energy_spread():.3g}")
    expect(bound.readout).to_contain_text(f"slowest beat period 2π/ΔE = {model.bohr_period():.3g}")

    # it plays by itself and the clock runs
    expect(bound.player).to_have_attribute("data-playing", "1")
    expect(bound.play_button).to_contain_text("Pause")
    t0 = float(bound.data("time"))
    bound.wait_player(f"+d.dataset.time > {t0 + 0.5}")
    assert bound.clock_time() > t0

    # <x> sloshes between the walls of the well (E1 and E2 beat); the norm stays 1
    seen: list[float] = []

    def sloshed():
        seen.append(bound.number(bound.mean_x))
        assert abs(bound.number(bound.norm) - 1.0) <= 1e-3, bound.norm.inner_text()
        return max(seen) - min(seen) > 0.5 * amplitude

    bound.wait_until(sloshed, "⟨x⟩ changes over time")
    assert all(abs(v) <= amplitude + 0.01 for v in seen), (seen, amplitude)

    # Restart: t = 0 at once, and <x>(0) is the model's (read in the same JS task as the click)
    after = bound.player.evaluate(
        "d => { d.querySelector('button.ql-restart').click();"
        " return [d.querySelector('.ql-clock').textContent, d.querySelector('.ql-mean-x').textContent,"
        " d.querySelector('.ql-norm').textContent] }")
    assert after[0] == "t = 0.00", after
    assert float(after[1]) == pytest.approx(model.mean_x(0.0), abs=3e-3), (after, model.mean_x(0.0))
    assert float(after[2]) == pytest.approx(1.0, abs=1e-3), after
    expect(bound.player).to_have_attribute("data-playing", "1")
    bound.watch.assert_no_errors()


def test_pause_freezes_the_clock_and_keys_work(bound):
    bound.wait_player("+d.dataset.time > 0.2")
    bound.player.focus()
    bound.page.keyboard.press(" ")
    expect(bound.player).to_have_attribute("data-playing", "0", timeout=3_000)
    expect(bound.play_button).to_contain_text("Play")
    t_paused, clock = bound.data("time"), bound.clock_time()
    bound.page.wait_for_timeout(1200)
    assert bound.data("time") == t_paused and bound.clock_time() == clock, "the clock ran while paused"

    bound.page.keyboard.press("r")                       # restart: t = 0, still paused
    expect(bound.clock).to_have_text("t = 0.00")
    assert bound.data("playing") == "0"
    state = bound.data("state")
    bound.page.keyboard.press("e")                       # measure the energy
    expect(bound.collapse_text).to_contain_text("Energy measured: E")
    assert bound.data("state") != state
    bound.page.keyboard.press(" ")
    expect(bound.player).to_have_attribute("data-playing", "1")
    bound.wait_player("+d.dataset.time > 0.3")
    bound.watch.assert_no_errors()


def test_pause_keeps_the_readouts(bound):
    bound.wait_player("+d.dataset.time > 0.2")
    bound.wait_until(lambda: bound.mean_x.inner_text() != "–", "⟨x⟩ is shown")
    bound.pause()
    # paused at a definite t: <x> and the norm of that frame stay on screen
    assert re.fullmatch(NUMBER, bound.mean_x.inner_text()), bound.mean_x.inner_text()
    assert re.fullmatch(NUMBER, bound.norm.inner_text()), bound.norm.inner_text()


def test_switching_the_well_redraws_and_updates_everything(bound):
    harmonic = model_for(shape="harmonic")
    assert harmonic.omega == 1.0
    assert harmonic.energies[:2] == pytest.approx([0.5, 1.5], abs=1e-6)
    expected_E = harmonic.mean_energy()

    bound.pause()                                         # a still canvas: only a redraw changes it
    setup, state = bound.data("setup"), bound.data("state")
    before = bound.canvas_hash()
    bound.page.wait_for_timeout(400)
    assert bound.canvas_hash() == before, "the paused canvas changes by itself"
    expect(bound.slider("Well width")).to_be_visible()
    expect(bound.slider("Frequency ω")).to_be_hidden()

    bound.shape_select.select_option(label=WELLS["harmonic"].label)
    bound.wait_player(f"d.dataset.setup !== '{setup}'")
    bound.wait_player(f"d.dataset.state !== '{state}'")
    expect(bound.page).to_have_url(re.compile(r"[?&]shape=harmonic(&|$)"))
    assert bound.shape_label() == "Harmonic oscillator"

    # the well's own sliders only
    expect(bound.slider("Frequency ω")).to_be_visible()
    assert bound.slider_value("Frequency ω") == 1.0
    expect(bound.slider("Well width")).to_be_hidden()
    expect(bound.slider("Depth (height of the walls)")).to_be_hidden()

    # <E> = (0.5 + 1.5) / 2 = 1, in the player and in the server's read-out
    expect(bound.mean_E).to_have_text("1.000")
    assert same_4_digits(bound.number(bound.mean_E), expected_E)
    bound.wait_until(lambda: bound.readout_energy() == pytest.approx(1.0, abs=1e-9),
                     "the server's read-out says ⟨E⟩ = 1")
    expect(bound.readout).to_contain_text(f"slowest beat period 2π/ΔE = {harmonic.bohr_period():.3g}")
    # the new state starts at t = 0 and stays paused, on a redrawn canvas
    expect(bound.clock).to_have_text("t = 0.00")
    assert bound.data("playing") == "0"
    assert bound.canvas_hash() != before, "the canvas was not redrawn for the new well"
    bound.watch.assert_no_errors()


def test_measurements(bound):
    model = model_for()
    E = model.energies
    mean_before = bound.number(bound.mean_E)
    readout_before = bound.readout_energy()
    expect(bound.count_text).to_have_text(re.compile("^No measurements yet"))

    # 100 copies: 100 outcomes, no collapse (same state, same <E>)
    state = bound.data("state")
    bound.many_E.click()
    bound.wait_counts(100, 0)
    assert bound.data("state") == state
    assert bound.number(bound.mean_E) == mean_before
    assert bound.readout_energy() == readout_before
    expect(bound.collapse_note).to_be_hidden()

    # one measurement: a level that is occupied, and the state collapses onto it
    bound.measure_E.click()
    expect(bound.collapse_text).to_be_visible()
    text = bound.collapse_text.inner_text()
    match = re.match(r"Energy measured: E(\d+) = " + NUMBER + r"\. The state is now that eigenstate\.", text)
    assert match, text
    n, value = int(match.group(1)), float(match.group(2))
    assert n in (1, 2), text                               # only E1 and E2 are occupied
    assert same_4_digits(value, E[n - 1]), (value, E[n - 1])
    bound.wait_player(f"d.dataset.state !== '{state}'")
    expect(bound.mean_E).to_have_text(js_precision4(E[n - 1]))
    assert same_4_digits(bound.number(bound.mean_E), E[n - 1])
    bound.wait_until(lambda: same_4_digits(bound.readout_energy(), E[n - 1]),
                     f"the server's read-out shows ⟨E⟩ = E{n}")
    expect(bound.readout).to_contain_text(re.compile(r"spread ΔE = 0( ·|$)"))
    expect(bound.player.locator(".ql-status")).to_have_text("after a measurement")
    # a collapse starts a new state: its histogram starts again from this one outcome
    bound.wait_counts(1, 0)

    # an eigenstate: 100 copies all give the same level, still no collapse
    state = bound.data("state")
    bound.many_E.click()
    bound.wait_counts(101, 0)
    assert bound.data("state") == state
    assert same_4_digits(bound.number(bound.mean_E), E[n - 1])

    # position: inside the box, and a new state again
    bound.measure_x.click()
    expect(bound.collapse_text).to_contain_text("Position measured: x = ")
    match = re.match(r"Position measured: x = " + NUMBER, bound.collapse_text.inner_text())
    assert match, bound.collapse_text.inner_text()
    assert -6.0 <= float(match.group(1)) <= 6.0, match.group(1)
    bound.wait_player(f"d.dataset.state !== '{state}'")
    bound.wait_counts(0, 1)
    bound.many_x.click()
    bound.wait_counts(0, 101)
    # the collapsed packet is normalised
    assert abs(bound.number(bound.norm) - 1.0) <= 1e-3, bound.norm.inner_text()
    bound.watch.assert_no_errors()


def test_pinn_trains_pauses_and_resets(bound):
    exact = float(model_for().energies[0])
    bound.tab("Neural network (PINN)").click()
    expect(bound.pinn_status).to_have_text("Press Train to start.")
    bound.page.get_by_role("button", name="▶ Train").click()

    first = bound.wait_until(lambda: (s := bound.pinn()) and s["step"] > 0 and s,
                             "the PINN reports a step", timeout=PINN_TIMEOUT_MS)
    assert first["exact"] == float(f"{exact:.5g}"), (first, exact)
    assert math.isfinite(first["energy"]) and first["energy"] > 0, first
    assert first["error"] == pytest.approx(abs(first["energy"] - exact) / exact * 100, abs=0.02), first
    second = bound.wait_until(
        lambda: (s := bound.pinn()) and s["step"] > first["step"] and s["energy"] != first["energy"] and s,
        "the PINN trains on (more steps, a new E)", timeout=PINN_TIMEOUT_MS)
    assert second["seconds"] >= first["seconds"], (first, second)

    bound.page.get_by_role("button", name="‖ Pause").click()
    clicked = time.monotonic()

    def stopped():
        # a slice already running when Pause arrives may still finish: the count must then stop
        status = bound.pinn()
        bound.page.wait_for_timeout(2500)
        return bound.pinn() == status and status

    paused = bound.wait_until(stopped, "the step count stops after Pause", timeout=30_000)
    assert time.monotonic() - clicked < 20, "training went on long after Pause"
    bound.page.wait_for_timeout(1500)
    assert bound.pinn() == paused, "training went on after Pause"

    bound.page.get_by_role("button", name="⟲ Reset").click()
    expect(bound.pinn_status).to_have_text("Reset: press Train to start again.")
    bound.page.wait_for_timeout(500)
    expect(bound.pinn_status).to_have_text("Reset: press Train to start again.")
    bound.watch.assert_no_errors()


def test_predict_then_reveal(bound):
    bound.predict_toggle.click()
    expect(bound.readout).to_have_text("Levels hidden until you reveal them.")
    for button in bound.measure_buttons:
        expect(button).to_be_disabled()
    expect(bound.mean_E).to_have_text("–")
    expect(bound.page).to_have_url(re.compile(r"[?&]predict=true(&|$)"))
    expect(bound.reveal_button).to_be_visible()
    expect(bound.slider("Your guess for E₁")).to_be_visible()
    assert bound.slider_value("Your guess for E₁") == 1.0

    # the keyboard cannot measure a hidden state either
    state = bound.data("state")
    bound.player.focus()
    bound.page.keyboard.press("e")
    bound.page.wait_for_timeout(1000)
    assert bound.data("state") == state
    expect(bound.collapse_note).to_be_hidden()

    # the student guesses 1.1 (two keyboard steps of 0.05 on the slider)
    bound.slider("Your guess for E₁").locator(".noUi-handle").focus()
    for _ in range(2):
        bound.page.keyboard.press("ArrowRight")
    bound.wait_until(lambda: bound.slider_value("Your guess for E₁") == pytest.approx(1.1),
                     "the guess slider reads 1.1")
    bound.wait_until(lambda: bound.query_number("guess") == pytest.approx(1.1), "the URL has guess=1.1")

    bound.reveal_button.click()
    expect(bound.reveal_text).to_be_visible()
    expected = BoundStatesModel(guess=1.1).reveal()
    assert expected.startswith("Your guess E₁ = 1.1; exact E₁ = 0.4145")
    expect(bound.reveal_text).to_have_text(expected)
    for button in bound.measure_buttons:
        expect(button).to_be_enabled()
    expect(bound.reveal_button).to_be_hidden()
    model = model_for()
    bound.wait_until(lambda: same_4_digits(bound.readout_energy(), model.mean_energy()),
                     "the server's read-out shows ⟨E⟩ again")
    bound.wait_until(lambda: same_4_digits(bound.number(bound.mean_E), model.mean_energy()),
                     "the player shows ⟨E⟩ again")
    bound.watch.assert_no_errors()


def test_bad_link_is_corrected_with_notice(bound_factory):
    query = (("shape", "infinite"), ("width", "abc"), ("a0", "7"))
    model = model_for(query)
    assert model.width == 3.0 and model.a0 == 1.0
    bound = bound_factory("?shape=infinite&width=abc&a0=7")
    expect(bound.notice).to_be_visible()
    expect(bound.notice).to_contain_text("Some settings in the link were corrected")
    expect(bound.notice).to_contain_text("'width=abc' is not a number: using 3.")
    expect(bound.notice).to_contain_text("'a0=7' is above the largest allowed value: clamped to 1.")
    assert bound.shape_label() == "Infinite square well"
    assert bound.slider_value("Well width") == model.width
    assert bound.slider_value("|c1|") == 1.0
    expect(bound.slider("Depth (height of the walls)")).to_be_hidden()
    # the address bar is rewritten to the values in use
    bound.wait_until(lambda: bound.query_number("width") == 3.0 and bound.query_number("a0") == 1.0,
                     "the URL has width=3 and a0=1")
    assert "abc" not in bound.page.url and bound.query()["shape"] == ["infinite"]
    # and the physics uses them: the infinite well of width 3, |c1| = |c2|
    assert same_4_digits(bound.number(bound.mean_E), model.mean_energy())
    levels = [(n * math.pi / 3.0) ** 2 / 2 for n in (1, 2)]
    assert model.mean_energy() == pytest.approx(sum(levels) / 2, rel=1e-3)
    bound.wait_until(lambda: same_4_digits(bound.readout_energy(), model.mean_energy()),
                     "the server's read-out shows ⟨E⟩ of the corrected link")
    bound.watch.assert_no_errors()


def test_markup_in_link_is_shown_as_text(bound_factory):
    bound = bound_factory(None)
    bound.page.goto("/bound_states?shape=<img src=x onerror=alert(1)>&width=<b>x</b>")
    bound.wait_ready()
    expect(bound.notice).to_be_visible()
    # the Selector notice quotes the first 21 characters of a long value and "...", as text
    expect(bound.notice).to_contain_text("'shape=<img src=x onerror=al...' is not one of infinite, finite")
    expect(bound.notice).to_contain_text("'width=<b>x</b>' is not a number: using 3.")
    bound.page.wait_for_timeout(500)
    assert bound.watch.dialogs == [], "a script from the link ran"
    assert bound.watch.page_errors == []
    expect(bound.notice.locator("img")).to_have_count(0)
    expect(bound.notice.locator("b")).to_have_count(0)
    assert not any(urlsplit(url).path.endswith("/x") for url in bound.watch.requests), bound.watch.requests
    assert bound.shape_label() == "Finite square well"
    bound.wait_until(lambda: bound.query().get("shape") == ["finite"] and bound.query_number("width") == 3.0,
                     "the URL is cleaned")
    bound.watch.assert_no_errors()


def test_gallery_card_opens_the_lesson(bound_factory):
    bound = bound_factory(None)
    page = bound.page
    page.goto("/")
    card = page.locator("a.ql-card").filter(has_text="Bound states and a learning network")
    expect(card).to_have_count(1)
    expect(card).to_be_visible()
    assert card.get_attribute("href") == "./bound_states"
    image = card.locator("img")
    assert image.get_attribute("src") == "./assets/bound_states.svg"
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    response = page.request.get("/assets/bound_states.svg")
    assert response.status == 200, response.status
    assert "svg" in response.headers.get("content-type", ""), response.headers
    assert bound.watch.bad_responses == [], bound.watch.bad_responses

    # (leaving the gallery while its session still writes to the websocket leaves a
    # WebSocketClosedError traceback in the server log: let it go quiet first)
    bound.settle()
    card.click()
    expect(page).to_have_url(re.compile(r"/bound_states(\?.*)?$"))
    bound.wait_ready()
    assert same_4_digits(bound.number(bound.mean_E), model_for().mean_energy())
    bound.watch.assert_no_errors()
