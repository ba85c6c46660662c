"""Chooses, once at import, whether kernels run compiled (Numba) or as plain NumPy.

The compiled path needs both ``numba`` and ``rocket_fft`` (which lets compiled code call
pocketfft/DUCC0).  The NumPy path is taken when either is missing (Pyodide), when Numba's JIT is
disabled (``NUMBA_DISABLE_JIT=1``), or when ``QL_PURE_NUMPY=1`` is set; the test suite runs both.

Compiled code may also call FFTW (:func:`fftw_library`) where pyFFTW happens to be installed; nothing
requires it.
"""
from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes


def _flag(name: str) -> bool:
    return os.environ.get(name, "0") not in ("", "0")


def _numba_usable() -> bool:
    if _flag("QL_PURE_NUMPY"):
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


@functools.cache
def fftw_library() -> ctypes.CDLL | None:
    """FFTW 3's double-precision C library, for compiled kernels to call, or None.

    It is found through pyFFTW's extension module, which links FFTW: ``dlsym`` on its handle also
    searches the libraries it depends on, so whatever FFTW that pyFFTW build uses is found without
    knowing where its wheel put it.  None when pyFFTW is not installed, without Numba (only
    compiled code calls FFTW), with ``QL_NO_FFTW=1``, or when anything about the library is not as
    expected (e.g. on Windows, where symbols are not looked up through dependencies).

    The handle has ``fftw_plan_dft_1d`` and ``fftw_execute_dft`` typed.
    FFTW's planner is not thread-safe: callers serialise planning (executing is thread-safe).
    FFTW is GPL-licensed; it is only used when the user installs it.
    """
    if not HAVE_NUMBA or _flag("QL_NO_FFTW"):
        return None
    import ctypes  # here, not at the top: the NumPy path (Pyodide) never needs it

    try:
        spec = importlib.util.find_spec("pyfftw")
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = spec.submodule_search_locations[0]
        paths = [os.path.join(folder, "pyfftw" + s) for s in importlib.machinery.EXTENSION_SUFFIXES]
        path = next((p for p in paths if os.path.exists(p)), None)
        if path is None:
            return None
        lib = ctypes.CDLL(path)
        lib.fftw_plan_dft_1d.restype = ctypes.c_void_p
        lib.fftw_plan_dft_1d.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                         ctypes.c_uint]
        lib.fftw_execute_dft.restype = None
    except Exception:  # OSError, AttributeError (a symbol not found): fall back rather than fail
        return None
    return lib
