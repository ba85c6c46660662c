"""Gaussian wave packets and the split-operator FFT solver with absorbing boundaries.

Units: hbar = m = 1, so the time-dependent Schroedinger equation is

    i d psi/dt = H psi,    H = -(1/2) d^2/dx^2 + V(x).

The solver is Strang's split-operator scheme on a periodic FFT grid,

    psi(t + dt) = P_half  F^-1 K F  P_half  psi(t),   K = exp(-i k^2 dt / 2),
    P_half = exp(-i V dt / 2) exp(-W dt / 2),

second order in dt and unitary apart from the absorbing potential -i W(x), which is non-zero only
in a layer of ``absorber_width`` at each end of the grid.  Every probability the absorber removes is
added up on its own side, every step: what is removed at the right end has been transmitted, at
the left end reflected.  So ``transmitted + reflected + norm() == 1`` to rounding at all times, and
T and R are correct while the packet is still moving.

Consecutive half potential steps are merged into one full step, the phase factors are
precomputed, and the potential step touches only the cells where its factor is not exactly 1 (the
absorbing layers and the span where V != 0; skipping a multiply by exactly 1 changes nothing).  With
Numba the whole loop of ``n`` steps runs in one compiled call that allocates nothing per step; its
transforms are single-threaded (on two shared cores a multi-threaded FFT stalls other sessions)
and come from whichever is faster at that N, measured once per process:

- FFTW's plans (``FFTW_MEASURE``, out of place), called from the loop, where pyFFTW is installed
  (:func:`physics._backend.fftw_library`; nothing requires it; the planning, the timing and the
  calls are :mod:`physics._backend`'s, shared with the Klein–Gordon solver);
- pocketfft/DUCC0 through rocket-fft, in place (faster than out of place, measured).

Planning FFTW and timing it against rocket-fft take 0.2–0.6 s per N, once per process.  Without
Numba the same algorithm runs in NumPy with SciPy's in-place transforms (see
:mod:`physics._backend`); both paths agree to 1e-12.
"""
from __future__ import annotations

import numpy as np
import scipy.fft

from ._backend import HAVE_NUMBA, fft_transforms, fftw_library
from ._backend import POCKETFFT as _POCKETFFT  # noqa: F401  (what _transforms returns for rocket-fft)
from ._backend import aligned_empty as _aligned_empty

__all__ = ["gaussian", "free_width", "free_density", "absorber_profile", "Simulation", "HAVE_NUMBA"]


def gaussian(x: np.ndarray, x0: float, sigma: float, k0: float) -> np.ndarray:
    """Normalised Gaussian packet psi(x) = (2 pi sigma^2)^(-1/4) exp(-(x - x0)^2 / (4 sigma^2) + i k0 x).

    ``sigma`` is the standard deviation of |psi|^2 (position spread); the momentum spread is
    1 / (2 sigma) and the mean energy k0^2/2 + 1/(8 sigma^2).  The samples are rescaled so that
    sum |psi|^2 dx = 1 exactly on the grid (the continuum normalisation differs from that only by
    what the grid cuts off).
    """
    x = np.asarray(x, dtype=float)
    dx = float(x[1] - x[0])
    psi = np.exp(-((x - x0) ** 2) / (4.0 * sigma ** 2) + 1j * k0 * x)
    norm = np.sqrt(np.sum(np.abs(psi) ** 2) * dx)
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("the packet does not fit on the grid (norm is zero)")
    return psi / norm


def free_width(t, sigma: float) -> np.ndarray:
    """Position spread of a free Gaussian packet: sigma(t) = sigma sqrt(1 + (t / (2 sigma^2))^2)."""
    t = np.asarray(t, dtype=float)
    return sigma * np.sqrt(1.0 + (t / (2.0 * sigma ** 2)) ** 2)


