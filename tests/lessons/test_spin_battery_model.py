"""The Spin-battery lesson model with no UI: every number it exposes against dense references.

The model computes with :mod:`physics.battery` (parity sectors, batches, one diagonalisation for
all temperatures).  Here each number is computed another way, with plain NumPy on the full
2^N x 2^N matrices: the chain from :func:`physics.spinchain.hamiltonian` made dense, its Gibbs
state from ``thermal_state``, the figures of merit from ``ergotropy``, ``capacity``,
``l1_coherence``, ``ergotropy_split`` and ``concurrence``, partial traces and transverse drives
from Kronecker products, time evolution from ``scipy.linalg.expm``, and the fields B_i = B + b g_i
written out again.  Closed forms where there are some: a resonantly driven free spin, a pure
ground state, a chain that conserves the magnetisation.
"""
import numpy as np
import pytest
from scipy.linalg import expm

from physics import spinchain as sc
from lessons.spin_battery.model import (CHARGE_TIMES, CURVE_POINTS, MAP_POINTS, MAP_POINTS_T, PRESETS,
                                        QUERY_NAMES, SpinBatteryModel)

TOL = 1e-10
#: Wootters' concurrence takes square roots of the eigenvalues of rho S rho* S, some of which are 0
#: (up to rounding) for the states here: a rounding error e in rho moves it by ~sqrt(e).
CONCURRENCE_TOL = 1e-7
SX = np.array([[0, 1], [1, 0]], complex)
SY = np.array([[0, -1j], [1j, 0]], complex)
SZ = np.array([[1, 0], [0, -1]], complex)


# ---- independent references --------------------------------------------------------------------

def ref_fields(n, B, b, profile="alternating"):
    """B_i = B + b g_i: g = +1, -1, +1, ... or a straight line from +1 (site 0) to -1 (site n-1)."""
    g = np.array([(-1.0) ** i for i in range(n)]) if profile == "alternating" else \
        np.array([1.0 - 2.0 * i / (n - 1) for i in range(n)])
    return B + b * g


def site_op(op, i, n):
    """``op`` on site i of n (site 0 is the leftmost Kronecker factor)."""
    out = np.eye(1)
    for k in range(n):
        out = np.kron(out, op if k == i else np.eye(2))
    return out


def partial_trace(rho, n, keep):
    """Trace out the last n - keep sites: sum over k of (1 x <k|) rho (1 x |k>)."""
    a, rest = 2**keep, 2 ** (n - keep)
    out = np.zeros((a, a), complex)
    for k in range(rest):
        e = np.zeros((1, rest))
        e[0, k] = 1.0
        P = np.kron(np.eye(a), e)                  # (a, a * rest)
        out += P @ rho @ P.T
    return out


def settings(m, **override):
    """The model's settings (or overridden ones) as keyword arguments of :func:`dense`."""
    s = dict(n=m.n_sites, Jx=m.Jx, Jy=m.Jy, Jz=m.Jz, D=m.D, K=m.K, B=m.B, b=m.b, T=m.T, profile=m.profile)
    s.update(override)
    return s


def dense(n, Jx, Jy, Jz, D, K, B, b, T, profile="alternating"):
    """Gibbs state and every read-out, on the dense path of physics.spinchain."""
    f = ref_fields(n, B, b, profile)
    H = sc.hamiltonian(n, Jx, Jy, Jz, D, K, fields=f).toarray()
    HB = sc.battery_hamiltonian(f).toarray()
    rho = sc.thermal_state(H, T)
    h = np.real(np.diag(HB))
    energy = float(np.real(np.trace(rho @ HB)))
    inc, coh = sc.ergotropy_split(rho, HB)
    W, C = sc.ergotropy(rho, HB), sc.capacity(rho, HB)
    return {"rho": rho, "H": H, "HB": HB, "h": h, "fields": f,
            "ergotropy": W, "capacity": C, "stored": energy - h.min(), "incoherent": inc, "coherent": coh,
            "coherence": sc.l1_coherence(rho), "concurrence": sc.concurrence(partial_trace(rho, n, 2)),
            "max_energy": h.max() - h.min(), "efficiency": W / C if C > 1e-12 else 0.0}


