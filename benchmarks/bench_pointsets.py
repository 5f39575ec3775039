"""Point sets: generation time and quality, learned blue noise vs its exemplar, SOT kernel vs its
numpy reference, MC integration slopes, density-adapted sets.

Writes benchmarks/results/pointsets.{csv,md,png} and pointsets_spectra.png.

    python benchmarks/bench_pointsets.py            # full run (a few minutes on 2 cores)
    python benchmarks/bench_pointsets.py --quick    # smoke run

Quality columns: CD = centred L2 discrepancy (scipy), min distance × sqrt(N) (torus),
anisotropy = mean over rings of 10·log10(Var/mean²) of one periodogram (≈ 0 dB isotropic),
low-frequency power = mean radial power for |k| < 0.5 sqrt(N) (white noise: 1).
"learned" is ``learned_blue_noise`` with its defaults: the shipped model's map followed by its short
sliced-OT refinement; "learned map alone" rows switch the refinement off (sot_iters=0).
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
from iadb_graphics.pointsets.learned import SOT_ITERS  # noqa: E402
from tests.naive import sot as nsot  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
KINDS = ["white", "jittered", "sobol", "halton", "poisson", "bluenoise", "learned"]
EXEMPLAR_KIND = {"sot": "bluenoise", "poisson": "poisson"}  # the model's exemplar → its KINDS name
SHIFTED = "bluenoise shifted (½, ½)"
LOW_FREQ = 4.0  # the learned sets' named option low_freq (a rule that is not learned), reported as its own row
PLAIN = "learned map alone"  # sot_iters=0: the learned map without the sliced-OT refinement
LEARNED_LF = f"learned map alone, low_freq={LOW_FREQ:g}"
#: the learned variants that are not POINT_SETS entries, reported in their own rows
REFINEMENT_ALONE = "refinement alone (control)"  # the default's sliced-OT iterations from white noise, no learned map
VARIANTS = {PLAIN: lambda n, rng: ps.learned_blue_noise(n, rng=rng, sot_iters=0),
            LEARNED_LF: lambda n, rng: ps.learned_blue_noise(n, rng=rng, low_freq=LOW_FREQ, sot_iters=0),
            REFINEMENT_ALONE: lambda n, rng: ps.sot_blue_noise(n, n_iters=SOT_ITERS, rng=rng)}
LOWEST_BAND = 4.5  # |k| below this: the global density fluctuations that Gaussian integrands see
#: sets per row of the learned table and its steps sweep: the minimum distance of one set is a
#: heavy-tailed statistic (one near-coincident pair decides it), so 4 sets leave about ±10 %
LEARNED_SETS = 16
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
                SETS[(kind, n)] = sets
                spectra[kind] = radial_power(periodogram(sets, res))


SETS = {}  # (kind, n) -> 4 realisations, shared by the sections below; (kind, n, count) -> the learned table's


def _realisations(kind, n, count=LEARNED_SETS):
    if (kind, n, count) not in SETS:
        SETS[(kind, n, count)] = [{**ps.POINT_SETS, **VARIANTS}[kind](n, rng=2000 + i) for i in range(count)]
    return SETS[(kind, n, count)]


def _set_quality(sets):
    """Low-frequency power, lowest-band power (|k| < LOWEST_BAND) and peak of the mean radial power,
    mean min distance × √N over the sets."""
    n = len(sets[0])
    r, p = radial_power(periodogram(sets, int(min(128, 2 * np.sqrt(n)))))
    return (float(p[r < 0.5 * np.sqrt(n)].mean()), float(np.mean([min_distance(x) for x in sets]) * np.sqrt(n)),
            float(np.nanmax(p)), float(p[(r > 0) & (r < LOWEST_BAND)].mean()))


def bench_learned(ns, repeats, rows):
    """Learned blue noise (with and without its refinement) against its exemplar sampler
    (LEARNED_SETS sets each), and the steps sweep of the learned map alone."""
    from iadb_graphics.pointsets.learned import LearnedBlueNoise

    model = LearnedBlueNoise.load()
    exemplar = EXEMPLAR_KIND[model.meta["exemplar"]]
    recipe = {"learned": f"{model.steps} IADB steps + {SOT_ITERS} sliced-OT iterations",
              PLAIN: f"{model.steps} IADB steps", LEARNED_LF: f"{model.steps} IADB steps",
              REFINEMENT_ALONE: f"{SOT_ITERS} sliced-OT iterations from white noise"}
    for n in ns:
        times = {kind: _median_time(lambda i: make(n, rng=3000 + i), repeats)[0] for kind, make in VARIANTS.items()}
        for kind in ("learned", *VARIANTS, exemplar):
            low, mind, peak, lowest = _set_quality(_realisations(kind, n))
            rows.append(dict(table="learned_vs_exemplar", kind=kind, n=n, low_power=low, mind_sqrtn=mind, peak=peak,
                             lowest_power=lowest, recipe=recipe.get(kind), domain=model.domain,
                             time_s=times.get(kind)))
        for steps in (1, 2, 4, 6, 8, 12, 16, 32):
            t, _ = _median_time(lambda i: model.sample(n, rng=3000 + i, steps=steps, sot_iters=0), repeats)
            low, mind, peak, _ = _set_quality([model.sample(n, rng=2000 + i, steps=steps, sot_iters=0)
                                               for i in range(LEARNED_SETS)])
            rows.append(dict(table="learned_steps", kind="learned", n=n, steps=steps, time_s=t, low_power=low,
                             mind_sqrtn=mind, peak=peak))
            print(f"  learned N={n:5d} steps {steps:2d} {t:.3f} s  low-f {low:.4f}  mind*sqrtN {mind:.3f}  "
                  f"peak {peak:.2f}", flush=True)
    return model


def bench_assignment(n, rows):
    """The OT-grid assignment of one blue-noise set: linear_sum_assignment vs POT's network simplex."""
    import ot

    from iadb_graphics.pointsets.learned import grid_offsets

    x = _realisations("bluenoise", n)[0]
    m = int(round(np.sqrt(n)))
    t = time.perf_counter()
    off = grid_offsets(x)
    t_lsa = time.perf_counter() - t
    t = time.perf_counter()
    c = (np.stack(np.meshgrid(np.arange(m), np.arange(m), indexing="ij"), -1).reshape(-1, 2) + 0.5) / m
    cost = np.zeros((n, n))
    for k in range(2):
        d = x[:, k, None] - c[None, :, k]
        cost += (d - np.round(d)) ** 2
    plan = ot.emd(np.full(n, 1 / n), np.full(n, 1 / n), cost)
    t_emd = time.perf_counter() - t
    cost_lsa, cost_emd = float((off ** 2).sum()) / m ** 2, float((plan * cost).sum()) * n
    for name, t, cst in (("scipy linear_sum_assignment", t_lsa, cost_lsa), ("POT ot.emd", t_emd, cost_emd)):
        rows.append(dict(table="assignment", kind=name, n=n, time_s=t, cost=cst))
        print(f"  assignment {name:28s} N={n} {t:.2f} s  total cost {cst:.6f}", flush=True)


