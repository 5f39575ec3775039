"""Image plumbing for colour work: validate an image, split it into float RGB + alpha, restore it.

Layouts: ``(H, W)`` or ``(H, W, 1)`` grayscale, ``(H, W, 2)`` grayscale + alpha, ``(H, W, 3)`` RGB,
``(H, W, 4)`` RGBA. dtypes: uint8 and uint16 (full range = [0, 1]) and float16/32/64 (values in
[0, 1]; values outside are clipped where colours are read). Grayscale reads as R = G = B.
"""
from __future__ import annotations

import numpy as np

from .._validation import describe

__all__ = ["check_image", "image_scale", "color_channels", "rgb_pixels", "luminance"]

_INT_MAX = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}
_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
#: Rec. 709 / sRGB luma weights used for grayscale output and luminance.
LUMA = np.array([0.2126, 0.7152, 0.0722])


def check_image(image, name: str = "image", *, min_size: int = 1) -> np.ndarray:
    """Return ``image`` as an ndarray after checking layout, dtype and finiteness.

    Raises ``TypeError`` for a non-array or an unsupported dtype and ``ValueError`` for a bad shape,
    an image smaller than ``min_size`` × ``min_size`` or NaN/inf values.
    """
    if isinstance(image, (str, bytes)) or image is None:
        raise TypeError(f"{name} must be an image array (H, W[, C]), got {describe(image)}")
    arr = np.asarray(image)
    if arr.dtype not in _INT_MAX and arr.dtype not in _FLOATS:
        raise TypeError(f"{name} must have dtype uint8, uint16 or float, got {describe(image)}")
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 2, 3, 4)):
        raise ValueError(f"{name} must have shape (H, W) or (H, W, C) with C in 1..4, got shape {arr.shape}")
    if arr.shape[0] < min_size or arr.shape[1] < min_size:
        raise ValueError(f"{name} is {arr.shape[0]}×{arr.shape[1]} pixels; at least {min_size}×{min_size} "
                         "is needed")
    if arr.dtype in _FLOATS and not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return arr


def image_scale(image) -> float:
    """The value of full intensity: 255 (uint8), 65535 (uint16) or 1 (float)."""
    return _INT_MAX.get(np.asarray(image).dtype, 1.0)


def color_channels(image) -> int:
    """Number of colour channels (1 for grayscale, 3 for RGB); alpha excluded."""
    arr = np.asarray(image)
    return 1 if arr.ndim == 2 or arr.shape[2] <= 2 else 3


def rgb_pixels(image, name: str = "image", *, dtype=np.float64, min_size: int = 1):
    """Colours and alpha of an image as flat arrays.

    Returns
    -------
    rgb : ndarray (H*W, 3)
        sRGB values in [0, 1] (clipped), grayscale repeated on 3 channels.
    alpha : ndarray (H*W,) or None
        Alpha in [0, 1], None when the image has none.
    """
    arr = check_image(image, name, min_size=min_size)
    scale = image_scale(arr)
    flat = arr.reshape(arr.shape[0] * arr.shape[1], -1)
    nc = color_channels(arr)
    rgb = flat[:, :nc].astype(dtype) / dtype(scale) if scale != 1.0 else flat[:, :nc].astype(dtype)
    np.clip(rgb, 0.0, 1.0, out=rgb)
    if nc == 1:
        rgb = np.repeat(rgb, 3, axis=1)
    alpha = None
    if flat.shape[1] in (2, 4):
        alpha = np.clip(flat[:, -1].astype(dtype) / dtype(scale), 0.0, 1.0)
    return rgb, alpha


def luminance(rgb):
    """Rec. 709 luma of sRGB values ``(..., 3)`` → ``(...)``."""
    rgb = np.asarray(rgb)
    return rgb @ LUMA.astype(rgb.dtype if rgb.dtype in _FLOATS else np.float64)
