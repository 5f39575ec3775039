"""One colour grade over many images: fit once, bake one 3D LUT, apply it to every frame.

:func:`transfer_many` fits one colour map (on colours pooled from the frames), bakes one 3D
LUT, and applies it to every image as an independent task, on a ``dask.distributed`` client or
on local threads (no Dask needed then). Each output is written completely or not at all; a
failing image is reported by name in the returned summary without stopping the others.
"""
from __future__ import annotations

import concurrent.futures
import math
import os
import shutil
import threading
import uuid

import numpy as np

from .._progress import progress_bar
from .._validation import as_generator, check_choice, check_float, check_int, check_path, describe
from .transfer import DEFAULT_METHOD

__all__ = ["transfer_many", "batch_lut", "FIT_ON"]

#: Colours the batch grade is fitted on: all frames pooled (each frame equally), or the first frame.
FIT_ON = ("pooled", "first")
#: At most this many frames (evenly spaced) are read to pool the colours of a batch.
MAX_FIT_FRAMES = 64

# Numba's "workqueue" threading layer aborts on concurrent parallel launches from several threads;
# the LUT kernel is already parallel over pixels, so applying LUTs one at a time per process costs
# nothing while decoding / encoding (the slow part) still overlaps.
_APPLY_LOCK = threading.Lock()


def _one_line(exc) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


def _sample_colours(path, quota, seed):
    """``quota`` random pixels of one image as float32 ``(k, 4)`` RGB + alpha (1 when none);
    ``None`` when the image cannot be read (it is reported by the apply stage)."""
    from .image import rgb_pixels
    from ..io import read_image

    try:
        img = read_image(path, name="source")
        flat = img.reshape(img.shape[0] * img.shape[1], -1)
        n = flat.shape[0]
        if n > quota:
            flat = flat[np.sort(np.random.default_rng(seed).choice(n, quota, replace=False))]
        rgb, alpha = rgb_pixels(flat[:, None, :], "source", dtype=np.float32)
    except Exception:  # noqa: BLE001 - a bad frame is reported later, by name
        return None
    out = np.ones((rgb.shape[0], 4), dtype=np.float32)
    out[:, :3] = rgb
    if alpha is not None:
        out[:, 3] = alpha
    return out


def _result_or_none(future):
    try:
        return future.result()
    except Exception:  # noqa: BLE001 - e.g. the task's workers kept dying; the frame is skipped
        return None


def _pooled_image(samples):
    """Stack per-frame colour samples into one float image ``(m, 2, C)`` for ``fit_map``."""
    pix = np.concatenate(samples)
    if np.all(pix[:, 3] == 1.0):
        pix = pix[:, :3]
    m = pix.shape[0] - pix.shape[0] % 2
    if m < 4:
        raise ValueError(f"the batch has only {pix.shape[0]} pixel(s) to fit a colour map on")
    return np.ascontiguousarray(pix[:m].reshape(m // 2, 2, pix.shape[1]))


def _resolve_palette(palette):
    if isinstance(palette, (str, os.PathLike)) and os.path.isfile(os.fspath(palette)):
        from ..io import read_image

        return read_image(os.fspath(palette), name="palette")
    return palette


class _LocalRunner:
    """``client.map`` / ``as_completed`` on a local thread pool (no Dask needed)."""

    def __init__(self):
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1))

    def map(self, fn, *iterables, **kwargs):
        return [self.pool.submit(fn, *args, **kwargs) for args in zip(*iterables)]

    def share(self, value):
        return value

    @staticmethod
    def key(future):
        return id(future)

    @staticmethod
    def as_completed(futures):
        return concurrent.futures.as_completed(futures)

    def cancel(self, futures):
        for f in futures:
            f.cancel()

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskRunner:
    """The same protocol on a ``dask.distributed.Client``."""

    def __init__(self, client):
        self.client = client

    def map(self, fn, *iterables, **kwargs):
        return self.client.map(fn, *iterables, pure=False, **kwargs)

    def share(self, value):
        return self.client.scatter(value, broadcast=True, hash=False)

    @staticmethod
    def key(future):
        return future.key

    @staticmethod
    def as_completed(futures):
        from distributed import as_completed

        return as_completed(futures)

    def cancel(self, futures):
        self.client.cancel(futures)

    def close(self):
        pass


def _runner(client):
    if client is None:
        return _LocalRunner()
    if not (hasattr(client, "map") and hasattr(client, "scatter")):
        raise TypeError(f"client must be a dask.distributed.Client or None, got {describe(client)}")
    return _DaskRunner(client)


