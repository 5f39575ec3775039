"""Learned blue noise: OT-grid representation, the shipped IADB map, its inverse, bad input."""
import warnings

import numpy as np
import pytest

from iadb_graphics import pointsets as ps
from iadb_graphics.io import ModelFileError, save_model
from iadb_graphics.metrics.spectral import min_distance, periodogram, radial_power
from iadb_graphics.pointsets.learned import (SOT_ITERS, LearnedBlueNoise, drop_spread, grid_offsets,
                                             grid_points, learned_blue_noise, learned_blue_noise_inverse,
                                             low_mode_projector)


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


def test_square_assignment_is_the_exact_euclidean_optimum_and_points_stay_in_place():
    ot = pytest.importorskip("ot")
    m = 7
    centres = (np.stack(np.meshgrid(np.arange(m), np.arange(m), indexing="ij"), -1).reshape(-1, 2) + 0.5) / m
    for seed in range(3):
        x = np.random.default_rng(seed).random((49, 2))
        off = grid_offsets(x, domain="square")
        best = ot.emd2(np.full(49, 1 / 49), np.full(49, 1 / 49), ((x[:, None] - centres[None]) ** 2).sum(-1)) * 49
        assert float((off ** 2).sum()) / m ** 2 == pytest.approx(best, rel=1e-9)
        np.testing.assert_allclose(_as_set(grid_points(off, domain="square")), _as_set(x), atol=1e-12)
    # near the sides the square and torus assignments differ (the torus pairs across the seam)
    x = ps.white(49, rng=5)
    assert np.abs(grid_offsets(x, domain="torus") - grid_offsets(x, domain="square")).max() > 0.5


def test_square_points_are_clipped_to_the_sides_not_wrapped():
    off = np.zeros((4, 4, 2))
    off[0, 0] = (-0.9, 0.0)  # beyond the left side: stays on it instead of wrapping to 0.9
    off[3, 3] = (0.0, 0.8)
    x = grid_points(off, domain="square")
    assert x[0, 0] == 0.0 and x[15, 1] < 1.0 and x[15, 1] > 0.999
    assert grid_points(off, domain="torus")[0, 0] == pytest.approx(0.9)


def test_the_torus_net_is_shift_equivariant_and_the_square_net_sees_the_sides():
    import torch

    x = torch.from_numpy(np.random.default_rng(0).random((1, 2, 12, 12), dtype=np.float32) - 0.5)
    alpha = torch.full((1,), 0.3)
    for domain in ("torus", "square"):
        torch.manual_seed(0)
        net = LearnedBlueNoise(channels=8, dilations=(1, 2), domain=domain).net_
        with torch.inference_mode():
            shifted = net(torch.roll(x, (5, 3), dims=(2, 3)), alpha)
            rolled = torch.roll(net(x, alpha), (5, 3), dims=(2, 3))
        gap = float((shifted - rolled).abs().max())
        assert gap < 1e-5 if domain == "torus" else gap > 1e-3


