"""Video grading: one LUT fitted over the clip, applied to every frame, atomic outputs."""
import os

import numpy as np
import pytest

pytest.importorskip("imageio_ffmpeg")

from iadb_graphics.color import apply_lut, identity_lut, read_cube  # noqa: E402
from iadb_graphics.color import video  # noqa: E402


def _clip(path, n=10, h=48, w=64, seed=0):
    """A small synthetic clip: a colour ramp panning right with a little noise (lossless-ish)."""
    import imageio.v2 as iio2

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    frames = []
    for t in range(n):
        x = xx + 0.02 * t
        img = np.stack([0.2 + 0.6 * x, 0.3 + 0.5 * yy, 0.7 - 0.4 * x * yy], -1)
        img = img + 0.01 * rng.standard_normal(img.shape)
        frames.append(np.floor(np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8))
    with iio2.get_writer(path, format="ffmpeg", fps=10, quality=10, macro_block_size=1) as wr:
        for f in frames:
            wr.append_data(f)
    return frames


def _palette(rng):
    pal = np.empty((40, 40, 3))
    pal[..., 0] = 0.7 + 0.2 * rng.random((40, 40))
    pal[..., 1] = 0.35 + 0.2 * rng.random((40, 40))
    pal[..., 2] = 0.1 + 0.1 * rng.random((40, 40))
    return (pal * 255).astype(np.uint8)


def test_info_and_sampling(tmp_path):
    path = str(tmp_path / "clip.mp4")
    _clip(path, n=10)
    info = video.video_info(path)
    assert info.n_frames == 10 and info.size == (48, 64) and info.fps == pytest.approx(10)
    stack = video.sample_frames(path, 3)
    assert stack.shape == (3 * 48, 64, 3) and stack.dtype == np.uint8
    stack = video.sample_frames(path, 4, max_pixels=48 * 64 // 4)
    assert stack.shape == (4 * 24, 32, 3)


def test_grade_video_fits_writes_and_is_stable(tmp_path, rng):
    path = str(tmp_path / "clip.mp4")
    _clip(path, n=10)
    out, cube = str(tmp_path / "graded.mp4"), str(tmp_path / "grade.cube")
    pal = _palette(rng)
    rep = video.grade_video(path, palette_image=pal, output=out, cube=cube, n_frames=4, lut_size=17, rng=0)
    assert rep.n_frames == 10
    np.testing.assert_allclose(read_cube(cube), rep.lut, atol=1e-6)
    graded = list(video.iter_frames(out))
    assert len(graded) == 10 and graded[0].shape == (48, 64, 3)
    # the grade took the frames' colours towards the palette (orange): red up, blue down
    src0 = next(video.iter_frames(path))
    assert graded[0][..., 0].mean() > src0[..., 0].mean() + 20
    assert graded[0][..., 2].mean() < src0[..., 2].mean() - 20
    # each written frame is the LUT applied to its source frame (up to the H.264 encoding)
    np.testing.assert_allclose(graded[5].astype(float), apply_lut(list(video.iter_frames(path))[5], rep.lut),
                               atol=40)
    assert np.abs(graded[5].astype(float) - apply_lut(src0, rep.lut)).mean() < 20
    assert 0 < rep.source_change and np.isfinite(rep.flicker)
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")]


def test_identity_grade_has_flicker_one_and_existing_outputs_are_kept(tmp_path):
    path = str(tmp_path / "clip.mp4")
    _clip(path, n=6)
    rep = video.grade_video(path, lut=identity_lut(9))
    assert rep.flicker == pytest.approx(1.0, abs=1e-9) and rep.output_change == pytest.approx(rep.source_change)
    assert rep.instability == pytest.approx(1.0, abs=1e-3)
    # a contrast-halving grade halves the frame-to-frame change (up to rounding)
    half = identity_lut(9) * 0.5 + 0.25
    rep = video.grade_video(path, lut=half)
    assert rep.flicker == pytest.approx(0.5, abs=0.05) and rep.instability < 1.01  # fixed: no instability
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        video.grade_video(path, lut=half, output=str(out))
    assert out.read_bytes() == b"keep me"
    video.grade_video(path, lut=half, output=str(out), force=True)
    assert video.video_info(str(out)).n_frames == 6


def test_bad_videos(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        video.video_info(str(tmp_path / "missing.mp4"))
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 20)
    with pytest.raises(ValueError, match="notes.mp4"):
        video.grade_video(str(text), lut=identity_lut(3), output=str(tmp_path / "o.mp4"))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.mp4"):
        video.video_info(str(empty))
    assert not (tmp_path / "o.mp4").exists()
    with pytest.raises(ValueError, match="exactly one"):
        video.grade_video(str(text))


def test_failure_mid_clip_leaves_nothing(tmp_path, monkeypatch):
    path = str(tmp_path / "clip.mp4")
    _clip(path, n=8)
    calls = []

    def failing(frame, lut, **kw):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("disk full")
        return apply_lut(frame, lut, **kw)

    monkeypatch.setattr(video, "apply_lut", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        video.grade_video(path, lut=identity_lut(5), output=str(tmp_path / "o.mp4"), cube=str(tmp_path / "g.cube"))
    assert sorted(os.listdir(tmp_path)) == ["clip.mp4"]


def _cli(argv):
    import argparse

    from iadb_graphics.cli.color import register

    parser = argparse.ArgumentParser(prog="iadb-graphics")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_grades_a_video(tmp_path, rng, capsys):
    from iadb_graphics.io import write_image

    path = str(tmp_path / "clip.mp4")
    _clip(path, n=8)
    write_image(tmp_path / "pal.png", _palette(rng))
    out, cube = str(tmp_path / "graded.mp4"), str(tmp_path / "grade.cube")
    rc = _cli(["color-transfer", path, str(tmp_path / "pal.png"), "-o", out, "--cube", cube, "--seed", "0",
               "--lut-size", "17"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "temporal stability" in err and "8 frames" in err and "instability 1.0" in err
    lut = read_cube(cube)
    assert lut.shape == (17, 17, 17, 3)
    graded = list(video.iter_frames(out))
    assert len(graded) == 8
    assert np.abs(graded[3].astype(float) - apply_lut(list(video.iter_frames(path))[3], lut)).mean() < 20
    # existing outputs are kept without --force; a video needs -o or --cube; no image-only flags
    assert _cli(["color-transfer", path, str(tmp_path / "pal.png"), "-o", out]) == 2
    assert _cli(["color-transfer", path, str(tmp_path / "pal.png")]) == 2
    assert _cli(["color-transfer", path, str(tmp_path / "pal.png"), "--cube", str(tmp_path / "b.cube"),
                 "--regrain"]) == 2
    bad = tmp_path / "bad.mp4"
    bad.write_text("no video here")
    assert _cli(["color-transfer", str(bad), str(tmp_path / "pal.png"), "--cube", str(tmp_path / "c.cube")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "bad.mp4" in err
    assert not (tmp_path / "b.cube").exists() and not (tmp_path / "c.cube").exists()
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]
