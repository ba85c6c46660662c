"""Chooses, once at import, whether kernels run compiled (Numba) or as plain NumPy.

The compiled path needs both ``numba`` and ``rocket_fft`` (which lets compiled code call
pocketfft/DUCC0).  The NumPy path is taken when either is missing (Pyodide), when Numba's JIT is
disabled (``NUMBA_DISABLE_JIT=1``), or when ``QL_PURE_NUMPY=1`` is set; the test suite runs both.

Compiled code may also call FFTW (:func:`fftw_library`) where pyFFTW happens to be installed; nothing
requires it.  The helpers for that are here, shared by :mod:`physics.wavepacket` (complex
transforms, kind ``"c2c"``) and :mod:`physics.kleingordon` (real transforms, kind ``"r2c"``: a
real-to-complex forward transform and its complex-to-real inverse).  A compiled kernel gets a
*transforms* argument, an int64 array

    [execute forward, forward plan, execute backward, backward plan]

of FFTW function and plan addresses (:func:`fftw_plans`), or :data:`POCKETFFT` (zeros) for
rocket-fft, and calls ``_fft_c2c`` / ``_fft_r2c`` / ``_fft_c2r`` with it; :func:`fft_transforms`
makes that choice, for ``fft=None`` by timing both once per kind, length and process (FFTW wins
at some lengths, rocket-fft at others, depending on the CPU: no fixed rule serves).

FFTW runs a plan on new arrays (``fftw_execute_dft``, ``fftw_execute_dft_r2c``,
``fftw_execute_dft_c2r``) only if they are aligned as the arrays it was planned on: every array a
kernel hands to FFTW, and every planning array, comes from :func:`aligned_empty` (64 bytes).
The addresses are arguments of the compiled functions, never constants in them, so that those can
be cached on disk (Numba caches nothing that holds a ctypes function, and an address baked into
cached code would be wrong in the next process).  Numba's cache only notices changes to a cached
function's own file: after editing the compiled functions here, clear the ``__pycache__`` of
``physics`` (the kernels of the other modules that call them keep their old copies otherwise).
"""
from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

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

    The handle has ``fftw_plan_dft_1d``, ``fftw_plan_dft_r2c_1d``, ``fftw_plan_dft_c2r_1d`` and
    their new-array execute functions ``fftw_execute_dft``, ``fftw_execute_dft_r2c``,
    ``fftw_execute_dft_c2r`` typed (:func:`fftw_plans` plans with them, the kernels execute).
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
        for real in (lib.fftw_plan_dft_r2c_1d, lib.fftw_plan_dft_c2r_1d):
            real.restype = ctypes.c_void_p
            real.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]
        for execute in (lib.fftw_execute_dft, lib.fftw_execute_dft_r2c, lib.fftw_execute_dft_c2r):
            execute.restype = None
    except Exception:  # OSError, AttributeError (a symbol not found): fall back rather than fail
        return None
    return lib


# ---- FFTW's planned transforms for the compiled kernels ---------------------------------------------
#: ``"c2c"``: complex forward + backward; ``"r2c"``: real-to-complex + complex-to-real
KINDS = ("c2c", "r2c")
#: The transforms argument for rocket-fft: no FFTW function address.
POCKETFFT = np.zeros(4, dtype=np.int64)
# planner flags, as in fftw3.h
_FFTW_MEASURE = 0
_FFTW_DESTROY_INPUT = 1 << 0
_FFTW_PRESERVE_INPUT = 1 << 4
# FFTW's planner is not thread-safe (sessions run in threads): planning and timing hold this
PLAN_LOCK = threading.Lock()
_PLANS: dict[tuple[str, int], np.ndarray] = {}
_FASTER: dict[tuple[str, int], np.ndarray] = {}


def aligned_empty(n: int, dtype=np.complex128) -> np.ndarray:
    """Uninitialised 1-D array of ``n`` items of ``dtype`` whose data starts on a 64-byte boundary.

    FFTW runs a plan on other arrays only if they are aligned as the arrays it was planned on were,
    so every array a compiled kernel transforms with FFTW, and every planning array, comes from here.
    """
    dtype = np.dtype(dtype)
    size = dtype.itemsize * n
    raw = np.empty(size + 64, dtype=np.uint8)
    start = -raw.__array_interface__["data"][0] % 64
    return raw[start:start + size].view(dtype)


