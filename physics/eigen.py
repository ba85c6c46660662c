"""Bound states of H = -(1/2) d^2/dx^2 + V(x) on a uniform grid with hard walls, and what to do with them.

Units: hbar = m = 1; x in the grid's length unit, energies in units of 1/length^2.

Method.  The second derivative is the three-point difference, so H on the interior points is the
symmetric tridiagonal matrix with diagonal 1/dx^2 + V_j and off-diagonal -1/(2 dx^2); psi = 0 at
``x[0]``, ``x[-1]`` and wherever V = +inf (a hard wall inside the grid splits it into independent
blocks).  SciPy's ``eigh_tridiagonal`` (LAPACK bisection + inverse iteration) returns the lowest
levels only.  The three-point energies are E + a dx^2 + b dx^4 + O(dx^6), so solving again on every
2nd and every 4th grid point and combining (Richardson extrapolation, Romberg's table)

    E = (64 E_dx - 20 E_2dx + E_4dx) / 45

removes both terms: on the lessons' grid (961 points on [-6, 6]) the error of the square wells
falls from ~1e-4 to ~1e-8.  The halved grids must end on the same points and see the same hard
walls, so the number of intervals must divide by 4 (by 2 gives the two-grid E = (4 E_dx - E_2dx)/3,
else the plain O(dx^2) energies; :func:`solve` reports which).  For full accuracy a sharp finite
edge must also sit on a point of all three grids with the mean value there, which is what the
wells of :mod:`physics.potentials` do.  Otherwise the grid only knows the edge to within a cell, and
the error is of order dx (e.g. ``V = 10 where |x| >= 1.5`` on the lessons' grid is a well about dx
narrower than 3: its levels come out ~0.3 % high whatever the extrapolation does).  Eigenfunctions are the
fine grid's, O(dx^2) accurate, normalised to sum |psi|^2 dx = 1.

Beyond the solver: expansion of a wavefunction in the eigenbasis, time evolution of a
superposition, expectation values, and the two measurements of the bound-states lesson.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.linalg import eigh_tridiagonal

__all__ = [
    "BoundStates",
    "bound_states",
    "solve",
    "expand",
    "evolve",
    "superpose",
    "position_matrix",
    "measure_energy",
    "measure_position",
    "collapse_position",
]


class BoundStates(NamedTuple):
    """Result of :func:`solve`: energies (n,), states (n, len(x)), and how many coarser grids
    the energies were extrapolated from (0: plain three-point, 1: dx and 2dx, 2: dx, 2dx, 4dx)."""

    energies: np.ndarray
    states: np.ndarray
    extrapolated: int


def _grid(x: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    x = np.asarray(x, dtype=float)
    V = np.asarray(V, dtype=float)
    if x.ndim != 1 or x.size < 5 or V.shape != x.shape:
        raise ValueError("x and V must be one-dimensional arrays of the same length (at least 5)")
    dx = (x[-1] - x[0]) / (x.size - 1)
    if dx <= 0 or not np.allclose(np.diff(x), dx, rtol=1e-9, atol=0):
        raise ValueError("x must be uniform and increasing")
    if np.isnan(V).any() or np.isneginf(V).any():
        raise ValueError("V must be finite or +inf (a hard wall); it contains NaN or -inf")
    return x, V, float(dx)


def _blocks(V: np.ndarray) -> list[tuple[int, int]]:
    """Runs [start, stop) of interior points where V is finite (psi is free there)."""
    free = np.isfinite(V)
    free[0] = free[-1] = False
    edges = np.flatnonzero(np.diff(free.astype(np.int8)))
    return [(int(a) + 1, int(b) + 1) for a, b in zip(edges[::2], edges[1::2])]


def _levels(V: np.ndarray, dx: float, n: int, vectors: bool):
    """The n lowest three-point levels (and, if asked, vectors on the full grid), block by block."""
    found_E, found_psi = [], []
    for start, stop in _blocks(V):
        m = stop - start
        k = min(n, m)
        d = 1.0 / dx**2 + V[start:stop]
        e = np.full(m - 1, -0.5 / dx**2)
        if vectors:
            w, v = eigh_tridiagonal(d, e, select="i", select_range=(0, k - 1))
            full = np.zeros((k, V.size))
            full[:, start:stop] = v.T
            found_psi.append(full)
        else:
            w = eigh_tridiagonal(d, e, select="i", select_range=(0, k - 1), eigvals_only=True)
        found_E.append(w)
    if not found_E:
        raise ValueError("V leaves no free interior point: nothing can be bound")
    E = np.concatenate(found_E)
    order = np.argsort(E, kind="stable")[:n]
    psi = np.concatenate(found_psi)[order] if vectors else None
    return E[order], psi


def _halvings(V: np.ndarray, most: int = 2) -> int:
    """How many times (up to ``most``) the grid can be halved keeping its ends and hard walls."""
    wall = ~np.isfinite(V)
    change = np.flatnonzero(np.diff(wall.astype(np.int8)))
    wall_at = np.where(wall[change], change, change + 1)      # the wall point at each change
    k = 0
    while k < most and (V.size - 1) % 2 ** (k + 1) == 0 and not np.any(wall_at % 2 ** (k + 1)):
        k += 1
    return k


#: Romberg weights: E = sum_i w_i E_(2^i dx), cancelling dx^2 (and dx^4).
_RICHARDSON = {0: (1.0,), 1: (4 / 3, -1 / 3), 2: (64 / 45, -20 / 45, 1 / 45)}


def solve(x: np.ndarray, V: np.ndarray, n: int, extrapolate: bool = True) -> BoundStates:
    """The ``n`` lowest bound states of V on ``x`` (hard walls at the ends and where V = +inf).

    Returns energies E_j (ascending, Richardson-extrapolated as far as the grid allows) and states
    psi_j on ``x`` with sum psi_j^2 dx = 1, zero on walls, real, and signed so that the first
    point where |psi_j| exceeds 1e-3 max|psi_j| is positive.  Fewer than ``n`` come back only if
    the grid has fewer free points.
    """
    x, V, dx = _grid(x, V)
    n = int(n)
    if n < 1:
        raise ValueError("n must be at least 1")
    E, psi = _levels(V, dx, n, vectors=True)
    psi /= np.sqrt(np.sum(psi**2, axis=1, keepdims=True) * dx)
    for row in psi:
        first = np.flatnonzero(np.abs(row) > 1e-3 * np.abs(row).max())[0]
        if row[first] < 0:
            row *= -1.0
    k = _halvings(V) if extrapolate else 0
    levels = [E]
    for i in range(1, k + 1):
        coarse, _ = _levels(V[:: 2**i], dx * 2**i, E.size, vectors=False)
        if coarse.size < E.size:          # the coarse grid is too small to hold n levels
            k = i - 1
            break
        levels.append(coarse)
    E = sum(w * e for w, e in zip(_RICHARDSON[k], levels[: k + 1]))
    return BoundStates(E, psi, k)


def bound_states(x: np.ndarray, V: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` lowest energies (n,) and normalised eigenfunctions (n, len(x)) of V on ``x``.

    H = -(1/2) d^2/dx^2 + V(x), psi = 0 at both ends of the grid and where V = +inf.  See
    :func:`solve` (same numbers, plus whether the energies were extrapolated).
    """
    E, psi, _ = solve(x, V, n)
    return E, psi


