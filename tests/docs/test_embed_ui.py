"""The lessons embedded in the docs site, offline, in headless Chromium (docs/_static/ql-embed.js).

The site is served by a plain static file server on 127.0.0.1 and every request to another host is
aborted, as on a machine with no network: each lesson page must show its baked default run at once
(the canvas draws, play/pause works), say in one calm line that the live controls need the Python
runtime, and raise no error.  The site is the ``built_site`` fixture (tests/docs/conftest.py, the
real Sphinx build) when it is defined; otherwise a small page per lesson made here from
``docs/bake.py`` and ``ql-embed.js``.
"""
from __future__ import annotations

import contextlib
import functools
import html
import http.server
import json
import importlib.util
import os
import pathlib
import re
import shutil
import threading
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REPO = pathlib.Path(__file__).resolve().parents[2]
LESSONS = ("tunneling", "bound_states", "anderson", "solitons", "spin_battery", "vqe", "quantization")
CALM = "Live controls need the Python runtime, which could not be loaded; this is the pre-computed default run."
FIRST_FRAME_BUDGET_MS = 5000

_spec = importlib.util.spec_from_file_location("ql_docs_bake_ui", REPO / "docs" / "bake.py")
bake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bake)


# ---- the site -------------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{lesson}</title></head>
<body><main style="max-width: 980px; margin: 0 auto; font-family: sans-serif">
<h1>{lesson}</h1>
<div class="ql-embed" data-lesson="{lesson}" data-baked="../_static/baked/{lesson}.qlb"
     data-player="../_static/baked/{lesson}.js" data-live="../_static/live/{lesson}.html"
     data-pyodide="https://cdn.jsdelivr.net/pyodide/v0.29.3/full/"></div>
<script type="module" src="../_static/ql-embed.js"></script>
<p>Text after the lesson.</p>
</main></body></html>
"""


def _small_site(root: pathlib.Path) -> pathlib.Path:
    """A page per lesson with only the embed, the baked runs and ql-embed.js (no Sphinx)."""
    bake.bake_all(root / "_static" / "baked")
    shutil.copy2(REPO / "docs" / "_static" / "ql-embed.js", root / "_static" / "ql-embed.js")
    (root / "lessons").mkdir()
    for lesson in LESSONS:
        (root / "lessons" / f"{lesson}.html").write_text(_PAGE.format(lesson=lesson), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def site_root(request, tmp_path_factory) -> pathlib.Path:
    """The built docs site (``built_site``) if the docs' conftest defines it, else a small one."""
    try:
        return pathlib.Path(request.getfixturevalue("built_site"))
    except pytest.FixtureLookupError:
        return _small_site(tmp_path_factory.mktemp("embed-site"))


def lesson_pages(root: pathlib.Path, lang: str | None = None) -> dict[str, pathlib.Path]:
    """lesson -> the first HTML page under ``root`` that embeds it: of the English site (the root; the
    other languages' sites are in ``<lang>/`` folders) or, with ``lang``, of that language's site."""
    from lessons.common.i18n import LANGUAGES

    pages = {}
    base = root if lang is None else root / lang
    for path in sorted(base.rglob("*.html")):
        parts = path.relative_to(base).parts
        if "_static" in parts:
            continue                                   # the live pages themselves
        if lang is None and parts[0] in LANGUAGES:
            continue                                   # another language's site
        text = path.read_text(encoding="utf-8", errors="replace")
        for div in re.findall(r"<div[^>]*class=\"ql-embed\"[^>]*>", text):
            m = re.search(r'data-lesson="(\w+)"', div)
            if m:
                pages.setdefault(m.group(1), path)
    return pages


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _SlowQlb(_Quiet):
    """Sends the first quarter of each .qlb file, then the rest :data:`SLOW_S` seconds later (a slow link)."""

    def do_GET(self):
        path = pathlib.Path(self.translate_path(self.path))
        if not path.name.endswith(".qlb") or not path.is_file():
            return super().do_GET()
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        cut = len(data) // 4
        self.wfile.write(data[:cut])
        self.wfile.flush()
        time.sleep(SLOW_S)
        self.wfile.write(data[cut:])


