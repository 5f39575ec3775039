"""Time ``IADBMap.transform`` with 1 and 2 torch threads, idle and under CPU load, per OpenMP wait policy.

Each configuration runs in a fresh process (the OpenMP wait policy is read when torch starts its
thread pool). "loaded" starts one busy-looping process per core for the duration of the run, as a
build or a second program would. Writes ``benchmarks/results/transform_threads.{csv,md}`` (``--name`` to change), row by row.

    python benchmarks/bench_transform_threads.py [--quick]
"""
import argparse
import csv
import itertools
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")

CHILD = r"""
import json, os, sys, time
import numpy as np, torch
from iadb_graphics.densities import Uniform, toy2d
from iadb_graphics.maps.iadb import IADBMap
threads, n, repeats, policy = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
m = IADBMap(train_threads=1).fit(Uniform(), toy2d("moons"), n_iters=20, rng=0, progress=False)
x = np.random.default_rng(1).random((n, 2))
if threads > 0:  # a fixed count: bypass the library's choice
    import iadb_graphics.maps.iadb as iadb
    iadb.evaluation_threads = lambda device: None
    torch.set_num_threads(threads)
m.transform(x[:64])  # warm-up
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    m.transform(x)
    times.append(time.perf_counter() - t0)
print(json.dumps({"torch_threads_in_transform": torch.get_num_threads(), "times": times}))
"""


def _busy(n):
    return [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(n)]


def run_one(threads, n, repeats, policy, loaded):
    env = dict(os.environ)
    if policy == "default":
        env.pop("OMP_WAIT_POLICY", None)
    else:
        env["OMP_WAIT_POLICY"] = policy
    hogs = _busy(os.cpu_count()) if loaded else []
    try:
        time.sleep(0.5 if loaded else 0)
        out = subprocess.run([sys.executable, "-c", CHILD, str(threads), str(n), str(repeats), policy],
                             env=env, capture_output=True, text=True, timeout=900)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    if out.returncode:
        raise RuntimeError(out.stderr)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    times = sorted(res["times"])
    return times[len(times) // 2]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--n", type=int, nargs="+", default=[1024, 16384])
    p.add_argument("--threads", default="1,2,0", help="torch threads to compare (0: the library's default)")
    p.add_argument("--name", default="transform_threads", help="results file name (without extension)")
    args = p.parse_args(argv)
    sizes = [1024] if args.quick else args.n
    repeats = 3
    threads = [int(t) for t in args.threads.split(",")]
    rows = []
    load_before = os.getloadavg()[0]
    for n, policy, loaded, t in itertools.product(sizes, ("default", "passive"), (False, True), threads):
        median = run_one(t, n, repeats, policy, loaded)
        rows.append({"n": n, "omp_wait_policy": policy, "machine": "loaded" if loaded else "idle",
                     "torch_threads": t if t else "library default", "median_s": median,
                     "load_average": round(os.getloadavg()[0], 2)})
        print(rows[-1], flush=True)
        _write(rows, load_before, args.name)  # after every row: a long run that is stopped keeps its rows


def _write(rows, load_before, name):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f"{name}.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = ["| points | OMP_WAIT_POLICY | machine | torch threads | transform (s, median of 3) | load average |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['n']} | {r['omp_wait_policy']} | {r['machine']} | {r['torch_threads']} | {r['median_s']:.3f} "
              f"| {r['load_average']:.1f} |" for r in rows]
    lines += ["", f"{os.cpu_count()} cores; 1-minute load average before the run {load_before:.2f} "
              "(other programs were running, so \"idle\" means no load of ours); \"loaded\": one "
              "busy-looping process per core added; \"library default\": no thread setting by the caller. "
              "IADBMap defaults, 128 Euler steps."]
    with open(os.path.join(RESULTS, f"{name}.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
