"""An image file as a target density for the commands, with the unit-square and aspect conventions.

Points live in the unit square with y up: the image's top row is at y = 1. By default the image
is stretched onto [0, 1]²; with ``keep_aspect`` its longer side spans [0, 1] and the shorter one
[0, short/long], so that a pixel stays square.
"""
from __future__ import annotations

import numpy as np

from ._command import UsageError

__all__ = ["image_density", "aspect_size", "stretch_note", "CONVENTIONS"]

#: One sentence for ``--help``.
CONVENTIONS = ("Coordinates: the unit square, y up (the image's top row is at y = 1); a non-square image "
               "is stretched onto it unless --keep-aspect, which maps the longer side to [0, 1].")


def image_density(path, flag: str, *, invert=False, gamma=1.0, max_size=None, keep_aspect=False):
    """Read ``path`` and return ``(ImageDensity, (width, height) of its domain)``.

    The domain is [0, 1]², or with ``keep_aspect`` the box of :func:`aspect_size`.

    Integer images are divided by their type's maximum before any downsampling, so ``invert``
    works on every bit depth; float images (HDR) keep their values. Errors name ``flag`` and
    the file in one line.
    """
    from ..densities import ImageDensity
    from ..io import box_downsample, read_image

    image = read_image(path, name=flag)
    if np.issubdtype(image.dtype, np.integer):
        image = image.astype(np.float64) / np.iinfo(image.dtype).max
    elif image.dtype == bool:
        image = image.astype(np.float64)
    image = box_downsample(image, max_size)
    size = aspect_size(*image.shape[:2]) if keep_aspect else (1.0, 1.0)
    try:
        density = ImageDensity(image, invert=invert, gamma=gamma, domain=((0.0, size[0]), (0.0, size[1])))
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{flag} {path!r}: {exc}") from None
    return density, size


def aspect_size(height: int, width: int) -> tuple[float, float]:
    """``(width, height)`` of the box that keeps an image's aspect ratio, its longer side 1."""
    return (1.0, height / width) if width >= height else (width / height, 1.0)


def stretch_note(density, keep_aspect: bool) -> str:
    """``"; image W×H stretched onto the unit square ..."`` for a non-square image without
    ``--keep-aspect``; empty otherwise (to end a summary line)."""
    if keep_aspect or density.width == density.height:
        return ""
    return (f"; the {density.width}x{density.height}-pixel density was stretched onto the unit square "
            "(--keep-aspect keeps its shape)")
