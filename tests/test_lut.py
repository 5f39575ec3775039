import os

import colour
import numpy as np
import pytest

from iadb_graphics._kernels.lut import apply_lut_3d
from iadb_graphics.color import (CubeFileError, apply_lut, bake_lut, blend_lut, identity_lut, read_cube, read_hald,
                                 write_cube, write_hald)
from tests.naive.lut import apply_lut_3d as naive_apply


def _random_lut(rng, size=5):
    return rng.random((size, size, size, 3))


@pytest.mark.parametrize("dtype, scale", [(np.uint8, 255.0), (np.uint16, 65535.0), (np.float32, 1.0),
                                          (np.float64, 1.0)])
@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("tetra", [False, True])
def test_kernel_matches_naive(rng, dtype, scale, channels, tetra):
    lut = _random_lut(rng).astype(np.float32)
    src = (rng.random((3000, channels)) * 1.2 * scale - 0.1 * scale)
    src = np.clip(src, 0, scale).astype(dtype) if scale != 1.0 else src.astype(dtype)
    a, b = np.empty_like(src), np.empty_like(src)
    out_max = scale if scale != 1.0 else 0.0
    apply_lut_3d(src, a, lut, 1.0 / scale, out_max, tetra)
    naive_apply(src, b, lut, 1.0 / scale, out_max, tetra)
    np.testing.assert_allclose(a.astype(float), b.astype(float), atol=1e-5 if scale == 1.0 else 0)


def test_identity_lut_is_exact_for_integer_images(rng):
    for dtype in (np.uint8, np.uint16):
        img = rng.integers(0, np.iinfo(dtype).max + 1, (9, 11, 4), dtype=dtype)
        out = apply_lut(img, identity_lut(17))
        assert out.dtype == dtype and out.shape == img.shape
        np.testing.assert_array_equal(out, img)


def test_apply_lut_float_alpha_gray(rng):
    lut = bake_lut(lambda x: 0.5 * x[:, ::-1] + 0.25, 9)  # affine: trilinear reproduces it exactly
    img = rng.random((6, 5, 4)).astype(np.float32)
    before = img.copy()
    out = apply_lut(img, lut)
    assert out.dtype == np.float32 and out.shape == img.shape
    np.testing.assert_allclose(out[..., :3], 0.5 * img[..., 2::-1] + 0.25, atol=1e-6)
    np.testing.assert_array_equal(out[..., 3], img[..., 3])
    np.testing.assert_array_equal(img, before)
    gray = rng.integers(0, 256, (7, 8), dtype=np.uint8)
    g = apply_lut(gray, lut)
    assert g.shape == gray.shape and g.dtype == np.uint8
    np.testing.assert_allclose(g, 0.5 * gray + 0.25 * 255, atol=1.0)  # luma of a gray-preserving map
    ga = np.stack([gray, gray[::-1]], axis=-1)
    out_ga = apply_lut(ga, lut)
    np.testing.assert_array_equal(out_ga[..., 0], g)
    np.testing.assert_array_equal(out_ga[..., 1], gray[::-1])
    half = apply_lut(rng.random((3, 3, 3)).astype(np.float16), lut)
    assert half.dtype == np.float16


def test_tetrahedral_exact_on_affine_maps_and_keeps_greys_on_the_diagonal(rng):
    mat = np.array([[0.6, 0.2, 0.1], [0.1, 0.7, -0.1], [0.0, 0.3, 0.5]])
    lut = bake_lut(lambda x: x @ mat.T + 0.1, 5, clip=False)  # affine: both interpolations are exact
    img = rng.random((20, 30, 3))
    for interp in ("trilinear", "tetrahedral"):
        np.testing.assert_allclose(apply_lut(img, lut, interp=interp), img @ mat.T + 0.1, atol=1e-6)
    # a LUT whose grey nodes are grey: tetrahedral output of a grey input depends only on the
    # diagonal nodes (c000, c111), so it stays grey; trilinear mixes in the off-diagonal corners
    lut = rng.random((5, 5, 5, 3))
    for i in range(5):
        lut[i, i, i] = i / 4
    grey = np.repeat(rng.random((50, 1, 1)), 3, axis=2)
    tet = apply_lut(grey, lut, interp="tetrahedral")
    np.testing.assert_allclose(tet, grey, atol=1e-6)
    assert np.abs(apply_lut(grey, lut) - grey).max() > 1e-3
    # the two differ inside cells but agree at nodes
    nodes = identity_lut(5).reshape(-1, 1, 3)
    np.testing.assert_allclose(apply_lut(nodes, lut, interp="tetrahedral"), lut.reshape(-1, 1, 3), atol=1e-6)
    with pytest.raises(ValueError, match="interp"):
        apply_lut(img, lut, interp="cubic")


def test_apply_lut_strided_input(rng):
    img = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    lut = _random_lut(rng)
    np.testing.assert_array_equal(apply_lut(img[:, ::2], lut), apply_lut(np.ascontiguousarray(img[:, ::2]), lut))


