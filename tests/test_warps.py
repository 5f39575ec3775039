"""Warps with an exact pdf: warp(), MeshWarp, HierarchicalWarp, the χ² check, adapted blue noise."""

import numpy as np
import pytest

from iadb_graphics.maps.base import NotFittedError

from iadb_graphics.densities import ImageDensity
from iadb_graphics.metrics import chi2_test, local_periodogram, normalized_nn_distance
from iadb_graphics.metrics.goodness import cell_integrals
from iadb_graphics.warps import (DEFAULT_WARP_METHOD, EqualMassKDWarp, HierarchicalWarp, InverseCDFWarp, MeshWarp,
                                 make_warp, warp, warped_pdf)

UNIT = np.array([[0.0, 1.0], [0.0, 1.0]])


class Triangular:
    """A smooth diffeomorphism of the unit square with closed-form inverse and Jacobian.

    X = u + a u (1 − u),  Y = v + b(u) v (1 − v),  b(u) = 0.3 + 0.5 u.
    """

    d = 2

    def __init__(self, a=0.6):
        self.a = a

    def _b(self, u):
        return 0.3 + 0.5 * u

    def transform(self, x, *, return_log_det=False):
        x = np.asarray(x, dtype=float)
        u, v = x[:, 0], x[:, 1]
        b = self._b(u)
        y = np.stack([u + self.a * u * (1 - u), v + b * v * (1 - v)], axis=1)
        if return_log_det:
            return y, np.log(1 + self.a * (1 - 2 * u)) + np.log(1 + b * (1 - 2 * v))
        return y

    def inverse_transform(self, y):
        y = np.asarray(y, dtype=float)
        a = self.a
        u = ((1 + a) - np.sqrt((1 + a) ** 2 - 4 * a * y[:, 0])) / (2 * a)
        b = self._b(u)
        v = ((1 + b) - np.sqrt((1 + b) ** 2 - 4 * b * y[:, 1])) / (2 * b)
        return np.stack([u, v], axis=1)

    def pdf(self, y):
        _, log_det = self.transform(self.inverse_transform(y), return_log_det=True)
        return np.exp(-log_det)


class Folded:
    """X = u + 1.5 sin(2πu)/(2π): maps [0, 1] onto itself but folds back around u = 1/2."""

    d = 2

    def transform(self, x):
        x = np.asarray(x, dtype=float)
        return np.stack([x[:, 0] + 1.5 * np.sin(2 * np.pi * x[:, 0]) / (2 * np.pi), x[:, 1]], axis=1)


class Wrapped:
    """Polar map wrapping the square 1.5 times around an annulus: locally a diffeomorphism
    (every triangle positively oriented) but not injective (the image overlaps itself)."""

    d = 2

    def transform(self, x):
        x = np.asarray(x, dtype=float)
        r, th = 1.0 + x[:, 1], 3.0 * np.pi * x[:, 0]
        return np.stack([r * np.cos(th), r * np.sin(th)], axis=1)


class Mirror:
    d = 2

    def transform(self, x):
        x = np.asarray(x, dtype=float)
        return np.stack([1.0 - x[:, 0], x[:, 1]], axis=1)


@pytest.fixture(scope="module")
def mesh():
    return MeshWarp.from_map(Triangular(), 64)


# ----------------------------------------------------------------------------- warp() and χ²

def test_warp_pdf_is_the_closed_form(rng):
    m = Triangular()
    u = rng.random((500, 2))
    y, pdf = warp(u, m)
    np.testing.assert_allclose(y, m.transform(u))
    np.testing.assert_allclose(pdf, m.pdf(y), rtol=1e-10)
    # a non-uniform source: p0 multiplies
    y2, pdf2 = warp(u, m, source_pdf=lambda x: 2.0 * x[:, 0])
    np.testing.assert_allclose(pdf2, 2.0 * u[:, 0] * pdf, rtol=1e-12)


