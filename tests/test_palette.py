import numpy as np
import pytest

from iadb_graphics.color import convert, palette, swatches
from iadb_graphics.color.palette import parse_swatches
from iadb_graphics.densities import Empirical, GaussianMixture


def test_palette_points_are_converted_pixels(rng):
    img = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    pal = palette(img, space="lab")
    assert isinstance(pal, Empirical) and pal.points.shape == (42, 3) and pal.weights is None
    np.testing.assert_allclose(pal.points, convert(img.reshape(-1, 3) / 255.0, "rgb", "lab"))


def test_palette_alpha_weights_and_transparent_pixels_dropped(rng):
    img = rng.random((4, 4, 4))
    img[0, :, 3] = 0.0
    pal = palette(img, space="rgb")
    assert pal.points.shape == (12, 3)
    w = img[1:, :, 3].ravel()
    np.testing.assert_allclose(pal.weights, w / w.sum())
    img[..., 3] = 0
    with pytest.raises(ValueError, match="transparent"):
        palette(img)


def test_palette_subsample_and_gray(rng):
    img = rng.integers(0, 65536, (50, 40), dtype=np.uint16)
    pal = palette(img, space="rgb", max_pixels=100, rng=1)
    assert pal.points.shape == (100, 3)
    np.testing.assert_allclose(pal.points[:, 0], pal.points[:, 2])


@pytest.mark.parametrize("bad, err, match", [
    (np.zeros((1, 1, 3), np.uint8), ValueError, "1×1"),
    (np.full((3, 3, 3), np.nan), ValueError, "NaN"),
    (np.zeros((3, 3, 5), np.uint8), ValueError, "C in 1..4"),
    (np.zeros((3, 3, 3), np.int32), TypeError, "dtype"),
    ("picture.png", TypeError, "image array"),
])
def test_palette_bad_images(bad, err, match):
    with pytest.raises(err, match=match):
        palette(bad)


def test_parse_swatches_forms():
    got = parse_swatches("#ff0000, 00ff00,#00f")
    np.testing.assert_allclose(got, np.eye(3))
    np.testing.assert_allclose(parse_swatches([(255, 0, 0), (0.0, 0.5, 1.0)]), [[1, 0, 0], [0, 0.5, 1]])
    for bad in ["#12345", "#gggggg", [(1, 2)], [(300, 0, 0)], [], "   "]:
        with pytest.raises(ValueError):
            parse_swatches(bad)


def test_swatches_mixture_spread_and_weights(rng):
    mix = swatches(["#264653", "#e76f51"], [3, 1], space="lab", spread=0.02)
    assert isinstance(mix, GaussianMixture)
    np.testing.assert_allclose(mix.weights, [0.75, 0.25])
    np.testing.assert_allclose(mix.means, convert(parse_swatches(["#264653", "#e76f51"]), "rgb", "lab"))
    x = mix.sample(40000, rng=rng)
    near0 = np.linalg.norm(x - mix.means[0], axis=1) < np.linalg.norm(x - mix.means[1], axis=1)
    assert abs(near0.mean() - 0.75) < 0.01
    np.testing.assert_allclose(x[near0].std(0), 2.0, rtol=0.05)  # spread 0.02 × L range 100
    with pytest.raises(ValueError, match="spread"):
        swatches(["#000000"], spread=0.0)
    with pytest.raises(ValueError, match="one entry per swatch"):
        swatches(["#000000", "#ffffff"], [1.0])
