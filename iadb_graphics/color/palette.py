"""Palettes as 3D densities: an image's colours (``palette``) or a few designer swatches (``swatches``)."""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import as_generator, check_float, check_int, describe
from ..densities import Empirical, GaussianMixture
from .image import rgb_pixels
from .spaces import SPACES, convert

__all__ = ["palette", "swatches", "parse_swatches", "DEFAULT_SPREAD"]

#: Default standard deviation of a swatch, as a fraction of the space's lightness range
#: (100 for CIELAB, 1 for Oklab / RGB): 0.03 → σ = 3 L* units in CIELAB.
DEFAULT_SPREAD = 0.03
#: Scale of each working space (the span of its lightness axis), used by ``spread``.
SPACE_RANGE = {"rgb": 1.0, "linear": 1.0, "xyz": 1.0, "lab": 100.0, "oklab": 1.0, "lalphabeta": 1.0}


def palette(image, *, space: str = "lab", max_pixels: int | None = None, rng=None) -> Empirical:
    """The colours of ``image`` as an :class:`~iadb_graphics.densities.Empirical` density in ``space``.

    Parameters
    ----------
    image : ndarray (H, W[, C])
        uint8, uint16 or float in [0, 1]; grayscale reads as R = G = B.
    space : str
        One of :data:`~iadb_graphics.color.spaces.SPACES` (``"lab"``: CIELAB D65).
    max_pixels : int, optional
        Keep at most this many pixels (drawn uniformly without replacement).
    rng : None | int | Generator
        Randomness of the subsampling.

    Returns
    -------
    Empirical
        Points (n, 3) in ``space``; weighted by alpha when the image has an alpha channel
        (fully transparent pixels dropped).
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {list(SPACES)}, got {space!r}")
    rgb, alpha = rgb_pixels(image, "image", min_size=2)
    if alpha is not None:
        keep = alpha > 0
        if not np.any(keep):
            raise ValueError("image is fully transparent: its alpha channel is 0 everywhere")
        rgb, alpha = rgb[keep], alpha[keep]
    if max_pixels is not None:
        max_pixels = check_int(max_pixels, "max_pixels", minimum=1)
        if rgb.shape[0] > max_pixels:
            idx = np.sort(as_generator(rng).choice(rgb.shape[0], max_pixels, replace=False))
            rgb = rgb[idx]
            alpha = None if alpha is None else alpha[idx]
    return Empirical(convert(rgb, "rgb", space), alpha)


def parse_swatches(colors, name: str = "colors") -> np.ndarray:
    """Swatches → sRGB (k, 3) in [0, 1].

    Accepts a comma-separated string ``"#264653,#2a9d8f"``, a list of hex strings (``#rgb`` or
    ``#rrggbb``, ``#`` optional), or RGB triples: ints 0–255 or floats in [0, 1].
    """
    if isinstance(colors, str):
        colors = [c.strip() for c in colors.split(",") if c.strip()]
    if isinstance(colors, np.ndarray):
        colors = list(colors)
    if not isinstance(colors, (list, tuple)) or len(colors) == 0:
        raise ValueError(f"{name} must be a non-empty list of hex strings or RGB triples, got {describe(colors)}")
    out = []
    for c in colors:
        if isinstance(c, str):
            h = c.strip().lstrip("#")
            if len(h) == 3:
                h = "".join(ch * 2 for ch in h)
            try:
                if len(h) != 6:
                    raise ValueError
                out.append([int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4)])
            except ValueError:
                raise ValueError(f"{name}: {c!r} is not a hex colour like '#264653'") from None
        else:
            t = np.asarray(c)
            if t.shape != (3,) or not np.issubdtype(t.dtype, np.number) or not np.all(np.isfinite(t)):
                raise ValueError(f"{name}: {c!r} is neither a hex string nor an RGB triple")
            if np.issubdtype(t.dtype, np.integer) or all(isinstance(v, numbers.Integral) for v in c):
                if np.any(t < 0) or np.any(t > 255):
                    raise ValueError(f"{name}: integer triple {c!r} must lie in 0..255")
                t = t / 255.0
            elif np.any(t < 0) or np.any(t > 1):
                raise ValueError(f"{name}: float triple {c!r} must lie in [0, 1]")
            out.append([float(v) for v in t])
    return np.asarray(out, dtype=np.float64)


def swatches(colors, weights=None, *, space: str = "lab", spread: float = DEFAULT_SPREAD) -> GaussianMixture:
    r"""A palette from a few colours: a mixture of isotropic Gaussians in ``space``.

    Parameters
    ----------
    colors : str or sequence
        Hex strings or RGB triples (see :func:`parse_swatches`).
    weights : sequence of float, optional
        Relative share of each swatch (default: equal).
    space : str
        Working space of the mixture.
    spread : float
        Standard deviation of every component as a fraction of the space's lightness range
        (:data:`SPACE_RANGE`): σ = spread × 100 in CIELAB. Small spreads make flat posterised
        output; larger ones let the map keep more of the source's shading. Default
        :data:`DEFAULT_SPREAD`.
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {list(SPACES)}, got {space!r}")
    spread = check_float(spread, "spread", minimum=0.0, strict_min=True)
    rgb = parse_swatches(colors)
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (rgb.shape[0],):
            raise ValueError(f"weights must have one entry per swatch ({rgb.shape[0]}), got shape {weights.shape}")
    means = convert(rgb, "rgb", space)
    sigma = spread * SPACE_RANGE[space]
    return GaussianMixture(means, np.full(rgb.shape[0], sigma ** 2), weights)
