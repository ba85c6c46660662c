"""A live physics-informed neural network (PINN) for the 1-D time-independent Schroedinger equation.

Units: hbar = m = 1, so the equation is

    H psi = E psi,    H = -(1/2) d^2/dx^2 + V(x),

and the infinite well of width w has E_n = n^2 pi^2 / (2 w^2), n = 1, 2, ...  This follows
arXiv 2504.05367 (PINNs for the TISE: infinite well, finite well, barrier inside a box), which
writes the dimensionless -psi'' = E psi on [0, 1] (E_1 = pi^2): the same problem up to the factor
1/2 in front of psi'' and the length unit.

Ansatz.  A small fully connected network N(xi) (tanh hidden layers, linear output) of the scaled
coordinate xi = (2x - a - b) / (b - a) in [-1, 1] gives

    psi(x) = g(x) N(xi(x)),    g(x) = (x - a)(b - x) / ((b - a)/2)^2,

so psi = 0 exactly on the walls a, b.  The walls: if V contains +inf, the domain is the
contiguous finite run of the grid (the longest one) and the walls sit on the first infinite
samples either side; otherwise they are ``x[0]`` and ``x[-1]``.  V anywhere is the nearest grid
sample (sample j stands for the cell [x_j - dx/2, x_j + dx/2)); points between a wall and the
first finite sample take that sample's value.  With edge features (below), an edge point (a
sample on an edge that holds the mean of both sides, the convention of :mod:`physics.potentials`)
gives each side its own value and only the point itself the mean, so V jumps in one step, where
``bound_states`` (which extrapolates dx -> 0) and the features have it jump.

Edge features (``edges=True``, the default).  Where V jumps by dV inside the domain, the exact
psi'' = 2 (V - E) psi jumps by 2 dV psi, which no smooth network can do.  So the network also
gets, besides xi, one input per edge x_e (``edge_positions``, from :func:`find_edges`),

    k_e = u |u| / (1 + u^2),    u = (x - x_e) / l_e,    l_e = 1 / sqrt|dV_e|,

C1 and within [-1, 1], with k_e'' jumping by 4 / l_e^2 at x_e (and 0, the mean, exactly on it),
so psi = g N(xi, k_1..k_n) can carry the jump.  Only the first layer changes: z = W xi + U k + b,
z' = W + U k', z'' = U k'' (derivatives in xi); U starts at 0, so the start is exactly the
featureless one.  The length matters: l_e is psi's decay length under an edge of height dV, so
the jump 2 dV psi takes U ~ 1.  The plain feature (x - x_e)|x - x_e| / L^2 (O(1) over the domain,
L its half-width) needs U ~ dV L^2 / 4 ~ 100 for the same jump, which Adam (steps ~lr) does not
reach in any budget: measured no better than no features (~2 %).  :func:`find_edges`: adjacent
samples differing by more than 5 % of the range of V between the walls; a run of one or two such
differences (two: around an edge point) is one edge, at the |dV|-weighted mean of their midpoints
(so on the edge point); longer runs are a steep smooth slope; walls are not edges.  The harmonic
and Morse wells on the lessons' grid have none.

Loss.  M collocation cells of width h = (b - a)/M; by default (``residual="point"``) the residual
is taken at their midpoints x_i = a + (i + 1/2) h, which are also the quadrature nodes (midpoint
rule, weight h).  With edge features the cells are uniform between consecutive edges instead
(about M in all), so no node sits on an edge, where the network's psi'' is the mean of the two
sides (a node on the barrier's edge made E drift by percents):

    L = mean_i (r_i / S)^2  +  w_norm (integral psi^2 - 1)^2  +  w_orth sum_j (integral psi psi_j)^2,
    r = -(1/2) psi'' + (V - E) psi,

psi_j the lower states (excited-state mode).  S = pi^2 / (2 (b - a)^2) + max V - min V (finite V
on the domain) is a fixed energy scale that makes the residual term dimensionless, so the
penalties weigh the same against it in every well.  ``residual="cell"`` instead averages r over
each cell, r_i = [-(psi'(right) - psi'(left))/2 + integral (V - E) psi] / h (2-point Gauss on
every piece of the cell between jumps of V): the exact psi, whose psi'' jumps where V does, makes
every cell average zero, so a smooth network need not follow the jump.

Derivatives.  psi' and psi'' come from forward-mode differentiation through every layer
(z = W a + b, a = tanh z, a' = s z', a'' = s z'' - 2 a s z'^2 with s = 1 - tanh^2 z), and the
gradient of L with respect to every weight, bias, U and E from the matching hand-written reverse
mode (dU = dz k^T + dz' k'^T + dz'' k''^T).  NumPy only (no autograd library, no Numba: the same
code runs in Pyodide); Adam by hand.
dL/dE = 0 makes E the residual-weighted Rayleigh quotient of the network's psi, which
``best_energy()`` computes directly; ``rayleigh()`` is the independent variational estimate.

Start (what makes it find the ground state).  Weights are Glorot-normal except the first layer:
its input is one number, so Glorot would give weights ~0.25 and 32 nearly identical, nearly
linear features; instead they are N(0, FIRST_LAYER_SCALE^2) with feature centres spread uniformly
over [-1, 1].  Biases are zero, then the output bias is set so that N > 0 on the domain (a
node-less psi) and the output layer scaled so that the integral of psi^2 is 1 (all from
``numpy.random.default_rng(seed)``, so a seed fixes every number).  Then ``warmup`` steps of
variational pre-training (Adam at ``warmup_lr`` on the Rayleigh quotient
sum w (psi'^2/2 + V psi^2) / sum w psi^2 over the energy scale, plus the same penalties; the
"deep Ritz" loss).  That is needed: the PINN loss is small near *every* eigenstate, and from a
broad node-less start it settles on whichever is nearest in its own sense - in the finite well a
box state above the well (E ~ V0), in the barrier a state localised on one side (halfway between
the two lowest levels).  The variational energy has only one minimum, the ground state.  E then
starts at ``best_energy()`` (or ``energy_init``), and Adam moves E about ENERGY_RATE * S * lr per
step (it moves each weight ~lr; E is measured in units of S).

Measured on the lessons' grid (``np.linspace(-6, 6, 961)``, wells from :mod:`physics.potentials`,
defaults, 1500 warm-up + 3000 PINN steps, ~5-7 s of one core): |E/E_exact - 1| of the trained E
for seeds 0 / 1 is ~1e-6 / 3e-7 for the infinite well, 4.5e-4 / 5.3e-4 for the finite well and
5e-5 / 4.3e-4 for the barrier in a box; ``rayleigh()`` within 5.2e-4 in all six.  Not monotone:
Adam at lr 1e-3 makes brief spikes of E (up to ~0.5 % in the finite well) that recover within tens
of steps.  Without edge features (``edges=False``, bit-identical to the featureless network) the
finite well ends 2.0e-2 high and the barrier within 3e-4.

Excited states (beyond the paper).  ``state=k`` adds the orthogonality penalty against k lower
states: given as ``lower`` (PINNs, or arrays of psi on ``x``), else PINNs for states 0..k-1 are
trained first with the same settings for ``lower_steps`` steps each.

Failure modes the lesson can show:

- ``norm_weight=0``: psi = 0 satisfies the residual for any E, and nothing holds the scale: the
  integral of psi^2 wanders away from 1 (the variational warm-up does not fix it either).
- a wrong state: ``energy_init`` near an excited level makes the PINN phase pull psi onto that
  level (the residual is smallest for the eigenstate whose E is nearest); E follows slowly.
  ``warmup=0`` shows the pure PINN's choice from a broad start (see above).
- discontinuities, ``edges=False`` (finite well, barrier): V jumps, so psi'' jumps, but tanh
  networks are smooth; ``residual(x)`` shows spikes at the jumps that do not go away, and the
  point residual trades energy for them: the finite well drifts from ~0.4 % after the warm-up to
  ~2 % (``residual="cell"``, which asks only for cell averages, measured ~1 %).  With the edge
  features the spikes shrink as U learns the jump (not to zero: psi''' jumps too, which the
  features do not carry), and E ends within 0.1 % (apart from brief Adam spikes).

``psi(x)`` is not renormalised (that would hide the scale ambiguity); its sign is fixed like
:func:`physics.eigen.solve`: the first quadrature node where |psi| exceeds 1e-3 max|psi| is
positive.
"""
from __future__ import annotations

