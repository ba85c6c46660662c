"""The wheel the documentation site ships to Pyodide works without Numba.

It is installed into a clean virtual environment (its dependencies from the registry, through
pip's cache), where each lesson model runs its default scenario on the NumPy path: what the live
lessons do in the browser, as far as it can be checked without a browser.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

WHEEL = "quantum_lessons-0.1.0-py3-none-any.whl"

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


@pytest.mark.slow
def test_wheel_installs_and_runs_without_numba(built_site, tmp_path):
    wheel = built_site / "_static" / "live" / WHEEL
    assert wheel.is_file()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    listed = subprocess.run([str(py), "-m", "pip", "list", "--format=freeze"], env=env,
                            capture_output=True, text=True, check=True).stdout.lower()
    assert "numba" not in listed and "rocket" not in listed
    # run outside the work tree so that `physics` and `lessons` come from the wheel
    env.update(OPENBLAS_NUM_THREADS="1", QL_PURE_NUMPY="0", NUMBA_DISABLE_JIT="0")
    done = subprocess.run([str(py), "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
