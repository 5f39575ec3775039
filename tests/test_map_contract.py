"""The map protocol, checked the same way on every map and warp (in the style of scipy's QMCEngineTests).

Each case says how to build an unfitted map and what to fit it on; the checks read only public
attributes and the capability flags ``has_log_det``, ``has_inverse`` and ``can_save``.
"""
import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import torch

from iadb_graphics import Uniform, toy2d
from iadb_graphics.color.lattice import LUTMap
from iadb_graphics.color.reinhard import ReinhardMap
from iadb_graphics.densities import Gaussian
from iadb_graphics.maps.base import BaseMap, NotFittedError
from iadb_graphics.densities import ImageDensity
from iadb_graphics.transport import EMDMap, LinearGaussianMap, QuantileMap, SinkhornMap, SlicedOTMap
from iadb_graphics import BakedMap, GridIADBMap, IADBMap
from iadb_graphics.warps import ContinuousCDFWarp, EqualMassKDWarp, HierarchicalWarp, InverseCDFWarp, MeshWarp


@dataclass
class Case:
    name: str
    make: Callable[[], BaseMap]
    source: object
    target: object
    d: int = 2
    round_trip_atol: float = 1e-6   # inverse_transform(transform(x)) == x to this
    exact_inverse: bool = True      # False: the inverse is its own estimate (EMD's and Sinkhorn's transposed
    #                                 plans, a baked map's interpolated inverse table)
    log_det_rtol: float = 1e-4      # log-det against central finite differences
    fd_step: float = 1e-5
    inside: Callable[[np.ndarray], np.ndarray] = field(default=None)  # test points (n, d) from a uniform draw

    def points(self, n, rng):
        u = rng.random((n, self.d))
        return u if self.inside is None else self.inside(u)


def _central(u):
    return 0.25 + 0.5 * u


_IMAGE = ImageDensity(np.random.default_rng(3).random((12, 9)) ** 2 + 0.05)

try:
    import mitsuba  # noqa: F401

    from iadb_graphics.warps.mitsuba import MitsubaWarp
except ImportError:  # the peers extra is optional
    MitsubaWarp = None


CASES = [
    Case("EMDMap", lambda: EMDMap(n_samples=200), Uniform(), toy2d("8gaussians"), exact_inverse=False,
         inside=_central),
    Case("SinkhornMap", lambda: SinkhornMap(n_samples=200), Uniform(), toy2d("8gaussians"), exact_inverse=False,
         inside=_central),
    Case("SlicedOTMap", lambda: SlicedOTMap(n_iters=4, n_samples=300), Uniform(), toy2d("moons"),
         round_trip_atol=1e-8, inside=_central),
    Case("QuantileMap", lambda: QuantileMap(n_samples=500), Uniform(), Gaussian([0.5, 0.5], 0.04),
         round_trip_atol=1e-8, inside=_central),
    Case("LinearGaussianMap", lambda: LinearGaussianMap(n_samples=500), Gaussian([0.0, 0.0], 1.0),
         Gaussian([1.0, -1.0], [[2.0, 0.3], [0.3, 0.5]]), round_trip_atol=1e-10),
    Case("InverseCDFWarp", InverseCDFWarp, None, _IMAGE, round_trip_atol=1e-10, fd_step=1e-7, log_det_rtol=1e-5),
    Case("HierarchicalWarp", HierarchicalWarp, None, _IMAGE, round_trip_atol=1e-10, fd_step=1e-7, log_det_rtol=1e-5),
    Case("ContinuousCDFWarp", ContinuousCDFWarp, None, _IMAGE, round_trip_atol=1e-10, fd_step=1e-7,
         log_det_rtol=1e-5),
    Case("EqualMassKDWarp", EqualMassKDWarp, None, _IMAGE, round_trip_atol=1e-10, fd_step=1e-7, log_det_rtol=1e-5),
    Case("MeshWarp", lambda: MeshWarp(resolution=16, map=GridIADBMap(bins=32, n_pairs=8192, n_steps=8)), None,
         _IMAGE, round_trip_atol=1e-9, fd_step=1e-7, log_det_rtol=1e-5),
    Case("GridIADBMap", lambda: GridIADBMap(bins=32, n_pairs=4096, n_steps=8), Uniform(),
         Gaussian([0.5, 0.5], 0.03), round_trip_atol=1e-7, log_det_rtol=1e-3, inside=_central),
    Case("IADBMap", lambda: IADBMap(width=16, depth=2, x_features=8, n_iters=30, batch_size=128), Uniform(),
         Gaussian([0.5, 0.5], 0.05), round_trip_atol=1e-4, log_det_rtol=2e-2, fd_step=1e-3, inside=_central),
    Case("BakedMap", lambda: BakedMap(resolution=33, map=GridIADBMap(bins=32, n_pairs=4096, n_steps=8)), Uniform(),
         Gaussian([0.5, 0.5], 0.05), exact_inverse=False, log_det_rtol=1e-4, fd_step=1e-7, inside=_central),
    Case("ReinhardMap", lambda: ReinhardMap(n_samples=500), Uniform((0, 0, 0), (1, 1, 1)), Gaussian([0.5, 0.4, 0.6], 0.01),
         d=3, round_trip_atol=1e-10),
]
if MitsubaWarp is not None:
    CASES.append(Case("MitsubaWarp", lambda: MitsubaWarp(kind="marginal-discrete"), None, _IMAGE,
                      round_trip_atol=1e-3, fd_step=1e-3, log_det_rtol=2e-2, inside=_central))