SLOW_S = 4.0


@contextlib.contextmanager
def serve(root: pathlib.Path, handler_cls=_Quiet):
    """A plain static file server of ``root`` on 127.0.0.1 (a thread); yields its base URL."""
    handler = functools.partial(handler_cls, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site(site_root):
    """(base URL, root, lesson -> page URL) of the site served on 127.0.0.1."""
    with serve(site_root) as base:
        pages = {lesson: f"{base}/{path.relative_to(site_root).as_posix()}"
                 for lesson, path in lesson_pages(site_root).items()}
        yield base, site_root, pages


def isolate(page, base: str, fake_cdn: bool = False) -> None:
    """Abort every request of ``page`` to a host other than ``base``'s (no network); with ``fake_cdn``
    a request for pyodide.js is answered instead (the runtime looks reachable).  Records the refused
    URLs in ``page.refused`` and uncaught errors in ``page.errors``."""
    host = urlsplit(base).netloc
    page.refused, page.errors = [], []

    def route(r):
        url = r.request.url
        if urlsplit(url).netloc == host:
            r.continue_()
        elif fake_cdn and url.endswith("/pyodide.js"):
            r.fulfill(status=200, body="// not Pyodide", content_type="text/javascript",
                      headers={"access-control-allow-origin": "*"})
        else:
            page.refused.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))


@pytest.fixture
def offline_page(page, site):
    """A page on which every request to a host other than the site's is aborted (no network)."""
    isolate(page, site[0])
    return page


# ---- the tests ------------------------------------------------------------------------------

CANVAS_STATS = """(canvas) => {
  const ctx = canvas.getContext("2d")
  const {width, height} = canvas
  const data = ctx.getImageData(0, 0, width, height).data
  const bg = [data[0], data[1], data[2]]
  let ink = 0
  const colours = new Set()
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1]) + Math.abs(data[i + 2] - bg[2]) > 30) ink++
    if (i % 64 === 0) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2])
  }
  return {width, height, ink: ink / (width * height), colours: colours.size}
}"""


@pytest.mark.parametrize("lesson", LESSONS)
def test_embedded_lesson_plays_its_baked_run_offline(offline_page, site, lesson):
    page = offline_page
    base, root, pages = site
    assert lesson in pages, f"no page embeds {lesson}: {sorted(pages)}"
    page.set_viewport_size({"width": 1200, "height": 1000})
    t0 = time.perf_counter()
    page.goto(pages[lesson])
    embed = page.locator(f'.ql-embed[data-lesson="{lesson}"]').first
    expect(embed).to_have_attribute("data-first-frame-ms", re.compile(r"^\d+$"), timeout=15_000)
    wall_ms = (time.perf_counter() - t0) * 1000
    first_ms = int(embed.get_attribute("data-first-frame-ms"))      # since navigation start
    print(f"\n{lesson}: first baked frame {first_ms} ms after navigation start "
          f"(baked file + module + decode: {embed.get_attribute('data-baked-ms')} ms; {wall_ms:.0f} ms wall)")
    assert first_ms < FIRST_FRAME_BUDGET_MS

    # the player (inside the embed's shadow root, which locators pierce) has its data and draws it
    root_el = embed.locator("[data-ql-player]")
    expect(root_el).to_have_count(1)
    assert any(root_el.get_attribute(a) for a in ("data-frames", "data-run", "data-state")), \
        "the player got no baked data"
    stats = embed.locator("canvas").first.evaluate(CANVAS_STATS)
    print(f"{lesson}: canvas {stats['width']}x{stats['height']}, {stats['ink']:.1%} inked, "
          f"{stats['colours']} colours sampled")
    assert stats["width"] > 300 and stats["height"] > 150
    assert stats["ink"] > 0.01 and stats["colours"] >= 4

    # play / pause: data-playing flips and the clock advances only while playing
    play = root_el.locator(".ql-play")
    clock = root_el.locator(".ql-clock")
    if root_el.get_attribute("data-playing") != "1":
        play.click()
    expect(root_el).to_have_attribute("data-playing", "1")
    before = clock.text_content()
    expect(clock).not_to_have_text(before, timeout=5_000)
    play.click()
    expect(root_el).to_have_attribute("data-playing", "0")
    paused = clock.text_content()
    page.wait_for_timeout(700)
    assert clock.text_content() == paused
    play.click()
    expect(root_el).to_have_attribute("data-playing", "1")
    expect(clock).not_to_have_text(paused, timeout=5_000)

    # the runtime is out of reach: one calm line, the baked run stays, no live iframe
    status = embed.locator(".ql-embed-status")
    expect(status).to_have_attribute("data-state", "calm", timeout=20_000)
    expect(status.locator(".ql-embed-text")).to_have_text(CALM)
    assert embed.get_attribute("data-live-state") == "unreachable"
    expect(embed.locator("iframe")).to_have_count(0)
    assert any("pyodide.js" in url for url in page.refused), page.refused
    expect(root_el).to_be_visible()
    page.wait_for_timeout(300)
    assert page.errors == []