def test_chi2_accepts_the_right_pdf_and_rejects_wrong_ones(rng):
    m = Triangular()
    y, _ = warp(rng.random((40000, 2)), m)
    assert chi2_test(y, m.pdf, bounds=UNIT).p_value > 0.01
    assert chi2_test(y, lambda z: np.ones(len(z)), bounds=UNIT).p_value < 1e-6
    assert chi2_test(y, Triangular(a=0.5).pdf, bounds=UNIT, bins=8).p_value < 1e-6  # slightly wrong


def test_warp_input_errors(rng):
    with pytest.raises(ValueError, match="outside"):
        warp(np.array([[0.5, 1.5]]), Triangular())
    with pytest.raises(TypeError, match="log-determinant"):
        warp(rng.random((3, 2)), Folded())
    with pytest.raises(TypeError, match="transform"):
        warp(rng.random((3, 2)), object())
    with pytest.raises(ValueError, match="source_pdf"):
        warp(rng.random((3, 2)), Triangular(), source_pdf=lambda x: -np.ones(len(x)))
    with pytest.raises(ValueError, match="NaN"):
        warp(np.array([[np.nan, 0.5]]), Triangular())


def test_warp_torch_in_torch_out(rng):
    import torch
    u = rng.random((10, 2))
    y, pdf = warp(torch.tensor(u, dtype=torch.float32), Triangular())
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32 and isinstance(pdf, torch.Tensor)
    np.testing.assert_allclose(y.numpy(), Triangular().transform(u), atol=1e-6)


# ----------------------------------------------------------------------------- MeshWarp

def test_mesh_inverse_is_exact(mesh, rng):
    u = rng.random((5000, 2))
    u[:4] = [[0, 0], [1, 1], [0, 1], [0.5, 0.5]]  # corners and a node
    y = mesh.transform(u)
    np.testing.assert_allclose(mesh.inverse_transform(y), u, atol=1e-10)
    z = Triangular().transform(rng.random((2000, 2)))
    np.testing.assert_allclose(mesh.transform(mesh.inverse_transform(z)), z, atol=1e-10)


def test_mesh_pdf_is_one_over_the_affine_jacobian(mesh, rng):
    u = rng.random((300, 2))
    y, log_det = mesh.transform(u, return_log_det=True)
    h = 1.0 / 64
    # the affine piece through the three warped vertices of u's triangle, recomputed here
    c = np.floor(u / h).astype(int)
    s, t = (u / h - c).T
    p00 = Triangular().transform(c * h)
    p11 = Triangular().transform((c + 1) * h)
    other = Triangular().transform(np.where((s >= t)[:, None], (c + [1, 0]) * h, (c + [0, 1]) * h))
    e1, e2 = other - p00, p11 - p00
    area = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    want = 0.5 * h * h / area
    np.testing.assert_allclose(mesh.pdf(y), want, rtol=1e-9)
    np.testing.assert_allclose(np.exp(-log_det), want, rtol=1e-9)
    _, pdf = warp(u, mesh)
    np.testing.assert_allclose(pdf, want, rtol=1e-9)
    # and close to the smooth map's pdf (the mesh is a first-order approximation)
    np.testing.assert_allclose(mesh.pdf(y), Triangular().pdf(y), rtol=0.05)


def test_mesh_pdf_integrates_to_one_and_passes_chi2(mesh, rng):
    total = cell_integrals(mesh.pdf, mesh.bounds, 32, subdivisions=16).sum()
    assert abs(total - 1.0) < 2e-3
    assert np.all(mesh.pdf(np.array([[1.5, 0.5], [-0.1, 0.2]])) == 0)
    y, _ = warp(rng.random((40000, 2)), mesh)
    assert chi2_test(y, mesh.pdf, bounds=UNIT).p_value > 0.01
    assert chi2_test(y, lambda z: np.ones(len(z)), bounds=UNIT).p_value < 1e-6


def test_mesh_stratification_is_kept(mesh):
    # the warp is continuous: neighbouring inputs stay neighbours (no tearing)
    g = (np.stack(np.meshgrid(np.arange(200), np.arange(200), indexing="ij"), -1).reshape(-1, 2) + 0.5) / 200
    y = mesh.transform(g).reshape(200, 200, 2)
    jump = max(np.abs(np.diff(y, axis=0)).max(), np.abs(np.diff(y, axis=1)).max())
    assert jump < 2.0 / 200