def _fit_frames(n, limit):
    """Indices of at most ``limit`` evenly spaced frames among ``n``."""
    if n <= limit:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, limit).round().astype(int).tolist()))


def _batch_lut(runner, paths, palette, *, method, space, lut_size, strength, fit_on, n_samples, rng, **options):
    from .transfer import DEFAULT_SAMPLES, grade_lut
    from ..io import read_image

    if fit_on == "first" or len(paths) == 1:
        # The whole first readable frame, exactly as a single ``transfer`` would see it.
        source = None
        for p in paths:
            try:
                source = read_image(p, name="source")
                break
            except ValueError:
                continue  # reported by the apply stage
        if source is None:
            return None
    else:
        frames = _fit_frames(len(paths), MAX_FIT_FRAMES)
        budget = n_samples if n_samples is not None else DEFAULT_SAMPLES[method]
        quota = max(2, math.ceil(budget / len(frames)))
        seeds = rng.integers(0, 2 ** 63, size=len(frames)).tolist()
        futures = runner.map(_sample_colours, [os.path.abspath(paths[i]) for i in frames], [quota] * len(frames),
                             seeds)
        samples = [s for s in map(_result_or_none, futures) if s is not None]
        if not samples:
            return None
        source = _pooled_image(samples)
    return grade_lut(source, palette, method=method, space=space, lut_size=lut_size, strength=strength,
                     n_samples=n_samples, rng=rng, progress=False, **options)


def _check_common(method, space, lut_size, strength, fit_on):
    """Checked ``(lut_size, strength)``; ``lut_size=None`` becomes the method's default size."""
    from .spaces import SPACES
    from .transfer import DEFAULT_LUT_SIZE, METHODS

    check_choice(method, "method", METHODS)
    check_choice(space, "space", SPACES)
    check_choice(fit_on, "fit_on", FIT_ON)
    if lut_size is None:
        lut_size = DEFAULT_LUT_SIZE.get(method, 33)
    return (check_int(lut_size, "lut_size", minimum=2, maximum=256),
            check_float(strength, "strength", minimum=0.0, maximum=1.0))


def _check_paths(paths):
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    try:
        paths = [check_path(p, "paths") for p in paths]
    except TypeError:
        raise TypeError(f"paths must be a list of image paths, got {describe(paths)}") from None
    if not paths:
        raise ValueError("paths is empty: give at least one image")
    return paths


def batch_lut(paths, palette, *, client=None, method=DEFAULT_METHOD, space="lab", lut_size=None, strength=1.0,
              fit_on="pooled", n_samples=None, rng=None, **options):
    """The LUT :func:`transfer_many` applies to ``paths`` (same arguments, same ``rng`` → same LUT).

    Returns ``(lut_size,) * 3 + (3,)`` float64, or None when no image could be read.
    """
    paths = _check_paths(paths)
    lut_size, strength = _check_common(method, space, lut_size, strength, fit_on)
    runner = _runner(client)
    try:
        return _batch_lut(runner, paths, _resolve_palette(palette), method=method, space=space, lut_size=lut_size,
                          strength=strength, fit_on=fit_on, n_samples=n_samples, rng=as_generator(rng), **options)
    finally:
        runner.close()


def _apply_one(path, output, staging, lut):
    """Read, grade and write one image; returns ``(path, ok, message)`` and never raises.

    The image is written (atomically) into ``staging`` and renamed onto ``output``: a worker
    killed at any moment leaves at most a temporary file in ``staging``, never a partial output.
    """
    from .lut import apply_lut
    from ..io import read_image, write_image

    try:
        img = read_image(path, name="source")
        if lut is None:
            out = img
        else:
            with _APPLY_LOCK:
                out = apply_lut(img, lut)
        staged = os.path.join(staging, os.path.basename(output))
        write_image(staged, out)
        os.replace(staged, output)
    except Exception as exc:  # noqa: BLE001 - reported by name, the batch goes on
        return path, False, _one_line(exc)
    return path, True, output