def test_bake_lut_layout_and_blend():
    lut = bake_lut(lambda x: x ** 2, 4)
    g = np.linspace(0, 1, 4)
    np.testing.assert_allclose(lut[1, 2, 3], [g[1] ** 2, g[2] ** 2, g[3] ** 2])
    np.testing.assert_array_equal(blend_lut(lut, 0.0), identity_lut(4))
    np.testing.assert_allclose(blend_lut(lut, 1.0), lut)


@pytest.mark.parametrize("bad, match", [(np.zeros((3, 3, 3)), "shape"), (np.zeros((1, 1, 1, 3)), "s >= 2"),
                                        (np.full((2, 2, 2, 3), np.nan), "NaN")])
def test_bad_luts(bad, match):
    with pytest.raises(ValueError, match=match):
        apply_lut(np.zeros((2, 2, 3)), bad)


def test_bad_images_for_apply():
    lut = identity_lut(3)
    with pytest.raises(ValueError, match="NaN"):
        apply_lut(np.full((2, 2, 3), np.nan), lut)
    with pytest.raises(ValueError, match="C in 1..4"):
        apply_lut(np.zeros((2, 2, 6)), lut)


def test_cube_round_trip_and_colour_science(tmp_path, rng):
    lut = bake_lut(lambda x: np.clip(x ** 1.8 * [0.9, 1.0, 1.1], 0, 1), 9)
    path = tmp_path / "a.cube"
    write_cube(path, lut, title="test LUT")
    back, title = read_cube(path, return_title=True)
    assert title == "test LUT"
    np.testing.assert_allclose(back, lut, atol=1e-6)
    text = path.read_text().splitlines()
    assert "LUT_3D_SIZE 9" in text
    # red index fastest: the second data row is the node (r=1, g=0, b=0)
    rows = [r for r in text if r and r[0].isdigit()]
    np.testing.assert_allclose([float(v) for v in rows[1].split()], lut[1, 0, 0], atol=1e-6)
    ref = colour.read_LUT(str(path))
    assert ref.size == 9
    img = rng.random((20, 30, 3))
    ours = apply_lut(img, back)
    theirs = ref.apply(img, interpolator=colour.algebra.table_interpolation_trilinear)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_cube_bad_files(tmp_path):
    good = tmp_path / "g.cube"
    write_cube(good, identity_lut(3))
    text = good.read_text()
    cases = {
        "trunc.cube": text[: len(text) // 2].rsplit("\n", 1)[0] + "\n",
        "one_d.cube": "LUT_1D_SIZE 2\n0 0 0\n1 1 1\n",
        "nosize.cube": "0 0 0\n",
        "domain.cube": text.replace("DOMAIN_MAX 1.0 1.0 1.0", "DOMAIN_MAX 2.0 2.0 2.0"),
        "junk.cube": "LUT_3D_SIZE 2\n" + "a b c\n" * 8,
    }
    for name, body in cases.items():
        (tmp_path / name).write_text(body)
        with pytest.raises(CubeFileError, match=name):
            read_cube(tmp_path / name)
    (tmp_path / "bin.cube").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(CubeFileError, match="bin.cube"):
        read_cube(tmp_path / "bin.cube")
    with pytest.raises(CubeFileError, match="does not exist"):
        read_cube(tmp_path / "missing.cube")


def test_cube_write_is_atomic(tmp_path):
    path = tmp_path / "x.cube"
    write_cube(path, identity_lut(2))
    before = path.read_bytes()
    with pytest.raises(ValueError):
        write_cube(path, np.full((2, 2, 2, 3), np.nan))
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["x.cube"]


def test_hald_round_trip(tmp_path, rng):
    lut = bake_lut(lambda x: np.sqrt(x), 16)  # 16 = level 4 squared
    write_hald(tmp_path / "h.tif", lut)
    np.testing.assert_allclose(read_hald(tmp_path / "h.tif"), lut, atol=1 / 65535)
    write_hald(tmp_path / "h.png", lut)
    back = read_hald(tmp_path / "h.png")
    np.testing.assert_allclose(back, lut, atol=0.5 / 255 + 1e-9)
    img = rng.random((5, 5, 3))
    np.testing.assert_allclose(apply_lut(img, back), apply_lut(img, lut), atol=1 / 255)
    # a 33-node LUT is resampled to level 6 (36 nodes)
    write_hald(tmp_path / "r.png", bake_lut(lambda x: x, 33))
    assert read_hald(tmp_path / "r.png").shape == (36, 36, 36, 3)
    with pytest.raises(ValueError, match="16-bit"):
        write_hald(tmp_path / "h16.png", lut, bits=16)
    (tmp_path / "no.png").write_bytes(b"not an image")
    with pytest.raises(CubeFileError):
        read_hald(tmp_path / "no.png")