def free_density(x, t, sigma: float, k0: float, x0: float = 0.0) -> np.ndarray:
    """|psi(x, t)|^2 of a free Gaussian packet (V = 0, natural units hbar = m = 1).

    .. math:: |\\psi(x, t)|^2 = \\frac{1}{\\sqrt{2\\pi}\\,\\sigma(t)}
              \\exp\\left(-\\frac{(x - x_0 - k_0 t)^2}{2\\sigma(t)^2}\\right),
              \\qquad \\sigma(t) = \\sigma\\sqrt{1 + (t / 2\\sigma^2)^2}

    The packet that is :func:`gaussian` at t = 0 moves at its mean velocity k0 and spreads.

    Parameters
    ----------
    x : array
        Positions.
    t : float or array
        Times; an array gives one row per time.
    sigma : float
        Width (standard deviation of |psi|^2) at t = 0, > 0.
    k0 : float
        Mean momentum (= mean velocity, since m = 1).
    x0 : float
        Centre at t = 0.

    Returns
    -------
    array
        Shape ``x.shape`` for a scalar ``t``, else ``(len(t), len(x))``.

    Examples
    --------
    >>> x = np.linspace(-20, 20, 2001)
    >>> rho = free_density(x, 4.0, 1.0, 0.5)
    >>> round(float(np.sum(x * rho) * (x[1] - x[0])), 6)      # the centre, k0 t
    2.0
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    width = free_width(t, sigma)[..., None] if t.ndim else free_width(t, sigma)
    centre = (x0 + k0 * t)[..., None] if t.ndim else x0 + k0 * t
    return np.exp(-((x - centre) ** 2) / (2.0 * width ** 2)) / (np.sqrt(2.0 * np.pi) * width)


def absorber_profile(x: np.ndarray, width: float, strength: float) -> np.ndarray:
    """Absorbing potential W(x) >= 0: strength * s^2 in the outer ``width`` of each end, s in [0, 1].

    s rises from 0 at the inner edge of the layer to 1 at the grid's end; a smooth onset reflects
    little.  W = 0 in between.
    """
    x = np.asarray(x, dtype=float)
    if width <= 0:
        return np.zeros_like(x)
    left = np.clip((x[0] + width - x) / width, 0.0, 1.0)
    right = np.clip((x - (x[-1] - width)) / width, 0.0, 1.0)
    return strength * (left ** 2 + right ** 2)


def _evolve_numpy(n, psi, scratch, half, full, kin, root_half, root_full, nl, lo, hi, nr, dx):
    """n Strang steps of ``psi`` in place with NumPy/SciPy; returns the probability absorbed (left, right).

    ``root_*`` = sqrt(1 - |factor|^2) on the absorbing layers, so that the probability a potential
    step removes there, sum |psi|^2 (1 - |factor|^2) dx, is one multiply into ``scratch`` and one
    vdot per layer.  The transforms run in place (``overwrite_x``) and ``ifft`` scales by 1/N, so
    nothing of size N is allocated per step.
    """
    n_pts = psi.size
    # views made once: the transforms work in place, so they stay views of the live state
    spans = [s for s in (slice(0, nl), slice(lo, hi), slice(n_pts - nr, n_pts)) if s.stop > s.start]
    psi_spans = [psi[s] for s in spans]
    half_spans, full_spans = [half[s] for s in spans], [full[s] for s in spans]
    layers = [(side, s) for side, s in enumerate((slice(0, nl), slice(n_pts - nr, n_pts)))
              if s.stop > s.start]
    psi_layers = [psi[s] for _, s in layers]
    root_half_layers = [root_half[s] for _, s in layers]
    root_full_layers = [root_full[s] for _, s in layers]
    buffers = [scratch[:s.stop - s.start] for _, s in layers]
    absorbed = [0.0, 0.0]

    def potential(factors, roots):
        for (side, _), part, root, buffer in zip(layers, psi_layers, roots, buffers):
            q = np.multiply(part, root, out=buffer)
            absorbed[side] += np.vdot(q, q).real
        for part, factor in zip(psi_spans, factors):
            part *= factor

    for step in range(n):
        if step == 0:
            potential(half_spans, root_half_layers)
        else:
            potential(full_spans, root_full_layers)
        phi = scipy.fft.fft(psi, overwrite_x=True)
        phi *= kin
        out = scipy.fft.ifft(phi, overwrite_x=True)
        if not np.may_share_memory(out, psi):   # overwrite_x permits working in place, not promises it
            psi[:] = out
    potential(half_spans, root_half_layers)
    return absorbed[0] * dx, absorbed[1] * dx


def _transforms(n: int, fft: str | None) -> np.ndarray:
    """The ``fftw`` argument of the compiled loop for ``n`` points: FFTW's complex plans or
    ``_POCKETFFT`` (:func:`physics._backend.fft_transforms`; for ``fft=None`` whichever does a
    forward and an inverse transform faster, timed once per process and n)."""
    return fft_transforms("c2c", n, fft)


if HAVE_NUMBA:  # pragma: no branch - which branch runs depends on the machine
    import numba

    from ._backend import _fft_c2c as _fft
    from ._backend import _fftw_execute as _fftw_execute_dft  # noqa: F401  (bench/solver.py calls it)

    # The multiplies work on float64 views (re, im interleaved) with fastmath, which also lets the
    # sums of the absorbing layers vectorise (a sum is otherwise one add at a time).  They loop
    # over whole arrays (the caller slices): from a variable start Numba cannot tell that the
    # indices are non-negative, checks each for wraparound, and nothing vectorises (3.5x slower,
    # measured).
    @numba.njit(cache=True, nogil=True, fastmath=True)
    def _cmul(p, f):
        """p *= f as complex numbers stored interleaved in float64 arrays."""
        for j in range(p.size // 2):
            a = p[2 * j]
            b = p[2 * j + 1]
            c = f[2 * j]
            d = f[2 * j + 1]
            p[2 * j] = a * c - b * d
            p[2 * j + 1] = a * d + b * c

    @numba.njit(cache=True, nogil=True, fastmath=True)
    def _absorb(p, f, loss):
        """p *= f (interleaved, as :func:`_cmul`); returns sum |p|^2 loss before the multiply: the
        probability the multiply removes, over dx (loss = 1 - |f|^2)."""
        total = 0.0
        for j in range(loss.size):
            a = p[2 * j]
            b = p[2 * j + 1]
            c = f[2 * j]
            d = f[2 * j + 1]
            total += (a * a + b * b) * loss[j]
            p[2 * j] = a * c - b * d
            p[2 * j + 1] = a * d + b * c
        return total

    @numba.njit(cache=True, nogil=True)
    def _potential(p, f, loss, nl, lo, hi, nr):
        """The potential step p *= f on the layers [0, nl), [N - nr, N) and the span [lo, hi)
        (f is exactly 1 elsewhere); returns what it absorbs at (left, right), divided by dx."""
        right = loss.size - nr
        left_absorbed = _absorb(p[:2 * nl], f[:2 * nl], loss[:nl])
        _cmul(p[2 * lo:2 * hi], f[2 * lo:2 * hi])
        return left_absorbed, _absorb(p[2 * right:], f[2 * right:], loss[right:])

    @numba.njit(cache=True, nogil=True)
    def _evolve_numba(n, psi, work, half, full, kin, loss_half, loss_full, nl, lo, hi, nr, dx, fftw):
        """n Strang steps in one compiled loop; returns the probability absorbed at (left, right).

        ``psi``/``work`` are 64-byte aligned complex128 (for the FFTs); ``half``, ``full`` and
        ``kin`` are float64 views of the complex factors; ``kin`` already carries the 1/N of the
        inverse FFT, so both transforms run unscaled.  The potential step multiplies the absorbing
        layers [0, nl) and [N - nr, N) and the span [lo, hi) where V != 0; elsewhere its factor
        is exactly 1.  ``fftw`` chooses the transforms (:func:`_fft`).
        """
        phi = work if fftw[0] else psi     # the spectrum: FFTW out of place, rocket-fft in place
        p = psi.view(np.float64)
        q = phi.view(np.float64)
        axes = np.zeros(1, dtype=np.int64)
        absorbed_l = 0.0
        absorbed_r = 0.0
        for step in range(n):
            fac, loss = (half, loss_half) if step == 0 else (full, loss_full)
            left, right = _potential(p, fac, loss, nl, lo, hi, nr)
            absorbed_l += left
            absorbed_r += right
            _fft(psi, phi, fftw, axes, True)
            _cmul(q, kin)
            _fft(phi, psi, fftw, axes, False)
        left, right = _potential(p, half, loss_half, nl, lo, hi, nr)
        return (absorbed_l + left) * dx, (absorbed_r + right) * dx


class Simulation:
    """Split-operator time evolution of psi on the periodic grid ``x`` with absorbing ends.

    Parameters
    ----------
    x : ndarray
        Uniform grid (ideally a power-of-two length).
    V : ndarray
        Potential on it (real).
    psi0 : ndarray
        Initial wavefunction (copied; need not be normalised: probabilities are absolute).
    dt : float
        Time step.
    absorber_width : float
        Length of the absorbing layer at each end (0 for none).
    absorber_strength : float, optional
        Peak of the absorbing potential W (default 100 / absorber_width: with a 20-long layer,
        measured, waves with k from 0.6 to 3 reflect less than 1e-6 and pass less than 1e-8).
    backend : {None, "numba", "numpy"}
        Kernel to use; None takes Numba where it is available (``physics._backend``).
    fft : {None, "fftw", "pocketfft"}
        Transforms of the compiled kernel: FFTW (needs pyFFTW installed), pocketfft through
        rocket-fft, or None for whichever is faster at this grid's length (timed once per process
        and length).  The NumPy kernel always uses SciPy's pocketfft.

    Attributes
    ----------
    transmitted, reflected : float
        Probabilities absorbed so far at the right and left ends.
    t : float
        The time reached.
    fft : str
        The transforms in use: "fftw", "pocketfft" (rocket-fft) or "scipy" (the NumPy kernel).
    """

    def __init__(self, x, V, psi0, dt: float, absorber_width: float = 0.0,
                 absorber_strength: float | None = None, backend: str | None = None,
                 fft: str | None = None):
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.V = np.ascontiguousarray(V, dtype=np.float64)
        if self.x.shape != self.V.shape or self.x.ndim != 1:
            raise ValueError("x and V must be one-dimensional arrays of the same length")
        self.dx = float(self.x[1] - self.x[0])
        self.dt = float(dt)
        if not (np.isfinite(self.dt) and self.dt > 0):
            raise ValueError("dt must be a positive number")
        psi0 = np.asarray(psi0)
        if psi0.shape != self.x.shape:
            raise ValueError("psi0 must have the same length as x")
        n_pts = self.x.size
        self._psi = _aligned_empty(n_pts)
        self._psi[:] = psi0
        if backend not in (None, "numba", "numpy"):
            raise ValueError("backend must be None, 'numba' or 'numpy'")
        if backend == "numba" and not HAVE_NUMBA:
            raise RuntimeError("the numba backend is not available here")
        if fft not in (None, "fftw", "pocketfft"):
            raise ValueError("fft must be None, 'fftw' or 'pocketfft'")
        compiled = HAVE_NUMBA and backend != "numpy"
        if fft == "fftw" and not (compiled and fftw_library() is not None):
            raise RuntimeError("FFTW is not available here (it needs the numba backend and pyFFTW)")
        self.k = 2.0 * np.pi * np.fft.fftfreq(n_pts, d=self.dx)
        if absorber_strength is None:
            absorber_strength = self._default_strength(absorber_width)
        self.W = absorber_profile(self.x, absorber_width, absorber_strength)
        half = np.exp((-1j * self.V - self.W) * (self.dt / 2))
        full = half ** 2
        loss_half = 1.0 - np.abs(half) ** 2
        loss_full = 1.0 - np.abs(full) ** 2
        kin = np.exp(-0.5j * self.k ** 2 * self.dt)
        absorbing = np.flatnonzero(self.W > 0)
        nl = int(np.count_nonzero(absorbing < n_pts // 2))
        nr = int(np.count_nonzero(absorbing >= n_pts // 2))
        if absorbing.size and (np.any(absorbing[:nl] != np.arange(nl))
                               or np.any(absorbing[nl:] != np.arange(n_pts - nr, n_pts))):
            raise ValueError("absorbing layers must sit at the two ends of the grid")
        # between the layers the factors are exactly 1 wherever V == 0: only [lo, hi) is multiplied
        inside = np.flatnonzero((half[nl:n_pts - nr] != 1.0) | (full[nl:n_pts - nr] != 1.0)) + nl
        lo, hi = (int(inside[0]), int(inside[-1]) + 1) if inside.size else (nl, nl)
        if compiled:
            fftw = _transforms(n_pts, fft)
            self.fft = "fftw" if fftw[0] else "pocketfft"
            self._evolve = _evolve_numba
            # float64 views of the factors, and 1/N folded into the kinetic factor: both
            # transforms run unscaled
            self._args = (self._psi, _aligned_empty(n_pts), half.view(np.float64),
                          full.view(np.float64), (kin / n_pts).view(np.float64), loss_half, loss_full,
                          nl, lo, hi, nr, self.dx, fftw)
        else:
            self.fft = "scipy"
            self._evolve = _evolve_numpy
            # where W = 0, |factor|^2 may exceed 1 by a rounding: no square root of that
            root_half, root_full = np.sqrt(np.maximum([loss_half, loss_full], 0.0))
            self._args = (self._psi, np.empty(max(nl, nr), dtype=np.complex128), half, full, kin,
                          root_half, root_full, nl, lo, hi, nr, self.dx)
        self.t = 0.0
        self.steps = 0
        self.transmitted = 0.0
        self.reflected = 0.0

    @property
    def psi(self) -> np.ndarray:
        """The live state psi(x): complex128, 64-byte aligned for FFTW's plans.

        A read-only attribute: write into the array in place (``sim.psi[:] = ...``), which keeps
        the alignment a new array would not have.
        """
        return self._psi

    @staticmethod
    def _default_strength(width: float) -> float:
        return 100.0 / width if width > 0 else 0.0

    def step(self, n: int = 1) -> None:
        """Advance ``n`` time steps (one compiled call on the Numba backend)."""
        n = int(n)
        if n <= 0:
            return
        a_l, a_r = self._evolve(n, *self._args)
        self.reflected += a_l
        self.transmitted += a_r
        self.steps += n
        self.t = self.steps * self.dt

    # ---- observables -------------------------------------------------------------------
    def density(self) -> np.ndarray:
        """|psi(x)|^2."""
        return self.psi.real ** 2 + self.psi.imag ** 2

    def norm(self) -> float:
        """Probability still inside the grid: sum |psi|^2 dx."""
        return float(np.sum(self.density()) * self.dx)

    def expectation_x(self) -> float:
        """<x> of the probability still inside (normalised by :meth:`norm`)."""
        p = self.density()
        return float(np.sum(self.x * p) / np.sum(p))

    def _momentum_density(self) -> np.ndarray:
        phi = np.fft.fft(self.psi)
        return (phi.real ** 2 + phi.imag ** 2) * (self.dx / self.x.size)

    def expectation_p(self) -> float:
        """<p> = <k> (hbar = 1) of the probability still inside, from the FFT of psi."""
        q = self._momentum_density()
        return float(np.sum(self.k * q) / np.sum(q))

    def energy(self) -> float:
        """<H> / <psi|psi>: kinetic part spectrally (k^2/2), potential part on the grid."""
        q = self._momentum_density()
        kinetic = np.sum(0.5 * self.k ** 2 * q)
        potential = np.sum(self.V * self.density()) * self.dx
        return float((kinetic + potential) / np.sum(q))
