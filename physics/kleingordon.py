"""The (1+1)-D nonlinear Klein–Gordon equation: linear waves, kinks, breathers and their collisions.

The field phi(x, t) on a periodic line obeys

    phi_tt - phi_xx + V'(phi) = 0

with one of three potentials (units with c = 1; x and t are dimensionless):

- ``"linear"``:      V = m^2 phi^2 / 2                (Klein–Gordon; omega^2 = k^2 + m^2),
- ``"phi4"``:        V = (phi^2 - 1)^2 / 4            (vacua phi = +-1; kink tanh(x / sqrt 2)),
- ``"sine_gordon"``: V = 1 - cos phi                  (vacua 2 pi n; kink 4 arctan e^x).

:class:`Simulation` integrates it with a Fourier pseudo-spectral Laplacian in x (exact for every
mode the grid holds) and the Störmer–Verlet (velocity-Verlet) scheme in t: symplectic and second
order, so the energy does not drift, it only oscillates by O(dt^2).  One step costs one real FFT
and one inverse real FFT.  With Numba the ``n`` steps of :meth:`Simulation.step` run in one
compiled loop that allocates nothing; its transforms are single-threaded and come from whichever
does the pair faster at that N, measured once per process (:mod:`physics._backend`'s helpers,
shared with the tunnelling solver):

- FFTW's plans (``fftw_plan_dft_r2c_1d`` / ``fftw_plan_dft_c2r_1d``, FFTW_MEASURE, out of place,
  64-byte aligned arrays), called from the loop, where pyFFTW is installed (nothing requires it);
- pocketfft/DUCC0 through rocket-fft's r2c/c2r.

Planning FFTW and timing it take 0.1–0.7 s per N (N up to 16384, measured), once per process;
``fft=`` chooses by hand.  Without Numba (Pyodide) the steps run as the NumPy twin (numpy.fft);
all paths give the same field to about 1e-12.

A field whose two ends sit in different vacua (a single kink) is not periodic: the simulation then
evolves phi minus a straight ramp that rises by the jump across the box (the *twist*; 2 pi for a
sine-Gordon kink, 2 for a phi^4 kink).  That is exact for sine-Gordon (V is 2 pi periodic) and, for
phi^4, exact as long as both ends of the box are in their vacua.

The functions below give the initial fields of the lesson's scenes and the closed-form solutions
the tests check the solver against.
"""
from __future__ import annotations

import math

import numpy as np

from physics._backend import HAVE_NUMBA, aligned_empty, fft_transforms, fftw_library

__all__ = ["MODELS", "Simulation", "potential", "force", "stability_limit", "lorentz_gamma",
           "sg_kink", "sg_breather", "sg_kink_antikink", "phi4_kink", "phi4_collision", "linear_packet",
           "kink_mass", "breather_energy", "linear_frequency", "verlet_frequency", "crossings", "escape_speed",
           "VACUUM_STEP",
           "collision_outcome", "KINK_WIDTH"]

#: the three potentials (``model`` argument)
MODELS = ("linear", "phi4", "sine_gordon")
_CODE = {"linear": 0, "phi4": 1, "sine_gordon": 2}
#: the width scale of a kink at rest: phi^4 tanh(x / sqrt 2), sine-Gordon 4 arctan e^x
KINK_WIDTH = {"phi4": math.sqrt(2.0), "sine_gordon": 1.0}
#: kinks still within this many rest widths of the centre at the end of a collision are trapped
TRAPPED_WITHIN = 4.0
#: the spacing of the vacua (a kink's jump)
VACUUM_STEP = {"phi4": 2.0, "sine_gordon": 2.0 * math.pi}


def _check_model(model: str) -> None:
    if model not in _CODE:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, not {model!r}")


def potential(phi, model: str, mass: float = 1.0) -> np.ndarray:
    """The potential V(phi).

    Parameters
    ----------
    phi : array_like
        Field values.
    model : {"linear", "phi4", "sine_gordon"}
        V = m^2 phi^2 / 2, (phi^2 - 1)^2 / 4 or 1 - cos phi.
    mass : float
        m of the linear model (ignored by the others).

    Returns
    -------
    ndarray
        V at every value (energy per unit length).

    Examples
    --------
    >>> float(potential(0.0, "phi4"))
    0.25
    """
    _check_model(model)
    phi = np.asarray(phi, dtype=float)
    if model == "linear":
        return 0.5 * mass * mass * phi * phi
    if model == "phi4":
        return 0.25 * (phi * phi - 1.0) ** 2
    return 1.0 - np.cos(phi)


