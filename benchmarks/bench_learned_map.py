"""Learned IADB map (IADBMap) vs a neural spline flow (zuko NSF) at equal fit time, with the grid map.

For each target with a known density (matplotlib's bundled photo, a real elevation model as a
terrain density, a checkerboard), from the source of the row: fit the grid map and the MLP map
with their defaults, then train zuko's NSF (4 transforms, 64×64, on logit box coordinates) for
as long as the MLP map took. Where the densities allow it (uniform → image) the MLP map's default
regresses onto the exact field E[x1 − x0 | x_α]; the row "pair targets (before)" is the same
network trained on single pairs' x1 − x0 (``field="samples"``). Columns: KL(q‖p) ± s.e. and ESS from M exact log-densities, the
debiased Sinkhorn divergence and the energy statistic against fresh N-samples, each paired with
an exact sample's value so that no figure can read better than an exact sampler (``_quality``),
fit time, samples/s; W2 / iid floor as a secondary column, in the CSV only.

    python benchmarks/bench_learned_map.py            # full run (~10 min on 2 idle cores)
    python benchmarks/bench_learned_map.py --quick    # smoke run

Writes benchmarks/results/learned_map.{csv,md,png}.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from _quality import (SAMPLE_COLUMNS_NOTE, SAMPLE_DRAWS, ExactBaseline, SplineFlowPeer, density_quality,  # noqa: E402
                      energy_cell, fmt, kl_cell, sample_quality, sinkhorn_cell)

from iadb_graphics import Gaussian, GridIADBMap, IADBMap, ImageDensity, Uniform, toy2d  # noqa: E402
from iadb_graphics.data import sample_image  # noqa: E402


def cases(size):
    return {
        "uniform→photo": (Uniform(), ImageDensity(sample_image("grace_hopper", size))),
        "uniform→terrain": (Uniform(), ImageDensity(sample_image("jacksboro", size))),
        "gaussian→checkerboard": (Gaussian((0.5, 0.5), 0.03), toy2d("checkerboard")),
    }


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def read_rows(path):
    """The rows of a learned_map.csv written by this script (numbers as floats)."""
    with open(path, newline="") as f:
        return [{k: (v if k in ("case", "method") else float(v) if v else float("nan")) for k, v in r.items()}
                for r in csv.DictReader(f)]


def plot_kl_vs_fit(rows, path):
    """KL (± s.e.) against fit time, one panel per case, one colour and marker per method.

    A case whose every KL is infinite (mass outside the target's support) gets a panel that says
    so instead of an empty one. Markers are open and of different shapes, so methods whose points
    coincide (equal KL at equal fit time) stay visible.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    method = lambda r: r["method"].split(" (")[0]  # noqa: E731  "zuko NSF (866 it)" → "zuko NSF"
    names = list(dict.fromkeys(r["case"] for r in rows))
    methods = list(dict.fromkeys(method(r) for r in rows))
    style = {m: (f"C{k}", "osD^v<>p"[k % 8]) for k, m in enumerate(methods)}
    fig, axes = plt.subplots(1, len(names), figsize=(3.4 * len(names), 3.5), squeeze=False)
    for ax, case in zip(axes[0], names):
        rr = [r for r in rows if r["case"] == case and np.isfinite(r["kl"])]
        ax.set_title(case, fontsize=9)
        ax.set_xlabel("fit time (s)")
        ax.set_xscale("log")
        if not rr:
            ax.text(0.5, 0.5, "KL = ∞ for every method:\nsome mass falls outside\nthe target's support",
                    ha="center", va="center", transform=ax.transAxes, fontsize=8)
            ax.set_xticks([], minor=True)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        for r in rr:
            colour, marker = style[method(r)]
            se = r.get("kl_se", float("nan"))
            ax.errorbar(r["fit_s"], r["kl"], yerr=se if np.isfinite(se) else None, fmt=marker, ms=7 - len(rr) // 2,
                        mfc="none", mec=colour, ecolor=colour, mew=1.5, capsize=2)
        ax.set_yscale("log")
        ax.margins(x=0.3, y=0.2)
        ax.set_ylabel("KL(q‖p) (nats)")
    handles = [plt.Line2D([], [], ls="none", marker=mk, mfc="none", mec=c, mew=1.5, label=m)
               for m, (c, mk) in style.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small M, N and MLP budget (smoke run)")
    p.add_argument("--cases", default=None, help="comma-separated subset of the case names")
    p.add_argument("--m", type=int, default=20000, help="samples for KL / ESS / samples/s")
    p.add_argument("--n", type=int, default=4096, help="points for the sample-based columns")
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--replot", action="store_true", help="only redraw learned_map.png from the CSV in --out")
    args = p.parse_args(argv)
    if args.replot:
        plot_kl_vs_fit(read_rows(os.path.join(args.out, "learned_map.csv")), os.path.join(args.out, "learned_map.png"))
        return 0
    m_pts, n = (4000, 1000) if args.quick else (args.m, args.n)
    m_pts = max(m_pts, n * SAMPLE_DRAWS)
    mlp_kw = {"n_iters": 200} if args.quick else {}
    all_cases = cases(64 if args.quick else 128)
    names = list(all_cases) if args.cases is None else args.cases.split(",")
    os.makedirs(args.out, exist_ok=True)
    rows = []
    print(f"torch threads: {torch.get_num_threads()}; load: {os.getloadavg()[0]:.1f}", flush=True)
    for case in names:
        src, tgt = all_cases[case]
        x = src.sample(m_pts, rng=7)
        baseline = ExactBaseline(tgt, n=n, rng=11)
        fits = {}
        fits["grid (default)"] = _timed(lambda: GridIADBMap().fit(src, tgt, rng=0))
        fits["mlp (default)"] = _timed(lambda: IADBMap(**mlp_kw).fit(src, tgt, rng=0))
        budget = fits["mlp (default)"][0]
        if fits["mlp (default)"][1].settings_["field"] == "exact":  # the former regression onto single pairs
            fits["mlp, pair targets (before)"] = _timed(lambda: IADBMap(field="samples", **mlp_kw).fit(src, tgt, rng=0))
        nsf = SplineFlowPeer().fit(src, tgt, budget, rng=0)
        fits[f"zuko NSF ({nsf.n_iters} it)"] = (nsf.fit_s, nsf)
        for method, (fit_s, model) in fits.items():
            model.transform(x[:100])
            tr_s, y = _timed(lambda: model.transform(x))
            row = {"case": case, "method": method, "fit_s": fit_s, "samples_per_s": m_pts / tr_s}
            row.update(density_quality(lambda z: model.transform(z, return_log_det=True), src, tgt, x))
            row.update(sample_quality(y, baseline))
            rows.append(row)
            print({k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)

    keys = ["case", "method", "fit_s", "samples_per_s", "kl", "kl_se", "ess", "outside", "sinkhorn",
            "sinkhorn_iid", "sinkhorn_excess", "sinkhorn_excess_se", "energy_z", "energy_z_iid", "w2_over_floor"]
    with open(os.path.join(args.out, "learned_map.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in keys})
    md = [f"M = {m_pts} samples for KL(q‖p) (nats) and ESS (1 = exact). "
          + SAMPLE_COLUMNS_NOTE.format(draws=SAMPLE_DRAWS, n=n)
          + f" The NSF trains for as long as the MLP map. CPU, "
          f"load {os.getloadavg()[0]:.1f}; `python benchmarks/bench_learned_map.py{' --quick' if args.quick else ''}`", "",
          "| case | method | KL (nats) | ESS | S ×10⁻⁴ above exact | exact S ×10⁻⁴ | energy | fit (s) | samples/s |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['case']} | {r['method']} | {kl_cell(r)} | {fmt(r['ess'], '.3f')} | "
                  f"{sinkhorn_cell(r)} | {1e4 * r['sinkhorn_iid']:.2f} | {energy_cell(r)} | "
                  f"{r['fit_s']:.1f} | {r['samples_per_s']:,.0f} |")
    with open(os.path.join(args.out, "learned_map.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))

    plot_kl_vs_fit(rows, os.path.join(args.out, "learned_map.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
