"""``.cube`` files written by other tools: BOM, Resolve shaper files, input ranges."""
import numpy as np
import pytest

from iadb_graphics.color import identity_lut, read_cube, write_cube
from iadb_graphics.color.cube import CubeFileError


@pytest.fixture
def graded(tmp_path, rng):
    lut = np.clip(identity_lut(4) + 0.1 * rng.standard_normal((4, 4, 4, 3)), 0, 1)
    write_cube(tmp_path / "g.cube", lut, digits=8)
    return lut, (tmp_path / "g.cube").read_text()


def test_utf8_bom_is_accepted(tmp_path, graded):
    lut, text = graded
    (tmp_path / "bom.cube").write_bytes(b"\xef\xbb\xbf" + text.encode())
    np.testing.assert_allclose(read_cube(tmp_path / "bom.cube"), lut, atol=1e-8)


def _with_shaper(text, shaper_rows, extra=""):
    head, body = text.split("DOMAIN_MIN", 1)
    header, data = ("DOMAIN_MIN" + body).split("\n", 2)[:2], ("DOMAIN_MIN" + body).split("\n", 2)[2]
    rows = "\n".join(" ".join(f"{v:.8f}" for v in r) for r in shaper_rows)
    return f"{head}LUT_1D_SIZE {len(shaper_rows)}\n{extra}" + "\n".join(header) + "\n" + rows + "\n" + data


def test_resolve_identity_shaper_reads_the_3d_part(tmp_path, graded):
    lut, text = graded
    ramp = np.repeat(np.linspace(0, 1, 6)[:, None], 3, axis=1)
    (tmp_path / "shaper.cube").write_text(_with_shaper(text, ramp, "LUT_1D_INPUT_RANGE 0.0 1.0\n"))
    np.testing.assert_allclose(read_cube(tmp_path / "shaper.cube"), lut, atol=1e-8)


def test_a_real_shaper_is_refused_by_name(tmp_path, graded):
    _, text = graded
    curve = np.repeat((np.linspace(0, 1, 6) ** 0.5)[:, None], 3, axis=1)
    (tmp_path / "log.cube").write_text(_with_shaper(text, curve))
    with pytest.raises(CubeFileError, match=r"log\.cube.*1D-shaper \+ 3D"):
        read_cube(tmp_path / "log.cube")


def test_input_range_other_than_unit_is_refused(tmp_path, graded):
    lut, text = graded
    (tmp_path / "r4.cube").write_text(text.replace("DOMAIN_MIN", "LUT_3D_INPUT_RANGE 0 4\nDOMAIN_MIN"))
    with pytest.raises(CubeFileError, match=r"r4\.cube.*LUT_3D_INPUT_RANGE 0 4"):
        read_cube(tmp_path / "r4.cube")
    (tmp_path / "r1.cube").write_text(text.replace("DOMAIN_MIN", "LUT_3D_INPUT_RANGE 0.0 1.0\nDOMAIN_MIN"))
    np.testing.assert_allclose(read_cube(tmp_path / "r1.cube"), lut, atol=1e-8)


def test_shaper_count_mismatch_is_truncation(tmp_path, graded):
    _, text = graded
    ramp = np.repeat(np.linspace(0, 1, 6)[:, None], 3, axis=1)
    body = _with_shaper(text, ramp)
    (tmp_path / "cut.cube").write_text(body.rsplit("\n", 3)[0] + "\n")
    with pytest.raises(CubeFileError, match=r"cut\.cube.*shaper.*truncated"):
        read_cube(tmp_path / "cut.cube")
