"""Potential shapes sampled on a uniform grid: barriers for scattering, wells for bound states.

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

Wells for bound states (:data:`WELLS`, used with :func:`physics.eigen.bound_states`) follow a
different edge rule, because the eigensolver extrapolates from the grid and from every 2nd and 4th
point of it: a sharp edge sits *on* a grid point whose index (counting from ``x[0]``) is a multiple
of :data:`EDGE_STRIDE` = 4, that point takes the mean of the two sides, and hard walls are ``+inf``
(psi = 0 there).  Then every edge is on a point of all three grids, and the extrapolation removes
the O(dx^2) and O(dx^4) errors (see :mod:`physics.eigen`).  :func:`snapped_edge` says where an edge
really is (on the lessons' grid, dx = 0.0125, edges fall on multiples of 0.05).  Every well has its
minimum at V = 0, so energies are positive and "how far above the floor" reads directly.
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
    "WELLS",
    "Well",
    "snapped_edge",
    "EDGE_STRIDE",
    "infinite_well",
    "finite_well",
    "box_barrier",
    "harmonic",
    "double_well",
    "asymmetric_well",
    "triangular_well",
    "morse",
    "poschl_teller",
    "well_array",
    "make_well",
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


# ---------------------------------------------------------------------------------------------
# Wells for bound states: edges on even grid points, hard walls as +inf, minimum at V = 0.
# ---------------------------------------------------------------------------------------------

#: Sharp well edges and walls fall on grid points whose index is a multiple of this.
EDGE_STRIDE = 4


def _edge_index(x: np.ndarray, edge: float) -> int:
    """Index (a multiple of EDGE_STRIDE) of the grid point nearest ``edge``, clipped to the grid."""
    dx = _spacing(x)
    s = EDGE_STRIDE
    i = s * int(np.rint((edge - x[0]) / (s * dx)))
    return int(np.clip(i, 0, x.size - 1 - (x.size - 1) % s))


def snapped_edge(x: np.ndarray, edge: float) -> float:
    """Where a well edge requested at ``edge`` really sits on ``x`` (see :data:`EDGE_STRIDE`)."""
    return float(np.asarray(x, dtype=float)[_edge_index(x, edge)])


def _piecewise(x: np.ndarray, edges: list[float], values: list[float]) -> np.ndarray:
    """Piecewise-constant V: ``values[i]`` between snapped ``edges[i-1]`` and ``edges[i]``.

    ``len(values) == len(edges) + 1``; a point exactly on an edge gets the mean of both sides, or
    +inf if either side is an infinite wall (psi must vanish on the wall itself).
    """
    x = np.asarray(x, dtype=float)
    idx = [_edge_index(x, e) for e in edges]
    V = np.full(x.size, float(values[0]))
    j = np.arange(x.size)
    for i, value in zip(idx, values[1:]):
        V[j > i] = float(value)
    for i, (a, b) in zip(idx, zip(values[:-1], values[1:])):
        V[i] = np.inf if np.isinf(a) or np.isinf(b) else 0.5 * (a + b)
    return V


def infinite_well(x: np.ndarray, width: float, position: float = 0.0) -> np.ndarray:
    """Infinite square well: V = 0 for |x - position| < width/2 and +inf outside.

    Exact: E_n = n^2 pi^2 / (2 width^2), n = 1, 2, ... (hbar = m = 1).
    """
    return _piecewise(x, [position - width / 2, position + width / 2], [np.inf, 0.0, np.inf])


def finite_well(x: np.ndarray, width: float, depth: float, position: float = 0.0) -> np.ndarray:
    """Finite square well: V = 0 for |x - position| < width/2, V = depth outside.

    Bound states (E < depth) solve  k tan(k a) = kappa  (even) or  -k cot(k a) = kappa  (odd), with
    k = sqrt(2E), kappa = sqrt(2(depth - E)), a = width/2; the grid ends add hard walls far out.
    """
    return _piecewise(x, [position - width / 2, position + width / 2], [depth, 0.0, depth])


def box_barrier(x: np.ndarray, width: float, height: float, barrier_width: float) -> np.ndarray:
    """A barrier inside a box: infinite walls at |x| = width/2, V = height for |x| < barrier_width/2.

    The third case of the PINN paper (arXiv 2504.05367).  With L = width/2, b = barrier_width/2,
    k = sqrt(2E) and, below the barrier top, q = sqrt(2(height - E)), the levels solve
    q tanh(q b) = -k cot(k (L - b)) (even) and q coth(q b) = -k cot(k (L - b)) (odd).
    """
    bw = min(float(barrier_width), float(width))
    return _piecewise(x, [-width / 2, -bw / 2, bw / 2, width / 2],
                      [np.inf, 0.0, height, 0.0, np.inf])


def harmonic(x: np.ndarray, omega: float) -> np.ndarray:
    """Harmonic oscillator V = omega^2 x^2 / 2.  Exact: E_n = omega (n + 1/2)."""
    x = np.asarray(x, dtype=float)
    return 0.5 * float(omega) ** 2 * x ** 2


def double_well(x: np.ndarray, separation: float, height: float) -> np.ndarray:
    """Quartic double well V = height ((2x / separation)^2 - 1)^2.

    Minima (V = 0) at x = +-separation/2, a barrier of ``height`` between them.  Below the barrier
    the levels come in pairs whose splitting (the tunnelling splitting) falls roughly exponentially
    with the barrier.
    """
    x = np.asarray(x, dtype=float)
    s = max(float(separation), 1e-9)
    return float(height) * ((2 * x / s) ** 2 - 1.0) ** 2


def asymmetric_well(x: np.ndarray, width: float, left: float, right: float) -> np.ndarray:
    """Square well of ``width`` with walls of different heights: V = left (x < -w/2), 0, right (x > w/2).

    Bound states (E < min(left, right)) solve
    k width = n pi - arcsin(k / sqrt(2 left)) - arcsin(k / sqrt(2 right)), n = 1, 2, ...
    """
    return _piecewise(x, [-width / 2, width / 2], [left, 0.0, right])


def triangular_well(x: np.ndarray, field: float, wall: float = -5.0) -> np.ndarray:
    """Triangular well (the quantum bouncer): a hard wall at ``wall`` and V = field (x - wall) beyond.

    Exact: E_n = (field^2 / 2)^(1/3) |a_n|, a_n the zeros of the Airy function Ai (hbar = m = 1).
    """
    x = np.asarray(x, dtype=float)
    i = _edge_index(x, wall)
    V = float(field) * (x - x[i])
    V[: i + 1] = np.inf
    return V


def morse(x: np.ndarray, depth: float, a: float, position: float = -2.0) -> np.ndarray:
    """Morse potential V = depth (1 - exp(-a (x - position)))^2 (minimum 0 at ``position``).

    Exact: E_n = w (n + 1/2) - w^2 (n + 1/2)^2 / (4 depth), w = a sqrt(2 depth), for
    n + 1/2 < sqrt(2 depth) / a; the levels crowd together below the dissociation energy ``depth``.
    """
    x = np.asarray(x, dtype=float)
    return float(depth) * (1.0 - np.exp(-float(a) * (x - position))) ** 2


def poschl_teller(x: np.ndarray, depth: float, a: float) -> np.ndarray:
    """Poeschl-Teller well V = depth tanh^2(a x) (the sech^2 well lifted so its floor is 0).

    With depth = lam (lam + 1) a^2 / 2, exact: E_n = depth - a^2 (lam - n)^2 / 2 for n < lam.
    """
    x = np.asarray(x, dtype=float)
    return float(depth) * np.tanh(float(a) * x) ** 2


def well_array(x: np.ndarray, count: int, width: float, depth: float, spacing: float) -> np.ndarray:
    """``count`` square wells of ``width`` (V = 0) whose centres are ``spacing`` apart, V = depth elsewhere.

    As count grows each single-well level spreads into a band of ``count`` levels: the start of
    band structure.  ``spacing`` is at least ``width``.
    """
    count = max(int(count), 1)
    spacing = max(float(spacing), float(width))
    centres = (np.arange(count) - (count - 1) / 2) * spacing
    edges, values = [], [depth]
    for c in centres:
        edges += [c - width / 2, c + width / 2]
        values += [0.0, depth]
    return _piecewise(x, edges, values)


class Well:
    """One entry of :data:`WELLS`: the function, a label for people, and the sliders it uses."""

    def __init__(self, fn, label: str, params: tuple[str, ...]):
        self.fn, self.label, self.params = fn, label, params

    def __call__(self, x: np.ndarray, **values) -> np.ndarray:
        return self.fn(x, *(values[p] for p in self.params))


#: name -> Well.  The keyword names are the lesson's slider names.
WELLS = {
    "infinite": Well(infinite_well, "Infinite square well", ("width",)),
    "finite": Well(finite_well, "Finite square well", ("width", "depth")),
    "box_barrier": Well(box_barrier, "Barrier inside a box", ("width", "height", "barrier_width")),
    "harmonic": Well(harmonic, "Harmonic oscillator", ("omega",)),
    "double": Well(double_well, "Double well (tunnelling splitting)", ("separation", "height")),
    "asymmetric": Well(asymmetric_well, "Asymmetric well", ("width", "depth", "right")),
    "triangular": Well(triangular_well, "Triangular well (uniform field)", ("field",)),
    "morse": Well(morse, "Morse (molecular bond)", ("depth", "range")),
    "poschl_teller": Well(poschl_teller, "Pöschl–Teller", ("depth", "range")),
    "array": Well(well_array, "Array of wells (bands)", ("count", "width", "depth", "spacing")),
}


def make_well(shape: str, x: np.ndarray, **values) -> np.ndarray:
    """Potential of the named well ``shape`` (a key of :data:`WELLS`) on ``x`` from slider values."""
    try:
        well = WELLS[shape]
    except KeyError:
        raise ValueError(f"unknown well {shape!r}; choose one of {sorted(WELLS)}") from None
    return well(x, **values)
