"""Chooses, once at import, whether kernels run compiled (Numba) or as plain NumPy.

The compiled path needs both ``numba`` and ``rocket_fft`` (which lets compiled code call
pocketfft/DUCC0).  The NumPy path is taken when either is missing (Pyodide), when Numba's JIT is
disabled (``NUMBA_DISABLE_JIT=1``), or when ``QL_PURE_NUMPY=1`` is set; the test suite runs both.
"""
from __future__ import annotations

import os


def _numba_usable() -> bool:
    if os.environ.get("QL_PURE_NUMPY", "0") not in ("", "0"):
        return False
    try:
        import numba
        if numba.config.DISABLE_JIT:
            return False
        import rocket_fft  # noqa: F401  (registers FFTs for compiled code)
    except Exception:  # ImportError, or a broken binary wheel: fall back rather than fail
        return False
    return True


#: True when the compiled kernels are in use.
HAVE_NUMBA: bool = _numba_usable()
BACKEND: str = "numba" if HAVE_NUMBA else "numpy"