def _adapted_target():
    """A 64 × 64 image density: the luminance of the bundled photo (+ a floor, so no pixel is empty)."""
    from iadb_graphics.data import sample_photo
    from iadb_graphics.densities import ImageDensity

    photo = sample_photo(max_size=64).astype(float) / 255
    return ImageDensity(photo[..., :3] @ np.array([0.2126, 0.7152, 0.0722]) + 0.02)


def bench_adapted(n, rows, figdata):
    """Sets warped onto an image density vs adapted SOT, by normalised nearest-neighbour distance."""
    from iadb_graphics.metrics.adapted import normalized_nn_distance
    from iadb_graphics.warps import DEFAULT_WARP_METHOD, make_warp, warp

    target = _adapted_target()
    warps = {}
    for method in (DEFAULT_WARP_METHOD, "inverse-cdf", "mesh"):  # the defaults users get: a failure is reported
        try:
            warps[method] = make_warp(method, target, rng=0)
        except ValueError as exc:
            reason = str(exc).splitlines()[0].split(" (")[0].split(", e.g.")[0]
            rows.append(dict(table="adapted", kind=f"{method} warp: not built ({reason})", n=n, time_s=np.nan,
                             gen_s=np.nan, nn_mean=np.nan, nn_p5=np.nan))
            print(f"  {method} warp not built: {reason}", flush=True)
    for method, w in warps.items():
        warp(np.full((4, 2), 0.5), w)  # compile before timing
        for kind in ("learned", "bluenoise", "sobol", "white"):
            t = time.perf_counter()
            x = ps.POINT_SETS[kind](n, rng=5)
            t_gen = time.perf_counter() - t
            y, _ = warp(x, w)
            t = time.perf_counter() - t
            r = normalized_nn_distance(y, target.pdf)
            rows.append(dict(table="adapted", kind=f"{kind} → {method} warp", n=n, time_s=t, gen_s=t_gen,
                             nn_mean=r.mean, nn_p5=r.p5))
            print(f"  {kind:9s} -> {method:11s} r mean {r.mean:.3f}  p5 {r.p5:.3f}  {t:.3f} s", flush=True)
            if method == DEFAULT_WARP_METHOD and kind == "learned":
                figdata[f"learned → {method} warp"] = y
    t = time.perf_counter()
    y = ps.sot_blue_noise(n, density=target, rng=5)
    t = time.perf_counter() - t
    r = normalized_nn_distance(y, target.pdf)
    rows.append(dict(table="adapted", kind="sot_blue_noise(density=...)", n=n, time_s=t, gen_s=t, nn_mean=r.mean,
                     nn_p5=r.p5))
    print(f"  adapted SOT             r mean {r.mean:.3f}  p5 {r.p5:.3f}  {t:.3f} s", flush=True)
    figdata["adapted SOT"] = y


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
    # the same sets shifted by (1/2, 1/2) on the torus: an identical periodogram, but the square's
    # edges now cut through the set (what a torus-trained learned model, blind to the edges, gives)
    makers[SHIFTED] = lambda n, rng: (ps.sot_blue_noise(n, n_iters=BLUE_ITERS_MC, rng=rng) + 0.5) % 1.0
    makers.update(VARIANTS)
    res = integration_error(makers, fams, ns=ns, n_trials=n_trials, rng=13)
    for (kind, fam), mse in res.mse.items():
        for n, m in zip(res.ns, mse):
            rows.append(dict(table="integration", kind=kind, family=fam, n=int(n), mse=float(m),
                             slope=res.slopes[(kind, fam)]))
    return res


