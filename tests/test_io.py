import os

import numpy as np
import pytest

from iadb_graphics.io import atomic_path, read_image, read_points, write_image, write_points


@pytest.mark.parametrize("ext", [".npy", ".txt", ".csv"])
def test_points_round_trip(tmp_path, rng, ext):
    x = rng.random((17, 3))
    path = tmp_path / f"p{ext}"
    write_points(path, x)
    np.testing.assert_array_equal(read_points(path), x)


def test_atomic_path_gives_usual_permissions(tmp_path):
    path = tmp_path / "p.npy"
    write_points(path, np.zeros((2, 2)))
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_images_round_trip_16_bit_and_alpha(tmp_path, rng):
    gray16 = (rng.random((5, 7)) * 65535).astype(np.uint16)
    write_image(tmp_path / "g.png", gray16)
    np.testing.assert_array_equal(read_image(tmp_path / "g.png"), gray16)
    rgba = (rng.random((5, 7, 4)) * 255).astype(np.uint8)
    write_image(tmp_path / "a.png", rgba)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), rgba)


def test_bad_files_are_named(tmp_path):
    bad = tmp_path / "x.npy"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="could not be read"):
        read_points(bad)
    with pytest.raises(ValueError, match="unknown extension"):
        read_points(_touch(tmp_path / "y.bin"))
    with pytest.raises(ValueError, match="must end in"):
        write_points(tmp_path / "p.json", np.zeros((2, 2)))


def _touch(path):
    path.write_text("1 2\n")
    return path


# ----------------------------------------------------------------------------- honest precision

_PRECISE = {
    "rgb16.png": ((6, 5, 3), np.uint16, 65535),
    "rgba16.png": ((6, 5, 4), np.uint16, 65535),
    "gray16.png": ((6, 5), np.uint16, 65535),
    "rgb16.tif": ((6, 5, 3), np.uint16, 65535),
    "float.tif": ((6, 5, 3), np.float32, 20.0),
    "gray_float.tif": ((6, 5), np.float32, 20.0),
    "float.exr": ((6, 5, 3), np.float32, 20.0),
    "rgba_float.exr": ((6, 5, 4), np.float32, 20.0),
    "gray_float.exr": ((6, 5), np.float32, 20.0),
    "float.pfm": ((6, 5, 3), np.float32, 20.0),
}


@pytest.mark.parametrize("name", sorted(_PRECISE))
def test_images_keep_their_precision(tmp_path, rng, name):
    shape, dtype, top = _PRECISE[name]
    img = (rng.random(shape) * top).astype(dtype)
    write_image(tmp_path / name, img)
    back = read_image(tmp_path / name)
    assert back.dtype == dtype and back.shape == shape
    np.testing.assert_array_equal(back, img)


def test_half_exr_reads_as_float32(tmp_path, rng):
    img = (rng.random((4, 3, 3)) * 1000).astype(np.float16)
    write_image(tmp_path / "h.exr", img)
    back = read_image(tmp_path / "h.exr")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, img.astype(np.float32))


def test_radiance_hdr_is_float_and_not_clipped(tmp_path):
    ramp = np.tile(np.linspace(0, 20, 16, dtype=np.float32), (4, 1))
    write_image(tmp_path / "r.hdr", np.dstack([ramp] * 3))
    back = read_image(tmp_path / "r.hdr")
    assert back.dtype == np.float32 and back.shape == (4, 16, 3)
    # RGBE keeps 8 mantissa bits per pixel: relative error below 1 %.
    np.testing.assert_allclose(back[..., 1], ramp, rtol=0.01, atol=1e-6)
    assert back.max() > 19


def test_rgb_channel_order_is_kept_through_opencv(tmp_path):
    img = np.zeros((2, 2, 3), np.uint16)
    img[..., 0] = 65535  # pure red
    write_image(tmp_path / "red.png", img)
    np.testing.assert_array_equal(read_image(tmp_path / "red.png")[0, 0], [65535, 0, 0])
    write_image(tmp_path / "red.pfm", img.astype(np.float32))
    np.testing.assert_array_equal(read_image(tmp_path / "red.pfm")[0, 0], [65535, 0, 0])


def test_hdr_ramp_density_has_the_right_mean(tmp_path):
    from iadb_graphics.densities import ImageDensity

    ramp = np.tile(np.linspace(0, 20, 64, dtype=np.float32), (8, 1))
    write_image(tmp_path / "ramp.hdr", np.dstack([ramp] * 3))
    x = ImageDensity(str(tmp_path / "ramp.hdr")).sample(50_000, rng=0)
    assert abs(x[:, 0].mean() - 2 / 3) < 0.01  # a linear ramp's mean is 2/3; clipping would give ~1/2


