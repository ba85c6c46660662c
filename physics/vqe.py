"""Variational quantum eigensolver (VQE) on the Heisenberg chain of :mod:`physics.spinchain`.

What the lesson does with it: prepare a parametrised circuit on n qubits, estimate the energy of
the chain H (exactly, or from a finite number of shots as a quantum computer would, optionally
with gate noise), let a classical optimiser lower it, and undo the noise by zero-noise
extrapolation (polynomial, or a small neural network).

Conventions (those of :mod:`physics.spinchain`)
-----------------------------------------------
- Qubit 0 is the leftmost Kronecker factor: in a basis index b, qubit q is bit (n - 1 - q).
- ``|0>`` has sigma_z = +1; a measured outcome bit b_q gives the eigenvalue z_q = 1 - 2 b_q.
- Pauli strings are text over "IXYZ", character q acting on qubit q ("XZI" = X_0 Z_1).

The circuit (hardware-efficient ansatz, HEA)
--------------------------------------------
From ``|0...0>``, for l = 0 ... L (L = ``layers``)::

    every qubit q:  RY(params[l, q, 0]), then RZ(params[l, q, 1])
    if l < L:       CNOT(0 -> 1), CNOT(1 -> 2), ..., CNOT(n-2 -> n-1), in that order

with RY(theta) = exp(-i theta Y / 2), RZ(phi) = exp(-i phi Z / 2), so ``params`` has the shape
(L + 1, n, 2) and 2 n (L + 1) numbers.  The two rotations of a qubit are applied as one 2 x 2
matrix RZ RY.  Each parameter enters through a single exp(-i theta P / 2), so the parameter-shift
rule df/dtheta = [f(theta + pi/2) - f(theta - pi/2)] / 2 is exact.

Noise
-----
After every CNOT on the qubits (a, b) the two-qubit depolarising channel

    rho -> (1 - p) rho + p Tr_ab(rho) (x) I_ab / 4

acts (single-qubit rotations are noiseless).  Unitary folding scales the noise: with ``scale`` = s
(odd), each CNOT becomes s CNOTs (C C^dagger C ..., and C^dagger = C), each followed by the
channel.  The channel commutes with any unitary on (a, b) and two of them compose to one with
1 - (1 - p)(1 - q), so the folded gate equals one CNOT followed by the channel with
p_s = 1 - (1 - p)^s: that is what the kernel applies (the tests build the literal folded circuit).

Measurement
-----------
A quantum computer measures Z on every qubit.  Terms whose Paulis agree qubit by qubit (qubit-wise
commuting) share one setting: :func:`measurement_groups` gives the bases, and
:func:`measure_energy` rotates into each (H for X; H S^dagger for Y, which maps the Y eigenstates
``|+i>``, ``|-i>`` to ``|0>``, ``|1>``), samples ``shots`` outcomes per basis and averages prod z_q per
term.

Back-ends
---------
The state-vector and density-matrix circuits are in-place Numba kernels (``nogil``, cached); each
has a NumPy twin on the reshaped tensor (never a 2^n x 2^n gate matrix) that gives the same numbers
to ~1e-15 and runs where Numba does not (Pyodide; see :mod:`physics._backend`).  ``backend=``
picks one explicitly.  The density matrix holds 4^n complex numbers (n = 10: 16 MB).  Measured
(``bench/vqe.py``, one core): an exact energy of 6 qubits, 4 layers ~16 us compiled, ~0.2 ms NumPy;
a noisy one ~0.35 ms / 1.3 ms, at 8 qubits ~7 ms / 17 ms (twice that with 8 layers).
"""
from __future__ import annotations

import queue
import threading
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh
from scipy.optimize import minimize

from ._backend import HAVE_NUMBA
from .spinchain import _fields

__all__ = [
    "n_params",
    "params_shape",
    "hea_state",
    "energy",
    "noisy_state",
    "noisy_energy",
    "pauli_terms",
    "pauli_matrix",
    "terms_matrix",
    "measurement_groups",
    "measure_energy",
    "ground_state",
    "ground_fidelity",
    "spsa",
    "parameter_shift_gradient",
    "energy_gradient",
    "parameter_shift_descent",
    "cobyla",
    "richardson_weights",
    "richardson",
    "nn_extrapolate",
    "HAVE_NUMBA",
]

_PAULI = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}
# Rotations into the measurement basis: afterwards a Z measurement reads the Pauli's eigenvalue.
_SQRT_HALF = np.sqrt(0.5)
_BASIS_ROTATION = {
    "Z": np.eye(2, dtype=complex),
    "X": _SQRT_HALF * np.array([[1, 1], [1, -1]], dtype=complex),        # H
    "Y": _SQRT_HALF * np.array([[1, -1j], [1, 1j]], dtype=complex),      # H S^dagger
}
# L2 penalty of nn_extrapolate's weights (inputs and outputs standardised, so it is unit-free)
_NN_PENALTY = 1e-5


# ---- parameters ------------------------------------------------------------------------------

def n_params(n: int, layers: int) -> int:
    """Number of angles of the hardware-efficient ansatz: 2 n (layers + 1).

    Parameters
    ----------
    n : int
        Qubits (>= 1).
    layers : int
        Entangling layers L (>= 0); there are L + 1 rotation layers.

    Returns
    -------
    int

    Examples
    --------
    >>> n_params(4, 2)
    24
    """
    n, layers = _check_size(n, layers)
    return 2 * n * (layers + 1)


def params_shape(n: int, layers: int) -> tuple[int, int, int]:
    """Shape of the ansatz's parameter array: (layers + 1, n, 2), last axis (RY angle, RZ angle).

    Parameters
    ----------
    n : int
        Qubits (>= 1).
    layers : int
        Entangling layers L (>= 0).

    Returns
    -------
    tuple of int

    Examples
    --------
    >>> params_shape(3, 1)
    (2, 3, 2)
    """
    n, layers = _check_size(n, layers)
    return (layers + 1, n, 2)


def _check_size(n, layers) -> tuple[int, int]:
    n, layers = int(n), int(layers)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if layers < 0:
        raise ValueError(f"layers must be at least 0, got {layers}")
    return n, layers


def _as_params(n: int, params) -> np.ndarray:
    """params as a C-contiguous float array of shape (L + 1, n, 2); a flat array is reshaped."""
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    a = np.asarray(params, dtype=np.float64)
    if a.ndim == 1 and a.size and a.size % (2 * n) == 0:
        a = a.reshape(-1, n, 2)
    if a.ndim != 3 or a.shape[1:] != (n, 2) or a.shape[0] < 1:
        raise ValueError(f"params must have the shape (layers + 1, {n}, 2) (or that many numbers flat), "
                         f"got {np.shape(params)}")
    return np.ascontiguousarray(a)


