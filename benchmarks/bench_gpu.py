"""GPU benchmark of the torch path: IADBMap fit / transform / log-det / bake on CUDA.

Prints point-steps/s (points × Euler steps per second) of ``IADBMap.transform`` (with and without
the exact log-det), fit samples/s (batch × iterations per second) and bake nodes/s, and the
fraction of the card's float32 matmul rate that the transform reaches. That rate is measured in
the same process with ``torch.matmul`` on large square matrices (default precision settings;
the TF32 flag is recorded). FLOPs of a point-step count the MLP's matrix products only (the
α embedding is folded into the first bias at fixed α): ``2·d·F + Σ 2·in·out`` per layer.
The log-det fraction is an estimate: forward + d backward passes ≈ (1 + 2d) × forward FLOPs.

Run by hand on a GPU machine: ``python benchmarks/bench_gpu.py [--quick]`` → prints the table and
writes ``benchmarks/results/gpu.{md,csv}`` with the card's name. Without a CUDA device it prints
a message and exits 0 without writing. ``--device cpu`` runs the same logic on the CPU (a smoke
test of the script; nothing is written).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from iadb_graphics import Gaussian, GaussianMixture, IADBMap  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device, repeats):
    """Median wall time of ``fn()`` over ``repeats`` runs, after one warm-up run."""
    fn()
    sync(device)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def matmul_rate(device, size, repeats):
    """Measured float32 FLOP/s of ``torch.matmul`` on ``size × size`` matrices."""
    gen = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, device=device, generator=gen)
    b = torch.randn(size, size, device=device, generator=gen)
    inner = 10 if device.type == "cuda" else 1
    t = timed(lambda: [torch.matmul(a, b) for _ in range(inner)], device, repeats)
    return 2.0 * size ** 3 * inner / t


def flops_per_point_step(m: IADBMap) -> float:
    """Matrix-product FLOPs of one velocity evaluation of one point (folded first layer)."""
    net, d = m.net, m.d
    f = net.x_freqs.shape[1]
    linears = [x for x in net.body if isinstance(x, torch.nn.Linear)]
    total = 2.0 * d * f
    n_in = d + 2 * f
    for i, lin in enumerate(linears):
        fan_in = n_in if i == 0 else lin.in_features
        total += 2.0 * fan_in * lin.out_features
    return total


def bench_config(device, width, depth, n_points, n_steps, fit_iters, repeats, bake_res):
    d = 2
    source = Gaussian([0.0, 0.0], np.eye(d))
    target = GaussianMixture([[-2.0, 0.0], [2.0, 1.0]], [0.3, 0.5])
    batch = 2048
    m = IADBMap(width=width, depth=depth, device=device, n_iters=fit_iters, batch_size=batch)
    t_fit = timed(lambda: m.fit(source, target, rng=0, progress=False),
                  device, 1)
    x = torch.randn(n_points, d, device=device, generator=torch.Generator(device=device).manual_seed(1))
    chunk = n_points
    t_fwd = timed(lambda: m.transform(x, n_steps=n_steps, chunk_size=chunk), device, repeats)
    ld_chunk = min(n_points, 1 << 18)
    t_ld = timed(lambda: m.transform(x, n_steps=n_steps, return_log_det=True, chunk_size=ld_chunk), device, repeats)
    t_bake = timed(lambda: m.bake(bake_res, inverse=False), device, 1)
    fl = flops_per_point_step(m)
    ps_fwd = n_points * n_steps / t_fwd
    ps_ld = n_points * n_steps / t_ld
    return {"width": width, "depth": depth, "params": sum(p.numel() for p in m.net.parameters()),
            "flops_per_point_step": fl, "n_points": n_points, "n_steps": n_steps,
            "transform_point_steps_s": ps_fwd, "transform_flops_s": ps_fwd * fl,
            "logdet_point_steps_s": ps_ld, "logdet_flops_s_est": ps_ld * fl * (1 + 2 * d),
            "fit_samples_s": fit_iters * batch / t_fit, "fit_iters": fit_iters,
            "bake_nodes_s": bake_res ** d / t_bake, "bake_res": bake_res}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu (smoke test, writes nothing)")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("bench_gpu: no CUDA device is available (torch.cuda.is_available() is False); nothing measured, "
              "nothing written. Run it on a machine with an NVIDIA GPU and a CUDA build of torch, or pass "
              "--device cpu to smoke-test the script.")
        return 0
    on_gpu = device.type == "cuda"
    small = args.quick or not on_gpu
    name = torch.cuda.get_device_name(device) if on_gpu else f"CPU ({torch.get_num_threads()} torch threads)"
    repeats = 1 if small else 3
    mm_size = 8192 if on_gpu else 1024
    rate = matmul_rate(device, mm_size, repeats)
    print(f"{name}: torch.matmul float32 {mm_size}² → {rate / 1e12:.2f} TFLOP/s "
          f"(allow_tf32={torch.backends.cuda.matmul.allow_tf32})")
    if small:
        configs = [(64, 3, 1 << 18, 128, 200) if on_gpu else (64, 3, 1 << 14, 16, 20)]
    else:
        configs = [(64, 3, 1 << 21, 128, 500), (256, 4, 1 << 20, 128, 500)]
    rows = []
    for width, depth, n, steps, iters in configs:
        r = bench_config(device, width, depth, n, steps, iters, repeats, 64 if not on_gpu else 512)
        r["transform_fraction"] = r["transform_flops_s"] / rate
        r["logdet_fraction_est"] = r["logdet_flops_s_est"] / rate
        rows.append(r)
        print(f"width {width} depth {depth}: transform {r['transform_point_steps_s'] / 1e6:,.1f} M point-steps/s "
              f"({100 * r['transform_fraction']:.1f} % of matmul), log-det {r['logdet_point_steps_s'] / 1e6:,.1f} "
              f"M point-steps/s (≈{100 * r['logdet_fraction_est']:.1f} %), fit {r['fit_samples_s'] / 1e6:.2f} "
              f"M samples/s, bake {r['bake_nodes_s'] / 1e6:.2f} M nodes/s")
    lines = [f"IADBMap on {name} (torch {torch.__version__}; float32 matmul measured at {rate / 1e12:.2f} TFLOP/s "
             f"on {mm_size}² matrices, allow_tf32={torch.backends.cuda.matmul.allow_tf32}"
             f"{'; quick run' if args.quick else ''}).", "",
             "| MLP (width × depth) | params | FLOP / point-step | points × steps | transform M point-steps/s "
             "| % of matmul | log-det M point-steps/s | ≈ % of matmul | fit M samples/s (iters) | bake M nodes/s (res²) |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['width']} × {r['depth']} | {r['params']:,} | {r['flops_per_point_step']:,.0f} "
                     f"| {r['n_points']:,} × {r['n_steps']} | {r['transform_point_steps_s'] / 1e6:,.1f} "
                     f"| {100 * r['transform_fraction']:.1f} | {r['logdet_point_steps_s'] / 1e6:,.1f} "
                     f"| {100 * r['logdet_fraction_est']:.1f} | {r['fit_samples_s'] / 1e6:.2f} ({r['fit_iters']}) "
                     f"| {r['bake_nodes_s'] / 1e6:.2f} ({r['bake_res']}²) |")
    lines += ["", "Fit: batch 2048, samples drawn on the CPU (numpy) and copied to the device each iteration. "
                  "Bake: `IADBMap.bake(res, inverse=False)` (numpy nodes in and out). Medians of "
                  f"{repeats} run(s) after a warm-up.", ""]
    text = "\n".join(lines)
    print(text)
    if not on_gpu:
        print("bench_gpu: CPU smoke run; results/gpu.md is only written from a CUDA run.")
        return 0
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "gpu.md"), "w") as f:
        f.write(text)
    with open(os.path.join(RESULTS, "gpu.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["device"] + list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({"device": name, **r})
    print(f"wrote {os.path.join(RESULTS, 'gpu.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
