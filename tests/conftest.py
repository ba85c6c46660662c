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
