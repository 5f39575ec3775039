"""EnvMapDensity: directions on the sphere, exact solid-angle pdf, inverse, χ² on the sphere."""
import numpy as np
import pytest

from iadb_graphics.envmap import (PARAMETRISATIONS, EnvMapDensity, direction_to_square, envmap_luminance,
                                  square_to_direction)
from iadb_graphics.metrics.goodness import chi2_test

H, W = 12, 24


def _sky(peaky=True):
    rng = np.random.default_rng(3)
    img = rng.uniform(0.2, 1.0, (H, W, 3))
    img[0, :] = 3.0   # a bright top row: the pole texels must get their (small) solid-angle share
    img[4, 7] *= 40.0 if peaky else 4.0
    return img


def _z_phi(d):
    return np.stack([d[:, 1], np.arctan2(d[:, 0], -d[:, 2]) % (2 * np.pi)], axis=1)


def _pdf_on_z_phi(env):
    def q(x):  # (cos θ, φ) has the solid-angle measure: dΩ = d(cos θ) dφ
        z, phi = x[:, 0], x[:, 1]
        s = np.sqrt(np.clip(1 - z * z, 0, 1))
        return env.pdf(np.stack([np.sin(phi) * s, z, -np.cos(phi) * s], axis=1))
    return q


@pytest.mark.parametrize("parametrisation", PARAMETRISATIONS)
def test_square_sphere_round_trip_and_jacobian(parametrisation):
    rng = np.random.default_rng(0)
    st = rng.random((2000, 2))
    d, jac = square_to_direction(st, height=H, parametrisation=parametrisation, phi_offset=0.25)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-12)
    back, jac2 = direction_to_square(d * 3.0, height=H, parametrisation=parametrisation, phi_offset=0.25)
    np.testing.assert_allclose(back, st, atol=1e-9)
    np.testing.assert_allclose(jac2, jac, rtol=1e-9)
    # the Jacobian integrates to the sphere's area, and matches a finite-difference area
    assert np.mean(jac) == pytest.approx(4 * np.pi, rel=0.05)
    eps = 1e-6
    ds, _ = square_to_direction(st + [eps, 0], height=H, parametrisation=parametrisation, phi_offset=0.25)
    dt, _ = square_to_direction(st + [0, eps], height=H, parametrisation=parametrisation, phi_offset=0.25)
    area = np.linalg.norm(np.cross(ds - d, dt - d), axis=1) / eps ** 2
    inside = np.abs(((1 - st[:, 1]) * H) % 1 - 0.5) < 0.45  # away from row edges (kinks of row-equal-area)
    np.testing.assert_allclose(area[inside], jac[inside], rtol=1e-3, atol=1e-3)


def test_axes_follow_mitsuba():
    d, _ = square_to_direction(np.array([[0.0, 1.0], [0.25, 0.5], [0.5, 0.5], [0.0, 0.5]]), height=H)
    np.testing.assert_allclose(d, [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, -1]], atol=1e-12)


@pytest.mark.parametrize("method", ["inverse-cdf", "hierarchical", "continuous-cdf", "kd-tree"])
@pytest.mark.parametrize("parametrisation", PARAMETRISATIONS)
def test_exact_warps_chi2_pdf_and_inverse(method, parametrisation):
    env = EnvMapDensity(_sky(), method=method, parametrisation=parametrisation)
    rng = np.random.default_rng(1)
    u = rng.random((20000, 2))
    d, p = env.transform(u)
    np.testing.assert_allclose(env.pdf(d), p, rtol=1e-9)
    np.testing.assert_allclose(env.target_pdf(d), p, rtol=1e-9)  # exact warps: the pdf is the target
    np.testing.assert_allclose(env.inverse_transform(d), u, atol=1e-7)
    res = chi2_test(_z_phi(d), _pdf_on_z_phi(env), bounds=[[-1, 1], [0, 2 * np.pi]], bins=10)
    assert res.p_value > 1e-3
    # a wrong claim (no sin θ factor) fails the same test
    wrong = chi2_test(_z_phi(d), lambda x: np.full(len(x), 1 / (4 * np.pi)), bounds=[[-1, 1], [0, 2 * np.pi]],
                      bins=10)
    assert wrong.p_value < 1e-6


