"""Benchmark of the learned IADB map (IADBMap): quality vs training time, and transform throughput.

For each pair (uniform→moons, 8gaussians→moons, gaussian→checkerboard, uniform→photo density),
N = 4096: fit time (CPU threads as set), W2 / iid floor and optimality ratio for several
``n_iters``; then the throughput of ``transform`` on 10⁶ 2D points at default settings, in
point-steps/s and as a fraction of the float32 matmul rate measured in the same process.

    python benchmarks/bench_learned_map.py            # full run (~10 min on 2 cores)
    python benchmarks/bench_learned_map.py --quick    # smoke run

Writes benchmarks/results/learned_map.{csv,md,png}.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from iadb_graphics import Gaussian, IADBMap, ImageDensity, Uniform, toy2d  # noqa: E402
from iadb_graphics.data import sample_photo  # noqa: E402
from iadb_graphics.metrics import iid_floor, optimality_ratio, w2  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def pairs():
    return {
        "uniform→moons": (Uniform(), toy2d("moons")),
        "8gaussians→moons": (toy2d("8gaussians"), toy2d("moons")),
        "gaussian→checkerboard": (Gaussian((0.5, 0.5), 0.03), toy2d("checkerboard")),
        "uniform→photo": (Uniform(), ImageDensity(sample_photo(128))),
    }


def matmul_gflops(repeats=5, size=2048):
    """Median float32 GEMM rate of this process (GFLOP/s)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * size ** 3 / statistics.median(times) / 1e9


def flops_per_point_step(m: IADBMap):
    """Multiply-adds ×2 of one velocity evaluation at fixed α (the folded first layer)."""
    d, f, w = m.d, m.x_features, m.width
    n_in = d + 2 * f
    return 2 * (d * f + n_in * w + (m.depth - 1) * w * w + w * d)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--iters", default="2000,6000", help="comma-separated n_iters to fit")
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--throughput-points", type=int, default=1_000_000)
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    args = p.parse_args(argv)
    iters = [int(i) for i in args.iters.split(",")]
    n, n_big = args.n, args.throughput_points
    if args.quick:
        iters, n, n_big = [300], 1024, 50_000
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(0)
    rows = []
    print(f"torch threads: {torch.get_num_threads()}, training threads: 1 (IADBMap default)", flush=True)
    for name, (src, tgt) in pairs().items():
        x0 = src.sample(n, rng=rng)
        refs = [tgt.sample(n, rng=rng) for _ in range(2)]
        floor = iid_floor(tgt, n, rng=rng, n_repeats=2)
        for k in iters:
            t0 = time.perf_counter()
            m = IADBMap().fit(src, tgt, n_iters=k, rng=1)
            fit_s = time.perf_counter() - t0
            y = m.transform(x0)
            ratio = float(np.mean([w2(y, r) for r in refs]) / floor)
            rows.append(dict(pair=name, n_iters=k, fit_s=fit_s, w2_over_floor=ratio,
                             optimality_ratio=optimality_ratio(x0, y)))
            print(rows[-1], flush=True)

    # throughput of transform at default settings (last fitted map)
    gemm = matmul_gflops()
    xs = Uniform().sample(n_big, rng=rng)
    m.transform(xs[:20000])
    times = []
    for _ in range(3 if not args.quick else 1):
        t0 = time.perf_counter()
        m.transform(xs)
        times.append(time.perf_counter() - t0)
    t_med = statistics.median(times)
    pt_steps = n_big * 128 / t_med
    frac = pt_steps * flops_per_point_step(m) / 1e9 / gemm
    thr = dict(points=n_big, transform_s=t_med, point_steps_per_s=pt_steps, matmul_gflops=gemm,
               fraction_of_matmul=frac)
    print(thr, flush=True)

    with open(os.path.join(args.out, "learned_map.csv"), "w") as f:
        f.write("pair,n_iters,fit_s,w2_over_floor,optimality_ratio\n")
        for r in rows:
            f.write(f"{r['pair']},{r['n_iters']},{r['fit_s']:.3f},{r['w2_over_floor']:.4f},{r['optimality_ratio']:.4f}\n")
    md = [f"N = {n}; W2 against 2 fresh target samples / iid floor (mean of 2); fit on 1 torch thread; "
          f"{time.strftime('%Y-%m-%d')}, `python benchmarks/bench_learned_map.py{' --quick' if args.quick else ''}`",
          "", "| pair | n_iters | fit (s) | W2 / iid floor | optimality ratio |", "|---|---|---|---|---|"]
    md += [f"| {r['pair']} | {r['n_iters']} | {r['fit_s']:.1f} | {r['w2_over_floor']:.3f} | {r['optimality_ratio']:.3f} |"
           for r in rows]
    md += ["", f"transform of {n_big:,} 2D points, 128 Euler steps, default network: median {t_med:.1f} s "
               f"= {pt_steps / 1e6:.1f} M point-steps/s = {100 * frac:.0f} % of this process's float32 "
               f"matmul rate ({gemm:.0f} GFLOP/s, {torch.get_num_threads()} threads)"]
    with open(os.path.join(args.out, "learned_map.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in pairs():
        rr = [r for r in rows if r["pair"] == name]
        ax.plot([r["fit_s"] for r in rr], [r["w2_over_floor"] for r in rr], "o-", label=name)
    ax.axhline(1.3, color="k", ls="--", lw=0.8, label="target 1.3")
    ax.set_xlabel("fit time (s)")
    ax.set_ylabel("W2 / iid floor")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "learned_map.png"), dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
