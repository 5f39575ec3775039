"""Path energy and normalised path energy."""
import numpy as np
import pytest

from iadb_graphics.metrics.distances import optimality_ratio, w2_squared
from iadb_graphics.metrics.paths import normalized_path_energy, path_energy, straight_npe


def _straight(x, y, n_t=9, alphas=None):
    a = np.linspace(0, 1, n_t) if alphas is None else alphas
    return (1 - a)[:, None, None] * x[None] + a[:, None, None] * y[None]


def test_straight_path_energy_is_transport_cost(rng):
    x, y = rng.random((40, 2)), rng.random((40, 2))
    cost = np.mean(np.sum((y - x) ** 2, 1))
    assert path_energy(_straight(x, y)) == pytest.approx(cost, rel=1e-12)
    alphas = np.array([0.0, 0.1, 0.5, 0.55, 1.0])  # non-uniform steps, constant speed
    assert path_energy(_straight(x, y, alphas=alphas), alphas=alphas) == pytest.approx(cost, rel=1e-12)
    npe = normalized_path_energy(_straight(x, y))
    assert npe == pytest.approx(optimality_ratio(x, y) - 1, rel=1e-9)
    assert straight_npe(x, y) == pytest.approx(npe, rel=1e-9)


def test_optimal_straight_path_has_zero_npe(rng):
    x = rng.random((30, 2))
    y = 2.0 * x + 1.0  # a gradient of a convex function: optimal
    assert normalized_path_energy(_straight(x, y)) == pytest.approx(0.0, abs=1e-9)


def test_curved_and_uneven_paths_cost_more(rng):
    x = rng.random((30, 2))
    y = x + np.array([1.0, 0.0])
    t = np.linspace(0, 1, 33)
    bent = _straight(x, y, 33).copy()
    bent[:, :, 1] += 0.3 * np.sin(np.pi * t)[:, None]  # same endpoints, a detour
    uneven = _straight(x, y, 33, alphas=t ** 2)  # straight but not constant speed
    base = w2_squared(x, y)
    assert path_energy(bent) > base * 1.1
    assert path_energy(uneven) > base * 1.1
    assert normalized_path_energy(bent) > 0.1


def test_path_bad_input():
    with pytest.raises(ValueError, match="shape"):
        path_energy(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="NaN"):
        path_energy(np.full((3, 2, 2), np.nan))
    with pytest.raises(ValueError, match="alphas"):
        path_energy(np.zeros((3, 2, 2)), alphas=[0.0, 0.5])
    with pytest.raises(ValueError, match="increasing"):
        path_energy(np.zeros((3, 2, 2)), alphas=[0.0, 0.5, 0.5])
    with pytest.raises(TypeError, match="path"):
        path_energy("path")


def test_ot_coupling_reduces_npe_of_grid_iadb():
    """Minibatch-OT pairs straighten the IADB paths, measured with NPE (seeded)."""
    grid = pytest.importorskip("iadb_graphics.maps.grid")
    from iadb_graphics.densities import toy2d

    src, tgt = toy2d("8gaussians"), toy2d("moons")
    x = src.sample(400, rng=5)
    npe = {}
    for coupling in ("independent", "ot"):
        m = grid.GridIADBMap(bins=48, n_steps=16, n_pairs=2 ** 14, coupling=coupling).fit(src, tgt, rng=0)
        npe[coupling] = normalized_path_energy(m.trajectory(x))
    assert npe["ot"] < 0.5 * npe["independent"]
