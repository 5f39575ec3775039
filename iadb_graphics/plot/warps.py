"""Figures for warps: input points, warped points over the target, and the claimed pdf."""
from __future__ import annotations

import numpy as np

from ..io import atomic_path


def plot_warp(points, warped, pdf, density, path, *, title="warp", max_points=20000):
    """Three panels: input ``points`` (n, 2), ``warped`` over ``density`` (an ImageDensity),
    and ``warped`` coloured by log ``pdf`` (n,). Written atomically to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    points, warped, pdf = np.asarray(points), np.asarray(warped), np.asarray(pdf)
    sel = slice(None) if len(points) <= max_points else np.linspace(0, len(points) - 1, max_points).astype(int)
    size = max(0.3, min(6.0, 3000.0 / max(len(points), 1)))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
    dom = density.domain
    extent = (dom[0, 0], dom[0, 1], dom[1, 0], dom[1, 1])
    axes[0].scatter(points[sel, 0], points[sel, 1], s=size, c="k", lw=0)
    axes[0].set_title(f"input ({len(points)} points)")
    axes[1].imshow(density.density_grid(), extent=extent, cmap="gray", origin="upper")
    axes[1].scatter(warped[sel, 0], warped[sel, 1], s=size, c="tab:red", lw=0)
    axes[1].set_title(f"{title}: warped over target")
    with np.errstate(divide="ignore"):
        sc = axes[2].scatter(warped[sel, 0], warped[sel, 1], s=size, c=np.log10(pdf[sel]), cmap="viridis", lw=0)
    fig.colorbar(sc, ax=axes[2], label="log10 pdf")
    axes[2].set_title("claimed pdf at the warped points")
    for ax in axes:
        ax.set_aspect("equal")
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