def test_tunneling_pulls_its_baked_frames_and_plays_to_the_end(offline_page, site):
    """Tunnelling's page asks for frames as it plays ("more"): the baked chunks answer until the run ends."""
    page = offline_page
    page.set_viewport_size({"width": 1200, "height": 1000})
    page.goto(site[2]["tunneling"])
    embed = page.locator('.ql-embed[data-lesson="tunneling"]').first
    root_el = embed.locator("[data-ql-player]")
    expect(root_el).to_have_attribute("data-done", "0", timeout=15_000)
    # a CSV of the whole run asks for everything: the remaining chunks are delivered one per request
    with page.expect_download() as dl:
        root_el.locator(".ql-csv").click()
    expect(root_el).to_have_attribute("data-done", "1", timeout=10_000)
    rows = pathlib.Path(dl.value.path()).read_text().strip().splitlines()
    doc = bake.decode(next(site[1].rglob("_static/baked/tunneling.qlb")).read_bytes())
    assert len(rows) == 1 + doc["messages"][-1]["end"]               # every baked frame
    assert rows[0] == "t,passed,T,R,inside"
    last = [float(v) for v in rows[-1].split(",")]
    assert last[2] + last[3] == pytest.approx(1.0, abs=2e-3)          # T + R: the run has ended
    assert page.errors == []


def test_browser_decoder_matches_python(offline_page, site):
    """ql-embed.js's decodeQlb gives the arrays docs/bake.py wrote (sums and a few values)."""
    page = offline_page
    base, root = site[0], site[1]
    page.goto(site[2]["tunneling"])
    baked = next(root.rglob("_static/baked/tunneling.qlb"))
    embed_js = next(root.rglob("_static/ql-embed.js"))
    rel = lambda p: f"{base}/{p.relative_to(root).as_posix()}"  # noqa: E731
    got = page.evaluate("""async ([mod, file]) => {
        const m = await import(mod)
        const doc = await m.decodeQlb(await (await fetch(file)).arrayBuffer())
        const sum = a => Array.from(a).reduce((s, v) => s + v, 0)
        const c = doc.messages[doc.messages.length - 1]
        return {n: doc.messages.length, type: c.re.constructor.name, shape: c.re.shape,
                sumRe: sum(c.re), sumT: sum(c.T), first: Array.from(c.im.slice(0, 5)),
                V: sum(doc.messages[0].V), speed: doc.props.speed, initial: doc.initial}
    }""", [rel(embed_js), rel(baked)])
    doc = bake.decode(baked.read_bytes())
    last = doc["messages"][-1]
    assert got["n"] == len(doc["messages"]) and got["initial"] == doc["initial"]
    assert got["type"] == "Float32Array" and got["shape"] == list(last["re"].shape)
    assert got["sumRe"] == pytest.approx(float(last["re"].astype(float).sum()), rel=1e-9, abs=1e-9)
    assert got["sumT"] == pytest.approx(float(last["T"].astype(float).sum()), rel=1e-12)
    assert got["first"] == [float(v) for v in last["im"][:5]]
    assert got["V"] == pytest.approx(float(doc["messages"][0]["V"].astype(float).sum()), rel=1e-12)
    assert got["speed"] == doc["props"]["speed"]
    assert page.errors == []


