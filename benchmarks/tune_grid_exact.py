"""Choose the grid map's defaults for the exact field (uniform → image) on targets that are NOT
the benchmark's (``bench_grid_map.py`` uses grace_hopper and jacksboro).

Targets: matplotlib's other bundled picture (minduka, a 128 px RGBA drawing, on a floor of 0.02
so that its transparent parts keep some density: a continuous bijection of the square puts
mass everywhere, so a target that is zero on an area has KL = ∞ for every map), synthetic fractal terrains (three slopes and seeds) and two procedural
textures (sine stripes, discs on a dim floor). For each setting: KL(q‖p) and ESS from M exact
log-densities, the edge excess (mapped samples within 1/128 of an edge over the target's mass
there, the largest of the four edges: > 1 when samples pile up on a wall) and the fit time; the
sampled field at its defaults is the first row.

    python benchmarks/tune_grid_exact.py [--m 20000] [--out benchmarks/results]

Writes ``grid_exact_tune.csv`` and ``grid_exact_tune.md`` (the mean KL / ESS per setting).
"""
from __future__ import annotations

import argparse
import csv
import itertools
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from iadb_graphics import GridIADBMap, ImageDensity, Uniform  # noqa: E402
from iadb_graphics.data import fractal_terrain, sample_image  # noqa: E402
from iadb_graphics.metrics import density_fit  # noqa: E402


def luminance(rgba):
    """Rec. 709 luminance times alpha of an 8-bit RGBA image, in [0, 1]."""
    v = rgba.astype(float) / 255.0
    return (v[..., :3] @ np.array([0.2126, 0.7152, 0.0722])) * v[..., 3]


def targets(size=128):
    u = (np.arange(size) + 0.5) / size
    xx, yy = np.meshgrid(u, u)
    stripes = 0.05 + np.sin(9.0 * np.pi * (xx + 0.4 * yy)) ** 2 * (0.3 + 0.7 * yy)
    rng = np.random.default_rng(3)
    discs = np.full((size, size), 0.03)
    for cx, cy, r in zip(rng.random(12), rng.random(12), 0.03 + 0.1 * rng.random(12)):
        discs[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = 1.0
    return {
        "minduka (drawing)": 0.02 + luminance(sample_image("minduka", size)),
        "terrain slope 2.0": fractal_terrain(size, slope=2.0, seed=1),
        "terrain slope 2.4": fractal_terrain(size, slope=2.4, seed=2),
        "terrain slope 3.0": fractal_terrain(size, slope=3.0, seed=3, floor=0.01),
        "stripes": stripes,
        "discs": discs,
    }


def edge_excess(y, tgt, width=1 / 128):
    """The largest ratio, over the four edges of the unit square, of the mapped samples within
    ``width`` of the edge to what the target puts there (1: right; > 1: samples pile up on the wall)."""
    img = tgt.density_grid()  # row 0 at the top
    k = max(1, int(round(width * img.shape[0])))
    mass = img / img.sum()
    target = [mass[:, :k].sum(), mass[:, -k:].sum(), mass[-k:, :].sum(), mass[:k, :].sum()]
    w = k / img.shape[0]
    got = [np.mean(y[:, 0] < w), np.mean(y[:, 0] > 1 - w), np.mean(y[:, 1] < w), np.mean(y[:, 1] > 1 - w)]
    return float(max(g / t for g, t in zip(got, target)))


def tuning_runs(settings, make_map, m):
    """Fit ``make_map(**kwargs)`` (seed 0) from the uniform square to every offline target for every
    ``(name, kwargs)`` of ``settings``; yield ``(target name, target, setting name, map, fit seconds,
    density_fit result on M = m fixed source points, those points)``."""
    settings = list(settings)
    src = Uniform()
    x = src.sample(m, rng=2)
    for tname, img in targets().items():
        tgt = ImageDensity(img)
        for sname, kw in settings:
            t0 = time.perf_counter()
            model = make_map(**kw).fit(src, tgt, rng=0)
            fit_s = time.perf_counter() - t0
            yield tname, tgt, sname, model, fit_s, density_fit(lambda z: model.transform(z, return_log_det=True), src, tgt, x), x


def write_results(out, stem, rows, md):
    """Write ``rows`` (dicts) to ``out/stem.csv`` and the markdown lines ``md`` to ``out/stem.md``; print the table."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, stem + ".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(out, stem + ".md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


def rows_by_setting(rows):
    """``{setting name: its rows}``, in the order the settings first appear."""
    groups = {}
    for r in rows:
        groups.setdefault(r["setting"], []).append(r)
    return groups


def settings():
    yield "samples (default before)", {"field": "samples"}
    for bins, bw, steps in itertools.product((128, 256, 384), (0.0, 0.5, 1.0), (64, 128)):
        yield f"exact bins={bins} σ={bw} T={steps}", {"field": "exact", "bins": bins, "bandwidth": bw, "n_steps": steps}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--m", type=int, default=20000)
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    args = p.parse_args(argv)
    rows = []
    for tname, tgt, sname, m, fit_s, r, x in tuning_runs(settings(), GridIADBMap, args.m):
        edge = edge_excess(m.transform(x), tgt)
        rows.append({"target": tname, "setting": sname, "kl": r.kl, "kl_se": r.kl_se, "ess": r.ess,
                     "outside": r.outside, "edge_excess": edge, "fit_s": fit_s})
        print(f"{tname:20s} {sname:32s} KL {r.kl:.4f} ± {r.kl_se:.4f}  ESS {r.ess:.3f}  edge {edge:.2f}  "
              f"fit {fit_s:.2f}s", flush=True)
    md = [f"Uniform → 6 offline image targets (not the benchmark's), M = {args.m}; mean over targets "
          f"(`python benchmarks/tune_grid_exact.py`).", "",
          "| setting | mean KL (nats) | max KL | mean ESS | min ESS | max edge excess | mean fit (s) |",
          "|---|---|---|---|---|---|---|"]
    for s, rr in rows_by_setting(rows).items():
        kl = np.array([r["kl"] for r in rr])
        ess = np.array([r["ess"] for r in rr])
        md.append(f"| {s} | {kl.mean():.4f} | {kl.max():.4f} | {ess.mean():.3f} | {ess.min():.3f} | "
                  f"{max(r['edge_excess'] for r in rr):.2f} | {np.mean([r['fit_s'] for r in rr]):.2f} |")
    write_results(args.out, "grid_exact_tune", rows, md)


if __name__ == "__main__":
    main()
