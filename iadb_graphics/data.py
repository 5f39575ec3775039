"""Built-in data that ships with the dependencies (nothing is downloaded)."""
from __future__ import annotations

import numpy as np

__all__ = ["sample_photo", "sample_photo_path", "sample_image", "fractal_terrain"]


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


def sample_image(name: str = "grace_hopper", max_size: int | None = None) -> np.ndarray:
    """One of matplotlib's bundled pictures, box-downsampled so that max(H, W) ≤ ``max_size``.

    ``name``: ``"grace_hopper"`` (photo, uint8 RGB), ``"minduka"`` (photo, uint8 RGB or RGBA) or
    ``"jacksboro"`` (a digital elevation model, float64 heights in metres divided by their maximum,
    so in (0, 1]: usable as a terrain density).
    """
    import matplotlib.cbook

    from .io import box_downsample, read_image

    files = {"grace_hopper": "grace_hopper.jpg", "minduka": "Minduka_Present_Blue_Pack.png",
             "jacksboro": "jacksboro_fault_dem.npz"}
    if name not in files:
        raise ValueError(f"name must be one of {sorted(files)}, got {name!r}")
    path = str(matplotlib.cbook.get_sample_data(files[name], asfileobj=False))
    if name == "jacksboro":
        with np.load(path) as z:
            img = z["elevation"].astype(np.float64)
        img = img / img.max()
        return box_downsample(img, max_size)
    img = read_image(path)
    small = box_downsample(img, max_size)
    return img if small is img else small.round().astype(img.dtype)


def fractal_terrain(size: int = 128, *, slope: float = 2.4, floor: float = 0.05, seed: int = 0) -> np.ndarray:
    """A synthetic height map ``(size, size)`` float64 in [``floor``, 1]: spectral synthesis.

    Gaussian noise with a power spectrum ∝ |k|^(−``slope``) (fractional-Brownian-like surfaces:
    larger ``slope``, smoother relief), rescaled affinely to [``floor``, 1] so that it is a density
    that vanishes nowhere. Each ``seed`` gives another terrain (no file, no download).
    """
    from ._validation import check_float, check_int

    size = check_int(size, "size", minimum=4)
    slope = check_float(slope, "slope", minimum=0.0)
    floor = check_float(floor, "floor", minimum=0.0, maximum=1.0)
    rng = np.random.default_rng(seed)
    k = np.fft.fftfreq(size)
    kk = np.sqrt(k[:, None] ** 2 + k[None, :] ** 2)
    kk[0, 0] = 1.0
    amp = kk ** (-slope / 2.0)
    amp[0, 0] = 0.0
    noise = np.fft.fft2(rng.standard_normal((size, size)))
    h = np.real(np.fft.ifft2(noise * amp))
    h = (h - h.min()) / (h.max() - h.min())
    return floor + (1.0 - floor) * h