# ---- the live takeover, with a stand-in for panel's pyodide-worker page ----------------------

# What matters of `panel convert --to pyodide-worker` output (panel/io/convert.py and
# _templates/pyodide_handler.js): <body class="pn-loading ...">, prerendered roots with
# data-root-id, a top-level `const pyodideWorker` whose "status" messages show progress and whose
# "render" message makes the page embed the app and drop the body's pn-loading class.
_FAKE_LIVE = """<!doctype html>
<html><head><meta charset="utf-8"></head><body class="pn-loading pn-arc">
<div id="app" data-root-id="p1001">prerendered, not live yet</div>
<script type="text/javascript">
const pyodideWorker = new Worker("./fake_worker.js?mode={mode}");
pyodideWorker.onmessage = async (event) => {{
  const msg = event.data
  if (msg.type === 'render') {{
    document.getElementById('app').textContent = 'LIVE APP'
    const player = document.createElement('div')
    player.dataset.qlPlayer = '1'
    player.textContent = 'Preparing the simulation…'
    document.getElementById('app').appendChild(player)
    document.body.classList.remove('pn-loading', 'pn-arc')
    setTimeout(() => {{ player.dataset.run = '1'; player.textContent = 'playing' }}, 1500)  // Python's first run
  }}
}}
</script></body></html>
"""
_FAKE_WORKER = """
const mode = new URL(self.location.href).searchParams.get("mode")
self.postMessage({type: "status", msg: "Loading pyodide"})
setTimeout(() => self.postMessage({type: "status", msg: "Installing environment"}), 400)
if (mode === "render") setTimeout(() => self.postMessage({type: "render"}), 2500)
if (mode === "crash") setTimeout(() => { throw new Error("ModuleNotFoundError: no module named 'numpy'") }, 1500)
"""
_TAKEOVER_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>takeover</title></head><body>
<main style="max-width: 900px">
<div class="ql-embed" data-lesson="spin_battery" data-baked="_static/baked/spin_battery.qlb"
     data-player="_static/baked/spin_battery.js" data-live="_static/live/fake_{mode}.html"
     data-live-height="300px" data-live-timeout="{timeout}"{texts}
     data-pyodide="https://cdn.jsdelivr.net/pyodide/v0.29.3/full/"></div>