def assert_close(got, expected, tol=TOL, what=""):
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol, err_msg=what)


# ---- read-outs ----------------------------------------------------------------------------------

READOUT_CASES = [
    dict(),                                                                          # the defaults, N = 2
    dict(n_sites=3, Jx=0.7, Jy=-0.4, Jz=1.3, D=1.1, K=0.6, B=0.8, b=-0.5, T=0.8),
    dict(n_sites=5, Jx=-1.0, Jy=-0.6, Jz=-0.3, D=0.3, K=1.2, B=1.5, b=0.9, T=1.7, profile="gradient"),
    dict(n_sites=4, Jx=0.0, Jy=0.0, Jz=1.0, D=2.0, K=0.0, B=0.4, b=1.6, T=0.05),
    dict(n_sites=2, Jx=1.5, Jy=-0.5, Jz=0.25, D=3.0, K=0.9, B=0.0, b=1.2, T=5.0),
]


@pytest.mark.parametrize("kw", READOUT_CASES)
def test_readouts_are_the_dense_figures_of_merit(kw):
    m = SpinBatteryModel(**kw)
    ref = dense(**settings(m))
    r = m.readouts()
    assert set(r) == {"ergotropy", "capacity", "stored", "incoherent", "coherent", "coherence", "concurrence",
                      "max_energy", "efficiency"}
    for key in r:
        assert_close(r[key], ref[key], CONCURRENCE_TOL if key == "concurrence" else TOL, what=f"{key} at {kw}")
    np.testing.assert_allclose(m.fields(), ref["fields"], rtol=0, atol=1e-15)
    # sanity of the reference itself: 0 <= W <= C, coherent + incoherent = W
    assert 0 <= ref["ergotropy"] <= ref["capacity"] + TOL
    assert_close(ref["incoherent"] + ref["coherent"], ref["ergotropy"])


def test_default_readouts_have_the_values_the_cards_show():
    r = SpinBatteryModel().readouts()
    assert f"{r['ergotropy']:.4f}" == "1.8108"
    assert r["max_energy"] == pytest.approx(4.0, abs=1e-12)          # 2 (|1.3| + |0.7|)
    assert 0 < r["concurrence"] <= 1 and r["coherent"] > 0


@pytest.mark.parametrize("n", [2, 3, 5])
def test_zero_temperature_is_the_pure_ground_state(n):
    m = SpinBatteryModel(n_sites=n, T=0.0, D=0.7, K=0.3, B=1.2, b=0.4)
    ref = dense(**settings(m))
    w = np.linalg.eigvalsh(ref["H"])
    assert w[1] - w[0] > 1e-3, "the ground state must be non-degenerate for this test"
    ground = np.linalg.eigh(ref["H"])[1][:, 0]
    assert_close(m.state().rho, np.outer(ground, ground.conj()))
    r = m.readouts()
    for key in ("ergotropy", "capacity", "stored", "incoherent", "coherent", "coherence"):
        assert_close(r[key], ref[key], what=key)
    assert_close(r["concurrence"], ref["concurrence"], CONCURRENCE_TOL)
    if n == 2:
        # a pure two-qubit state: C = |<psi| sy x sy |psi*>| (the read-out goes through Wootters'
        # square roots, hence the looser tolerance)
        assert_close(r["concurrence"], abs(ground.conj() @ np.kron(SY, SY) @ ground.conj()), CONCURRENCE_TOL)
    # a pure state: its passive state is the empty battery (W = E) and C is the full range of H_B
    assert_close(r["ergotropy"], r["stored"])
    assert_close(r["capacity"], r["max_energy"])
    assert_close(np.sort(m.state().spectrum)[::-1][:2], [1.0, 0.0])


