"""Learned blue noise: OT-grid representation, the shipped IADB map, its inverse, bad input."""
import warnings

import numpy as np
import pytest

from iadb_graphics import pointsets as ps
from iadb_graphics.io import ModelFileError, save_model
from iadb_graphics.metrics.spectral import min_distance, periodogram, radial_power
from iadb_graphics.pointsets.learned import (LearnedBlueNoise, drop_spread, grid_offsets, grid_points,
                                             learned_blue_noise, learned_blue_noise_inverse)


def _torus_cost(x, y):
    d = x[:, None, :] - y[None, :, :]
    d -= np.round(d)
    return (d ** 2).sum(-1)


def _as_set(x):
    return x[np.lexsort(x.T[::-1])]


def _low_power(sets, m):
    r, p = radial_power(periodogram(sets, 2 * m))
    return float(p[r < 0.5 * m].mean())


# ----------------------------------------------------------------------------- representation

def test_offsets_inside_cells_are_recovered_exactly_in_any_point_order():
    rng = np.random.default_rng(0)
    off = rng.random((12, 12, 2)) * 0.98 - 0.49
    x = grid_points(off)
    back = grid_offsets(x[rng.permutation(len(x))])
    np.testing.assert_allclose(back, off, atol=1e-12)


def test_points_wrap_across_the_torus_seam():
    off = np.zeros((4, 4, 2))
    off[0, 0] = (-0.4, -0.3)  # cell (0, 0) centre 0.125: point at 0.125 - 0.1 in x, 0.125 - 0.075 in y
    off[3, 3] = (0.45, 0.45)
    x = grid_points(off)
    np.testing.assert_allclose(x[0], [0.025, 0.05])
    np.testing.assert_allclose(x[15], [(3.95) / 4, (3.95) / 4])
    off[0, 0] = (-0.9, 0.0)  # beyond its cell and the seam: (0.5 - 0.9) / 4 = -0.1 wraps to 0.9
    assert grid_points(off)[0, 0] == pytest.approx(0.9, abs=1e-12)


def test_assignment_is_the_exact_torus_optimum():
    ot = pytest.importorskip("ot")
    for seed in range(3):
        x = np.random.default_rng(seed).random((49, 2))
        off = grid_offsets(x)
        m = 7
        centres = (np.stack(np.meshgrid(np.arange(m), np.arange(m), indexing="ij"), -1).reshape(-1, 2) + 0.5) / m
        ours = float((off ** 2).sum()) / m ** 2
        best = ot.emd2(np.full(49, 1 / 49), np.full(49, 1 / 49), _torus_cost(x, centres)) * 49
        assert ours == pytest.approx(best, rel=1e-9)
        np.testing.assert_allclose(_as_set(grid_points(off)), _as_set(x), atol=1e-12)