<script type="module" src="_static/ql-embed.js"></script>
</main></body></html>
"""


def _page_texts() -> dict:
    import runpy
    return runpy.run_path(str(REPO / "docs" / "conf.py"))["PAGE_TEXTS"]


@pytest.fixture(scope="module")
def takeover_site(site_root, tmp_path_factory):
    """A page per case (live page renders / never renders) around the baked battery run."""
    root = tmp_path_factory.mktemp("takeover")
    (root / "_static" / "baked").mkdir(parents=True)
    (root / "_static" / "live").mkdir()
    shutil.copy2(next(site_root.rglob("_static/ql-embed.js")), root / "_static" / "ql-embed.js")
    for name in ("spin_battery.qlb", "spin_battery.js", "spin_battery.strings.json"):
        shutil.copy2(next(site_root.rglob(f"_static/baked/{name}")), root / "_static" / "baked" / name)
    (root / "_static" / "live" / "fake_worker.js").write_text(_FAKE_WORKER, encoding="utf-8")
    for mode, timeout in (("render", 60), ("never", 2), ("crash", 60)):
        (root / "_static" / "live" / f"fake_{mode}.html").write_text(_FAKE_LIVE.format(mode=mode), encoding="utf-8")
        (root / f"{mode}.html").write_text(_TAKEOVER_PAGE.format(mode=mode, timeout=timeout, lang="en", texts=""),
                                           encoding="utf-8")
    # the same page in German, with the embed's own lines as docs/conf.py gives them
    texts = html.escape(json.dumps(_page_texts()["de"]["embed"], ensure_ascii=False), quote=True)
    (root / "render_de.html").write_text(_TAKEOVER_PAGE.format(mode="render", timeout=60, lang="de",
                                                               texts=f' data-texts="{texts}"'), encoding="utf-8")
    with serve(root) as base:
        yield base


def test_live_lesson_takes_over_once_it_has_rendered(page, takeover_site):
    isolate(page, takeover_site, fake_cdn=True)
    page.goto(f"{takeover_site}/render.html")
    embed = page.locator(".ql-embed")
    player = embed.locator("[data-ql-player]")
    status = embed.locator(".ql-embed-status")
    expect(embed).to_have_attribute("data-first-frame-ms", re.compile(r"^\d+$"))
    # while Python loads: the baked run plays, the live page waits hidden, the label shows progress
    expect(embed).to_have_attribute("data-live-state", "loading")
    iframe = embed.locator("iframe.ql-embed-live")
    expect(iframe).to_have_attribute("data-state", "pending")
    expect(iframe).to_have_attribute("src", re.compile(r"/_static/live/fake_render\.html\?lang=en$"))  # the page's language
    expect(iframe).to_be_hidden()
    expect(player).to_be_visible()
    expect(status).to_contain_text("Pre-computed default run — live controls are loading… (Installing environment)")
    expect(status.locator(".ql-embed-badge")).to_have_text("pre-computed")
    # rendered: the live page replaces the baked player
    expect(embed).to_have_attribute("data-live-state", "live", timeout=10_000)
    expect(iframe).to_have_attribute("data-state", "shown")
    expect(iframe).to_be_visible()
    assert iframe.bounding_box()["height"] == pytest.approx(300, abs=1)
    expect(page.frame_locator(".ql-embed-live").locator("#app")).to_contain_text("LIVE APP")
    # shown only once the live player had its first data: no "Preparing…" frame at the hand-over
    expect(page.frame_locator(".ql-embed-live").locator("[data-ql-player]")).to_have_attribute("data-run", "1",
                                                                                            timeout=1)
    expect(player).to_have_count(0)
    expect(status).to_be_hidden()
    assert page.errors == []


def test_live_lesson_that_never_renders_leaves_the_baked_run_and_a_calm_line(page, takeover_site):
    isolate(page, takeover_site, fake_cdn=True)
    page.goto(f"{takeover_site}/never.html")
    embed = page.locator(".ql-embed")
    status = embed.locator(".ql-embed-status")
    expect(embed).to_have_attribute("data-live-state", "loading")
    expect(status.locator(".ql-embed-text")).to_have_text(
        "Live controls could not be started in time; this is the pre-computed default run.", timeout=10_000)
    assert status.get_attribute("data-state") == "calm"
    expect(embed.locator("[data-ql-player]")).to_be_visible()
    expect(embed.locator("iframe.ql-embed-live")).to_be_hidden()
    # the baked run still plays
    root_el = embed.locator("[data-ql-player]")
    root_el.locator(".ql-restart").click()
    expect(root_el).to_have_attribute("data-playing", "1")
    assert page.errors == []


def test_live_lesson_whose_python_fails_leaves_the_baked_run_and_a_calm_line(page, takeover_site):
    isolate(page, takeover_site, fake_cdn=True)
    page.goto(f"{takeover_site}/crash.html")
    embed = page.locator(".ql-embed")
    expect(embed).to_have_attribute("data-live-state", "loading")
    expect(embed).to_have_attribute("data-live-state", "failed", timeout=10_000)
    expect(embed.locator(".ql-embed-status .ql-embed-text")).to_have_text(
        "Live controls could not be started here; this is the pre-computed default run.")
    expect(embed.locator("iframe")).to_have_count(0)
    expect(embed.locator("[data-ql-player]")).to_be_visible()
    assert page.errors == []


def test_built_live_pages_carry_the_signs_the_embed_waits_for(site_root):
    """The converted live pages (when the site has them) start with <body class="pn-loading ...">,
    prerendered roots and a top-level ``pyodideWorker``: what ql-embed.js watches."""
    live = sorted(p for p in site_root.rglob("_static/live/*.html") if not p.name.startswith("fake_"))
    if not live:
        pytest.skip("this site has no converted live pages (the small test site)")
    for path in live:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert re.search(r'<body class="pn-loading\b', text), path
        assert "const pyodideWorker = new Worker(" in text and "data-root-id" in text, path
        assert 'classList.remove("pn-loading"' in text, path


def test_a_button_that_needs_python_says_so_briefly(offline_page, site):
    """Bound states' "Measure E" asks the server to draw an outcome: the baked run cannot, and says so."""
    page = offline_page
    page.goto(site[2]["bound_states"])
    embed = page.locator('.ql-embed[data-lesson="bound_states"]').first
    status = embed.locator(".ql-embed-status .ql-embed-text")
    expect(status).to_have_text(CALM, timeout=20_000)
    embed.locator(".ql-measure-E").click()
    expect(status).to_have_text("Pre-computed default run: this needs the live lesson.")
    expect(status).to_have_text(CALM, timeout=6_000)
    expect(embed.locator("[data-ql-player]")).to_have_attribute("data-playing", "1")
    assert page.errors == []


