"""The physics package runs without Numba and never imports a UI library."""
import subprocess
import sys
import textwrap
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_numpy_path_when_numba_is_missing():
    out = run("""
        import sys
        sys.modules['numba'] = None          # as in Pyodide: importing numba fails
        import numpy as np
        from physics import _backend, potentials, scattering, wavepacket
        assert _backend.BACKEND == 'numpy', _backend.BACKEND
        x = np.linspace(-50, 50, 512, endpoint=False)
        V = potentials.rectangular(x, 1.0, 1.0)
        sim = wavepacket.Simulation(x, V, wavepacket.gaussian(x, -15, 3, 1.3), 0.05, absorber_width=10)
        sim.step(200)
        print(round(sim.transmitted + sim.reflected + sim.norm(), 12))
    """)
    assert out.strip() == "1.0"


def test_physics_and_models_import_no_ui_library():
    out = run("""
        import sys
        import physics.potentials, physics.scattering, physics.wavepacket
        import lessons.tunneling.model
        print(sorted(m for m in ('panel', 'bokeh', 'holoviews') if m in sys.modules))
    """)
    assert out.strip() == "[]"


def test_fftw_is_optional_and_can_be_switched_off():
    out = run("""
        import sys
        sys.modules['pyfftw'] = None          # pyFFTW not installed
        from physics import _backend
        print(_backend.fftw_library())
    """)
    assert out.strip() == "None"
    out = run("""
        import os
        os.environ['QL_NO_FFTW'] = '1'
        from physics import _backend
        print(_backend.fftw_library())
    """)
    assert out.strip() == "None"


def test_fftw_is_found_through_pyfftw_when_installed():
    out = run("""
        import importlib.util
        from physics import _backend
        lib = _backend.fftw_library()
        if importlib.util.find_spec('pyfftw') is None or not _backend.HAVE_NUMBA:
            print('skip')
        else:
            print(lib is not None and all(hasattr(lib, f) for f in ('fftw_plan_dft_1d', 'fftw_execute_dft')))
    """)
    if out.strip() == "skip":
        pytest.skip("pyFFTW or Numba not installed")
    assert out.strip() == "True"
