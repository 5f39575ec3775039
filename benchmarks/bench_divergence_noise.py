"""How much the sample-based divergences vary between exact samples: the noise floor of the tables.

For each benchmark target, R pairs of independent exact N-samples: mean ± standard deviation of
the debiased Sinkhorn divergence S and of the energy z-score. A map whose S lies within about
two standard deviations of the exact mean is indistinguishable from an exact sampler at this N
by S (lower values in a table are noise, not "better than exact"); the z-score of exact samples
is ~N(0, 1) by construction.

    python benchmarks/bench_divergence_noise.py [--n 4096] [--repeats 5]

Writes benchmarks/results/divergence_noise.{csv,md}. No timings.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from iadb_graphics import densities as D  # noqa: E402
from iadb_graphics.data import sample_image  # noqa: E402
from iadb_graphics.metrics import energy_test, sinkhorn_divergence  # noqa: E402


def targets():
    rgb = sample_image("grace_hopper").astype(float) / 255.0
    return {
        "photo (Grace Hopper, 128 px)": D.ImageDensity(sample_image("grace_hopper", 128)),
        "terrain (Jacksboro DEM, 128 px)": D.ImageDensity(sample_image("jacksboro", 128)),
        "moons": D.toy2d("moons"),
        "checkerboard": D.toy2d("checkerboard"),
        "palette bottom half (3D)": D.Empirical(rgb[rgb.shape[0] // 2:].reshape(-1, 3)[::4]),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    args = p.parse_args(argv)
    rows = []
    for name, tgt in targets().items():
        rng = np.random.default_rng(0)
        s, z = [], []
        for _ in range(args.repeats):
            a, b = tgt.sample(args.n, rng=rng), tgt.sample(args.n, rng=rng)
            s.append(sinkhorn_divergence(a, b))
            z.append(energy_test(a, b, rng=rng).z)
        rows.append({"target": name, "n": args.n, "repeats": args.repeats, "s_mean": float(np.mean(s)),
                     "s_sd": float(np.std(s, ddof=1)), "z_mean": float(np.mean(z)), "z_sd": float(np.std(z, ddof=1))})
        print(rows[-1], flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "divergence_noise.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    md = [f"Two independent exact samples of each target, N = {args.n}, {args.repeats} repeats: the spread an "
          f"exact sampler shows (`python benchmarks/bench_divergence_noise.py`).", "",
          "| target | S ×10⁻⁴, mean ± sd | energy z, mean ± sd |", "|---|---|---|"]
    md += [f"| {r['target']} | {1e4 * r['s_mean']:.2f} ± {1e4 * r['s_sd']:.2f} | {r['z_mean']:.1f} ± {r['z_sd']:.1f} |"
           for r in rows]
    with open(os.path.join(args.out, "divergence_noise.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