def test_baked_run_starts_before_its_file_has_arrived(page, site):
    """On a slow link the first frames play as soon as their bytes are in (the file is in message order)."""
    base, root, pages = site
    with serve(root, _SlowQlb) as slow:
        isolate(page, slow)
        url = pages["tunneling"].replace(base, slow)
        page.goto(url)
        embed = page.locator('.ql-embed[data-lesson="tunneling"]').first
        player = embed.locator("[data-ql-player]")
        t0 = time.perf_counter()
        expect(embed).to_have_attribute("data-first-frame-ms", re.compile(r"^\d+$"), timeout=SLOW_S * 1000 - 500)
        assert time.perf_counter() - t0 < SLOW_S - 0.5
        doc = bake.decode(next(root.rglob("_static/baked/tunneling.qlb")).read_bytes())
        total = doc["messages"][-1]["end"]
        early = int(player.get_attribute("data-frames"))
        assert 8 <= early < total                                       # playing from part of the file
        # later chunks the page asks for come with the rest of the file
        expect(player).not_to_have_attribute("data-frames", str(early), timeout=SLOW_S * 1000 + 8000)
        expect(player).to_have_attribute("data-playing", "1")
        assert page.errors == []


def _replaying_worker(live_html: str) -> str:
    """A stand-in for a converted lesson's Pyodide worker: after a few status messages it sends the
    page's own prerendered document as its "render" message, as the real worker sends the document
    Python has built (so the real page, Bokeh and Panel do the rest)."""
    m = re.search(r'<script type="application/json" id="(\w+)">(.*?)</script>', live_html, re.S)
    docs_json = html.unescape(m.group(2)).strip()
    items = json.loads(re.search(r"const render_items = (\[.*?\]);\n", live_html).group(1))
    root_ids = sorted(set(re.findall(r'data-root-id="(\w+)"', live_html)))
    assert root_ids and set(root_ids) <= set(items[0]["roots"])
    msg = {"type": "render", "docs_json": docs_json, "render_items": json.dumps(items),
           "root_ids": json.dumps(root_ids)}
    return ("self.postMessage({type: 'status', msg: 'Loading pyodide'})\n"
            "setTimeout(() => self.postMessage({type: 'status', msg: 'Executing code'}), 500)\n"
            f"setTimeout(() => self.postMessage({json.dumps(msg)}), 2000)\n"
            "self.onmessage = () => self.postMessage({type: 'idle'})\n")


