"""Files: images (imageio, OpenCV, OpenEXR), point sets, and model files.

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
    "IMAGE_EXTENSIONS",
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

#: Extensions :func:`write_image` can write, by what they hold.
INTEGER_IMAGE_EXTENSIONS = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".webp")
FLOAT_IMAGE_EXTENSIONS = (".exr", ".hdr", ".pfm", ".tif", ".tiff")
IMAGE_EXTENSIONS = tuple(dict.fromkeys(INTEGER_IMAGE_EXTENSIONS + FLOAT_IMAGE_EXTENSIONS))

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_EXR_MAGIC = b"v/1\x01"


def _sniff(path) -> tuple[str, bytes]:
    """The container format from the file's first bytes: png, tiff, exr, hdr, pfm, or other."""
    with open(path, "rb") as f:
        head = f.read(32)
    if head.startswith(_PNG_MAGIC):
        return "png", head
    if head[:4] in _TIFF_MAGICS:
        return "tiff", head
    if head.startswith(_EXR_MAGIC):
        return "exr", head
    if head.startswith(b"#?"):
        return "hdr", head
    if head[:2] in (b"PF", b"Pf") and head[2:3].isspace():
        return "pfm", head
    return "other", head


def _cv2():
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # failures are ours to report
    return cv2


def _from_bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 3 and img.shape[2] == 3:
        return img[..., ::-1].copy()
    if img.ndim == 3 and img.shape[2] == 4:
        return img[..., [2, 1, 0, 3]].copy()
    return img


def _to_bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 3 and img.shape[2] in (3, 4):
        return np.ascontiguousarray(_from_bgr(img))  # the swap is its own inverse
    return img


def _read_cv2(path, kind):
    cv2 = _cv2()
    img = cv2.imread(os.fspath(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"OpenCV cannot decode this {kind} file (corrupt, truncated or an unsupported variant)")
    return _from_bgr(img)


def _read_exr(path):
    import OpenEXR

    try:
        with OpenEXR.File(os.fspath(path), separate_channels=True) as f:
            channels = {name: np.asarray(ch.pixels) for name, ch in f.channels().items()}
    except Exception as exc:  # the bindings raise RuntimeError for corrupt and truncated files
        raise ValueError(f"OpenEXR cannot read it ({_first_line(exc)})") from None
    names = set(channels)
    for layout in (("R", "G", "B", "A"), ("R", "G", "B"), ("Y", "A"), ("Y",)):
        if set(layout) <= names:
            break
    else:
        if len(names) != 1:
            raise ValueError(f"holds channels {sorted(names)}; expected R, G, B[, A], Y[, A] or a single channel")
        layout = tuple(names)
    planes = [channels[c] for c in layout]
    if any(p.dtype.kind != "f" for p in planes):
        raise ValueError(f"holds integer channels ({', '.join(f'{c}: {channels[c].dtype}' for c in layout)}); "
                         "expected half or float")
    img = np.stack(planes, axis=-1).astype(np.float32)
    return img[..., 0] if img.shape[2] == 1 else img


def _read_imageio(path):
    import imageio.v3 as iio

    with warnings.catch_warnings():  # imageio warns about legacy plugins while probing bad files
        warnings.simplefilter("ignore")
        try:
            return np.asarray(iio.imread(path, rotate=True))
        except TypeError:  # plugin without EXIF support
            return np.asarray(iio.imread(path))


def _first_line(exc) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].rstrip(":. ") if lines else type(exc).__name__


