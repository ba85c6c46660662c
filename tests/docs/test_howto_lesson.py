"""The smallest lesson of docs/howto/add_a_lesson.md is real: placed in lessons/, it is found, computes
the exact free packet, and is served and played in Chromium at a phone and a laptop size.

The example lives in docs/howto/spreading/ (the page includes its files); here it is installed as
``lessons.spreading`` the way the page says (a package under lessons/), in a temporary folder.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import lessons
from physics.wavepacket import free_density, free_width

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "howto" / "spreading"
PAGE = REPO / "docs" / "howto" / "add_a_lesson.md"

APP = """
import lessons
lessons.__path__.append({extra!r})          # as if the package were copied to lessons/
lessons.CATALOGUE = lessons.catalogue()
from lessons.common.page import serve_lesson
serve_lesson("spreading")
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The example package as ``lessons.spreading`` (a folder on the lessons package's path)."""
    extra = tmp_path_factory.mktemp("lessons_extra")
    shutil.copytree(EXAMPLE, extra / "spreading", ignore=shutil.ignore_patterns("__pycache__"))
    lessons.__path__.append(str(extra))
    try:
        yield extra
    finally:
        lessons.__path__.remove(str(extra))
        for name in [m for m in sys.modules if m == "lessons.spreading" or m.startswith("lessons.spreading.")]:
            del sys.modules[name]


def test_the_page_includes_every_file_of_the_example():
    text = PAGE.read_text(encoding="utf-8")
    for name in ("__init__.py", "model.py", "pieces.js", "player.py", "view.py", "lesson.md"):
        assert (EXAMPLE / name).is_file() and f"spreading/{name}" in text, name
    assert (EXAMPLE / "model.md").is_file()
    assert ":pyobject: free_density" in text


def test_the_example_is_found_and_computes_the_exact_free_packet(installed):
    found = {c.slug: c for c in lessons.catalogue()}
    assert "spreading" in found and found["spreading"].title == "A free packet spreads"
    from lessons.spreading.model import SpreadingModel

    m = SpreadingModel(sigma=0.5, k0=1.5)
    run = m.run()
    np.testing.assert_allclose(run["width"], free_width(m.t, 0.5))
    np.testing.assert_allclose(run["density"][40], free_density(m.x, m.t[40], 0.5, 1.5))
    dx = m.x[1] - m.x[0]
    mean = run["density"] @ m.x * dx
    inside = 1.5 * m.t + 6 * run["width"] < m.x[-1]          # before the packet reaches the edge
    assert inside.sum() > 50
    np.testing.assert_allclose(mean[inside], 1.5 * m.t[inside], atol=1e-6)


def test_the_example_reads_a_link_and_sends_its_run(installed):
    from lessons.common.page import lesson_app
    from lessons.spreading.model import SpreadingModel
    from lessons.spreading.view import SpreadingView

    page = lesson_app("Spreading", SpreadingModel, SpreadingView, args={"sigma": [b"0.5"], "k": [b"99"]})
    model, view = page.ql_model, page.ql_view
    assert model.sigma == 0.5 and model.k0 == 2.0 and any("k" in n for n in model.notices)   # clamped, said
    first = view.player.run_id
    setup, chunk = view.player._replay()
    assert setup["kind"] == "setup" and chunk["kind"] == "chunk" and chunk["end"] == model.t.size
    np.testing.assert_allclose(chunk["width"], free_width(model.t, 0.5), rtol=1e-6)
    model.sigma = 2.0                                      # a slider move: a new run goes out
    assert view.player.run_id == first + 1
    np.testing.assert_allclose(view.player._replay()[1]["width"], free_width(model.t, 2.0), rtol=1e-6)


@pytest.fixture(scope="module")
def served(installed, tmp_path_factory):
    """``panel serve`` of the example lesson alone."""
    folder = tmp_path_factory.mktemp("app")
    app = folder / "spreading.py"
    app.write_text(APP.format(extra=str(installed)), encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "panel", "serve", str(app), "--port", str(port),
                             "--static-dirs", "assets=assets"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}/spreading"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (folder / "server.log").read_text()
            try:
                with urllib.request.urlopen(url, timeout=60) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield url, folder / "server.log"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


@pytest.mark.browser
@pytest.mark.parametrize("screen", [dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True),
                                    dict(viewport={"width": 1366, "height": 768})], ids=["phone", "laptop"])
def test_the_example_is_served_and_plays(served, browser, screen):
    url, log = served
    context = browser.new_context(**screen)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{url}?sigma=0.5&k=1")
    player = page.locator("[data-ql-player]")
    player.wait_for(timeout=60_000)
    deadline = time.monotonic() + 30
    while float(player.get_attribute("data-time") or 0) < 1.0:
        assert time.monotonic() < deadline, "the animation does not play"
        time.sleep(0.2)
    player.locator(".ql-play").click()                   # pause, then read what is shown
    time.sleep(0.3)
    t = float(player.get_attribute("data-time"))
    shown = float(player.locator(".ql-width").inner_text())
    ts = np.linspace(0.0, 10.0, 201)
    # the page rounds t / dt to its frame as JavaScript does (halves up) from a clock that data-time
    # shows to 3 decimals: at a half frame either neighbour is right (Python's round() goes to even)
    x = t / 10.0 * 200
    widths = [float(free_width(ts[j], 0.5)) for j in sorted({int(np.floor(x)), int(np.ceil(x))})]
    assert any(shown == pytest.approx(w, abs=2e-3) for w in widths), (shown, t, widths)
    box = player.locator("canvas").bounding_box()
    assert box["width"] >= 0.85 * (390 if screen.get("is_mobile") else 1366 - 400)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert errors == [] and "Traceback" not in log.read_text(errors="replace")
    context.close()


def test_the_site_has_the_page_with_the_example_in_it(built_site):
    import html
    import re

    page = html.unescape(re.sub(r"<[^>]+>", "", (built_site / "howto" / "add_a_lesson.html").read_text(encoding="utf-8")))
    for code in ("class SpreadingModel", "SpreadingPlayer", "function frameAt", "serve_lesson", "def free_density"):
        assert code in page, code
    assert "howto/add_a_lesson.html" in (built_site / "index.html").read_text(encoding="utf-8")
