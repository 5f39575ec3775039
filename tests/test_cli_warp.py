"""``iadb-graphics warp``: the default method works on every image and its pdf is exact."""
import numpy as np
import pytest

from iadb_graphics.cli import main
from iadb_graphics.densities import ImageDensity
from iadb_graphics.io import read_points, write_image


def _images():
    from iadb_graphics.data import sample_photo

    photo = np.asarray(sample_photo(64))
    blocks = np.zeros((32, 48), np.uint8)
    blocks[4:12, 5:20] = 255
    blocks[20:30, 30:46] = 90
    rows = np.full((24, 24, 3), 200, np.uint8)
    rows[5:11] = 0  # empty rows
    rows[:, 17] = 0  # and an empty column
    single = np.zeros((16, 16), np.uint16)
    single[3, 12] = 65535
    y, x = np.mgrid[0:40, 0:40] / 39.0
    gradient = np.round(np.stack([x, y, 1 - x], -1) * 255).astype(np.uint8)
    return {"photo": photo, "blocks": blocks, "empty_rows": rows, "single_pixel": single, "gradient": gradient}


@pytest.mark.parametrize("name", sorted(_images()))
def test_default_warp_is_exact_on_every_image(tmp_path, capsys, name):
    img = _images()[name]
    write_image(tmp_path / "t.png", img)
    argv = ["warp", "--target", str(tmp_path / "t.png"), "--kind", "sobol", "--n", "512",
            "-o", str(tmp_path / "w.npy"), "--pdf", str(tmp_path / "p.npy")]
    assert main(argv) == 0, capsys.readouterr().err
    assert "wrote 512 points" in capsys.readouterr().err
    warped, pdf = read_points(tmp_path / "w.npy"), read_points(tmp_path / "p.npy")[:, 0]
    density = ImageDensity(img)
    np.testing.assert_allclose(pdf, density.pdf(warped), rtol=1e-9)
    assert np.all(pdf > 0)  # no point lands on an empty pixel


def test_keep_aspect_scales_points_and_pdf_exactly(tmp_path):
    img = np.zeros((20, 40), np.uint8)
    img[:, 30:] = 255  # mass only in the right quarter
    write_image(tmp_path / "wide.png", img)
    base = ["warp", "--target", str(tmp_path / "wide.png"), "--kind", "halton", "--n", "256"]
    assert main(base + ["-o", str(tmp_path / "a.npy"), "--pdf", str(tmp_path / "pa.npy")]) == 0
    assert main(base + ["-o", str(tmp_path / "b.npy"), "--pdf", str(tmp_path / "pb.npy"), "--keep-aspect"]) == 0
    a, b = read_points(tmp_path / "a.npy"), read_points(tmp_path / "b.npy")
    np.testing.assert_allclose(b, a * [1.0, 0.5])
    assert b[:, 1].max() <= 0.5 and b[:, 0].min() >= 0.75
    # the pdf integrates to one over the 1 x 0.5 box: uniform on its right quarter -> 1 / (0.25 * 0.5)
    np.testing.assert_allclose(read_points(tmp_path / "pb.npy"), 8.0)
    np.testing.assert_allclose(read_points(tmp_path / "pa.npy"), 4.0)


def test_a_failing_method_is_one_line(tmp_path, capsys, monkeypatch):
    import iadb_graphics.warps as warps

    def failing(*args, **kwargs):
        raise ValueError("MeshWarp: the map is not invertible (3 folded triangles)\nuse a finer resolution")

    monkeypatch.setattr(warps, "make_warp", failing)
    write_image(tmp_path / "t.png", np.full((8, 8), 128, np.uint8))
    argv = ["warp", "--target", str(tmp_path / "t.png"), "--kind", "white", "--n", "8", "--method", "mesh",
            "-o", str(tmp_path / "w.npy")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--method mesh" in err[0] and "not invertible" in err[0], err
    assert not (tmp_path / "w.npy").exists()


def test_help_states_the_conventions(capsys):
    from iadb_graphics.cli import build_parser

    for command in ("warp", "points"):
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "y up" in text and "unit square" in text and "--keep-aspect" in text