def expand(states: np.ndarray, psi: np.ndarray, dx: float) -> np.ndarray:
    """Coefficients c_j = sum_x psi_j(x) psi(x) dx of ``psi`` in the real orthonormal ``states``."""
    return np.asarray(states) @ np.asarray(psi) * dx


def evolve(c: np.ndarray, energies: np.ndarray, t: float) -> np.ndarray:
    """Coefficients at time t: c_j(t) = c_j exp(-i E_j t) (each eigenstate only turns its phase)."""
    return np.asarray(c) * np.exp(-1j * np.asarray(energies) * t)


def superpose(c: np.ndarray, energies: np.ndarray, states: np.ndarray, t: float = 0.0) -> np.ndarray:
    """psi(x, t) = sum_j c_j exp(-i E_j t) psi_j(x)."""
    return evolve(c, energies, t) @ np.asarray(states)


def position_matrix(x: np.ndarray, states: np.ndarray) -> np.ndarray:
    """X_jk = sum_x psi_j(x) x psi_k(x) dx, so <x>(t) = c(t)^* . X . c(t)."""
    x = np.asarray(x, dtype=float)
    dx = x[1] - x[0]
    return (states * x) @ states.T * dx


def measure_energy(c: np.ndarray, rng: np.random.Generator, shots: int | None = None):
    """Index j of the energy E_j found, drawn with probability |c_j|^2 / sum |c|^2.

    With ``shots`` returns that many independent outcomes (an ensemble of identical preparations).
    """
    p = np.abs(np.asarray(c)) ** 2
    p = p / p.sum()
    return rng.choice(p.size, size=shots, p=p)


def measure_position(x: np.ndarray, psi: np.ndarray, rng: np.random.Generator, shots: int | None = None):
    """Position found by a measurement on psi: a cell drawn with weight |psi|^2, then uniform in it."""
    x = np.asarray(x, dtype=float)
    dx = x[1] - x[0]
    p = np.abs(np.asarray(psi)) ** 2
    p = p / p.sum()
    j = rng.choice(x.size, size=shots, p=p)
    return x[j] + (rng.random(size=shots) - 0.5) * dx


def collapse_position(x: np.ndarray, states: np.ndarray, found: float, resolution: float) -> np.ndarray:
    """Coefficients of the state just after a position measurement found ``found``.

    A detector of finite ``resolution`` leaves the Gaussian psi ~ exp(-(x - found)^2 / (4 r^2)) (an
    exact position eigenstate is not normalisable), projected on the available ``states`` and
    renormalised: the truncation is what a finite basis can show.
    """
    x = np.asarray(x, dtype=float)
    dx = x[1] - x[0]
    g = np.exp(-((x - found) ** 2) / (4.0 * resolution**2))
    c = expand(states, g, dx)
    norm = np.linalg.norm(c)
    if norm == 0:
        raise ValueError("the measured position lies where no available state reaches")
    return c / norm