def read_image(path, *, name: str = "image") -> np.ndarray:
    """Read an image file at its own precision into an array ``(H, W)`` or ``(H, W, C)``, RGB(A) order.

    The format is recognised from the file's first bytes, not its extension:

    - 8-bit PNG, JPEG, BMP, WebP, GIF (imageio/Pillow, EXIF orientation applied) → uint8;
    - 16-bit PNG of any colour type and TIFF of any sample type (OpenCV) → uint8, uint16 or float32;
    - Radiance ``.hdr`` and ``.pfm`` (OpenCV) → float32, RGB;
    - OpenEXR ``.exr``, half or float channels (the OpenEXR bindings) → float32, RGB(A) from channels
      R, G, B[, A], gray from Y[, A] or from a single channel.

    Parameters
    ----------
    path : str or os.PathLike
    name : str
        How the file is named in error messages (e.g. the command-line flag).

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` with C in 1..4; values as stored (never clipped or rescaled).

    Raises
    ------
    ValueError
        One line naming the file when it is missing, empty, not an image, corrupt or truncated,
        has an unsupported channel layout, or holds NaN or infinite pixels.
    """
    path = check_path(path, name)
    if not os.path.isfile(path):
        raise ValueError(f"{name} file {path!r} does not exist")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{name} file {path!r} is empty")
    try:
        kind, head = _sniff(path)
        if kind == "png" and len(head) >= 26 and head[24] == 16 and head[25] != 0:
            img = _read_cv2(path, "16-bit PNG")  # Pillow would keep only 8 bits of 16-bit colour
            if head[25] == 4 and img.ndim == 3 and img.shape[2] == 4:  # gray + alpha comes back as BGRA
                img = img[..., [0, 3]].copy()
        elif kind == "tiff":
            img = _read_cv2(path, "TIFF")
        elif kind in ("hdr", "pfm"):
            img = _read_cv2(path, {"hdr": "Radiance HDR", "pfm": "PFM"}[kind])
        elif kind == "exr":
            img = _read_exr(path)
        else:
            try:
                img = _read_imageio(path)
            except Exception as exc:  # imageio raises many types for bad files
                if "backend" in str(exc):  # imageio's "could not find a backend ... pip install ..."
                    raise ValueError(f"its content is no image format this package reads "
                                     f"(it starts with {head[:8]!r})") from None
                raise ValueError(f"the decoder failed ({_first_line(exc)})") from None
    except OSError as exc:
        raise ValueError(f"{name} file {path!r} cannot be opened ({exc.strerror or _first_line(exc)})") from None
    except ValueError as exc:
        raise ValueError(f"{name} file {path!r} is not a readable image: {_first_line(exc)}") from None
    if img.ndim == 4 and img.shape[0] == 1:
        img = img[0]
    if img.ndim not in (2, 3) or img.size == 0 or (img.ndim == 3 and img.shape[2] not in (1, 2, 3, 4)):
        raise ValueError(f"{name} file {path!r} holds an array of shape {img.shape}, not a 2D image "
                         "with 1 to 4 channels")
    if img.dtype.kind == "f":
        if img.dtype != np.float32 and img.dtype != np.float64:
            img = img.astype(np.float32)
        bad = np.count_nonzero(~np.isfinite(img))
        if bad:
            raise ValueError(f"{name} file {path!r} holds {bad} NaN or infinite pixel value(s)")
    elif img.dtype.kind not in "ub":
        raise ValueError(f"{name} file {path!r} holds pixels of type {img.dtype}; expected unsigned integers "
                         "or floats")
    return img


def _write_exr(path, image):
    import OpenEXR

    img = image.astype(np.float16 if image.dtype == np.float16 else np.float32)
    if img.ndim == 2 or img.shape[2] == 1:
        channels = {"Y": np.ascontiguousarray(img.reshape(img.shape[:2]))}
    elif img.shape[2] == 2:
        channels = {"Y": np.ascontiguousarray(img[..., 0]), "A": np.ascontiguousarray(img[..., 1])}
    else:
        channels = {"RGBA"[:img.shape[2]]: np.ascontiguousarray(img)}
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, channels) as f:
        f.write(os.fspath(path))


