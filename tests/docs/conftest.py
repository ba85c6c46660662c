"""The documentation site, built once per test session by docs/build.py (``built_site``)."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: The test site is built for a school's own Pyodide mirror, which checks that QL_PYODIDE_URL is
#: honoured.  '.invalid' never resolves, so a browser test fails fast instead of waiting on a CDN.
PYODIDE_TEST_URL = "https://pyodide.mirror.invalid/pyodide/v0.29.3/full/"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> pathlib.Path:
    """Path of the HTML root of a freshly built site (index.html, lessons/, api/, _static/; de/, es/).

    ``QL_TEST_DOCS_SITE=<folder>`` reuses a site built before by ``docs/build.py <folder>`` with
    ``QL_PYODIDE_URL`` set to :data:`PYODIDE_TEST_URL` (while working on the tests only)."""
    reuse = os.environ.get("QL_TEST_DOCS_SITE")
    if reuse:
        return pathlib.Path(reuse).resolve()
    out = tmp_path_factory.mktemp("docs") / "html"
    env = dict(os.environ, QL_PYODIDE_URL=PYODIDE_TEST_URL)
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "build.py"), str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200)
    if done.returncode != 0:
        pytest.fail(f"docs/build.py failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}")
    return out
