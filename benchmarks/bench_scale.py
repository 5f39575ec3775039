"""Scale benchmark: one colour grade over many large images, and maps over 10^8 points, on Dask.

Images: 24 frames of ~4 MP (PNG), synthetic: matplotlib's bundled ``grace_hopper.jpg`` upsampled
(bilinear) to 2048 × 2048 with a different tint, shift and mirror per frame, written to a temp
folder. ``transfer_many`` (default method, CIELAB, LUT 33³, colours pooled from all frames) is
timed end to end — pooled colour sampling, fit, bake, then read → LUT → write of every frame — on
local threads (no Dask) and on a ``LocalCluster`` of 1 and 2 worker processes (1 thread each,
``NUMBA_NUM_THREADS=1`` per worker, so N workers use about N cores). The fit + bake alone is also
timed in process. Cluster start-up and worker warm-up (imports, Numba cache loads) are excluded.

Points: ``map_points`` over a lazy ``dask.array`` of 10^8 uniform 2D points (chunks of 2^20,
generated on the workers), reduced with ``.sum(axis=0)`` so that nothing is held in memory, for
a GridIADBMap (16 Euler steps) and its 256² BakedMap; "source only" is the same graph without the
map (random generation + reduction). The in-process ``transform`` rate on 10^6 points (2 Numba
threads) is the baseline of the ratio column.

Each batch and each point pass is timed once by default (``--repeats``, ``--point-repeats``: medians).
``--grid-points 1e7`` shortens the GridIADBMap rows (one 10^8 pass takes ~40 s per worker-core here
when the machine is idle, several minutes when it is shared). Usage:
``python benchmarks/bench_scale.py [--quick]`` → ``benchmarks/results/scale.{csv,md}``
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from iadb_graphics import Gaussian, GridIADBMap  # noqa: E402
from iadb_graphics.io import write_image  # noqa: E402
from iadb_graphics.color.batch import batch_lut, transfer_many  # noqa: E402
from iadb_graphics.parallel import map_points, require_dask  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
WORKER_ENV = {"OMP_WAIT_POLICY": "passive", "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def make_frames(folder, n, side):
    """``n`` PNG frames ``side × side``: the bundled portrait upsampled, tinted, shifted, mirrored."""
    import imageio.v3 as iio
    import matplotlib.cbook as cbook
    from scipy import ndimage

    base = np.asarray(iio.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    f = side / min(base.shape[:2])
    big = np.stack([ndimage.zoom(base[..., c], f, order=1) for c in range(3)], axis=-1)[:side, :side]
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        tint = rng.uniform(0.8, 1.15, 3)
        tables = np.clip(np.arange(256)[:, None] * tint + 0.5, 0, 255).astype(np.uint8)  # (256, 3)
        frame = np.roll(big, int(rng.integers(side)), axis=0)
        frame = np.stack([tables[frame[..., c], c] for c in range(3)], axis=-1)
        if i % 2:
            frame = frame[:, ::-1]
        path = os.path.join(folder, f"frame{i:03d}.png")
        write_image(path, frame)
        paths.append(path)
    return paths, (base[::-1, ::-1] * [1.1, 0.85, 0.7]).clip(0, 255).astype(np.uint8)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def cluster(n_workers):
    from distributed import Client, LocalCluster

    c = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address=None, env=WORKER_ENV)
    return c, Client(c)


def bench_images(paths, palette, tmp, repeats, worker_counts):
    rows = []
    opts = {"lut_size": 33, "rng": 0}
    t_fit = median_time(lambda: batch_lut(paths, palette, **opts), 1)
    rows.append({"part": "images", "setting": "fit + bake only (in process)", "workers": 0,
                 "n": len(paths), "seconds": t_fit, "rate": len(paths) / t_fit})

    def run(client, tag):
        out = os.path.join(tmp, f"out-{tag}")

        def once():
            shutil.rmtree(out, ignore_errors=True)
            summary = transfer_many(paths, palette, out, client=client, progress=False, **opts)
            bad = [s for s in summary if not s[1]]
            if bad:
                raise RuntimeError(f"benchmark batch failed: {bad[:3]}")
        return median_time(once, repeats)

    t = run(None, "threads")
    rows.append({"part": "images", "setting": "transfer_many, local threads", "workers": 0,
                 "n": len(paths), "seconds": t, "rate": len(paths) / t})
    for w in worker_counts:
        c, client = cluster(w)
        try:
            transfer_many(paths[:2], palette, os.path.join(tmp, "warm"), client=client, overwrite=True,
                          progress=False, method="reinhard", lut_size=9)  # warm-up: imports, Numba caches
            t = run(client, f"w{w}")
        finally:
            client.close()
            c.close()
        rows.append({"part": "images", "setting": "transfer_many, LocalCluster", "workers": w,
                     "n": len(paths), "seconds": t, "rate": len(paths) / t})
    for r in rows[1:]:
        apply_s = r["seconds"] - t_fit  # meaningful only when the fit is a small part of the batch
        r["rate_excl_fit"] = len(paths) / apply_s if apply_s > 0.2 * r["seconds"] else None
    return rows


def bench_points(n_points, n_grid, repeats, worker_counts):
    """Points/s of ``map_points`` (each timing a median of ``repeats`` full passes over ``n_points``)."""
    import dask

    da = require_dask()
    grid = GridIADBMap(n_steps=16).fit(Gaussian([0.5, 0.5], 0.02 * np.eye(2)),
                                       Gaussian([0.4, 0.6], [[0.03, 0.01], [0.01, 0.01]]), rng=0)
    baked = grid.bake(256, bounds=[[-0.5, 1.5], [-0.5, 1.5]], inverse=False)
    maps = {"GridIADBMap (16 steps)": grid, "BakedMap 256²": baked}
    x = np.random.default_rng(1).random((10 ** 6, 2))
    base = {}
    for name, m in maps.items():
        m.transform(x[:100])
        base[name] = x.shape[0] / median_time(lambda m=m: m.transform(x), repeats)
    rows = [{"part": "points", "setting": f"{name}: in-process transform, 10^6 pts (baseline)", "workers": 0,
             "n": x.shape[0], "seconds": x.shape[0] / r, "rate": r, "ratio": 1.0} for name, r in base.items()]
    chunk = min(1 << 20, n_points)
    for w in worker_counts:
        c, client = cluster(w)
        try:
            def graph(m, n):
                pts = da.random.default_rng(2).random((n, 2), chunks=(min(chunk, n), 2))
                return (pts if m is None else map_points(pts, m)).sum(axis=0)

            for m in maps.values():  # warm-up: ship the maps' code, load Numba caches
                map_points(da.random.default_rng(3).random((1000, 2), chunks=(500, 2)), m).sum().compute()
            for name, m in [("source only (random + sum)", None)] + list(maps.items()):
                n = n_grid if m is grid else n_points
                t = median_time(lambda m=m, n=n: dask.compute(graph(m, n)), repeats)
                label = name if m is None else f"{name}: map_points"
                rows.append({"part": "points", "setting": label, "workers": w, "n": n,
                             "seconds": t, "rate": n / t,
                             "ratio": (n / t) / base[name] if name in base else None})
        finally:
            client.close()
            c.close()
    return rows


def write_results(rows, args, meta):
    os.makedirs(RESULTS, exist_ok=True)
    fields = ["part", "setting", "workers", "n", "seconds", "rate", "rate_excl_fit", "ratio"]
    with open(os.path.join(RESULTS, "scale.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k) for k in fields})
    runs = f"medians of {args.repeats} image run(s), {args.point_repeats} point run(s)"
    lines = [f"Scale on Dask ({meta}; {runs}{'; quick run' if args.quick else ''}).", "",
             "| part | setting | workers | n | time (s) | rate | img/s excl. fit | × in-process |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        unit = "img/s" if r["part"] == "images" else "pts/s"
        rate = f"{r['rate']:.2f} {unit}" if r["part"] == "images" else f"{r['rate'] / 1e6:.2f} M{unit}"
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else "–"
        workers = r["workers"] if r["workers"] else "–"
        excl = f"{r['rate_excl_fit']:.2f}" if r.get("rate_excl_fit") is not None else "–"
        lines.append(f"| {r['part']} | {r['setting']} | {workers} | {r['n']:,} | {r['seconds']:.2f} | {rate} | {excl} "
                     f"| {ratio} |")
    lines += ["", "Workers: separate processes, 1 thread and `NUMBA_NUM_THREADS=1` each; the in-process "
                  "baselines use 2 Numba threads. Image time includes pooled colour sampling, fit and bake "
                  "(see the fit-only row) and PNG decode/encode of every frame; \"img/s excl. fit\" subtracts the "
                  "fit-only time. × in-process: points/s over the same map's in-process transform rate.", ""]
    text = "\n".join(lines)
    with open(os.path.join(RESULTS, "scale.md"), "w") as f:
        f.write(text)
    print(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 4 small images, 10^6 points")
    parser.add_argument("--points", type=float, default=None, help="number of points (default 1e8; quick 1e6)")
    parser.add_argument("--grid-points", type=float, default=None,
                        help="points for the GridIADBMap rows (default: --points; 1e7 on a busy machine)")
    parser.add_argument("--repeats", type=int, default=1, help="timing repeats of the image batches")
    parser.add_argument("--point-repeats", type=int, default=1, help="timing repeats of the 10^8-point passes")
    args = parser.parse_args(argv)
    n_images, side = (4, 512) if args.quick else (24, 2048)
    n_points = int(args.points or (1e6 if args.quick else 1e8))
    n_grid = int(args.grid_points or n_points)
    require_dask()
    t0 = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="iadb-bench-scale-")
    try:
        paths, palette = make_frames(tmp, n_images, side)
        print(f"{n_images} frames of {side}×{side} ({side * side / 1e6:.1f} MP) in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        rows = bench_images(paths, palette, tmp, args.repeats, (1, 2))
        print(f"images done at {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        rows += bench_points(n_points, n_grid, args.point_repeats, (1, 2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    meta = f"{os.cpu_count()}-core CPU shared with other users; {n_images} PNG frames of {side}×{side}"
    write_results(rows, args, meta)
    print(f"total {time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