def test_representation_rejects_bad_input():
    with pytest.raises(ValueError, match="square number"):
        grid_offsets(np.random.default_rng(0).random((10, 2)))
    with pytest.raises(ValueError, match="2D"):
        grid_offsets(np.random.default_rng(0).random((9, 3)))
    with pytest.raises(ValueError, match="shape"):
        grid_points(np.zeros((3, 4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        grid_points(np.full((2, 2, 2), np.nan))


def test_drop_spread_keeps_an_exact_spread_subset():
    x = ps.jittered(1024, rng=1)
    kept = drop_spread(x, 1000, rng=2)
    assert kept.shape == (1000, 2)
    removed = np.array(sorted(set(map(tuple, x)) - set(map(tuple, kept))))
    assert len(removed) == 24
    # the holes are spread: no two removed points closer than a few cells (white: ~0.5 cell)
    assert min_distance(removed) > 3 / 32
    assert min_distance(kept) >= min_distance(x)
    np.testing.assert_array_equal(drop_spread(x, 1000, rng=2), kept)


# ----------------------------------------------------------------------------- the shipped map

@pytest.fixture(scope="module")
def model():
    return LearnedBlueNoise.load()


def test_shipped_model_loads_with_its_settings(model):
    assert model.meta["exemplar"] in ("sot", "poisson")
    assert 1 <= model.steps <= 16


@pytest.mark.parametrize("n", [0, 1, 2, 5, 1000, 1024, 1025])
def test_exact_count_in_unit_square_and_deterministic(n):
    x = learned_blue_noise(n, rng=3)
    assert x.shape == (n, 2) and x.dtype == np.float64
    if n:
        assert x.min() >= 0 and x.max() < 1
    np.testing.assert_array_equal(x, learned_blue_noise(n, rng=3))
    if n > 4:
        assert not np.array_equal(x, learned_blue_noise(n, rng=4))


def test_learned_sets_are_blue(model):
    m = 32
    learned = [learned_blue_noise(m * m, rng=k) for k in range(4)]
    jit = [ps.jittered(m * m, rng=k) for k in range(4)]
    # far less low-frequency power than jittered sampling (the source), and no near-coincident points
    assert _low_power(learned, m) < 0.3 * _low_power(jit, m)
    assert np.mean([min_distance(x) for x in learned]) * m > 2 * np.mean([min_distance(x) for x in jit]) * m


def test_one_model_serves_other_grid_sizes():
    m = 64
    x = learned_blue_noise(m * m, rng=0)
    assert _low_power([x], m) < 0.3 * _low_power([ps.jittered(m * m, rng=0)], m)


def test_inverse_recovers_the_noise(model):
    m = 24
    noise = model.noise(m, rng=7)
    x = model.transform(noise)
    np.testing.assert_array_equal(x, learned_blue_noise(m * m, rng=7, model=model))
    np.testing.assert_allclose(learned_blue_noise_inverse(x, ordered=True, model=model), noise, atol=1e-4)
    # from the points alone (shuffled): the OT assignment differs from the generating cells in a few
    # cells only, so the noise comes back approximately (an unrelated noise is ~1/3 cell away)
    back = learned_blue_noise_inverse(x[np.random.default_rng(0).permutation(len(x))], model=model)
    assert np.abs(back - noise).mean() < 0.05
    # the forward map moves the points: recovering the noise is not trivial
    assert np.abs(grid_offsets(x) - noise).max() > 0.1


def test_inverse_warns_when_a_step_is_not_invertible(model):
    x = learned_blue_noise(256, rng=1, steps=1, model=model)  # one step: the denoiser, nearly a grid
    with pytest.warns(UserWarning, match="did not converge"):
        learned_blue_noise_inverse(x, steps=1, ordered=True, model=model)


def test_inverse_of_an_exemplar_set_looks_like_the_uniform_source(model):
    x = ps.poisson_disk(1024, rng=11) if model.meta["exemplar"] == "poisson" else ps.sot_blue_noise(1024, rng=11)
    z = learned_blue_noise_inverse(x, model=model)
    assert abs(z.mean()) < 0.05
    assert z.var() < 2 / 12 and np.mean(np.abs(z) <= 0.5) > 0.75  # source: variance 1/12, all in the box
    # a set unlike the exemplars is not sent to the source: white noise maps to far wider offsets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # far from the training data the steps may not invert
        w = learned_blue_noise_inverse(ps.white(1024, rng=11), model=model)
    assert w.var() > 10 / 12 and np.mean(np.abs(w) <= 0.5) < 0.5


def test_save_load_round_trip(tmp_path, model):
    path = tmp_path / "m.npz"
    model.save(path)
    again = LearnedBlueNoise.load(path)
    assert again.meta == model.meta and again.steps == model.steps
    np.testing.assert_array_equal(again.sample(100, rng=1), model.sample(100, rng=1))


def test_foreign_and_corrupt_model_files_are_refused(tmp_path):
    other = tmp_path / "other.npz"
    save_model(other, "IADBMap", {}, {"w": np.zeros(3)})
    with pytest.raises(ModelFileError, match="IADBMap"):
        LearnedBlueNoise.load(other)
    wrong = tmp_path / "wrong.npz"
    save_model(wrong, "LearnedBlueNoise", {"channels": 4, "dilations": [1], "steps": 2}, {"w": np.zeros(3)})
    with pytest.raises(ModelFileError, match="LearnedBlueNoise net"):
        LearnedBlueNoise.load(wrong)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError):
        LearnedBlueNoise.load(bad)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n must be >= 0"):
        learned_blue_noise(-1)
    with pytest.raises(ValueError, match="d=3"):
        learned_blue_noise(16, d=3)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        learned_blue_noise(16, steps=0)
    with pytest.raises(TypeError, match="model"):
        learned_blue_noise(16, model="sot")
    with pytest.raises(ValueError, match="square number"):
        learned_blue_noise_inverse(np.random.default_rng(0).random((10, 2)))
    with pytest.raises(ValueError, match="noise must have shape"):
        LearnedBlueNoise.load().transform(np.zeros((4, 4)))


# ----------------------------------------------------------------------------- command line

def test_cli_points_kind_learned(tmp_path, capsys):
    from iadb_graphics.cli import main

    out = tmp_path / "p.npy"
    assert main(["points", "--kind", "learned", "--n", "100", "--seed", "4", "--steps", "8", "-o", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), learned_blue_noise(100, rng=4, steps=8))
    capsys.readouterr()
    bad = tmp_path / "bad.npy"
    for options, message in ((["--kind", "learned", "--d", "3"], "--kind learned supports --d 2 only"),
                             (["--kind", "learned", "--steps", "0"], "--steps must be >= 1"),
                             (["--kind", "white", "--steps", "4"], "--steps works with --kind learned only")):
        assert main(["points", *options, "--n", "16", "-o", str(bad)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("error:") == 1
        assert not bad.exists()
