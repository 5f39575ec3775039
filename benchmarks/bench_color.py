"""Colour transfer benchmark: every method of ``iadb_graphics.color`` plus POT's gallery recipe.

Photo pairs ship with matplotlib (nothing downloaded): Grace Hopper's portrait, its halves, and
the bundled RGBA graphic ``Minduka_Present_Blue_Pack.png`` (alpha-weighted).
scikit-image is not installed and python-color-transfer is not installed: neither is run.

Per pair and method: fit time (fit + LUT bake), apply time at the source size, 1 MP and 12 MP
(upsampled source; POT's ``transform`` is far too slow for that: it is timed on the source at its own
size and on a fixed 50k-pixel subsample of the 1 MP image, and a line through those two timings is
extrapolated to 1 MP and 12 MP; its metrics are computed on the source-size output),
peak extra memory of the 12 MP apply (tracemalloc), sliced W2 (CIELAB) between output and palette
colours, and gradient preservation (correlation of Sobel magnitudes of source and output luma).

A second table runs a few methods on 10 pairs (the two above plus 8 built offline, see
:func:`extra_pairs`) and reports the mean, which is what the defaults were chosen on.

Usage: ``python benchmarks/bench_color.py [--quick]`` → benchmarks/results/color.{csv,md,png},
color_pairs.{csv,png}
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import tracemalloc

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
from scipy import ndimage  # noqa: E402

from iadb_graphics.color import apply_lut, bake_lut, convert, fit_map, palette, regrain  # noqa: E402
from iadb_graphics.color.image import luminance, rgb_pixels  # noqa: E402
from iadb_graphics.metrics import sliced_w2  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
#: The grid method's defaults before this benchmark's second version (independent pairs, σ = 0.5
#: cell, 2**17 pairs, no lightness weight), kept as a before / after row.
GRID_V0 = {"coupling": "independent", "bandwidth": 0.5, "n_pairs": 1 << 17, "luma_weight": 1.0}
#: Methods of the many-pairs table: (name, method, space, options, regrain).
PAIR_METHODS = [("grid v0", "grid", "lab", GRID_V0, False), ("grid", "grid", "lab", {}, False),
                ("grid+regrain", "grid", "lab", {}, True), ("idt", "idt", "lab", {}, False),
                ("reinhard", "reinhard", "lalphabeta", {}, False)]


def load_pairs(quick):
    import imageio.v3 as iio
    import matplotlib.cbook as cbook

    def sample(name):
        return np.asarray(iio.imread(cbook.get_sample_data(name, asfileobj=False)))

    hopper = sample("grace_hopper.jpg")
    pairs = [("hopper→present", hopper, sample("Minduka_Present_Blue_Pack.png")),
             ("hopper top→bottom", hopper[:260], hopper[340:])]
    return pairs[:1] if quick else pairs


def _to_u8(img):
    return np.floor(np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def extra_pairs():
    """8 more pairs built offline from matplotlib's sample data: Hopper re-toned in CIELAB (hue
    rotation, sepia), shaded-relief renderings of the bundled elevation grids with matplotlib
    colormaps, a smooth synthetic colour ramp, and the present graphic.
    """
    import imageio.v3 as iio
    import matplotlib.cbook as cbook
    from matplotlib import colormaps
    from matplotlib.colors import LightSource
    from scipy import ndimage
    from iadb_graphics.color import convert

    def sample(name):
        return np.asarray(iio.imread(cbook.get_sample_data(name, asfileobj=False)))

    hopper = sample("grace_hopper.jpg")
    present = sample("Minduka_Present_Blue_Pack.png")[..., :3]
    hop = hopper[::2, ::2]  # 300 x 256
    dem = np.load(cbook.get_sample_data("jacksboro_fault_dem.npz", asfileobj=False))["elevation"].astype(float)
    topo = np.load(cbook.get_sample_data("topobathy.npz", asfileobj=False))["topo"].astype(float)
    topo = ndimage.zoom(topo, 3, order=3)
    ls = LightSource(azdeg=315, altdeg=45)

    def relief(z, cmap, vert=0.05):
        return _to_u8(ls.shade(z, cmap=colormaps[cmap], vert_exag=vert, blend_mode="overlay")[..., :3])

    def lab_edit(img, fn):
        lab = convert(img.reshape(-1, 3) / 255.0, "rgb", "lab")
        return _to_u8(convert(fn(lab), "lab", "rgb").reshape(img.shape))

    def hue_rot(lab, deg=40.0, chroma=1.3, dl=0.0):
        c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
        out = lab.copy()
        out[:, 1] = chroma * (c * lab[:, 1] - s * lab[:, 2])
        out[:, 2] = chroma * (s * lab[:, 1] + c * lab[:, 2])
        out[:, 0] = lab[:, 0] + dl
        return out

    def sepia(lab):
        out = lab.copy()
        out[:, 0] = 100 * (lab[:, 0] / 100) ** 0.8
        out[:, 1] = 0.3 * lab[:, 1] + 6
        out[:, 2] = 0.3 * lab[:, 2] + 18
        return out

    yy, xx = np.mgrid[0:240, 0:320] / 320.0
    ramp = np.stack([0.15 + 0.7 * xx, 0.2 + 0.9 * yy, 0.8 - 0.5 * xx * yy / 0.75], -1)
    ramp = _to_u8(ramp + 0.01 * np.random.default_rng(0).standard_normal(ramp.shape))
    dem_terrain = relief(dem, "terrain", 0.05)
    topo_earth = relief(topo, "gist_earth", 0.002)
    return [
        ("hopper→hue-rotated", hop, lab_edit(hop, hue_rot)),
        ("hopper L→R sepia", hop[:, :128], lab_edit(hop[:, 128:], sepia)),
        ("terrain relief→hopper", dem_terrain, hop),
        ("hopper→earth relief", hop, topo_earth),
        ("earth relief→copper relief", topo_earth, relief(dem, "copper", 0.05)),
        ("ramp→present", ramp, present),
        ("present→hopper", present, hop),
        ("terrain→sepia hopper", dem_terrain[::-1], lab_edit(hop, sepia)),
    ]


def upsample(img, megapixels):
    """Nearest-neighbour upsampling to about ``megapixels`` (a synthetic large photo)."""
    f = np.sqrt(megapixels * 1e6 / (img.shape[0] * img.shape[1]))
    rows = np.minimum((np.arange(int(img.shape[0] * f)) / f).astype(int), img.shape[0] - 1)
    cols = np.minimum((np.arange(int(img.shape[1] * f)) / f).astype(int), img.shape[1] - 1)
    return np.ascontiguousarray(img[rows][:, cols])


def lab_colours(img, n, seed):
    return palette(img, space="lab", max_pixels=None).sample(n, rng=seed)


def gradient_preservation(src, out):
    def mag(img):
        rgb, _ = rgb_pixels(img)
        y = luminance(rgb).reshape(img.shape[:2])
        return np.hypot(ndimage.sobel(y, 0), ndimage.sobel(y, 1)).ravel()

    return float(np.corrcoef(mag(src), mag(out))[0, 1])


def tv_ratio(src, out):
    """Total variation of the output's CIELAB colours over the source's: a speckle measure (1 = as
    smooth as the source; a map that amplifies noise or posterises gradients into steps scores > 1)."""
    def tv(img):
        rgb, _ = rgb_pixels(img)
        lab = convert(rgb, "rgb", "lab").reshape(img.shape[:2] + (3,))
        return np.abs(np.diff(lab, axis=0)).sum() + np.abs(np.diff(lab, axis=1)).sum()

    return float(tv(out) / max(tv(src), 1e-12))


def many_pairs(quick, lut_size, n_metric=20000):
    """Sliced W2, gradient correlation and TV ratio of a few methods on every pair (2 + 8)."""
    pairs = [(n, s[..., :3] if s.shape[-1] == 4 else s, p) for n, s, p in load_pairs(False)] + extra_pairs()
    if quick:
        pairs = pairs[:3]
    rows, fig_rows, fig_notes = [], [], []
    for label, src, pal in pairs:
        target = lab_colours(pal, n_metric, 1)
        before = sliced_w2(lab_colours(src, n_metric, 3), target, rng=0)
        rows.append(dict(pair=label, method="(source)", fit_s=0.0, fit_cpu_s=0.0, sw2=before, grad_corr=1.0, tv=1.0))
        results, notes = {}, {}
        for name, method, space, opts, rg in PAIR_METHODS + [("POT EMDTransport 500", None, "rgb", {}, False)]:
            t0, c0 = time.perf_counter(), time.process_time()
            if method is None:
                pot = PotEMD(500, 0).fit(src, pal)
                fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
                out = pot.apply(src)
            else:
                lut = bake_lut(fit_map(src, pal, method=method, space=space, rng=0, **opts), lut_size)
                fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
                out = apply_lut(src, lut)
                out = regrain(src, out) if rg else out
            r = dict(pair=label, method=name, fit_s=fit_s, fit_cpu_s=fit_cpu,
                     sw2=sliced_w2(lab_colours(out, n_metric, 3), target, rng=0),
                     grad_corr=gradient_preservation(src, out), tv=tv_ratio(src, out))
            rows.append(r)
            if name != "grid v0" and not name.startswith("POT"):
                results[name] = out
                notes[name] = f"SW2 {r['sw2']:.1f}, grad {r['grad_corr']:.2f}"
            print(f"  [{label}] {name:22s} fit {fit_s:5.2f}s SW2 {r['sw2']:6.2f} grad {r['grad_corr']:.3f} "
                  f"TV {r['tv']:.2f}", file=sys.stderr)
        fig_rows.append((label, src, pal, results))
        fig_notes.append(notes)
    return rows, fig_rows, fig_notes


def median_time(fn, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


class PotEMD:
    """POT's gallery recipe: ot.da.EMDTransport fitted on n pixels (RGB), transform of all pixels."""

    def __init__(self, n, seed):
        self.n, self.seed = n, seed

    def fit(self, src, pal):
        import ot

        rng = np.random.default_rng(self.seed)
        xs, _ = rgb_pixels(src)
        xt = palette(pal, space="rgb").sample(self.n, rng=rng)
        xs = xs[rng.choice(xs.shape[0], self.n, replace=False)]
        self.model = ot.da.EMDTransport().fit(Xs=xs, Xt=xt)
        return self

    def apply(self, img):
        rgb, _ = rgb_pixels(img)
        out = np.empty_like(rgb)
        for s in range(0, rgb.shape[0], 100_000):
            out[s:s + 100_000] = self.model.transform(Xs=rgb[s:s + 100_000])
        res = np.floor(np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8).reshape(img.shape[:2] + (3,))
        return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one pair, fewer methods, small repeats")
    ap.add_argument("--lut-size", type=int, default=33)
    ap.add_argument("--mlp", action="store_true", help="include the MLP method (baking it takes minutes on a CPU)")
    args = ap.parse_args(argv)
    quick = args.quick
    os.makedirs(RESULTS, exist_ok=True)
    methods = [("grid", "grid", "lab", {}), ("grid+regrain", "grid", "lab", {}),
               ("grid v0", "grid", "lab", GRID_V0),
               ("mlp", "mlp", "lab", {"n_iters": 100 if quick else 300}),
               ("emd", "emd", "lab", {}), ("sinkhorn", "sinkhorn", "lab", {}), ("sliced", "sliced", "lab", {}),
               ("idt", "idt", "lab", {}), ("reinhard", "reinhard", "lalphabeta", {})]
    if quick:
        methods = [m for m in methods if m[0] in ("grid", "grid v0", "idt", "reinhard")]
    elif not args.mlp:
        methods = [m for m in methods if m[0] != "mlp"]
    pots = [500] if quick else [500, 2000]
    n_metric = 20000
    rows, fig_rows, fig_notes, pot_notes = [], [], [], []
    # warm up the Numba kernel (compilation is not part of the apply time)
    from iadb_graphics.color import identity_lut
    apply_lut(np.zeros((4, 4, 3), np.uint8), identity_lut(2))

    for label, src, pal in load_pairs(quick):
        src = src[..., :3] if src.shape[-1] == 4 else src
        big1, big12 = upsample(src, 1.0), (upsample(src, 12.0) if not quick else upsample(src, 3.0))
        target = lab_colours(pal, n_metric, 1)
        floor = sliced_w2(lab_colours(pal, n_metric, 2), target, rng=0)
        before = sliced_w2(lab_colours(src, n_metric, 3), target, rng=0)
        results, notes, luts = {}, {}, {}
        # fixed 50k-pixel subsample of the 1 MP image, as an (n, 1, 3) image, for POT's transform timing
        flat = big1.reshape(-1, big1.shape[-1])
        n_sub = min(50_000, flat.shape[0])
        sub = flat[np.random.default_rng(0).choice(flat.shape[0], n_sub, replace=False)][:, None, :]
        print(f"[{label}] source {src.shape}, palette {pal.shape}; floor {floor:.2f}, before {before:.2f}",
              file=sys.stderr)
        rows.append(dict(pair=label, method="(source, untouched)", fit_s=0.0, apply_src_s=0.0, apply_1mp_s=0.0,
                         apply_12mp_s=0.0, mem_12mp_mb=0.0, sw2=before, sw2_floor=floor,
                         grad_corr=1.0, tv=1.0, total_s=0.0))
        for name, method, space, opts in methods:
            if name.endswith("+regrain"):  # same LUT as the plain method, regrain added at apply time
                lut, fit_s = luts[method]
            else:
                t0 = time.perf_counter()
                cmap = fit_map(src, pal, method=method, space=space, rng=0, **opts)
                lut = bake_lut(cmap, args.lut_size)
                fit_s = time.perf_counter() - t0
                luts[method] = (lut, fit_s)
            reps = 3
            if name.endswith("regrain"):
                t_src, out = median_time(lambda: regrain(src, apply_lut(src, lut)), reps)
                t1, _ = median_time(lambda: regrain(big1, apply_lut(big1, lut)), 1)
                t12, mem = float("nan"), float("nan")
            else:
                t_src, out = median_time(lambda: apply_lut(src, lut), reps)
                t1, _ = median_time(lambda: apply_lut(big1, lut), reps)
                t12, _ = median_time(lambda: apply_lut(big12, lut), reps)
                tracemalloc.start()
                apply_lut(big12, lut)
                mem = tracemalloc.get_traced_memory()[1] / 2 ** 20
                tracemalloc.stop()
            sw2 = sliced_w2(lab_colours(out, n_metric, 3), target, rng=0)
            g = gradient_preservation(src, out)
            rows.append(dict(pair=label, method=f"{name} ({space})", fit_s=fit_s, apply_src_s=t_src, apply_1mp_s=t1,
                             apply_12mp_s=t12, mem_12mp_mb=mem, sw2=sw2, sw2_floor=floor, grad_corr=g,
                             tv=tv_ratio(src, out),
                             total_s=fit_s + t_src))
            results[name], notes[name] = out, f"SW2 {sw2:.1f}, grad {g:.2f}"
            print(f"  {name:14s} fit {fit_s:6.2f}s  apply {t_src:.3f}s  1MP {t1:.3f}s  12MP {t12:.3f}s  "
                  f"SW2 {sw2:.2f}  grad {g:.3f}", file=sys.stderr)
        for n in pots:
            pot = PotEMD(n, 0)
            fit_s, _ = median_time(lambda: pot.fit(src, pal), 1)
            t_src, out = median_time(lambda: pot.apply(src), 1)
            t_sub, _ = median_time(lambda: pot.apply(sub), 1)
            # straight line t = a + b * pixels through (50k, t_sub) and (source size, t_src), extrapolated
            n_src, n_sub = src.shape[0] * src.shape[1], sub.shape[0]
            b = (t_src - t_sub) / (n_src - n_sub) if n_src != n_sub else t_src / n_src
            if not b > 0:
                b = t_src / n_src
            a = max(t_src - b * n_src, 0.0)
            t1 = a + b * big1.shape[0] * big1.shape[1]
            t12 = a + b * big12.shape[0] * big12.shape[1]
            pot_notes.append(f"{label} / {n}: {t_sub:.2f} s for {n_sub // 1000}k px, {t_src:.2f} s for "
                             f"{n_src / 1e3:.0f}k px (source)")
            sw2 = sliced_w2(lab_colours(out, n_metric, 3), target, rng=0)
            g = gradient_preservation(src, out)
            name = f"POT EMDTransport {n}"
            rows.append(dict(pair=label, method=name + " (rgb)", fit_s=fit_s, apply_src_s=t_src, apply_1mp_s=t1,
                             apply_12mp_s=t12, mem_12mp_mb=float("nan"), sw2=sw2, sw2_floor=floor, grad_corr=g,
                             tv=tv_ratio(src, out),
                             total_s=fit_s + t_src))
            results[f"POT {n}"], notes[f"POT {n}"] = out, f"SW2 {sw2:.1f}, grad {g:.2f}"
            print(f"  {name:14s} fit {fit_s:6.2f}s  apply {t_src:.3f}s  1MP {t1:.3f}s  12MP~{t12:.1f}s  "
                  f"SW2 {sw2:.2f}  grad {g:.3f}", file=sys.stderr)
        fig_rows.append((label, src, pal, results))
        fig_notes.append(notes)

    pair_rows, pair_fig, pair_notes = many_pairs(quick, args.lut_size)
    write_outputs(rows, fig_rows, fig_notes, quick, args.lut_size, pot_notes, args.mlp and not quick,
                  pair_rows, pair_fig, pair_notes)