def test_readouts_follow_every_setting():
    m = SpinBatteryModel()
    for name, value in (("D", 2.5), ("K", 1.5), ("B", 0.6), ("b", -1.0), ("T", 0.1), ("Jz", -0.3),
                        ("n_sites", 3), ("profile", "gradient")):
        before = m.readouts()["ergotropy"]
        setattr(m, name, value)
        after = m.readouts()
        assert_close(after["ergotropy"], dense(**settings(m))["ergotropy"], what=name)
        assert after["ergotropy"] != before, f"changing {name} left the ergotropy alone"


# ---- energy ladder ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [dict(), dict(n_sites=3, b=0.5, T=1.0), dict(n_sites=4, B=0.5, b=0.5, T=0.3)])
def test_ladder_groups_populations_by_level_of_H_B(kw):
    m = SpinBatteryModel(**kw)
    ref = dense(**settings(m))
    L = m.ladder()
    h = ref["h"]
    levels = np.unique(np.round(h, 9))
    assert_close(L["energy"], levels)
    assert list(L["degeneracy"]) == [int(np.sum(np.isclose(h, e, atol=1e-9))) for e in levels]
    # rho: diag(rho) summed over the basis states of each level
    pops = np.real(np.diag(ref["rho"]))
    assert_close(L["rho"], [pops[np.isclose(h, e, atol=1e-9)].sum() for e in levels])
    # passive: rho's eigenvalues, largest first, on H_B's energies, lowest first
    r = np.sort(np.linalg.eigvalsh(ref["rho"]))[::-1]
    e = np.sort(h)
    assert_close(L["passive"], [r[np.isclose(e, lev, atol=1e-9)].sum() for lev in levels])
    assert_close([L["rho"].sum(), L["passive"].sum()], [1.0, 1.0])
    # the mean energies: their gap is the ergotropy
    assert_close(L["mean_rho"], float(np.real(np.trace(ref["rho"] @ ref["HB"]))))
    assert_close(L["mean_passive"], float(r @ e))
    assert_close(L["mean_rho"] - L["mean_passive"], ref["ergotropy"])


def test_ladder_of_degenerate_fields_has_fewer_levels():
    m = SpinBatteryModel(n_sites=3, b=0.0, B=1.0)       # H_B = sum sz_i: levels -3, -1, 1, 3
    L = m.ladder()
    assert_close(L["energy"], [-3.0, -1.0, 1.0, 3.0])
    assert list(L["degeneracy"]) == [1, 3, 3, 1]


# ---- heat map ---------------------------------------------------------------------------------------

def test_heatmap_is_rho_with_site_0_leftmost_and_up_bit_0():
    m = SpinBatteryModel(n_sites=3, T=0.7, D=1.0, K=0.4)
    ref = dense(**settings(m))
    hm = m.heatmap()
    assert hm["sites"] == 3 and hm["reduced"] is False
    assert_close(np.abs(hm["rho"]), np.abs(ref["rho"]))
    assert_close(hm["rho"], ref["rho"])
    assert hm["labels"] == ["↑↑↑", "↑↑↓", "↑↓↑", "↑↓↓", "↓↑↑", "↓↑↓", "↓↓↑", "↓↓↓"]


def test_heatmap_labels_name_the_spins_that_are_really_there():
    # no couplings, T = 0, fields 1.5, 0.5, -0.5 (gradient): the ground state has site 0 and 1 down
    # (B_i > 0 favours sz = -1) and site 2 up, whatever the index conventions
    m = SpinBatteryModel(n_sites=3, preset="custom", Jx=0, Jy=0, Jz=0, D=0, K=0, B=0.5, b=1.0,
                         profile="gradient", T=0.0)
    assert_close(m.fields(), [1.5, 0.5, -0.5])
    hm = m.heatmap()
    k = int(np.argmax(np.abs(np.diag(hm["rho"]))))
    assert hm["labels"][k] == "↓↓↑"
    assert abs(hm["rho"][k, k]) == pytest.approx(1.0, abs=TOL)
    # the same state from the Kronecker product of single spins (site 0 leftmost)
    down, up = np.array([0, 1.0]), np.array([1.0, 0])
    assert np.kron(np.kron(down, down), up)[k] == 1.0


