"""Figure for environment maps: sampled directions over the lat-long map, and their pdf."""
from __future__ import annotations

import numpy as np

from ..io import atomic_path


def _tonemap(image):
    x = np.asarray(image, dtype=float)
    if x.ndim == 3:
        x = x[:, :, :3] if x.shape[2] >= 3 else x[:, :, 0]
    x = x / max(float(np.percentile(x, 99)), 1e-12)
    return np.clip((x / (1.0 + x)) ** (1 / 2.2) * 1.6, 0.0, 1.0)


def plot_envmap_directions(image, directions, pdf, path, *, title="environment map", max_points=20000):
    """Two panels over the lat-long ``image`` (φ horizontally, θ from the +Y pole downwards):
    ``directions`` (n, 3) as points, and the same points coloured by log ``pdf`` (n,).
    Written atomically to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    d = np.asarray(directions, dtype=float)
    pdf = np.asarray(pdf, dtype=float)
    sel = slice(None) if len(d) <= max_points else np.linspace(0, len(d) - 1, max_points).astype(int)
    phi = np.arctan2(d[sel, 0], -d[sel, 2]) % (2 * np.pi)
    theta = np.arccos(np.clip(d[sel, 1] / np.linalg.norm(d[sel], axis=1), -1, 1))
    size = max(0.3, min(6.0, 3000.0 / max(len(phi), 1)))
    extent = (0.0, 2 * np.pi, np.pi, 0.0)
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.8))
    for ax in axes:
        ax.imshow(_tonemap(image), extent=extent, cmap="gray", aspect="auto")
        ax.set_xlabel("φ = atan2(x, −z)")
        ax.set_ylabel("θ from +Y")
    axes[0].scatter(phi, theta, s=size, c="tab:red", lw=0)
    axes[0].set_title(f"{title}: {len(d)} directions")
    with np.errstate(divide="ignore"):
        sc = axes[1].scatter(phi, theta, s=size, c=np.log10(pdf[sel]), cmap="viridis", lw=0)
    fig.colorbar(sc, ax=axes[1], label="log10 pdf (per steradian)")
    axes[1].set_title("solid-angle pdf at the directions")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