def force(phi, model: str, mass: float = 1.0) -> np.ndarray:
    """V'(phi) = dV/dphi: m^2 phi, phi^3 - phi, or sin phi (see :func:`potential`)."""
    _check_model(model)
    phi = np.asarray(phi, dtype=float)
    if model == "linear":
        return mass * mass * phi
    if model == "phi4":
        return phi * (phi * phi - 1.0)
    return np.sin(phi)


def _curvature_bound(model: str, mass: float) -> float:
    """The largest V''(phi) a field near the vacua meets: m^2, 2 (phi^4 at phi = +-1), 1 (sine-Gordon)."""
    return {"linear": mass * mass, "phi4": 2.0, "sine_gordon": 1.0}[model]


def stability_limit(dx: float, model: str, mass: float = 1.0) -> float:
    """The largest stable Störmer–Verlet step, 2 / omega_max.

    Equation: leapfrog is stable for omega dt < 2 on every mode, with omega_max^2 = k_max^2 + max V''
    and k_max = pi / dx the grid's highest wavenumber.

    Examples
    --------
    >>> round(stability_limit(0.1, "sine_gordon"), 4)
    0.0636
    """
    _check_model(model)
    k_max = math.pi / dx
    return 2.0 / math.sqrt(k_max * k_max + _curvature_bound(model, mass))


def lorentz_gamma(v: float) -> float:
    """gamma = 1 / sqrt(1 - v^2) (c = 1); ValueError unless |v| < 1."""
    if not abs(v) < 1.0:
        raise ValueError(f"a kink's speed must be below the speed of light 1, not {v}")
    return 1.0 / math.sqrt(1.0 - v * v)


# ---- closed forms and initial fields -------------------------------------------------------------
def sg_kink(x, x0: float = 0.0, v: float = 0.0, t: float = 0.0, charge: int = 1):
    """A sine-Gordon kink (charge +1) or antikink (-1) moving at speed v: (phi, phi_t).

    Equation: phi = 4 arctan(exp(q gamma (x - x0 - v t))), an exact solution; at rest its width is 1
    and its energy 8; moving, it is Lorentz contracted by gamma = 1 / sqrt(1 - v^2).

    Examples
    --------
    >>> phi, pi = sg_kink(np.array([0.0]))
    >>> round(float(phi[0]), 6)   # pi at its centre
    3.141593
    """
    g = lorentz_gamma(v)
    s = charge * g * (np.asarray(x, dtype=float) - x0 - v * t)
    phi = 4.0 * np.arctan(np.exp(s))
    # d/dt 4 arctan(e^s) = 4 e^s / (1 + e^{2s}) ds/dt = 2 sech(s) ds/dt
    return phi, 2.0 / np.cosh(s) * (-charge * g * v)


def sg_breather(x, omega: float, t: float = 0.0, x0: float = 0.0):
    """The sine-Gordon breather at rest, (phi, phi_t) at time t.

    Equation: phi = 4 arctan( sqrt(1 - w^2)/w * sin(w t) / cosh(sqrt(1 - w^2) (x - x0)) ), 0 < w < 1:
    a kink and an antikink bound together, oscillating with frequency w; energy 16 sqrt(1 - w^2).
    """
    if not 0.0 < omega < 1.0:
        raise ValueError(f"a breather's frequency must be between 0 and 1, not {omega}")
    eta = math.sqrt(1.0 - omega * omega)
    c = np.cosh(eta * (np.asarray(x, dtype=float) - x0))
    a = eta / omega * math.sin(omega * t) / c
    phi = 4.0 * np.arctan(a)
    phi_t = 4.0 / (1.0 + a * a) * (eta * math.cos(omega * t) / c)
    return phi, phi_t


