"""The exact IADB field of a uniform box paired with a piecewise-constant density, and the grid map
that uses it: against Monte Carlo, against the sampled field, and the hyperparameter plumbing."""
import numpy as np
import pytest

from iadb_graphics import densities as D
from iadb_graphics.maps.exact_field import _interval_integrals, exact_field_for, tabulate
from iadb_graphics.maps.grid import GridIADBMap
from iadb_graphics.metrics import density_fit


def _image(size=12, seed=0):
    rng = np.random.default_rng(seed)
    img = 0.05 + rng.random((size, size)) ** 3
    img[: size // 3, : size // 2] = 0.0  # a black block: empty posteriors late in α
    return img


def _monte_carlo_velocity(x, alpha, x1, inside_source):
    """E[x1 − x0 | x_α = x] by weighting target samples with the uniform source's indicator at
    x0 = (x − α x1) / (1 − α) (no kernel, no bias): the estimate and its standard error."""
    x0 = (x - alpha * x1) / (1 - alpha)
    keep = inside_source(x0)
    d = x1[keep] - x0[keep]
    return d.mean(0), d.std(0) / np.sqrt(keep.sum())


@pytest.mark.parametrize("alpha", [0.2, 0.55, 0.9])
def test_exact_velocity_matches_monte_carlo(alpha):
    tgt = D.ImageDensity(_image(), domain=((0.0, 2.0), (-1.0, 1.0)))
    src = D.Uniform((0.2, -0.8), (1.6, 0.9))
    field = exact_field_for(src, tgt)
    axes = (np.array([0.3, 1.0, 1.5]), np.array([-0.5, 0.1, 0.7]))
    v, w = field.on_grid(alpha, axes)
    x1 = tgt.sample(1_000_000, rng=1)
    counts = np.empty(w.shape)
    for i, a in enumerate(axes[0]):
        for j, b in enumerate(axes[1]):
            x0 = (np.array([a, b]) - alpha * x1) / (1 - alpha)
            inside = np.all((x0 >= src.low) & (x0 <= src.high), axis=1)
            counts[i, j] = inside.sum()
            if counts[i, j] < 2000:  # (almost) no mass: the density of x_α is ~0 there
                continue
            mc, se = _monte_carlo_velocity(np.array([a, b]), alpha, x1,
                                           lambda z: np.all((z >= src.low) & (z <= src.high), axis=1))
            assert np.all(np.abs(v[i, j] - mc) < 5 * se + 1e-4), (alpha, a, b, v[i, j], mc, se)
    # the weight is the density of x_α up to a factor: proportional to the accepted counts
    tested = counts >= 2000
    assert tested.sum() >= 6
    ratio = w[tested] / counts[tested]
    scale = np.median(ratio)
    assert np.all(np.abs(ratio / scale - 1) < 4 / np.sqrt(counts[tested]) + 0.01)
    assert np.all(w[~tested] < 2000 * 1.2 * scale)


def test_reversed_pair_matches_monte_carlo():
    src = D.ImageDensity(_image(seed=4))
    tgt = D.Uniform()
    field = exact_field_for(src, tgt)
    assert field.reverse
    alpha = 0.35
    axes = (np.array([0.25, 0.7]), np.array([0.4, 0.8]))
    v, _ = field.on_grid(alpha, axes)
    x0 = src.sample(1_000_000, rng=2)
    tested = 0
    for i, a in enumerate(axes[0]):
        for j, b in enumerate(axes[1]):
            x1 = (np.array([a, b]) - (1 - alpha) * x0) / alpha
            keep = np.all((x1 >= 0) & (x1 <= 1), axis=1)
            if keep.sum() < 2000:  # (almost) no mass there
                continue
            tested += 1
            dd = x1[keep] - x0[keep]
            se = dd.std(0) / np.sqrt(keep.sum())
            assert np.all(np.abs(v[i, j] - dd.mean(0)) < 5 * se + 1e-4)
    assert tested >= 3


def test_end_points_are_the_closed_forms():
    tgt = D.ImageDensity(_image())
    field = exact_field_for(D.Uniform(), tgt)
    axes = (np.array([0.0, 0.13, 0.29, 0.46, 0.71, 0.88, 1.0]), np.array([0.0, 0.2, 0.37, 0.62, 0.79, 1.0]))  # off the pixel edges
    xx, yy = np.meshgrid(*axes, indexing="ij")
    mean = tgt.sample(400_000, rng=0).mean(0)
    v0, _ = field.on_grid(0.0, axes)
    np.testing.assert_allclose(v0[..., 0], mean[0] - xx, atol=3e-3)
    np.testing.assert_allclose(v0[..., 1], mean[1] - yy, atol=3e-3)
    v1, _ = field.on_grid(1.0, axes)
    np.testing.assert_allclose(v1[..., 0], xx - 0.5, atol=1e-12)
    # the limits: α → 0 and α → 1 from inside agree with the end values
    np.testing.assert_allclose(field.on_grid(1e-7, axes)[0][1:-1, 1:-1], v0[1:-1, 1:-1], atol=1e-4)
    np.testing.assert_allclose(field.on_grid(1 - 1e-7, axes)[0][1:-1, 1:-1], v1[1:-1, 1:-1], atol=1e-5)


def test_interval_integrals_against_quadrature():
    rng = np.random.default_rng(3)
    edges = np.sort(np.r_[0.0, rng.random(6), 1.0])
    values = rng.random((7, 2))
    lo = np.array([-0.2, 0.1, 0.33, 0.5, 0.9])
    hi = np.array([0.4, 0.1, 0.6, 1.5, 0.95])
    ref = np.array([0.0, 0.1, 0.5, 0.7, 0.92])
    mass, moment, length = _interval_integrals(values, edges, lo, hi, ref)
    t = np.linspace(0, 1, 2_000_001)
    f = values[np.clip(np.searchsorted(edges, t, side="right") - 1, 0, 6)]
    for m in range(lo.size):
        a, b = max(lo[m], 0.0), min(hi[m], 1.0)
        if b - a == 0:  # a point: the value of its cell
            np.testing.assert_allclose(mass[m], f[np.searchsorted(t, a)], rtol=1e-9)
            assert length[m] == 0
            continue
        sel = (t >= a) & (t <= b)
        np.testing.assert_allclose(mass[m], np.trapezoid(f[sel], t[sel], axis=0) / (b - a), rtol=1e-4)
        np.testing.assert_allclose(moment[m], np.trapezoid((t[sel, None] - ref[m]) * f[sel], t[sel], axis=0) / (b - a),
                                   rtol=1e-3, atol=1e-7)
        assert length[m] == pytest.approx(b - a)


def test_tabulated_densities_are_proportional_to_their_pdfs():
    rng = np.random.default_rng(5)
    for dens in (D.ImageDensity(_image(), domain=((1.0, 3.0), (0.0, 0.5))), D.Uniform((0.0, 1.0), (2.0, 1.5)),
                 D.Checkerboard(4, low=-1.0, high=1.0)):
        t = tabulate(dens)
        lo, hi = dens.bounds[:, 0], dens.bounds[:, 1]
        x = lo + (hi - lo) * rng.random((500, 2))
        i = np.clip(np.searchsorted(t.edges[0], x[:, 0], side="right") - 1, 0, t.edges[0].size - 2)
        j = np.clip(np.searchsorted(t.edges[1], x[:, 1], side="right") - 1, 0, t.edges[1].size - 2)
        pdf = dens.pdf(x)
        tab = t.density[i, j]
        scale = tab[pdf > 0].mean() / pdf[pdf > 0].mean()
        np.testing.assert_allclose(tab, scale * pdf + tab.min() * (pdf == 0), rtol=1e-5)  # + 1e-6 of the mean
    assert tabulate(D.Gaussian((0.5, 0.5), 0.01)) is None
    assert exact_field_for(D.Gaussian((0.5, 0.5), 0.01), D.ImageDensity(_image())) is None


def test_exact_field_map_beats_the_sampled_one():
    src, tgt = D.Uniform(), D.ImageDensity(0.1 + _image(24, seed=7))
    x = src.sample(8000, rng=3)
    kls = {}
    for field in ("exact", "samples"):
        m = GridIADBMap(bins=48, n_steps=16, n_pairs=1 << 15, field=field).fit(src, tgt, rng=0)
        assert m.settings_["field"] == field
        kls[field] = density_fit(lambda z: m.transform(z, return_log_det=True), src, tgt, x).kl
    assert kls["exact"] < 0.7 * kls["samples"], kls


def test_exact_map_keeps_inverse_and_log_det(rng):
    src, tgt = D.Uniform(), D.ImageDensity(0.1 + _image(16, seed=8))
    m = GridIADBMap(bins=40, n_steps=12).fit(src, tgt, rng=0)
    assert m.settings_["field"] == "exact" and m.settings_["n_pairs"] is None
    x = 0.05 + 0.9 * src.sample(30, rng=rng)
    y, ld = m.transform(x, return_log_det=True)
    assert np.all((y >= 0) & (y <= 1))
    np.testing.assert_allclose(m.inverse_transform(y), x, atol=1e-7)
    eps = 1e-6
    for k in range(2):  # log-det against central differences of the discrete map
        e = np.zeros(2)
        e[k] = eps
        col = (m.transform(x + e) - m.transform(x - e)) / (2 * eps)
        if k == 0:
            jac = np.empty((30, 2, 2))
        jac[:, :, k] = col
    np.testing.assert_allclose(ld, np.log(np.abs(np.linalg.det(jac))), atol=1e-4)


def test_field_option_auto_exact_samples_and_files(tmp_path):
    img = D.ImageDensity(0.1 + _image(16, seed=9))
    gauss = D.Gaussian((0.5, 0.5), 0.01)
    small = dict(bins=32, n_steps=8, n_pairs=4096)
    assert GridIADBMap(**small).get_params()["field"] == "auto"
    assert GridIADBMap(**small).fit(D.Uniform(), gauss, rng=0).settings_["field"] == "samples"
    assert GridIADBMap(**small).fit(img, D.Uniform(), rng=0).settings_["field"] == "exact"
    assert GridIADBMap(coupling="ot", **small).fit(D.Uniform(), img, rng=0).settings_["field"] == "samples"
    assert GridIADBMap(**small).fit(D.Uniform(), img.sample(5000, rng=0), rng=0).settings_["field"] == "samples"
    with pytest.raises(ValueError, match="field='exact'"):
        GridIADBMap(field="exact", **small).fit(D.Uniform(), gauss, rng=0)
    with pytest.raises(ValueError, match="field='exact'"):
        GridIADBMap(field="exact", coupling="ot", **small).fit(D.Uniform(), img, rng=0)
    with pytest.raises(ValueError, match="field"):
        GridIADBMap(field="analytic")
    m = GridIADBMap(field="exact", **small).fit(D.Uniform(), img, rng=0)
    m.save(tmp_path / "m.npz")
    back = GridIADBMap.load(tmp_path / "m.npz")
    assert back.field == "exact" and back.settings_ == m.settings_
    x = np.random.default_rng(0).random((50, 2))
    np.testing.assert_array_equal(back.transform(x), m.transform(x))


@pytest.mark.parametrize("reverse", [False, True])
def test_point_queries_match_the_grid(reverse):
    img = D.ImageDensity(_image(seed=11), domain=((0.0, 2.0), (-1.0, 1.0)))
    box = D.Uniform((0.2, -0.8), (1.6, 0.9))
    field = exact_field_for(img, box) if reverse else exact_field_for(box, img)
    axes = (np.linspace(0.0, 2.0, 17), np.linspace(-1.0, 1.0, 13))
    xx, yy = np.meshgrid(*axes, indexing="ij")
    pts = np.stack([xx.ravel(), yy.ravel()], axis=1)
    for alpha in (0.0, 1e-9, 0.02, 0.3, 0.77, 0.999, 1 - 1e-9, 1.0):
        v, _ = field.on_grid(alpha, axes)
        np.testing.assert_allclose(field.at_points(pts, alpha).reshape(v.shape), v, atol=1e-8)
    with pytest.raises(ValueError, match="alpha"):
        field.at_points(pts[:2], 1.5)


def test_mlp_exact_regression_target_is_unbiased_and_recorded(tmp_path):
    from iadb_graphics import IADBMap

    src, tgt = D.Uniform(), D.ImageDensity(0.1 + _image(16, seed=12))
    m = IADBMap(n_iters=20, batch_size=64, width=8, depth=1, x_features=0).fit(src, tgt, rng=0)
    assert m.get_params()["field"] == "auto" and m.settings_ == {"field": "exact"}
    # E over pairs and α of v(x_α, α) is E[x1] − E[x0]: the regression target keeps the mean of x1 − x0
    rng = np.random.default_rng(1)
    x0, x1 = src.sample(200_000, rng=rng), tgt.sample(200_000, rng=rng)
    alpha = rng.random(200_000)
    _, _, target = m._regression(x0, x1, alpha, exact_field_for(src, tgt))
    pair = (x1 - x0) / m.scale_
    np.testing.assert_allclose(target.double().mean(0).numpy(), pair.mean(0), atol=4 * pair.std(0).max() / 450)
    assert float(target.double().var(0).sum()) < 0.8 * float(pair.var(0).sum())  # less variance than pairs
    m.save(tmp_path / "m.npz")
    back = IADBMap.load(tmp_path / "m.npz")
    assert back.settings_ == {"field": "exact"} and back.field == "auto"
    x = rng.random((20, 2))
    np.testing.assert_allclose(back.transform(x), m.transform(x), atol=1e-6)
    samples = IADBMap(n_iters=5, batch_size=32, width=8, depth=1, x_features=0, field="samples").fit(src, tgt, rng=0)
    assert samples.settings_ == {"field": "samples"}
    with pytest.raises(ValueError, match="field='exact'"):
        IADBMap(n_iters=5, field="exact").fit(src, D.Gaussian((0.5, 0.5), 0.01), rng=0)
    with pytest.raises(ValueError, match="field"):
        IADBMap(field="pairs")


def test_point_kernel_matches_its_numpy_twin():
    from iadb_graphics._kernels.exact_field import box_velocity
    from tests.naive import exact_field as N

    rng = np.random.default_rng(13)
    table = tabulate(D.ImageDensity(_image(20, seed=13), domain=((0.0, 2.0), (-1.0, 1.0))))
    low, high = np.array([0.2, -0.8]), np.array([1.6, 0.9])
    x = np.stack([rng.uniform(-0.1, 2.1, 3000), rng.uniform(-1.1, 1.1, 3000)], axis=1)
    alpha = np.concatenate([rng.random(2900), [1e-9, 1e-6, 1 - 1e-6, 1 - 1e-9] * 25])
    sums = table.sums()
    out = np.empty_like(x)
    box_velocity(table.edges[0], table.edges[1], table.density, sums["rows"]["L"], sums["rows"]["M"],
                 sums["cols"]["L"], sums["cols"]["M"], sums["sat"]["LL"], sums["sat"]["ML"], sums["sat"]["LM"],
                 low, high, x, alpha, 1e-12, out)
    np.testing.assert_allclose(out, N.box_velocity(table, low, high, x, alpha), rtol=1e-9, atol=1e-9)