_RGB = np.random.default_rng(4).random((2000, 3))
CASES.append(Case("LUTMap", lambda: LUTMap(size=9), _RGB, np.clip(0.8 * _RGB + 0.1, 0, 1), d=3))
IDS = [c.name for c in CASES]


def _fit(case, rng=0):
    return case.make().fit(case.source, case.target, rng=rng)


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def fitted(request):
    case = request.param
    return case, _fit(case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hyperparameters_are_keyword_only_and_round_trip(case):
    m = case.make()
    params = inspect.signature(type(m).__init__).parameters
    positional = [p for p in list(params)[1:] if params[p].kind is not inspect.Parameter.KEYWORD_ONLY]
    assert positional == [], f"{case.name}: hyperparameters must be keyword-only, got {positional}"
    again = type(m)(**m.get_params())
    assert again.get_params() == m.get_params()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_not_fitted_is_a_clear_error(case):
    m = case.make()
    assert not m.is_fitted and m.d is None
    with pytest.raises(NotFittedError, match="not fitted"):
        m.transform(np.zeros((2, case.d)))


def test_fit_returns_self_and_fitted_attributes_end_in_underscore(fitted):
    case, _ = fitted
    m = case.make()
    before = set(vars(m))
    assert m.fit(case.source, case.target, rng=0) is m
    assert m.is_fitted and m.d == case.d
    new = [k for k in set(vars(m)) - before if not k.startswith("_")]
    assert all(k.endswith("_") for k in new), f"{case.name}: public fitted attributes without '_': {new}"


def test_wrong_dimension_is_named(fitted):
    case, m = fitted
    with pytest.raises(ValueError, match=r"has shape \(4, %d\)" % (case.d + 1)):
        m.transform(np.zeros((4, case.d + 1)))


def test_numpy_and_torch_io(fitted, rng):
    case, m = fitted
    x = case.points(64, rng)
    x_copy = x.copy()
    y = m.transform(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float64 and y.shape == x.shape
    np.testing.assert_array_equal(x, x_copy)  # the caller's array is never modified
    for dtype in (torch.float32, torch.float64):
        yt = m.transform(torch.as_tensor(x, dtype=dtype))
        assert isinstance(yt, torch.Tensor) and yt.dtype == dtype and yt.shape == x.shape
        np.testing.assert_allclose(yt.double().numpy(), m.transform(torch.as_tensor(x, dtype=dtype).double().numpy()),
                                   rtol=1e-5, atol=1e-6)


def test_same_rng_same_map(fitted, rng):
    case, m = fitted
    x = case.points(64, rng)
    np.testing.assert_array_equal(_fit(case, rng=0).transform(x), m.transform(x))


def test_log_det_matches_finite_differences(fitted, rng):
    case, m = fitted
    x = case.points(16, rng)
    if not m.has_log_det:
        with pytest.raises(ValueError, match="log-determinant"):
            m.transform(x, return_log_det=True)
        return
    y, log_det = m.transform(x, return_log_det=True)
    np.testing.assert_allclose(y, m.transform(x), rtol=0, atol=1e-12)
    h = case.fd_step
    jac = np.empty((x.shape[0], case.d, case.d))
    for k in range(case.d):
        e = np.zeros(case.d)
        e[k] = h
        jac[:, :, k] = (m.transform(x + e) - m.transform(x - e)) / (2 * h)
    fd = np.linalg.slogdet(jac)[1]
    np.testing.assert_allclose(log_det, fd, rtol=case.log_det_rtol, atol=case.log_det_rtol)


def test_inverse_round_trip(fitted, rng):
    case, m = fitted
    x = case.points(64, rng)
    if not m.has_inverse:
        with pytest.raises((ValueError, NotImplementedError)):
            m.inverse_transform(m.transform(x))
        return
    y = m.transform(x)
    if not case.exact_inverse:  # an estimate of the inverse map: it must undo most of the displacement
        back = np.linalg.norm(m.inverse_transform(y) - x, axis=1).mean()
        assert back < 0.5 * np.linalg.norm(y - x, axis=1).mean()
        return
    err = np.abs(m.inverse_transform(y) - x).max()
    assert err <= case.round_trip_atol, f"{case.name}: round-trip error {err:.3g}"
    if m.has_log_det:
        _, fwd = m.transform(x, return_log_det=True)
        _, inv = m.inverse_transform(y, return_log_det=True)
        np.testing.assert_allclose(inv, -fwd, rtol=1e-5, atol=1e-6)


def test_save_load_gives_equal_outputs(fitted, rng, tmp_path):
    case, m = fitted
    if not m.can_save:
        assert not callable(getattr(m, "save", None)), f"{case.name} saves but says can_save=False"
        return
    path = tmp_path / "model.npz"
    m.save(path)
    again = type(m).load(path)

    stored = [k for k, v in m.get_params().items()  # a map to bake (BakedMap) is not stored in the file
              if v is None or isinstance(v, (bool, int, float, str, list, tuple))]
    assert {k: again.get_params()[k] for k in stored} == {k: m.get_params()[k] for k in stored}
    x = case.points(64, rng)
    np.testing.assert_array_equal(again.transform(x), m.transform(x))