def sg_kink_antikink(x, v: float, t: float):
    """The sine-Gordon kink–antikink collision, (phi, phi_t) at time t (t = 0: they overlap).

    Equation: phi = 4 arctan( sinh(gamma v t) / (v cosh(gamma x)) ): an antikink and a kink coming in
    at speeds +-v for t < 0 pass through each other and leave with the same speeds, only delayed.
    """
    g = lorentz_gamma(v)
    if v <= 0:
        raise ValueError("the kinks' speed must be positive")
    c = np.cosh(g * np.asarray(x, dtype=float))
    a = math.sinh(g * v * t) / (v * c)
    phi = 4.0 * np.arctan(a)
    phi_t = 4.0 / (1.0 + a * a) * (g * math.cosh(g * v * t) / c)
    return phi, phi_t


def phi4_kink(x, x0: float = 0.0, v: float = 0.0, t: float = 0.0, charge: int = 1):
    """A phi^4 kink (charge +1, from -1 to +1) or antikink (-1) moving at speed v: (phi, phi_t).

    Equation: phi = tanh(q gamma (x - x0 - v t) / sqrt 2), exact; rest energy 2 sqrt(2) / 3.
    """
    g = lorentz_gamma(v)
    s = charge * g * (np.asarray(x, dtype=float) - x0 - v * t) / math.sqrt(2.0)
    return np.tanh(s), -charge * g * v / math.sqrt(2.0) / np.cosh(s) ** 2


def phi4_collision(x, v: float, x0: float):
    """A phi^4 kink at -x0 and an antikink at +x0 coming together at speeds +-v: (phi, phi_t).

    Equation: phi = tanh(gamma (x + x0) / sqrt 2) - tanh(gamma (x - x0) / sqrt 2) - 1 (vacuum -1
    outside, +1 between), the sum of the two moving solutions; exact while they are far apart.
    """
    k, k_t = phi4_kink(x, -x0, v, 0.0, 1)
    a, a_t = phi4_kink(x, x0, -v, 0.0, -1)
    return k + a - 1.0, k_t + a_t


def linear_packet(x, x0: float, sigma: float, k0: float, mass: float = 1.0, amplitude: float = 1.0):
    """A right-moving packet of the linear Klein–Gordon equation, (phi, phi_t) at t = 0.

    Equation: phi = Re psi with psi = A exp(-(x - x0)^2 / (2 sigma^2) + i k0 x) on the positive
    frequencies only: phi_t = Re IFFT(-i omega(k) FFT(psi)), omega = sqrt(k^2 + m^2), so every mode
    moves right (group velocity k0 / omega(k0)).  ``x`` must be a uniform periodic grid.
    """
    x = np.asarray(x, dtype=float)
    psi = amplitude * np.exp(-0.5 * ((x - x0) / sigma) ** 2 + 1j * k0 * (x - x0))
    k = 2.0 * np.pi * np.fft.fftfreq(x.size, x[1] - x[0])
    omega = np.sqrt(k * k + mass * mass)
    c = np.fft.fft(psi)
    c[k < 0] = 0.0                          # the right-moving (positive-k) part only: psi's own, for k0 sigma >> 1
    return np.fft.ifft(c).real, np.fft.ifft(-1j * omega * c).real


def kink_mass(model: str) -> float:
    """A kink's rest energy M: 8 (sine-Gordon), 2 sqrt(2) / 3 (phi^4); a moving one has gamma M."""
    return {"sine_gordon": 8.0, "phi4": 2.0 * math.sqrt(2.0) / 3.0}[model]


def breather_energy(omega: float) -> float:
    """A sine-Gordon breather's energy 16 sqrt(1 - w^2) (below two kinks' 16: it is bound)."""
    return 16.0 * math.sqrt(1.0 - omega * omega)


def linear_frequency(k, mass: float = 1.0):
    """The Klein–Gordon dispersion relation omega = sqrt(k^2 + m^2) (phase speed > 1, group < 1)."""
    return np.sqrt(np.asarray(k, dtype=float) ** 2 + mass * mass)


def verlet_frequency(k, mass: float, dt: float):
    """The frequency Störmer–Verlet gives a linear mode: 2/dt arcsin(omega dt / 2) = omega (1 + (omega dt)^2/24 + ...)."""
    return 2.0 / dt * np.arcsin(linear_frequency(k, mass) * dt / 2.0)


