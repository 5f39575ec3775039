"""Figure of a point set: the points, their periodogram and its radial average."""
from __future__ import annotations

import numpy as np

from ..io import atomic_path


def plot_points(points, path=None, *, res=None, title="points", bounds=None, max_points=20000):
    """Three panels: the points, the periodogram (log10, DC removed) and the radial power.

    Parameters
    ----------
    points : (n, 2) array (the spectrum assumes the unit torus [0, 1)^2)
    path : PNG path written atomically, or None to only return the figure
    res : int or None, frequencies −res..res per axis; None: 2√N (at least 16, at most 128), so a
        blue-noise ring, at |k| ≈ √N, sits inside the panel
    title : str
    bounds : ((x_min, x_max), (y_min, y_max)) of the scatter panel, default the unit square

    Returns
    -------
    matplotlib Figure (closed when ``path`` is given)
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ..metrics.spectral import periodogram, radial_power

    points = np.asarray(points, dtype=float)
    n = len(points)
    sel = slice(None) if n <= max_points else np.linspace(0, n - 1, max_points).astype(int)
    box = np.array([[0.0, 1.0], [0.0, 1.0]]) if bounds is None else np.asarray(bounds, float)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
    axes[0].scatter(points[sel, 0], points[sel, 1], s=max(0.3, min(6.0, 3000.0 / max(n, 1))), c="k", lw=0)
    axes[0].set_xlim(*box[0])
    axes[0].set_ylim(*box[1])
    axes[0].set_aspect("equal")
    axes[0].set_title(f"{title} ({n} points)")
    if res is None:
        res = int(min(128, max(16, np.ceil(2 * np.sqrt(n)))))
    if n >= 1:
        p = periodogram(np.mod(points, 1.0), res)
        with np.errstate(divide="ignore"):
            img = np.log10(np.maximum(p, 1e-3))
        im = axes[1].imshow(img.T, origin="lower", extent=(-res - 0.5, res + 0.5, -res - 0.5, res + 0.5),
                            cmap="magma", vmin=-2, vmax=1)
        fig.colorbar(im, ax=axes[1], label="log10 P(k)")
        r, power = radial_power(p)
        axes[2].plot(r / np.sqrt(n), power, color="tab:blue")
    axes[1].set_title("periodogram (DC removed)")
    axes[1].set_xlabel("k_x")
    axes[1].set_ylabel("k_y")
    axes[2].axhline(1.0, color="0.5", ls="--", lw=1, label="white noise")
    axes[2].set_xlim(0.0, None)
    axes[2].set_ylim(0.0, 3.0)  # a non-uniform (adapted) set has a huge low-frequency peak: clip it
    axes[2].set_xlabel("|k| / sqrt(N)")
    axes[2].set_ylabel("radial power")
    axes[2].set_title("radially averaged power")
    axes[2].legend(loc="lower right")
    fig.tight_layout()
    if path is not None:
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)
    return fig
