"""The iadb_envmap Mitsuba emitter: same radiance as Mitsuba's envmap, our exact pdf, same mean render."""
import subprocess
import sys

import numpy as np
import pytest

from iadb_graphics.mitsuba_emitter import lattice_luminance


def test_lattice_luminance_is_the_bilinear_cell_mean():
    rng = np.random.default_rng(0)
    nodes = rng.random((5, 6))
    out = lattice_luminance(nodes, supersample=3)
    assert out.shape == (12, 18)
    # brute-force mean of the bilinear interpolant over sub-cell (row 4, col 17): lattice cell (1, 5)
    # wraps from node column 5 to node column 0
    f = (np.arange(200) + 0.5) / 200
    fy = (1 + f) / 3
    fx = (2 + f) / 3
    top = nodes[1, 5] * (1 - fx) + nodes[1, 0] * fx
    bot = nodes[2, 5] * (1 - fx) + nodes[2, 0] * fx
    mean = np.mean(top[None, :] * (1 - fy[:, None]) + bot[None, :] * fy[:, None])
    assert out[4, 17] == pytest.approx(mean, rel=1e-9)
    with pytest.raises(ValueError, match="H >= 2"):
        lattice_luminance(np.ones((1, 4)))


def test_importing_the_package_does_not_import_mitsuba():
    code = "import sys, iadb_graphics, iadb_graphics.envmap, iadb_graphics.mitsuba_emitter; " \
           "print('mitsuba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


mi = pytest.importorskip("mitsuba")


@pytest.fixture(scope="module")
def mitsuba_scalar():
    mi.set_variant("scalar_rgb")
    from iadb_graphics.mitsuba_emitter import register

    register()
    return mi


def _sky():
    rng = np.random.default_rng(0)
    img = rng.uniform(0.2, 1.0, (16, 32, 3)).astype(np.float32)
    img[3, 7] = 60.0  # a small bright sun
    return img


def _scene(mi, emitter, seed):
    """A diffuse ball over a diffuse floor (which it shadows), seen from above, 12×9 pixels, 16 spp."""
    from iadb_graphics.mitsuba_emitter import prepare_scene

    T = mi.ScalarTransform4f
    film = {"type": "hdrfilm", "width": 12, "height": 9, "rfilter": {"type": "box"}}
    camera = T().look_at(origin=[0, 2, 4], target=[0, 0, 0], up=[0, 1, 0])
    floor = T().translate([0, -1, 0]).rotate([1, 0, 0], -90).scale(5)
    return prepare_scene(mi.load_dict({"type": "scene", "integrator": {"type": "direct"}, "sky": emitter,
                         "sensor": {"type": "perspective", "fov": 45, "to_world": camera, "film": film,
                                    "sampler": {"type": "independent", "sample_count": 16, "seed": seed}},
                         "ball": {"type": "sphere", "bsdf": {"type": "diffuse"}},
                         "floor": {"type": "rectangle", "to_world": floor, "bsdf": {"type": "diffuse"}}}))


SAMPLINGS = [{}, {"sampling": "warp", "method": "inverse-cdf"}]  # the default (cosine-product) and a warp


@pytest.mark.parametrize("props", SAMPLINGS)
def test_radiance_and_pdf_match(mitsuba_scalar, props):
    bmp = mi.Bitmap(_sky())
    rot = mi.ScalarTransform4f().rotate([0, 0, 1], 30)
    ours = mi.load_dict({"type": "iadb_envmap", "bitmap": bmp, "to_world": rot, **props})
    theirs = mi.load_dict({"type": "envmap", "bitmap": bmp, "to_world": rot})
    it = mi.SurfaceInteraction3f()
    it.p = mi.Point3f(0.1, 0.2, 0.3)
    it.n = mi.Vector3f(0.48, 0.6, -0.64)  # a surface normal (the cosine-product tables depend on it)
    rng = np.random.default_rng(1)
    for u in rng.random((200, 2)):
        ds, weight = ours.sample_direction(it, mi.Point2f(*u))
        assert ds.pdf > 0 and abs(np.linalg.norm(np.array(ds.d)) - 1) < 1e-5
        np.testing.assert_allclose(ours.pdf_direction(it, ds), ds.pdf, rtol=1e-4)
        si = mi.SurfaceInteraction3f()
        si.wi = -ds.d
        np.testing.assert_allclose(np.array(ours.eval(si)), np.array(theirs.eval(si)), rtol=1e-6)
        np.testing.assert_allclose(np.array(weight) * ds.pdf, np.array(theirs.eval(si)), rtol=1e-4)
    # the pdf integrates to one over the sphere: pdf · sin θ is bilinear in (φ, θ) between the map's nodes
    # (θ = πr/(H − 1), φ = 2π(c + ½)/W), so the midpoint rule on a grid aligned with them is exact
    h, w = _sky().shape[:2]
    k = 4  # grid points per node cell and axis (even: the grid's cells also split at φ = 2π(c + ½)/W)
    theta = (np.arange((h - 1) * k) + 0.5) / ((h - 1) * k) * np.pi
    phi = (np.arange(w * k) + 0.5) / (w * k) * 2 * np.pi
    total = 0.0
    for th in theta:
        for ph in phi:
            ds = mi.DirectionSample3f()
            ds.d = rot @ mi.Vector3f(np.sin(ph) * np.sin(th), np.cos(th), -np.cos(ph) * np.sin(th))
            total += ours.pdf_direction(it, ds) * np.sin(th)
    assert total * (np.pi / len(theta)) * (2 * np.pi / len(phi)) == pytest.approx(1.0, rel=1e-3)