def _rotations(params: np.ndarray) -> np.ndarray:
    """RZ(phi) RY(theta) for every (layer, qubit): shape (L + 1, n, 2, 2)."""
    half_theta = 0.5 * params[..., 0]
    c, s = np.cos(half_theta), np.sin(half_theta)
    e = np.exp(-0.5j * params[..., 1])            # RZ = diag(e, e*)
    u = np.empty(params.shape[:-1] + (2, 2), dtype=np.complex128)
    u[..., 0, 0] = e * c
    u[..., 0, 1] = -e * s
    u[..., 1, 0] = e.conj() * s
    u[..., 1, 1] = e.conj() * c
    return u


def _check_noise(p, scale) -> tuple[float, int]:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    if int(scale) != scale or scale < 1 or int(scale) % 2 == 0:
        raise ValueError(f"scale must be an odd positive integer (unitary folding), got {scale}")
    return p, int(scale)


# ---- NumPy kernels ---------------------------------------------------------------------------
# Here a density matrix rho (d x d, d = 2^n) is a vector of 2n qubits: its flat index is r * d + c,
# so register qubit q < n is qubit q of the row and n + q is qubit q of the column, and
# rho -> U rho U^dagger is U on register qubit q and conj(U) on register qubit n + q: the
# state-vector code serves both.  (The compiled kernels instead visit rho's 2 x 2 and 4 x 4 blocks
# once per gate: one pass instead of two or three.)

def _gate_numpy(v, nbits, k, u):
    """The 2 x 2 matrix u on register qubit k of the 2^nbits vector v, in place."""
    w = v.reshape(1 << k, 2, 1 << (nbits - 1 - k))
    a = w[:, 0, :].copy()
    b = w[:, 1, :]
    w[:, 0, :] = u[0, 0] * a + u[0, 1] * b
    w[:, 1, :] = u[1, 0] * a + u[1, 1] * b


def _cnot_numpy(v, nbits, c, t):
    """CNOT(control c -> target t), c < t, on the 2^nbits vector v, in place."""
    w = v.reshape(1 << c, 2, 1 << (t - c - 1), 2, 1 << (nbits - 1 - t))
    tmp = w[:, 1, :, 0, :].copy()
    w[:, 1, :, 0, :] = w[:, 1, :, 1, :]
    w[:, 1, :, 1, :] = tmp


def _depolarize_numpy(rho, n, a, p):
    """The two-qubit depolarising channel on qubits (a, a + 1) of the d x d matrix rho, in place."""
    left, right = 1 << a, 1 << (n - a - 2)
    t = rho.reshape(left, 4, right, left, 4, right)
    trace = np.einsum("xkyzkw->xyzw", t)          # Tr_ab (a new array, read before t changes)
    t *= 1.0 - p
    for k in range(4):
        t[:, k, :, :, k, :] += (0.25 * p) * trace


def _run_state_numpy(psi, gates, n):
    """The ansatz circuit (rotations ``gates`` (L + 1, n, 2, 2), CNOT ladders) on psi, in place."""
    last = gates.shape[0] - 1
    for layer in range(last + 1):
        for q in range(n):
            _gate_numpy(psi, n, q, gates[layer, q])
        if layer < last:
            for q in range(n - 1):
                _cnot_numpy(psi, n, q, q + 1)


def _run_density_numpy(rho, gates, n, p):
    """The ansatz circuit on the density matrix rho (d x d), channel p after each CNOT, in place."""
    flat = rho.reshape(-1)
    last = gates.shape[0] - 1
    for layer in range(last + 1):
        for q in range(n):
            _gate_numpy(flat, 2 * n, q, gates[layer, q])
            _gate_numpy(flat, 2 * n, n + q, gates[layer, q].conj())
        if layer < last:
            for q in range(n - 1):
                _cnot_numpy(flat, 2 * n, q, q + 1)
                _cnot_numpy(flat, 2 * n, n + q, n + q + 1)
                if p > 0.0:
                    _depolarize_numpy(rho, n, q, p)


if HAVE_NUMBA:  # pragma: no branch - which branch runs depends on the machine
    import numba

    @numba.njit(cache=True, nogil=True)
    def _gate_numba(v, nbits, k, u00, u01, u10, u11):
        """The 2 x 2 matrix [[u00, u01], [u10, u11]] on register qubit k of v, in place."""
        stride = 1 << (nbits - 1 - k)
        for start in range(0, v.size, 2 * stride):
            for i in range(start, start + stride):
                a = v[i]
                b = v[i + stride]
                v[i] = u00 * a + u01 * b
                v[i + stride] = u10 * a + u11 * b

    @numba.njit(cache=True, nogil=True)
    def _cnot_numba(v, nbits, c, t):
        """CNOT(c -> t) on v, in place: swap the amplitudes of t = 0 and t = 1 where c = 1."""
        cmask = 1 << (nbits - 1 - c)
        tmask = 1 << (nbits - 1 - t)
        for i in range(v.size):
            if (i & cmask) != 0 and (i & tmask) == 0:
                j = i | tmask
                tmp = v[i]
                v[i] = v[j]
                v[j] = tmp

    @numba.njit(cache=True, nogil=True)
    def _conjugate_numba(rho, n, q, u00, u01, u10, u11):
        """rho -> U rho U^dagger for U = [[u00, u01], [u10, u11]] on qubit q, in place: one pass
        over the 2 x 2 blocks of rho over that qubit (rows and columns together)."""
        dim = 1 << n
        m = 1 << (n - 1 - q)
        v00, v01, v10, v11 = np.conj(u00), np.conj(u01), np.conj(u10), np.conj(u11)
        for r_start in range(0, dim, 2 * m):
            for r in range(r_start, r_start + m):
                r1 = r | m
                for c_start in range(0, dim, 2 * m):
                    for c in range(c_start, c_start + m):
                        c1 = c | m
                        b00 = rho[r, c]
                        b01 = rho[r, c1]
                        b10 = rho[r1, c]
                        b11 = rho[r1, c1]
                        t00 = u00 * b00 + u01 * b10
                        t01 = u00 * b01 + u01 * b11
                        t10 = u10 * b00 + u11 * b10
                        t11 = u10 * b01 + u11 * b11
                        rho[r, c] = t00 * v00 + t01 * v01
                        rho[r, c1] = t00 * v10 + t01 * v11
                        rho[r1, c] = t10 * v00 + t11 * v01
                        rho[r1, c1] = t10 * v10 + t11 * v11

    @numba.njit(cache=True, nogil=True)
    def _cnot_depolarize_numba(rho, n, a, p):
        """CNOT(a -> a + 1) then the two-qubit depolarising channel on (a, a + 1), in place, in one
        pass: every 4 x 4 block B over those qubits (the others fixed) becomes
        (1 - p) P B P + p Tr(B) I / 4, P the CNOT's permutation (|10> <-> |11>)."""
        dim = 1 << n
        ma = 1 << (n - 1 - a)
        mb = 1 << (n - 2 - a)
        both = ma | mb
        keep = 1.0 - p
        add = 0.25 * p
        offsets = (0, mb, ma, both)            # the block's states |ab> = 00, 01, 10, 11
        permuted = (0, mb, both, ma)           # offsets[P[k]]: the CNOT swaps 10 and 11
        block = np.empty((4, 4), dtype=np.complex128)
        for r in range(dim):
            if r & both:
                continue
            for c in range(dim):
                if c & both:
                    continue
                trace = rho[r, c] + rho[r | mb, c | mb] + rho[r | ma, c | ma] + rho[r | both, c | both]
                for i in range(4):
                    for j in range(4):
                        block[i, j] = rho[r | permuted[i], c | permuted[j]]
                for i in range(4):
                    for j in range(4):
                        rho[r | offsets[i], c | offsets[j]] = keep * block[i, j]
                    rho[r | offsets[i], c | offsets[i]] += add * trace

    @numba.njit(cache=True, nogil=True)
    def _run_state_numba(psi, gates, n):
        """The ansatz circuit (rotations ``gates`` (L + 1, n, 2, 2), CNOT ladders) on psi, in place."""
        last = gates.shape[0] - 1
        for layer in range(last + 1):
            for q in range(n):
                _gate_numba(psi, n, q, gates[layer, q, 0, 0], gates[layer, q, 0, 1],
                            gates[layer, q, 1, 0], gates[layer, q, 1, 1])
            if layer < last:
                for q in range(n - 1):
                    _cnot_numba(psi, n, q, q + 1)

    @numba.njit(cache=True, nogil=True)
    def _run_density_numba(rho, gates, n, p):
        """The ansatz circuit on the density matrix rho (d x d), channel p after each CNOT, in place."""
        last = gates.shape[0] - 1
        for layer in range(last + 1):
            for q in range(n):
                _conjugate_numba(rho, n, q, gates[layer, q, 0, 0], gates[layer, q, 0, 1],
                                 gates[layer, q, 1, 0], gates[layer, q, 1, 1])
            if layer < last:
                for q in range(n - 1):
                    _cnot_depolarize_numba(rho, n, q, p)

    _run_state, _run_density = _run_state_numba, _run_density_numba