def test_foldover_is_detected_and_reported():
    with pytest.raises(ValueError, match=r"triangles are folded.*around \(0\.") as err:
        MeshWarp.from_map(Folded(), 32)
    assert "allow_foldovers" in str(err.value)


def test_foldover_allowed_gives_the_summed_pdf(rng):
    with pytest.warns(UserWarning, match="folded"):
        m = MeshWarp.from_map(Folded(), 64, allow_foldovers=True)
    assert not m.is_injective_ and len(m.foldovers_) > 0
    edges = np.stack(np.meshgrid(np.arange(65) / 64, rng.random(7)), -1).reshape(-1, 2)  # on cell borders
    _, pdf_edges = warp(np.concatenate([edges, edges[:, ::-1]]), m)
    assert np.all(np.isfinite(pdf_edges) & (pdf_edges > 0))
    y, pdf = warp(rng.random((40000, 2)), m)
    np.testing.assert_allclose(pdf, m.pdf(y))
    assert chi2_test(y, m.pdf, bounds=UNIT).p_value > 0.01
    # the local Jacobian alone would be the wrong pdf where the fold stacks sheets
    u = rng.random((2000, 2))
    _, log_det = m.transform(u, return_log_det=True)
    assert not np.allclose(np.exp(-log_det), m.pdf(m.transform(u)))
    with pytest.raises(ValueError, match="no inverse"):
        m.inverse_transform(y[:3])
    with pytest.raises(ValueError, match="source_pdf"):
        warp(rng.random((3, 2)), m, source_pdf=lambda x: np.ones(len(x)))


def test_degenerate_triangles_are_refused():
    v = np.stack(np.meshgrid(np.linspace(0, 1, 4), np.linspace(0, 1, 4), indexing="ij"), -1)
    v[1:3, 1:3] = v[1, 1]  # four interior nodes collapsed onto one point
    with pytest.raises(ValueError, match="zero area"):
        MeshWarp.from_vertices(v, allow_foldovers=True)


def test_overlap_without_negative_triangles_is_detected():
    with pytest.raises(ValueError, match="crosses itself"):
        MeshWarp.from_map(Wrapped(), (48, 8))


def test_orientation_reversing_map_is_fine(rng):
    m = MeshWarp.from_map(Mirror(), 8)
    assert m.is_injective_ and m.orientation_ == -1
    u = rng.random((100, 2))
    np.testing.assert_allclose(m.pdf(m.transform(u)), 1.0)
    np.testing.assert_allclose(m.inverse_transform(m.transform(u)), u, atol=1e-12)


def test_mesh_input_errors(mesh):
    with pytest.raises(ValueError, match="outside the source box"):
        mesh.transform(np.array([[0.5, 1.2]]))
    with pytest.raises(ValueError, match="outside the warped domain"):
        mesh.inverse_transform(np.array([[3.0, 3.0]]))
    with pytest.raises(ValueError, match="vertices"):
        MeshWarp.from_vertices(np.full((3, 3, 2), np.nan))
    with pytest.raises(ValueError, match="resolution"):
        MeshWarp.from_map(Triangular(), 0)
    with pytest.raises(NotFittedError, match="not fitted"):
        MeshWarp().transform(np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="2D"):
        MeshWarp.from_map(type("M3", (), {"d": 3, "transform": lambda self, x: x})(), 4)


def test_mesh_custom_source_box(rng):
    m = MeshWarp.from_map(Mirror(), 10, bounds=[[0.0, 1.0], [0.0, 2.0]])
    u = rng.random((50, 2)) * [1, 2]
    np.testing.assert_allclose(m.pdf(m.transform(u)), 0.5)


class Shrink:
    """Maps the square into [0.1, 0.9]² (a map whose image misses a boundary strip)."""

    d = 2

    def transform(self, x):
        x = np.asarray(x, dtype=float)
        return 0.1 + 0.8 * Triangular().transform(x)


