"""LUT files: Adobe/Resolve ``.cube`` 1.0 text files and Hald CLUT images.

``.cube``: keywords ``TITLE``, ``LUT_3D_SIZE``, ``DOMAIN_MIN``, ``DOMAIN_MAX`` then ``size³`` lines
``R G B`` with the red index varying fastest (Resolve may put a 1D shaper table before them). Hald CLUT (GIMP, ImageMagick, RawTherapee, darktable):
a square image of side ``level³`` holding a ``level²``-node LUT, pixel index ``r + g·N + b·N²``.
Writers are atomic.
"""
from __future__ import annotations

import math
import os

import numpy as np

from .._validation import check_int, check_path
from ..io import atomic_path, read_image, write_image
from .lut import apply_lut, check_lut, identity_lut

__all__ = ["write_cube", "read_cube", "write_hald", "read_hald", "CubeFileError"]


class CubeFileError(ValueError):
    """A ``.cube`` or Hald file is malformed, truncated or of an unsupported kind."""


def write_cube(path, lut, *, title: str = "iadb_graphics", digits: int = 6) -> None:
    """Write ``lut`` (s, s, s, 3), indexed ``[r, g, b]``, as a ``.cube`` 1.0 file (atomic)."""
    path = check_path(path)
    lut = check_lut(lut)
    digits = check_int(digits, "digits", minimum=1, maximum=17)
    title = str(title).replace('"', "'").replace("\n", " ")
    size = lut.shape[0]
    rows = lut.transpose(2, 1, 0, 3).reshape(-1, 3)  # b slowest, r fastest
    with atomic_path(path, suffix=".cube") as tmp:
        with open(tmp, "w", encoding="ascii", errors="replace", newline="\n") as f:
            f.write(f'TITLE "{title}"\n')
            f.write(f"LUT_3D_SIZE {size}\nDOMAIN_MIN 0.0 0.0 0.0\nDOMAIN_MAX 1.0 1.0 1.0\n")
            np.savetxt(f, rows, fmt=f"%.{digits}f")


def read_cube(path, *, return_title: bool = False):
    """Read a 3D ``.cube`` file → lut (s, s, s, 3) float64 indexed ``[r, g, b]``.

    Accepted: a UTF-8 byte-order mark; ``DOMAIN_MIN``/``DOMAIN_MAX`` and ``LUT_3D_INPUT_RANGE`` equal to
    0 and 1 (the default and by far the commonest); Resolve's shaper files (a ``LUT_1D_SIZE`` table
    followed by the 3D one) whose 1D shaper is the identity on [0, 1], read as their 3D part.
    Refused with :class:`CubeFileError` naming the file and the reason: other input ranges or
    domains (the LUT would be applied to the wrong coordinates), shaper files whose shaper
    is not the identity, 1D-only LUTs, malformed or truncated files.
    With ``return_title``, returns ``(lut, title)``.
    """
    path = check_path(path)
    if not os.path.isfile(path):
        raise CubeFileError(f"LUT file {path!r} does not exist")
    title, size, size_1d, dmin, dmax, rows = "", None, None, [0.0] * 3, [1.0] * 3, []
    range_1d = range_3d = [0.0, 1.0]
    try:
        with open(path, encoding="utf-8-sig", errors="strict") as f:
            for lineno, raw in enumerate(f, 1):
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                key = line.split(None, 1)[0].upper()
                if key[0].isalpha():
                    rest = line[len(key):].strip()
                    if key == "TITLE":
                        title = rest.strip('"')
                    elif key == "LUT_3D_SIZE":
                        size = int(rest)
                    elif key == "LUT_1D_SIZE":
                        size_1d = int(rest)
                    elif key == "DOMAIN_MIN":
                        dmin = [float(v) for v in rest.split()]
                    elif key == "DOMAIN_MAX":
                        dmax = [float(v) for v in rest.split()]
                    elif key == "LUT_3D_INPUT_RANGE":
                        range_3d = [float(v) for v in rest.split()]
                    elif key == "LUT_1D_INPUT_RANGE":
                        range_1d = [float(v) for v in rest.split()]
                    elif key not in ("LUT_IN_VIDEO_RANGE", "LUT_OUT_VIDEO_RANGE"):
                        raise CubeFileError(f"LUT file {path!r} line {lineno}: unknown keyword {key!r}")
                    continue
                vals = line.split()
                if len(vals) != 3:
                    raise CubeFileError(f"LUT file {path!r} line {lineno}: expected 3 numbers, got {line!r}")
                rows.append([float(v) for v in vals])
    except UnicodeDecodeError:
        raise CubeFileError(f"LUT file {path!r} is not a text .cube file") from None
    except ValueError as exc:
        if isinstance(exc, CubeFileError):
            raise
        raise CubeFileError(f"LUT file {path!r} is malformed ({exc})") from None
    if size is None:
        if size_1d:
            raise CubeFileError(f"LUT file {path!r} holds a 1D LUT; only 3D LUTs are supported")
        raise CubeFileError(f"LUT file {path!r} has no LUT_3D_SIZE line: not a 3D .cube file")
    if size < 2 or size > 256:
        raise CubeFileError(f"LUT file {path!r}: LUT_3D_SIZE {size} is outside 2..256")
    if range_3d != [0.0, 1.0]:
        raise CubeFileError(f"LUT file {path!r}: LUT_3D_INPUT_RANGE {' '.join(f'{v:g}' for v in range_3d)} is not "
                            "supported (only 0 1); the LUT would be applied to the wrong input values")
    if dmin != [0.0] * 3 or dmax != [1.0] * 3:
        raise CubeFileError(f"LUT file {path!r}: domain {dmin}..{dmax} is not supported (only 0..1)")
    n_1d = 0 if size_1d is None else size_1d
    if len(rows) != n_1d + size ** 3:
        shaper = f" + {n_1d} shaper entries" if n_1d else ""
        raise CubeFileError(f"LUT file {path!r} has {len(rows)} entries, LUT_3D_SIZE {size} needs {size ** 3}"
                            f"{shaper} (truncated?)")
    if n_1d:
        _check_identity_shaper(path, np.asarray(rows[:n_1d]), range_1d)
    lut = np.asarray(rows[n_1d:]).reshape(size, size, size, 3).transpose(2, 1, 0, 3).copy()
    if not np.all(np.isfinite(lut)):
        raise CubeFileError(f"LUT file {path!r} contains NaN or infinite values")
    return (lut, title) if return_title else lut