def transfer_many(paths, palette, out_dir, *, client=None, method=DEFAULT_METHOD, space="lab", lut_size=None,
                  strength=1.0,
                  overwrite=False, rng=None, progress=None, fit_on="pooled", n_samples=None, **options):
    """Recolour many images with one colour grade: fit once, bake one LUT, apply it everywhere.

    Parameters
    ----------
    paths : sequence of str
        Source images. Outputs are ``out_dir / basename(path)`` (same format), so basenames must
        be distinct and no output may be a source.
    palette : str, ndarray, list or Density
        A palette image file or array, swatches (``"#264653,#e76f51"``), or a 3D density
        (see :func:`~iadb_graphics.color.transfer.fit_map`).
    out_dir : str
        Output folder (created if missing).
    client : dask.distributed.Client, optional
        Run the tasks on this cluster (its workers must see ``paths`` and ``out_dir``). None: a
        local thread pool (Dask not needed).
    method, space, lut_size, strength, n_samples, options
        As in :func:`~iadb_graphics.color.transfer.transfer` (the same defaults: method
        :data:`~iadb_graphics.color.transfer.DEFAULT_METHOD`, its default LUT size).
    overwrite : bool
        Replace existing outputs; otherwise any existing output raises ``FileExistsError`` before
        anything runs.
    rng : None | int | Generator
        Randomness of the fit (pixel pooling and the map).
    progress : None | bool | callable
        A bar over images (None: only on a terminal), or ``progress(path, ok, message)`` called
        as each image finishes.
    fit_on : {"pooled", "first"}
        ``"pooled"`` (default): the map is fitted on colours pooled from all frames (up to
        :data:`MAX_FIT_FRAMES` evenly spaced ones, the same number of pixels from each), so the
        grade suits the whole set; ``"first"``: on the first readable frame. With one image, both
        equal :func:`~iadb_graphics.color.transfer.transfer` with the same ``rng``.

    Returns
    -------
    list of (path, ok, message)
        In the order of ``paths``; ``message`` is the output path, or why the image failed
        (unreadable, corrupt, unwritable, worker lost).
    """
    paths = _check_paths(paths)
    lut_size, strength = _check_common(method, space, lut_size, strength, fit_on)
    out_dir = check_path(out_dir, "out_dir")
    rng = as_generator(rng)
    outputs = [os.path.join(out_dir, os.path.basename(p)) for p in paths]
    seen = {}
    for p, o in zip(paths, outputs):
        if o in seen:
            raise ValueError(f"paths {seen[o]!r} and {p!r} would both be written to {o!r}; rename one")
        seen[o] = p
        if os.path.exists(o):
            if os.path.exists(p) and os.path.samefile(p, o):
                raise ValueError(f"output {o!r} is the source itself; choose another out_dir")
            if not overwrite:
                raise FileExistsError(f"{o!r} exists; pass overwrite=True (--force) to replace it")
    os.makedirs(out_dir, exist_ok=True)
    palette = _resolve_palette(palette)

    runner = _runner(client)
    staging = os.path.join(out_dir, f".iadb-batch-{uuid.uuid4().hex}")
    futures = []
    results = {}
    try:
        lut = None
        if strength > 0.0:
            lut = _batch_lut(runner, paths, palette, method=method, space=space, lut_size=lut_size,
                             strength=strength, fit_on=fit_on, n_samples=n_samples, rng=rng, **options)
            if lut is None:
                return [(p, False, _unreadable(p)) for p in paths]
            lut = np.ascontiguousarray(lut)
        os.makedirs(staging)
        shared = None if lut is None else runner.share(lut)
        futures = runner.map(_apply_one, [os.path.abspath(p) for p in paths], [os.path.abspath(o) for o in outputs],
                             [os.path.abspath(staging)] * len(paths), lut=shared)
        index = {runner.key(f): i for i, f in enumerate(futures)}
        callback = progress if callable(progress) else None
        with progress_bar(len(paths), desc="color-transfer", progress=None if callback else progress,
                          unit="img") as bar:
            for fut in runner.as_completed(futures):
                i = index[runner.key(fut)]
                try:
                    record = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after repeated worker deaths
                    record = (paths[i], False, f"task failed: {_one_line(exc)}")
                record = (paths[i], record[1], outputs[i] if record[1] else record[2])
                results[i] = record
                bar.update(1)
                if callback is not None:
                    callback(*record)
    except BaseException:
        runner.cancel(futures)
        raise
    finally:
        runner.close()
        shutil.rmtree(staging, ignore_errors=True)
    return [results[i] for i in range(len(paths))]


def _unreadable(path):
    from ..io import read_image

    try:
        read_image(path, name="source")
    except Exception as exc:  # noqa: BLE001
        return _one_line(exc)
    return "no image of the batch could be read"
