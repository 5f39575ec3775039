"""Every torch path of IADBMap on CUDA: fit, transform, exact log-det, inverse, bake, save/load,
OT coupling, reflow and trajectories. Skipped where torch sees no CUDA device (CI); run by hand on
a GPU machine with ``python -m pytest tests/test_cuda.py``."""
import numpy as np
import pytest
import torch

from iadb_graphics import Gaussian, IADBMap

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

SMALL = dict(width=32, depth=2, x_features=8)
SRC = Gaussian((0.0, 0.0), [[1.0, 0.3], [0.3, 0.5]])
TGT = Gaussian((2.0, -1.0), [[0.4, -0.1], [-0.1, 0.3]])


@pytest.fixture(scope="module")
def cuda_map():
    """A Gaussian → Gaussian map trained on the GPU."""
    return IADBMap(**SMALL, device="cuda", n_iters=1500, batch_size=512).fit(SRC, TGT, rng=0, progress=False)


@pytest.fixture(scope="module")
def cpu_twin(cuda_map, tmp_path_factory):
    """The same weights on the CPU, through save (from CUDA) and load (to the CPU)."""
    path = tmp_path_factory.mktemp("cuda") / "m.npz"
    cuda_map.save(path)
    return IADBMap.load(path, device="cpu")


def test_weights_live_on_the_gpu(cuda_map, cpu_twin):
    assert all(p.device.type == "cuda" for p in cuda_map.net_.parameters())
    assert all(p.device.type == "cpu" for p in cpu_twin.net_.parameters())


def test_gpu_fit_learns_the_gaussian_moments(cuda_map):
    y = cuda_map.transform(SRC.sample(20_000, rng=1), n_steps=32)
    np.testing.assert_allclose(y.mean(0), TGT.mean, atol=0.06)
    np.testing.assert_allclose(np.cov(y.T), TGT.cov, atol=0.06)


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_gpu_transform_and_log_det_equal_the_cpu_ones(cuda_map, cpu_twin, rng, method):
    x = rng.normal(size=(2000, 2))
    y_gpu, ld_gpu = cuda_map.transform(x, n_steps=32, method=method, return_log_det=True)
    y_cpu, ld_cpu = cpu_twin.transform(x, n_steps=32, method=method, return_log_det=True)
    assert isinstance(y_gpu, np.ndarray) and y_gpu.dtype == np.float64
    np.testing.assert_allclose(y_gpu, y_cpu, atol=1e-4)
    np.testing.assert_allclose(ld_gpu, ld_cpu, atol=1e-4)
    assert np.std(ld_cpu) > 1e-3  # the log-det varies, so the comparison means something


def test_gpu_log_det_matches_the_closed_form(cuda_map, rng):
    """Gaussian → Gaussian: the pushed density equals the target's pdf (change of variables)."""
    x = SRC.sample(4000, rng=rng)
    y, ld = cuda_map.transform(x, n_steps=64, return_log_det=True)
    pushed = SRC.log_pdf(x) - ld
    assert np.median(np.abs(pushed - TGT.log_pdf(y))) < 0.1


def test_tensors_stay_on_their_device(cuda_map):
    xg = torch.randn(300, 2, device="cuda", dtype=torch.float64)
    y, ld = cuda_map.transform(xg, n_steps=16, return_log_det=True)
    assert y.device.type == "cuda" and ld.device.type == "cuda" and y.dtype == torch.float64
    yc = cuda_map.transform(xg.cpu(), n_steps=16)  # CPU tensor into a CUDA map → CPU tensor out
    assert yc.device.type == "cpu"
    torch.testing.assert_close(yc, y.cpu(), rtol=0, atol=1e-6)


def test_gpu_inverse_round_trip(cuda_map, rng):
    x = rng.normal(size=(1000, 2))
    y = cuda_map.transform(x, n_steps=32)
    back, ld_inv = cuda_map.inverse_transform(y, n_steps=32, n_iter=3, return_log_det=True)
    assert np.median(np.abs(back - x)) < 1e-4
    ld_fwd = cuda_map.transform(x, n_steps=32, return_log_det=True)[1]
    np.testing.assert_allclose(ld_inv, -ld_fwd, atol=1e-3)


def test_gpu_bake_equals_the_cpu_bake(cuda_map, cpu_twin, rng):
    bg = cuda_map.bake(33, inverse=True, progress=False)
    bc = cpu_twin.bake(33, inverse=True, progress=False)
    np.testing.assert_allclose(bg.forward_, bc.forward_, atol=1e-4)
    np.testing.assert_allclose(bg.backward_, bc.backward_, atol=1e-4)
    lo, hi = cuda_map.bounds[:, 0], cuda_map.bounds[:, 1]
    x = lo + (hi - lo) * (0.25 + 0.5 * rng.random((500, 2)))
    assert np.median(np.abs(bg.transform(x) - cuda_map.transform(x))) < 0.05


def test_gpu_trajectory_ends_at_the_transform(cuda_map, rng):
    x = rng.normal(size=(50, 2))
    path = cuda_map.trajectory(x, n_steps=16)
    assert path.shape == (17, 50, 2)
    np.testing.assert_array_equal(path[0], x)
    np.testing.assert_allclose(path[-1], cuda_map.transform(x, n_steps=16), atol=1e-6)


def test_gpu_ot_coupling_and_reflow(rng):
    pytest.importorskip("ot")
    m = IADBMap(**SMALL, coupling="ot", device="cuda", n_iters=300, batch_size=512).fit(SRC, TGT, rng=0,
                                                                                         progress=False)
    r = m.reflow(SRC, n_pairs=4000, n_iters=300, batch_size=512, n_steps=32, rng=0, progress=False)
    assert all(p.device.type == "cuda" for p in r.net_.parameters())
    x = rng.normal(size=(500, 2))
    for mm in (m, r):
        y = mm.transform(x, n_steps=16)
        assert np.all(np.isfinite(y)) and np.linalg.norm(y.mean(0) - TGT.mean) < 0.3