def _check_identity_shaper(path, shaper, input_range):
    """Refuse a Resolve 1D shaper unless it maps [0, 1] onto itself unchanged (to 1e-6)."""
    if len(shaper) < 2:
        raise CubeFileError(f"LUT file {path!r}: LUT_1D_SIZE {len(shaper)} is below 2")
    ramp = np.linspace(0.0, 1.0, len(shaper))
    if input_range != [0.0, 1.0] or not np.allclose(shaper, ramp[:, None], rtol=0, atol=1e-6):
        raise CubeFileError(f"LUT file {path!r} is a 1D-shaper + 3D LUT (Resolve) whose shaper is not the identity "
                            "on 0..1; it is refused because applying only its 3D part would change the colours")


def write_hald(path, lut, *, level: int | None = None, bits: int | None = None) -> None:
    """Write ``lut`` as a Hald CLUT image (PNG or TIFF) of side ``level³`` (atomic).

    ``level``: default ``ceil(sqrt(s))`` (the LUT is resampled trilinearly to ``level²`` nodes when
    ``s`` is not a square). ``bits``: 8 or 16; default 16 for TIFF, 8 otherwise (Pillow, imageio's
    writer, cannot write 16-bit RGB PNG).
    """
    path = check_path(path)
    lut = check_lut(lut)
    is_tiff = os.path.splitext(path)[1].lower() in (".tif", ".tiff")
    if bits is None:
        bits = 16 if is_tiff else 8
    if bits == 16 and not is_tiff:
        raise ValueError(f"16-bit Hald CLUTs need a .tif path (got {path!r}); use bits=8 for PNG")
    if level is None:
        level = math.ceil(math.sqrt(lut.shape[0]))
    level = check_int(level, "level", minimum=2, maximum=16)
    if bits not in (8, 16):
        raise ValueError(f"bits must be 8 or 16, got {bits!r}")
    n = level * level
    if n != lut.shape[0]:
        lut = apply_lut(identity_lut(n).reshape(n * n, n, 3), lut).reshape(n, n, n, 3)
    rows = lut.transpose(2, 1, 0, 3).reshape(level ** 3, level ** 3, 3)
    maxv = 255 if bits == 8 else 65535
    img = np.floor(np.clip(rows, 0.0, 1.0) * maxv + 0.5).astype(np.uint8 if bits == 8 else np.uint16)
    write_image(path, img)


def read_hald(path) -> np.ndarray:
    """Read a Hald CLUT image → lut (level², level², level², 3) float64 indexed ``[r, g, b]``."""
    try:
        img = read_image(path, name="Hald CLUT")
    except ValueError as exc:
        raise CubeFileError(str(exc)) from None
    side = img.shape[0]
    level = round(side ** (1 / 3))
    if img.ndim != 3 or img.shape[2] < 3 or img.shape[1] != side or level ** 3 != side:
        raise CubeFileError(f"Hald CLUT {path!r} has shape {img.shape}; expected (L³, L³, 3) for some level L")
    scale = 255.0 if img.dtype == np.uint8 else (65535.0 if img.dtype == np.uint16 else 1.0)
    n = level * level
    rows = img[..., :3].astype(np.float64).reshape(-1, 3) / scale
    return rows.reshape(n, n, n, 3).transpose(2, 1, 0, 3).copy()