def test_heatmap_of_seven_sites_is_the_reduced_state_of_the_first_six():
    m = SpinBatteryModel(n_sites=7, T=0.6, D=0.8, K=0.5, b=0.6)
    ref = dense(**settings(m))
    hm = m.heatmap()
    assert hm["sites"] == 6 and hm["reduced"] is True and hm["rho"].shape == (64, 64)
    reduced = partial_trace(ref["rho"], 7, 6)
    assert_close(hm["rho"], reduced)
    assert_close(np.trace(hm["rho"]), 1.0)
    labels = hm["labels"]
    assert labels[0] == "↑" * 6 and labels[1] == "↑" * 5 + "↓" and labels[32] == "↓" + "↑" * 5
    assert len(hm["labels"]) == 64


# ---- maps ---------------------------------------------------------------------------------------------

def test_map_over_D_and_T():
    m = SpinBatteryModel(D=1.3, T=0.9)
    g = m.map_grid()
    n = MAP_POINTS_T[2]
    assert (g["x_name"], g["y_name"], g["quantity"]) == ("D", "T", "ergotropy")
    assert g["x"].shape == (n,) and g["y"].shape == (n,) and g["z"].shape == (n, n)
    assert (g["x"][0], g["x"][-1]) == m.param.D.bounds and (g["y"][0], g["y"][-1]) == m.param.T.bounds
    assert g["marker"] == (1.3, 0.9)
    assert np.all(np.isfinite(g["z"]))
    # z[row j, column i] is the value at x[i] (D) and y[j] (T); T = 0 is the first row
    for i, j in ((0, 0), (17, 0), (n - 1, 3), (50, 40), (3, n - 1)):
        ref = dense(**settings(m, D=g["x"][i], T=g["y"][j]))
        assert_close(g["z"][j, i], ref["ergotropy"], what=f"D={g['x'][i]}, T={g['y'][j]}")


@pytest.mark.parametrize("quantity", ["capacity", "stored", "coherence", "concurrence", "efficiency"])
def test_map_over_B_and_b_at_the_current_temperature(quantity):
    m = SpinBatteryModel(map_axes="B_b", map_quantity=quantity, T=0.4, D=0.9, Jz=0.5)
    g = m.map_grid()
    n = MAP_POINTS[2]
    assert g["z"].shape == (n, n) and g["quantity"] == quantity
    assert (g["x"][0], g["x"][-1]) == m.param.B.bounds and (g["y"][0], g["y"][-1]) == m.param.b.bounds
    assert g["marker"] == (m.B, m.b)
    for i, j in ((0, 0), (n - 1, n - 1), (30, 71), (64, 12)):
        ref = dense(**settings(m, B=g["x"][i], b=g["y"][j]))
        tol = CONCURRENCE_TOL if quantity == "concurrence" else TOL
        assert_close(g["z"][j, i], ref[quantity], tol, what=f"B={g['x'][i]}, b={g['y'][j]}")


def test_the_concurrence_map_is_for_two_spins_only():
    # beyond two spins the map switches to the ergotropy (the card still shows sites 1-2)
    m = SpinBatteryModel(n_sites=3, map_axes="K_T", map_quantity="concurrence", K=0.5, T=0.3)
    assert m.map_quantity == "ergotropy"
    g = m.map_grid()
    assert g["quantity"] == "ergotropy" and g["marker"] == (0.5, 0.3)
    assert g["z"].shape == (MAP_POINTS_T[3], MAP_POINTS_T[3])
    for i, j in ((10, 0), (99, 60)):
        ref = dense(**settings(m, K=g["x"][i], T=g["y"][j]))
        assert_close(g["z"][j, i], ref["ergotropy"])
    two = SpinBatteryModel(map_quantity="concurrence")
    two.n_sites = 4
    assert two.map_quantity == "ergotropy"
    linked = SpinBatteryModel.from_query({"N": "3", "map_q": "concurrence"})
    assert linked.map_quantity == "ergotropy" and any("two spins" in n for n in linked.notices)