def test_real_live_page_takes_over_when_its_worker_renders(page, site):
    """The built tunnelling page with its real live page (panel convert output, Bokeh and Panel JS),
    only its Pyodide worker replaced: the live page stays hidden while its prerendered shell waits
    for Python and is shown once the worker's document is embedded (here after ql-embed.js's 8 s
    cap, since no Python sends the player its first run)."""
    base, root, pages = site
    live = next((p for p in root.rglob("_static/live/tunneling.html")), None)
    if live is None:
        pytest.skip("this site has no converted live pages (the small test site)")
    worker = _replaying_worker(live.read_text(encoding="utf-8"))
    isolate(page, base, fake_cdn=True)
    page.route(re.compile(r".*/_static/live/tunneling\.js(\?.*)?$"),      # started with the page's ?lang=
               lambda r: r.fulfill(status=200, body=worker, content_type="text/javascript"))
    page.goto(pages["tunneling"])
    embed = page.locator('.ql-embed[data-lesson="tunneling"]').first
    expect(embed).to_have_attribute("data-live-state", "loading", timeout=15_000)
    iframe = embed.locator("iframe.ql-embed-live")
    frame = page.frame_locator("iframe.ql-embed-live")
    expect(frame.locator("body.pn-loading")).to_have_count(1)          # the shell, waiting for Python
    expect(iframe).to_be_hidden()
    expect(embed.locator("[data-ql-player]").first).to_be_visible()
    expect(embed).to_have_attribute("data-live-state", "live", timeout=20_000)
    expect(iframe).to_be_visible()
    expect(frame.locator("body.pn-loading")).to_have_count(0)
    expect(frame.locator(".ql-player")).to_have_count(1, timeout=10_000)  # the lesson's player, in the live page
    expect(embed.locator(".ql-embed-baked")).to_have_count(0)
    page.screenshot(path=str(pathlib.Path(os.environ.get("QL_SHOTS", "/tmp")) / "embed-live-takeover.png"))
    assert page.errors == []


# ---- the page's language ---------------------------------------------------------------------

@pytest.mark.parametrize("lang, restart, calm", [
    ("de", "Neustart", "Die Live-Steuerung braucht die Python-Laufzeitumgebung"),
    ("es", "Reiniciar", "Los controles en vivo necesitan el entorno de Python")])
def test_baked_player_speaks_the_pages_language(offline_page, site, lang, restart, calm):
    """A page of the German (Spanish) site: the baked player's buttons and numbers in German
    (Spanish), from <lesson>.strings.json, and the embed's own lines too."""
    page = offline_page
    base, root, _ = site
    pages = lesson_pages(root, lang)
    if "tunneling" not in pages:
        pytest.skip(f"this site has no {lang}/ pages (the small test site)")
    page.set_viewport_size({"width": 1200, "height": 1000})
    page.goto(f"{base}/{pages['tunneling'].relative_to(root).as_posix()}")
    embed = page.locator('.ql-embed[data-lesson="tunneling"]').first
    root_el = embed.locator("[data-ql-player]")
    expect(root_el).to_have_count(1, timeout=15_000)
    expect(embed).to_have_attribute("data-baked-lang", lang)
    expect(root_el.locator(".ql-restart")).to_have_text(f"⟲ {restart}")
    expect(root_el.locator(".ql-clock")).to_have_text(re.compile(r"\d,\d"), timeout=5_000)   # the decimal comma
    expect(embed.locator(".ql-embed-status .ql-embed-text")).to_contain_text(calm, timeout=20_000)
    got = page.evaluate("""async (mod) => {
        const m = await import(mod)
        return [m.pageLanguage(), m.liveURL("../../_static/live/tunneling.html", m.pageLanguage()),
                m.relabel({kind: "setup", label: "a", rows: ["a", "b"], n: 1}, {a: "A", setup: "no"})]
    }""", f"{base}/_static/ql-embed.js")
    assert got[0] == lang
    assert got[1] == f"{base}/_static/live/tunneling.html?lang={lang}"
    assert got[2] == {"kind": "setup", "label": "A", "rows": ["A", "b"], "n": 1}
    assert page.errors == []


def test_a_german_page_loads_the_live_lesson_in_german(page, takeover_site):
    isolate(page, takeover_site, fake_cdn=True)
    page.goto(f"{takeover_site}/render_de.html")
    embed = page.locator(".ql-embed")
    expect(embed).to_have_attribute("data-live-state", "loading", timeout=15_000)
    expect(embed.locator("iframe.ql-embed-live")).to_have_attribute(
        "src", re.compile(r"/_static/live/fake_render\.html\?lang=de$"))
    expect(embed.locator(".ql-embed-status")).to_contain_text("Vorberechneter Standardlauf – die Live-Steuerung wird geladen")
    expect(embed.locator(".ql-embed-badge")).to_have_text("vorberechnet")
    expect(embed.locator("[data-ql-player] .ql-restart")).to_have_text("⟲ Neustart")
    expect(embed).to_have_attribute("data-live-state", "live", timeout=10_000)
    assert page.errors == []