def _learned_md(rows, integ):
    gen = {(r["kind"], r["n"]): r for r in rows if r["table"] == "generation"}
    vs = {(r["kind"], r["n"]): r for r in rows if r["table"] == "learned_vs_exemplar"}
    if not vs:
        return []
    exemplar = next(k for k, _ in vs if k not in ("learned", *VARIANTS))
    domain = next(r["domain"] for r in vs.values() if r["kind"] == "learned")
    md = ["", f"## Learned blue noise ({domain} model) vs its training exemplar ({exemplar}, the square sampler), "
          f"{LEARNED_SETS} sets each", "",
          "| set | recipe | N | time (s) | speed-up vs sot_blue_noise | low-freq power set / exemplar | "
          f"lowest band (0 < abs(k) < {LOWEST_BAND:g}) set / exemplar | min dist × √N set / exemplar | "
          "radial-power peak set / exemplar | Gaussian slope set / exemplar |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    order = ["learned", *VARIANTS]
    for (kind, n), r in sorted(vs.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else 9,
                                                           kv[0][1])):
        if kind == exemplar:
            continue
        e = vs[(exemplar, n)]
        t = r["time_s"] if r.get("time_s") is not None else gen.get((kind, n), {}).get("time_s", float("nan"))
        speed = gen.get(("bluenoise", n), {}).get("time_s", float("nan")) / t
        md.append(f"| {kind} | {r['recipe']} | {n} | {t:.3f} | {speed:.0f}× | {r['low_power']:.4f} / {e['low_power']:.4f} = "
                  f"{r['low_power'] / e['low_power']:.2f} | {r['lowest_power']:.5f} / {e['lowest_power']:.5f} = "
                  f"{r['lowest_power'] / e['lowest_power']:.1f} | {r['mind_sqrtn']:.3f} / {e['mind_sqrtn']:.3f} = "
                  f"{r['mind_sqrtn'] / e['mind_sqrtn']:.2f} | {r['peak']:.2f} / {e['peak']:.2f} | "
                  f"{integ.slopes[(kind, 'gaussian')]:.2f} / {integ.slopes[(exemplar, 'gaussian')]:.2f} |")
    ks = ("learned", exemplar)
    md.append("\n`learned` is the default output: the learned map followed by a short sliced-OT refinement "
              "(a step that is not learned; such sets have no exact inverse). "
              f"`{PLAIN}` is the learned map without it (sot_iters=0, the invertible map); "
              f"`{LEARNED_LF}` adds the named option that replaces the flow's modes |k| ≤ {LOW_FREQ:g} by a rule "
              "that is not learned. "
              f"`{REFINEMENT_ALONE}` runs the refinement's sliced-OT iterations from white noise, without the "
              "learned map: what the refinement does on its own. "
              f"Gaussian integration slope of {SHIFTED} (a torus set cut by the square's sides): "
              f"{integ.slopes[(SHIFTED, 'gaussian')]:.2f}; "
              f"Heaviside: learned {integ.slopes[(ks[0], 'heaviside')]:.2f}, {exemplar} "
              f"{integ.slopes[(ks[1], 'heaviside')]:.2f}.")
    assign = [r for r in rows if r["table"] == "assignment"]
    if assign:
        md += ["", f"OT-grid assignment of one sot_blue_noise set of {assign[0]['n']} points (torus cost, "
               "including building the cost matrix): " + "; ".join(
                   f"{r['kind']} {r['time_s']:.2f} s (total cost {r['cost']:.6f})" for r in assign) + "."]
    sweep = [r for r in rows if r["table"] == "learned_steps"]
    md += ["", "### Learned map alone (no refinement): number of IADB steps", "",
           "| N | steps | time (s) | low-freq power | min dist × √N | radial-power peak |",
           "|---:|---:|---:|---:|---:|---:|"]
    for r in sweep:
        md.append(f"| {r['n']} | {r['steps']} | {r['time_s']:.3f} | {r['low_power']:.4f} | {r['mind_sqrtn']:.3f} | "
                  f"{r['peak']:.2f} |")
    return md