def test_map_over_two_couplings_at_five_sites():
    m = SpinBatteryModel(n_sites=5, map_axes="D_K", T=0.5)
    g = m.map_grid()
    n = MAP_POINTS[5]
    assert g["z"].shape == (n, n) and g["marker"] == (m.D, m.K)
    i, j = 13, 41
    assert_close(g["z"][j, i], dense(**settings(m, D=g["x"][i], K=g["y"][j]))["ergotropy"])


# ---- curves ----------------------------------------------------------------------------------------------

CURVE_KEYS = ("ergotropy", "capacity", "stored", "incoherent", "coherence")


def test_curves_against_temperature():
    m = SpinBatteryModel(n_sites=3, D=1.2, T=0.8)
    c = m.curves()
    assert c["axis"] == "T" and c["current"] == 0.8
    assert c["x"].shape == (251,) and (c["x"][0], c["x"][-1]) == m.param.T.bounds
    for k in (0, 1, 40, 250):
        ref = dense(**settings(m, T=c["x"][k]))
        for key in CURVE_KEYS:
            assert_close(c[key][k], ref[key], what=f"{key} at T={c['x'][k]}")
    # the curve passes through the read-outs at the current temperature
    T_model = SpinBatteryModel(n_sites=3, D=1.2, T=c["x"][40]).readouts()
    assert_close(c["ergotropy"][40], T_model["ergotropy"])


def test_curves_against_D():
    m = SpinBatteryModel(curve_axis="D", T=0.3, K=0.7)
    c = m.curves()
    n = CURVE_POINTS[2]
    assert c["axis"] == "D" and c["current"] == m.D and c["x"].shape == (n,)
    assert (c["x"][0], c["x"][-1]) == m.param.D.bounds
    for k in (0, 77, n - 1):
        ref = dense(**settings(m, D=c["x"][k]))
        for key in CURVE_KEYS:
            assert_close(c[key][k], ref[key], what=f"{key} at D={c['x'][k]}")


def test_long_chains_refuse_maps_but_draw_curves_against_temperature():
    m = SpinBatteryModel(n_sites=9, T=0.5)
    assert not m.maps_available()
    with pytest.raises(ValueError, match="maps are computed for up to 8 sites"):
        m.map_grid()
    c = m.curves()
    assert c["x"].shape == (251,) and "coherence" not in c      # rho per point is too costly there
    assert np.all(np.isfinite(c["ergotropy"])) and np.all(c["ergotropy"] <= c["capacity"] + TOL)
    # one point against the dense Gibbs state (2^9 x 2^9: only what one eigvalsh of rho gives)
    f = ref_fields(9, m.B, m.b)
    rho = sc.thermal_state(sc.hamiltonian(9, m.Jx, m.Jy, m.Jz, m.D, m.K, fields=f), c["x"][25])
    h = np.real(np.diag(sc.battery_hamiltonian(f).toarray()))
    r, e = np.sort(np.linalg.eigvalsh(rho))[::-1], np.sort(h)
    energy = float(np.real(np.diag(rho)) @ h)
    assert_close(c["stored"][25], energy - e[0])
    assert_close(c["ergotropy"][25], energy - r @ e)
    assert_close(c["capacity"][25], r @ e[::-1] - r @ e)
    assert_close(c["incoherent"][25], energy - np.sort(np.real(np.diag(rho)))[::-1] @ e)
    m.curve_axis = "D"
    with pytest.raises(ValueError, match="up to 8 sites"):
        m.curves()
    ten = SpinBatteryModel(n_sites=10, map_axes="B_b")            # refused before any computing
    with pytest.raises(ValueError, match="maps are computed for up to 8 sites"):
        ten.map_grid()


# ---- charging ----------------------------------------------------------------------------------------------