def test_snap_boundary_covers_the_box(rng):
    plain = MeshWarp.from_map(Shrink(), 16)
    snapped = MeshWarp.from_map(Shrink(), 16, snap_boundary=True)
    probe = np.array([[0.02, 0.5], [0.5, 0.98], [0.001, 0.001]])
    assert np.all(plain.pdf(probe) == 0) and np.all(snapped.pdf(probe) > 0)
    assert abs(cell_integrals(snapped.pdf, UNIT, 16, subdivisions=16).sum() - 1) < 3e-3
    y, _ = warp(rng.random((20000, 2)), snapped)
    assert chi2_test(y, snapped.pdf, bounds=UNIT, bins=16, subdivisions=16).p_value > 0.01


def test_warped_pdf_at_arbitrary_points(mesh, rng):
    m = Triangular()
    m.bounds = UNIT
    z = rng.random((200, 2))
    np.testing.assert_allclose(warped_pdf(m, z), m.pdf(z), rtol=1e-10)
    assert np.all(warped_pdf(m, np.array([[1.5, 0.5], [-0.2, 0.1]])) == 0)
    np.testing.assert_allclose(warped_pdf(mesh, z), mesh.pdf(z))


def test_grid_iadb_warp_and_its_mesh(rng):
    import iadb_graphics.maps.grid as grid_mod
    from iadb_graphics.densities import Uniform

    img = np.exp(-((np.mgrid[0:32, 0:32] - np.array([12.0, 20.0])[:, None, None]) ** 2).sum(0) / 60.0) + 0.2
    dens = ImageDensity(img)
    g = grid_mod.GridIADBMap(bins=48, n_steps=16, n_pairs=1 << 15).fit(Uniform(), dens, rng=1)
    u = rng.random((3000, 2))
    y, pdf = warp(u, g)
    np.testing.assert_allclose(warped_pdf(g, y[:200]), pdf[:200], rtol=1e-6)  # inverse + log-det agree
    m = MeshWarp.from_map(g, 32, snap_boundary=True)
    ym, pm = warp(u, m)
    np.testing.assert_allclose(m.inverse_transform(ym), u, atol=1e-10)
    # the mesh is a piecewise-linear interpolant of the grid map: same samples and pdf, roughly
    assert np.median(np.abs(pm / pdf - 1)) < 0.1
    big, _ = warp(rng.random((30000, 2)), m)
    assert chi2_test(big, m.pdf, bounds=UNIT, bins=16, subdivisions=16).p_value > 0.01


def test_make_warp_methods():
    dens = ImageDensity(np.arange(1, 17, dtype=float).reshape(4, 4))
    assert isinstance(make_warp("hierarchical", dens), HierarchicalWarp)
    assert isinstance(make_warp("kd-tree", dens), EqualMassKDWarp)
    with pytest.raises(ValueError, match="method"):
        make_warp("nope", dens)
    with pytest.raises(TypeError, match="ImageDensity"):
        make_warp("grid", np.ones((4, 4)))


# ----------------------------------------------------------------------------- HierarchicalWarp

@pytest.mark.parametrize("shape", [(64, 64), (24, 40)])
def test_hierarchical_warp_is_exact(rng, shape):
    img = rng.random(shape) ** 3
    img[3, :] = 0.0  # a zero row
    dens = ImageDensity(img)
    hw = HierarchicalWarp().fit(None, dens)
    u = rng.random((40000, 2))
    y, pdf = warp(u, hw)
    np.testing.assert_allclose(pdf, dens.pdf(y), rtol=1e-10)
    np.testing.assert_allclose(hw.inverse_transform(y), u, atol=1e-10)
    # bins that align with the pixels make the expected counts exact
    bins = 8 if shape == (24, 40) else 32
    assert chi2_test(y, dens.pdf, bounds=UNIT, bins=bins, subdivisions=40).p_value > 0.01
    with pytest.raises(ValueError, match="zero-mass"):
        hw.inverse_transform(np.array([[0.5, 1 - 3.5 / shape[0]]]))


