"""Gallery: the training-free grid IADB map from a Gaussian to every 2D toy density, in one figure.

    python examples/gallery_2d.py            # writes examples/output/gallery_2d.png (~20 s)
"""
import os

import numpy as np

from iadb_graphics import Gaussian, GridIADBMap, toy2d
from iadb_graphics.densities import TOY2D_NAMES
from iadb_graphics.plot.maps import map_gallery

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    source = Gaussian((0.5, 0.5), 0.02)
    x0 = source.sample(3000, rng=rng)
    rows = []
    for name in TOY2D_NAMES:
        target = toy2d(name)
        m = GridIADBMap().fit(source, target, rng=rng)
        rows.append((name, [("source", x0), ("target", target.sample(3000, rng=rng)), ("T(source)", m.transform(x0)),
                            ("T⁻¹(T(source))", m.inverse_transform(m.transform(x0)))]))
    path = os.path.join(OUT, "gallery_2d.png")
    map_gallery(rows, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