def write_outputs(rows, spectra, integ, meta, figdata):
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
    md += _learned_md(rows, integ)
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
    for kind in KINDS + [*VARIANTS, SHIFTED]:
        md.append(f"| {kind} | {integ.slopes[(kind, 'gaussian')]:.2f} | {integ.slopes[(kind, 'heaviside')]:.2f} | "
                  f"{integ.mse[(kind, 'gaussian')][-1]:.2e} | {integ.mse[(kind, 'heaviside')][-1]:.2e} |")
    adapted = [r for r in rows if r["table"] == "adapted"]
    if adapted:
        md += ["", f"## Density-adapted sets (N={adapted[0]['n']}, 64×64 photo luminance): normalised "
               "nearest-neighbour distance r = d_NN·sqrt(N p)", "",
               "| set | r mean | r 5th percentile | time incl. generation (s) |", "|---|---:|---:|---:|"]
        for r in adapted:
            cells = ["—" if np.isnan(r[k]) else f"{r[k]:.3f}" for k in ("nn_mean", "nn_p5", "time_s")]
            md.append(f"| {r['kind']} | {' | '.join(cells)} |")
    with atomic_path(os.path.join(RESULTS, "pointsets.md")) as tmp, open(tmp, "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))

    import matplotlib.pyplot as plt

    from iadb_graphics.metrics.spectral import pcf

    kinds = KINDS + [*VARIANTS, SHIFTED]
    colour = dict(zip(kinds, plt.get_cmap("tab20").colors[::2] + plt.get_cmap("tab20").colors[1::2]))
    fig, axes = plt.subplots(1, 4, figsize=(22, 4.6), gridspec_kw={"width_ratios": [1, 1, 1.25, 1.25]})
    for kind, (r, p) in spectra.items():
        axes[0].plot(r / np.sqrt(spectra_n[0]), p, label=kind, color=colour[kind])
    axes[0].axhline(1, color="0.5", ls="--", lw=1)
    axes[0].set_xlabel("|k| / sqrt(N)")
    axes[0].set_ylabel("radial power (4 realisations)")
    axes[0].set_title(f"radial power spectra, N = {spectra_n[0]}")
    axes[0].set_ylim(0, 3)
    axes[0].legend(fontsize=8)
    for kind in spectra:
        sets = SETS[(kind, spectra_n[0])]
        r, g = pcf(sets)
        axes[1].plot(r * np.sqrt(spectra_n[0]), g, label=kind, color=colour[kind])
    axes[1].axhline(1, color="0.5", ls="--", lw=1)
    axes[1].set_xlabel("r × sqrt(N)")
    axes[1].set_ylabel("g(r)")
    axes[1].set_title(f"pair correlation function, N = {spectra_n[0]}")
    axes[1].legend(fontsize=8)
    for ax, fam in zip(axes[2:], ("gaussian", "heaviside")):
        for kind in kinds:
            ax.loglog(integ.ns, integ.mse[(kind, fam)], "o-", ms=3, color=colour[kind],
                      label=f"{kind} ({integ.slopes[(kind, fam)]:.2f})")
        ax.set_xlabel("N")
        ax.set_ylabel("MSE")
        ax.set_title(f"MC integration MSE, {fam} integrands (slope)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    with atomic_path(os.path.join(RESULTS, "pointsets.png")) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    _spectra_figure(figdata)


def _spectra_figure(figdata):
    """2D periodograms (top) and point crops (bottom) of learned blue noise, its exemplar and more."""
    import matplotlib.pyplot as plt

    n = spectra_n[0]
    kinds = [k for k in ("learned", PLAIN, "bluenoise", "poisson", "jittered") if (k, n) in SETS]
    fig, axes = plt.subplots(2, len(kinds) + 1, figsize=(4 * (len(kinds) + 1), 8.2))
    res = int(min(128, 2 * np.sqrt(n)))
    for ax, kind in zip(axes[0], kinds):
        p = periodogram(SETS[(kind, n)], res)
        ax.imshow(p.T, origin="lower", cmap="magma", vmin=0, vmax=2.5, extent=[-res, res, -res, res])
        ax.set_title(f"{kind}: periodogram (4 sets, N={n})", fontsize=9)
    for ax, kind in zip(axes[1], kinds):
        x = SETS[(kind, n)][0]
        keep = (x[:, 0] < 0.25) & (x[:, 1] < 0.25)
        ax.scatter(x[keep, 0], x[keep, 1], s=4, c="k")
        ax.set_xlim(0, 0.25)
        ax.set_ylim(0, 0.25)
        ax.set_aspect("equal")
        ax.set_title(f"{kind}: corner [0, 1/4)²", fontsize=9)
    for row, (name, y) in enumerate(list(figdata.items())[:2]):  # the adapted sets, whole square
        ax = axes[row, len(kinds)]
        ax.scatter(y[:, 0], y[:, 1], s=0.3, c="k")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_title(f"{name}, N={len(y)}", fontsize=9)
    for ax in axes.ravel():
        if not ax.has_data():
            ax.axis("off")
    fig.tight_layout()
    with atomic_path(os.path.join(RESULTS, "pointsets_spectra.png")) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


spectra_n = [0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke run)")
    args = ap.parse_args(argv)
    if args.quick:
        ns, repeats, sot_cfg, int_ns, trials = [256, 1024], 1, (1024, 64, 64, 1), [64, 256, 1024], 4
        learned_ns = [256, 1024]
    else:
        ns, repeats, sot_cfg, int_ns, trials = [1024, 4096, 16384], 3, (4096, 1024, 64, 3), [64, 256, 1024, 4096], 16
        learned_ns = [1024, 4096]
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
    print("learned vs exemplar:", flush=True)
    bench_learned(learned_ns, repeats, rows)
    bench_assignment(spectra_n[0], rows)
    print("density-adapted sets:", flush=True)
    figdata = {}
    bench_adapted(spectra_n[0], rows, figdata)
    print("sot kernel vs numpy:", flush=True)
    bench_sot(*sot_cfg, rows)
    print("integration:", flush=True)
    integ = bench_integration(int_ns, trials, rows)
    load1 = os.getloadavg()[0]
    meta = (f"{'quick' if args.quick else 'full'} run, NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}, "
            f"threading layer {numba.threading_layer()}, load average {load0:.1f} → {load1:.1f} on "
            f"{os.cpu_count()} cores")
    write_outputs(rows, spectra, integ, meta, figdata)


if __name__ == "__main__":
    main()
