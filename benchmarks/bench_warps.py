"""Importance sampling and stippling with warps that report an exact pdf.

Three 64×64 image targets (matplotlib's ``grace_hopper.jpg`` luminance, a synthetic
environment map with a sharp sun disc over a smooth sky, a high-contrast text-like pattern),
warps {inverse-CDF, grid IADB (``GridIADBMap`` through ``warp``), mesh (``MeshWarp`` of the grid
map, 128² cells, boundary snapped)} and point sets {white, Sobol, blue noise (``sot_blue_noise``)}.

* MC integration: relative MSE of mean f(y)/p(y) vs N for f = g·target (environment-lighting
  case) and f = g·1[unit square] (g: random Gaussians with closed-form integrals), log-log slopes.
* χ²: 50 000 warped white-noise samples against the pdf each warp claims (``warped_pdf``).
* Stippling (N = 4096): density-adapted ``sot_blue_noise`` vs uniform blue noise warped by
  each map, on the density-normalised NN distance and the χ² fit to the target density.

Writes ``benchmarks/results/warps.{csv,md,png}`` and ``warps_stipple.png``.
Run: ``NUMBA_NUM_THREADS=2 OMP_NUM_THREADS=2 python benchmarks/bench_warps.py [--quick]``.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import warnings

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
from scipy import special  # noqa: E402

from iadb_graphics import pointsets  # noqa: E402
from iadb_graphics.densities import ImageDensity, Uniform  # noqa: E402
from iadb_graphics.io import atomic_path  # noqa: E402
from iadb_graphics.maps.grid import GridIADBMap  # noqa: E402
from iadb_graphics.metrics import chi2_test  # noqa: E402
from iadb_graphics.metrics.integration import loglog_slope, random_gaussians  # noqa: E402
from iadb_graphics.metrics import local_periodogram, normalized_nn_distance  # noqa: E402
from iadb_graphics.warps import InverseCDFWarp, MeshWarp, warp, warped_pdf  # noqa: E402

RES = 64
# χ² of the claimed pdf: chi2_test's defaults on the unit square (its adaptive cell integrals see
# pixel edges, triangle edges and the edge of a warp's image, so no per-warp settings are needed),
# except the evaluation budget of the grid map's pdf (a Newton inverse per point, ~2e4 points/s).
UNIT_SQUARE = [[0.0, 1.0], [0.0, 1.0]]
CHI2_MAX_EVALS = {"grid": 1 << 19}


# ----------------------------------------------------------------------------- targets

def _block_mean(img, size):
    h, w = img.shape
    s = min(h, w)
    img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    f = s // size
    return img[:f * size, :f * size].reshape(size, f, size, f).mean(axis=(1, 3))


def targets():
    import matplotlib.cbook as cbook

    from iadb_graphics.io import read_image

    photo = np.asarray(read_image(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)), dtype=float) / 255
    lum = photo[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    grace = _block_mean(lum, RES) + 0.01
    yy, xx = (np.mgrid[0:RES, 0:RES] + 0.5) / RES  # yy: 0 at the top row
    sky = 0.15 + 0.6 * (1 - yy) ** 2 + 0.1 * np.cos(6 * xx)
    sun = ((xx - 0.7) ** 2 + (yy - 0.25) ** 2) < 0.06 ** 2
    envmap = sky + 8.0 * sun
    rng = np.random.default_rng(7)  # deterministic "text": glyph-sized bars on lines
    text = np.full((RES, RES), 0.05)
    for line in range(6):
        r0 = 5 + line * 10
        c = 3
        while c < RES - 4:
            w = int(rng.integers(1, 4))
            h = int(rng.integers(4, 8))
            text[r0 + 7 - h:r0 + 7, c:c + w] = 1.0
            c += w + int(rng.integers(1, 4))
    return {"grace_hopper": ImageDensity(grace), "envmap": ImageDensity(envmap), "text": ImageDensity(text)}


def _axis_integrals(mean, sigma):
    edges = np.arange(RES + 1) / RES
    s = sigma * np.sqrt(2)
    return sigma * np.sqrt(np.pi / 2) * np.diff(special.erf((edges - mean) / s))


def integral_times_density(g, dens):
    """∫ g · p over the square, exact: sum over pixels of p · (∫ of the separable Gaussian)."""
    ix = _axis_integrals(g.mean[0], g.sigma[0])  # columns, left to right
    iy = _axis_integrals(g.mean[1], g.sigma[1])[::-1]  # rows, top to bottom
    return float((dens.density_grid() * np.outer(iy, ix)).sum())


# ----------------------------------------------------------------------------- helpers

def make_points(kind, n, rng, sot_iters):
    if kind == "white":
        return rng.random((n, 2))
    if kind == "sobol":
        return pointsets.sobol(n, rng=rng)
    return pointsets.sot_blue_noise(n, n_iters=sot_iters, rng=rng)


def fmt(x):
    if isinstance(x, float):
        if x != x:
            return "nan"
        return f"{x:.3g}" if (abs(x) >= 1e-3 or x == 0) else f"{x:.2e}"
    return str(x)


def md_table(rows, cols):
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join(fmt(r[c]) for c in cols) + " |")
    return "\n".join(out)


# ----------------------------------------------------------------------------- main

def write_summary(out, md):
    """``warps_summary.md``: the report up to the per-curve MSE table (what the README shows)."""
    cut = next(i for i, line in enumerate(md) if line.startswith("## Relative MSE"))
    with atomic_path(os.path.join(out, "warps_summary.md")) as tmp:
        with open(tmp, "w") as f:
            f.write("\n".join(md[1:cut]) + "\nFull tables (MSE and slopes per point set, stippling): "
                    "`benchmarks/results/warps.md`.\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small smoke run")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args(argv)
    quick = args.quick
    ns = (256, 1024) if quick else (256, 1024, 4096)
    n_trials = 2 if quick else 6
    sot_iters = 64 if quick else 256
    n_chi2 = 20000 if quick else 50000
    n_stipple = 1024 if quick else 4096
    grid_kwargs = {"n_pairs": 1 << 16} if quick else {}
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(2024)
    t_start = time.perf_counter()

    dens_all = targets()
    gs = random_gaussians(6, rng=rng, sigma=(0.05, 0.3))
    kinds = ("white", "sobol", "blue")
    print(f"point sets: {len(ns)} sizes x {n_trials} trials", flush=True)
    sets = {(k, n, t): make_points(k, n, rng, sot_iters) for k in kinds for n in ns for t in range(n_trials)}

    mse_rows, slope_rows, chi_rows, stip_rows, info_rows = [], [], [], [], []
    curves = {}
    stipples = {}
    for tname, dens in dens_all.items():
        t0 = time.perf_counter()
        grid = GridIADBMap(**grid_kwargs).fit(Uniform(), dens, rng=rng)
        t_fit = time.perf_counter() - t0
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mesh = MeshWarp.from_map(grid, 128, snap_boundary=True, allow_foldovers=True)
            raw = MeshWarp.from_map(grid, 128, allow_foldovers=True)
        t_mesh = time.perf_counter() - t0
        cgrid = (np.stack(np.meshgrid(np.arange(256), np.arange(256), indexing="ij"), -1).reshape(-1, 2) + 0.5) / 256
        uncovered = float(np.mean(raw.pdf(cgrid) == 0))
        warps_ = {"inverse-cdf": InverseCDFWarp(dens), "grid": grid, "mesh": mesh}
        info_rows.append({"target": tname, "grid_fit_s": t_fit, "mesh_build_s": t_mesh,
                          "mesh_folded_triangles": int(len(mesh.foldovers)),
                          "grid_uncovered_fraction": uncovered})
        ref1 = [integral_times_density(g, dens) for g in gs]
        ref2 = [g.integral for g in gs]
        for wname, w in warps_.items():
            # χ² of the claimed pdf (iid samples)
            y, _ = warp(rng.random((n_chi2, 2)), w)
            t0 = time.perf_counter()
            with warnings.catch_warnings():  # the budget warning: the table gives the time spent
                warnings.simplefilter("ignore")
                claimed = chi2_test(y, lambda z, w=w: warped_pdf(w, z), bounds=UNIT_SQUARE,
                                    max_evals=CHI2_MAX_EVALS.get(wname))
            t_chi2 = time.perf_counter() - t0
            chi_rows.append({"target": tname, "warp": wname, "n": n_chi2, "chi2_p_claimed_pdf": claimed.p_value,
                             "chi2/dof": claimed.statistic / max(claimed.dof, 1), "chi2_test_s": t_chi2})
            print(f"{tname:13s} {wname:12s} chi2 p={claimed.p_value:.3g} ({t_chi2:.1f} s)", flush=True)
            for kind in kinds:
                for fam, ref in (("g*target", ref1), ("g", ref2)):
                    curves[(tname, wname, kind, fam)] = []
                for n in ns:
                    err = {"g*target": [], "g": []}
                    for t in range(n_trials):
                        y, p = warp(sets[(kind, n, t)], w)
                        inside = np.all((y >= 0) & (y <= 1), axis=1)
                        tp = dens.pdf(y)
                        for g, r1, r2 in zip(gs, ref1, ref2):
                            gv = g(y)
                            err["g*target"].append((np.mean(gv * tp / p) - r1) / r1)
                            err["g"].append((np.mean(gv * inside / p) - r2) / r2)
                    for fam in err:
                        mse = float(np.mean(np.square(err[fam])))
                        curves[(tname, wname, kind, fam)].append(mse)
                        mse_rows.append({"target": tname, "warp": wname, "points": kind, "integrand": fam,
                                         "n": n, "rel_mse": mse})
                for fam in ("g*target", "g"):
                    c = curves[(tname, wname, kind, fam)]
                    slope_rows.append({"target": tname, "warp": wname, "points": kind, "integrand": fam,
                                       f"rel_mse@{ns[-1]}": c[-1], "slope": loglog_slope(ns, c)})
        # stippling
        adapt = pointsets.sot_blue_noise(n_stipple, n_iters=sot_iters, density=dens, rng=rng)
        blue = pointsets.sot_blue_noise(n_stipple, n_iters=sot_iters, rng=rng)
        cand = {"adaptive sot_blue_noise": adapt}
        for wname, w in warps_.items():
            cand[f"blue noise -> {wname}"] = warp(blue, w)[0]
        cand["white -> inverse-cdf"] = warp(rng.random((n_stipple, 2)), warps_["inverse-cdf"])[0]
        stipples[tname] = cand
        for cname, pts in cand.items():
            nn = normalized_nn_distance(pts, dens.pdf(pts))
            inside = np.all((pts >= 0) & (pts <= 1), axis=1)
            fit = chi2_test(pts[inside], dens.pdf, bounds=UNIT_SQUARE, bins=16)
            spec = local_periodogram(pts, dens.pdf(pts), windows=4)
            low = float(np.mean(spec.radial_power[(spec.radial_k > 0.2) & (spec.radial_k < 0.6)]))
            stip_rows.append({"target": tname, "stipples": cname, "nn_mean": nn.mean, "nn_p5": nn.p5,
                              "local_low_freq_power": low, "outside_square": float(1 - inside.mean()),
                              "chi2_p_target": fit.p_value, "chi2/dof": fit.statistic / max(fit.dof, 1)})

    # ------------------------------------------------------------------ outputs
    n_big = ns[-1]
    ratio_rows = []
    for tname in dens_all:
        for fam in ("g*target", "g"):
            base = curves[(tname, "inverse-cdf", "blue", fam)][-1]
            for wname in ("grid", "mesh"):
                v = curves[(tname, wname, "blue", fam)][-1]
                ratio_rows.append({"target": tname, "integrand": fam, "warp": wname,
                                   f"blue MSE / blue inverse-CDF MSE @{n_big}": v / base,
                                   "target <= 0.5": "yes" if v <= 0.5 * base else "no"})
    with atomic_path(os.path.join(args.out, "warps.csv")) as tmp:
        with open(tmp, "w", newline="") as f:
            wr = csv.DictWriter(f, fieldnames=["target", "warp", "points", "integrand", "n", "rel_mse"])
            wr.writeheader()
            wr.writerows(mse_rows)
    total = time.perf_counter() - t_start
    md = ["# Warps: importance sampling and stippling", "",
          f"`python benchmarks/bench_warps.py{' --quick' if quick else ''}` — {RES}×{RES} targets, "
          f"N = {list(ns)}, {n_trials} trials × {len(gs)} random Gaussians g, relative MSE; "
          f"blue noise = `sot_blue_noise` ({sot_iters} iterations); mesh = `MeshWarp` of the grid map, "
          f"128² cells, boundary snapped. Total {total:.0f} s.", "",
          "## Setup per target", "", md_table(info_rows, list(info_rows[0])), "",
          "`grid_uncovered_fraction`: part of the unit square the grid map never reaches (its pdf is 0 there).", "",
          "## χ² of each warp against the pdf it claims (p > 0.01 = consistent)", "",
          md_table(chi_rows, list(chi_rows[0])), "",
          f"## Blue noise through the IADB warps vs through inverse-CDF, N = {n_big} (target: ratio ≤ 0.5)", "",
          md_table(ratio_rows, list(ratio_rows[0])), "",
          "## Relative MSE at the largest N and log-log slope", "",
          md_table(slope_rows, list(slope_rows[0])), "",
          f"## Stippling (N = {n_stipple}): normalised NN distance r = d_NN·sqrt(N p) and χ² to the target", "",
          md_table(stip_rows, list(stip_rows[0])), "",
          "`local_low_freq_power`: mean local periodogram (4×4 windows, each rescaled by its density so the "
          "mean spacing is 1) over 0.2 < |k| < 0.6; white noise ≈ 1, lower = bluer. "
          "`outside_square`: fraction of stipples outside the target's support (χ² uses the others).", ""]
    with atomic_path(os.path.join(args.out, "warps.md")) as tmp:
        with open(tmp, "w") as f:
            f.write("\n".join(md))
    write_summary(args.out, md)
    _figures(args.out, curves, ns, dens_all, stipples)
    print("\n".join(md))


def _figures(out, curves, ns, dens_all, stipples):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"inverse-cdf": "tab:blue", "grid": "tab:orange", "mesh": "tab:green"}
    styles = {"white": ":", "sobol": "--", "blue": "-"}
    fig, axes = plt.subplots(2, len(dens_all), figsize=(4.2 * len(dens_all), 7.5), squeeze=False)
    for j, tname in enumerate(dens_all):
        for i, fam in enumerate(("g*target", "g")):
            ax = axes[i, j]
            for (t, w, k, f), c in curves.items():
                if t == tname and f == fam:
                    ax.loglog(ns, c, styles[k], color=colors[w], marker="o", ms=3, label=f"{k} → {w}")
            ax.set_title(f"{tname}: f = {fam}")
            ax.set_xticks(ns, [str(n) for n in ns])
            ax.minorticks_off()
            ax.set_xlabel("N")
            ax.set_ylabel("relative MSE")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(os.path.join(out, "warps.png"), suffix=".png") as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)

    names = list(next(iter(stipples.values())))
    fig, axes = plt.subplots(len(stipples), len(names) + 1, figsize=(3.0 * (len(names) + 1), 3.1 * len(stipples)),
                             squeeze=False)
    for i, (tname, cand) in enumerate(stipples.items()):
        axes[i, 0].imshow(np.sqrt(dens_all[tname].density_grid()), cmap="gray", extent=(0, 1, 0, 1))
        axes[i, 0].set_title(f"target: {tname} (sqrt display)", fontsize=8)
        for j, cname in enumerate(names):
            pts = cand[cname]
            ax = axes[i, j + 1]
            ax.scatter(pts[:, 0], pts[:, 1], s=0.6, c="k", lw=0)
            ax.set_title(cname, fontsize=8)
        for ax in axes[i]:
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    with atomic_path(os.path.join(out, "warps_stipple.png"), suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


if __name__ == "__main__":
    main()
