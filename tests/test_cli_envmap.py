"""``iadb-graphics warp --envmap``: directions on the sphere and their solid-angle pdf."""
import numpy as np
import pytest

from iadb_graphics.cli import main
from iadb_graphics.envmap import EnvMapDensity
from iadb_graphics.io import write_image


@pytest.fixture()
def sky_file(tmp_path):
    rng = np.random.default_rng(0)
    sky = rng.uniform(0.1, 1.0, (16, 32, 3)).astype(np.float32)
    sky[4, 9] = 200.0
    path = tmp_path / "sky.exr"
    write_image(path, sky)
    return path, sky


def test_envmap_directions_pdf_and_plot(tmp_path, sky_file):
    path, sky = sky_file
    out, pdf, png = tmp_path / "dirs.npy", tmp_path / "pdf.npy", tmp_path / "dirs.png"
    rc = main(["warp", "--envmap", str(path), "--kind", "sobol", "--n", "256", "--method", "inverse-cdf",
               "-o", str(out), "--pdf", str(pdf), "--plot", str(png)])
    assert rc == 0
    d, p = np.load(out), np.load(pdf)[:, 0]
    assert d.shape == (256, 3)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(EnvMapDensity(sky, method="inverse-cdf").pdf(d), p, rtol=1e-5)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_envmap_errors(tmp_path, sky_file, capsys):
    path, _ = sky_file
    bad = tmp_path / "bad.npy"
    np.save(bad, np.full((4, 2), 2.0))
    rc = main(["warp", "--envmap", str(path), "--points", str(bad), "-o", str(tmp_path / "o.npy")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("error:") == 1 and "[0, 1]^2" in err
    assert not (tmp_path / "o.npy").exists()
    rc = main(["warp", "--envmap", str(tmp_path / "missing.exr"), "--kind", "white", "--n", "4",
               "-o", str(tmp_path / "o.npy")])
    assert rc == 2 and "missing.exr" in capsys.readouterr().err
