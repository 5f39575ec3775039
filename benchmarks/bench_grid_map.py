"""GridIADBMap vs IADBMap side by side: fit time, transform time, W2 / iid floor, optimality ratio,
baked-map throughput, and the effect of minibatch-OT pairing.

Usage::

    python benchmarks/bench_grid_map.py [--quick] [--mlp-iters 2000] [--out benchmarks/results]

Writes ``grid_map.csv``, ``grid_map.md`` and ``grid_map.png``. Timings are medians of repeats
(``--repeats``), measured in one process on the same machine. W2 is judged at N = 4096 against
several fresh target samples and divided by the iid floor (mean over as many repeats).
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

from iadb_graphics import densities as D  # noqa: E402
from iadb_graphics.io import read_image  # noqa: E402
from iadb_graphics.maps.grid import GridIADBMap  # noqa: E402
from iadb_graphics.metrics import iid_floor, optimality_ratio, w2  # noqa: E402


def _photo():
    import matplotlib.cbook as cbook

    return read_image(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def cases():
    img = _photo()
    small = img[::4, ::4]  # 128 x 150 px
    rgb = img.astype(float) / 255.0
    h = rgb.shape[0] // 2
    top = rgb[:h].reshape(-1, 3)
    bottom = rgb[h:].reshape(-1, 3)
    return [
        ("uniform->image", D.Uniform(), D.ImageDensity(small)),
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


def evaluate(name, make, src, tgt, n, n_refs, floor, x, refs, repeats, transform=None):
    t_fit, m = _median_time(lambda: make().fit(src, tgt, rng=0), repeats)
    tr = transform or (lambda mm, xx: mm.transform(xx))
    tr(m, x[:10])
    t_tr, y = _median_time(lambda: tr(m, x), repeats)
    ratio = float(np.mean([w2(y, r) for r in refs])) / floor
    return m, {"case": None, "method": name, "fit_s": t_fit, "transform_s": t_tr,
               "fit_plus_transform_s": t_fit + t_tr, "w2_over_floor": ratio,
               "optimality_ratio": optimality_ratio(x, y)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small N and few repeats (smoke run)")
    p.add_argument("--mlp-iters", type=int, default=1500, help="IADBMap training iterations")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = p.parse_args(argv)
    n = 1024 if args.quick else 4096
    n_refs = 2 if args.quick else 4
    repeats = 1 if args.quick else args.repeats
    mlp_iters = 100 if args.quick else args.mlp_iters
    try:
        from iadb_graphics.maps.iadb import IADBMap
    except ImportError as exc:  # pragma: no cover - the MLP map is optional here
        print(f"IADBMap unavailable ({exc}); benchmarking the grid map only", file=sys.stderr)
        IADBMap = None

    rows, figs = [], []
    for case, src, tgt in cases():
        d = src.d
        floor = iid_floor(tgt, n, rng=1, n_repeats=n_refs)
        x = src.sample(n, rng=2)
        refs = [tgt.sample(n, rng=10 + i) for i in range(n_refs)]
        methods = [("grid", lambda: GridIADBMap(), None),
                   ("grid ot", lambda: GridIADBMap(coupling="ot"), None)]
        if d == 3:
            methods.append(("grid bins=64", lambda: GridIADBMap(bins=64), None))
        if IADBMap is not None:
            methods.append((f"mlp ({mlp_iters} it)",
                            lambda: _MLPFit(IADBMap(), mlp_iters), None))
        first = None
        for name, make, tr in methods:
            reps = 1 if name.startswith("mlp") else repeats
            m, row = evaluate(name, make, src, tgt, n, n_refs, floor, x, refs, reps, tr)
            row["case"] = case
            rows.append(row)
            print(f"{case:28s} {name:16s} fit {row['fit_s']:.2f}s tr {row['transform_s']:.3f}s "
                  f"W2/floor {row['w2_over_floor']:.3f} opt {row['optimality_ratio']:.3f}", flush=True)
            if first is None:
                first = m
        if d == 2:
            figs.append((case, x, first.transform(x), refs[0]))
        # baked throughput (grid map, default settings)
        res = 256 if d == 2 else 64
        baked = first.bake(res, inverse=False)
        nb = 10 ** 6 if args.quick else 10 ** 7
        pts = np.random.default_rng(5).uniform(first.bounds[:, 0], first.bounds[:, 1], (nb, d))
        baked.apply(pts[:100])
        t_b, _ = _median_time(lambda: baked.apply(pts), repeats)
        del pts
        err = float(np.max(np.abs(baked.apply(x) - first.transform(x))))
        rows.append({"case": case, "method": f"grid baked {res}^{d}", "fit_s": np.nan, "transform_s": t_b,
                     "fit_plus_transform_s": np.nan, "w2_over_floor": np.nan, "optimality_ratio": np.nan,
                     "baked_points": nb, "baked_mpts_per_s": nb / t_b / 1e6, "baked_max_err": err})
        print(f"{case:28s} baked {res}^{d}: {nb} pts in {t_b:.3f}s ({nb / t_b / 1e6:.1f} Mpts/s), "
              f"max |baked - map| {err:.2e}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    keys = ["case", "method", "fit_s", "transform_s", "fit_plus_transform_s", "w2_over_floor",
            "optimality_ratio", "baked_points", "baked_mpts_per_s", "baked_max_err"]
    with open(os.path.join(args.out, "grid_map.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in keys})
    md = [f"N = {n} test points, W2 against {n_refs} fresh target samples / iid floor "
          f"(mean of {n_refs}); times: median of {repeats} (CPU, NUMBA_NUM_THREADS="
          f"{os.environ['NUMBA_NUM_THREADS']}); baked: transform_s is the time for the stated points.", "",
          "| case | method | fit (s) | transform (s) | W2 / floor | optimality ratio | baked Mpts/s |",
          "|---|---|---|---|---|---|---|"]

    def fmt(v, spec):
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else format(v, spec)

    for r in rows:
        md.append(f"| {r['case']} | {r['method']} | {fmt(r['fit_s'], '.2f')} | {fmt(r['transform_s'], '.3f')} | "
                  f"{fmt(r['w2_over_floor'], '.3f')} | {fmt(r['optimality_ratio'], '.3f')} | "
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


class _MLPFit:
    """Adapter: ``fit`` with a fixed iteration budget."""

    def __init__(self, model, n_iters):
        self.model, self.n_iters = model, n_iters

    def fit(self, src, tgt, *, rng=None):
        return self.model.fit(src, tgt, n_iters=self.n_iters, rng=rng)


if __name__ == "__main__":
    main()
