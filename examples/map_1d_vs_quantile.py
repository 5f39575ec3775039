"""In 1D the IADB map is monotone and equals the quantile map F1⁻¹∘F0 (also the 1D OT map).

Fits the MLP and grid maps from N(0, 1) to a bimodal mixture and plots both beside the exact
quantile map computed with scipy.

    python examples/map_1d_vs_quantile.py    # writes examples/output/map_1d.png (~30 s)
"""
import os

import numpy as np
from scipy import stats

from iadb_graphics import Gaussian, GaussianMixture, GridIADBMap, IADBMap

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(OUT, exist_ok=True)
    source = Gaussian((0.0,), 1.0)
    target = GaussianMixture([[-2.0], [1.5]], [0.3 ** 2, 0.6 ** 2], [0.35, 0.65])
    x = np.linspace(-3, 3, 301)[:, None]
    grid = np.linspace(-6, 6, 40001)
    cdf = 0.35 * stats.norm.cdf(grid, -2, 0.3) + 0.65 * stats.norm.cdf(grid, 1.5, 0.6)
    exact = np.interp(stats.norm.cdf(x[:, 0]), cdf, grid)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(x[:, 0], exact, "k-", lw=3, alpha=0.3, label="quantile map F1⁻¹∘F0 (exact)")
    for name, m, kw in (("grid", GridIADBMap(), {}), ("mlp", IADBMap(), {"n_iters": 3000})):
        y = m.fit(source, target, rng=0, **kw).transform(x)[:, 0]
        err = np.abs(y - exact)
        ax.plot(x[:, 0], y, lw=1.2, label=f"{name} IADB (median |error| {np.median(err):.3f})")
        print(f"{name}: median |T(x) − quantile map| = {np.median(err):.4f}, monotone: {bool(np.all(np.diff(y) > 0))}")
    ax.set_xlabel("x ~ N(0, 1)")
    ax.set_ylabel("T(x)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(OUT, "map_1d.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
