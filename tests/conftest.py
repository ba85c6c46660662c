"""Fixtures every test folder shares: the browser the UI and docs tests drive."""
import os
import shutil

import pytest


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright cannot download its own here); QL_CHROMIUM overrides."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("QL_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium"),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


def pytest_collection_modifyitems(config, items):
    """Browser tests run last, each folder's in its own order.

    Playwright's sync API keeps an asyncio loop running in the main thread from the first browser
    test to the end of the session, so a later test that runs a loop of its own (asyncio.run, or
    one set with set_event_loop) would find Playwright's instead.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