def _bad_image(tmp_path, kind):
    path = tmp_path / {"text": "t.png", "empty": "e.png", "hdr": "t.hdr", "exr": "t.exr", "nan": "n.exr"}[kind]
    if kind == "text":
        path.write_text("just some text\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "hdr":
        write_image(path, np.ones((8, 8, 3), np.float32))
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    elif kind == "exr":
        write_image(path, np.ones((8, 8, 3), np.float32))
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    else:
        write_image(path, np.full((3, 3), np.nan, np.float32))
    return path


@pytest.mark.parametrize("kind", ["text", "empty", "hdr", "exr", "nan"])
def test_unreadable_images_give_one_line_naming_the_file(tmp_path, kind, capfd):
    path = _bad_image(tmp_path, kind)
    with pytest.raises(ValueError) as info:
        read_image(path, name="--target")
    text = str(info.value)
    assert "\n" not in text and str(path) in text and text.startswith("--target")
    assert "pip" not in text
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # no OpenCV/OpenEXR warnings on the terminal


@pytest.mark.parametrize("name, img", [
    ("x.png", np.zeros((2, 2), np.float32)),
    ("x.jpg", np.zeros((2, 2), np.uint16)),
    ("x.xyz", np.zeros((2, 2), np.uint8)),
    ("x.hdr", np.zeros((2, 2, 2), np.float32)),
    ("x.png", np.zeros((2, 2), np.int32)),
])
def test_write_image_refuses_what_the_format_cannot_hold(tmp_path, name, img):
    with pytest.raises(ValueError, match="x"):
        write_image(tmp_path / name, img)
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------- model files

def _tamper(path, edit_header=None, edit_arrays=None):
    """Rewrite a model file with its header (dict) or arrays (dict) edited."""
    import json

    with np.load(path, allow_pickle=False) as data:
        payload = {k: data[k] for k in data.files}
    header = json.loads(bytes(payload["header"]).decode())
    if edit_header:
        edit_header(header)
    if edit_arrays:
        edit_arrays(payload)
    payload["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **payload)


@pytest.fixture(scope="module")
def saved_mlp(tmp_path_factory):
    from iadb_graphics.densities import Uniform, toy2d
    from iadb_graphics.maps.iadb import IADBMap

    path = tmp_path_factory.mktemp("model") / "m.npz"
    IADBMap(width=8, depth=1).fit(Uniform(), toy2d("moons"), n_iters=3, rng=0, progress=False).save(path)
    return path


@pytest.mark.parametrize("tamper, match", [
    (dict(edit_arrays=lambda a: a.__setitem__(next(k for k in a if k.startswith("a_")),
                                             np.full_like(a[next(k for k in a if k.startswith("a_"))], np.nan))),
     "NaN or infinite"),
    (dict(edit_header=lambda h: h["meta"].__setitem__("scale", float("nan"))), "NaN"),
    (dict(edit_header=lambda h: h["meta"].__setitem__("center", [float("inf"), 0.0])), "Infinity"),
    (dict(edit_header=lambda h: h.__setitem__("fitted", False)), "not fitted"),
    (dict(edit_header=lambda h: h["meta"].__setitem__("fitted", False)), "not fitted"),
])
def test_tampered_model_files_are_refused(tmp_path, saved_mlp, tamper, match):
    import shutil

    from iadb_graphics.io import ModelFileError
    from iadb_graphics.maps.iadb import IADBMap

    path = tmp_path / "t.npz"
    shutil.copy(saved_mlp, path)
    IADBMap.load(path)  # the untouched copy loads
    _tamper(path, **tamper)
    with pytest.raises(ModelFileError, match=match) as info:
        IADBMap.load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_complex_points_are_refused_not_truncated(tmp_path):
    np.save(tmp_path / "c.npy", np.ones((3, 2)) * (1 + 1j))
    with pytest.raises(TypeError, match=r"c\.npy.*real numbers"):
        read_points(tmp_path / "c.npy")


def test_empty_text_points_file_is_one_line_without_warning(tmp_path, recwarn):
    (tmp_path / "e.txt").write_text("")
    with pytest.raises(ValueError, match=r"e\.txt.*no numbers"):
        read_points(tmp_path / "e.txt")
    assert len(recwarn) == 0
