"""Colour spaces: sRGB ↔ linear RGB ↔ CIE XYZ ↔ CIELAB (D65), Oklab and Ruderman's lαβ.

Every function takes an array whose last axis holds 3 channels (any leading shape) and returns
a new array of the same shape. float32 stays float32 and float64 stays float64; anything else
is computed in float64. sRGB values are the encoded (gamma) values in [0, 1]; CIELAB uses the
D65 white of the sRGB standard (CIE 1931 2° observer) with L in [0, 100].

References
----------
IEC 61966-2-1 (sRGB). CIE 15:2004 (CIELAB). B. Ottosson, "A perceptual color space for image
processing" (Oklab), 2020. E. Reinhard et al., "Color transfer between images", IEEE CG&A 2001 (lαβ).
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, describe

__all__ = ["SPACES", "convert", "srgb_to_linear", "linear_to_srgb", "linear_to_xyz", "xyz_to_linear",
           "xyz_to_lab", "lab_to_xyz", "linear_to_oklab", "oklab_to_linear", "linear_to_lalphabeta",
           "lalphabeta_to_linear", "srgb_to_lab", "lab_to_srgb", "srgb_to_oklab", "oklab_to_srgb"]

#: Names accepted by :func:`convert` (``"rgb"`` is encoded sRGB).
SPACES = ("rgb", "linear", "xyz", "lab", "oklab", "lalphabeta")


def _primaries_matrix(xy_r, xy_g, xy_b, xy_w):
    """Normalised primary matrix RGB → XYZ from chromaticities (SMPTE RP 177)."""
    def xyz(xy):
        x, y = xy
        return np.array([x / y, 1.0, (1.0 - x - y) / y])

    p = np.stack([xyz(xy_r), xyz(xy_g), xyz(xy_b)], axis=1)
    s = np.linalg.solve(p, xyz(xy_w))
    return p * s, xyz(xy_w)


_RGB_TO_XYZ, WHITE_D65 = _primaries_matrix((0.64, 0.33), (0.30, 0.60), (0.15, 0.06), (0.3127, 0.3290))
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)

_OK_M1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                   [0.2119034982, 0.6806995451, 0.1073969566],
                   [0.0883024619, 0.2817188376, 0.6299787005]])
_OK_M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                   [1.9779984951, -2.4285922050, 0.4505937099],
                   [0.0259040371, 0.7827717662, -0.8086757660]])
_OK_M1_INV, _OK_M2_INV = np.linalg.inv(_OK_M1), np.linalg.inv(_OK_M2)

_LMS_REINHARD = np.array([[0.3811, 0.5783, 0.0402],
                          [0.1967, 0.7244, 0.0782],
                          [0.0241, 0.1288, 0.8444]])
_LAB_REINHARD = (np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)])
                 @ np.array([[1.0, 1.0, 1.0], [1.0, 1.0, -2.0], [1.0, -1.0, 0.0]]))
_LMS_REINHARD_INV, _LAB_REINHARD_INV = np.linalg.inv(_LMS_REINHARD), np.linalg.inv(_LAB_REINHARD)
#: LMS floor before the logarithm of lαβ (black would otherwise be -inf).
LALPHABETA_EPS = 1e-3

_DELTA = 6.0 / 29.0


def _as_colors(x, name="x"):
    arr = np.asarray(x)
    if arr.dtype not in (np.float32, np.float64):
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array of numbers, got {describe(x)}") from exc
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"{name} must have 3 colour channels on its last axis, got shape {arr.shape}")
    return arr


def _matmul(x, m):
    return x @ m.T.astype(x.dtype)


def srgb_to_linear(rgb):
    """Decode sRGB values (..., 3) in [0, 1] to linear RGB (IEC 61966-2-1 transfer function)."""
    c = _as_colors(rgb, "rgb")
    a = np.abs(c)
    out = np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)
    return np.copysign(out, c).astype(c.dtype, copy=False)


def linear_to_srgb(rgb):
    """Encode linear RGB (..., 3) to sRGB values (inverse of :func:`srgb_to_linear`)."""
    c = _as_colors(rgb, "rgb")
    a = np.abs(c)
    out = np.where(a <= 0.0031308, a * 12.92, 1.055 * a ** (1 / 2.4) - 0.055)
    return np.copysign(out, c).astype(c.dtype, copy=False)


def linear_to_xyz(rgb):
    """Linear sRGB (..., 3) → CIE XYZ (D65, Y of white = 1)."""
    return _matmul(_as_colors(rgb, "rgb"), _RGB_TO_XYZ)


def xyz_to_linear(xyz):
    """CIE XYZ (D65) (..., 3) → linear sRGB."""
    return _matmul(_as_colors(xyz, "xyz"), _XYZ_TO_RGB)


def xyz_to_lab(xyz):
    r"""CIE XYZ (..., 3) → CIELAB with the D65 white: :math:`L = 116 f(Y/Y_n) - 16`, ..."""
    x = _as_colors(xyz, "xyz")
    t = x / WHITE_D65.astype(x.dtype)
    f = np.where(t > _DELTA ** 3, np.cbrt(t), t / (3 * _DELTA ** 2) + 4.0 / 29.0).astype(x.dtype, copy=False)
    out = np.empty_like(x)
    out[..., 0] = 116.0 * f[..., 1] - 16.0
    out[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    out[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return out


def lab_to_xyz(lab):
    """CIELAB (D65) (..., 3) → CIE XYZ (inverse of :func:`xyz_to_lab`)."""
    x = _as_colors(lab, "lab")
    fy = (x[..., 0] + 16.0) / 116.0
    f = np.stack([fy + x[..., 1] / 500.0, fy, fy - x[..., 2] / 200.0], axis=-1)
    t = np.where(f > _DELTA, f ** 3, 3 * _DELTA ** 2 * (f - 4.0 / 29.0))
    return (t * WHITE_D65).astype(x.dtype, copy=False)


def linear_to_oklab(rgb):
    """Linear sRGB (..., 3) → Oklab (L in [0, 1] for in-gamut colours)."""
    x = _as_colors(rgb, "rgb")
    return _matmul(np.cbrt(_matmul(x, _OK_M1)), _OK_M2)


def oklab_to_linear(lab):
    """Oklab (..., 3) → linear sRGB (inverse of :func:`linear_to_oklab`)."""
    x = _as_colors(lab, "lab")
    return _matmul(_matmul(x, _OK_M2_INV) ** 3, _OK_M1_INV)


def linear_to_lalphabeta(rgb):
    """Linear RGB (..., 3) → Ruderman's lαβ (Reinhard et al. 2001), log10 of LMS floored at
    :data:`LALPHABETA_EPS`."""
    x = _as_colors(rgb, "rgb")
    lms = np.log10(np.maximum(_matmul(x, _LMS_REINHARD), LALPHABETA_EPS))
    return _matmul(lms, _LAB_REINHARD)


def lalphabeta_to_linear(lab):
    """lαβ (..., 3) → linear RGB (inverse of :func:`linear_to_lalphabeta` above the floor)."""
    x = _as_colors(lab, "lab")
    return _matmul(10.0 ** _matmul(x, _LAB_REINHARD_INV), _LMS_REINHARD_INV)


def srgb_to_lab(rgb):
    """sRGB (..., 3) → CIELAB (D65)."""
    return xyz_to_lab(linear_to_xyz(srgb_to_linear(rgb)))


def lab_to_srgb(lab):
    """CIELAB (D65) (..., 3) → sRGB (not clipped)."""
    return linear_to_srgb(xyz_to_linear(lab_to_xyz(lab)))


def srgb_to_oklab(rgb):
    """sRGB (..., 3) → Oklab."""
    return linear_to_oklab(srgb_to_linear(rgb))


def oklab_to_srgb(lab):
    """Oklab (..., 3) → sRGB (not clipped)."""
    return linear_to_srgb(oklab_to_linear(lab))


_FROM_LINEAR = {"linear": lambda x: x, "rgb": linear_to_srgb, "xyz": linear_to_xyz,
                "lab": lambda x: xyz_to_lab(linear_to_xyz(x)), "oklab": linear_to_oklab,
                "lalphabeta": linear_to_lalphabeta}
_TO_LINEAR = {"linear": lambda x: x, "rgb": srgb_to_linear, "xyz": xyz_to_linear,
              "lab": lambda x: xyz_to_linear(lab_to_xyz(x)), "oklab": oklab_to_linear,
              "lalphabeta": lalphabeta_to_linear}


def convert(x, src: str, dst: str):
    """Convert colours ``x`` (..., 3) from space ``src`` to space ``dst`` (names in :data:`SPACES`).

    Goes through linear RGB; returns a new array (a copy when ``src == dst``).
    """
    check_choice(src, "src", SPACES)
    check_choice(dst, "dst", SPACES)
    x = _as_colors(x)
    if src == dst:
        return x.copy()
    return _FROM_LINEAR[dst](_TO_LINEAR[src](x))
