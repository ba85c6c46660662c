"""A school: two lesson processes behind HAProxy (deploy/school.py), in Chromium.

- Every lesson loads and plays through the proxy, and a slider move brings a new run.
- A page and its websocket reach the same process (the proxy's cookie): the process whose log
  records the page's websocket is the one its cookie names, and new students are spread over both.
- A process killed mid-class costs only its own students: their pages say they are reconnecting and
  come back on the other process with their settings (the link), while a student on the other
  process carries on without noticing; the killed process, started again, rejoins and gets new
  students.
"""
from __future__ import annotations

import re
import sys

import pytest
from lessons import CATALOGUE
from playwright.sync_api import expect

from tests.ui.conftest import REPO, PageWatch, log_problems

sys.path.insert(0, str(REPO / "deploy"))
from school import School, free_port, haproxy_binary  # noqa: E402

pytestmark = pytest.mark.browser

OPENED = "WebSocket connection opened"


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    if haproxy_binary() is None:       # make test installs it (the Makefile's haproxy target)
        pytest.skip("HAProxy is not installed (make test installs Debian's haproxy as root)")
    s = School(procs=2, port=free_port(), workdir=tmp_path_factory.mktemp("school"))
    s.start(timeout=300)
    try:
        yield s
    finally:
        s.stop()
    problems = [f"{p.name}: {x}" for p in s.lessons for x in log_problems(p.log.read_text(errors="replace"))]
    assert problems == [], "a lesson process logged errors:\n" + "\n".join(problems)


def opened(school: School) -> dict[str, int]:
    """Websockets each lesson process has opened so far (from its log)."""
    return {p.name: p.log.read_text(errors="replace").count(OPENED) for p in school.lessons}


def student(browser, school: School, path: str):
    """A new student (a browser of its own, so a cookie of its own) on ``path``; returns (page, watch)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{school.url}/{path}")
    return page, watch


def server_of(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "QLSERVER")


def wait_playing(page) -> None:
    player = page.locator("[data-ql-player]").first
    expect(player).to_be_visible(timeout=60_000)
    page.wait_for_function("el => +el.dataset.frames > 0 || +el.dataset.time > 0", arg=player.element_handle(),
                           timeout=60_000)


def move_slider(page, title: str) -> None:
    """Press → on the slider titled ``title``: a new run must arrive."""
    player = page.locator("[data-ql-player]").first
    run = player.get_attribute("data-run")
    handle = page.locator(".bk-input-group").filter(
        has=page.locator(".bk-slider-title", has_text=re.compile("^" + re.escape(title)))).locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")
    page.wait_for_function("([el, r]) => el.dataset.run !== r", arg=[player.element_handle(), run], timeout=30_000)


@pytest.mark.parametrize("slug", ["", *(c.slug for c in CATALOGUE)], ids=["gallery", *(c.slug for c in CATALOGUE)])
def test_every_lesson_loads_and_plays_through_the_proxy(browser, school, slug):
    page, watch = student(browser, school, slug)
    if not slug:
        expect(page.locator("a.ql-card")).to_have_count(len(CATALOGUE))
        expect(page.locator("a.ql-card img").first).to_be_visible()        # /assets from the static server
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=page.locator("a.ql-card img").first.element_handle())
    else:
        expect(page.locator(".ql-card, [data-ql-player]").first).to_be_attached(timeout=60_000)
        if slug == "tunneling":
            wait_playing(page)
            move_slider(page, "Barrier height")
    assert server_of(page) in {p.name for p in school.lessons}
    watch.assert_no_errors()
    page.context.close()


def test_a_page_and_its_websocket_reach_the_same_process(browser, school):
    seen = set()
    for _ in range(4):
        before = opened(school)
        page, watch = student(browser, school, "tunneling")
        wait_playing(page)
        after = opened(school)
        grew = {name for name in after if after[name] > before[name]}
        assert grew == {server_of(page)}, (grew, server_of(page))
        seen.add(server_of(page))
        watch.assert_no_errors()
    assert seen == {p.name for p in school.lessons}, "leastconn sent every new student to one process"
    for context in browser.contexts:
        context.close()


def test_a_killed_process_costs_only_its_own_students(browser, school):
    pages = {}
    for _ in range(8):                       # one student on each process (leastconn alternates them)
        page, watch = student(browser, school, "tunneling?height=1.5")
        wait_playing(page)
        pages.setdefault(server_of(page), (page, watch))
        if len(pages) == 2:
            break
    assert len(pages) == 2
    victim, survivor = sorted(pages)
    lost_page, lost_watch = pages[victim]
    kept_page, kept_watch = pages[survivor]

    school.kill(victim)
    # the student on the killed process is told, then comes back on the other one, settings kept
    expect(lost_page.locator(".ql-reconnecting")).to_be_visible(timeout=15_000)
    expect(lost_page.locator(".ql-reconnecting")).to_have_count(0, timeout=60_000)     # the page reloaded
    wait_playing(lost_page)
    assert server_of(lost_page) == survivor
    expect(lost_page.locator(".bk-slider-title", has_text=re.compile(r"Barrier height V₀: 1\.5"))).to_be_visible()
    move_slider(lost_page, "Barrier height")
    # the other student carries on, never having lost its connection
    move_slider(kept_page, "Barrier height")
    assert kept_page.locator(".ql-reconnecting").count() == 0
    kept_watch.assert_no_errors()

    # the killed process, started again, rejoins: new students reach it
    assert school.supervise_once() == [victim]
    school.wait_healthy(300, [next(p for p in school.lessons if p.name == victim)])
    back = set()
    for _ in range(4):
        page, _watch = student(browser, school, "tunneling")
        wait_playing(page)
        back.add(server_of(page))
        if victim in back:
            break
    assert victim in back
    for context in browser.contexts:
        context.close()
