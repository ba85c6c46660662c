"""The Tunnelling lesson in a headless Chromium: player, sliders, URL state, sessions.

The canvas cannot be read as text: the player's ``data-*`` attributes (frame, run, frames
received), its DOM read-outs and the server's Markdown read-outs are the hooks, and the drawn
barrier is measured from the canvas pixels.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_lesson_loads_without_errors(lesson):
    lesson.watch.assert_no_errors()
    expect(lesson.player).to_be_visible()
    expect(lesson.canvas).to_be_visible()
    box = lesson.canvas.bounding_box()
    assert box and box["width"] >= 320 and box["height"] >= 200, box
    expect(lesson.clock).to_have_text(re.compile(r"^t = \d+\.\d$"))
    expect(lesson.play_button).to_contain_text(re.compile("Pause|Play"))
    expect(lesson.step_button).to_contain_text("Step")
    expect(lesson.restart_button).to_contain_text("Restart")

    # the server's prediction is a probability
    expect(lesson.predicted_text).to_be_visible()
    predicted = lesson.predicted()
    assert 0.0 < predicted < 1.0, predicted
    # the sidebar shows the default settings, and no correction notice
    assert lesson.slider_title("Barrier width") == "Barrier width: 1.50"
    assert lesson.slider_title("Barrier height V₀") == "Barrier height V₀: 1"
    assert lesson.shape_label() == "Rectangular barrier"
    expect(lesson.notice).to_be_hidden()

    # the browser read-outs hold one frame's T, R and probability left inside: they add up to 1
    lesson.wait_player("d.querySelector('b.ql-T').textContent !== '–'")
    values = {key: float(text) for key, text in lesson.readouts().items()}
    assert all(0.0 <= v <= 1.0 for v in values.values()), values
    assert abs(sum(values.values()) - 1.0) <= 0.002, values
    lesson.watch.assert_no_errors()


def test_play_pause_and_step(lesson):
    # autoplay: the frame index advances while playing
    lesson.wait_player("d.dataset.playing === '1' && +d.dataset.frame > 5")
    expect(lesson.play_button).to_contain_text("Pause")
    t_playing = lesson.clock_time()
    assert t_playing > 0

    lesson.play_button.click()
    # the click handler pauses at once (a short timeout: the run must not just have ended)
    expect(lesson.player).to_have_attribute("data-playing", "0", timeout=3_000)
    expect(lesson.play_button).to_contain_text("Play")
    paused_at = lesson.attr("frame")
    clock_paused = lesson.clock_time()
    lesson.page.wait_for_timeout(1500)
    assert lesson.attr("frame") == paused_at, "the animation moved while paused"
    assert lesson.clock_time() == clock_paused
    assert not lesson.playing()

    # Step: exactly one frame per click, the clock moves forward, it stays paused
    for n in (1, 2):
        lesson.step_button.click()
        expect(lesson.player).to_have_attribute("data-frame", str(paused_at + n))
        assert not lesson.playing()
        clock = lesson.clock_time()
        assert clock > clock_paused, (clock, clock_paused)
        clock_paused = clock
    lesson.page.wait_for_timeout(500)
    assert lesson.attr("frame") == paused_at + 2

    # Play again: it advances again
    lesson.play_button.click()
    expect(lesson.player).to_have_attribute("data-playing", "1")
    lesson.wait_player(f"+d.dataset.frame > {paused_at + 5}")
    assert lesson.clock_time() > clock_paused

    # Restart goes back to frame 0 (read in the same JS task as the click, before any
    # animation frame) and plays
    lesson.play_button.click()
    expect(lesson.player).to_have_attribute("data-playing", "0")
    assert lesson.attr("frame") > 5
    frame_after_restart = lesson.player.evaluate(
        "d => { d.querySelector('button.ql-restart').click(); return d.dataset.frame }")
    assert frame_after_restart == "0"
    expect(lesson.player).to_have_attribute("data-playing", "1")
    expect(lesson.play_button).to_contain_text("Pause")
    lesson.watch.assert_no_errors()


def test_width_slider_changes_barrier_and_prediction(lesson_factory):
    # device_scale_factor 2: twice the canvas pixels, so a change of barrier width is clear
    lesson = lesson_factory("", device_scale_factor=2)
    run_before = lesson.attr("run")
    t_before = lesson.predicted()
    sw_before = lesson.simulated_width()
    px_before = lesson.barrier_pixels()
    assert lesson.slider_value("Barrier width") == 1.5
    assert px_before > 0, "no barrier found on the canvas"

    # Panel sliders are noUiSlider: drag the handle to where 2.0 sits on the track (one release,
    # so one new run; the keyboard is used in test_sessions_are_isolated)
    lesson.drag_slider("Barrier width", 2.0, bounds=(0.1, 10.0))
    width = lesson.wait_until(lambda: (w := lesson.slider_value("Barrier width")) > 1.8 and w,
                              "the slider moved to about 2")
    assert width == pytest.approx(2.0, abs=0.1)

    # the server follows: new run, new URL, new read-outs
    lesson.wait_query("width", width)
    lesson.wait_player(f"+d.dataset.run > {run_before}")
    expect(lesson.width_text).to_contain_text(f"(you asked for {width:.3f})")
    lesson.wait_run_done()
    expect(lesson.width_text).to_contain_text(f"(you asked for {width:.3f})")

    run_after = lesson.attr("run")
    t_after = lesson.predicted()
    sw_after = lesson.simulated_width()
    assert run_after > run_before
    # edges snap to grid cells (dx = 200 / 2048): the simulated width is within a cell of the ask
    assert abs(sw_after - width) <= 200 / 2048 + 1e-3, (sw_after, width)
    assert sw_after > sw_before + 0.3, (sw_before, sw_after)
    # a wider barrier at E ~ V0 lets less through
    assert t_after < t_before - 0.02, (t_before, t_after)
    # the canvas draws the new, wider barrier (0.5 more width ~ 3 more canvas pixels)
    px_after = lesson.barrier_pixels()
    assert px_after >= px_before + 2, (px_before, px_after)
    lesson.watch.assert_no_errors()


def test_bad_link_is_clamped_with_notice(lesson_factory):
    lesson = lesson_factory("?width=abc&height=1e308")
    expect(lesson.notice).to_be_visible()
    expect(lesson.notice).to_contain_text("Some settings in the link were corrected")
    expect(lesson.notice).to_contain_text("'width=abc' is not a number")
    expect(lesson.notice).to_contain_text("'height=1e308' is above the largest allowed value")
    assert lesson.slider_title("Barrier width") == "Barrier width: 1.50"
    assert lesson.slider_title("Barrier height V₀") == "Barrier height V₀: 5"
    # the address bar is rewritten to the values in use
    expect(lesson.page).to_have_url(re.compile(r"[?&]width=1\.5(&|$)"))
    expect(lesson.page).to_have_url(re.compile(r"[?&]height=5(\.0)?(&|$)"))
    assert "abc" not in lesson.page.url and "1e308" not in lesson.page.url
    # and the physics uses them: V0 = 5 >> E = 1, almost nothing tunnels through 1.5
    assert 0.0 <= lesson.predicted() < 0.01
    assert lesson.simulated_width() == pytest.approx(1.5, abs=0.1)
    lesson.watch.assert_no_errors()


def test_more_bad_links_do_not_crash(lesson_factory):
    # every synced setting at once, each broken differently (%00 is a NUL character)
    query = ("?energy=nan&sigma=-inf&x0=1e999&shape=nonsense&height=-5&position=-1e999"
             "&speed=abc&separation=%00&width=" + "9" * 100)
    sliders = {"Packet energy k₀²/2": 1.0, "Packet width σ": 1.5, "Packet start x₀": -10.0,
               "Barrier height V₀": 0.0, "Barrier position": -20.0, "Playback speed": 1.0,
               "Barrier width": 1.5}
    clean = {"energy": 1.0, "sigma": 1.5, "x0": -10.0, "height": 0.0, "position": -20.0,
             "speed": 1.0, "separation": 3.0, "width": 1.5}
    lesson = lesson_factory(query)
    expect(lesson.player).to_be_visible()
    assert lesson.attr("frames") > 0
    expect(lesson.notice).to_be_visible()
    for name in ("energy", "sigma", "x0", "shape", "height", "position", "speed", "separation", "width"):
        expect(lesson.notice).to_contain_text(f"'{name}")
    expect(lesson.notice).to_contain_text("'width' was too long")
    for label, value in sliders.items():
        assert lesson.slider_value(label) == pytest.approx(value), label
    assert lesson.shape_label() == "Rectangular barrier"
    # the address bar ends up with the clean values
    for name, value in clean.items():
        lesson.wait_query(name, value)
    expect(lesson.page).to_have_url(re.compile(r"[?&]shape=rectangular(&|$)"))
    # V0 = 0: nothing to reflect from
    assert lesson.predicted() == pytest.approx(1.0, abs=1e-3)
    lesson.watch.assert_no_errors()


def test_markup_in_link_is_shown_as_text(lesson_factory):
    payload = "<script>alert()</script>"  # 24 characters: short enough to be quoted whole
    lesson = lesson_factory(f"?shape={payload}&width={payload}")
    expect(lesson.notice).to_be_visible()
    lesson.page.wait_for_timeout(500)
    assert lesson.watch.dialogs == [], "a script from the link ran"
    assert lesson.watch.page_errors == [], "markup from the link was run as a script"
    expect(lesson.notice).to_contain_text(f"'shape={payload}'", timeout=2_000)
    expect(lesson.notice).to_contain_text(f"'width={payload}'", timeout=2_000)
    lesson.watch.assert_no_errors()


def test_empty_values_are_cleaned_from_address_bar(lesson_factory):
    lesson = lesson_factory("?width=&height=")
    expect(lesson.notice).to_contain_text("'width=' is not a number")
    expect(lesson.notice).to_contain_text("'height=' is not a number")
    assert lesson.slider_title("Barrier width") == "Barrier width: 1.50"
    lesson.watch.assert_no_errors()
    expect(lesson.page).to_have_url(re.compile(r"[?&]width=1\.5(&|$)"), timeout=2_000)


def test_sessions_are_isolated(lesson_factory):
    a = lesson_factory("", wait=False)
    b = lesson_factory("?height=2", wait=False)
    a.wait_for_frames()
    b.wait_for_frames()
    t_a, t_b = a.predicted(), b.predicted()
    assert t_b < t_a, "a higher barrier must let less through"
    run_b, sw_b, url_b = b.attr("run"), b.simulated_width(), b.page.url

    # the keyboard: focus the noUiSlider handle, two steps of 0.05 to the right
    a.slider("Barrier width").locator(".noUi-handle").focus()
    for _ in range(2):
        a.page.keyboard.press("ArrowRight")
    a.wait_until(lambda: a.slider_value("Barrier width") == pytest.approx(1.6), "the slider reads 1.60")
    a.wait_query("width", 1.6)
    expect(a.width_text).to_contain_text("(you asked for 1.600)")
    a.wait_player("+d.dataset.run > 1")
    assert a.predicted() < t_a

    # nothing of that reached the other session
    b.page.wait_for_timeout(1000)
    assert b.attr("run") == run_b
    assert b.predicted() == t_b
    assert b.simulated_width() == sw_b
    assert b.slider_title("Barrier width") == "Barrier width: 1.50"
    assert b.slider_title("Barrier height V₀") == "Barrier height V₀: 2"
    assert b.page.url == url_b
    a.watch.assert_no_errors()
    b.watch.assert_no_errors()


def test_animation_end_reports_simulated_transmission(lesson_factory):
    # speed is display-only (not physics); at energy 2, T still changes a lot during the last
    # second of playback, so stale read-outs at the end would show
    lesson = lesson_factory("?speed=4&energy=2")
    assert lesson.slider_title("Playback speed") == "Playback speed: 4"
    predicted = lesson.predicted()
    lesson.wait_player("d.dataset.done === '1' && d.dataset.playing === '0' && "
                       "+d.dataset.frame === +d.dataset.frames - 1", timeout=60_000)
    expect(lesson.play_button).to_contain_text("Play")
    # the browser told the server the animation ended: the measured T appears
    simulation = lesson.page.locator("p").filter(has_text="Simulation:")
    expect(simulation).to_contain_text("T = ")
    match = re.search(r"T = (\d\.\d+), R = (\d\.\d+), still inside (\d\.\d+)", simulation.inner_text())
    assert match, simulation.inner_text()
    final = dict(zip(("T", "R", "inside"), map(float, match.groups())))
    # the simulated packet agrees with the exact prediction, and probability is conserved
    assert final["T"] == pytest.approx(predicted, abs=0.01)
    assert sum(final.values()) == pytest.approx(1.0, abs=1e-3)
    assert final["inside"] < 1e-3
    health = lesson.page.locator("p").filter(has_text="Numerical health")
    expect(health).to_contain_text("✓ within 1e-6")
    # the read-outs under the canvas show the last frame, i.e. the same measurement (they are
    # refreshed about once a second while playing; the last frame must force a refresh)
    shown = {key: float(text) for key, text in lesson.readouts().items()}
    assert shown == pytest.approx(final, abs=6e-4)
    lesson.watch.assert_no_errors()


def test_player_keys_when_focused(lesson):
    lesson.wait_player("d.dataset.playing === '1' && +d.dataset.frame > 3")
    lesson.player.focus()
    lesson.page.keyboard.press(" ")
    expect(lesson.player).to_have_attribute("data-playing", "0", timeout=3_000)
    paused_at = lesson.attr("frame")
    lesson.page.keyboard.press("ArrowRight")
    expect(lesson.player).to_have_attribute("data-frame", str(paused_at + 1))
    lesson.page.keyboard.press("ArrowLeft")
    lesson.page.keyboard.press("ArrowLeft")
    expect(lesson.player).to_have_attribute("data-frame", str(paused_at - 1))
    lesson.page.keyboard.press("r")
    expect(lesson.player).to_have_attribute("data-playing", "1")
    assert lesson.attr("frame") < paused_at
    lesson.watch.assert_no_errors()


def test_slider_values_in_link_have_no_float_noise(lesson_factory):
    lesson = lesson_factory("?width=1.7")
    handle = lesson.slider("Barrier width").locator(".noUi-handle")
    handle.focus()
    for _ in range(3):
        lesson.page.keyboard.press("ArrowRight")       # 1.7 + 3 x 0.05 in binary floating point
    lesson.wait_query("width", 1.85)
    raw = lesson.query()["width"][0]
    assert raw == "1.85", raw
    lesson.watch.assert_no_errors()
