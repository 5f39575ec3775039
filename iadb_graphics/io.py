"""Files: images (imageio), point sets, and model files.

Model files are ``.npz`` archives of plain arrays plus a JSON header, read with
``allow_pickle=False``: loading a model never executes code from the file.
Every writer is atomic: it writes a temporary file beside the target, then renames it.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
import zipfile

import numpy as np

from ._validation import as_points, check_path, describe

__all__ = [
    "atomic_path",
    "read_image",
    "write_image",
    "box_downsample",
    "read_points",
    "write_points",
    "save_model",
    "load_model",
    "ModelFileError",
]

MODEL_FORMAT = "iadb_graphics.model"
MODEL_VERSION = 1


class ModelFileError(ValueError):
    """A model file is corrupt, truncated, foreign or of the wrong kind."""


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it; done once, at import, not from worker threads
    os.umask(mask)
    return mask


_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_path(path, *, suffix: str | None = None):
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    path = check_path(path)
    directory = os.path.dirname(os.path.abspath(path))
    if suffix is None:
        suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


# --------------------------------------------------------------------------- images

def read_image(path, *, name: str = "image") -> np.ndarray:
    """Read an image file into an array ``(H, W)`` or ``(H, W, C)`` of its own dtype.

    EXIF orientation is applied where the reader supports it. Raises ``ValueError`` naming
    the file when it is missing, not an image, truncated or empty.
    """
    import imageio.v3 as iio

    path = check_path(path, name)
    if not os.path.isfile(path):
        raise ValueError(f"{name} file {path!r} does not exist")
    try:
        with warnings.catch_warnings():  # imageio warns about legacy plugins while probing bad files
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                img = iio.imread(path, rotate=True)
            except TypeError:  # plugin without EXIF support
                img = iio.imread(path)
    except Exception as exc:  # imageio raises many types for bad files
        raise ValueError(f"{name} file {path!r} is not a readable image ({type(exc).__name__}: {exc})") from None
    img = np.asarray(img)
    if img.ndim == 4 and img.shape[0] == 1:
        img = img[0]
    if img.ndim not in (2, 3) or img.size == 0 or (img.ndim == 3 and img.shape[2] not in (1, 2, 3, 4)):
        raise ValueError(f"{name} file {path!r} holds an array of shape {img.shape}, not a 2D image")
    return img


def write_image(path, image: np.ndarray) -> None:
    """Write ``image`` (``(H, W)`` or ``(H, W, C)``, uint8/uint16) atomically; format by extension."""
    import imageio.v3 as iio

    path = check_path(path)
    image = np.asarray(image)
    with atomic_path(path) as tmp:
        ext = os.path.splitext(path)[1].lower()
        iio.imwrite(tmp, image, extension=ext or ".png")


def box_downsample(image, max_size: int | None):
    """Average ``f × f`` pixel blocks (f the smallest integer with max(H, W) / f ≤ ``max_size``).

    Returns float64 ``(H // f, W // f[, C])`` in the image's units; the image itself when no
    reduction is needed or ``max_size`` is None/0.
    """
    h, w = image.shape[:2]
    f = int(np.ceil(max(h, w) / max_size)) if max_size else 1
    if f <= 1:
        return image
    h2, w2 = h // f, w // f
    img = np.asarray(image[:h2 * f, :w2 * f], dtype=float)
    return img.reshape(h2, f, w2, f, *img.shape[2:]).mean(axis=(1, 3))


# --------------------------------------------------------------------------- point sets

def read_points(path, *, name: str = "points") -> np.ndarray:
    """Read an ``(n, d)`` point set from ``.npy`` (no pickle), ``.txt`` or ``.csv``."""
    path = check_path(path, name)
    if not os.path.isfile(path):
        raise ValueError(f"{name} file {path!r} does not exist")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif ext in (".txt", ".csv"):
            arr = np.loadtxt(path, delimiter="," if ext == ".csv" else None, ndmin=2)
        else:
            raise ValueError(f"unknown extension {ext!r}; use .npy, .txt or .csv")
    except ValueError as exc:
        raise ValueError(f"{name} file {path!r} could not be read: {exc}") from None
    return as_points(arr, name)


def write_points(path, points) -> None:
    """Write an ``(n, d)`` point set atomically as ``.npy``, ``.txt`` or ``.csv`` (by extension)."""
    path = check_path(path)
    points = as_points(points, "points")
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".npy", ".txt", ".csv"):
        raise ValueError(f"path must end in .npy, .txt or .csv, got {path!r}")
    with atomic_path(path) as tmp:
        if ext == ".npy":
            with open(tmp, "wb") as f:
                np.save(f, points)
        else:
            np.savetxt(tmp, points, delimiter="," if ext == ".csv" else " ", fmt="%.17g")


# --------------------------------------------------------------------------- model files

def save_model(path, kind: str, meta: dict, arrays: dict) -> None:
    """Save a model as an ``.npz`` of plain arrays plus a JSON header (atomic).

    Parameters
    ----------
    kind : str
        Class name checked on load (``"IADBMap"``, ``"GridIADBMap"``, ...).
    meta : dict
        JSON-serialisable settings.
    arrays : dict of str -> ndarray
        Numeric arrays (weights, grids).
    """
    path = check_path(path)
    header = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "kind": kind, "meta": meta,
              "arrays": {k: [list(np.shape(v)), str(np.asarray(v).dtype)] for k, v in arrays.items()}}
    payload = {f"a_{k}": np.ascontiguousarray(v) for k, v in arrays.items()}
    for k, v in payload.items():
        if v.dtype == object:
            raise TypeError(f"model array {k[2:]!r} has dtype object; only numeric arrays are stored")
    payload["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **payload)


def load_model(path, kind: str) -> tuple[dict, dict]:
    """Load ``(meta, arrays)`` saved by :func:`save_model`, checking format, kind and shapes.

    Never unpickles: object arrays are refused. Raises :class:`ModelFileError` (a ``ValueError``)
    for a missing, corrupt, truncated, foreign, tampered or wrong-kind file.
    """
    path = check_path(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"model file {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            if "header" not in data.files:
                raise ModelFileError(f"model file {path!r} is not an iadb_graphics model (no header)")
            header = json.loads(bytes(data["header"]).decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != MODEL_FORMAT:
                raise ModelFileError(f"model file {path!r} is not an iadb_graphics model")
            if header.get("version") != MODEL_VERSION:
                raise ModelFileError(f"model file {path!r} has format version {header.get('version')!r}, "
                                     f"this version reads {MODEL_VERSION}")
            if header.get("kind") != kind:
                raise ModelFileError(f"model file {path!r} holds a {header.get('kind')!r}, not a {kind!r}")
            arrays = {}
            for key, (shape, dtype) in header["arrays"].items():
                arr = data[f"a_{key}"]
                if list(arr.shape) != list(shape) or str(arr.dtype) != dtype:
                    raise ModelFileError(f"model file {path!r}: array {key!r} has shape {arr.shape} "
                                         f"and dtype {arr.dtype}, header says {tuple(shape)} {dtype}")
                arrays[key] = arr
            meta = header["meta"]
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, TypeError, json.JSONDecodeError,
            UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"model file {path!r} is corrupt or not an iadb_graphics model "
                             f"({type(exc).__name__}: {exc})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"model file {path!r}: header meta is {describe(meta)}, not a dict")
    return meta, arrays