else:
    _run_state, _run_density = _run_state_numpy, _run_density_numpy


def _kernels(backend):
    if backend is None:
        return _run_state, _run_density
    if backend == "numpy":
        return _run_state_numpy, _run_density_numpy
    if backend == "numba":
        if not HAVE_NUMBA:
            raise RuntimeError("the numba backend is not available here")
        return _run_state_numba, _run_density_numba
    raise ValueError("backend must be None, 'numba' or 'numpy'")


# ---- states and energies ---------------------------------------------------------------------

def hea_state(n: int, params, backend: str | None = None) -> np.ndarray:
    """The hardware-efficient ansatz state ``|psi(params)> = U_L ... U_0 |0...0>``.

    .. math:: U_l = \\Big[\\prod_{q=0}^{n-2} \\mathrm{CNOT}_{q \\to q+1}\\Big]_{l < L}
              \\bigotimes_q R_Z(\\phi_{lq}) R_Y(\\theta_{lq}),
              \\quad R_Y(\\theta) = e^{-i\\theta Y/2},\\ R_Z(\\phi) = e^{-i\\phi Z/2}

    (the CNOT ladder 0 -> 1, 1 -> 2, ... follows every rotation layer but the last).  Qubit 0 is
    the leftmost Kronecker factor.

    Parameters
    ----------
    n : int
        Qubits (>= 1).
    params : array
        Shape (L + 1, n, 2): ``params[l, q] = (theta, phi)``; the number of layers L is
        ``params.shape[0] - 1``.  A flat array of 2 n (L + 1) numbers is read in that order.
    backend : {None, "numba", "numpy"}
        Kernel; None takes Numba where it is available.

    Returns
    -------
    ndarray
        Complex state vector of length 2^n (normalised).

    Examples
    --------
    >>> psi = hea_state(2, [[[np.pi / 2, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])
    >>> np.round(psi.real, 6)                     # RY(pi/2) on qubit 0, then CNOT: a Bell state
    array([0.707107, 0.      , 0.      , 0.707107])
    """
    run_state, _ = _kernels(backend)
    params = _as_params(n, params)
    psi = np.zeros(1 << int(n), dtype=np.complex128)
    psi[0] = 1.0
    run_state(psi, _rotations(params), int(n))
    return psi


def energy(state, H) -> float:
    """``<psi|H|psi>`` for a state vector, or Tr(rho H) for a density matrix (real part).

    Parameters
    ----------
    state : ndarray
        State vector (length d) or density matrix (d x d).
    H : ndarray or scipy.sparse matrix
        Hermitian d x d operator.

    Returns
    -------
    float

    Examples
    --------
    >>> from physics import spinchain
    >>> psi = np.array([0, 1, -1, 0]) / np.sqrt(2)            # the singlet
    >>> round(energy(psi, spinchain.hamiltonian(2, 1, 1, 1)), 12)
    -3.0
    """
    s = np.asarray(state)
    if s.ndim == 2:
        return _trace_product(s, H)
    return float(np.real(np.vdot(s, H @ s)))


def _trace_product(rho, H) -> float:
    """Re Tr(rho H) = Re sum_ij rho_ij H_ji, without forming rho H."""
    if sp.issparse(H):
        coo = H.tocoo()
        return float(np.real(np.sum(coo.data * rho[coo.col, coo.row])))
    return float(np.real(np.sum(rho * np.asarray(H).T)))


def noisy_state(n: int, params, p: float, scale: int = 1, backend: str | None = None) -> np.ndarray:
    """Density matrix of the ansatz circuit with a two-qubit depolarising channel after each CNOT.

    .. math:: \\rho \\to (1 - p)\\,\\rho + p\\, \\mathrm{Tr}_{ab}(\\rho) \\otimes I_{ab}/4
              \\quad\\text{after every } \\mathrm{CNOT}_{a \\to b}

    With ``scale`` = s each CNOT is folded into s CNOTs, each followed by the channel; this equals
    one CNOT and the channel with p_s = 1 - (1 - p)^s (the channel commutes with the CNOT), which
    is how it is computed.  Rotations are noiseless, so with 0 layers the state is pure.

    Parameters
    ----------
    n : int
        Qubits (>= 1).
    params : array
        As for :func:`hea_state`.
    p : float
        Depolarising probability per CNOT, in [0, 1].
    scale : int
        Noise scale factor, an odd positive integer (1, 3, 5, ...).
    backend : {None, "numba", "numpy"}
        Kernel; None takes Numba where it is available.

    Returns
    -------
    ndarray
        Complex 2^n x 2^n density matrix (Hermitian, trace 1, positive).

    Examples
    --------
    >>> rho = noisy_state(2, np.zeros((2, 2, 2)), p=1.0)          # |00>, one CNOT, fully depolarised
    >>> np.allclose(rho, np.eye(4) / 4)
    True
    """
    _, run_density = _kernels(backend)
    p, scale = _check_noise(p, scale)
    params = _as_params(n, params)
    dim = 1 << int(n)
    rho = np.zeros((dim, dim), dtype=np.complex128)
    rho[0, 0] = 1.0
    run_density(rho, _rotations(params), int(n), 1.0 - (1.0 - p) ** scale)
    return rho


