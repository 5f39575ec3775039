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