def test_inverse_cdf_warp_through_warp(rng):
    dens = ImageDensity(rng.random((32, 32)) ** 2)
    y, pdf = warp(rng.random((30000, 2)), InverseCDFWarp().fit(None, dens))
    np.testing.assert_allclose(pdf, dens.pdf(y), rtol=1e-9)
    assert chi2_test(y, dens.pdf, bounds=UNIT, bins=32).p_value > 0.01


# ----------------------------------------------------------------------------- adapted blue noise

def test_normalized_nn_distance(rng):
    n = 4000
    white = normalized_nn_distance(rng.random((n, 2)), lambda x: np.ones(len(x)))
    assert abs(white.mean - 0.5) < 0.03  # Poisson process: E[d_NN] = 1 / (2 sqrt(N))
    side = 64
    jit = (np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1).reshape(-1, 2)
           + 0.5 + 0.25 * (rng.random((side * side, 2)) - 0.5)) / side
    jittered = normalized_nn_distance(jit, np.ones(side * side))
    assert jittered.mean > 0.8 and jittered.p5 > 3 * white.p5
    # adapted white noise keeps its 0.5 once normalised by the density
    m = Triangular()
    y, pdf = warp(rng.random((n, 2)), m)
    adapted = normalized_nn_distance(y, pdf)
    assert abs(adapted.mean - 0.5) < 0.04
    assert adapted.values.shape == (n,)
    with pytest.raises(ValueError, match="at least 2"):
        normalized_nn_distance(np.zeros((1, 2)), np.ones(1))
    with pytest.raises(ValueError, match="pdf"):
        normalized_nn_distance(rng.random((5, 2)), np.ones(4))


# ----------------------------------------------------------------------------- command line

@pytest.fixture
def cli_files(tmp_path, rng):
    from iadb_graphics import io

    img = np.zeros((32, 32))
    img[4:20, 6:28] = 1.0
    img[20:, :] = 0.25
    io.write_image(tmp_path / "target.png", (img * 255).astype(np.uint8))
    pts = tmp_path / "pts.npy"
    np.save(pts, rng.random((4000, 2)))
    return tmp_path


@pytest.mark.parametrize("method", ["inverse-cdf", "hierarchical", "continuous-cdf", "kd-tree"])
def test_cli_warp_writes_points_pdf_and_plot(cli_files, method):
    from iadb_graphics.cli import main

    d = cli_files
    rc = main(["warp", "--target", str(d / "target.png"), "--points", str(d / "pts.npy"), "--method", method,
               "-o", str(d / "out.csv"), "--pdf", str(d / "pdf.npy"), "--plot", str(d / "fig.png")])
    assert rc == 0
    y = np.loadtxt(d / "out.csv", delimiter=",")
    pdf = np.load(d / "pdf.npy")[:, 0]
    assert y.shape == (4000, 2) and pdf.shape == (4000,)
    dens = ImageDensity(__import__("iadb_graphics").io.read_image(d / "target.png"))
    np.testing.assert_allclose(pdf, dens.pdf(y), rtol=1e-6)
    assert (d / "fig.png").stat().st_size > 1000