def test_representation_rejects_bad_input():
    with pytest.raises(ValueError, match="square number"):
        grid_offsets(np.random.default_rng(0).random((10, 2)))
    with pytest.raises(ValueError, match="2D"):
        grid_offsets(np.random.default_rng(0).random((9, 3)))
    with pytest.raises(ValueError, match="shape"):
        grid_points(np.zeros((3, 4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        grid_points(np.full((2, 2, 2), np.nan))
    with pytest.raises(ValueError, match="domain must be one of"):
        grid_offsets(np.random.default_rng(0).random((9, 2)), domain="sphere")
    with pytest.raises(ValueError, match="domain must be one of"):
        grid_points(np.zeros((2, 2, 2)), domain="disk")
    with pytest.raises(ValueError, match="domain must be one of"):
        LearnedBlueNoise(domain="plane")


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


def _side_layer_density(sets, m):
    """Point density within half a cell of the square's sides, relative to the mean density."""
    x = np.concatenate(sets)
    d = np.minimum(np.minimum(x[:, 0], 1 - x[:, 0]), np.minimum(x[:, 1], 1 - x[:, 1])) * m
    return np.mean(d < 0.5) / (1 - (1 - 1 / m) ** 2)


def test_square_model_reproduces_the_exemplars_layer_along_the_sides(model):
    if model.domain != "square":
        pytest.skip("the shipped model is a torus model")
    m = 32
    # sliced-OT sets on the square pack a denser layer of points along the sides (1.2-1.4x the
    # mean density within half a cell); a torus set (or a jittered one) has none
    sot = _side_layer_density([ps.sot_blue_noise(m * m, n_iters=256, rng=k) for k in range(2)], m)
    learned = _side_layer_density([learned_blue_noise(m * m, rng=k, sot_iters=0) for k in range(8)], m)
    torus = _side_layer_density([(learned_blue_noise(m * m, rng=k, sot_iters=0) + 0.5) % 1.0 for k in range(8)], m)
    assert sot > 1.15 and abs(torus - 1) < 0.1
    assert learned > 1.1


def test_one_model_serves_other_grid_sizes():
    m = 64
    x = learned_blue_noise(m * m, rng=0, sot_iters=0)
    assert _low_power([x], m) < 0.3 * _low_power([ps.jittered(m * m, rng=0)], m)


def test_inverse_recovers_the_noise(model):
    m = 24
    # the shipped default is the fewest steps whose every step is invertible, so the noise comes back
    noise = model.noise(m, rng=7)
    x = model.transform(noise)
    np.testing.assert_array_equal(x, learned_blue_noise(m * m, rng=7, sot_iters=0, model=model))
    np.testing.assert_allclose(learned_blue_noise_inverse(x, ordered=True, model=model), noise, atol=1e-4)
    # from the points alone (shuffled): the OT assignment differs from the generating cells in a few
    # cells only (about 1 %), so the noise comes back approximately (an unrelated noise is ~1/3 cell
    # away); a reassigned cell also shifts its neighbours' inverse, so the error is averaged over sets
    errors = []
    for r in range(4):
        z = model.noise(m, rng=20 + r)
        y = model.transform(z)
        errors.append(np.abs(learned_blue_noise_inverse(y[np.random.default_rng(r).permutation(len(y))],
                                                        model=model) - z).mean())
    assert np.mean(errors) < 0.05
    # the forward map moves the points: recovering the noise is not trivial
    assert np.abs(grid_offsets(x) - noise).max() > 0.1


def test_inverse_warns_when_a_step_is_not_invertible(model):
    x = learned_blue_noise(256, rng=1, steps=1, sot_iters=0, model=model)  # one step: the denoiser, nearly a grid
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
    assert w.var() > 4 / 12 and np.mean(np.abs(w) <= 0.5) < 0.5  # at least twice the exemplar's bound


@pytest.mark.parametrize("domain", ["torus", "square"])
def test_low_mode_projector_is_an_orthogonal_projection(domain):
    import torch

    m, k = 12, 2.5
    project = low_mode_projector(m, k, domain)
    x, y = torch.randn(2, 1, 2, m, m, dtype=torch.float64)
    px = project(x)
    torch.testing.assert_close(project(px), px)  # idempotent
    torch.testing.assert_close((px * y).sum(), (x * project(y)).sum())  # self-adjoint
    rank = np.linalg.matrix_rank(np.stack([project(e.reshape(1, 2, m, m)).reshape(-1).numpy()
                                           for e in torch.eye(2 * m * m, dtype=torch.float64)]))
    assert 2 * 5 <= rank < 2 * m * m // 4  # a few modes: more than the constants, far fewer than all


def test_low_freq_option_removes_the_lowest_modes_of_the_offsets(model):
    m, k = 32, 3.0
    noise = model.noise(m, rng=5)
    ii, jj = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    centres = np.stack([(ii + 0.5) / m, (jj + 0.5) / m], axis=-1).reshape(-1, 2)
    project = low_mode_projector(m, k, model.domain)

    def low_modes(x):  # the lowest modes of the offsets of a set in cell order
        import torch

        d = x - centres
        d = d - np.round(d) if model.domain == "torus" else d
        off = torch.from_numpy((d * m).reshape(m, m, 2).transpose(2, 0, 1)[None].copy())
        return float(project(off).square().sum())

    plain, settled = model.transform(noise), model.transform(noise, low_freq=k)
    assert low_modes(settled) < 0.02 * low_modes(plain)
    assert np.abs(settled - plain).max() * m < 0.5  # the rest of the set is the learned one
    np.testing.assert_array_equal(learned_blue_noise(m * m, rng=5, low_freq=k, sot_iters=0, model=model), settled)
    with pytest.raises(ValueError, match="low_freq"):
        learned_blue_noise(16, low_freq=-1.0)


def test_sot_refinement_lowers_the_low_frequency_power_of_the_learned_sets(model):
    if model.domain != "square":
        pytest.skip("the refinement targets the square")
    m = 32
    plain = [learned_blue_noise(m * m, rng=k, sot_iters=0, model=model) for k in range(4)]
    refined = [learned_blue_noise(m * m, rng=k, model=model) for k in range(4)]  # the default refines
    assert _low_power(refined, m) < 0.8 * _low_power(plain, m)
    assert np.mean([min_distance(x) for x in refined]) >= 0.9 * np.mean([min_distance(x) for x in plain])
    # the refinement starts from the learned set and moves it a little: each refined point stays near
    # its learned one (same row), far closer than the point spacing
    start = learned_blue_noise(m * m, rng=0, sot_iters=0, model=model)  # the same steps: the invertible map
    assert np.abs(refined[0] - start).max() < 1.0 / m and not np.array_equal(refined[0], start)
    # explicit settings equal the defaults they name, and the result is deterministic per rng
    np.testing.assert_array_equal(refined[1], model.sample(m * m, rng=1, steps=model.steps, sot_iters=SOT_ITERS))
    with pytest.raises(ValueError, match="sot_iters must be >= 0"):
        learned_blue_noise(16, sot_iters=-1)
    torus = LearnedBlueNoise(channels=2, dilations=(1,), domain="torus")
    with pytest.raises(ValueError, match="sot_iters=4 refines towards the unit square"):
        torus.sample(16, sot_iters=4)
    assert torus.sample(16, rng=0, sot_iters=0).shape == (16, 2)


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
    plain = tmp_path / "plain.npy"
    assert main(["points", "--kind", "learned", "--n", "100", "--seed", "4", "--sot-iters", "0", "-o", str(plain)]) == 0
    np.testing.assert_array_equal(np.load(plain), learned_blue_noise(100, rng=4, sot_iters=0))
    capsys.readouterr()
    bad = tmp_path / "bad.npy"
    for options, message in ((["--kind", "learned", "--d", "3"], "--kind learned supports --d 2 only"),
                             (["--kind", "learned", "--steps", "0"], "--steps must be >= 1"),
                             (["--kind", "white", "--steps", "4"], "--steps works with --kind learned only"),
                             (["--kind", "white", "--low-freq", "4"], "--low-freq works with --kind learned only"),
                             (["--kind", "white", "--sot-iters", "4"], "--sot-iters works with --kind learned only"),
                             (["--kind", "learned", "--sot-iters", "-1"], "--sot-iters must be >= 0"),
                             (["--kind", "learned", "--low-freq", "-1"], "--low-freq must be a finite number")):
        assert main(["points", *options, "--n", "16", "-o", str(bad)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("error:") == 1
        assert not bad.exists()