def crossings(x, phi, level: float) -> np.ndarray:
    """Where phi crosses ``level`` (linear interpolation between grid points), in increasing x."""
    x = np.asarray(x, dtype=float)
    d = np.asarray(phi, dtype=float) - level
    j = np.nonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0)[0]
    return x[j] + (x[j + 1] - x[j]) * d[j] / (d[j] - d[j + 1])


# ---- the solver --------------------------------------------------------------------------------------
def _steps_numpy(u, pi, acc, ramp, k2, n, dt, code, m2):
    """n velocity-Verlet steps in place (NumPy twin of the compiled kernel; same arithmetic)."""
    size = u.size
    h = 0.5 * dt
    phi = np.empty_like(u)
    for _ in range(n):
        pi += h * acc
        u += dt * pi
        acc[:] = np.fft.irfft(np.fft.rfft(u) * k2, n=size)
        np.add(u, ramp, out=phi)
        if code == 0:
            acc -= m2 * phi
        elif code == 1:
            acc -= phi * (phi * phi - 1.0)
        else:
            acc -= np.sin(phi)
        pi += h * acc


#: Taylor coefficients (-1)^k / (2k + 1)! of sin up to z^23: below 1e-18 on |z| <= pi/2
_SIN_TAYLOR = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(12))

if HAVE_NUMBA:  # pragma: no branch - which branch runs depends on the machine
    import numba

    from physics._backend import _fft_c2r, _fft_r2c

    _S0, _S1, _S2, _S3, _S4, _S5, _S6, _S7, _S8, _S9, _S10, _S11 = _SIN_TAYLOR

    @numba.njit(inline="always")
    def _sin(v):
        """sin v to within 6e-16 (absolute), in straight-line arithmetic the compiler vectorizes.

        libm's sin is a call per value (8 ns here, measured in bench/solitons.py): it cost the
        sine-Gordon kernel 2.5x the time of its two FFTs.  Reduced to [-pi, pi] (2 pi periodic),
        folded to [-pi/2, pi/2] (sin(pi - y) = sin y), then a Horner polynomial: under 1 ns."""
        y = v - 2.0 * math.pi * math.floor(v * (0.5 / math.pi) + 0.5)
        a = abs(y)
        z = math.copysign(min(a, math.pi - a), y)
        z2 = z * z
        p = _S11 * z2 + _S10
        p = p * z2 + _S9
        p = p * z2 + _S8
        p = p * z2 + _S7
        p = p * z2 + _S6
        p = p * z2 + _S5
        p = p * z2 + _S4
        p = p * z2 + _S3
        p = p * z2 + _S2
        p = p * z2 + _S1
        p = p * z2 + _S0
        return z * p

    # cached on disk: the FFTW addresses are in ``fftw``, an argument, never constants of the code
    @numba.njit(cache=True, nogil=True)
    def _steps_numba(u, pi, acc, ramp, k2, n, dt, code, m2, fftw, spec, lap):
        """n velocity-Verlet steps in place in one compiled loop (k2 = -k^2 / N: the inverse FFT
        runs unscaled).

        ``fftw`` chooses the transforms: FFTW's ``"r2c"`` plans or ``POCKETFFT`` (rocket-fft; see
        :func:`physics._backend.fft_transforms`).  ``spec`` (N // 2 + 1 complex128) and ``lap`` (N
        float64) are scratch; with FFTW they and ``u`` must be 64-byte aligned, as the plans'
        arrays were (:func:`physics._backend.aligned_empty`), or a ValueError says so.  The r2c
        leaves ``u`` as it was; FFTW's c2r may overwrite ``spec``, which is not read again.
        """
        if fftw[0] and (u.ctypes.data % 64 or spec.ctypes.data % 64 or lap.ctypes.data % 64):
            raise ValueError("FFTW's plans need 64-byte aligned u, spec and lap")
        size = u.size
        half = size // 2 + 1
        h = 0.5 * dt
        axes = np.zeros(1, dtype=np.int64)
        for _ in range(n):
            for j in range(size):
                pi[j] += h * acc[j]
                u[j] += dt * pi[j]
            _fft_r2c(u, spec, fftw, axes)
            for j in range(half):
                spec[j] *= k2[j]
            _fft_c2r(spec, lap, fftw, axes)
            if code == 0:
                for j in range(size):
                    acc[j] = lap[j] - m2 * (u[j] + ramp[j])
                    pi[j] += h * acc[j]
            elif code == 1:
                for j in range(size):
                    p = u[j] + ramp[j]
                    acc[j] = lap[j] - p * (p * p - 1.0)
                    pi[j] += h * acc[j]
            else:
                for j in range(size):
                    acc[j] = lap[j] - _sin(u[j] + ramp[j])
                    pi[j] += h * acc[j]