import numpy as np

__all__ = ["PINN", "walls", "find_edges", "edge_features", "trial", "forward", "backward", "Workspace",
           "adam_step", "DEFAULT_STEPS"]

#: PINN steps (after the warm-up) spent on each lower state that ``state=k`` trains itself.
DEFAULT_STEPS = 2000

#: Standard deviation of the first layer's weights (see "Start" in the module docstring).
FIRST_LAYER_SCALE = 5.0
#: Relative spread of the starting N over the domain (N in [1, 1 + START_SPREAD] before scaling).
START_SPREAD = 0.1
#: Adam's step for E is ENERGY_RATE * scale * lr (the weights' steps are ~lr).
ENERGY_RATE = 1.0
#: Length of an edge feature in units of 1/sqrt|dV| (see "Edge features").
EDGE_LENGTH = 1.0
#: A jump of V is an adjacent-sample difference above this fraction of V's range (see find_edges).
EDGE_THRESHOLD = 0.05


def walls(x: np.ndarray, V: np.ndarray) -> tuple[int, int]:
    """Indices (ia, ib) of the walls on ``x``: psi(x[ia]) = psi(x[ib]) = 0, free in between.

    Without +inf in V the walls are the grid ends.  With +inf, the longest run of finite samples
    is the domain and the walls are the infinite samples that bound it (or the grid ends).
    """
    V = np.asarray(V, dtype=float)
    finite = np.isfinite(V)
    if finite.all():
        return 0, V.size - 1
    padded = np.concatenate(([False], finite, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    starts, stops = edges[::2], edges[1::2]     # runs [start, stop) of finite samples
    if starts.size == 0:
        raise ValueError("V is infinite everywhere: no room for a state")
    k = int(np.argmax(stops - starts))
    ia = max(int(starts[k]) - 1, 0)
    ib = min(int(stops[k]), V.size - 1)
    if ib - ia < 2:
        raise ValueError("the finite region of V is too small")
    return ia, ib


def trial(x: np.ndarray, a: float, b: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """g = (x - a)(b - x) / ((b - a)/2)^2 and its first two derivatives (1 in the middle, 0 on walls)."""
    x = np.asarray(x, dtype=float)
    c = 4.0 / (b - a) ** 2
    g = c * (x - a) * (b - x)
    g1 = c * (a + b - 2.0 * x)
    g2 = np.full_like(x, -2.0 * c)
    return g, g1, g2


def _layout(hidden: tuple[int, ...], n_edges: int = 0) -> list[tuple[str, slice, tuple[int, int]]]:
    """Where each W_l (n_out, n_in) and b_l (n_out, 1) sits in the flat parameter vector, then the
    edge-feature weights U (hidden[0], n_edges) if there are edges; E is last."""
    sizes = (1, *hidden, 1)
    blocks, at = [], 0
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        blocks.append((f"W{l}", slice(at, at + n_out * n_in), (n_out, n_in)))
        at += n_out * n_in
        blocks.append((f"b{l}", slice(at, at + n_out), (n_out, 1)))
        at += n_out
    if n_edges:
        blocks.append(("U", slice(at, at + hidden[0] * n_edges), (hidden[0], n_edges)))
        at += hidden[0] * n_edges
    blocks.append(("E", slice(at, at + 1), (1, 1)))
    return blocks


def _views(theta: np.ndarray, blocks) -> list[np.ndarray]:
    """Reshaped views of ``theta`` for every block (writes go through to ``theta``)."""
    return [theta[s].reshape(shape) for _, s, shape in blocks]


def _split(views: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray | None]:
    """(Ws, bs, U) from :func:`_views` (U is None without edge features)."""
    n = len(views) - 1 - (len(views) % 2 == 0)     # W/b pairs, then maybe U, then E
    return views[0:n:2], views[1:n:2], (views[n] if n < len(views) - 1 else None)


def find_edges(x: np.ndarray, V: np.ndarray, threshold: float = EDGE_THRESHOLD) -> np.ndarray:
    """Positions of the jumps of V strictly between the walls (see "Edge features" above).

    A jump is a difference of adjacent finite samples larger than ``threshold`` times the range
    of V between the walls; consecutive jumps (at most two: an edge point that takes the mean of
    both sides) are one edge, placed at the |dV|-weighted mean of the jumps' midpoints.  Longer
    runs of large differences are a steep smooth slope, not an edge.  Walls are not edges.
    """
    x = np.asarray(x, dtype=float)
    V = np.asarray(V, dtype=float)
    ia, ib = walls(x, V)
    v = V[ia + 1:ib]
    if v.size < 2 or not np.ptp(v) > 0:
        return np.zeros(0)
    d = np.diff(v)
    mids = 0.5 * (x[ia + 1:ib - 1] + x[ia + 2:ib])
    big = np.abs(d) > threshold * np.ptp(v)
    padded = np.concatenate(([False], big, [False])).astype(np.int8)
    bounds = np.flatnonzero(np.diff(padded))
    found = []
    for i0, i1 in zip(bounds[::2], bounds[1::2]):
        w = np.abs(d[i0:i1])
        if i1 - i0 <= 2 and np.all(np.sign(d[i0:i1]) == np.sign(d[i0])):
            found.append(float(np.sum(w * mids[i0:i1]) / np.sum(w)))
    return np.array(found)


def edge_features(xi: np.ndarray, centres: np.ndarray, lengths) -> np.ndarray:
    """[k | dk/dxi | d2k/dxi2] (n_edges, 3M) at ``xi`` (1, M) for edges at ``centres`` (in xi).

    k_e = u |u| / (1 + u^2) with u = (xi - xi_e) / lengths_e: C1 and bounded by 1, and its second
    derivative jumps by 4 / lengths_e^2 at the edge (it is 0, the mean of both sides, exactly on it).
    """
    lam = np.asarray(lengths, dtype=float).reshape(-1, 1)
    u = (xi - np.asarray(centres, dtype=float).reshape(-1, 1)) / lam
    au = np.abs(u)
    q = 1.0 / (1.0 + u * u)
    return np.concatenate((u * au * q, (2.0 / lam) * au * q * q,
                           (np.sign(u) / lam ** 2) * (2.0 - 6.0 * u * u) * q ** 3), axis=1)


class Workspace:
    """Preallocated arrays for :func:`forward` and :func:`backward` on M points.

    Every layer keeps its values and both x-derivatives side by side, ``[a | a' | a'']`` in one
    (width, 3M) array, so each layer costs one matrix product forwards and two backwards; and all
    work happens in place, because allocating fresh 100 kB temporaries every step costs more here
    (page faults) than the arithmetic.
    """

    def __init__(self, hidden: tuple[int, ...], m: int):
        self.m = m
        self.Z = [np.empty((n, 3 * m)) for n in hidden]       # [z | z' | z''] of each hidden layer
        self.A = [np.empty((n, 3 * m)) for n in hidden]       # [a | a' | a''] = tanh layer outputs
        self.S = [np.empty((n, m)) for n in hidden]           # s = 1 - tanh^2 z
        self.T = [np.empty((n, m)) for n in hidden]           # t s
        self.dZ = [np.empty((n, 3 * m)) for n in hidden]      # adjoints of [z | z' | z'']
        self.dA = [np.empty((n, 3 * m)) for n in hidden]      # adjoints of [a | a' | a'']
        self.tmp = [np.empty((n, m)) for n in hidden]
        self.tmp2 = [np.empty((n, m)) for n in hidden]
        self.out = np.empty((1, 3 * m))                       # [N | N' | N'']


def _tanh_layer(Z, A, S, T, tmp, m):
    """[a | a' | a''] from [z | z' | z'']: a = t, a' = s z', a'' = s z'' - 2 t s z'^2 (in place)."""
    z, z1, z2 = Z[:, :m], Z[:, m:2 * m], Z[:, 2 * m:]
    t, a1, a2 = A[:, :m], A[:, m:2 * m], A[:, 2 * m:]
    np.tanh(z, out=t)
    np.multiply(t, t, out=S)
    np.subtract(1.0, S, out=S)
    np.multiply(t, S, out=T)
    np.multiply(S, z1, out=a1)
    np.multiply(z1, z1, out=tmp)
    tmp *= T
    tmp *= 2.0
    np.multiply(S, z2, out=a2)
    a2 -= tmp


def forward(Ws, bs, xi: np.ndarray, work: Workspace, U=None, K=None) -> np.ndarray:
    """[N | dN/dxi | d2N/dxi2] (1, 3M) at the points ``xi`` (1, M); ``work`` keeps the layers.

    Forward mode through each tanh layer: z = W a + b, z' = W a', z'' = W a'';
    a = tanh z, a' = s z', a'' = s z'' - 2 a s z'^2 with s = 1 - a^2.  The first layer sees the
    scalar xi, so there z' = W (the same for every point) and z'' = 0; with edge features
    ``K`` = [k | k' | k''] (:func:`edge_features`) and their weights ``U`` it also adds U K.
    """
    m = work.m
    Z = work.Z[0]
    if U is not None:
        np.matmul(U, K, out=Z)
        Z[:, :m] += Ws[0] * xi
        Z[:, m:2 * m] += Ws[0]
    else:
        np.multiply(Ws[0], xi, out=Z[:, :m])
        Z[:, m:2 * m] = Ws[0]
        Z[:, 2 * m:] = 0.0
    Z[:, :m] += bs[0]
    _tanh_layer(Z, work.A[0], work.S[0], work.T[0], work.tmp[0], m)
    for l in range(1, len(Ws) - 1):
        Z = work.Z[l]
        np.matmul(Ws[l], work.A[l - 1], out=Z)
        Z[:, :m] += bs[l]
        _tanh_layer(Z, work.A[l], work.S[l], work.T[l], work.tmp[l], m)
    np.matmul(Ws[-1], work.A[-1], out=work.out)
    work.out[:, :m] += bs[-1]
    return work.out


def _tanh_layer_adjoint(dA, dZ, Z, S, T, tmp, tmp2, m):
    """Adjoints [dz | dz' | dz''] from [da | da' | da''] for :func:`_tanh_layer` (in place).

    With t = tanh z, s = 1 - t^2, ds/dz = -2 t s and d(t s)/dz = s (s - 2 t^2):
    dz'' = s da'',  dz' = s da' - 4 t s z' da'',
    dz = s da - 2 t s z' da' - (2 t s z'' + 2 s (s - 2 t^2) z'^2) da''.
    """
    da, da1, da2 = dA[:, :m], dA[:, m:2 * m], dA[:, 2 * m:]
    dz, dz1, dz2 = dZ[:, :m], dZ[:, m:2 * m], dZ[:, 2 * m:]
    z1, z2 = Z[:, m:2 * m], Z[:, 2 * m:]
    np.multiply(S, da2, out=dz2)
    np.multiply(T, z1, out=tmp)                 # t s z'
    np.multiply(tmp, da2, out=dz1)
    dz1 *= -4.0
    np.multiply(tmp, da1, out=dz)
    dz *= -2.0
    np.multiply(S, da1, out=tmp2)
    dz1 += tmp2
    np.multiply(S, da, out=tmp2)
    dz += tmp2
    # s (s - 2 t^2) = s (3 s - 2), since t^2 = 1 - s
    np.multiply(S, 3.0, out=tmp)
    tmp -= 2.0
    tmp *= S
    tmp *= z1
    tmp *= z1
    np.multiply(T, z2, out=tmp2)
    tmp += tmp2
    tmp *= da2
    tmp *= 2.0
    dz -= tmp


def backward(Ws, xi, work: Workspace, dout: np.ndarray, K=None):
    """Gradients (dW_l, db_l, dU) of a loss from its adjoints ``dout`` = [dL/dN | dL/dN' | dL/dN''].

    Reverse mode of :func:`forward`, which must have run on the same ``work`` just before.  A
    stacked product does all three parts at once: dW = dz a^T + dz' a'^T + dz'' a''^T; likewise
    dU = dz k^T + dz' k'^T + dz'' k''^T for the edge features ``K`` (dU is None without them).
    """
    m = work.m
    last = len(Ws) - 1
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    dWs[last] = dout @ work.A[-1].T
    dbs[last] = dout[:, :m].sum(axis=1, keepdims=True)
    np.multiply(Ws[last].T, dout, out=work.dA[-1])
    dU = None
    for l in range(last - 1, -1, -1):
        _tanh_layer_adjoint(work.dA[l], work.dZ[l], work.Z[l], work.S[l], work.T[l],
                            work.tmp[l], work.tmp2[l], m)
        dZ = work.dZ[l]
        dbs[l] = dZ[:, :m].sum(axis=1, keepdims=True)
        if l > 0:
            dWs[l] = dZ @ work.A[l - 1].T
            np.matmul(Ws[l].T, dZ, out=work.dA[l - 1])
        else:   # the input stack is [xi | 1 | 0] (and K)
            dWs[0] = dZ[:, :m] @ xi.T + dZ[:, m:2 * m].sum(axis=1, keepdims=True)
            if K is not None:
                dU = dZ @ K.T
    return dWs, dbs, dU


def adam_step(theta, grad, m, v, t: int, lr: float, mask, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update of ``theta`` in place (Kingma & Ba 2015); ``mask`` = 0 freezes an entry."""
    m *= beta1
    m += (1.0 - beta1) * grad
    v *= beta2
    v += (1.0 - beta2) * grad * grad
    step = lr * np.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t)    # bias corrections folded in
    theta -= step * mask * m / (np.sqrt(v) + eps)


GAUSS2 = (0.5 - 0.5 / np.sqrt(3.0), 0.5 + 0.5 / np.sqrt(3.0))   # 2-point Gauss nodes on [0, 1]


class PINN:
    """PINN for one bound state of V on the grid ``x`` (see the module docstring for the method).

    ``edge_positions`` holds the edges used (empty with ``edges=False``).  ``history`` holds, per
    step of all :meth:`train` calls: 'loss' (total), 'residual' (the residual term), 'norm'
    (integral of psi^2, not the penalty), 'orth' (sum of squared overlaps, unweighted) and 'energy'
    (E used in that step; the Rayleigh quotient in the warm-up, where the other three are NaN).
    ``warmup_energy`` is that quotient over the warm-up steps done.

    Parameters
    ----------
    x, V : ndarray
        Uniform grid and potential samples on it (+inf marks hard walls).
    hidden : tuple of int
        Widths of the tanh hidden layers.
    seed : int
        Seed of ``numpy.random.default_rng`` for the initial weights.
    state : int
        0 for the ground state, k for the k-th excited state (orthogonality penalty).
    lower : list, optional
        The k lower states (PINNs or arrays of psi on ``x``); trained here if None.
    energy : float, optional
        Fix E at this value (the paper's infinite-well mode) instead of training it.
    energy_init : float, optional
        Starting E (default: the E that minimises the loss for the starting psi).
    lr : float
        Adam learning rate (settable between :meth:`train` calls).
    norm_weight, ortho_weight : float
        Weights of the normalisation and orthogonality penalties.
    collocation : int
        Number M of collocation points (cells).
    residual : {"point", "cell"}
        r at the collocation points, or r averaged over each cell.
    warmup, warmup_lr : int, float
        Steps and Adam rate of the variational pre-training (0 steps: none).
    lower_steps : int
        Training steps for each lower state trained here.
    edges : bool
        Give the network an edge feature for every jump of V inside the walls (with False, a
        smooth network of xi alone, which cannot make the jump of psi'' there).
    """

    def __init__(self, x, V, hidden=(32, 32), seed=0, state=0, lower=None, energy=None,
                 energy_init=None, lr=1e-3, norm_weight=1.0, ortho_weight=10.0, collocation=200,
                 residual="point", warmup=1500, warmup_lr=3e-3, lower_steps=DEFAULT_STEPS, edges=True):
        self.x = np.ascontiguousarray(x, dtype=float)
        self.V = np.ascontiguousarray(V, dtype=float)
        if self.x.ndim != 1 or self.x.shape != self.V.shape or self.x.size < 3:
            raise ValueError("x and V must be one-dimensional arrays of the same length")
        if np.isnan(self.V).any() or np.isneginf(self.V).any():
            raise ValueError("V must be finite or +inf")
        if residual not in ("point", "cell"):
            raise ValueError("residual must be 'point' or 'cell'")
        if int(state) < 0:
            raise ValueError("state must be 0 or more")
        self.hidden = tuple(int(h) for h in hidden)
        self.seed = seed
        self.state = int(state)
        self.lr = float(lr)
        self.norm_weight = float(norm_weight)
        self.ortho_weight = float(ortho_weight)
        self.residual_mode = residual
        self.dx = float(self.x[1] - self.x[0])
        self.ia, self.ib = walls(self.x, self.V)
        self.a, self.b = float(self.x[self.ia]), float(self.x[self.ib])
        finite = self.V[self.ia + 1:self.ib]
        self.scale = np.pi ** 2 / (2.0 * (self.b - self.a) ** 2) + float(finite.max() - finite.min())
        self.edges = bool(edges)
        self.edge_positions = find_edges(self.x, self.V) if self.edges else np.zeros(0)
        self._setup_potential()
        # each feature's length is 1/sqrt|dV| (the decay length of psi at an edge of height dV):
        # then the psi'' jump 2 dV psi needs weights U ~ 1, and k stays O(1) on the domain.
        e = self.edge_positions
        jumps = np.abs(self.potential(e + self.dx) - self.potential(e - self.dx))
        self._edge_lengths = EDGE_LENGTH / np.sqrt(jumps) * 2.0 / (self.b - self.a)     # in xi
        self._setup_points(int(collocation))

        self.lower = self._lower_states(lower, lower_steps)
        self.lower_q = np.zeros((len(self.lower), self.xq.size))
        for j, s in enumerate(self.lower):
            self.lower_q[j] = self._on_quadrature(s)

        self.blocks = _layout(self.hidden, self.edge_positions.size)
        self._work = Workspace(self.hidden, self._P.shape[1])
        self._dout = np.empty((1, 3 * self._P.shape[1]))
        self.theta = self._initial_parameters(np.random.default_rng(seed))
        self.trainable_energy = energy is None
        self.warmup = max(int(warmup), 0)
        self.warmup_lr = float(warmup_lr)
        self._energy_start = (energy, energy_init)
        # Adam moves every parameter by about lr per step; the weights are O(1) but E is not, so its
        # steps are scaled by the energy scale (as if E / scale were the parameter).  In the
        # warm-up E is not a parameter at all.
        self._mask = np.ones_like(self.theta)
        self._mask[-1] = self.scale * ENERGY_RATE if self.trainable_energy else 0.0
        self._warm_mask = np.ones_like(self.theta)
        self._warm_mask[-1] = 0.0
        self._m = np.zeros_like(self.theta)
        self._v = np.zeros_like(self.theta)
        self.steps = 0
        self.history = {k: np.zeros(0) for k in ("loss", "residual", "norm", "orth", "energy")}
        if self.warmup == 0:
            self._start_pinn_phase()

    # --- set-up ---------------------------------------------------------------------------

    def _xi(self, x):
        return (2.0 * x - self.a - self.b) / (self.b - self.a)

    def _features(self, xi):
        """Edge features [k | k' | k''] at ``xi`` (1, M), or None without edges."""
        if not self.edge_positions.size:
            return None
        return edge_features(xi, self._xi(self.edge_positions), self._edge_lengths)

    def _setup_potential(self):
        """The jumps of V between samples, and the edge points (with edge features only).

        An edge point is a sample exactly on an edge that holds the mean of its neighbours (the
        convention of :mod:`physics.potentials`); with edge features the PINN's V jumps there in
        one step, as the V that ``bound_states`` extrapolates to, and as the features' kink.
        """
        self._edge_point = np.zeros(self.x.size, dtype=bool)
        for e in self.edge_positions:
            j = int(np.rint((e - self.x[0]) / self.dx))
            if (self.ia + 1 < j < self.ib - 1 and abs(self.x[j] - e) < 1e-6 * self.dx
                    and min(self.V[j - 1], self.V[j + 1]) < self.V[j] < max(self.V[j - 1], self.V[j + 1])):
                self._edge_point[j] = True
        j = np.arange(self.ia + 1, self.ib - 1)
        keep = (self.V[j] != self.V[j + 1]) & ~self._edge_point[j] & ~self._edge_point[j + 1]
        self._jumps = np.sort(np.concatenate((self.x[j[keep]] + 0.5 * self.dx,
                                              self.x[self._edge_point])))

    def potential(self, x) -> np.ndarray:
        """V at ``x`` by nearest grid sample, clipped to the finite samples between the walls; near
        an edge point (which holds the mean of both sides) the value of the side ``x`` is on, and
        exactly on it the mean (as psi'' from the edge features is the mean of both sides there)."""
        x = np.asarray(x, dtype=float)
        j = np.clip(np.floor((x - self.x[0]) / self.dx + 0.5).astype(np.int64), self.ia + 1, self.ib - 1)
        v = self.V[j]
        on = self._edge_point[j]
        if on.any():
            d = x[on] - self.x[j[on]]
            side = np.where(np.abs(d) > 1e-6 * self.dx, np.sign(d), 0).astype(np.int64)   # on it: mean
            v = v.copy()
            v[on] = self.V[j[on] + side]
        return v

    def _setup_points(self, m: int):
        """Collocation cells, quadrature nodes (xq, wq, Vq) and the points the network is run on.

        "point": nodes = the M cell midpoints, weight h each (midpoint rule); the residual is taken
        there.  "cell": each cell is split where V jumps (between two grid samples) and every piece
        gets 2-point Gauss nodes, so integrals of V psi are exact up to psi's smoothness; the
        network also runs on the M + 1 cell edges, where psi' enters the cell average.
        """
        if m < 4:
            raise ValueError("collocation must be at least 4")
        self.m = m
        self.h = (self.b - self.a) / m
        edges = self.a + np.arange(m + 1) * self.h
        if self.residual_mode == "point":
            if self.edge_positions.size:
                # edge-aligned cells: uniform between consecutive edges, so no node sits on an edge
                stops = np.concatenate(([self.a], self.edge_positions, [self.b]))
                counts = np.maximum(np.rint(m * np.diff(stops) / (self.b - self.a)).astype(int), 1)
                edges = np.concatenate([np.linspace(lo, hi, n + 1)[:-1] for lo, hi, n
                                        in zip(stops[:-1], stops[1:], counts)] + [[self.b]])
                self.m = m = edges.size - 1
            self.xq = 0.5 * (edges[:-1] + edges[1:])
            self.wq = np.diff(edges) if self.edge_positions.size else np.full(m, self.h)
            self._cell_of = np.arange(m)
            points = self.xq
        else:
            jumps = self._jumps
            nodes, weights, cells = [], [], []
            for i in range(m):
                inside = jumps[(jumps > edges[i]) & (jumps < edges[i + 1])]
                cuts = np.concatenate(([edges[i]], inside, [edges[i + 1]]))
                for lo, hi in zip(cuts[:-1], cuts[1:]):
                    for t in GAUSS2:
                        nodes.append(lo + t * (hi - lo))
                        weights.append(0.5 * (hi - lo))
                        cells.append(i)
            self.xq, self.wq = np.array(nodes), np.array(weights)
            self._cell_of = np.array(cells)
            points = np.concatenate((edges, self.xq))
        self.Vq = self.potential(self.xq)
        self._q = slice(points.size - self.xq.size, points.size)     # the nodes among the points
        self._P = self._xi(points)[None, :]
        self._g = [arr[None, :] for arr in trial(points, self.a, self.b)]
        self._K = self._features(self._P)

    def _lower_states(self, lower, steps):
        if lower is not None:
            lower = list(lower)
            if len(lower) != self.state:
                raise ValueError(f"state={self.state} needs {self.state} lower states, got {len(lower)}")
            return lower
        done = []
        for k in range(self.state):
            p = PINN(self.x, self.V, hidden=self.hidden, seed=self.seed, state=k, lower=list(done),
                     lr=self.lr, norm_weight=self.norm_weight, ortho_weight=self.ortho_weight,
                     collocation=self.m, residual=self.residual_mode, edges=self.edges)
            p.train(p.warmup + steps)
            done.append(p)
        return done

    def _on_quadrature(self, s) -> np.ndarray:
        """A lower state on the quadrature nodes, normalised by the same quadrature."""
        f = s.psi(self.xq) if isinstance(s, PINN) else np.interp(self.xq, self.x, np.asarray(s, float))
        norm = np.sqrt(np.sum(self.wq * f * f))
        if not norm > 0:
            raise ValueError("a lower state is zero on this domain")
        return f / norm

    def _initial_parameters(self, rng) -> np.ndarray:
        theta = np.zeros(self.blocks[-1][1].stop)
        views = _views(theta, self.blocks)
        for (name, _, (n_out, n_in)), view in zip(self.blocks, views):
            if name.startswith("W"):
                view[...] = rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_out, n_in))
        Ws, bs, U = _split(views)       # U stays 0: the start is the same with or without edges
        # The input is one number, so Glorot gives the first layer weights ~0.25: 32 almost linear,
        # almost identical features, and hundreds of steps before any can bend.  Wider weights
        # and feature centres spread over [-1, 1] make the start able to localise at once.
        Ws[0][...] = rng.normal(0.0, FIRST_LAYER_SCALE, size=Ws[0].shape)
        bs[0][...] = -Ws[0] * rng.uniform(-1.0, 1.0, size=bs[0].shape)
        # A node-less start: shift the output so that N lies in [1, 1 + spread] ...
        n = self._P.shape[1]
        N = forward(Ws, bs, self._P, self._work, U, self._K)[:, :n]
        spread = max(np.ptp(N), 1e-300)
        Ws[-1][...] *= START_SPREAD / spread
        bs[-1][...] = 1.0 - N.min() * START_SPREAD / spread
        # ... and scale it so that the integral of psi^2 is 1.
        psi = (self._g[0] * forward(Ws, bs, self._P, self._work, U, self._K)[:, :n])[0, self._q]
        c = 1.0 / np.sqrt(np.sum(self.wq * psi * psi))
        Ws[-1][...] *= c
        bs[-1][...] *= c
        return theta

    # --- the network's psi and the losses -------------------------------------------------

    def _fields(self, theta):
        """psi, psi', psi'' (each (1, n)) on the points; the forward pass stays in the workspace."""
        Ws, bs, U = _split(_views(theta, self.blocks))
        n = self._P.shape[1]
        out = forward(Ws, bs, self._P, self._work, U, self._K)
        N, N1, N2 = out[:, :n], out[:, n:2 * n], out[:, 2 * n:]
        g, g1, g2 = self._g
        c = 2.0 / (self.b - self.a)    # dxi/dx
        return g * N, g1 * N + c * g * N1, g2 * N + 2.0 * c * g1 * N1 + c * c * g * N2

    def _residual_parts(self, psi, d1, d2):
        """r = r0 - E u on the collocation points or cells: returns r0 and u (both (m,))."""
        q = self._q
        if self.residual_mode == "point":
            return -0.5 * d2[0] + self.Vq * psi[0], psi[0]
        m = self.m
        wpsi = self.wq * psi[0, q]
        J = np.bincount(self._cell_of, wpsi * self.Vq, minlength=m)
        I = np.bincount(self._cell_of, wpsi, minlength=m)
        e = d1[0, :m + 1]
        return (-0.5 * (e[1:] - e[:-1]) + J) / self.h, I / self.h

    def best_energy(self, theta=None) -> float:
        """The E that minimises the residual term for the current psi (dL/dE = 0 there)."""
        theta = self.theta if theta is None else theta
        r0, u = self._residual_parts(*self._fields(theta))
        return float(np.sum(r0 * u) / np.sum(u * u))

    def _backprop(self, theta, dpsi, d1, d2):
        """Gradient with respect to the weights and biases from adjoints of psi, psi', psi''."""
        Ws = _split(_views(theta, self.blocks))[0]
        n = self._P.shape[1]
        g, g1, g2 = self._g
        c = 2.0 / (self.b - self.a)
        dout = self._dout
        np.multiply(g, dpsi, out=dout[:, :n])
        dout[:, :n] += g1 * d1 + g2 * d2
        np.multiply(c * g, d1, out=dout[:, n:2 * n])
        dout[:, n:2 * n] += (2.0 * c) * g1 * d2
        np.multiply(c * c * g, d2, out=dout[:, 2 * n:])
        dWs, dbs, dU = backward(Ws, self._P, self._work, dout, self._K)
        grad = np.zeros_like(theta)
        gW, gb, gU = _split(_views(grad, self.blocks))
        for gv, dW in zip(gW, dWs):
            gv[...] = dW
        for gv, db in zip(gb, dbs):
            gv[...] = db
        if gU is not None:
            gU[...] = dU
        return grad

    def _penalties(self, psi_q, dpsi_q, unit=1.0, relative=False):
        """Norm and orthogonality penalties; adds unit * their adjoints to ``dpsi_q``; returns values.

        ``relative``: the overlaps are divided by the norm (o_j^2 / n), so that shrinking psi cannot
        make them small (the Rayleigh quotient does not care about the scale, so the warm-up needs
        this; the PINN loss keeps the plain overlaps of the module docstring).
        """
        wpsi = self.wq * psi_q
        norm = float(np.sum(wpsi * psi_q))
        overlaps = self.lower_q @ wpsi
        orth = float(np.sum(overlaps * overlaps))
        dpsi_q += (4.0 * unit * self.norm_weight * (norm - 1.0)) * wpsi
        if overlaps.size:
            if relative:
                dpsi_q += (2.0 * unit * self.ortho_weight / norm) * (self.wq * (overlaps @ self.lower_q)
                                                                     - (orth / norm) * wpsi)
                orth /= norm
            else:
                dpsi_q += (2.0 * unit * self.ortho_weight) * self.wq * (overlaps @ self.lower_q)
        return norm, orth

    def loss_and_grad(self, theta=None):
        """Total loss, its gradient with respect to ``theta`` (flat, E last) and the loss parts.

        Returns (loss, grad, (residual term, integral of psi^2, sum of squared overlaps)).
        """
        theta = self.theta if theta is None else theta
        E = float(theta[-1])
        psi, d1, d2 = self._fields(theta)
        r0, u = self._residual_parts(psi, d1, d2)
        r = r0 - E * u
        m, S2 = self.m, self.scale * self.scale
        residual = float(np.sum(r * r)) / (m * S2)
        dpsi, dd1, dd2 = np.zeros_like(psi), np.zeros_like(d1), np.zeros_like(d2)
        dr = (2.0 / (m * S2)) * r
        q = self._q
        if self.residual_mode == "point":
            dd2[0] = -0.5 * dr
            dpsi[0] = (self.Vq - E) * dr
        else:
            dd1[0, 1:m + 1] -= 0.5 * dr / self.h
            dd1[0, :m] += 0.5 * dr / self.h
            dpsi[0, q] = self.wq * (self.Vq - E) * dr[self._cell_of] / self.h
        dq = dpsi[0, q]
        norm, orth = self._penalties(psi[0, q], dq)
        dpsi[0, q] = dq
        loss = residual + self.norm_weight * (norm - 1.0) ** 2 + self.ortho_weight * orth
        grad = self._backprop(theta, dpsi, dd1, dd2)
        grad[-1] = -float(np.sum(dr * u))
        return loss, grad, (residual, norm, orth)

    def ritz_loss_and_grad(self, theta=None):
        """Variational loss Q/S + w_norm (n - 1)^2 + w_orth sum_j o_j^2 / n and its gradient (E unused).

        Q = sum_q w_q (psi'^2 / 2 + V psi^2) / sum_q w_q psi^2 (the Rayleigh quotient, kinetic term
        integrated by parts) on the quadrature nodes.
        """
        theta = self.theta if theta is None else theta
        psi, d1, d2 = self._fields(theta)
        q, w = self._q, self.wq
        pq, p1 = psi[0, q], d1[0, q]
        pp = float(np.sum(w * pq * pq))
        Q = float(np.sum(w * (0.5 * p1 * p1 + self.Vq * pq * pq))) / pp
        dpsi, dd1 = np.zeros_like(psi), np.zeros_like(d1)
        dq = (2.0 / pp) * w * (self.Vq - Q) * pq
        # Q is measured in units of the energy scale, like the residual term of the PINN loss
        norm, orth = self._penalties(pq, dq, self.scale, relative=True)
        dpsi[0, q] = dq
        dd1[0, q] = w * p1 / pp
        loss = Q / self.scale + self.norm_weight * (norm - 1.0) ** 2 + self.ortho_weight * orth
        dpsi /= self.scale
        dd1 /= self.scale
        return loss, self._backprop(theta, dpsi, dd1, np.zeros_like(d2)), Q

    def _start_pinn_phase(self) -> None:
        """End of the warm-up: E starts where asked, or at the E that fits the network's psi best."""
        energy, energy_init = self._energy_start
        if energy is not None:
            self.theta[-1] = float(energy)
        elif energy_init is not None:
            self.theta[-1] = float(energy_init)
        else:
            self.theta[-1] = self.best_energy()
        self._m[:] = 0.0
        self._v[:] = 0.0

    @property
    def phase(self) -> str:
        """'warm-up' (variational pre-training) or 'pinn' (the residual loss)."""
        return "warm-up" if self.steps < self.warmup else "pinn"

    @property
    def warmup_energy(self) -> np.ndarray:
        """The Rayleigh quotient at each warm-up step done so far."""
        return self.history["energy"][: min(self.steps, self.warmup)]

    # --- training -------------------------------------------------------------------------

    def train(self, steps: int) -> np.ndarray:
        """Run ``steps`` more steps (continuing from before); returns the loss of each step.

        The first ``warmup`` steps of a network's life are the variational warm-up (Adam at
        ``warmup_lr`` on :meth:`ritz_loss_and_grad`; history: 'loss' that loss, 'energy' the
        Rayleigh quotient, the other entries NaN); the rest minimise the PINN loss.  So a lesson can
        train in short slices from the very start, and ``train(warmup + n)`` gives n PINN steps.
        """
        steps = int(steps)
        out = {k: np.empty(steps) for k in self.history}
        for i in range(steps):
            self.steps += 1
            if self.steps <= self.warmup:
                loss, grad, quotient = self.ritz_loss_and_grad()
                out["loss"][i], out["energy"][i] = loss, quotient
                out["residual"][i] = out["norm"][i] = out["orth"][i] = np.nan
                adam_step(self.theta, grad, self._m, self._v, self.steps, self.warmup_lr, self._warm_mask)
                if self.steps == self.warmup:
                    self._start_pinn_phase()
                continue
            loss, grad, (residual, norm, orth) = self.loss_and_grad()
            out["loss"][i], out["residual"][i], out["norm"][i], out["orth"][i] = loss, residual, norm, orth
            out["energy"][i] = self.theta[-1]
            adam_step(self.theta, grad, self._m, self._v, self.steps - self.warmup, self.lr, self._mask)
        for k in self.history:
            self.history[k] = np.concatenate((self.history[k], out[k]))
        return out["loss"]

    # --- read-outs ------------------------------------------------------------------------

    @property
    def energy(self) -> float:
        """The current E: trained or fixed; during the warm-up, the Rayleigh quotient of psi."""
        if self.phase == "warm-up":
            return float(self.history["energy"][-1]) if self.steps else float(self.ritz_loss_and_grad()[2])
        return float(self.theta[-1])

    def _sign(self) -> float:
        psi = self._fields(self.theta)[0][0, self._q]
        big = np.flatnonzero(np.abs(psi) > 1e-3 * np.abs(psi).max())
        return -1.0 if big.size and psi[big[0]] < 0 else 1.0

    def derivatives(self, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """psi, psi', psi'' at ``x`` (signed as :meth:`psi`; the formulas hold between the walls)."""
        x = np.asarray(x, dtype=float)
        flat = x.reshape(1, -1)
        Ws, bs, U = _split(_views(self.theta, self.blocks))
        n = flat.shape[1]
        xi = self._xi(flat)
        out = forward(Ws, bs, xi, Workspace(self.hidden, n), U, self._features(xi))
        N, N1, N2 = out[:, :n], out[:, n:2 * n], out[:, 2 * n:]
        g, g1, g2 = trial(flat, self.a, self.b)
        c = 2.0 / (self.b - self.a)
        s = self._sign()
        fields = (g * N, g1 * N + c * g * N1, g2 * N + 2.0 * c * g1 * N1 + c * c * g * N2)
        return tuple(s * f.reshape(x.shape) for f in fields)

    def psi(self, x) -> np.ndarray:
        """psi at ``x``: 0 outside the walls, not renormalised, first lobe positive."""
        x = np.asarray(x, dtype=float)
        inside = (x > self.a) & (x < self.b)
        return np.where(inside, self.derivatives(x)[0], 0.0)

    def residual(self, x) -> np.ndarray:
        """Point residual r = -(1/2) psi'' + (V - E) psi at ``x`` (0 outside), same sign as :meth:`psi`."""
        x = np.asarray(x, dtype=float)
        psi, _, d2 = self.derivatives(x)
        inside = (x > self.a) & (x < self.b)
        r = -0.5 * d2 + (self.potential(x) - self.energy) * psi
        return np.where(inside, r, 0.0)

    def norm(self) -> float:
        """Integral of psi^2 by the quadrature (1 when the norm penalty holds)."""
        psi = self._fields(self.theta)[0][0, self._q]
        return float(np.sum(self.wq * psi * psi))

    def rayleigh(self, per_cell: int = 4) -> float:
        """<psi|H|psi> / <psi|psi> = integral of (psi'^2/2 + V psi^2) over integral of psi^2.

        Midpoint rule with ``per_cell`` points per grid cell between the walls, none on a cell
        edge, so V is the cell's value at each; the kinetic term is integrated by parts (psi = 0
        on the walls), so this does not use psi'' or E: an independent estimate.
        """
        n = per_cell * (self.ib - self.ia)
        hq = (self.b - self.a) / n
        xq = self.a + (np.arange(n) + 0.5) * hq
        psi, d1, _ = self.derivatives(xq)
        return float(np.sum(0.5 * d1 * d1 + self.potential(xq) * psi * psi) / np.sum(psi * psi))