def dense_charging(m, times):
    """Stored energy, ergotropy and local ergotropy of U rho0 U^dagger, U = expm(-i H_charge t)."""
    n = m.n_sites
    f = ref_fields(n, m.B, m.b, m.profile)
    # H_B = sum_i B_i sz_i from its definition: sz_i = +1 where bit (n - 1 - i) of the basis index is 0
    HB = np.diag([sum(f[i] * (1 - 2 * ((s >> (n - 1 - i)) & 1)) for i in range(n))
                  for s in range(2**n)]).astype(complex)
    assert_close(HB, sc.battery_hamiltonian(f).toarray())
    rho0 = sc.thermal_state(HB, m.T)
    drive = m.omega * sum(site_op(SX, i, n) for i in range(n))
    H = sc.hamiltonian(n, m.Jx, m.Jy, m.Jz, m.D, m.K, fields=f).toarray()
    Hc = {"drive": drive, "field": H + drive, "chain": H}[m.charger]
    out = {"stored": [], "ergotropy": [], "local": [], "sz": []}
    for t in times:
        U = expm(-1j * Hc * t)
        rho = U @ rho0 @ U.conj().T
        out["stored"].append(np.real(np.trace(rho @ HB)) - np.min(np.diag(HB).real))
        out["ergotropy"].append(sc.ergotropy(rho, HB))
        local = 0.0
        for i in range(n):
            # site i moved to the front (rows and columns), then everything else traced out
            moved = np.moveaxis(rho.reshape([2] * (2 * n)), [i, n + i], [0, n]).reshape(2**n, 2**n)
            r1 = partial_trace(moved, n, 1)
            local += sc.ergotropy(r1, f[i] * SZ)
        out["local"].append(local)
        out["sz"].append([np.real(np.trace(rho @ site_op(SZ, i, n))) for i in range(n)])
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize("charger", ["drive", "field", "chain"])
@pytest.mark.parametrize("kw", [dict(T=0.5), dict(n_sites=3, T=0.0, b=0.4, D=0.8, Jy=0.6, Jz=0.3, omega=0.7)])
def test_charging_is_the_dense_evolution(charger, kw):
    m = SpinBatteryModel(charger=charger, **kw)
    run = m.charging()
    t = run["times"]
    assert t.shape == (CHARGE_TIMES,) and t[0] == 0 and t[-1] == m.t_max
    picks = [0, 17, 120, CHARGE_TIMES - 1]
    ref = dense_charging(m, t[picks])
    for key in ("stored", "ergotropy", "local", "sz"):
        assert_close(run[key][picks], ref[key], tol=1e-9, what=f"{key}, {charger}")
    # the average power counts what the charger added since t = 0
    assert run["power"][0] == 0.0
    k = picks[2]
    assert_close(run["power"][k], (run["stored"][k] - run["stored"][0]) / t[k])
    assert run["best_power"] == pytest.approx(run["power"].max(), abs=1e-15)
    assert run["power"][int(np.argmin(np.abs(t - run["best_time"])))] == run["best_power"]
    assert run["note"] == ""
    assert run["max_energy"] == pytest.approx(2 * np.abs(ref_fields(m.n_sites, m.B, m.b)).sum(), abs=1e-12)


def test_resonant_drive_flips_free_spins_fully_at_a_quarter_period():
    # omega = 1, t_max = 2 pi: t = pi / 2 is time step 60 of 240
    m = SpinBatteryModel(charger="drive", T=0.0, omega=1.0, t_max=2 * np.pi, n_sites=3, b=0.4)
    run = m.charging()
    f = ref_fields(3, m.B, m.b)
    assert np.all(f > 0)
    assert run["times"][60] == pytest.approx(np.pi / 2, abs=1e-14)
    full = 2 * np.abs(f).sum()
    assert_close(run["stored"][60], full)
    assert_close(run["ergotropy"][60], full)          # a pure state at the top: all of it extractable
    assert_close(run["local"][60], full)
    # the whole run: each spin's excited population is sin^2(omega t)
    assert_close(run["stored"], full * np.sin(m.omega * run["times"]) ** 2)
    assert run["best_power"] > 0


def test_resonant_drive_from_a_thermal_battery():
    # each spin starts with <sz_i> = -tanh(B_i / T); the drive turns it: <sz_i>(t) = <sz_i>(0) cos(2 omega t)
    m = SpinBatteryModel(charger="drive", T=0.8, omega=0.6, b=-0.5)
    run = m.charging()
    f, t = ref_fields(2, m.B, m.b), run["times"]
    expected = np.abs(f).sum() - np.sum(f * np.tanh(f / m.T)) * np.cos(2 * m.omega * t)
    assert_close(run["stored"], expected)


