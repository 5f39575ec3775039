"""3D colour lookup tables over the RGB cube: bake a colour map, apply a LUT to an image.

A LUT is an array ``(s, s, s, 3)``: ``lut[i, j, k]`` is the output sRGB colour for the input
``(i, j, k) / (s - 1)`` (red index first). It is applied with trilinear or tetrahedral
interpolation (:data:`INTERPOLATIONS`) by a Numba kernel fused with the dtype conversion, so
applying it needs no memory beyond the output image. Tetrahedral interpolation is what ffmpeg's
``lut3d`` filter uses by default (``interp=tetrahedral``); ``interp=trilinear`` there matches
this module's default.
"""
from __future__ import annotations

import numpy as np

from .._progress import progress_bar
from .._validation import check_choice, check_float, check_int, describe
from .image import LUMA, check_image, color_channels, image_scale

__all__ = ["identity_lut", "bake_lut", "apply_lut", "check_lut", "blend_lut", "INTERPOLATIONS"]

#: Interpolations of :func:`apply_lut`.
INTERPOLATIONS = ("trilinear", "tetrahedral")

_GRAY_CHUNK = 1 << 20


def identity_lut(size: int, dtype=np.float64) -> np.ndarray:
    """The identity LUT ``(size, size, size, 3)``: ``lut[i, j, k] = (i, j, k) / (size - 1)``."""
    size = check_int(size, "size", minimum=2)
    g = np.linspace(0.0, 1.0, size, dtype=dtype)
    return np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1)


def check_lut(lut, name: str = "lut") -> np.ndarray:
    """Return ``lut`` as a finite float array ``(s, s, s, 3)`` with s >= 2 (clear errors otherwise)."""
    try:
        arr = np.asarray(lut, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array (s, s, s, 3), got {describe(lut)}") from exc
    if arr.ndim != 4 or arr.shape[3] != 3 or not (arr.shape[0] == arr.shape[1] == arr.shape[2]) or arr.shape[0] < 2:
        raise ValueError(f"{name} must have shape (s, s, s, 3) with s >= 2, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def bake_lut(color_map, size: int = 33, *, clip: bool = True, chunk: int = 1 << 16, progress=None) -> np.ndarray:
    """Evaluate a colour map on the nodes of the RGB cube.

    Parameters
    ----------
    color_map : callable or object with ``transform``
        Maps sRGB ``(n, 3)`` in [0, 1] to sRGB ``(n, 3)`` (e.g. :func:`~iadb_graphics.color.fit_map`).
    size : int
        Nodes per axis (>= 2); 33 is the usual size of ``.cube`` files.
    clip : bool
        Clip outputs to [0, 1].
    chunk : int
        Nodes per call of the map.

    Returns
    -------
    ndarray (size, size, size, 3) float64
    """
    size = check_int(size, "size", minimum=2)
    chunk = check_int(chunk, "chunk", minimum=1)
    fn = color_map.transform if hasattr(color_map, "transform") else color_map
    if not callable(fn):
        raise TypeError(f"color_map must be callable or have a transform method, got {describe(color_map)}")
    nodes = identity_lut(size).reshape(-1, 3)
    out = np.empty_like(nodes)
    with progress_bar(nodes.shape[0], desc="bake LUT", progress=progress) as bar:
        for s in range(0, nodes.shape[0], chunk):
            y = np.asarray(fn(nodes[s:s + chunk]), dtype=np.float64)
            if y.shape != (min(chunk, nodes.shape[0] - s), 3):
                raise ValueError(f"color_map returned shape {y.shape} for input shape {nodes[s:s + chunk].shape}")
            out[s:s + chunk] = y
            bar.update(y.shape[0])
    if not np.all(np.isfinite(out)):
        raise ValueError("color_map returned NaN or infinite values on the RGB cube")
    if clip:
        np.clip(out, 0.0, 1.0, out=out)
    return out.reshape(size, size, size, 3)


def blend_lut(lut, strength: float) -> np.ndarray:
    """``identity + strength * (lut - identity)``: 0 is the identity, 1 the LUT itself."""
    lut = check_lut(lut)
    strength = check_float(strength, "strength", minimum=0.0, maximum=1.0)
    ident = identity_lut(lut.shape[0])
    return ident + strength * (lut - ident)


def apply_lut(image, lut, *, interp: str = "trilinear") -> np.ndarray:
    """Apply a 3D LUT to an image (Numba, parallel).

    Parameters
    ----------
    image : ndarray (H, W), (H, W, 1), (H, W, 2), (H, W, 3) or (H, W, 4)
        uint8, uint16 or float (read as [0, 1]; inputs outside are clamped to the LUT domain).
    lut : ndarray (s, s, s, 3)
    interp : {"trilinear", "tetrahedral"}
        Interpolation between the LUT's nodes: the 8 corners of the cell, or the 4 corners of
        the tetrahedron (of the 6 that split the cell along its grey diagonal) holding the
        colour. Both are exact at the nodes and for affine LUTs; tetrahedral keeps neutral
        greys on the grey diagonal and is ffmpeg's ``lut3d`` default.

    Returns
    -------
    ndarray
        Same shape and dtype as ``image``. Alpha is copied untouched. Integer outputs are
        rounded and clipped; float outputs are not clipped. A grayscale image is mapped as
        R = G = B and stays grayscale: its output is the Rec. 709 luma of the mapped colour.
        Needs no temporary memory beyond the output (plus a contiguous copy of a strided input,
        or 1-Mpixel chunks for grayscale).
    """
    from .._kernels.lut import apply_lut_3d

    img = check_image(image, "image")
    tetra = check_choice(interp, "interp", INTERPOLATIONS) == "tetrahedral"
    table = np.ascontiguousarray(check_lut(lut), dtype=np.float32)
    scale = image_scale(img)
    if img.dtype == np.float16:  # numba has no float16 arithmetic
        return apply_lut(img.astype(np.float32), table, interp=interp).astype(np.float16)
    in_scale, out_max = 1.0 / scale, (scale if scale != 1.0 else 0.0)
    h, w = img.shape[:2]
    if color_channels(img) == 3:
        src = np.ascontiguousarray(img).reshape(h * w, img.shape[2])
        dst = np.empty_like(src)
        apply_lut_3d(src, dst, table, in_scale, out_max, tetra)
        return dst.reshape(img.shape)
    flat = np.ascontiguousarray(img).reshape(h * w, -1)
    out = np.empty_like(flat)
    luma = LUMA.astype(np.float32)
    for s in range(0, h * w, _GRAY_CHUNK):
        g = flat[s:s + _GRAY_CHUNK, 0].astype(np.float32) * np.float32(in_scale)
        rgb = np.repeat(g[:, None], 3, axis=1)
        mapped = np.empty_like(rgb)
        apply_lut_3d(rgb, mapped, table, 1.0, 0.0, tetra)
        y = mapped @ luma
        if out_max:
            y = np.floor(np.clip(y, 0.0, 1.0) * out_max + 0.5)
        out[s:s + _GRAY_CHUNK, 0] = y
        out[s:s + _GRAY_CHUNK, 1:] = flat[s:s + _GRAY_CHUNK, 1:]
    return out.reshape(img.shape)