def fftw_plans(kind: str, n: int) -> np.ndarray:
    """FFTW's transforms argument for ``n`` points, planned once per process (FFTW_MEASURE, out of
    place, unscaled, on scratch arrays since measuring overwrites them).  Call with ``PLAN_LOCK`` held.

    ``"c2c"``: ``fftw_execute_dft`` with plans of ``n`` complex128 points, forward and backward.
    ``"r2c"``: ``fftw_execute_dft_r2c`` with a plan from ``n`` float64 to ``n // 2 + 1`` complex128
    (it leaves its input as it was, FFTW_PRESERVE_INPUT), and ``fftw_execute_dft_c2r`` with one
    back (it may overwrite its input, the spectrum, as scratch: FFTW_DESTROY_INPUT).
    """
    key = (kind, n)
    if key not in _PLANS:
        import ctypes  # only with FFTW, i.e. never on the NumPy path (Pyodide)

        lib = fftw_library()
        if kind == "c2c":
            a, b = aligned_empty(n), aligned_empty(n)
            forward = lib.fftw_plan_dft_1d(n, a.ctypes.data, b.ctypes.data, -1, _FFTW_MEASURE)
            backward = lib.fftw_plan_dft_1d(n, b.ctypes.data, a.ctypes.data, +1, _FFTW_MEASURE)
            execute_forward = execute_backward = lib.fftw_execute_dft
        elif kind == "r2c":
            real, spectrum = aligned_empty(n, np.float64), aligned_empty(n // 2 + 1)
            forward = lib.fftw_plan_dft_r2c_1d(n, real.ctypes.data, spectrum.ctypes.data,
                                               _FFTW_MEASURE | _FFTW_PRESERVE_INPUT)
            backward = lib.fftw_plan_dft_c2r_1d(n, spectrum.ctypes.data, real.ctypes.data,
                                                _FFTW_MEASURE | _FFTW_DESTROY_INPUT)
            execute_forward, execute_backward = lib.fftw_execute_dft_r2c, lib.fftw_execute_dft_c2r
        else:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if not (forward and backward):
            raise RuntimeError(f"FFTW could not plan {kind} transforms of {n} points")

        def address(function):
            return ctypes.cast(function, ctypes.c_void_p).value

        _PLANS[key] = np.array([address(execute_forward), forward, address(execute_backward), backward],
                               dtype=np.int64)
    return _PLANS[key]


def _pair_seconds(kind: str, n: int, candidate: np.ndarray, pairs: int) -> float:
    """Seconds for ``pairs`` forward + inverse transforms as the kernels do them (from zeros: the
    transforms are unscaled, so other data would overflow; FFT time does not depend on the values)."""
    if kind == "c2c":
        a, b = aligned_empty(n), aligned_empty(n)
        a[:] = 0.0
        start = time.perf_counter()
        _c2c_pairs(a, b, candidate, pairs)
    else:
        a, spectrum, b = aligned_empty(n, np.float64), aligned_empty(n // 2 + 1), aligned_empty(n, np.float64)
        a[:] = 0.0
        start = time.perf_counter()
        _r2c_pairs(a, spectrum, b, candidate, pairs)
    return time.perf_counter() - start


def fft_transforms(kind: str, n: int, fft: str | None) -> np.ndarray:
    """The transforms argument of a compiled kernel for ``n`` points: FFTW's :func:`fftw_plans` or
    :data:`POCKETFFT`.

    ``fft`` is ``"fftw"``, ``"pocketfft"`` or None: whichever does a forward and an inverse
    transform faster, timed here once per process, kind and n (best of 3 rounds of about 1 ms
    each, taken in turns), or rocket-fft without FFTW.  The caller checks that ``"fftw"`` is
    available (``fftw_library() is not None``).
    """
    if fft == "pocketfft" or (fft is None and fftw_library() is None):
        return POCKETFFT
    with PLAN_LOCK:
        if fft == "fftw":
            return fftw_plans(kind, n)
        key = (kind, n)
        if key not in _FASTER:
            candidates = (fftw_plans(kind, n), POCKETFFT)
            pairs = max(1, 2 ** 22 // (n * n.bit_length()))
            best = [np.inf, np.inf]
            for _ in range(3):
                for i, candidate in enumerate(candidates):
                    best[i] = min(best[i], _pair_seconds(kind, n, candidate, pairs))
            _FASTER[key] = candidates[int(np.argmin(best))]
        return _FASTER[key]


if HAVE_NUMBA:  # pragma: no branch - which branch runs depends on the machine
    import numba
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic
    from rocket_fft import c2c, c2r, r2c

    @intrinsic
    def _fftw_execute(typingctx, execute, plan, src, dst):
        """``execute(plan, src, dst)``: FFTW's new-array execute function at the address ``execute``
        (``fftw_execute_dft``, ``fftw_execute_dft_r2c`` or ``fftw_execute_dft_c2r``: all three are
        ``void (plan, in, out)``).  ``src`` and ``dst`` are float64 or complex128 arrays, as the
        plan expects and aligned as its arrays were (nothing here can check either).

        The addresses are arguments, not constants, so that the functions calling this can be
        cached on disk (Numba caches nothing that holds a ctypes function).
        """
        if not (isinstance(execute, types.Integer) and isinstance(plan, types.Integer)
                and all(isinstance(a, types.Array) and a.dtype in (types.float64, types.complex128)
                        for a in (src, dst))):
            return None

        def codegen(context, builder, signature, args):
            void_p = ir.IntType(8).as_pointer()
            signature_c = ir.FunctionType(ir.VoidType(), [void_p] * 3)
            function = builder.inttoptr(args[0], signature_c.as_pointer())
            data = [builder.bitcast(context.make_array(t)(context, builder, a).data, void_p)
                    for t, a in zip(signature.args[2:], args[2:])]
            builder.call(function, [builder.inttoptr(args[1], void_p)] + data)
            return context.get_dummy_value()

        return types.void(execute, plan, src, dst), codegen

    @numba.njit(cache=True, nogil=True)
    def _fft_c2c(src, dst, fftw, axes, forward):
        """Unscaled complex FFT of ``src`` into ``dst``: with FFTW's ``"c2c"`` plans ``fftw`` or,
        when ``fftw[0] == 0``, with rocket-fft (which may work in place, ``src is dst``)."""
        if fftw[0]:
            if forward:
                _fftw_execute(fftw[0], fftw[1], src, dst)
            else:
                _fftw_execute(fftw[2], fftw[3], src, dst)
        else:
            c2c(src, dst, axes, forward, 1.0, 1)

    @numba.njit(cache=True, nogil=True)
    def _fft_r2c(src, dst, fftw, axes):
        """Unscaled real FFT of ``src`` (n float64, left as it was) into ``dst`` (n // 2 + 1
        complex128): with FFTW's ``"r2c"`` plans ``fftw`` or, when ``fftw[0] == 0``, rocket-fft."""
        if fftw[0]:
            _fftw_execute(fftw[0], fftw[1], src, dst)
        else:
            r2c(src, dst, axes, True, 1.0, 1)

    @numba.njit(cache=True, nogil=True)
    def _fft_c2r(src, dst, fftw, axes):
        """Unscaled inverse real FFT of ``src`` (n // 2 + 1 complex128; FFTW may overwrite it) into
        ``dst`` (n float64): FFTW's ``"r2c"`` plans ``fftw`` or, when ``fftw[0] == 0``, rocket-fft."""
        if fftw[0]:
            _fftw_execute(fftw[2], fftw[3], src, dst)
        else:
            c2r(src, dst, axes, False, 1.0, 1)

    @numba.njit(cache=True, nogil=True)
    def _c2c_pairs(psi, work, fftw, n):
        """n forward + inverse complex transforms as the wave-packet loop does them (FFTW out of
        place into ``work`` and back, rocket-fft in place), unscaled."""
        phi = work if fftw[0] else psi
        axes = np.zeros(1, dtype=np.int64)
        for _ in range(n):
            _fft_c2c(psi, phi, fftw, axes, True)
            _fft_c2c(phi, psi, fftw, axes, False)

    @numba.njit(cache=True, nogil=True)
    def _r2c_pairs(a, spectrum, b, fftw, n):
        """n real FFTs of ``a`` and inverse real FFTs of their spectrum into ``b``, as the
        Klein–Gordon loop does them, unscaled."""
        axes = np.zeros(1, dtype=np.int64)
        for _ in range(n):
            _fft_r2c(a, spectrum, fftw, axes)
            _fft_c2r(spectrum, b, fftw, axes)
