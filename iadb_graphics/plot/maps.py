"""Figures of 2D maps: samples before/after, trajectories, inverse round trips."""
from __future__ import annotations

import numpy as np

__all__ = ["map_gallery", "trajectories", "round_trip", "save_figure"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path):
    """Save ``fig`` as PNG atomically and close it."""
    from ..io import atomic_path

    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    _plt().close(fig)


def _scatter(ax, pts, title, color="C0", bounds=None):
    s = max(0.3, min(4.0, 3000.0 / max(len(pts), 1)))
    ax.scatter(pts[:, 0], pts[:, 1], s=s, c=color, linewidths=0, alpha=0.8, rasterized=True)
    ax.set_title(title, fontsize=9)
    ax.set_aspect("equal")
    if bounds is not None:
        ax.set_xlim(bounds[0]), ax.set_ylim(bounds[1])
    ax.set_xticks([]), ax.set_yticks([])


def map_gallery(rows, path, *, bounds=((0, 1), (0, 1))):
    """One row per pair: ``rows`` is a list of ``(pair_name, [(panel_title, points (n, 2)), ...])``."""
    plt = _plt()
    n_cols = max(len(panels) for _, panels in rows)
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(2.6 * n_cols, 2.7 * len(rows)), squeeze=False)
    for r, (name, panels) in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r, c]
            if c >= len(panels):
                ax.axis("off")
                continue
            title, pts = panels[c]
            _scatter(ax, pts, f"{name}: {title}" if c == 0 else title, color=f"C{c}", bounds=bounds)
    fig.tight_layout()
    save_figure(fig, path)


def trajectories(paths, path, *, bounds=((0, 1), (0, 1))):
    """Paths of particles: ``paths`` list of ``(title, (T + 1, n, 2) array)``; start blue, end red."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(paths), figsize=(3.2 * len(paths), 3.7), squeeze=False)
    for ax, (title, p) in zip(axes[0], paths):
        ax.plot(p[:, :, 0], p[:, :, 1], color="0.5", lw=0.4, alpha=0.6)
        ax.scatter(p[0, :, 0], p[0, :, 1], s=3, c="C0", label="x0", zorder=3)
        ax.scatter(p[-1, :, 0], p[-1, :, 1], s=3, c="C3", label="T(x0)", zorder=3)
        ax.set_title(title, fontsize=9)
        ax.set_aspect("equal")
        ax.set_xlim(bounds[0]), ax.set_ylim(bounds[1])
        ax.set_xticks([]), ax.set_yticks([])
    axes[0, 0].legend(loc="lower left", fontsize=7, markerscale=3)
    fig.tight_layout()
    save_figure(fig, path)


def round_trip(cases, path, *, bounds=((0, 1), (0, 1))):
    """Inverse round trips: ``cases`` list of ``(title, x (n, 2), x_back (n, 2))``, coloured by error."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(cases), figsize=(3.4 * len(cases), 3.4), squeeze=False)
    for ax, (title, x, back) in zip(axes[0], cases):
        err = np.linalg.norm(back - x, axis=1)
        sc = ax.scatter(x[:, 0], x[:, 1], c=np.log10(err + 1e-12), s=3, cmap="viridis", linewidths=0)
        ax.set_title(f"{title}\nmedian |T⁻¹(T(x)) − x| = {np.median(err):.1e}", fontsize=8)
        ax.set_aspect("equal")
        ax.set_xlim(bounds[0]), ax.set_ylim(bounds[1])
        ax.set_xticks([]), ax.set_yticks([])
        fig.colorbar(sc, ax=ax, shrink=0.7, label="log10 error")
    fig.tight_layout()
    save_figure(fig, path)
