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
    from .io import read_image

    img = read_image(sample_photo_path())
    if max_size is not None:
        f = int(np.ceil(max(img.shape[:2]) / max_size))
        if f > 1:
            h, w = (img.shape[0] // f) * f, (img.shape[1] // f) * f
            img = img[:h, :w].reshape(h // f, f, w // f, f, -1).mean(axis=(1, 3)).round().astype(np.uint8)
    return img
