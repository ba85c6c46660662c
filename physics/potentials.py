"""Barrier shapes for scattering, sampled on a uniform grid.

Every function takes the grid ``x`` (uniform spacing ``dx``) and plain numbers and returns an
array ``V`` of the same shape, in energy units of hbar = m = 1.

Grid convention (shared with :mod:`physics.scattering` and :mod:`physics.wavepacket`): sample
``V[j]`` stands for the constant value of V on the cell ``[x[j] - dx/2, x[j] + dx/2)``.  Sharp edges
fall on cell boundaries: a rectangular barrier starts at the boundary nearest its left edge and is
``m = round(width / dx)`` whole cells wide, so the solvers simulate a barrier of width ``m * dx``
(within dx/2 of the request); :func:`snapped_width` returns that width so a lesson can say which
width it really simulates.  Without snapping, a barrier off by one
cell gives a transmission visibly different from the exact curve.

``position`` is the centre of symmetric shapes (rectangular, Gaussian, thin, double barrier) and the
rising edge of the one-sided shapes (step, triangular).
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "SHAPES",
    "rectangular",
    "gaussian",
    "double_barrier",
    "step",
    "triangular",
    "thin",
    "snapped_width",
    "make",
]


def _spacing(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 2:
        raise ValueError("x must be a one-dimensional grid with at least two points")
    return float(x[1] - x[0])


def _cells_between(x: np.ndarray, left: float, right: float) -> np.ndarray:
    """Boolean mask of round((right - left) / dx) whole cells starting at the boundary nearest ``left``.

    Rounding the cell count (rather than snapping both ends) keeps the width within dx/2 of the
    request, which matters because T depends exponentially on it; the centre may move by dx/2.
    """
    dx = _spacing(x)
    # Cell j spans [x0 + (j - 1/2) dx, x0 + (j + 1/2) dx): boundary i sits at x0 + (i - 1/2) dx.
    first = int(np.floor((left - x[0]) / dx + 1.0))
    count = max(int(np.rint((right - left) / dx)), 0)
    j = np.arange(x.size)
    return (j >= first) & (j < first + count)


def snapped_width(x: np.ndarray, width: float, position: float = 0.0) -> float:
    """Width that a rectangular barrier of nominal ``width`` centred at ``position`` really has on ``x``."""
    dx = _spacing(x)
    return float(np.count_nonzero(_cells_between(x, position - width / 2, position + width / 2)) * dx)


def rectangular(x: np.ndarray, height: float, width: float, position: float = 0.0) -> np.ndarray:
    """V = height on |x - position| < width/2, else 0 (edges snapped to cell boundaries)."""
    mask = _cells_between(x, position - width / 2, position + width / 2)
    return np.where(mask, float(height), 0.0)


def gaussian(x: np.ndarray, height: float, width: float, position: float = 0.0) -> np.ndarray:
    """V = height * exp(-4 ln2 (x - position)^2 / width^2): a smooth barrier whose FWHM is ``width``.

    Tails below 1e-15 * height are set to exactly 0: they change no transmission at double
    precision, and exact zeros let the transfer matrix treat the free region as one segment.
    """
    x = np.asarray(x, dtype=float)
    w = max(float(width), 1e-12)
    shape = np.exp(-4.0 * np.log(2.0) * ((x - position) / w) ** 2)
    return float(height) * np.where(shape < 1e-15, 0.0, shape)


def double_barrier(x: np.ndarray, height: float, width: float, position: float = 0.0,
                   separation: float = 2.0) -> np.ndarray:
    """Two rectangular barriers of ``width`` with a well of length ``separation`` between them.

    The pair is centred at ``position``; resonant tunnelling happens near the quasi-bound energies
    of the well, roughly E_n ~ (n pi / separation)^2 / 2.
    """
    half = separation / 2 + width / 2
    return np.maximum(rectangular(x, height, width, position - half),
                      rectangular(x, height, width, position + half))


def step(x: np.ndarray, height: float, width: float = 0.0, position: float = 0.0) -> np.ndarray:
    """V = height for x >= position, else 0 (a potential step; ``width`` is ignored).

    The step continues to the right end of the grid, so scattering off it needs
    ``outside=(0, height)`` in :func:`physics.scattering.transmission`.
    """
    del width
    x = np.asarray(x, dtype=float)
    return np.where(_cells_between(x, position, x[-1] + 2 * _spacing(x)), float(height), 0.0)


def triangular(x: np.ndarray, height: float, width: float, position: float = 0.0) -> np.ndarray:
    """Field-emission barrier: V jumps to ``height`` at ``position`` and falls linearly to 0 over ``width``.

    V(x) = height * (1 - (x - position) / width) for position <= x < position + width: a metal
    surface (work function ``height``) in a uniform field height/width (Fowler-Nordheim).
    """
    x = np.asarray(x, dtype=float)
    mask = _cells_between(x, position, position + width)
    w = max(float(width), 1e-12)
    ramp = float(height) * (1.0 - (x - position) / w)
    return np.where(mask, np.clip(ramp, 0.0, float(height)), 0.0)


def thin(x: np.ndarray, height: float, width: float, position: float = 0.0) -> np.ndarray:
    """A thin, delta-like barrier: rectangular, of at least one cell.

    When width -> 0 at fixed strength alpha = height * width it tends to alpha * delta(x - position),
    whose transmission is T = 1 / (1 + alpha^2 / (2 E)) (hbar = m = 1).  The snapped width is never
    less than one cell, so the barrier never disappears from the grid.
    """
    dx = _spacing(x)
    return rectangular(x, height, max(float(width), dx), position)


#: name -> (function, human label, whether it uses ``separation``)
SHAPES = {
    "rectangular": (rectangular, "Rectangular barrier", False),
    "gaussian": (gaussian, "Gaussian barrier", False),
    "double": (double_barrier, "Double barrier (resonant tunnelling)", True),
    "step": (step, "Potential step", False),
    "triangular": (triangular, "Triangular (field emission)", False),
    "thin": (thin, "Thin (delta-like) barrier", False),
}


def make(shape: str, x: np.ndarray, height: float, width: float, position: float = 0.0,
         separation: float = 2.0) -> np.ndarray:
    """Potential of the named ``shape`` (a key of :data:`SHAPES`) on the grid ``x``."""
    try:
        fn, _, uses_sep = SHAPES[shape]
    except KeyError:
        raise ValueError(f"unknown shape {shape!r}; choose one of {sorted(SHAPES)}") from None
    if uses_sep:
        return fn(x, height, width, position, separation)
    return fn(x, height, width, position)
