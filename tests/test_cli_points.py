import argparse

import numpy as np
import pytest

from iadb_graphics import io
from iadb_graphics.cli.points import register


def _run(argv):
    parser = argparse.ArgumentParser(prog="iadb-graphics")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["points", *argv])
    return args.func(args)


@pytest.mark.parametrize("kind,ext", [("white", ".npy"), ("jittered", ".txt"), ("sobol", ".csv"),
                                      ("halton", ".npy"), ("poisson", ".npy"), ("bluenoise", ".npy")])
def test_points_kinds_and_formats(tmp_path, kind, ext):
    out = tmp_path / f"pts{ext}"
    extra = ["--iters", "16"] if kind == "bluenoise" else []
    assert _run(["--kind", kind, "--n", "64", "--seed", "3", "-o", str(out), *extra]) == 0
    pts = io.read_points(out)
    assert pts.shape == (64, 2) and np.all((pts >= 0) & (pts < 1))


def test_points_reproducible_and_plot(tmp_path):
    a, b, png = tmp_path / "a.npy", tmp_path / "b.npy", tmp_path / "p.png"
    assert _run(["--kind", "bluenoise", "--n", "128", "--iters", "16", "-o", str(a), "--plot", str(png)]) == 0
    assert _run(["--kind", "bluenoise", "--n", "128", "--iters", "16", "-o", str(b)]) == 0
    np.testing.assert_array_equal(np.load(a), np.load(b))
    assert png.stat().st_size > 1000


def test_points_density(tmp_path):
    img = np.zeros((16, 16, 3), dtype=np.uint8)
    img[:, :8] = 255
    img[:, 8:] = 64
    path = tmp_path / "target.png"
    io.write_image(path, img)
    out = tmp_path / "st.npy"
    assert _run(["--kind", "bluenoise", "--n", "200", "--iters", "20", "--density", str(path), "-o", str(out)]) == 0
    pts = np.load(out)
    assert pts.shape == (200, 2) and np.mean(pts[:, 0] < 0.5) > 0.7


@pytest.mark.parametrize("argv,msg", [
    (["--kind", "white", "--n", "-3"], "--n must be >= 0"),
    (["--kind", "white", "--n", "8", "--density", "x.png"], "--density works with --kind bluenoise only"),
    (["--kind", "poisson", "--n", "8", "--d", "3"], "--d 2 only"),
    (["--kind", "bluenoise", "--n", "8", "--density", "missing.png"], "missing.png"),
])
def test_points_bad_input(tmp_path, capsys, argv, msg):
    assert _run([*argv, "-o", str(tmp_path / "o.npy")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("iadb-graphics points: error:") and msg in err and err.count("\n") == 1


def test_points_bad_extension_and_choice(tmp_path, capsys):
    assert _run(["--kind", "white", "--n", "8", "-o", str(tmp_path / "o.png")]) == 2
    assert "-o must end in" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        _run(["--kind", "nope", "--n", "8", "-o", "o.npy"])
    assert exc.value.code == 2
