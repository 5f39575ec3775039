"""Choose the settings of the equal-mass kd-tree warp on tuning images that are NOT the benchmark's.

The images are made offline (nothing downloaded) and differ from ``bench_warps.py``'s seven:
other crops and channels of matplotlib's bundled photos, its bathymetry grid, procedural skies
(a low sun behind a dark ground, a diffuse bright patch), value-noise textures with two spectra,
a sparse checker with empty cells and a mixture of sharp Gaussian blobs; all 64². Each setting
of ``EqualMassKDWarp`` (and, for reference, the ``hierarchical`` and ``inverse-cdf`` warps) is
scored as in ``bench_warps.py``: relative MSE of mean f/p for white, Owen-Sobol and blue-noise
points, three integrand families and N = 256, 1024, 4096, divided by the best of pbrt's inverse
CDF and Mitsuba 3's three warps in each cell. One setting is chosen on the mean over all images
(the geometric-mean ratio); the table lists the default (``EqualMassKDWarp()``, depth by
``default_depth``: 12 at 64², one leaf per pixel) beside the other axis rules, depths and block
layouts. A second table pairs every setting with the default on the same points and integrands
(per-integrand MSE ratios), which separates settings far better than ratios to a noisy per-cell
minimum. Every draw comes from its own stream (``bench_warps.stream``, base ``BASE_SEED``).

Writes ``benchmarks/results/warps_kd_tuning.md``. Run:
``python benchmarks/tune_kd_warp.py [--quick] [--trials 32] [--integrands 12]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from bench_warps import (FAMILIES, KINDS, PEERS, RES, Integrands, PointSets, _sample_file, _square,  # noqa: E402
                         make, md_table, relative_mse, stream)
from iadb_graphics.densities import ImageDensity  # noqa: E402
from iadb_graphics.io import atomic_path  # noqa: E402
from iadb_graphics.warps.kdtree import EqualMassKDWarp  # noqa: E402

#: name → constructor of the settings compared (the reference warps are built by ``make``)
SETTINGS = {
    "kd square (default)": lambda: EqualMassKDWarp(),
    "kd longest": lambda: EqualMassKDWarp(axis_rule="longest"),
    "kd alternate": lambda: EqualMassKDWarp(axis_rule="alternate"),
    "kd mass-square": lambda: EqualMassKDWarp(axis_rule="mass-square"),
    "kd mass-longest": lambda: EqualMassKDWarp(axis_rule="mass-longest"),
    "kd square, depth 8": lambda: EqualMassKDWarp(depth=8),
    "kd square, depth 10": lambda: EqualMassKDWarp(depth=10),
    **{f"kd blocks {1 << b}², square": (lambda b=b: EqualMassKDWarp(block_levels=b)) for b in (2, 3, 6)},
}
REFERENCES = ("hierarchical",)
DEFAULT = "kd square (default)"
BASE_SEED = 11  # the streams of the tuning run (not the benchmark's)


def tuning_images(res=RES, seed=77):
    """name → non-negative (res, res) array, row 0 at the top; none of them is a benchmark image."""
    from iadb_graphics.data import sample_image, sample_photo

    rng = np.random.default_rng(seed)
    yy, xx = (np.mgrid[0:res, 0:res] + 0.5) / res
    out = {}
    photo = sample_photo().astype(float) / 255  # 600 × 512: the top-left 256² of the red channel
    out["photo_red_crop"] = _square(photo[:256, :256, 0], res) + 0.005
    mind = sample_image("minduka").astype(float)[..., :3] / 255
    out["minduka_blue"] = _square(mind[..., 2], res) ** 2 + 0.003
    topo = np.load(_sample_file("topobathy.npz"))["topo"].astype(float)
    t = (topo - topo.min()) / np.ptp(topo)
    out["bathymetry"] = _square(t[:, 10:101], res) ** 3 + 1e-3
    ground = yy > 0.6  # dark ground below a horizon, a small sun just above it
    sky = (0.3 + 0.7 * yy / 0.6) * ~ground + 0.01 * ground
    sun = ((xx - 0.7) ** 2 + (yy - 0.55) ** 2) < (1.6 / res) ** 2
    out["low_sun"] = sky + 5e3 * sun
    out["diffuse_patch"] = 0.05 + np.exp(-((xx - 0.4) ** 2 + (yy - 0.3) ** 2) / (2 * 0.04 ** 2)) * 30
    k = np.fft.fftfreq(res)
    kk = np.hypot(k[:, None], k[None])
    kk[0, 0] = 1.0
    for name, slope, gain in (("noise_rough", -1.1, 2.5), ("noise_smooth", -2.4, 1.5)):
        f = np.fft.ifft2(rng.normal(size=(res, res)) * kk ** slope).real
        out[name] = np.exp(gain * (f - f.mean()) / f.std())
    checker = ((np.floor(xx * 8) + np.floor(yy * 8)) % 2 == 0).astype(float)
    checker[:, (np.arange(res) % 16) < 3] = 0.0
    out["sparse_checker"] = checker * (0.5 + xx)
    blobs = np.full((res, res), 1e-3)
    for c, s, a in zip(rng.random((6, 2)), np.exp(rng.uniform(np.log(0.01), np.log(0.08), 6)), rng.uniform(1, 20, 6)):
        blobs += a * np.exp(-((xx - c[0]) ** 2 + (yy - c[1]) ** 2) / (2 * s ** 2))
    out["blobs"] = blobs
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--trials", type=int, default=32)
    ap.add_argument("--integrands", type=int, default=12, help="random integrands per family and image")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args(argv)
    ns = (256, 1024) if args.quick else (256, 1024, 4096)
    trials = 4 if args.quick else args.trials
    images = tuning_images()
    points = PointSets(BASE_SEED, ns, trials, 32 if args.quick else 128, 2 if args.quick else 4)
    names = list(SETTINGS) + list(REFERENCES) + list(PEERS)
    mse, per_mse = {}, {}
    t0 = time.perf_counter()
    for tname, img in images.items():
        dens = ImageDensity(img)
        fam = Integrands(dens, stream(BASE_SEED, "integrands", tname), 3 if args.quick else args.integrands,
                         8 if args.quick else 32)
        sets = points.sets(tname)
        for name in names:
            if name in SETTINGS:
                w = SETTINGS[name]().fit(None, dens)
            else:
                w = make(name, dens, stream(BASE_SEED, "build", tname, name), args.quick)[0]
            for (kind, f, n), per_integrand in relative_mse(w, sets, fam, ns).items():
                mse[(tname, name, kind, f, n)] = float(per_integrand.mean())
                per_mse[(tname, name, kind, f, n)] = per_integrand
        print(f"{tname} done ({time.perf_counter() - t0:.0f} s)", flush=True)

    def ratios(name, select=lambda kind, fam: True):
        out = []
        for t in images:
            for kind in KINDS:
                for f in FAMILIES:
                    if not select(kind, f):
                        continue
                    for n in ns:
                        best = min(mse[(t, p, kind, f, n)] for p in PEERS)
                        out.append(mse[(t, name, kind, f, n)] / best)
        return np.array(out)

    per_image = []
    for t in images:
        row = {"image": t}
        for name in names:
            rr = [mse[(t, name, k, f, n)] / min(mse[(t, p, k, f, n)] for p in PEERS)
                  for k in KINDS for f in FAMILIES for n in ns]
            row[name] = float(np.exp(np.mean(np.log(rr))))
            row[name + " max"] = float(np.max(rr))
        per_image.append(row)
    rows = []
    for name in names:
        r = ratios(name)
        blue = ratios(name, lambda k, f: k == "blue" and f == "g*target")
        row = {"warp": name, "geo-mean ratio": float(np.exp(np.mean(np.log(r)))), "share <= 1": float(np.mean(r <= 1)),
               "share <= 2": float(np.mean(r <= 2)), "max ratio": float(r.max()),
               "blue g*target share <= 0.5": float(np.mean(blue <= 0.5))}
        for kind in KINDS:
            for f in FAMILIES:
                rr = ratios(name, lambda k, ff, kind=kind, f=f: k == kind and ff == f)
                row[f"{kind} {f}"] = float(np.exp(np.mean(np.log(rr))))
        rows.append(row)
    paired = []
    for name in names:
        row = {"warp": name}
        for kind in KINDS:
            for f in FAMILIES:
                logs = np.array([np.mean(np.log(per_mse[(t, name, kind, f, n)] / per_mse[(t, DEFAULT, kind, f, n)]))
                                 for t in images for n in ns])
                row[f"{kind} {f}"] = f"{np.exp(logs.mean()):.3f} ± {np.exp(logs.std(ddof=1) / np.sqrt(len(logs))) - 1:.3f}"
        paired.append(row)
    for r in rows + paired:
        print(r, flush=True)
    text = ("# Tuning of the equal-mass kd-tree warp (images that are not the benchmark's)\n\n"
            f"`python benchmarks/tune_kd_warp.py{' --quick' if args.quick else ''}` — {len(images)} images at "
            f"{RES}² ({', '.join(images)}), N = {list(ns)}, {trials} randomisations, "
            f"{3 if args.quick else args.integrands} integrands per family. Ratio = relative MSE / best of "
            "pbrt's inverse CDF and Mitsuba 3's three warps per cell; the peers' own rows show how hard that "
            "per-cell minimum of noisy estimates is. Per-family columns: geometric mean ratio.\n\n"
            + md_table(rows, list(rows[0])) + "\n\n## Paired with the default\n\n"
            "Every setting against the default on the same point sets and integrands: the geometric mean over "
            "images, N and integrands of MSE(setting) / MSE(default), each integrand's MSE on its own (so one "
            "integrand with a tiny reference does not decide), ± the standard error of the mean log ratio "
            "(relative, over the image × N cells). A setting is better where the ratio is below 1 by more than "
            "about two standard errors. With white noise every exact warp ties (only the pdf matters): those "
            "columns show the noise level.\n\n"
            + md_table(paired, list(paired[0])) + "\n\n## Per image: geometric mean and max ratio\n\n"
            + md_table(per_image, list(per_image[0])) + "\n")
    with atomic_path(os.path.join(args.out, "warps_kd_tuning.md")) as tmp:
        with open(tmp, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
