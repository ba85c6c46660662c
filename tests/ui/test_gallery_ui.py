"""The gallery page (``/``) and what a full visit loads from the network."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from lessons import CATALOGUE
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def test_gallery_card_opens_the_lesson(lesson_factory):
    lesson = lesson_factory(None)  # a page of its own, nothing opened yet
    page = lesson.page
    page.goto("/")
    card = page.locator("a.ql-card").filter(has_text="Tunnelling through a barrier")
    expect(card).to_have_count(1)
    expect(card).to_be_visible()
    expect(card.locator("h3")).to_have_text("Tunnelling through a barrier")
    assert card.get_attribute("href") == "./tunneling"
    image = card.locator("img")
    assert image.get_attribute("src") == "./assets/tunneling.svg"
    # the thumbnail really loaded (a broken image has naturalWidth 0)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    box = image.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box

    card.click()
    expect(page).to_have_url(re.compile(r"/tunneling(\?.*)?$"))
    lesson.wait_for_frames()
    expect(lesson.predicted_text).to_be_visible()
    assert 0.0 < lesson.predicted() < 1.0

    # and back: the header link returns to the gallery (once the run is sent: leaving a page
    # mid-run is another test's business)
    lesson.wait_run_done()
    page.get_by_role("link", name="all lessons").click()
    expect(page).to_have_url(re.compile(r"/(index)?$"))
    expect(page.locator("a.ql-card")).to_have_count(len(CATALOGUE))
    lesson.watch.assert_no_errors()


def test_pages_load_nothing_from_other_hosts(lesson_factory):
    lesson = lesson_factory(None)
    page, watch = lesson.page, lesson.watch
    page.goto("/")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=page.locator("a.ql-card img").first.element_handle())
    page.wait_for_load_state("networkidle")

    lesson.open()
    expect(lesson.predicted_text).to_be_visible()
    # the equations of the lesson text (KaTeX, with its fonts) and the second tab
    expect(page.locator(".katex").first).to_be_visible()
    page.locator(".bk-tab").filter(has_text="Teacher notes").click()
    expect(page.get_by_text("Teacher notes: the model behind")).to_be_visible()
    page.wait_for_load_state("networkidle")
    lesson.wait_run_done()

    requests = watch.requests + watch.websockets
    assert any("/tunneling" in url for url in requests)
    assert any(url.startswith("ws") for url in watch.websockets), watch.websockets
    foreign = sorted({url for url in requests
                      if urlsplit(url).scheme not in ("blob", "data")
                      and urlsplit(url).hostname not in LOCAL_HOSTS})
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert watch.bad_responses == [], f"failed requests: {watch.bad_responses}"
    watch.assert_no_errors()