class Simulation:
    """The field phi and its velocity pi = phi_t on a periodic grid, advanced by Störmer–Verlet.

    Parameters
    ----------
    x : ndarray
        Uniform periodic grid, endpoint excluded (x[-1] + dx is x[0] again); an even length.
    phi0, pi0 : ndarray
        The field and its time derivative at t = 0 (copied).
    model : {"linear", "phi4", "sine_gordon"}
        The potential (:func:`potential`).
    dt : float
        Time step; below :func:`stability_limit` (a ValueError says so otherwise).
    mass : float
        m of the linear model.
    twist : float or None
        The jump phi(x_max) - phi(x_min) the field carries across the box (a single kink); None
        reads it off ``phi0`` (its end-to-end jump rounded to a whole number of vacuum steps).
    fft : {None, "fftw", "pocketfft"}, keyword-only
        Transforms of the compiled loop: FFTW (needs pyFFTW installed; a RuntimeError otherwise),
        pocketfft through rocket-fft, or None for whichever does a real FFT and its inverse faster
        at this grid's length (timed once per process and length).  Without Numba the NumPy twin
        always uses numpy.fft.

    Attributes
    ----------
    t : float
        Time reached.
    fft : str
        The transforms in use: "fftw", "pocketfft" (rocket-fft) or "numpy" (the NumPy twin).

    Examples
    --------
    >>> x = np.linspace(-20, 20, 256, endpoint=False)
    >>> sim = Simulation(x, *sg_breather(x, 0.5), "sine_gordon", 0.02)
    >>> sim.step(50); round(sim.t, 6)
    1.0
    >>> abs(sim.energy() / breather_energy(0.5) - 1) < 1e-3     # O(dt^2), and it does not drift
    True
    """

    def __init__(self, x, phi0, pi0, model: str = "sine_gordon", dt: float = 0.05, mass: float = 1.0,
                 twist: float | None = None, *, fft: str | None = None):
        _check_model(model)
        if fft not in (None, "fftw", "pocketfft"):
            raise ValueError(f"fft must be None, 'fftw' or 'pocketfft', not {fft!r}")
        if fft == "fftw" and not (HAVE_NUMBA and fftw_library() is not None):
            raise RuntimeError("FFTW is not available here (it needs Numba and pyFFTW)")
        x = np.asarray(x, dtype=float)
        phi0 = np.asarray(phi0, dtype=float)
        pi0 = np.asarray(pi0, dtype=float)
        if x.ndim != 1 or x.size < 8 or x.size % 2:
            raise ValueError("x must be a one-dimensional grid of an even number (at least 8) of points")
        if phi0.shape != x.shape or pi0.shape != x.shape:
            raise ValueError("phi0 and pi0 must have the shape of x")
        dx = float(x[1] - x[0])
        if not dx > 0 or not np.allclose(np.diff(x), dx, rtol=1e-9, atol=0.0):
            raise ValueError("x must be uniform and increasing")
        if not (np.all(np.isfinite(phi0)) and np.all(np.isfinite(pi0))):
            raise ValueError("phi0 and pi0 must be finite numbers")
        if not math.isfinite(mass) or mass < 0:
            raise ValueError("mass must be a finite number >= 0")
        limit = stability_limit(dx, model, mass)
        if not (math.isfinite(dt) and 0.0 < dt < limit):
            raise ValueError(f"dt = {dt:g} must be positive and below the stability limit "
                             f"2 / omega_max = {limit:.4g} of this grid")
        self.x, self.dx, self.dt = x, dx, float(dt)
        self.model, self.mass = model, float(mass)
        n = x.size
        self.length = n * dx
        if twist is None:
            jump = phi0[-1] - phi0[0]
            step = VACUUM_STEP.get(model)
            twist = step * round(jump / step) if step else 0.0
        self.twist = float(twist)
        #: the ramp that carries the twist: phi = u + ramp with u periodic
        self.ramp = self.twist * (x - x[0]) / self.length
        # the periodic part, aligned as FFTW's plans need, and only ever written in place
        self._u = aligned_empty(n, np.float64)
        self._u[:] = phi0 - self.ramp
        self._pi = pi0.copy()
        k = 2.0 * np.pi * np.fft.rfftfreq(n, dx)
        self._k = k
        self._k2 = -(k * k)
        self._k2_unscaled = self._k2 / n
        self._acc = self._laplacian(self._u) - force(self.phi, model, self.mass)
        if HAVE_NUMBA:
            self._fftw = fft_transforms("r2c", n, fft)
            self.fft = "fftw" if self._fftw[0] else "pocketfft"
            self._spec = aligned_empty(n // 2 + 1)
            self._lap = aligned_empty(n, np.float64)
        else:
            self._fftw = None
            self.fft = "numpy"
        self.t = 0.0
        self.steps = 0

    # ---- state -------------------------------------------------------------------------------------
    @property
    def phi(self) -> np.ndarray:
        """The field phi(x, t) (a new array)."""
        return self._u + self.ramp

    @property
    def pi(self) -> np.ndarray:
        """Its time derivative phi_t(x, t) (a copy)."""
        return self._pi.copy()

    def _laplacian(self, u: np.ndarray) -> np.ndarray:
        return np.fft.irfft(np.fft.rfft(u) * self._k2, n=u.size)

    def gradient(self) -> np.ndarray:
        """phi_x, spectrally (the periodic part's derivative plus the twist's slope)."""
        c = np.fft.rfft(self._u) * (1j * self._k)
        if self.x.size % 2 == 0:
            c[-1] = 0.0                 # the Nyquist mode has no derivative on the grid
        return np.fft.irfft(c, n=self.x.size) + self.twist / self.length

    # ---- time ---------------------------------------------------------------------------------------
    def step(self, n: int = 1) -> None:
        """Advance n steps of dt (kick dt/2, drift dt, kick dt/2 with the new force).

        Raises FloatingPointError if the field stops being a finite number (it is then left as it was)."""
        n = int(n)
        if n <= 0:
            return
        saved = (self._u.copy(), self._pi.copy(), self._acc.copy())
        code, m2 = _CODE[self.model], self.mass * self.mass
        if self._fftw is not None:
            _steps_numba(self._u, self._pi, self._acc, self.ramp, self._k2_unscaled, n, self.dt, code, m2,
                         self._fftw, self._spec, self._lap)
        else:
            _steps_numpy(self._u, self._pi, self._acc, self.ramp, self._k2, n, self.dt, code, m2)
        if not (math.isfinite(float(np.sum(self._u))) and math.isfinite(float(np.sum(self._pi)))):
            for live, good in zip((self._u, self._pi, self._acc), saved):
                live[:] = good              # in place: _u keeps its alignment
            raise FloatingPointError("the field is not a finite number")
        self.steps += n
        self.t = self.steps * self.dt

    # ---- observables -----------------------------------------------------------------------------
    def energy_density(self) -> np.ndarray:
        """e(x) = phi_t^2 / 2 + phi_x^2 / 2 + V(phi) (energy per unit length)."""
        grad = self.gradient()
        return 0.5 * self._pi ** 2 + 0.5 * grad ** 2 + potential(self.phi, self.model, self.mass)

    def energy(self) -> float:
        """E = integral of (phi_t^2 / 2 + phi_x^2 / 2 + V(phi)) dx over the box (conserved)."""
        return float(np.sum(self.energy_density()) * self.dx)

    def momentum(self) -> float:
        """P = -integral of phi_t phi_x dx (conserved on the periodic box; a kink moving at v has gamma M v)."""
        return float(-np.sum(self._pi * self.gradient()) * self.dx)


def escape_speed(late, end, elapsed: float, model: str) -> float:
    """The outgoing speed of a colliding kink–antikink pair, or 0 when they are trapped.

    ``late`` and ``end`` are where the field crosses the level between the vacua (the kinks),
    ``elapsed`` apart in time.  The speed is that of the outermost crossing; a pair still within
    TRAPPED_WITHIN rest widths of the centre, or not moving apart (below 0.005), is trapped: a bion
    breathes near the centre, escaping kinks run away from it.
    """
    def outer(p):
        return float(np.max(np.abs(p))) if len(p) else 0.0

    x1, x2 = outer(late), outer(end)
    v_out = (x2 - x1) / elapsed if elapsed > 0 else 0.0
    escaped = x2 > TRAPPED_WITHIN * KINK_WIDTH.get(model, 1.0) and v_out > 0.005
    return float(v_out) if escaped else 0.0


# ---- the lesson's collision scan -------------------------------------------------------------------
def collision_outcome(v: float, x0: float = 10.0, length: float = 160.0, points: int = 1024,
                      dt: float = 0.05, after: float = 120.0, model: str = "phi4") -> dict:
    """What comes out of a symmetric kink–antikink collision at incoming speed v.

    The kinks start at -+x0 (:func:`phi4_collision`, or the sine-Gordon pair) and run until
    ``after`` time units past the moment they would meet, x0 / v.  The outgoing speed is read from
    the outermost crossing of the level between the vacua (phi = 0 for phi^4, |phi| = pi for sine-Gordon)
    over the last 20 time units; a pair still within TRAPPED_WITHIN rest widths of the centre, or not
    moving apart, is trapped (a bion) and has outgoing speed 0.  The thresholds: v_c = 0.2598 above
    which one bounce frees them, and the first two-bounce window 0.1926 < v < 0.2029 (Campbell,
    Schonfeld and Wingate, Physica D 9, 1 (1983)); tests/physics/test_kleingordon.py checks both.

    Returns
    -------
    dict
        ``v_in``, ``v_out`` (0 when trapped), ``escaped`` (bool), ``bounces`` (how many times the
        field at the centre went back to the vacuum between the kinks and out again; 1 for a clean
        bounce), ``t_end``.
    """
    if not 0.0 < v < 1.0:
        raise ValueError(f"the speed must be between 0 and 1, not {v}")
    x = np.linspace(-length / 2, length / 2, points, endpoint=False)
    if model == "phi4":
        phi0, pi0 = phi4_collision(x, v, x0)
        level, inside, fold = 0.0, 1.0, (lambda phi: phi)
    elif model == "sine_gordon":
        k, k_t = sg_kink(x, -x0, v, 0.0, -1)
        a, a_t = sg_kink(x, x0, -v, 0.0, 1)
        phi0, pi0 = k + a - 2.0 * np.pi, k_t + a_t
        # (|phi| crosses pi: the middle goes from -2 pi to +2 pi when they pass through each other)
        level, inside, fold = np.pi, -2.0 * np.pi, np.abs
    else:
        raise ValueError("collisions are of phi4 or sine_gordon kinks")
    sim = Simulation(x, phi0, pi0, model, dt)
    t_end = x0 / v + after
    centre = x.size // 2
    steps = int(round(t_end / dt))
    probe = max(1, int(round(0.5 / dt)))
    # bounces: each time the centre goes over to the outside vacuum (the kinks meet) after being between them
    far = True
    bounces = 0
    late = steps - int(round(20.0 / dt))
    pos_late = None
    done = 0
    while done < steps:
        n = min(probe, steps - done)
        if done < late <= done + n:
            n = late - done
        sim.step(n)
        done += n
        c = sim._u[centre] + sim.ramp[centre]
        met = abs(c - inside) > 0.5 * VACUUM_STEP[model]     # nearer the outside vacuum
        if far and met:
            bounces += 1
        far = not met
        if done == late:
            pos_late = crossings(x, fold(sim.phi), level)
    pos_end = crossings(x, fold(sim.phi), level)

    v_out = escape_speed(pos_late, pos_end, dt * (steps - late), model)
    return {"v_in": float(v), "v_out": v_out, "escaped": v_out > 0.0, "bounces": int(bounces),
            "t_end": float(sim.t)}
