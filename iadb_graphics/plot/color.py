"""Before / palette / after figures for colour transfer (matplotlib imported lazily)."""
from __future__ import annotations

import numpy as np

__all__ = ["transfer_figure", "transfer_grid", "save_figure"]


def _show(ax, img, title):
    img = np.asarray(img)
    if img.dtype == np.uint16:
        img = (img // 257).astype(np.uint8)
    ax.imshow(img, cmap="gray" if img.ndim == 2 or img.shape[-1] == 1 else None, vmin=0,
              vmax=255 if img.dtype == np.uint8 else 1, interpolation="lanczos")
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()


def transfer_figure(source, palette, results, *, swatch_weights=None, notes=None):
    """A row per figure: source, palette (image or swatch strip), then one panel per result.

    Parameters
    ----------
    source : ndarray (H, W[, C])
    palette : ndarray image, or sRGB swatches (k, 3) in [0, 1]
    results : dict of str -> ndarray
        Output images, titled by their key.
    notes : dict of str -> str, optional
        A second title line per result (e.g. metrics).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use(matplotlib.get_backend())
    import matplotlib.pyplot as plt

    n = 2 + len(results)
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 3.0), squeeze=False)
    axes = axes[0]
    _show(axes[0], source, "source")
    pal = np.asarray(palette)
    if pal.ndim == 2 and pal.shape[1] == 3 and pal.dtype.kind == "f" and pal.shape[0] <= 64:
        w = np.full(pal.shape[0], 1.0 / pal.shape[0]) if swatch_weights is None else np.asarray(swatch_weights, float)
        edges = np.concatenate([[0], np.cumsum(w / w.sum())])
        for k in range(pal.shape[0]):
            axes[1].axvspan(edges[k], edges[k + 1], color=np.clip(pal[k], 0, 1))
        axes[1].set_xlim(0, 1)
        axes[1].set_title("palette (swatches)", fontsize=9)
        axes[1].set_axis_off()
    else:
        _show(axes[1], pal, "palette")
    for ax, (name, img) in zip(axes[2:], results.items()):
        extra = "" if not notes or name not in notes else "\n" + notes[name]
        _show(ax, img, name + extra)
    fig.tight_layout()
    return fig


def save_figure(fig, path, *, dpi=110):
    """Save ``fig`` atomically to ``path`` (format by extension) and close it."""
    import os

    import matplotlib.pyplot as plt

    from ..io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=os.path.splitext(path)[1].lstrip(".") or "png")
    plt.close(fig)


def transfer_grid(rows, *, notes=None, panel=2.1):
    """Several before / palette / after rows in one figure.

    Parameters
    ----------
    rows : list of (label, source, palette_image, dict of name -> image)
    notes : list of dict of name -> str, optional (second title line per panel)
    """
    import matplotlib.pyplot as plt

    n_cols = 2 + max(len(r[3]) for r in rows)
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(panel * n_cols, panel * 1.15 * len(rows)), squeeze=False)
    for i, (label, source, pal, results) in enumerate(rows):
        _show(axes[i, 0], source, f"{label}: source")
        _show(axes[i, 1], pal, "palette")
        for j, (name, img) in enumerate(results.items()):
            extra = "" if not notes or name not in notes[i] else "\n" + notes[i][name]
            _show(axes[i, 2 + j], img, name + extra)
        for ax in axes[i, 2 + len(results):]:
            ax.set_axis_off()
    fig.tight_layout()
    return fig
