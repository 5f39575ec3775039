"""Grade a video with one LUT: fit on frames sampled over the clip, apply to every frame.

One fixed LUT for the whole clip is what keeps a grade from flickering: a colour gets the
same output in every frame, so the output changes from frame to frame only where the source
does (scaled by the LUT's local gain). A transfer refitted on every frame (IDT per frame)
changes its map with the frame's content and flickers.

Videos are read and written through imageio's ffmpeg plugin (``pip install imageio-ffmpeg``,
which ships an ffmpeg binary; the ``video`` extra). Outputs are staged in a temporary file next
to the destination and renamed at the end, so a failure never leaves a half-written file.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np

from .._progress import progress_bar
from .._validation import as_generator, check_int, check_path
from .lut import apply_lut, check_lut

__all__ = ["VideoInfo", "GradeReport", "video_info", "iter_frames", "sample_frames", "fit_video_lut",
           "grade_video", "temporal_change", "flicker_ratio"]

#: Frames sampled over the clip to fit the grade.
DEFAULT_FIT_FRAMES = 12
#: Each sampled frame is subsampled to at most this many pixels (strided) before fitting.
FIT_FRAME_PIXELS = 1 << 16


@dataclass
class VideoInfo:
    """Frame count, size (H, W) and frame rate of a video file."""

    n_frames: int
    size: tuple
    fps: float


@dataclass
class GradeReport:
    """What :func:`grade_video` did.

    Attributes
    ----------
    n_frames : int, frames graded. lut : ndarray (s, s, s, 3), the grade.
    source_change, output_change : float
        Mean absolute frame-to-frame change of the source and of the graded frames (RGB in [0, 1]).
    flicker : float
        ``output_change / source_change`` (1: the output changes as much as the source).
    """

    n_frames: int
    lut: np.ndarray
    source_change: float
    output_change: float

    @property
    def flicker(self) -> float:
        return flicker_ratio(self.source_change, self.output_change)


def _require_ffmpeg():
    import importlib.util

    if importlib.util.find_spec("imageio_ffmpeg") is None:  # pragma: no cover - depends on the environment
        raise ImportError("reading and writing videos needs imageio-ffmpeg: pip install imageio-ffmpeg "
                          "(or the package's 'video' extra)")


def _reader(path, name):
    import imageio.v2 as iio2

    _require_ffmpeg()
    path = check_path(path, name)
    if not os.path.isfile(path):
        raise ValueError(f"{name} file {path!r} does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return iio2.get_reader(path, format="ffmpeg")
    except Exception as exc:  # imageio raises OSError / RuntimeError / ValueError by plugin and version
        raise ValueError(f"{name} file {path!r} is not a readable video ({type(exc).__name__}: {exc})") from None


def video_info(path, *, name: str = "video") -> VideoInfo:
    """Count the frames of a video and read its size and frame rate.

    Raises ``ValueError`` naming the file when it is missing, not a video or holds no frame.
    """
    reader = _reader(path, name)
    try:
        meta = reader.get_meta_data()
        try:
            n = reader.count_frames()
        except Exception as exc:
            raise ValueError(f"{name} file {path!r} is not a readable video ({exc})") from None
        if n <= 0:
            raise ValueError(f"{name} file {path!r} has no frames")
        w, h = meta.get("size", (0, 0))
        return VideoInfo(int(n), (int(h), int(w)), float(meta.get("fps") or 25.0))
    finally:
        reader.close()


def iter_frames(path, *, name: str = "video"):
    """Yield the frames of a video as uint8 arrays (H, W, 3)."""
    reader = _reader(path, name)
    i = 0
    try:
        for i, frame in enumerate(reader):
            yield np.asarray(frame)[..., :3]
    except (OSError, RuntimeError) as exc:
        raise ValueError(f"{name} file {path!r}: decoding failed at frame {i} ({exc})") from None
    finally:
        reader.close()


def sample_frames(path, n: int = DEFAULT_FIT_FRAMES, *, max_pixels: int = FIT_FRAME_PIXELS,
                  name: str = "video", info: VideoInfo | None = None) -> np.ndarray:
    """``n`` frames evenly spread over the clip, strided to ≤ ``max_pixels`` each, stacked as one
    image (rows of frames) for :func:`~iadb_graphics.color.fit_map`. ``info``: the clip's
    :func:`video_info` when already known (saves a decoding pass)."""
    n = check_int(n, "n", minimum=1)
    max_pixels = check_int(max_pixels, "max_pixels", minimum=1)
    info = video_info(path, name=name) if info is None else info
    want = set(np.unique(np.linspace(0, info.n_frames - 1, min(n, info.n_frames)).round().astype(int)).tolist())
    step = max(1, int(np.ceil(np.sqrt(info.size[0] * info.size[1] / max_pixels))))
    picked = [f[::step, ::step] for i, f in enumerate(iter_frames(path, name=name)) if i in want]
    if not picked:
        raise ValueError(f"{name} file {path!r} has no frames")
    w = min(f.shape[1] for f in picked)
    return np.concatenate([f[:, :w] for f in picked], axis=0)


def fit_video_lut(path, palette_image, *, n_frames: int = DEFAULT_FIT_FRAMES, lut_size: int | None = None,
                  rng=None, progress=None, info: VideoInfo | None = None, **options) -> np.ndarray:
    """Fit one grade on frames sampled over the clip → LUT (s, s, s, 3).

    ``palette_image``, ``lut_size`` and ``options`` (method, space, strength, …) as in
    :func:`~iadb_graphics.color.transfer.grade_lut`.
    """
    from .transfer import grade_lut

    frames = sample_frames(path, n_frames, info=info)
    return grade_lut(frames, palette_image, lut_size=lut_size, rng=as_generator(rng), progress=progress, **options)


def temporal_change(prev, frame) -> float:
    """Mean absolute difference of two uint8 frames, in [0, 1] units."""
    return float(np.mean(np.abs(frame.astype(np.float32) - prev.astype(np.float32)))) / 255.0


def flicker_ratio(source_change: float, output_change: float) -> float:
    """Output's frame-to-frame change over the source's (``nan`` for a static source)."""
    return float(output_change / source_change) if source_change > 0 else float("nan")


def grade_video(path, *, palette_image=None, lut=None, output=None, cube=None, n_frames: int = DEFAULT_FIT_FRAMES,
                lut_size: int | None = None, interp: str = "trilinear", force: bool = False, fps: float | None = None,
                quality: int = 8, rng=None, progress=None, **options) -> GradeReport:
    """Grade every frame of a video with one LUT; write the video and/or the ``.cube``.

    Parameters
    ----------
    path : str or PathLike
        The source video (anything ffmpeg reads).
    palette_image : ndarray, str, list or Density, optional
        Fit the grade on ``n_frames`` frames spread over the clip towards this palette
        (see :func:`~iadb_graphics.color.transfer.fit_map`).
    lut : ndarray (s, s, s, 3), optional
        Apply this grade instead of fitting one (exactly one of ``palette_image`` / ``lut``).
    output : str or PathLike, optional
        Graded video to write (codec from the extension, e.g. ``.mp4``: H.264).
    cube : str or PathLike, optional
        Write the grade as a ``.cube`` file.
    n_frames, lut_size, rng, options
        Fitting: frames sampled, LUT nodes per axis (default as in
        :func:`~iadb_graphics.color.transfer.transfer`), randomness, options of ``fit_map``.
    interp : {"trilinear", "tetrahedral"}
        Interpolation of :func:`~iadb_graphics.color.lut.apply_lut`.
    force : bool
        Overwrite existing outputs (otherwise ``FileExistsError``).
    fps : float, optional
        Frame rate of the output (default: the source's).
    quality : int
        imageio-ffmpeg's quality, 0–10 (10: best).

    Returns
    -------
    GradeReport
        With the temporal stability of the graded frames (before encoding) against the source's.
    """
    from .cube import write_cube

    if (palette_image is None) == (lut is None):
        raise ValueError("give exactly one of palette_image (fit a grade) and lut (apply a grade)")
    quality = check_int(quality, "quality", minimum=0, maximum=10)
    outs = [check_path(p, n) for p, n in ((output, "output"), (cube, "cube")) if p is not None]
    if not force:
        for p in outs:
            if os.path.exists(p):
                raise FileExistsError(f"{p!r} exists; pass force=True to overwrite it")
    info = video_info(path)
    if lut is None:
        lut = fit_video_lut(path, palette_image, n_frames=n_frames, lut_size=lut_size, rng=rng,
                            progress=progress, info=info, **options)
    lut = check_lut(lut)
    src_change = out_change = 0.0
    count = 0
    writer = tmp = None
    try:
        if output is not None:
            import imageio.v2 as iio2

            tmp = _staging_path(output)
            writer = iio2.get_writer(tmp, format="ffmpeg", fps=info.fps if fps is None else fps, quality=quality,
                                     macro_block_size=1)
        prev = prev_out = None
        with progress_bar(info.n_frames, desc="grade video", progress=progress, unit="frame") as bar:
            for frame in iter_frames(path):
                graded = apply_lut(frame, lut, interp=interp)
                if prev is not None:
                    src_change += temporal_change(prev, frame)
                    out_change += temporal_change(prev_out, graded)
                if writer is not None:
                    writer.append_data(graded)
                prev, prev_out = frame, graded
                count += 1
                bar.update(1)
        if count == 0:
            raise ValueError(f"video file {path!r} has no frames")
        if writer is not None:
            writer.close()
            writer = None
        if cube is not None:
            write_cube(cube, lut)
        if tmp is not None:
            os.replace(tmp, output)
            tmp = None
    finally:
        if writer is not None:
            writer.close()
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
    pairs = max(count - 1, 1)
    return GradeReport(count, lut, src_change / pairs, out_change / pairs)


def _staging_path(path):
    """A fresh temporary file name next to ``path`` with the same extension (ffmpeg picks the
    container from it)."""
    import tempfile

    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1],
                               dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    return tmp
