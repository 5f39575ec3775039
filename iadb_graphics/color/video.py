"""Grade a video with one LUT: fit on frames sampled over the clip, apply to every frame.

One fixed LUT for the whole clip is what keeps a grade from flickering: a colour gets the
same output in every frame, so the output changes from frame to frame only where the source
does (scaled by the LUT's local gain). A transfer refitted on every frame (IDT per frame)
changes its map with the frame's content and flickers.

Temporal stability is reported two ways (:class:`Stability`): ``flicker``, the output's mean
frame-to-frame change over the source's, and ``instability``, which does not count a grade's
contrast as flicker. A fixed grade that steepens the tones scales the source's own changes (motion,
noise) up, so its ``flicker`` exceeds 1 although the grade never changes; ``instability`` instead
splits the output into the best single colour grade of the source fitted over the whole clip
(a LUT, by lattice regression) and a remainder, and compares the frame-to-frame change of the
remainder with that of the graded part: it is 1 (within about 0.01, from 8-bit rounding) when the
output is one fixed function of the source colour, and grows with any change of the grade over
time (a transfer refitted per frame, a gain that pumps). As in the temporal-consistency
literature, the processed video's frame-to-frame changes are judged against those the
unprocessed video implies rather than against zero (Bonneel et al.); the warping error of Lai et
al. compares flow-aligned output frames and so still counts a fixed grade's contrast, which the
reference grade here absorbs, needing no optical flow (it is applied to the same pixels).

References
----------
N. Bonneel, J. Tompkin, K. Sunkavalli, D. Sun, S. Paris, H. Pfister, "Blind video temporal
consistency", ACM TOG (SIGGRAPH Asia) 2015.
W.-S. Lai, J.-B. Huang, O. Wang, E. Shechtman, E. Yumer, M.-H. Yang, "Learning blind video
temporal consistency", ECCV 2018.

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
           "grade_video", "temporal_change", "flicker_ratio", "Stability", "StabilityMeter", "temporal_stability"]

#: Frames sampled over the clip to fit the grade.
DEFAULT_FIT_FRAMES = 12
#: Each sampled frame is subsampled to at most this many pixels (strided) before fitting.
FIT_FRAME_PIXELS = 1 << 16
#: :class:`StabilityMeter`: pixels followed per frame (the same positions in every frame), at most.
STABILITY_PIXELS = 4096
#: :class:`StabilityMeter`: pixel-frames followed over the whole clip, at most (long clips follow
#: fewer pixels per frame, never fewer than 256).
STABILITY_BUDGET = 1 << 22
#: :class:`StabilityMeter`: the clip's best fixed grade is a LUT of this many nodes per axis,
#: fitted by lattice regression (Gaussian of :data:`STABILITY_BANDWIDTH` nodes,
#: :data:`STABILITY_FIT_ITERS` passes) on at most :data:`STABILITY_FIT_PAIRS` colour pairs. 65
#: nodes hold every 33³ and 65³ trilinear LUT (the sizes ``.cube`` grades use) exactly; 33 read
#: fixed 65³ grades as 1.02–1.04 instead of 1.00 on offline clips.
STABILITY_LUT_SIZE = 65
STABILITY_BANDWIDTH = 0.5
STABILITY_FIT_ITERS = 16
STABILITY_FIT_PAIRS = 1 << 19


@dataclass
class VideoInfo:
    """Frame count, size (H, W) and frame rate of a video file."""

    n_frames: int
    size: tuple
    fps: float


@dataclass
class Stability:
    """Temporal stability of a graded clip against its source.

    Attributes
    ----------
    source_change, output_change : float
        Mean absolute frame-to-frame change of the source and of the output (RGB in [0, 1], all
        pixels, consecutive frames).
    explained_change : float
        Mean frame-to-frame change of ``G(source)``, with ``G`` the single colour grade (a LUT)
        that best reproduces the output from the source over the whole clip, at the followed pixels.
    unexplained_change : float
        Mean frame-to-frame change of the remainder ``output - G(source)`` at the same pixels,
        ``G``'s output rounded to 8 bits as the output is: 0 for any fixed grade (up to the few
        pixels where ``G`` and the grade round to different levels).
    """

    source_change: float
    output_change: float
    explained_change: float
    unexplained_change: float

    @property
    def flicker(self) -> float:
        """``output_change / source_change``: 1 when the output changes as much as the source; a
        fixed grade that raises contrast scores above 1, one that flattens it below."""
        return flicker_ratio(self.source_change, self.output_change)

    @property
    def instability(self) -> float:
        """``1 + unexplained_change / explained_change`` (>= 1): 1 for a fixed grade whatever its
        contrast; 1.1 when the grade's own changes over time add 10 % to the change a fixed grade
        makes. ``inf`` for a static source under a changing grade, ``nan`` for a static clip."""
        if self.explained_change > 0:
            return 1.0 + self.unexplained_change / self.explained_change
        return float("inf") if self.unexplained_change > 0 else float("nan")


class StabilityMeter:
    """Follow a clip frame by frame (source and output), then measure its :class:`Stability`.

    ``add(source, output)`` takes each frame pair in order (uint8 (H, W, 3), one shape for the
    clip); :meth:`result` fits the clip's best fixed grade and returns the :class:`Stability`.
    The frame-to-frame changes of the whole frames are accumulated as they come; for the grade
    split, the colours of ``n_pixels`` random positions (the same in every frame) are kept.

    Parameters
    ----------
    n_frames : int, optional
        Expected frame count: with ``n_frames * n_pixels`` above :data:`STABILITY_BUDGET`, fewer
        pixels are followed per frame.
    n_pixels : int
        Pixels followed per frame, at most.
    rng : None | int | Generator
        Picks the followed positions and the pairs the grade is fitted on.
    """

    def __init__(self, n_frames: int | None = None, *, n_pixels: int = STABILITY_PIXELS, rng=0):
        n_pixels = check_int(n_pixels, "n_pixels", minimum=1)
        if n_frames is not None:
            n_frames = check_int(n_frames, "n_frames", minimum=1)
            n_pixels = min(n_pixels, max(256, STABILITY_BUDGET // n_frames))
        self.n_pixels, self.rng = n_pixels, as_generator(rng)
        self._idx = self._prev = None
        self._src, self._out = [], []
        self._src_change = self._out_change = 0.0

    def add(self, source, output) -> None:
        """Take the next frame of the source and the same frame of the output (uint8 (H, W, 3))."""
        source, output = np.asarray(source)[..., :3], np.asarray(output)[..., :3]
        if source.dtype != np.uint8 or output.dtype != np.uint8:
            raise TypeError(f"frames must be uint8, got {source.dtype} and {output.dtype}")
        if source.shape != output.shape or source.ndim != 3:
            raise ValueError(f"source and output frames must have one shape (H, W, 3), got {source.shape} "
                             f"and {output.shape}")
        if self._idx is None:
            n = source.shape[0] * source.shape[1]
            self._shape = source.shape
            self._idx = np.sort(self.rng.choice(n, min(self.n_pixels, n), replace=False))
        elif source.shape != self._shape:
            raise ValueError(f"frame of shape {source.shape} in a clip of shape {self._shape}")
        if self._prev is not None:
            self._src_change += temporal_change(self._prev[0], source)
            self._out_change += temporal_change(self._prev[1], output)
        self._prev = (source, output)
        self._src.append(source.reshape(-1, 3)[self._idx])
        self._out.append(output.reshape(-1, 3)[self._idx])

    @property
    def n_frames(self) -> int:
        """Frames taken so far."""
        return len(self._src)

    def result(self) -> Stability:
        """The :class:`Stability` of the frames taken (at least 2)."""
        from .._kernels.lut import apply_lut_3d
        from .lattice import fit_lut

        if self.n_frames < 2:
            raise ValueError(f"temporal stability needs at least 2 frames, got {self.n_frames}")
        src = np.stack(self._src).astype(np.float64) / 255.0  # (T, k, 3)
        out = np.stack(self._out).astype(np.float64) / 255.0
        x, y = src.reshape(-1, 3), out.reshape(-1, 3)
        fit = self.rng.choice(x.shape[0], STABILITY_FIT_PAIRS, replace=False) if x.shape[0] > STABILITY_FIT_PAIRS \
            else slice(None)
        grade = fit_lut(x[fit], y[fit], STABILITY_LUT_SIZE, bandwidth=STABILITY_BANDWIDTH,
                        n_iters=STABILITY_FIT_ITERS)
        graded = np.empty_like(x)
        apply_lut_3d(np.ascontiguousarray(x), graded, grade.astype(np.float32), 1.0, 0.0, False)
        graded = np.floor(np.clip(graded.reshape(src.shape), 0.0, 1.0) * 255.0 + 0.5) / 255.0  # 8-bit, as the output
        rest = out - graded
        pairs = self.n_frames - 1
        return Stability(self._src_change / pairs, self._out_change / pairs,
                         float(np.mean(np.abs(np.diff(graded, axis=0)))),
                         float(np.mean(np.abs(np.diff(rest, axis=0)))))


def temporal_stability(source_frames, output_frames, *, n_pixels: int = STABILITY_PIXELS, rng=0) -> Stability:
    """:class:`Stability` of a graded clip: ``output_frames`` against ``source_frames`` (sequences
    of uint8 frames (H, W, 3), same length; see :class:`StabilityMeter`)."""
    source_frames, output_frames = list(source_frames), list(output_frames)
    if len(source_frames) != len(output_frames):
        raise ValueError(f"source_frames and output_frames must hold as many frames, got {len(source_frames)} "
                         f"and {len(output_frames)}")
    meter = StabilityMeter(len(source_frames) or None, n_pixels=n_pixels, rng=rng)
    for s, o in zip(source_frames, output_frames):
        meter.add(s, o)
    return meter.result()


@dataclass
class GradeReport:
    """What :func:`grade_video` did.

    Attributes
    ----------
    n_frames : int, frames graded. lut : ndarray (s, s, s, 3), the grade.
    stability : Stability
        Of the graded frames (before encoding) against the source's; ``source_change``,
        ``output_change``, ``flicker`` and ``instability`` are its fields, also read here.
    """

    n_frames: int
    lut: np.ndarray
    stability: Stability

    source_change = property(lambda self: self.stability.source_change)
    output_change = property(lambda self: self.stability.output_change)
    flicker = property(lambda self: self.stability.flicker)
    instability = property(lambda self: self.stability.instability)


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
        With the temporal :class:`Stability` of the graded frames (before encoding) against the
        source's (all zeros, so ``flicker`` and ``instability`` are ``nan``, for a one-frame clip).
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
    meter = StabilityMeter(info.n_frames)
    writer = tmp = None
    try:
        if output is not None:
            import imageio.v2 as iio2

            tmp = _staging_path(output)
            writer = iio2.get_writer(tmp, format="ffmpeg", fps=info.fps if fps is None else fps, quality=quality,
                                     macro_block_size=1)
        with progress_bar(info.n_frames, desc="grade video", progress=progress, unit="frame") as bar:
            for frame in iter_frames(path):
                graded = apply_lut(frame, lut, interp=interp)
                meter.add(frame, graded)
                if writer is not None:
                    writer.append_data(graded)
                bar.update(1)
        if meter.n_frames == 0:
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
    if meter.n_frames < 2:
        return GradeReport(1, lut, Stability(0.0, 0.0, 0.0, 0.0))
    return GradeReport(meter.n_frames, lut, meter.result())


def _staging_path(path):
    """A fresh temporary file name next to ``path`` with the same extension (ffmpeg picks the
    container from it)."""
    import tempfile

    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1],
                               dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    return tmp
