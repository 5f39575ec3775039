"""Inverse round trip: x → T(x) → T⁻¹(T(x)) for the grid and MLP maps, coloured by the error.

    python examples/inverse_round_trip.py    # writes examples/output/round_trip.png (~40 s)
"""
import os

import numpy as np

from iadb_graphics import GridIADBMap, IADBMap, Uniform, toy2d
from iadb_graphics.plot.maps import round_trip

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")


def main():
    os.makedirs(OUT, exist_ok=True)
    source, target = Uniform(), toy2d("8gaussians")
    x = source.sample(2000, rng=1)
    cases = []
    for name, m in (("grid", GridIADBMap()), ("mlp", IADBMap(n_iters=2000))):
        m.fit(source, target, rng=0)
        back = m.inverse_transform(m.transform(x))
        cases.append((f"{name}: uniform → 8gaussians", x, back))
        print(f"{name}: median |T⁻¹(T(x)) − x| = {np.median(np.linalg.norm(back - x, axis=1)):.2e}")
    path = os.path.join(OUT, "round_trip.png")
    round_trip(cases, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