def test_pdf_is_luminance_proportional_per_texel():
    """row-equal-area: the solid-angle pdf of a texel is its luminance / the map's radiant power."""
    sky = _sky()
    env = EnvMapDensity(sky, method="inverse-cdf")
    lum = envmap_luminance(sky)
    edges = np.cos(np.linspace(0, np.pi, H + 1))
    total = np.sum(lum * (edges[:-1] - edges[1:])[:, None]) * 2 * np.pi / W
    r, c = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    st = np.stack([(c.ravel() + 0.3) / W, 1 - (r.ravel() + 0.7) / H], axis=1)
    d, _ = square_to_direction(st, height=H)
    np.testing.assert_allclose(env.pdf(d), lum.ravel() / total, rtol=1e-9)
    # integrates to one over the sphere (Monte Carlo with uniform directions)
    rng = np.random.default_rng(2)
    v = rng.normal(size=(200000, 3))
    assert np.mean(env.pdf(v)) * 4 * np.pi == pytest.approx(1.0, rel=0.03)


def test_mesh_warp_chi2():
    with pytest.warns(UserWarning, match="folded"):  # a few folded triangles near the poles
        env = EnvMapDensity(_sky(peaky=False), method="mesh", rng=1, warp_kwargs={"allow_foldovers": True})
    d, p = env.transform(np.random.default_rng(5).random((8000, 2)))
    np.testing.assert_allclose(env.pdf(d[:500]), p[:500], rtol=1e-6)
    res = chi2_test(_z_phi(d), _pdf_on_z_phi(env), bounds=[[-1, 1], [0, 2 * np.pi]], bins=6,
                     max_evals=1 << 20)
    assert res.p_value > 1e-3


def test_grid_warp_pdf_and_inverse():
    """The grid map's pdf (through its inverse) agrees with the forward log-det, and is unbiased:
    E[1/p] = 4π and E[target/p] = 1 over its own samples (to 4 standard errors)."""
    env = EnvMapDensity(_sky(peaky=False), method="grid", rng=1)
    u = np.random.default_rng(6).random((4000, 2))
    d, p = env.transform(u)
    np.testing.assert_allclose(env.pdf(d[:300]), p[:300], rtol=1e-5)
    np.testing.assert_allclose(env.inverse_transform(d[:300]), u[:300], atol=1e-6)
    for f, truth in [(np.ones(len(d)), 4 * np.pi), (env.target_pdf(d), 1.0)]:
        w = f / p
        assert abs(w.mean() - truth) < 4 * w.std() / np.sqrt(len(w))


def test_weight_and_sample_api():
    sky = _sky()
    weight = np.ones((H, W))
    weight[:, : W // 2] = 0.0
    env = EnvMapDensity(sky, weight=weight, method="inverse-cdf")
    d = env.sample(500, rng=0)
    assert d.shape == (500, 3)
    phi = np.arctan2(d[:, 0], -d[:, 2]) % (2 * np.pi)
    assert np.all(phi >= np.pi - 1e-9)
    np.testing.assert_array_equal(env.sample(10, rng=4), env.sample(10, rng=4))


def test_reads_hdr_files(tmp_path):
    from iadb_graphics.io import write_image

    sky = _sky().astype(np.float32)
    path = tmp_path / "sky.exr"
    write_image(path, sky)
    a = EnvMapDensity(path, method="inverse-cdf")
    b = EnvMapDensity(sky, method="inverse-cdf")
    d = b.sample(100, rng=0)
    np.testing.assert_allclose(a.pdf(d), b.pdf(d), rtol=1e-6)


@pytest.mark.parametrize("image, match", [
    (np.full((4, 8, 3), np.nan), "non-finite"),
    (np.full((4, 8, 3), -1.0), "negative"),
    (np.ones((4, 8, 2)), "channels"),
    (np.zeros((4, 8, 3)), "black"),
])
def test_bad_maps(image, match):
    with pytest.raises(ValueError, match=match):
        EnvMapDensity(image)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="weight"):
        EnvMapDensity(_sky(), weight=np.ones((3, 3)))
    with pytest.raises(ValueError, match="parametrisation"):
        EnvMapDensity(_sky(), parametrisation="cube")
    with pytest.raises(ValueError, match="zero vector"):
        EnvMapDensity(_sky(), method="inverse-cdf").pdf(np.zeros((1, 3)))
    truncated = tmp_path / "cut.hdr"
    truncated.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 8 +X 16\n\x02\x02")
    with pytest.raises(ValueError, match="cut.hdr"):
        EnvMapDensity(truncated)


def test_direction_plot(tmp_path):
    from iadb_graphics.plot.envmap import plot_envmap_directions

    env = EnvMapDensity(_sky(), method="inverse-cdf")
    d, p = env.transform(np.random.default_rng(0).random((300, 2)))
    out = tmp_path / "dirs.png"
    plot_envmap_directions(_sky(), d, p, out)
    assert out.stat().st_size > 1000 and out.read_bytes()[:4] == b"\x89PNG"
