"""Heisenberg spin chains as quantum batteries: Hamiltonians, thermal states, ergotropy, capacity.

Conventions of the chain
------------------------
- Pauli matrices sigma (eigenvalues +-1); no factor 1/2 (S = sigma / 2 is not used).
- Site 0 is the leftmost factor of the Kronecker product, so in a basis index b the state of site
  i is bit (n - 1 - i) of b.
- |0> is spin up: sigma_z |0> = +|0>, sigma_z |1> = -|1>.
- k_B = 1 (temperature in energy units); hbar = 1 (time in inverse energy units).

The chain (open, bonds i, i+1)::

    H = sum_i [Jx sx_i sx_{i+1} + Jy sy_i sy_{i+1} + Jz sz_i sz_{i+1}
               + D (sx_i sy_{i+1} - sy_i sx_{i+1})          (Dzyaloshinsky-Moriya, D along z)
               + K (sx_i sy_{i+1} + sy_i sx_{i+1})]         (Kaplan-Shekhtman-Entin-Wohlman-Aharony)
        + sum_i B_i sz_i                                    (inhomogeneous Zeeman field)

and the battery Hamiltonian, the local part that stores the energy, is H_B = sum_i B_i sz_i.

Built with bit operations: every bond term flips both spins of the bond (or none), so with
z_i = +-1 the value of sz_i on a basis state, sx = flip and sy = i z flip, the flip amplitude of a
bond on |b> is  Jx - Jy z_i z_j + i D (z_j - z_i) + i K (z_i + z_j)  and its diagonal is Jz z_i z_j.

Battery quantities (rho a density matrix, H_B with eigen-energies e_1 <= ... <= e_d):

- passive state pi: the eigenvalues r_1 >= ... >= r_d of rho put on e_1 <= ... <= e_d;
  ergotropy W = Tr(rho H_B) - sum_k r_k e_k  (Allahverdyan, Balian, Nieuwenhuizen, EPL 67, 565 (2004));
- capacity C = sum_k r_k e_(d+1-k) - sum_k r_k e_k, the anti-passive minus the passive energy
  (Yang et al., PRL 131, 030402 (2023)); W <= C, and C depends only on the spectrum of rho;
- l1 coherence sum_{i != j} |rho_ij| in the eigenbasis of H_B (Baumgratz, Cramer, Plenio, PRL 113,
  140401 (2014));
- incoherent ergotropy: the ergotropy of the dephased state diag(rho); coherent = W - incoherent
  (Francica et al., PRL 125, 180603 (2020));
- concurrence of two qubits (Wootters, PRL 80, 2245 (1998)).

Dense linear algebra is SciPy/NumPy's (eigh); the chain is built sparse (scipy.sparse) and is
small enough (2^12 = 4096 at N = 12) to diagonalise densely for thermal states.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh

__all__ = [
    "hamiltonian",
    "battery_hamiltonian",
    "thermal_state",
    "passive_energy",
    "ergotropy",
    "capacity",
    "l1_coherence",
    "ergotropy_split",
    "concurrence",
    "charge",
    "MAX_SITES",
]

MAX_SITES = 12


def _z(n_sites: int) -> np.ndarray:
    """z[i, b] = +1 if site i of basis state b is up (bit 0), else -1."""
    b = np.arange(2**n_sites)
    shifts = n_sites - 1 - np.arange(n_sites)
    return 1 - 2 * ((b[None, :] >> shifts[:, None]) & 1)


def _fields(n_sites: int, fields) -> np.ndarray:
    if fields is None:
        return np.zeros(n_sites)
    B = np.asarray(fields, dtype=float).ravel()
    if B.size == 1:
        return np.full(n_sites, float(B[0]))
    if B.size != n_sites:
        raise ValueError(f"fields must hold one value or {n_sites} (one per site), got {B.size}")
    return B


def hamiltonian(n_sites: int, Jx: float, Jy: float, Jz: float, D: float = 0.0, K: float = 0.0,
                fields=None) -> sp.csr_matrix:
    """The open XYZ chain with DM (D), KSEA (K) and Zeeman fields, as a sparse 2^n x 2^n matrix.

    See the module docstring for H and the conventions.  ``fields`` is one value (uniform) or one
    per site, B_i; for two sites the usual B +- b is ``fields=(B + b, B - b)``.
    """
    n = int(n_sites)
    if not 2 <= n <= MAX_SITES:
        raise ValueError(f"n_sites must be between 2 and {MAX_SITES}")
    B = _fields(n, fields)
    z = _z(n)
    dim = 2**n
    b = np.arange(dim)
    diag = (B[:, None] * z).sum(axis=0).astype(complex)
    rows, cols, data = [b], [b], [diag]
    for i in range(n - 1):
        zi, zj = z[i], z[i + 1]
        diag += Jz * zi * zj
        amp = Jx - Jy * zi * zj + 1j * D * (zj - zi) + 1j * K * (zi + zj)
        mask = (1 << (n - 1 - i)) | (1 << (n - 2 - i))
        keep = amp != 0
        rows.append((b ^ mask)[keep])
        cols.append(b[keep])
        data.append(amp[keep])
    H = sp.coo_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(dim, dim))
    return H.tocsr()


def battery_hamiltonian(fields) -> sp.csr_matrix:
    """H_B = sum_i B_i sz_i, diagonal (one field per site; the number of sites is len(fields))."""
    B = np.asarray(fields, dtype=float).ravel()
    if not 1 <= B.size <= MAX_SITES:
        raise ValueError(f"give between 1 and {MAX_SITES} fields")
    return sp.diags((B[:, None] * _z(B.size)).sum(axis=0).astype(complex)).tocsr()


def _dense(H) -> np.ndarray:
    return H.toarray() if sp.issparse(H) else np.asarray(H)


def thermal_state(H, T: float) -> np.ndarray:
    """Gibbs state rho = exp(-H / T) / Z (k_B = 1), dense.

    Computed in the eigenbasis with energies measured from the ground state, so it neither
    overflows at large beta nor fails at T -> 0: T <= 1e-12 * (spectral width) gives the T = 0
    limit, the uniform mixture of the ground space.
    """
    w, v = eigh(_dense(H))
    gap = w - w[0]
    width = max(float(gap[-1]), 1.0)
    if T <= 1e-12 * width:
        p = (gap <= 1e-10 * width).astype(float)
    else:
        p = np.exp(-gap / float(T))
    p /= p.sum()
    return (v * p) @ v.conj().T


def _energies(H_B) -> np.ndarray:
    H = _dense(H_B)
    if np.count_nonzero(H - np.diag(np.diag(H))) == 0:
        return np.sort(np.real(np.diag(H)))
    return np.linalg.eigvalsh(H)


def passive_energy(rho, H_B) -> float:
    """sum_k r_k e_k: rho's eigenvalues (decreasing) on H_B's energies (increasing)."""
    r = np.sort(np.linalg.eigvalsh(_dense(rho)))[::-1]
    return float(np.dot(r, _energies(H_B)))


def ergotropy(rho, H_B) -> float:
    """W = Tr(rho H_B) - Tr(pi H_B), the most work a unitary can extract (pi: passive state of rho)."""
    rho = _dense(rho)
    energy = float(np.real(np.trace(rho @ _dense(H_B))))
    # W >= 0 exactly; only rounding (~1e-16 relative) can make it negative
    return max(energy - passive_energy(rho, H_B), 0.0)


def capacity(rho, H_B) -> float:
    """C = sum_k r_k e_(d+1-k) - sum_k r_k e_k (anti-passive minus passive energy; Yang et al. 2023)."""
    r = np.sort(np.linalg.eigvalsh(_dense(rho)))[::-1]
    e = _energies(H_B)
    return float(np.dot(r, e[::-1]) - np.dot(r, e))


def l1_coherence(rho) -> float:
    """sum_{i != j} |rho_ij| in the computational basis (the eigenbasis of a diagonal H_B)."""
    rho = _dense(rho)
    return float(np.abs(rho).sum() - np.abs(np.diag(rho)).sum())


def ergotropy_split(rho, H_B) -> tuple[float, float]:
    """(incoherent, coherent) ergotropy: W of the dephased state diag(rho), and W minus that."""
    rho = _dense(rho)
    W = ergotropy(rho, H_B)
    incoherent = ergotropy(np.diag(np.diag(rho)), H_B)
    return incoherent, W - incoherent


def concurrence(rho) -> float:
    """Wootters concurrence of a two-qubit state: max(0, l1 - l2 - l3 - l4), l_k the decreasing
    square roots of the eigenvalues of rho (sy x sy) rho* (sy x sy)."""
    rho = _dense(rho)
    if rho.shape != (4, 4):
        raise ValueError("concurrence is defined here for two qubits (4 x 4 density matrices)")
    sy = np.array([[0, -1j], [1j, 0]])
    yy = np.kron(sy, sy)
    R = rho @ yy @ rho.conj() @ yy
    lam = np.sqrt(np.clip(np.sort(np.real(np.linalg.eigvals(R)))[::-1], 0.0, None))
    return float(max(0.0, lam[0] - lam[1] - lam[2] - lam[3]))


def charge(rho0, H_charge, times) -> np.ndarray:
    """rho(t) = U rho0 U^dagger with U = exp(-i H_charge t), for every t in ``times`` (shape (nt, d, d)).

    Exact: H_charge is diagonalised once, U = V exp(-i w t) V^dagger.
    """
    w, v = eigh(_dense(H_charge))
    r = v.conj().T @ _dense(rho0) @ v                      # rho0 in the eigenbasis
    t = np.atleast_1d(np.asarray(times, dtype=float))
    phase = np.exp(-1j * w[None, :] * t[:, None])          # (nt, d)
    rt = phase[:, :, None] * r[None, :, :] * phase.conj()[:, None, :]
    return v[None] @ rt @ v.conj().T[None]