def pairs_table(rows):
    """Markdown lines: one row per pair, (SW2, grad, TV) per method, then the mean over pairs."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    pairs = list(dict.fromkeys(r["pair"] for r in rows))
    cell = {(r["pair"], r["method"]): r for r in rows}
    lines = ["| pair | " + " | ".join(methods) + " |", "|---|" + "---:|" * len(methods)]
    for p in pairs + ["**mean**"]:
        vals = []
        for m in methods:
            rs = [cell[(q, m)] for q in pairs] if p == "**mean**" else [cell[(p, m)]]
            sw2, g, tv = (float(np.mean([r[k] for r in rs])) for k in ("sw2", "grad_corr", "tv"))
            vals.append(f"{sw2:.2f} / {g:.2f} / {tv:.2f}")
        lines.append(f"| {p} | " + " | ".join(vals) + " |")
    fits = {m: [float(np.mean([cell[(q, m)][k] for q in pairs])) for k in ("fit_s", "fit_cpu_s")]
            for m in methods if m != "(source)"}
    lines += ["", "Mean fit+bake time per pair, wall / CPU seconds of the process (CPU time does not depend on "
              "the other load on the machine; POT: fit only, its transform is the slow part): "
              + ", ".join(f"{m} {t:.2f} / {c:.2f}" for m, (t, c) in fits.items()) + "."]
    return lines


def write_outputs(rows, fig_rows, fig_notes, quick, lut_size, pot_notes=(), mlp=False, pair_rows=(),
                  pair_fig=(), pair_notes=()):
    from iadb_graphics.io import atomic_path
    from iadb_graphics.plot.color import save_figure, transfer_grid

    keys = list(rows[0].keys())
    with atomic_path(os.path.join(RESULTS, "color.csv")) as tmp:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys)
            w.writeheader()
            for r in rows:
                w.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})
    twelve = "12 MP apply (s)" if not quick else "3 MP apply (s)"
    lines = [f"Colour transfer (2-core CPU, LUT {lut_size}³, sliced W2 in CIELAB to the palette; "
             f"floor = two independent palette samples; {'quick run' if quick else 'full run'}).", "",
             f"| pair | method | fit+bake (s) | apply src (s) | 1 MP apply (s) | {twelve} | 12 MP extra mem (MB) "
             "| sliced W2 ↓ (floor) | grad. corr ↑ | TV ×src |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def fmt(v, p=2):
        return "–" if v != v else f"{v:.{p}f}"

    for r in rows:
        lines.append(f"| {r['pair']} | {r['method']} | {fmt(r['fit_s'])} | {fmt(r['apply_src_s'], 3)} | "
                     f"{fmt(r['apply_1mp_s'], 3)} | {fmt(r['apply_12mp_s'], 3)} | {fmt(r['mem_12mp_mb'], 0)} | "
                     f"{fmt(r['sw2'])} ({fmt(r['sw2_floor'])}) | {fmt(r['grad_corr'], 3)} | {fmt(r['tv'])} |")
    mlp_note = ("mlp: fitted with n_iters=300 and baked like the others." if mlp else
                "mlp is NOT in this run (only with --mlp: baking its LUT integrates 128 MLP steps per node, "
                "minutes on 2 cores).")
    lines += ["", "POT rows: `ot.da.EMDTransport` fitted on n pixels in RGB, then `transform` (default "
              "batch_size) of every pixel of the source; sliced W2 and gradient correlation are measured on that "
              "source-size output. Its 1 MP and 12 MP apply times are NOT measured (far too slow): they are "
              "extrapolated linearly (a line through the timings on a fixed 50k-pixel subsample and on the whole "
              "source: " + "; ".join(pot_notes) + "). grid+regrain: apply + guided-filter regrain "
              "(whole image, luma mode, not timed at 12 MP; fit column = the grid's). grid v0: the grid method's "
              "previous defaults (" + ", ".join(f"{k}={v}" for k, v in GRID_V0.items()) + "). TV ×src: total "
              "variation of the output's CIELAB colours over the source's (speckle: 1 = as smooth as the source). "
              + mlp_note + " python-color-transfer and scikit-image are not installed: not run."]
    if pair_rows:
        n_pairs = len(set(r["pair"] for r in pair_rows))
        lines += ["", f"### All pairs ({n_pairs}): sliced W2 ↓ / grad. corr ↑ / TV ×src",
                  "", "The two pairs above plus 8 built from matplotlib's sample data (`extra_pairs`); LUT "
                  f"{lut_size}³, grid+regrain = `transfer(..., regrain=True)`. Defaults were chosen on the mean "
                  "row, not on the two benchmark pairs.", ""] + pairs_table(pair_rows)
        with atomic_path(os.path.join(RESULTS, "color_pairs.csv")) as tmp:
            with open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(pair_rows[0].keys()))
                w.writeheader()
                for r in pair_rows:
                    w.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})
        save_figure(transfer_grid(list(pair_fig), notes=list(pair_notes), panel=1.8),
                    os.path.join(RESULTS, "color_pairs.png"), dpi=70)
    with atomic_path(os.path.join(RESULTS, "color.md")) as tmp:
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
    save_figure(transfer_grid(fig_rows, notes=fig_notes), os.path.join(RESULTS, "color.png"), dpi=80)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