def test_a_magnetisation_conserving_chain_cannot_charge_the_empty_battery():
    # XXX (Jx = Jy), DM along z and K = 0 conserve sum sz_i; all fields > 0, T = 0: the empty
    # battery (all spins down) is alone in its sector, an eigenstate of H
    m = SpinBatteryModel(charger="chain", K=0.0, D=1.4, T=0.0, n_sites=3, t_max=20)
    assert (m.Jx, m.Jy, m.Jz) == (1.0, 1.0, 1.0)
    assert np.all(m.fields() > 0)
    run = m.charging()
    assert_close(run["stored"], np.zeros(CHARGE_TIMES))
    assert_close(run["ergotropy"], np.zeros(CHARGE_TIMES))
    assert run["best_power"] == pytest.approx(0.0, abs=TOL)
    # the KSEA term does not conserve it: the same chain with K > 0 charges
    m.K = 0.5
    assert m.charging()["stored"].max() > 0.1


def test_long_chains_charge_from_the_zero_temperature_battery():
    m = SpinBatteryModel(n_sites=8, T=1.0, charger="drive", omega=1.0, t_max=2 * np.pi)
    run = m.charging()
    assert "8 sites" in run["note"] and "T = 0" in run["note"]
    f = ref_fields(8, m.B, m.b)
    assert_close(run["stored"], 2 * np.abs(f).sum() * np.sin(run["times"]) ** 2, tol=1e-9)


# ---- presets -----------------------------------------------------------------------------------------------

def test_choosing_a_preset_sets_the_couplings():
    m = SpinBatteryModel()
    assert m.preset == "xxx_afm" and (m.Jx, m.Jy, m.Jz) == (1.0, 1.0, 1.0)
    for key, (_, J) in PRESETS.items():
        if J is None:
            continue
        m.preset = key
        assert (m.Jx, m.Jy, m.Jz) == J and m.preset == key
        assert_close(m.readouts()["ergotropy"], dense(**settings(m))["ergotropy"], what=key)


def test_moving_a_J_slider_makes_the_preset_custom_and_custom_leaves_J_alone():
    m = SpinBatteryModel()
    m.preset = "xyz_afm"
    m.Jz = 0.35
    assert m.preset == "custom" and (m.Jx, m.Jy, m.Jz) == (1.0, 0.6, 0.35)
    m.preset = "custom"
    assert (m.Jx, m.Jy, m.Jz) == (1.0, 0.6, 0.35)
    # choosing custom on a preset's couplings keeps them too
    m.preset = "xxz_fm"
    m.preset = "custom"
    assert (m.Jx, m.Jy, m.Jz) == (-1.0, -1.0, -0.5) and m.preset == "custom"
    # moving the sliders onto a preset's couplings names it
    m.param.update(Jx=0.0, Jy=0.0, Jz=1.0)
    assert m.preset == "ising_afm"


def test_constructing_with_a_preset_applies_its_couplings():
    m = SpinBatteryModel(preset="xyz_afm")
    assert (m.preset, m.Jx, m.Jy, m.Jz) == ("xyz_afm", 1.0, 0.6, 0.3)


# ---- the link ------------------------------------------------------------------------------------------------

def test_every_setting_is_in_the_link():
    assert set(QUERY_NAMES.values()) == {p for p in SpinBatteryModel.param if p not in ("name", "notices")}
    q = {"preset": "custom", "Jx": "0.3", "Jy": "-0.2", "Jz": "1.1", "D": "2", "K": "0.1", "B": "3", "b": "-1",
         "field": "gradient", "T": "0.25", "N": "4", "map": "B_b", "map_q": "stored", "curve": "K",
         "charger": "field", "omega": "2.5", "tmax": "12"}
    m = SpinBatteryModel.from_query(q)
    assert m.notices == []
    assert (m.Jx, m.Jy, m.Jz, m.D, m.K, m.B, m.b, m.T, m.n_sites) == (0.3, -0.2, 1.1, 2.0, 0.1, 3.0, -1.0, 0.25, 4)
    assert (m.preset, m.profile, m.map_axes, m.map_quantity, m.curve_axis, m.charger, m.omega, m.t_max) == \
        ("custom", "gradient", "B_b", "stored", "K", "field", 2.5, 12.0)


