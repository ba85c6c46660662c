"""Barrier shapes: edges on cell boundaries, heights and parameters as documented."""
import numpy as np
import pytest

from physics import potentials


X = np.linspace(-20, 20, 400, endpoint=False)   # dx = 0.1
DX = 0.1


@pytest.mark.parametrize("width,position", [(1.5, 0.0), (2.0, 0.0), (1.0, 0.05), (0.36, -3.33), (4.0, 7.0)])
def test_rectangular_is_whole_cells_close_to_requested_width(width, position):
    V = potentials.rectangular(X, 2.0, width, position)
    cells = np.flatnonzero(V)
    assert np.all(np.diff(cells) == 1)                        # one contiguous block
    assert set(np.unique(V)) <= {0.0, 2.0}
    w = cells.size * DX
    assert w == pytest.approx(potentials.snapped_width(X, width, position))
    assert abs(w - width) <= DX / 2 + 1e-12                   # snapped to the nearest boundary
    left_edge = X[cells[0]] - DX / 2
    assert abs(left_edge - (position - width / 2)) <= DX / 2 + 1e-12
    assert cells.size == round(width / DX)


def test_double_barrier_gap_and_symmetry():
    V = potentials.double_barrier(X, 1.0, 1.0, 0.0, 3.0)
    cells = np.flatnonzero(V)
    gaps = np.flatnonzero(np.diff(cells) > 1)
    assert gaps.size == 1
    gap = (cells[gaps[0] + 1] - cells[gaps[0]] - 1) * DX
    assert gap == pytest.approx(3.0, abs=DX + 1e-12)
    assert np.count_nonzero(V[X < 0]) == np.count_nonzero(V[X > 0])


def test_gaussian_fwhm_and_height():
    x = np.linspace(-10, 10, 200001)
    V = potentials.gaussian(x, 3.0, 2.0, 1.0)
    assert V.max() == pytest.approx(3.0)
    above = x[V >= 1.5]
    assert above[-1] - above[0] == pytest.approx(2.0, abs=2e-4)


def test_step_triangular_thin():
    step = potentials.step(X, 0.8, position=2.0)
    assert np.all(step[X >= 2.0 + DX / 2] == 0.8) and np.all(step[X < 2.0 - DX / 2] == 0)
    tri = potentials.triangular(X, 1.5, 4.0, 0.0)
    inside = tri > 0
    assert tri.max() <= 1.5 and tri[inside][0] == pytest.approx(1.5 * (1 - X[inside][0] / 4.0))
    assert np.all(np.diff(tri[inside]) < 0)                      # falls linearly
    thin = potentials.thin(X, 5.0, 1e-6, 0.0)                   # never thinner than one cell
    assert np.count_nonzero(thin) == 1


def test_make_rejects_unknown_shape():
    with pytest.raises(ValueError, match="unknown shape"):
        potentials.make("volcano", X, 1, 1)


# Wells for bound states: edges on grid points whose index is a multiple of EDGE_STRIDE.
XW = np.linspace(-6, 6, 961)          # the bound-states lesson's grid


@pytest.mark.parametrize("width", [3.0, 1.0, 2.33, 4.97])
def test_finite_well_edges_on_stride_points_with_mean_value(width):
    V = potentials.finite_well(XW, width, 10.0)
    mid = np.flatnonzero(V == 5.0)
    assert mid.size == 2 and np.all(mid % potentials.EDGE_STRIDE == 0)
    assert np.all(V[mid[0] + 1: mid[1]] == 0) and np.all(V[: mid[0]] == 10) and np.all(V[mid[1] + 1:] == 10)
    left = potentials.snapped_edge(XW, -width / 2)
    assert XW[mid[0]] == left
    assert abs(left + width / 2) <= potentials.EDGE_STRIDE * (XW[1] - XW[0]) / 2 + 1e-12


def test_hard_walls_are_infinite_including_the_wall_point():
    V = potentials.infinite_well(XW, 4.0)
    walls = ~np.isfinite(V)
    assert np.all(np.isposinf(V[walls]))
    assert XW[~walls].min() > -2 and XW[~walls].max() < 2
    assert XW[np.flatnonzero(~walls)[0] - 1] == pytest.approx(-2.0)
    Vt = potentials.triangular_well(XW, 2.0, -5.0)
    i = np.flatnonzero(np.isfinite(Vt))[0]
    assert XW[i - 1] == pytest.approx(-5.0) and Vt[i] == pytest.approx(2.0 * (XW[i] + 5.0))


def test_every_well_has_floor_zero_and_is_named():
    values = dict(width=3.0, depth=10.0, height=10.0, barrier_width=0.5, omega=1.0, separation=3.0,
                  right=5.0, field=1.0, range=1.0, count=4, spacing=1.5)
    assert len(potentials.WELLS) >= 9
    for name, well in potentials.WELLS.items():
        V = potentials.make_well(name, XW, **{**values, "width": 1.0 if name == "array" else 3.0})
        assert np.min(V[np.isfinite(V)]) == pytest.approx(0.0, abs=0.02), name   # triangular: F dx next to its wall
        assert well.label and set(well.params) <= set(values)
    with pytest.raises(ValueError, match="unknown well"):
        potentials.make_well("nope", XW)


def test_well_array_has_count_wells():
    V = potentials.well_array(XW, 5, 1.0, 8.0, 2.0)
    inside = (V == 0).astype(int)
    assert np.count_nonzero(np.diff(inside) == 1) == 5
