"""The Schrödinger equation with a low-precision memory: psi stored through a quantizer every step.

The split-operator step (hbar = m = 1, H = p^2/2 + V(x), periodic box)

    psi <- exp(-i V dt/2) IFFT[ exp(-i k^2 dt/2) FFT[ exp(-i V dt/2) psi ] ]

is unitary, so in exact arithmetic ||psi||^2 = sum |psi|^2 dx stays 1.  Here, after every step, the
real and imaginary parts of psi are written through a quantizer Q (any function from
:mod:`physics.quantize`, applied to the whole array: one scale per part), as if the state lived in
a low-precision memory.  Every change of the norm then comes from Q: round-to-nearest on integers
adds about s^2/12 per component per step (the norm grows: "heats"), a rounding that is biased
towards zero (a coarse minifloat, MX's floor scale with clipping) shrinks it exponentially, and
stochastic rounding is unbiased but makes the norm random-walk (spread ~ sqrt(steps)).

The default setup is a harmonic well V = x^2/2 (omega = 1) on 256 points of a box of length 40 with
dt = 0.01 and a coherent state displaced to x0 = 3, whose <x>(t) = 3 cos t is known exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

__all__ = ["Setup", "harmonic_setup", "coherent_mean_x", "stored_run", "StoredRun"]

Quantizer = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Setup:
    """Grid, potential, initial state and time step of a run (and, for the harmonic setup, the
    oscillator's angular frequency and where the coherent state was released)."""

    x: np.ndarray
    V: np.ndarray
    psi0: np.ndarray
    dt: float
    omega: float = 1.0
    x0: float = 0.0

    @property
    def dx(self) -> float:
        return float(self.x[1] - self.x[0])


def harmonic_setup(n: int = 256, length: float = 40.0, x0: float = 3.0, dt: float = 0.01) -> Setup:
    """V = x^2/2 on n points of [-L/2, L/2); psi0 = pi^(-1/4) exp(-(x - x0)^2 / 2) (a coherent state)."""
    x = np.linspace(-length / 2, length / 2, n, endpoint=False)
    psi0 = np.pi**-0.25 * np.exp(-((x - x0) ** 2) / 2) + 0j
    return Setup(x=x, V=0.5 * x**2, psi0=psi0, dt=float(dt), omega=1.0, x0=float(x0))


def coherent_mean_x(t, x0: float = 3.0, omega: float = 1.0) -> np.ndarray:
    """<x>(t) of a coherent state of the oscillator V = omega^2 x^2 / 2 released at rest from x0.

    <x>(t) = x0 cos(omega t)  (hbar = m = 1): the centre of the packet moves as a classical particle
    (Ehrenfest's theorem is exact for a harmonic potential), and the packet keeps its shape.

    Parameters
    ----------
    t : array_like
        Times.
    x0 : float
        Where the packet starts (its centre at t = 0).
    omega : float
        The oscillator's angular frequency.

    Returns
    -------
    numpy.ndarray
        <x> at each time.

    Examples
    --------
    >>> coherent_mean_x([0.0, np.pi], x0=3.0)
    array([ 3., -3.])
    """
    return x0 * np.cos(omega * np.asarray(t, dtype=float))


@dataclass
class StoredRun:
    """What :func:`stored_run` records at ``steps`` (every ``record_every`` steps, 0 included)."""

    steps: np.ndarray
    times: np.ndarray
    norm: np.ndarray        # ||psi||^2
    fidelity: np.ndarray    # |<psi_ref|psi>|^2 / ||psi||^2 against the unquantized run
    mean_x: np.ndarray      # <x> / ||psi||^2
    psi: np.ndarray         # the final stored state
    density: np.ndarray | None = None      # |psi|^2 / ||psi||^2 at each record (records x points), if asked for
    ref_density: np.ndarray | None = None  # |psi_ref|^2 of the unquantized run (norm 1), likewise


def _stepper(s: Setup) -> Callable[[np.ndarray], np.ndarray]:
    """One split-operator step of ``s``: psi -> exp(-iV dt/2) IFFT[exp(-ik^2 dt/2) FFT[exp(-iV dt/2) psi]]."""
    k = 2 * np.pi * np.fft.fftfreq(s.x.size, d=s.dx)
    half_v = np.exp(-0.5j * s.V * s.dt)
    kinetic = np.exp(-0.5j * k**2 * s.dt)

    def step(p):
        return half_v * np.fft.ifft(kinetic * np.fft.fft(half_v * p))
    return step


def _reference_states(s: Setup, steps: int, marks: np.ndarray) -> np.ndarray:
    """psi of the unquantized run at the recorded steps ``marks`` (rows)."""
    step = _stepper(s)
    ref = s.psi0.astype(complex)
    out = np.empty((marks.size, s.x.size), complex)
    j = 0
    for i in range(steps + 1):
        if i > 0:
            ref = step(ref)
        if j < marks.size and i == marks[j]:
            out[j] = ref
            j += 1
    return out


@lru_cache(maxsize=4)
def _default_reference(steps: int, record_every: int) -> tuple[Setup, np.ndarray]:
    """The default setup and its reference states, computed once per process: every stored run of
    the default setup (a class quantizing the same oscillator many ways) compares with the same run.
    Read-only, like the setup's arrays."""
    s = harmonic_setup()
    marks = np.arange(0, steps + 1, record_every)
    ref = _reference_states(s, steps, marks)
    for a in (s.x, s.V, s.psi0, ref):
        a.flags.writeable = False
    return s, ref


def stored_run(store: Quantizer | None, steps: int = 2000, setup: Setup | None = None,
               record_every: int = 10, densities: bool = False) -> StoredRun:
    """Run ``steps`` split-operator steps, storing Re psi and Im psi through ``store`` after each.

    ``store=None`` is the float64 reference.  The fidelity compares with the reference run (for the
    default setup computed once per process: the same floating-point operations as when it ran
    alongside, so the same numbers).  A quantizer that returns NaN or inf stops the run there (the
    rest is NaN).  ``densities=True`` also records the shape |psi|^2 / ||psi||^2 and |psi_ref|^2
    (float32) for an animation (the shape, normalised in float64, stays in float32's range however
    far the norm went).
    """
    every = max(1, int(record_every))
    marks = np.arange(0, steps + 1, every)
    if setup is None:
        s, refs = _default_reference(int(steps), every)
    else:
        s = setup
        refs = _reference_states(s, steps, marks)
    n, dx, dt = s.x.size, s.dx, s.dt
    step = _stepper(s)

    psi = s.psi0.astype(complex)
    out = {key: np.full(marks.size, np.nan) for key in ("norm", "fidelity", "mean_x")}
    if densities:
        out["density"] = np.full((marks.size, n), np.nan, np.float32)
        out["ref_density"] = np.full((marks.size, n), np.nan, np.float32)
    j = 0
    # a blown-up run overflows on its way to inf: it ends at its first non-finite norm, quietly
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(steps + 1):
            if i > 0:
                psi = step(psi)
                if store is not None:
                    psi = store(psi.real) + 1j * store(psi.imag)
            if j < marks.size and i == marks[j]:
                norm = float(np.sum(np.abs(psi) ** 2) * dx)
                if not np.isfinite(norm):
                    break
                ref = refs[j]
                overlap = np.sum(np.conj(ref) * psi) * dx
                out["norm"][j] = norm
                out["fidelity"][j] = abs(overlap) ** 2 / norm if norm > 0 else 0.0
                out["mean_x"][j] = float(np.sum(s.x * np.abs(psi) ** 2) * dx / norm) if norm > 0 else np.nan
                if densities:
                    out["density"][j] = np.abs(psi) ** 2 / norm if norm > 0 else 0.0
                    out["ref_density"][j] = np.abs(ref) ** 2
                j += 1
    return StoredRun(steps=marks, times=marks * dt, psi=psi, **out)