def noisy_energy(n: int, params, H, p: float, scale: int = 1, backend: str | None = None) -> float:
    """Tr(rho H) for the noisy circuit of :func:`noisy_state`.

    Parameters
    ----------
    n : int
        Qubits (>= 1).
    params : array
        As for :func:`hea_state`.
    H : ndarray or scipy.sparse matrix
        Hermitian 2^n x 2^n Hamiltonian.
    p : float
        Depolarising probability per CNOT, in [0, 1].
    scale : int
        Noise scale factor (odd positive integer).
    backend : {None, "numba", "numpy"}
        Kernel; None takes Numba where it is available.

    Returns
    -------
    float

    Examples
    --------
    >>> from physics import spinchain
    >>> H = spinchain.hamiltonian(2, 1, 1, 1)
    >>> round(noisy_energy(2, np.zeros((2, 2, 2)), H, p=1.0), 12)     # Tr(H) / 4
    0.0
    """
    return _trace_product(noisy_state(n, params, p, scale, backend), H)


# ---- Pauli strings ---------------------------------------------------------------------------

def pauli_terms(n: int, Jx: float, Jy: float, Jz: float, D: float = 0.0, K: float = 0.0,
                fields=None) -> list[tuple[float, str]]:
    """The chain of :func:`physics.spinchain.hamiltonian` as a real-weighted sum of Pauli strings.

    .. math:: H = \\sum_i \\big[J_x X_iX_{i+1} + J_y Y_iY_{i+1} + J_z Z_iZ_{i+1}
              + (D + K)\\, X_iY_{i+1} + (K - D)\\, Y_iX_{i+1}\\big] + \\sum_i B_i Z_i

    (D: Dzyaloshinsky-Moriya, K: KSEA).  Terms come bond by bond (XX, YY, ZZ, XY, YX), then the
    fields; zero weights are left out.

    Parameters
    ----------
    n : int
        Sites (qubits), >= 1 (one site has no bonds).
    Jx, Jy, Jz, D, K : float
        Couplings, as in :func:`physics.spinchain.hamiltonian`.
    fields : None, float or sequence
        Zeeman fields B_i: none, one for all sites, or one per site.

    Returns
    -------
    list of (float, str)
        ``(weight, string)``, string character q the Pauli on qubit q.

    Examples
    --------
    >>> pauli_terms(2, 1.0, 1.0, 0.5, fields=0.2)
    [(1.0, 'XX'), (1.0, 'YY'), (0.5, 'ZZ'), (0.2, 'ZI'), (0.2, 'IZ')]
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    B = _fields(n, fields)
    bond = (("XX", Jx), ("YY", Jy), ("ZZ", Jz), ("XY", D + K), ("YX", K - D))
    terms = []
    for i in range(n - 1):
        for pair, weight in bond:
            if weight != 0:
                terms.append((float(weight), "I" * i + pair + "I" * (n - 2 - i)))
    for i in range(n):
        if B[i] != 0:
            terms.append((float(B[i]), "I" * i + "Z" + "I" * (n - 1 - i)))
    return terms


def _check_string(s: str, n: int | None = None) -> str:
    if not isinstance(s, str) or not s or set(s) - set("IXYZ"):
        raise ValueError(f"a Pauli string is a non-empty text over 'IXYZ', got {s!r}")
    if n is not None and len(s) != n:
        raise ValueError(f"Pauli string {s!r} does not have {n} characters")
    return s


def pauli_matrix(string: str) -> np.ndarray:
    """The dense matrix of a Pauli string, P_0 (x) P_1 (x) ... (character q on qubit q).

    Meant for tests and small n (it is 2^n x 2^n dense); :func:`terms_matrix` builds sums sparse.

    Parameters
    ----------
    string : str
        Text over "IXYZ".

    Returns
    -------
    ndarray
        Complex 2^n x 2^n matrix.

    Examples
    --------
    >>> pauli_matrix("ZI").real.diagonal()
    array([ 1.,  1., -1., -1.])
    """
    out = np.ones((1, 1), dtype=complex)
    for ch in _check_string(string):
        out = np.kron(out, _PAULI[ch])
    return out


@lru_cache(maxsize=16)
def _zsigns(n: int) -> np.ndarray:
    """z[q, b] = 1 - 2 (bit n - 1 - q of b): the Z eigenvalue of qubit q in basis state b."""
    b = np.arange(1 << n)
    z = 1 - 2 * ((b[None, :] >> (n - 1 - np.arange(n))[:, None]) & 1)
    z.setflags(write=False)
    return z


def terms_matrix(terms, n: int) -> sp.csr_matrix:
    """sum_t c_t P_t as a sparse 2^n x 2^n matrix.

    Built from the action on basis states: X flips bit q, Y flips it with the factor i z_q, Z
    multiplies by z_q (z_q = +-1 the Z eigenvalue), so ``P|b> = phase(b) |b xor flips>``.

    Parameters
    ----------
    terms : list of (float, str)
        Weights and Pauli strings of length n (as from :func:`pauli_terms`).
    n : int
        Qubits.

    Returns
    -------
    scipy.sparse.csr_matrix
        Complex.

    Examples
    --------
    >>> terms_matrix([(2.0, "XI"), (1.0, "IZ")], 2).toarray().real
    array([[ 1.,  0.,  2.,  0.],
           [ 0., -1.,  0.,  2.],
           [ 2.,  0.,  1.,  0.],
           [ 0.,  2.,  0., -1.]])
    """
    n = int(n)
    dim = 1 << n
    b = np.arange(dim)
    z = _zsigns(n)
    rows, cols, data = [], [], []
    for c, s in terms:
        _check_string(s, n)
        flips = 0
        amp = np.full(dim, complex(c))
        for q, ch in enumerate(s):
            if ch in "XY":
                flips |= 1 << (n - 1 - q)
            if ch in "YZ":
                amp = amp * z[q]
            if ch == "Y":
                amp = amp * 1j
        rows.append(b ^ flips)
        cols.append(b)
        data.append(amp)
    if not data:
        return sp.csr_matrix((dim, dim), dtype=complex)
    H = sp.coo_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(dim, dim))
    return H.tocsr()


def measurement_groups(terms) -> list[tuple[str, list[int]]]:
    """Qubit-wise commuting groups of Pauli terms: one measurement basis each.

    Two terms can share a basis when, on every qubit both act on, they have the same Pauli.
    Greedy and deterministic: terms are taken by their first non-identity qubit (then their order
    in ``terms``) and each joins the compatible group that already agrees with it on the most
    qubits (the earliest on a tie), or opens a new one.  On the chain of :func:`pauli_terms` that
    gives at most 5 bases: all Z (ZZ and field terms), all X, all Y, and X Y X Y ... and
    Y X Y X ... for the DM/KSEA terms XY, YX.

    Parameters
    ----------
    terms : list of (float, str)
        Weights and Pauli strings, all of one length n.

    Returns
    -------
    list of (str, list of int)
        ``(basis, indices)``: the basis over "XYZ" (a qubit no term of the group touches is
        measured in Z) and the indices into ``terms`` it measures, ascending.  Identity terms
        (all "I", a constant) belong to no group.

    Examples
    --------
    >>> measurement_groups([(1.0, "XX"), (1.0, "YY"), (0.5, "ZZ"), (0.2, "ZI"), (3.0, "II")])
    [('XX', [0]), ('YY', [1]), ('ZZ', [2, 3])]
    """
    strings = [_check_string(s) for _, s in terms]
    if len({len(s) for s in strings}) > 1:
        raise ValueError("all Pauli strings must have the same length")

    def first_active(i):
        return next(q for q, ch in enumerate(strings[i]) if ch != "I")

    order = sorted((i for i, s in enumerate(strings) if set(s) != {"I"}), key=lambda i: (first_active(i), i))
    bases: list[list[str | None]] = []
    members: list[list[int]] = []
    for i in order:
        s = strings[i]
        best, best_agree = None, -1
        for g, basis in enumerate(bases):
            agree = 0
            for ch, have in zip(s, basis):
                if ch == "I" or have is None:
                    continue
                if ch != have:
                    break
                agree += 1
            else:
                if agree > best_agree:
                    best, best_agree = g, agree
        if best is None:
            bases.append([None] * len(s))
            members.append([])
            best = len(bases) - 1
        for q, ch in enumerate(s):
            if ch != "I":
                bases[best][q] = ch
        members[best].append(i)
    return [("".join(ch or "Z" for ch in basis), sorted(idx)) for basis, idx in zip(bases, members)]


@lru_cache(maxsize=256)
def _group_values(group_terms: tuple, n: int) -> np.ndarray:
    """e(b) = sum_t c_t prod_{q in t} z_q(b): the group's energy for each outcome b (read-only).

    Cached: an optimiser measures the same groups thousands of times (it was a third of a
    measured energy's time at 8 qubits)."""
    z = _zsigns(n)
    e = np.zeros(1 << n)
    for c, s in group_terms:
        prod = np.ones(1 << n)
        for q, ch in enumerate(s):
            if ch != "I":
                prod = prod * z[q]
        e += c * prod
    e.setflags(write=False)
    return e


def measure_energy(n: int, params, terms, shots, rng, p: float = 0.0, scale: int = 1,
                   groups=None, state=None) -> tuple[float, float]:
    """The energy of the ansatz state estimated from measurement outcomes, as a quantum computer does.

    For each group (basis) of :func:`measurement_groups`: rotate into the basis (H for X,
    H S^dagger for Y), take the outcome probabilities P(b) of the state (``p == 0``: the pure
    :func:`hea_state`; ``p > 0``: the density matrix of :func:`noisy_state` at ``scale``), draw
    ``shots`` outcomes (multinomial) and average the group's per-shot energy
    e(b) = sum_t c_t prod_{q in t} z_q(b).  The estimate is the sum over groups (plus the identity
    terms' constant), its standard error

    .. math:: \\sigma = \\Big(\\sum_g s_g^2 / N\\Big)^{1/2},

    s_g^2 the sample variance (ddof 1) of e over the group's N shots.

    Parameters
    ----------
    n : int
        Qubits.
    params : array
        As for :func:`hea_state`.
    terms : list of (float, str)
        The Hamiltonian as Pauli terms (:func:`pauli_terms`).
    shots : int or None
        Shots per group (so the total is ``shots * len(groups)``); None or 0 gives the exact
        expectation sum_b P(b) e(b) and standard error 0.  With 1 shot the error is nan.
    rng : numpy.random.Generator or seed
        Source of the samples.
    p : float
        Depolarising probability per CNOT (0: noiseless).
    scale : int
        Noise scale factor (odd positive integer), used when p > 0.
    groups : list, optional
        Precomputed :func:`measurement_groups` (``terms`` order); computed when None.
    state : ndarray, optional
        The circuit's state already simulated for these ``params``, ``p`` and ``scale`` (the
        vector of :func:`hea_state`, or the density matrix of :func:`noisy_state` when p > 0), so
        that a caller that also needs the state simulates it once.

    Returns
    -------
    (float, float)
        Estimate and its standard error.

    Examples
    --------
    >>> terms = pauli_terms(2, 1.0, 1.0, 1.0)
    >>> x = np.random.default_rng(1).normal(size=(2, 2, 2))
    >>> e, err = measure_energy(2, x, terms, shots=None, rng=None)
    >>> bool(abs(e - energy(hea_state(2, x), terms_matrix(terms, 2))) < 1e-12), err
    (True, 0.0)
    """
    n = int(n)
    params = _as_params(n, params)
    p, scale = _check_noise(p, scale)
    if groups is None:
        groups = measurement_groups(terms)
    exact = shots is None or int(shots) == 0
    if not exact:
        shots = int(shots)
        if shots < 0:
            raise ValueError(f"shots must be positive (or None/0 for the exact value), got {shots}")
        rng = np.random.default_rng(rng)
    constant = sum(float(c) for c, s in terms if set(_check_string(s, n)) == {"I"})
    if state is None:
        state = noisy_state(n, params, p, scale) if p > 0 else hea_state(n, params)
    total, variance = constant, 0.0
    for basis, indices in groups:
        _check_string(basis, n)
        rotation = np.ascontiguousarray(np.stack([_BASIS_ROTATION[ch] for ch in basis])[None])
        rotated = state.copy()
        if p > 0:
            _run_density(rotated, rotation, n, 0.0)
            prob = np.real(np.diagonal(rotated)).copy()
        else:
            _run_state(rotated, rotation, n)
            prob = rotated.real ** 2 + rotated.imag ** 2
        values = _group_values(tuple((float(terms[i][0]), terms[i][1]) for i in indices), n)
        if exact:
            total += float(prob @ values)
            continue
        prob = np.clip(prob, 0.0, None)              # rounding can leave -1e-17
        counts = rng.multinomial(shots, prob / prob.sum())
        mean = float(counts @ values) / shots
        total += mean
        if shots > 1:
            variance += float(counts @ (values - mean) ** 2) / (shots - 1) / shots
        else:
            variance = np.nan
    return total, float(np.sqrt(variance))


# ---- exact reference -------------------------------------------------------------------------

def ground_state(H, tol: float = 1e-9) -> tuple[float, np.ndarray]:
    """Ground energy and an orthonormal basis of the ground space, by dense diagonalisation.

    Eigenvalues within ``tol`` * max(1, spectral width) of the lowest count as degenerate.

    Parameters
    ----------
    H : ndarray or scipy.sparse matrix
        Hermitian d x d.
    tol : float
        Relative degeneracy tolerance.

    Returns
    -------
    (float, ndarray)
        E0 and a d x g matrix whose columns span the ground space.

    Examples
    --------
    >>> from physics import spinchain
    >>> E0, g = ground_state(spinchain.hamiltonian(2, 1, 1, 1))
    >>> round(E0, 12), g.shape
    (-3.0, (4, 1))
    """
    dense = H.toarray() if sp.issparse(H) else np.asarray(H)
    w, v = eigh(dense)
    width = max(1.0, float(w[-1] - w[0]))
    return float(w[0]), v[:, w <= w[0] + tol * width]


def ground_fidelity(state, ground) -> float:
    """Weight of the state in the ground space: ``sum_k |<g_k|psi>|^2`` (1 for a ground state).

    Parameters
    ----------
    state : ndarray
        Normalised state vector (length d).
    ground : ndarray
        d x g orthonormal columns (from :func:`ground_state`).

    Returns
    -------
    float

    Examples
    --------
    >>> round(ground_fidelity(np.array([1.0, 0.0]), np.array([[1.0], [1.0]]) / np.sqrt(2)), 12)
    0.5
    """
    overlaps = np.asarray(ground).conj().T @ np.asarray(state)
    return float(np.real(np.vdot(overlaps, overlaps)))


# ---- optimisers ------------------------------------------------------------------------------

def _flat(x0) -> np.ndarray:
    return np.array(x0, dtype=np.float64).ravel()


def spsa(f, x0, rng, step: float = 0.2, perturbation: float = 0.15, alpha: float = 0.602,
         gamma: float = 0.101, stability: float | None = None):
    """Simultaneous-perturbation stochastic approximation (Spall), as an endless generator.

    Iteration k = 0, 1, ...:

    .. math:: a_k = \\frac{a}{(k + 1 + A)^{\\alpha}},\\quad c_k = \\frac{c}{(k + 1)^{\\gamma}},\\quad
              g = \\frac{f(x + c_k\\Delta) - f(x - c_k\\Delta)}{2 c_k}\\,\\Delta,\\quad x \\leftarrow x - a_k g

    with Delta a random +-1 vector: two evaluations of f per iteration whatever the dimension,
    and it tolerates a noisy f (shot noise).  alpha = 0.602 and gamma = 0.101 are Spall's
    practical exponents (J. C. Spall, IEEE Trans. Aerosp. Electron. Syst. 34, 817 (1998)).

    Parameters
    ----------
    f : callable
        f(x) -> float for a flat parameter vector x.
    x0 : array
        Start (flattened; copied).
    rng : numpy.random.Generator or seed
        Source of the perturbations.
    step : float
        a, the gain numerator.
    perturbation : float
        c, the size of the perturbation.
    alpha, gamma : float
        Decay exponents of a_k and c_k.
    stability : float, optional
        A (default 10, about 10 % of a typical run's iterations): damps the first steps.

    Yields
    ------
    (ndarray, int)
        A copy of the current iterate and the number of calls of f so far; first (x0, 0).  It
        never ends: stop when you like (``itertools.islice``, ``break``).

    Examples
    --------
    >>> from itertools import islice
    >>> f = lambda x: float(np.sum((x - 1.0) ** 2))
    >>> *_, (x, calls) = islice(spsa(f, np.zeros(3), np.random.default_rng(0), step=1.0), 301)
    >>> calls, bool(f(x) < 1e-3)
    (600, True)
    """
    x = _flat(x0)
    rng = np.random.default_rng(rng)
    A = 10.0 if stability is None else float(stability)
    yield x.copy(), 0
    k = 0
    evaluations = 0
    while True:
        a_k = step / (k + 1 + A) ** alpha
        c_k = perturbation / (k + 1) ** gamma
        delta = 2.0 * rng.integers(0, 2, size=x.size) - 1.0
        difference = float(f(x + c_k * delta)) - float(f(x - c_k * delta))
        evaluations += 2
        x = x - (a_k * difference / (2.0 * c_k)) * delta      # 1 / Delta_i = Delta_i
        k += 1
        yield x.copy(), evaluations


def energy_gradient(n: int, params, H) -> tuple[float, np.ndarray]:
    """The energy of the ansatz state and its exact gradient in every angle, by the adjoint method.

    With the gates in circuit order, psi_k = U_k psi_(k-1) and lambda_k = (U_N ... U_(k+1))^dagger
    H psi_N, a gate U_k = exp(-i theta P / 2) contributes

    .. math:: \\frac{\\partial E}{\\partial \\theta} = \\mathrm{Im}\\,\\langle\\lambda_k | P | \\psi_k\\rangle,

    which one backward sweep (un-applying each gate to psi and lambda) gives for all angles: the
    cost of about three circuit runs, against 2 x (number of angles) for the parameter-shift rule
    (:func:`parameter_shift_gradient`, which it equals; what a quantum computer must use).  NumPy
    only (a classical reference: the lesson's noiseless optimum).

    Parameters
    ----------
    n : int
        Number of qubits.
    params : array, shape (layers + 1, n, 2)
        The angles (:func:`hea_state`; a flat array of that size is reshaped).
    H : ndarray or scipy.sparse matrix
        The Hermitian 2^n x 2^n Hamiltonian.

    Returns
    -------
    (float, ndarray)
        E = <psi|H|psi> and dE/dparams, with the shape of ``params``.

    Examples
    --------
    >>> from physics import spinchain
    >>> H = spinchain.hamiltonian(2, 1, 1, 1)
    >>> E, g = energy_gradient(2, np.zeros((2, 2, 2)), H)
    >>> round(E, 12), g.shape
    (1.0, (2, 2, 2))
    """
    a = _as_params(n, params)
    n = int(n)
    psi = hea_state(n, a, backend="numpy")
    lam = np.asarray(H @ psi).ravel()
    E = float(np.real(np.vdot(psi, lam)))
    grad = np.zeros_like(a)
    y, z = _PAULI["Y"], _PAULI["Z"]
    for layer in range(a.shape[0] - 1, -1, -1):
        if layer < a.shape[0] - 1:
            for q in range(n - 2, -1, -1):           # CNOT is its own inverse
                _cnot_numpy(psi, n, q, q + 1)
                _cnot_numpy(lam, n, q, q + 1)
        for q in range(n):
            theta, phi = a[layer, q]
            # RZ was applied last on this qubit: its term, then un-apply it
            p_psi = psi.copy()
            _gate_numpy(p_psi, n, q, z)
            grad[layer, q, 1] = np.imag(np.vdot(lam, p_psi))
            rz_inv = np.diag([np.exp(0.5j * phi), np.exp(-0.5j * phi)])
            _gate_numpy(psi, n, q, rz_inv)
            _gate_numpy(lam, n, q, rz_inv)
            p_psi = psi.copy()
            _gate_numpy(p_psi, n, q, y)
            grad[layer, q, 0] = np.imag(np.vdot(lam, p_psi))
            c, s_ = np.cos(0.5 * theta), np.sin(0.5 * theta)
            ry_inv = np.array([[c, s_], [-s_, c]], dtype=complex)
            _gate_numpy(psi, n, q, ry_inv)
            _gate_numpy(lam, n, q, ry_inv)
    return E, grad


def parameter_shift_gradient(f, x) -> np.ndarray:
    """The exact gradient of a circuit's expectation by the parameter-shift rule.

    .. math:: \\frac{\\partial f}{\\partial \\theta_k} = \\frac{f(\\theta + \\tfrac{\\pi}{2} e_k)
              - f(\\theta - \\tfrac{\\pi}{2} e_k)}{2}

    Exact (not a finite difference) when theta_k enters through one gate exp(-i theta_k P / 2),
    P a Pauli, as every angle of :func:`hea_state` does.  2 P evaluations.

    Parameters
    ----------
    f : callable
        f(x) -> float for a flat parameter vector x.
    x : array
        Where (flattened).

    Returns
    -------
    ndarray
        The gradient, flat.

    Examples
    --------
    >>> f = lambda x: float(np.cos(x[0]) + 2 * np.sin(x[1]))     # the form every circuit angle gives
    >>> np.round(parameter_shift_gradient(f, [0.3, 0.4]), 12) == np.round([-np.sin(0.3), 2 * np.cos(0.4)], 12)
    array([ True,  True])
    """
    x = _flat(x)
    grad = np.empty_like(x)
    shifted = x.copy()
    for k in range(x.size):
        shifted[k] = x[k] + 0.5 * np.pi
        plus = float(f(shifted))
        shifted[k] = x[k] - 0.5 * np.pi
        minus = float(f(shifted))
        shifted[k] = x[k]
        grad[k] = 0.5 * (plus - minus)
    return grad


def parameter_shift_descent(f, x0, step: float = 0.1):
    """Gradient descent with the parameter-shift gradient, as an endless generator.

    x <- x - step * grad f(x), the gradient from :func:`parameter_shift_gradient`: 2 P
    evaluations per iteration (P parameters).

    Parameters
    ----------
    f : callable
        f(x) -> float for a flat parameter vector x.
    x0 : array
        Start (flattened; copied).
    step : float
        Learning rate.

    Yields
    ------
    (ndarray, int)
        A copy of the current iterate and the number of calls of f so far; first (x0, 0).

    Examples
    --------
    >>> from itertools import islice
    >>> f = lambda x: float(np.cos(x[0]) + np.cos(x[1]))
    >>> *_, (x, calls) = islice(parameter_shift_descent(f, [0.5, -0.5], step=0.5), 51)
    >>> calls, round(f(x), 6)
    (200, -2.0)
    """
    x = _flat(x0)
    yield x.copy(), 0
    evaluations = 0
    while True:
        x = x - step * parameter_shift_gradient(f, x)
        evaluations += 2 * x.size
        yield x.copy(), evaluations


class _Stop(Exception):
    """Raised in the COBYLA thread's objective to end SciPy's run when the generator is closed."""


_STOP = object()


def cobyla(f, x0, step: float = 0.5, maxiter: int = 10000):
    """SciPy's COBYLA (derivative-free, linear models in a trust region) as a generator.

    ``scipy.optimize.minimize(method="COBYLA", options={"rhobeg": step, "maxiter": maxiter})`` runs
    in a helper thread whose objective hands each point to the generator and waits: f itself is
    called in the caller's thread, exactly once per ``next()``.  Closing the generator (or letting
    it be garbage-collected) ends the thread promptly.  The generator ends when SciPy stops
    (trust region below 1e-4, or ``maxiter`` evaluations).  Where threads cannot start (Pyodide)
    the whole run is made at the first evaluation and its points are then yielded one by one.

    Parameters
    ----------
    f : callable
        f(x) -> float for a flat parameter vector x.
    x0 : array
        Start (flattened; copied).
    step : float
        rhobeg, the initial trust-region radius (the first probes are x0 +- step e_k).
    maxiter : int
        Most evaluations of f.

    Yields
    ------
    (ndarray, int)
        First (x0, 0); then the point f was **just evaluated at** (not the best so far: COBYLA's
        probes included, so f along the yielded points is not monotone) and the number of calls
        of f so far.

    Examples
    --------
    >>> f = lambda x: float((x[0] - 1) ** 2 + (x[1] + 2) ** 2)
    >>> points = [x for x, _ in cobyla(f, [0.0, 0.0])]
    >>> best = min(points, key=f)
    >>> bool(np.allclose(best, [1, -2], atol=1e-3))
    True
    """
    x = _flat(x0)
    yield x.copy(), 0
    requests: queue.Queue = queue.Queue()
    replies: queue.Queue = queue.Queue()
    options = {"rhobeg": float(step), "maxiter": int(maxiter)}

    def objective(z):
        requests.put(("point", np.array(z, dtype=np.float64)))
        value = replies.get()
        if value is _STOP:
            raise _Stop
        return value

    def run():
        try:
            minimize(objective, x, method="COBYLA", options=options)
        except _Stop:
            return
        except BaseException as exc:  # handed to the caller's thread, re-raised there
            requests.put(("error", exc))
            return
        requests.put(("done", None))

    worker = threading.Thread(target=run, name="physics.vqe.cobyla", daemon=True)
    try:
        worker.start()
    except RuntimeError:  # no threads (Pyodide): run it all now, hand the points out afterwards
        yield from _cobyla_eager(f, x, options)
        return
    evaluations = 0
    try:
        while True:
            kind, z = requests.get()
            if kind == "done":
                return
            if kind == "error":
                raise z
            value = float(f(z))
            evaluations += 1
            # SciPy plans the next point while the caller looks at this one
            replies.put(value)
            yield z.copy(), evaluations
    finally:
        replies.put(_STOP)          # unblocks an objective waiting for a value; it raises _Stop
        worker.join(timeout=10.0)


def _cobyla_eager(f, x, options):
    points = []

    def objective(z):
        z = np.array(z, dtype=np.float64)
        value = float(f(z))
        points.append(z)
        return value

    minimize(objective, x, method="COBYLA", options=options)
    for k, z in enumerate(points, start=1):
        yield z.copy(), k


# ---- zero-noise extrapolation ----------------------------------------------------------------

def richardson_weights(scales, order: int) -> np.ndarray:
    """Weights c with richardson(scales, values, order) == c @ values, for any values.

    The least-squares polynomial of degree ``order`` through (s_i, v_i) has the value at s = 0
    equal to the first row of the pseudo-inverse of the Vandermonde matrix V_ij = s_i^j times v
    (with as many points as order + 1 it is Richardson's interpolation).  Linear in the values,
    so independent errors propagate as sigma^2 = sum_i c_i^2 sigma_i^2.

    Parameters
    ----------
    scales : array
        Noise scales s_i (at least order + 1 distinct ones).
    order : int
        Degree of the polynomial (>= 0).

    Returns
    -------
    ndarray
        c, one weight per scale.

    Examples
    --------
    >>> richardson_weights([1, 3], 1)             # linear through two points: (3 v1 - v3) / 2
    array([ 1.5, -0.5])
    """
    s = np.asarray(scales, dtype=np.float64).ravel()
    order = int(order)
    if order < 0:
        raise ValueError(f"order must be at least 0, got {order}")
    if np.unique(s).size < order + 1:
        raise ValueError(f"a degree-{order} fit needs at least {order + 1} distinct scales, got {s.size}")
    unit = float(np.max(np.abs(s))) or 1.0        # scaled abscissa: a better conditioned fit
    V = np.vander(s / unit, order + 1, increasing=True)
    return np.linalg.pinv(V)[0]


def richardson(scales, values, order: int) -> float:
    """Zero-noise extrapolation: the value at scale 0 of the least-squares polynomial fit.

    .. math:: E(0) \\approx \\hat a_0,\\quad \\hat a = \\arg\\min_a \\sum_i
              \\Big(v_i - \\sum_{j \\le \\text{order}} a_j s_i^j\\Big)^2

    Parameters
    ----------
    scales : array
        Noise scales s_i (e.g. 1, 3, 5).
    values : array
        The energies v_i measured at them.
    order : int
        Degree of the polynomial.

    Returns
    -------
    float

    Examples
    --------
    >>> round(richardson([1, 3, 5], [-2.5, -1.5, -0.5], 1), 12)
    -3.0
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    c = richardson_weights(scales, order)
    if v.size != c.size:
        raise ValueError("scales and values must have the same length")
    return float(c @ v)


def _nn_unpack(w, hidden):
    return w[:hidden], w[hidden:2 * hidden], w[2 * hidden:3 * hidden], w[3 * hidden]


def _nn_loss(w, u, t, hidden, penalty):
    """Mean squared error + penalty (|W1|^2 + |W2|^2) of y = W2 . tanh(W1 u + b1) + b2, and its gradient."""
    w1, b1, w2, b2 = _nn_unpack(w, hidden)
    h = np.tanh(np.outer(u, w1) + b1)                     # (m, hidden)
    r = h @ w2 + b2 - t
    m = u.size
    loss = float(r @ r) / m + penalty * float(w1 @ w1 + w2 @ w2)
    d = (2.0 / m) * r
    dz = np.outer(d, w2) * (1.0 - h * h)
    grad = np.concatenate([u @ dz + 2 * penalty * w1, dz.sum(axis=0), h.T @ d + 2 * penalty * w2, [d.sum()]])
    return loss, grad


def nn_extrapolate(levels, values, hidden: int = 16, ensemble: int = 5, seed: int = 0) -> tuple[float, float]:
    """Zero-noise extrapolation with a small neural network (after Bhattacharjee et al.,
    arXiv:2403.07025): a network fitted to (noise level, energy) and evaluated at level 0.

    .. math:: y(u) = W_2 \\cdot \\tanh(W_1 u + b_1) + b_2,\\quad
              L = \\frac{1}{m}\\sum_i (y(u_i) - t_i)^2 + \\lambda (|W_1|^2 + |W_2|^2)

    with u and t the standardised levels and energies (zero mean, unit standard deviation),
    lambda = 1e-5, trained by L-BFGS-B with the analytic gradient.  ``ensemble`` networks, started
    from ``numpy.random.default_rng(seed + k)`` (k = 0 ... ensemble - 1; W1 ~ N(0, 1),
    W2 ~ N(0, 1 / hidden), biases 0), give the mean and spread.  Plain NumPy, ~0.2 s.

    What to expect (measured): outside the data the tanh units bend towards the data, so a
    straight line comes back short: levels 1..5 of -3 + 0.4 s give -2.976 (with levels 1, 3, 5
    -2.954; 1, 2, 3: -2.929).  On a decay a + b exp(-c s) sampled at 1..5 it lands closer to a + b
    than a straight-line fit does (a = -3, b = 2, c = 0.3: -1.12 against -1.34), though not as
    close as a quadratic one (-1.08); with only the levels 1, 2, 3 it is no better than the line.
    The ensemble spread is small (the networks agree) and does not measure that bias.

    Parameters
    ----------
    levels : array
        Noise levels (scales or probabilities), at least two distinct.
    values : array
        Energies measured at them.
    hidden : int
        tanh units in the hidden layer.
    ensemble : int
        Networks in the ensemble.
    seed : int
        First seed; the result is deterministic for a given seed.

    Returns
    -------
    (float, float)
        Mean prediction at level 0 and the ensemble's standard deviation.

    Examples
    --------
    >>> e, spread = nn_extrapolate([1, 2, 3, 4, 5], [-2.6, -2.2, -1.8, -1.4, -1.0])
    >>> round(e, 2)                                  # the straight line's intercept is -3
    -2.98
    """
    x = np.asarray(levels, dtype=np.float64).ravel()
    y = np.asarray(values, dtype=np.float64).ravel()
    if x.size != y.size:
        raise ValueError("levels and values must have the same length")
    hidden, ensemble = int(hidden), int(ensemble)
    if hidden < 1 or ensemble < 1:
        raise ValueError("hidden and ensemble must be at least 1")
    x_mean, x_std = x.mean(), x.std()
    if not x_std > 0:
        raise ValueError("the levels must not all be equal")
    y_mean, y_std = y.mean(), y.std()
    if not y_std > 0:
        return float(y_mean), 0.0
    u, t, u0 = (x - x_mean) / x_std, (y - y_mean) / y_std, -x_mean / x_std
    predictions = np.empty(ensemble)
    for k in range(ensemble):
        r = np.random.default_rng(seed + k)
        # biases start at 0: every unit starts odd about the data's centre, which measured
        # straighter extrapolations of straight data than random biases (-2.976 vs -2.972 for -3)
        w0 = np.concatenate([r.normal(0.0, 1.0, hidden), np.zeros(hidden),
                             r.normal(0.0, 1.0 / np.sqrt(hidden), hidden), [0.0]])
        fit = minimize(_nn_loss, w0, args=(u, t, hidden, _NN_PENALTY), jac=True, method="L-BFGS-B",
                       options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8})
        w1, b1, w2, b2 = _nn_unpack(fit.x, hidden)
        predictions[k] = float(np.tanh(w1 * u0 + b1) @ w2 + b2)
    predictions = y_mean + y_std * predictions
    return float(predictions.mean()), float(predictions.std())