def test_bad_link_is_clamped_with_notices():
    m = SpinBatteryModel.from_query({"D": "abc", "K": "nan", "B": "inf", "b": "-1e999", "T": "-1", "N": "99",
                                     "Jz": "7", "omega": "0", "preset": "<script>alert(1)</script>",
                                     "map": "x_y", "tmax": "9" * 80})
    assert (m.D, m.K, m.B, m.b, m.T, m.n_sites, m.Jz, m.omega, m.t_max) == \
        (0.5, 0.2, 4.0, -2.0, 0.0, 10, 2.0, 0.1, 6.0)
    assert m.map_axes == "D_T"
    # preset=<script> fell back to the default, then Jz = 2 is no preset's
    assert m.preset == "custom" and (m.Jx, m.Jy) == (1.0, 1.0)
    text = "\n".join(m.notices)
    assert len(m.notices) == 11, m.notices
    for expected in ("'D=abc' is not a number: using 0.5.", "'K' was NaN: using 0.2.",
                     "'B=inf' is above the largest allowed value: clamped to 4.",
                     "'b=-1e999' is below the smallest allowed value: clamped to -2.",
                     "'T=-1' is below the smallest allowed value: clamped to 0.",
                     "'N=99' is above the largest allowed value: clamped to 10.",
                     "'preset=<script>alert(1)</scr...' is not one of", "'tmax' was too long"):
        assert expected in text, (expected, m.notices)
    # (N = 10 is not computed here: a 2^10 chain takes seconds to diagonalise)
    clean = SpinBatteryModel.from_query({"D": "abc", "K": "nan", "B": "inf", "b": "-1e999", "T": "-1"})
    assert all(np.isfinite(v) for v in clean.readouts().values())
    assert_close(clean.readouts()["ergotropy"], dense(**settings(clean))["ergotropy"])


def test_link_with_a_preset_and_no_J_values_opens_its_couplings():
    m = SpinBatteryModel.from_query({"preset": "xyz_fm"})
    assert (m.preset, m.Jx, m.Jy, m.Jz) == ("xyz_fm", -1.0, -0.6, -0.3) and m.notices == []
    assert_close(m.readouts()["capacity"], dense(**settings(m))["capacity"])
    # J values in the link win, and name their own preset
    m = SpinBatteryModel.from_query({"preset": "xyz_fm", "Jx": "0", "Jy": "0", "Jz": "1"})
    assert (m.preset, m.Jx, m.Jy, m.Jz) == ("ising_afm", 0.0, 0.0, 1.0)
    m = SpinBatteryModel.from_query({"preset": "custom", "Jx": "0.5"})
    assert (m.preset, m.Jx, m.Jy, m.Jz) == ("custom", 0.5, 1.0, 1.0)
    # an unknown preset: the default, with its couplings
    m = SpinBatteryModel.from_query({"preset": "heisenberg"})
    assert (m.preset, m.Jx, m.Jy, m.Jz) == ("xxx_afm", 1.0, 1.0, 1.0) and len(m.notices) == 1


def test_a_link_with_a_preset_and_some_couplings_starts_from_the_preset():
    m = SpinBatteryModel.from_query({"preset": "xyz_fm", "Jz": "0.7"})
    assert (m.Jx, m.Jy, m.Jz, m.preset) == (-1.0, -0.6, 0.7, "custom")
    same = SpinBatteryModel.from_query({"preset": "xyz_fm", "Jz": "-0.3"})
    assert (same.Jx, same.Jy, same.Jz, same.preset) == (-1.0, -0.6, -0.3, "xyz_fm")