def write_image(path, image: np.ndarray) -> None:
    """Write ``image`` atomically, in the format its extension names.

    Parameters
    ----------
    path : str or os.PathLike
        ``.png``, ``.tif``/``.tiff`` (uint8 or uint16, any of 1–4 channels), ``.jpg``/``.jpeg``, ``.bmp``,
        ``.webp`` (uint8), or for float images ``.exr`` (half or float, lossless), ``.hdr`` (Radiance,
        RGB), ``.pfm`` (gray or RGB) or ``.tif``/``.tiff`` (float32).
    image : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)``, C in 1..4, RGB(A) order. Gray + alpha in 16 bits or float
        (outside ``.exr``) is written as RGBA, the nearest layout those writers support.

    Raises
    ------
    ValueError
        If the extension cannot hold the image's type or channels; nothing is written then.
    """
    path = check_path(path)
    image = np.asarray(image)
    ext = os.path.splitext(path)[1].lower()
    if image.ndim not in (2, 3) or image.size == 0 or (image.ndim == 3 and image.shape[2] not in (1, 2, 3, 4)):
        raise ValueError(f"image must have shape (H, W) or (H, W, C) with C in 1..4, got {image.shape}")
    channels = 1 if image.ndim == 2 else image.shape[2]
    if image.dtype.kind == "f":
        if ext not in FLOAT_IMAGE_EXTENSIONS:
            raise ValueError(f"cannot write a float image to {path!r}; use one of {', '.join(FLOAT_IMAGE_EXTENSIONS)}")
        if ext == ".hdr" and channels not in (1, 3) or ext == ".pfm" and channels not in (1, 3):
            raise ValueError(f"{ext} holds gray or RGB, not {channels} channels ({path!r}); use .exr")
    elif image.dtype in (np.uint8, np.uint16, np.bool_):
        if image.dtype == np.bool_:
            image = image.astype(np.uint8) * 255
        allowed = (".png", ".tif", ".tiff") if image.dtype == np.uint16 else INTEGER_IMAGE_EXTENSIONS
        if ext not in allowed:
            raise ValueError(f"cannot write a {image.dtype} image to {path!r}; use one of {', '.join(allowed)}")
        if ext in (".jpg", ".jpeg") and channels in (2, 4):
            raise ValueError(f"JPEG has no alpha channel; cannot write {channels} channels to {path!r}")
    else:
        raise ValueError(f"cannot write an image of dtype {image.dtype} to {path!r}; use uint8, uint16 or float")
    with atomic_path(path) as tmp:
        if ext == ".exr":
            _write_exr(tmp, image)
        elif image.dtype.kind == "f" or (image.dtype == np.uint16 and channels > 1):
            cv2 = _cv2()
            img = image.astype(np.float32) if image.dtype.kind == "f" else image
            if channels == 2:  # OpenCV writes gray + alpha as BGRA
                img = np.dstack([img[..., 0]] * 3 + [img[..., 1]])
            if not cv2.imwrite(tmp, _to_bgr(img)):
                raise ValueError(f"OpenCV could not write {path!r}")
        else:
            import imageio.v3 as iio

            iio.imwrite(tmp, image, extension=ext)


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
    """Read an ``(n, d)`` point set from ``.npy`` (no pickle), ``.txt`` or ``.csv``.

    Raises ``ValueError``/``TypeError`` in one line naming the file (as ``name``) when it is missing,
    unreadable, a text file without numbers, or holds complex, NaN or infinite values or an array
    that is not ``(n, d)``.
    """
    path = check_path(path, name)
    if not os.path.isfile(path):
        raise ValueError(f"{name} file {path!r} does not exist")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif ext in (".txt", ".csv"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numpy warns about an empty file; it is refused below
                arr = np.loadtxt(path, delimiter="," if ext == ".csv" else None, ndmin=2)
            if arr.size == 0:
                raise ValueError("it holds no numbers")
        else:
            raise ValueError(f"unknown extension {ext!r}; use .npy, .txt or .csv")
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{name} file {path!r} could not be read: {_first_line(exc)}") from None
    try:
        return as_points(arr, "its array")
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{name} file {path!r}: {_first_line(exc)}") from None


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
    header = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "kind": kind, "fitted": True, "meta": meta,
              "arrays": {k: [list(np.shape(v)), str(np.asarray(v).dtype)] for k, v in arrays.items()}}
    payload = {f"a_{k}": np.ascontiguousarray(v) for k, v in arrays.items()}
    for k, v in payload.items():
        if v.dtype == object:
            raise TypeError(f"model array {k[2:]!r} has dtype object; only numeric arrays are stored")
    try:
        text = json.dumps(header, allow_nan=False)
    except ValueError:
        raise ValueError(f"model settings for {path!r} hold NaN or infinite numbers; the map is not usable") from None
    payload["header"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **payload)


def _refuse_constant(name):
    raise ValueError(f"the header holds {name}, which no valid model has")


def load_model(path, kind: str) -> tuple[dict, dict]:
    """Load ``(meta, arrays)`` saved by :func:`save_model`, checking format, kind and shapes.

    Never unpickles: object arrays are refused. Raises :class:`ModelFileError` (a ``ValueError``)
    for a missing, corrupt, truncated, foreign, tampered or wrong-kind file, for NaN or infinite
    values in an array or in the header, and for a header that says the model is not fitted.
    """
    path = check_path(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"model file {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            if "header" not in data.files:
                raise ModelFileError(f"model file {path!r} is not an iadb_graphics model (no header)")
            header = json.loads(bytes(data["header"]).decode("utf-8"), parse_constant=_refuse_constant)
            if not isinstance(header, dict) or header.get("format") != MODEL_FORMAT:
                raise ModelFileError(f"model file {path!r} is not an iadb_graphics model")
            if header.get("version") != MODEL_VERSION:
                raise ModelFileError(f"model file {path!r} has format version {header.get('version')!r}, "
                                     f"this version reads {MODEL_VERSION}")
            if header.get("kind") != kind:
                raise ModelFileError(f"model file {path!r} holds a {header.get('kind')!r}, not a {kind!r}")
            meta_fitted = header["meta"].get("fitted", True) if isinstance(header.get("meta"), dict) else True
            if header.get("fitted", True) is not True or meta_fitted is False or meta_fitted is None:
                raise ModelFileError(f"model file {path!r}: its header says the model is not fitted")
            arrays = {}
            for key, (shape, dtype) in header["arrays"].items():
                arr = data[f"a_{key}"]
                if list(arr.shape) != list(shape) or str(arr.dtype) != dtype:
                    raise ModelFileError(f"model file {path!r}: array {key!r} has shape {arr.shape} "
                                         f"and dtype {arr.dtype}, header says {tuple(shape)} {dtype}")
                if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
                    raise ModelFileError(f"model file {path!r}: array {key!r} holds "
                                         f"{int(np.count_nonzero(~np.isfinite(arr)))} NaN or infinite value(s)")
                if arr.dtype.kind not in "biufc":
                    raise ModelFileError(f"model file {path!r}: array {key!r} has dtype {arr.dtype}, not a number type")
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