def test_cli_warp_bad_input(cli_files, capsys):
    from iadb_graphics.cli import main

    d = cli_files
    cases = [
        (["--target", str(d / "missing.png"), "--points", str(d / "pts.npy"), "-o", str(d / "o.npy")],
         "does not exist"),
        (["--target", str(d / "pts.npy"), "--points", str(d / "pts.npy"), "-o", str(d / "o.npy")], "image"),
        (["--target", str(d / "target.png"), "--points", str(d / "pts.npy"), "-o", str(d / "o.npz")], "-o must end"),
        (["--target", str(d / "target.png"), "--kind", "white", "-o", str(d / "o.npy")], "--n"),
        (["--target", str(d / "target.png"), "--points", str(d / "pts.npy"), "--n", "5", "-o", str(d / "o.npy")],
         "--n is only"),
        (["--target", str(d / "target.png"), "--points", str(d / "pts.npy"), "-o", str(d / "o.npy"),
          "--plot", str(d / "f.jpg")], "--plot"),
    ]
    base = ["--target", str(d / "target.png"), "--points", str(d / "pts.npy"), "-o", str(d / "o.npy")]
    cases += [(base + ["--device", "cpu"], "--device is only used with --method mlp"),
              (base + ["--method", "mlp", "--device", "nonsense"], "--device='nonsense' is not usable")]
    np.save(d / "far.npy", np.full((3, 2), 2.0))
    cases.append((["--target", str(d / "target.png"), "--points", str(d / "far.npy"), "--method", "inverse-cdf",
                   "-o", str(d / "o.npy")], "outside"))
    for argv, msg in cases:
        assert main(["warp", *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("iadb-graphics warp: error:") and msg in err[0], err
    assert not (d / "o.npy").exists()


def test_cli_register_adds_the_subcommand():
    import argparse

    from iadb_graphics.cli.warp import register, run

    parser = argparse.ArgumentParser(prog="iadb-graphics")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["warp", "--target", "t.png", "--kind", "sobol", "--n", "16", "-o", "o.npy"])
    assert args.func is run and args.method == DEFAULT_WARP_METHOD and args.n == 16


def test_cli_warp_kind_and_mesh(cli_files, capsys):
    from iadb_graphics.cli import main

    d = cli_files
    argv = ["warp", "--target", str(d / "target.png"), "--kind", "sobol", "--n", "1024", "--method", "mesh",
            "--resolution", "32", "-o", str(d / "out.npy"), "--pdf", str(d / "pdf.npy"), "--seed", "3"]
    # the target has black regions: the grid map squeezes them hard and the 32² mesh folds
    rc = main(argv)
    err = capsys.readouterr().err
    if rc == 2:
        assert "folded" in err and "allow_foldovers" in err and not (d / "out.npy").exists()
        with pytest.warns(UserWarning, match="folded"):
            rc = main(argv + ["--allow-foldovers"])
    assert rc == 0
    y, pdf = np.load(d / "out.npy"), np.load(d / "pdf.npy")[:, 0]
    assert y.shape == (1024, 2) and np.all(pdf > 0)


def test_local_periodogram(rng, mesh):
    n = 4096
    side = 64
    jit = (np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1).reshape(-1, 2) + rng.random((n, 2))) / side
    white = local_periodogram(rng.random((n, 2)), np.ones(n))
    band = (white.radial_k > 0.5) & (white.radial_k < 2.0)
    assert white.n_windows == 16 and abs(white.radial_power[band].mean() - 1) < 0.15
    low = (white.radial_k > 0.2) & (white.radial_k < 0.4)
    strat = local_periodogram(jit, np.ones(n))
    assert strat.radial_power[low].mean() < 0.5 * white.radial_power[low].mean()
    # warped by a smooth map and rescaled by the density, stratification still shows
    y, pdf = warp(jit, mesh)
    assert local_periodogram(y, pdf).radial_power[low].mean() < 0.6
    y, pdf = warp(rng.random((n, 2)), mesh)
    assert abs(local_periodogram(y, pdf).radial_power[band].mean() - 1) < 0.15
    assert white.power.shape == (33, 33)
    with pytest.raises(ValueError, match="no window"):
        local_periodogram(rng.random((10, 2)), np.ones(10))


def test_warp_with_the_mlp_map(rng):
    import iadb_graphics.maps.iadb as iadb
    from iadb_graphics.densities import Uniform

    dens = ImageDensity(np.array([[1.0, 3.0], [2.0, 0.5]]))
    m = iadb.IADBMap(width=16, depth=2, n_iters=30, batch_size=128).fit(Uniform(), dens, rng=0)
    u = rng.random((64, 2))
    y, pdf = warp(u, m, n_steps=8)
    y_ref, log_det = m.transform(u, n_steps=8, return_log_det=True)
    np.testing.assert_allclose(y, y_ref)
    np.testing.assert_allclose(pdf, np.exp(-log_det), rtol=1e-10)
    assert np.all(np.isfinite(pdf) & (pdf > 0))
