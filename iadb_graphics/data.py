"""Built-in data that ships with the dependencies (nothing is downloaded)."""
from __future__ import annotations

import numpy as np

__all__ = ["sample_photo", "sample_photo_path"]


def sample_photo_path() -> str:
    """Path of matplotlib's bundled photo (Grace Hopper, 512×600 RGB JPEG)."""
    import matplotlib.cbook

    return str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def sample_photo(max_size: int | None = None) -> np.ndarray:
    """matplotlib's bundled photo as uint8 ``(H, W, 3)``, box-downsampled so that max(H, W) ≤ ``max_size``."""
    from .io import box_downsample, read_image

    img = read_image(sample_photo_path())
    small = box_downsample(img, max_size)
    return img if small is img else small.round().astype(np.uint8)
