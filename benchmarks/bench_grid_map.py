"""GridIADBMap: KL / ESS against the exact target density, debiased sample divergences, fit and
transform time, baked-map throughput; the default (exact field where the densities allow it,
Heun steps) against the sampled field, the Euler scheme and minibatch-OT pairing.

Usage::

    python benchmarks/bench_grid_map.py [--quick] [--out benchmarks/results]

Writes ``grid_map.csv``, ``grid_map.md`` and ``grid_map.png``. Timings are medians of repeats
(``--repeats``), measured in one process on the same machine. KL(q‖p) and ESS use M = 20000
source points and the map's exact log-det (targets with a density: a photo, a terrain); the
debiased Sinkhorn divergence and the energy statistic compare blocks of N = 4096 mapped points
with fresh target samples, paired with an exact target sample's values (``_quality``), so that
no figure can read better than an exact sampler. W2 / iid floor is a secondary, biased column
(a contracted sample can score below 1), in the CSV only.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
# Numba's OpenMP layer spins while waiting; on a shared machine that makes it 5-10x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _quality import (SAMPLE_COLUMNS_NOTE, SAMPLE_DRAWS, ExactBaseline, density_quality, energy_cell, fmt,  # noqa: E402
                      kl_cell, sample_quality, sinkhorn_cell)

from iadb_graphics import densities as D  # noqa: E402
from iadb_graphics.data import sample_image  # noqa: E402
from iadb_graphics.maps.exact_field import exact_field_for  # noqa: E402
from iadb_graphics.maps.grid import GridIADBMap  # noqa: E402
from iadb_graphics.metrics import optimality_ratio  # noqa: E402


def cases():
    rgb = sample_image("grace_hopper").astype(float) / 255.0
    h = rgb.shape[0] // 2
    top = rgb[:h].reshape(-1, 3)
    bottom = rgb[h:].reshape(-1, 3)
    return [
        ("uniform->photo", D.Uniform(), D.ImageDensity(sample_image("grace_hopper", 128))),
        ("uniform->terrain", D.Uniform(), D.ImageDensity(sample_image("jacksboro", 128))),
        ("8gaussians->moons", D.toy2d("8gaussians"), D.toy2d("moons")),
        ("palette top->bottom (3D)", D.Empirical(top[::4]), D.Empirical(bottom[::4])),
    ]


def _median_time(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def evaluate(name, make, src, tgt, baseline, x, repeats):
    t_fit, m = _median_time(lambda: make().fit(src, tgt, rng=0), repeats)
    m.transform(x[:10])
    t_tr, y = _median_time(lambda: m.transform(x), repeats)
    row = {"case": None, "method": name, "fit_s": t_fit, "transform_s": t_tr, "fit_plus_transform_s": t_fit + t_tr,
           "optimality_ratio": optimality_ratio(x[:baseline.n], y[:baseline.n])}
    row.update(density_quality(lambda z: m.transform(z, return_log_det=True), src, tgt, x))
    row.update(sample_quality(y, baseline))
    return m, row, y


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small N and few repeats (smoke run)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--m", type=int, default=20000, help="points for KL / ESS and the transform time")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = p.parse_args(argv)
    n = 1024 if args.quick else 4096
    m_pts = max(4000 if args.quick else args.m, n * SAMPLE_DRAWS)
    repeats = 1 if args.quick else args.repeats

    rows, figs = [], []
    for case, src, tgt in cases():
        d = src.d
        x = src.sample(m_pts, rng=2)
        baseline = ExactBaseline(tgt, n=n, rng=11)
        methods = [("grid (default)", lambda: GridIADBMap()),
                   ("grid, Euler steps", lambda: GridIADBMap(method="euler")) if d < 3 else
                   ("grid, Heun steps", lambda: GridIADBMap(method="heun")),
                   ("grid ot", lambda: GridIADBMap(coupling="ot"))]
        if exact_field_for(src, tgt) is not None:  # the default uses the exact field: the sampled one beside it
            methods.insert(1, ("grid, sampled field (before)", lambda: GridIADBMap(field="samples")))
        if d == 3:
            methods.append(("grid bins=64", lambda: GridIADBMap(bins=64)))
        first = None
        for name, make in methods:
            m, row, y = evaluate(name, make, src, tgt, baseline, x, repeats)
            row["case"] = case
            rows.append(row)
            print({k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
            if first is None:
                first, first_y = m, y
        if d == 2:
            figs.append((case, x[:n], first_y[:n], tgt.sample(n, rng=12)))
        # baked throughput (grid map, default settings)
        res = 256 if d == 2 else 64
        baked = first.bake(res, inverse=False)
        nb = 10 ** 6 if args.quick else 10 ** 7
        pts = np.random.default_rng(5).uniform(first.bounds[:, 0], first.bounds[:, 1], (nb, d))
        baked.apply(pts[:100])
        t_b, _ = _median_time(lambda: baked.apply(pts), repeats)
        del pts
        err = float(np.max(np.abs(baked.apply(x[:n]) - first.transform(x[:n]))))
        rows.append({"case": case, "method": f"grid baked {res}^{d}", "transform_s": t_b,
                     "baked_points": nb, "baked_mpts_per_s": nb / t_b / 1e6, "baked_max_err": err})
        print(f"{case:28s} baked {res}^{d}: {nb} pts in {t_b:.3f}s ({nb / t_b / 1e6:.1f} Mpts/s), "
              f"max |baked - map| {err:.2e}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    keys = ["case", "method", "kl", "kl_se", "ess", "outside", "sinkhorn", "sinkhorn_iid", "sinkhorn_excess",
            "sinkhorn_excess_se", "energy_z", "energy_z_iid",
            "fit_s", "transform_s", "fit_plus_transform_s", "w2_over_floor", "optimality_ratio", "baked_points",
            "baked_mpts_per_s", "baked_max_err"]
    with open(os.path.join(args.out, "grid_map.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in keys})
    md = [f"KL(q‖p) in nats ± s.e. and ESS (1 = exact) from M = {m_pts} points and the exact log-det (targets "
          f"with a density). " + SAMPLE_COLUMNS_NOTE.format(draws=SAMPLE_DRAWS, n=n) + f" Times: median of "
          f"{repeats} (CPU, NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}, load "
          f"{os.getloadavg()[0]:.1f}); transform: M points; baked: the time for the stated points.", "",
          "| case | method | KL (nats) | ESS | S ×10⁻⁴ above exact | exact S ×10⁻⁴ | energy | fit (s) "
          "| transform (s) | optimality ratio | baked Mpts/s |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        exact_s = f"{1e4 * r['sinkhorn_iid']:.2f}" if "sinkhorn_iid" in r else ""
        md.append(f"| {r['case']} | {r['method']} | {kl_cell(r)} | {fmt(r.get('ess'), '.3f')} | {sinkhorn_cell(r)} | "
                  f"{exact_s} | {energy_cell(r)} | "
                  f"{fmt(r.get('fit_s'), '.2f')} | {fmt(r.get('transform_s'), '.3f')} | "
                  f"{fmt(r.get('optimality_ratio'), '.3f')} | "
                  f"{fmt(r.get('baked_mpts_per_s'), '.1f')} |")
    with open(os.path.join(args.out, "grid_map.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(figs), 3, figsize=(10, 3.4 * len(figs)), squeeze=False)
    for i, (case, xs, ys, ref) in enumerate(figs):
        for ax, pts, title in zip(axes[i], (xs, ys, ref), ("source sample", "GridIADBMap(source)", "target sample")):
            ax.scatter(pts[:, 0], pts[:, 1], s=0.5, c="k")
            ax.set_title(f"{case}: {title}", fontsize=8)
            ax.set_aspect("equal")
            ax.set_xlim(-0.05, 1.05)
            ax.set_ylim(-0.05, 1.05)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "grid_map.png"), dpi=110)
    return rows


if __name__ == "__main__":
    main()
