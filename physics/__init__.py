"""Quantum Lessons physics back-end: numerics only (NumPy, SciPy, optional Numba).

Natural units throughout: hbar = m = 1, so H = -(1/2) d^2/dx^2 + V(x), energy E = k^2 / 2 and
a packet with mean wavenumber k0 moves at group velocity k0.

Modules
-------
potentials  -- barrier shapes sampled on a uniform grid (edges on cell boundaries)
scattering  -- closed-form and transfer-matrix transmission T(E), packet-averaged T
wavepacket  -- Gaussian packets and the split-operator FFT solver with absorbing boundaries
eigen       -- bound states on a grid (SciPy tridiagonal solver, Richardson-extrapolated),
               superpositions in time, and energy/position measurement
pinn        -- a physics-informed neural network for H psi = E psi, derivatives written out in NumPy
spinchain   -- Heisenberg XYZ chains with DM/KSEA couplings as quantum batteries: thermal states,
               ergotropy, capacity, coherence, concurrence, charging (sigma units, k_B = 1)
vqe         -- a variational quantum eigensolver on that chain: hardware-efficient circuits (pure and
               with depolarising noise), shot-based measurement, optimisers, zero-noise extrapolation
anderson    -- Anderson localization on a tight-binding chain (hbar = 1, hopping J): Chebyshev
               propagation, a vibrating lattice by a fourth-order Magnus integrator, absorbing ends,
               transfer-matrix localization lengths and the weak-disorder laws

No module here imports Panel, Bokeh or HoloViews: the lessons call into this package, never the
other way round.  Every compiled kernel has a pure-NumPy twin (see ``physics._backend``) so the
same code runs in Pyodide, where Numba does not exist.
"""
