"""The wheel the documentation site ships to Pyodide works without Numba.

It is installed into a clean virtual environment (its dependencies from the registry, through
pip's cache), where each lesson model runs its default scenario on the NumPy path: what the live
lessons do in the browser, as far as it can be checked without a browser.
"""
from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

WHEEL = "quantum_lessons-0.1.0-py3-none-any.whl"
ROOT = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import importlib.util, json, math
    import numpy as np

    assert importlib.util.find_spec("numba") is None, "numba must not be installed"
    assert importlib.util.find_spec("rocket_fft") is None, "rocket_fft must not be installed"
    try:
        import numba  # noqa: F401
    except ImportError:
        pass
    else:
        raise AssertionError("import numba worked")

    from physics import _backend
    assert _backend.BACKEND == "numpy" and not _backend.HAVE_NUMBA, _backend.BACKEND
    import physics
    assert "site-packages" in physics.__file__, physics.__file__     # the wheel, not the work tree

    out = {}

    from lessons.tunneling.model import TunnelingModel
    m = TunnelingModel()
    run = m.run_to_end()
    assert run.done and run.error is None
    inside = run.sim.norm()
    assert abs(run.transmitted + run.reflected + inside - 1) < 1e-6, (run.transmitted, run.reflected, inside)
    assert abs(run.transmitted - m.predicted_transmission()) < 2e-3
    out["T"] = run.transmitted

    from lessons.bound_states.model import BoundStatesModel
    from physics import eigen, potentials
    b = BoundStatesModel()
    E = b.energies
    # the default well (finite, width 3, depth 10): levels below the rim, ascending
    assert np.all(np.diff(E) > 0) and 0 < E[0] < b.rim()
    assert abs(b.mean_energy() - (E[0] + E[1]) / 2) < 1e-12
    out["E"] = [float(e) for e in E[:3]]

    from lessons.spin_battery.model import SpinBatteryModel
    r = SpinBatteryModel().readouts()
    assert f"{r['ergotropy']:.4f}" == "1.8108", r["ergotropy"]
    out["ergotropy"] = r["ergotropy"]

    from lessons.quantization.model import QuantizationModel
    q = QuantizationModel()
    acc = q.accuracy_now()
    assert 0.95 < acc["float"] < 1 and 0 <= acc["quantized"] <= 1, acc
    x = np.linspace(-1, 1, 101)
    assert np.all(np.isfinite(q.grid(x)))
    out["accuracy"] = acc

    print(json.dumps(out))
""")


#: The compiled packages Pyodide 0.29.3 provides (its pyodide-lock.json, as shipped in the npm
#: package pyodide@0.29.3): the live lessons run on these, not on the project's pins.
PYODIDE_PACKAGES = ("numpy==2.2.5", "scipy==1.14.1", "scikit-learn==1.7.0")
#: ... and these are not in it (and have no pure-Python wheel for micropip to fetch).
NOT_IN_PYODIDE = ("numba", "rocket_fft", "tornado")


def _venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return venv / "bin" / "python", env


def _pip(py, env, *args):
    done = subprocess.run([str(py), "-m", "pip", "install", "--quiet", *args], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _run_models(py, env, cwd):
    listed = subprocess.run([str(py), "-m", "pip", "list", "--format=freeze"], env=env,
                            capture_output=True, text=True, check=True).stdout.lower()
    assert "numba" not in listed and "rocket" not in listed
    # run outside the work tree so that `physics` and `lessons` come from the wheel
    env = dict(env, OPENBLAS_NUM_THREADS="1", QL_PURE_NUMPY="0", NUMBA_DISABLE_JIT="0")
    done = subprocess.run([str(py), "-c", SCRIPT], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done.stdout


@pytest.mark.slow
def test_wheel_installs_and_runs_without_numba(built_site, tmp_path):
    """pip install the wheel (its pinned dependencies from the registry): no Numba comes with it."""
    wheel = built_site / "_static" / "live" / WHEEL
    py, env = _venv(tmp_path)
    _pip(py, env, str(wheel))
    _run_models(py, env, tmp_path)


@pytest.mark.slow
def test_models_run_on_the_packages_pyodide_has(built_site, tmp_path):
    """The wheel as the live pages install it (deps=False) over Pyodide's NumPy, SciPy, scikit-learn,
    with the site's slimmed Babel wheel (the one the live pages install)."""
    live = built_site / "_static" / "live"
    wheel = live / WHEEL
    babel, = live.glob("babel-*-py3-none-any.whl")
    py, env = _venv(tmp_path)
    _pip(py, env, "--no-deps", str(wheel), str(babel))
    _pip(py, env, *PYODIDE_PACKAGES, "param==2.4.2")
    _run_models(py, env, tmp_path)


def _unguarded_imports(path: pathlib.Path) -> list[tuple[int, str]]:
    """Top-level module names ``path`` imports outside ``try`` blocks and ``if ...NUMBA...:`` branches."""
    tree = ast.parse(path.read_text("utf-8"))
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            body = node.body
        elif isinstance(node, ast.If) and "NUMBA" in ast.unparse(node.test).upper():
            body = node.body
        else:
            continue
        for stmt in body:
            guarded.update(id(n) for n in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, n.split(".")[0]) for n in names if id(node) not in guarded]
    return found


def test_live_lessons_import_nothing_pyodide_lacks():
    """What the live pages run (apps/, lessons/, physics/) imports no module Pyodide lacks, unguarded.

    Pyodide has no Numba and no Tornado (Panel's Pyodide build of Bokeh drops the Tornado
    requirement, and Tornado has no pure-Python wheel for micropip).
    """
    bad = []
    for folder in ("apps", "lessons", "physics"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            bad += [f"{path.relative_to(ROOT)}:{line} imports {name}" for line, name in _unguarded_imports(path)
                    if name in NOT_IN_PYODIDE]
    assert not bad, "\n".join(bad)
