"""Choose the MLP map's training defaults for the exact field (uniform → image) on targets that
are NOT the benchmark's (``bench_learned_map.py`` uses grace_hopper and jacksboro).

The six offline targets of ``tune_grid_exact.py`` (minduka on a floor, three fractal terrains,
stripes, discs). Each setting: short fits (2000 iterations instead of the default 6000, seed 0),
KL(q‖p) and ESS from M exact log-densities, fit time (depends on the machine's load). One default
is chosen by the mean KL over the targets, never per target.

    python benchmarks/tune_mlp_exact.py [--m 10000] [--iters 2000] [--out benchmarks/results]

Writes ``mlp_exact_tune.csv`` and ``mlp_exact_tune.md``.
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from tune_grid_exact import rows_by_setting, tuning_runs, write_results  # noqa: E402

from iadb_graphics import IADBMap  # noqa: E402


def settings(iters):
    """(name, IADBMap keywords); the first is the former default (lr 2e-3, x_scale 2)."""
    yield "lr 2e-3, x_scale 2 (before)", {"lr": 2e-3, "x_scale": 2.0}
    for lr in (4e-3, 8e-3, 1.6e-2, 3.2e-2):
        yield f"lr {lr:g}, x_scale 2", {"lr": lr, "x_scale": 2.0}
    yield "lr 0.004, x_scale 2, ema 0.99", {"lr": 4e-3, "x_scale": 2.0, "ema_decay": 0.99}
    for lr in (4e-3, 8e-3):
        yield f"lr {lr:g}, x_scale 2, batch 4096, {iters // 2} it", {"lr": lr, "x_scale": 2.0, "batch_size": 4096,
                                                                      "n_iters": iters // 2}
    for lr, xs in ((4e-3, 4.0), (8e-3, 4.0), (1.6e-2, 4.0), (1.6e-2, 6.0), (1.6e-2, 8.0), (3.2e-2, 4.0), (3.2e-2, 8.0)):
        yield f"lr {lr:g}, x_scale {xs:g}", {"lr": lr, "x_scale": xs}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--m", type=int, default=10000)
    p.add_argument("--iters", type=int, default=2000)
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    args = p.parse_args(argv)
    rows = []
    runs = ((name, {"n_iters": args.iters, **kw}) for name, kw in settings(args.iters))
    for tname, _, sname, _, fit_s, r, _ in tuning_runs(runs, IADBMap, args.m):
        rows.append({"target": tname, "setting": sname, "kl": r.kl, "kl_se": r.kl_se, "ess": r.ess,
                     "outside": r.outside, "fit_s": fit_s, "load": os.getloadavg()[0]})
        print(f"{tname:20s} {sname:40s} KL {r.kl:.4f} ± {r.kl_se:.4f}  ESS {r.ess:.3f}  fit {fit_s:.1f}s",
              flush=True)
    md = [f"Uniform → 6 offline image targets (not the benchmark's), IADBMap exact field, {args.iters} iterations, "
          f"seed 0, M = {args.m}; mean over targets, best first (`python benchmarks/tune_mlp_exact.py`).", "",
          "| setting | mean KL (nats) | max KL | mean ESS | mean fit (s) |", "|---|---|---|---|---|"]
    groups = rows_by_setting(rows)
    for s, rr in sorted(groups.items(), key=lambda item: np.mean([r["kl"] for r in item[1]])):
        kl = np.array([r["kl"] for r in rr])
        md.append(f"| {s} | {kl.mean():.4f} | {kl.max():.4f} | {np.mean([r['ess'] for r in rr]):.3f} | "
                  f"{np.mean([r['fit_s'] for r in rr]):.1f} |")
    write_results(args.out, "mlp_exact_tune", rows, md)


if __name__ == "__main__":
    main()