def test_cosine_product_without_a_normal_is_mitsubas_envmap_pdf(mitsuba_scalar):
    """The default sampling follows Mitsuba's bilinear envmap density exactly; with no surface normal
    (a medium or light-tracing query) it is that density."""
    bmp = mi.Bitmap(_sky())
    ours = mi.load_dict({"type": "iadb_envmap", "bitmap": bmp})
    theirs = mi.load_dict({"type": "envmap", "bitmap": bmp})
    it = mi.Interaction3f()  # n = 0
    for v in np.random.default_rng(2).normal(size=(300, 3)):
        ds = mi.DirectionSample3f()
        ds.d = mi.Vector3f(*(v / np.linalg.norm(v)))
        assert ours.pdf_direction(it, ds) == pytest.approx(theirs.pdf_direction(it, ds), rel=1e-4)
    # with a normal, directions above the surface get more of the samples (also with a rotated map: the
    # normal is taken into the map's frame); without compensation, which would also move them to the sun
    for rot in (mi.ScalarTransform4f(), mi.ScalarTransform4f().rotate([1, 0, 0], 70)):
        ours = mi.load_dict({"type": "iadb_envmap", "bitmap": bmp, "to_world": rot, "compensation": 0.0})
        theirs = mi.load_dict({"type": "envmap", "bitmap": bmp, "to_world": rot})
        it.n = mi.Vector3f(0.0, -1.0, 0.0)
        u = np.random.default_rng(3).random((400, 2))
        below = [float(ours.sample_direction(it, mi.Point2f(*v))[0].d[1]) < 0 for v in u]
        plain = [float(theirs.sample_direction(it, mi.Point2f(*v))[0].d[1]) < 0 for v in u]
        assert np.mean(below) > np.mean(plain) + 0.3


@pytest.fixture(scope="module")
def reference_render(mitsuba_scalar):
    return np.array(mi.render(_scene(mi, {"type": "envmap", "bitmap": mi.Bitmap(_sky())}, 0), spp=4096))


@pytest.mark.parametrize("props", SAMPLINGS)
def test_mean_render_agrees_with_mitsuba_envmap(mitsuba_scalar, reference_render, props):
    bmp = mi.Bitmap(_sky())
    ref = reference_render
    runs = [np.array(mi.render(_scene(mi, {"type": "iadb_envmap", "bitmap": bmp, **props}, s)))
            for s in (1, 2)]
    a, b = runs
    mean = 0.5 * (a.mean() + b.mean())
    se = np.sqrt(np.mean((a - b) ** 2) / (4 * a.size))  # standard error of ``mean`` (independent pixels)
    assert abs(mean - ref.mean()) < 4 * se + 1e-3 * ref.mean()
    assert np.mean((0.5 * (a + b) - ref) ** 2) < 10 * np.mean((a - b) ** 2)  # no pixel-wise bias either


def test_sample_ray_agrees_with_envmap(mitsuba_scalar):
    """Light tracing: E[weight] (the emitted power through the scene's bounding disc) matches envmap's."""
    from iadb_graphics.mitsuba_emitter import prepare_scene

    bmp = mi.Bitmap(_sky())
    rng = np.random.default_rng(3)
    means = {}
    for kind in ("envmap", "iadb_envmap"):
        scene = prepare_scene(mi.load_dict({"type": "scene", "ball": {"type": "sphere"},
                                            "sky": {"type": kind, "bitmap": bmp}}))
        emitter = scene.emitters()[0]
        w, origins = [], []
        for u in rng.random((3000, 4)):
            ray, weight = emitter.sample_ray(0.0, 0.5, mi.Point2f(u[0], u[1]), mi.Point2f(u[2], u[3]))
            w.append(np.array(weight)[0])
            origins.append(np.linalg.norm(np.array(ray.o)))
        means[kind] = (np.mean(w), np.std(w) / np.sqrt(len(w)), np.max(origins))
    (m0, s0, r0), (m1, s1, r1) = means["envmap"], means["iadb_envmap"]
    assert abs(m0 - m1) < 4 * np.hypot(s0, s1)
    assert r1 == pytest.approx(r0, rel=0.05)  # rays start on the same bounding sphere (radius √3, disc offset)


def test_bad_input(mitsuba_scalar):
    with pytest.raises(Exception, match="exactly one"):
        mi.load_dict({"type": "iadb_envmap"})
    bmp = mi.Bitmap(_sky())
    with pytest.raises(Exception, match="sampling must be one of"):
        mi.load_dict({"type": "iadb_envmap", "bitmap": bmp, "sampling": "magic"})
    with pytest.raises(Exception, match="applies to sampling='warp'"):
        mi.load_dict({"type": "iadb_envmap", "bitmap": bmp, "method": "inverse-cdf"})
