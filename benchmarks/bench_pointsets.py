"""Point sets: generation time and quality, SOT kernel vs its numpy reference, MC integration slopes.

Writes benchmarks/results/pointsets.{csv,md,png}.

    python benchmarks/bench_pointsets.py            # full run (a few minutes on 2 cores)
    python benchmarks/bench_pointsets.py --quick    # smoke run

Quality columns: CD = centred L2 discrepancy (scipy), min distance × sqrt(N) (torus),
anisotropy = mean over rings of 10·log10(Var/mean²) of one periodogram (≈ 0 dB isotropic),
low-frequency power = mean radial power for |k| < 0.5 sqrt(N) (white noise: 1).
Timings are medians of repeats (time.perf_counter) in this process; the machine load average is
recorded because the 2 cores are shared.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
# The 2 cores are shared: OpenMP's spinning barriers collapse under oversubscription (measured
# 3-20x slower than one thread at load average 8-10), the non-spinning workqueue layer does not.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numba  # noqa: E402
import numpy as np  # noqa: E402

from iadb_graphics import pointsets as ps  # noqa: E402
from iadb_graphics._kernels import sot as ksot  # noqa: E402
from iadb_graphics.io import atomic_path  # noqa: E402
from iadb_graphics.metrics.integration import integration_error, random_gaussians, random_heavisides  # noqa: E402
from iadb_graphics.metrics.spectral import (anisotropy, discrepancy, min_distance, periodogram,  # noqa: E402
                                            radial_power)
from tests.naive import sot as nsot  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
KINDS = ["white", "jittered", "sobol", "halton", "poisson", "bluenoise"]
BLUE_ITERS_MC = 256  # sot_blue_noise iterations in the integration study (converged; keeps it short)


def _median_time(fn, repeats):
    times, out = [], None
    for i in range(repeats):
        t = time.perf_counter()
        out = fn(i)
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def _quality(x, res):
    n = len(x)
    p = periodogram(x, res)
    r, power = radial_power(p)
    _, an = anisotropy(p)
    return dict(cd=discrepancy(x), mind_sqrtn=min_distance(x) * np.sqrt(n), aniso_db=float(np.nanmean(an)),
                low_power=float(power[r < 0.5 * np.sqrt(n)].mean()))


def bench_generation(ns, repeats, rows, spectra):
    for n in ns:
        res = int(min(128, 2 * np.sqrt(n)))
        for kind in KINDS:
            make = ps.POINT_SETS[kind]
            reps = repeats if (kind != "bluenoise" or n <= 1024) else 1
            t, x = _median_time(lambda i: make(n, rng=1000 + i), reps)
            q = _quality(x, res)
            rows.append(dict(table="generation", kind=kind, n=n, time_s=t, **q))
            print(f"  {kind:10s} N={n:6d} {t:8.3f} s  CD {q['cd']:.2e}  mind*sqrtN {q['mind_sqrtn']:.3f}  "
                  f"aniso {q['aniso_db']:+.2f} dB  low-f power {q['low_power']:.4f}", flush=True)
            if n == ns[min(1, len(ns) - 1)]:
                sets = [x] + [make(n, rng=2000 + i) for i in range(3)]
                spectra[kind] = radial_power(periodogram(sets, res))


def bench_sot(n, n_iters, n_dirs, repeats, rows):
    rng = np.random.default_rng(7)
    x0 = rng.random((n, 2))
    ang = rng.random((n_iters, n_dirs)) * 2 * np.pi
    dirs = np.stack([np.cos(ang), np.sin(ang)], -1)
    out = {}
    for threads in (2, 1):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        ksot.sot_uniform2d(x0[:64], dirs[:1], 1.0, numba.get_num_threads())
        cpu = time.process_time()
        t, y = _median_time(lambda i: ksot.sot_uniform2d(x0, dirs, 1.0, numba.get_num_threads()), repeats)
        cpu = (time.process_time() - cpu) / repeats
        out[threads] = (t, cpu, y)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    t_ref, y_ref = _median_time(lambda i: nsot.sot_uniform2d(x0, dirs, 1.0), 1)
    res = int(min(128, 2 * np.sqrt(n)))
    qk, qr = _quality(np.clip(out[2][2], 0, 1 - 1e-16), res), _quality(np.clip(y_ref, 0, 1 - 1e-16), res)
    diff = float(np.abs(out[2][2] - y_ref).max())
    for name, t, cpu, q in (("numba kernel, 2 threads", out[2][0], out[2][1], qk),
                            ("numba kernel, 1 thread", out[1][0], out[1][1], qk),
                            ("numpy reference", t_ref, float("nan"), qr)):
        rows.append(dict(table="sot", kind=name, n=n, time_s=t, cpu_s=cpu, speedup=t_ref / t,
                         n_iters=n_iters, n_dirs=n_dirs, max_abs_diff=diff, **q))
        print(f"  SOT {name:24s} {t:8.3f} s (cpu {cpu:.3f} s)  x{t_ref / t:6.1f}  "
              f"mind*sqrtN {q['mind_sqrtn']:.3f} low-f {q['low_power']:.5f}", flush=True)


def bench_integration(ns, n_trials, rows):
    fams = {"gaussian": random_gaussians(32, rng=11), "heaviside": random_heavisides(32, rng=12)}
    makers = {k: ps.POINT_SETS[k] for k in KINDS}
    makers["bluenoise"] = lambda n, rng: ps.sot_blue_noise(n, n_iters=BLUE_ITERS_MC, rng=rng)
    res = integration_error(makers, fams, ns=ns, n_trials=n_trials, rng=13)
    for (kind, fam), mse in res.mse.items():
        for n, m in zip(res.ns, mse):
            rows.append(dict(table="integration", kind=kind, family=fam, n=int(n), mse=float(m),
                             slope=res.slopes[(kind, fam)]))
    return res


def write_outputs(rows, spectra, integ, meta):
    os.makedirs(RESULTS, exist_ok=True)
    keys = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with atomic_path(os.path.join(RESULTS, "pointsets.csv")) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    md = [f"# Point sets ({meta})", "",
          "## Generation time and quality", "",
          "| kind | N | time (s) | CD discrepancy | min dist × √N | anisotropy (dB) | low-freq power |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["table"] == "generation":
            md.append(f"| {r['kind']} | {r['n']} | {r['time_s']:.3f} | {r['cd']:.2e} | {r['mind_sqrtn']:.3f} | "
                      f"{r['aniso_db']:+.2f} | {r['low_power']:.4f} |")
    sot_rows = [r for r in rows if r["table"] == "sot"]
    if sot_rows:
        r0 = sot_rows[0]
        md += ["", f"## sot_blue_noise kernel vs numpy reference (N={r0['n']}, {r0['n_dirs']} directions, "
               f"{r0['n_iters']} iterations, same directions)", "",
               "| implementation | wall time (s) | process CPU (s) | speed-up vs numpy | min dist × √N | "
               "low-freq power | CD |", "|---|---:|---:|---:|---:|---:|---:|"]
        for r in sot_rows:
            md.append(f"| {r['kind']} | {r['time_s']:.2f} | {r['cpu_s']:.2f} | {r['speedup']:.1f} | "
                      f"{r['mind_sqrtn']:.3f} | {r['low_power']:.5f} | {r['cd']:.2e} |")
        md.append(f"\nmax |kernel − reference| over all coordinates: {r0['max_abs_diff']:.1e}")
    md += ["", f"## Monte Carlo integration: fitted slope of log MSE vs log N (N = "
           f"{', '.join(str(int(n)) for n in integ.ns)}; {integ.n_trials} trials × 32 integrands per family; "
           f"bluenoise with {BLUE_ITERS_MC} iterations)", "",
           "| kind | Gaussian slope | Heaviside slope | MSE Gaussian @ max N | MSE Heaviside @ max N |",
           "|---|---:|---:|---:|---:|"]
    for kind in KINDS:
        md.append(f"| {kind} | {integ.slopes[(kind, 'gaussian')]:.2f} | {integ.slopes[(kind, 'heaviside')]:.2f} | "
                  f"{integ.mse[(kind, 'gaussian')][-1]:.2e} | {integ.mse[(kind, 'heaviside')][-1]:.2e} |")
    with atomic_path(os.path.join(RESULTS, "pointsets.md")) as tmp, open(tmp, "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))

    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    for kind, (r, p) in spectra.items():
        axes[0].plot(r / np.sqrt(spectra_n[0]), p, label=kind)
    axes[0].axhline(1, color="0.5", ls="--", lw=1)
    axes[0].set_xlabel("|k| / sqrt(N)")
    axes[0].set_ylabel("radial power (4 realisations)")
    axes[0].set_title(f"radial power spectra, N = {spectra_n[0]}")
    axes[0].set_ylim(0, 3)
    axes[0].legend(fontsize=8)
    for ax, fam in zip(axes[1:], ("gaussian", "heaviside")):
        for kind in KINDS:
            ax.loglog(integ.ns, integ.mse[(kind, fam)], "o-", ms=3,
                      label=f"{kind} ({integ.slopes[(kind, fam)]:.2f})")
        ax.set_xlabel("N")
        ax.set_ylabel("MSE")
        ax.set_title(f"MC integration MSE, {fam} integrands")
        ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(os.path.join(RESULTS, "pointsets.png")) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


spectra_n = [0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke run)")
    args = ap.parse_args(argv)
    if args.quick:
        ns, repeats, sot_cfg, int_ns, trials = [256, 1024], 1, (1024, 64, 64, 1), [64, 256, 1024], 4
    else:
        ns, repeats, sot_cfg, int_ns, trials = [1024, 4096, 16384], 3, (4096, 1024, 64, 3), [64, 256, 1024, 4096], 16
    spectra_n[0] = ns[min(1, len(ns) - 1)]
    # compile every kernel before timing
    for kind in KINDS:
        ps.POINT_SETS[kind](16, rng=0)
    periodogram(np.random.default_rng(0).random((8, 2)), 2)
    ksot.sot_uniform2d(np.random.default_rng(0).random((8, 2)), np.ones((1, 2, 2)) / np.sqrt(2), 1.0, 1)
    load0 = os.getloadavg()[0]
    rows, spectra = [], {}
    print("generation:", flush=True)
    bench_generation(ns, repeats, rows, spectra)
    print("sot kernel vs numpy:", flush=True)
    bench_sot(*sot_cfg, rows)
    print("integration:", flush=True)
    integ = bench_integration(int_ns, trials, rows)
    load1 = os.getloadavg()[0]
    meta = (f"{'quick' if args.quick else 'full'} run, NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}, "
            f"threading layer {numba.threading_layer()}, load average {load0:.1f} → {load1:.1f} on "
            f"{os.cpu_count()} cores")
    write_outputs(rows, spectra, integ, meta)


if __name__ == "__main__":
    main()
