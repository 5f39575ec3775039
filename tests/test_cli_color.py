import argparse
import os

import numpy as np
import pytest

from iadb_graphics.cli.color import register
from iadb_graphics.color import read_cube
from iadb_graphics.io import read_image, write_image


def run(argv):
    parser = argparse.ArgumentParser(prog="iadb-graphics")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def images(tmp_path, rng):
    y, x = np.mgrid[0:32, 0:40] / 40.0
    src = np.round(np.stack([x, y, 0.5 + 0.4 * np.sin(5 * x)], -1) * 255).astype(np.uint8)
    pal = src[::-1, :, [2, 0, 1]]
    write_image(tmp_path / "src.png", src)
    write_image(tmp_path / "pal.png", pal)
    return tmp_path, src


def test_color_transfer_writes_image_cube_and_plot(images, capsys):
    d, src = images
    rc = run(["color-transfer", str(d / "src.png"), str(d / "pal.png"), "-o", str(d / "out.png"),
              "--method", "reinhard", "--space", "lalphabeta", "--cube", str(d / "l.cube"), "--plot",
              str(d / "cmp.png"), "--seed", "0", "--lut-size", "9"])
    assert rc == 0
    out = read_image(d / "out.png")
    assert out.shape == src.shape and out.dtype == np.uint8 and not np.array_equal(out, src)
    assert read_cube(d / "l.cube").shape == (9, 9, 9, 3)
    assert os.path.getsize(d / "cmp.png") > 1000
    assert run(["apply-lut", str(d / "src.png"), str(d / "l.cube"), "-o", str(d / "again.png")]) == 0
    np.testing.assert_array_equal(read_image(d / "again.png"), out)


def test_swatches_and_refusal_to_overwrite(images, capsys):
    d, _ = images
    argv = ["color-transfer", str(d / "src.png"), "#264653,#2a9d8f,#e9c46a", "-o", str(d / "o.png"),
            "--method", "idt", "--seed", "1"]
    assert run(argv) == 0
    before = (d / "o.png").read_bytes()
    capsys.readouterr()
    assert run(argv + ["--strength", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and err.count("\n") == 1
    assert (d / "o.png").read_bytes() == before
    assert run(argv + ["--strength", "0", "--force"]) == 0
    np.testing.assert_array_equal(read_image(d / "o.png"), read_image(d / "src.png"))


@pytest.mark.parametrize("content", [b"this is not an image", None, b"truncated"])
def test_bad_source_one_line_exit_2_nothing_written(images, capsys, content):
    d, _ = images
    bad = d / "bad.png"
    if content == b"truncated":
        bad.write_bytes((d / "src.png").read_bytes()[:60])
    elif content is not None:
        bad.write_bytes(content)
    files = sorted(os.listdir(d))
    rc = run(["color-transfer", str(bad), str(d / "pal.png"), "-o", str(d / "out.png"), "--method", "reinhard",
              "--cube", str(d / "x.cube")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0] and "bad.png" in err[0]
    assert sorted(os.listdir(d)) == files


def test_bad_palette_and_lut(images, capsys):
    d, _ = images
    assert run(["color-transfer", str(d / "src.png"), "no-such-thing", "-o", str(d / "o.png")]) == 2
    (d / "bad.cube").write_text("LUT_3D_SIZE 3\n0 0 0\n")
    assert run(["apply-lut", str(d / "src.png"), str(d / "bad.cube"), "-o", str(d / "o.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "bad.cube" in err[1]
    assert not (d / "o.png").exists()


def test_sixteen_bit_tiff_and_alpha(tmp_path, rng):
    img = rng.integers(0, 65536, (12, 10, 4), dtype=np.uint16)
    write_image(tmp_path / "s.tif", img)
    assert run(["color-transfer", str(tmp_path / "s.tif"), "#336699,#ffcc00", "-o", str(tmp_path / "o.tif"),
                "--method", "reinhard"]) == 0
    out = read_image(tmp_path / "o.tif")
    assert out.dtype == np.uint16 and out.shape == img.shape
    np.testing.assert_array_equal(out[..., 3], img[..., 3])


def test_color_transfer_batch_through_the_main_parser(tmp_path, capsys):
    from iadb_graphics.cli import main
    from iadb_graphics.io import write_image

    frames = tmp_path / "frames"
    frames.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        write_image(frames / f"f{i}.png", (rng.random((16, 16, 3)) * 255).astype(np.uint8))
    (frames / "broken.png").write_bytes(b"not an image")
    pal = tmp_path / "pal.png"
    write_image(pal, (rng.random((16, 16, 3)) * 120).astype(np.uint8))
    out = tmp_path / "out"
    rc = main(["color-transfer", str(frames), str(pal), "--out-dir", str(out), "--method", "reinhard", "--seed", "0"])
    assert rc == 1  # one frame failed, the others were written
    assert sorted(p.name for p in out.iterdir()) == ["f0.png", "f1.png", "f2.png"]
    assert "broken.png" in capsys.readouterr().err
    assert main(["color-transfer", str(frames / "f0.png"), str(pal)]) == 2  # one source needs -o
    assert main(["color-transfer", str(frames), str(pal), "--out-dir", str(out), "-o", "x.png"]) == 2
