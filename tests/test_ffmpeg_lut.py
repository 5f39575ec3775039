"""A real client reads our ``.cube`` files: ffmpeg's ``lut3d`` filter must reproduce ``apply_lut``.

ffmpeg's ``lut3d`` interpolates tetrahedrally by default (``ffmpeg -h filter=lut3d``:
``interp ... (default tetrahedral)``); ``interp=trilinear`` selects trilinear. Each is compared
with ``apply_lut(..., interp=...)`` of the same name on an 8-bit RGB image piped through
ffmpeg as raw ``rgb24`` (no codec in between). ffmpeg converts its float result to 8 bits by
truncation, ``apply_lut`` rounds: the two may differ by one level (1/255), never more.
"""
import subprocess

import numpy as np
import pytest

from iadb_graphics.color import apply_lut, bake_lut, write_cube

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")


def _ffmpeg_lut3d(img, cube, interp):
    h, w, _ = img.shape
    vf = f"lut3d=file={cube}" + ("" if interp is None else f":interp={interp}")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{w}x{h}", "-i", "-", "-vf", vf, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    res = subprocess.run(cmd, input=img.tobytes(), capture_output=True, check=True, timeout=60)
    return np.frombuffer(res.stdout, np.uint8).reshape(h, w, 3)


def _graded_lut(size, rng):
    """A strongly non-linear, channel-mixing grade on a coarse lattice, its nodes jittered: the
    interpolations then differ by many levels inside the cells."""
    def grade(x):
        r, g, b = x[:, 0], x[:, 1], x[:, 2]
        return np.stack([r ** 0.6 * 0.8 + 0.2 * b, 0.5 + 0.45 * np.sin(3 * g + r), (b * g) ** 0.5], axis=1)
    return np.clip(bake_lut(grade, size) + 0.15 * rng.standard_normal((size,) * 3 + (3,)), 0.0, 1.0)


@pytest.mark.parametrize("interp, ours", [(None, "tetrahedral"), ("tetrahedral", "tetrahedral"),
                                          ("trilinear", "trilinear")])
def test_ffmpeg_lut3d_matches_apply_lut(tmp_path, rng, interp, ours):
    lut = _graded_lut(6, rng)
    cube = tmp_path / "grade.cube"
    write_cube(cube, lut)
    img = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)
    img[0, :8] = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128],
                  [255, 255, 0], [1, 254, 127]]  # cube corners and edges
    theirs = _ffmpeg_lut3d(img, cube, interp).astype(int)
    mine = apply_lut(img, lut, interp=ours).astype(int)
    assert np.abs(theirs - mine).max() <= 1
    # the test can tell a wrong layout or interpolation apart: the other interpolation and a LUT
    # read with the blue index first both miss by far more than one level on the same pixels
    other = apply_lut(img, lut, interp="trilinear" if ours == "tetrahedral" else "tetrahedral").astype(int)
    assert np.abs(theirs - other).max() > 1
    swapped = apply_lut(img, lut.transpose(2, 1, 0, 3), interp=ours).astype(int)
    assert np.abs(theirs - swapped).max() > 10
