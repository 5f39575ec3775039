import pickle

import numpy as np
import pytest
import torch

from iadb_graphics import Gaussian, GaussianMixture, IADBMap, Uniform
from iadb_graphics.blending import alpha_schedule
from iadb_graphics.io import ModelFileError
from iadb_graphics.maps.base import NotFittedError
from iadb_graphics.nets import fixed_alpha_layers, run_layers

SMALL = dict(width=32, depth=2, x_features=8)


@pytest.fixture(scope="module")
def gauss_map():
    """A 2D Gaussian → Gaussian map, trained briefly (shared by the property tests)."""
    src = Gaussian((0.0, 0.0), [[1.0, 0.3], [0.3, 0.5]])
    tgt = Gaussian((2.0, -1.0), [[0.4, -0.1], [-0.1, 0.3]])
    m = IADBMap(**SMALL, n_iters=1500, batch_size=512).fit(src, tgt, rng=0)
    return m, src, tgt


def _constant_velocity_map(c):
    """An IADBMap whose network outputs the constant velocity ``c`` (in data units)."""
    m = IADBMap(**SMALL, n_iters=1).fit(np.zeros((4, 2)), np.ones((4, 2)), rng=0)
    last = [mod for mod in m.net_.body if isinstance(mod, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.as_tensor(np.asarray(c) / m.scale_))
    return m


def test_constant_velocity_moves_by_exactly_c(rng):
    c = np.array([0.25, -0.5])
    m = _constant_velocity_map(c)
    x = rng.normal(size=(50, 2))
    y, ld = m.transform(x, n_steps=16, return_log_det=True)
    np.testing.assert_allclose(y, x + c, atol=1e-5)
    np.testing.assert_allclose(ld, 0.0, atol=1e-6)
    np.testing.assert_allclose(m.inverse_transform(y, n_steps=16), x, atol=1e-5)


def test_folded_layers_equal_the_network(gauss_map, rng):
    m = gauss_map[0]
    z = torch.as_tensor(rng.normal(size=(64, 2)), dtype=torch.float32)
    for a in (0.0, 0.37, 1.0):
        full = m.net_(z, torch.full((64,), a))
        folded = run_layers(m.net_, fixed_alpha_layers(m.net_, a, 2), z, inplace=False)
        torch.testing.assert_close(folded, full, rtol=1e-5, atol=1e-5)


def test_learns_the_gaussian_moments(gauss_map):
    m, src, tgt = gauss_map
    y = m.transform(src.sample(20_000, rng=1), n_steps=32)
    np.testing.assert_allclose(y.mean(0), tgt.mean, atol=0.06)
    np.testing.assert_allclose(np.cov(y.T), tgt.cov, atol=0.06)


def test_pushed_density_matches_closed_form(gauss_map):
    # log p1(T(x)) = log p0(x) − log|det J_T(x)| (Gaussian → Gaussian, the affine case)
    m, src, tgt = gauss_map
    x = src.sample(4000, rng=2)
    y, ld = m.transform(x, n_steps=32, return_log_det=True)
    pushed = src.log_pdf(x) - ld
    assert np.median(np.abs(pushed - tgt.log_pdf(y))) < 0.1


def test_log_det_equals_autograd_of_the_whole_discrete_map(gauss_map, rng):
    m = gauss_map[0]
    alphas = alpha_schedule(8)

    def whole_map(x):  # the discrete Euler map in data units, written out for autograd
        z = (x - torch.as_tensor(m.center_, dtype=torch.float32)) / m.scale_
        for a, b in zip(alphas[:-1], alphas[1:]):
            z = z + (b - a) * m.net_(z[None], torch.full((1,), float(a)))[0]
        return z * m.scale_

    x = rng.normal(size=(6, 2))
    _, ld = m.transform(x, n_steps=8, return_log_det=True)
    for i in range(6):
        jac = torch.autograd.functional.jacobian(whole_map, torch.as_tensor(x[i], dtype=torch.float32))
        assert abs(torch.linalg.slogdet(jac)[1].item() - ld[i]) < 1e-4


def test_heun_log_det_matches_finite_differences(gauss_map, rng):
    m = gauss_map[0]
    x = rng.normal(size=(5, 2))
    _, ld = m.transform(x, n_steps=6, method="heun", return_log_det=True)
    eps = 1e-3
    for i in range(5):
        cols = [(m.transform(x[i:i + 1] + e, n_steps=6, method="heun")
                 - m.transform(x[i:i + 1] - e, n_steps=6, method="heun"))[0] / (2 * eps)
                for e in (np.array([[eps, 0]]), np.array([[0, eps]]))]
        assert abs(np.log(abs(np.linalg.det(np.stack(cols, 1)))) - ld[i]) < 5e-3


def test_inverse_round_trip(gauss_map, rng):
    m = gauss_map[0]
    x = rng.normal(size=(500, 2))
    back = m.inverse_transform(m.transform(x))
    assert np.median(np.linalg.norm(back - x, axis=1)) < 5e-3


def test_learned_1d_map_is_close_to_the_quantile_map():
    from scipy import stats

    src = Gaussian((0.0,), 1.0)
    tgt = GaussianMixture([[-2.0], [2.0]], [0.25, 0.25], [0.3, 0.7])
    m = IADBMap(**SMALL, n_iters=2500, batch_size=512).fit(src, tgt, rng=3)
    x = np.linspace(-2, 2, 41)[:, None]
    grid = np.linspace(-5, 5, 20001)
    cdf = 0.3 * stats.norm.cdf(grid, -2, 0.5) + 0.7 * stats.norm.cdf(grid, 2, 0.5)
    quantile_map = np.interp(stats.norm.cdf(x[:, 0]), cdf, grid)
    err = np.abs(m.transform(x)[:, 0] - quantile_map)
    assert np.median(err) < 0.1 and np.all(np.diff(m.transform(x)[:, 0]) > 0)  # monotone in 1D


def test_endpoints_parametrization_learns_the_translation():
    src, tgt = Gaussian((0.0, 0.0), 0.2), Gaussian((3.0, 1.0), 0.2)
    m = IADBMap(parametrization="endpoints", **SMALL, n_iters=1500, batch_size=512).fit(src, tgt, rng=0)
    x = src.sample(2000, rng=1)
    np.testing.assert_allclose(m.transform(x, n_steps=32).mean(0), [3.0, 1.0], atol=0.08)
    with pytest.raises(ValueError, match="heun"):
        m.transform(x, method="heun")


def test_ot_coupling_straightens_paths():
    src = Gaussian((0.5, 0.5), 0.02)
    tgt = GaussianMixture([[0.2, 0.2], [0.8, 0.8], [0.2, 0.8], [0.8, 0.2]], 0.003)
    x = src.sample(1000, rng=5)
    energies = {}
    for coupling in ("independent", "ot"):
        m = IADBMap(coupling=coupling, ot_block=128, **SMALL, n_iters=1000, batch_size=256).fit(src, tgt, rng=1)
        path = m.trajectory(x, n_steps=32)
        energy = np.mean(np.sum(np.diff(path, axis=0) ** 2, axis=2).sum(0) * 32)
        chord = np.mean(np.sum((path[-1] - path[0]) ** 2, axis=1))
        energies[coupling] = (energy - chord) / chord  # excess path energy over straight lines
    assert energies["ot"] < 0.5 * energies["independent"]


def test_reflow_needs_fewer_steps(gauss_map):
    m, src, _ = gauss_map
    r = m.reflow(src, n_pairs=4000, n_iters=800, rng=0)
    x = src.sample(1000, rng=9)
    ref = m.transform(x, n_steps=128)
    err_reflow = np.median(np.linalg.norm(r.transform(x, n_steps=2) - ref, axis=1))
    err_orig = np.median(np.linalg.norm(m.transform(x, n_steps=2) - ref, axis=1))
    assert err_reflow < err_orig


def test_same_rng_same_result_different_rng_different():
    src, tgt = Uniform(), Gaussian()
    x = src.sample(100, rng=0)
    a = IADBMap(**SMALL, n_iters=30).fit(src, tgt, rng=7).transform(x, n_steps=4)
    b = IADBMap(**SMALL, n_iters=30).fit(src, tgt, rng=7).transform(x, n_steps=4)
    c = IADBMap(**SMALL, n_iters=30).fit(src, tgt, rng=8).transform(x, n_steps=4)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_torch_in_torch_out(gauss_map):
    m = gauss_map[0]
    x = torch.randn(10, 2, dtype=torch.float64)
    y, ld = m.transform(x, n_steps=8, return_log_det=True)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float64 and ld.shape == (10,)
    np.testing.assert_allclose(y.numpy(), m.transform(x.numpy(), n_steps=8), atol=1e-6)
    y32 = m.inverse_transform(x.float(), n_steps=8)
    assert y32.dtype == torch.float32
    xn = x.numpy().copy()
    out = m.transform(xn, n_steps=4)
    assert out.dtype == np.float64 and np.array_equal(xn, x.numpy())  # caller's array untouched


def test_trajectory_torch_in_torch_out(gauss_map):
    m = gauss_map[0]
    x = torch.randn(7, 2, dtype=torch.float64)
    path = m.trajectory(x, n_steps=8)
    assert isinstance(path, torch.Tensor) and path.shape == (9, 7, 2) and path.dtype == torch.float64
    np.testing.assert_array_equal(path.numpy(), m.trajectory(x.numpy(), n_steps=8))
    torch.testing.assert_close(path[-1], m.transform(x, n_steps=8), rtol=0, atol=1e-6)


def test_save_load_round_trip(gauss_map, tmp_path, rng):
    m = gauss_map[0]
    path = tmp_path / "m.npz"
    m.save(path)
    m2 = IADBMap.load(path)
    x = rng.normal(size=(20, 2))
    np.testing.assert_array_equal(m.transform(x, n_steps=8), m2.transform(x, n_steps=8))


class _Boom:
    def __reduce__(self):
        return (exec, ("raise SystemExit('pickle executed')",))


def test_pickle_bomb_and_tampered_files_are_refused(gauss_map, tmp_path):
    bomb = tmp_path / "bomb.npz"
    bomb.write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(ModelFileError, match="corrupt or not an iadb_graphics model"):
        IADBMap.load(bomb)
    obj = tmp_path / "obj.npz"
    np.savez(obj, header=np.array([_Boom()], dtype=object))
    with pytest.raises(ModelFileError):
        IADBMap.load(obj)

    good = tmp_path / "good.npz"
    gauss_map[0].save(good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        IADBMap.load(truncated)

    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    key = next(k for k in arrays if k.startswith("a_") and arrays[k].ndim == 2)
    arrays[key] = arrays[key][:, :-1]  # a weight with the wrong shape
    tampered = tmp_path / "tampered.npz"
    np.savez(tampered, **arrays)
    with pytest.raises(ModelFileError, match="has shape"):
        IADBMap.load(tampered)
    with pytest.raises(ModelFileError, match="does not exist"):
        IADBMap.load(tmp_path / "missing.npz")


def test_unusable_device_is_refused_by_name():
    with pytest.raises(ValueError, match="device='nonsense'"):
        IADBMap(device="nonsense")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda'"):
            IADBMap(device="cuda")


def test_bad_input(gauss_map):
    m = gauss_map[0]
    with pytest.raises(NotFittedError, match="not fitted"):
        IADBMap().transform(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"dimension d=2"):
        m.transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        m.transform(np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match="NaN"):
        m.transform(torch.tensor([[np.inf, 0.0]]))
    with pytest.raises(ValueError, match="source has dimension d=2 but target has d=3"):
        IADBMap(n_iters=1).fit(Uniform(), Gaussian((0, 0, 0)))
    with pytest.raises(ValueError, match="coupling must be one of"):
        IADBMap(coupling="sinkhorn")
    with pytest.raises(ValueError, match="n_iters must be >= 1"):
        IADBMap(n_iters=0).fit(Uniform(), Uniform())
    with pytest.raises(TypeError, match="source must be a Density"):
        IADBMap().fit("moons", Uniform())


def test_wall_limiter_never_crosses_and_keeps_inward_steps():
    from iadb_graphics.maps.iadb import _limit_at_walls

    z = torch.tensor([[0.001, 0.5], [0.999, 0.5], [0.5, 0.5]])
    dz = torch.tensor([[-5.0, 0.1], [5.0, -0.1], [0.3, -0.2]])
    lo, hi, layer = torch.tensor([0.0, -1e30]), torch.tensor([1.0, 1e30]), torch.tensor([0.01, 0.01])
    out = _limit_at_walls(z, dz, lo, hi, layer)
    moved = z + out
    assert torch.all(moved[:, 0] > 0) and torch.all(moved[:, 0] < 1)
    np.testing.assert_allclose(out[:, 1].numpy(), dz[:, 1].numpy(), rtol=1e-6)  # no wall on axis 1
    # far from the walls a step is barely changed (by s / (s + δ + |d|))
    np.testing.assert_allclose(out[2, 0].item(), 0.3 * 0.5 / (0.5 + 0.01 + 0.3), rtol=1e-6)


def test_walls_keep_an_image_target_inside_with_exact_log_det(tmp_path, rng):
    from iadb_graphics import ImageDensity

    img = np.full((16, 16), 0.1)
    img[:, :2] = img[:, -2:] = img[:2] = img[-2:] = 1.0  # bright border: the flow pushes at the walls
    src, tgt = Uniform(), ImageDensity(img)
    m = IADBMap(**SMALL, n_iters=150, batch_size=256).fit(src, tgt, rng=0)
    np.testing.assert_array_equal(m.wall_box_, [[0, 1], [0, 1]])
    x = src.sample(4000, rng=rng)
    y = m.transform(x, n_steps=32)
    assert np.all((y > 0) & (y < 1))
    xs = np.concatenate([x[:10], rng.random((10, 2)) * [1, 0.01]])  # some next to the wall y = 0
    _, ld = m.transform(xs, n_steps=16, return_log_det=True)
    eps = 1e-3
    cols = [(m.transform(xs + eps * e, n_steps=16) - m.transform(xs - eps * e, n_steps=16)) / (2 * eps)
            for e in np.eye(2)]
    fd = np.linalg.slogdet(np.stack(cols, axis=2))[1]
    assert np.median(np.abs(fd - ld)) < 5e-3  # float32 network, central differences
    path = tmp_path / "walls.npz"
    m.save(path)
    back = IADBMap.load(path)
    np.testing.assert_array_equal(back.wall_box_, m.wall_box_)
    np.testing.assert_allclose(back.transform(x[:50], n_steps=8), m.transform(x[:50], n_steps=8), atol=1e-6)
    free = IADBMap(**SMALL, walls=False, n_iters=5, batch_size=64).fit(src, tgt, rng=0)
    assert np.all(np.isinf(free.wall_box_))
    with pytest.raises(TypeError, match="walls"):
        IADBMap(walls="yes")


def test_default_training_settings_follow_the_regression_target():
    """lr=None, x_scale=None train exactly as (3.2e-2, 8) on the exact field and as (2e-3, 2) on single
    pairs (same seed); other settings train differently."""
    from iadb_graphics import ImageDensity

    img = ImageDensity(np.arange(1.0, 17.0).reshape(4, 4))
    tiny = dict(SMALL, n_iters=20, batch_size=64)
    for tgt, lr, x_scale, field in ((img, 3.2e-2, 8.0, "exact"), (Gaussian((0.5, 0.5), 0.1), 2e-3, 2.0, "samples")):
        auto = IADBMap(**tiny).fit(Uniform(), tgt, rng=0)
        assert auto.lr is None and auto.x_scale is None and auto.settings_["field"] == field
        for explicit, same in (((lr, x_scale), True), ((2 * lr, x_scale), False), ((lr, 2 * x_scale), False)):
            other = IADBMap(**tiny, lr=explicit[0], x_scale=explicit[1]).fit(Uniform(), tgt, rng=0)
            same_state = all(torch.equal(v, other.net_.state_dict()[k]) for k, v in auto.net_.state_dict().items())
            assert same_state == same
