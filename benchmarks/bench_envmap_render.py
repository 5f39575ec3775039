"""Environment-map lighting in Mitsuba 3: Mitsuba's ``envmap`` emitter against ``iadb_envmap``.

Three lat-long skies built here from formulas (256×128, fixed seed): ``sun`` (a clear-sky
gradient with a tiny, very bright sun of 0.75° radius carrying most of the light), ``overcast``
(the CIE overcast sky over a dim ground) and ``studio`` (three soft boxes and a rim strip on a
dark background). The scene (64×48 pixels): a diffuse ball, a glossy ball (``roughplastic``,
α = 0.1) and a diffuse floor, rendered by Mitsuba's ``direct`` integrator (one emitter and one
BSDF sample per pixel sample, MIS) in ``scalar_rgb``.

For each sky and each sampler (``independent``, ``ldsampler``) both emitters render at equal spp
(the radiance is the same ``envmap`` lookup, only the direction sampling differs; ``iadb_envmap``
runs with its defaults: cosine-product sampling). Reported: the MSE of each render against a
high-spp reference rendered with Mitsuba's ``envmap`` (mean over ``--seeds`` seeds), the ratio
ours / Mitsuba's, the render times, and Mitsuba's MSE at the spp that takes as long as our render
(equal time). Also the time to build the sampling tables for a 2048×1024 map (``EnvMapDensity``
with the default warp, and the whole plugin with its defaults), and where the render time goes:
the same render with a Python emitter that does nothing but return constants (the cost of
calling Python from ``scalar_rgb`` at all), and our sampler's own cost per direction.

Writes ``benchmarks/results/envmap_render.{csv,md,png}``.
Run: ``python benchmarks/bench_envmap_render.py [--quick]`` (timings: alone on the machine).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from iadb_graphics.io import atomic_path  # noqa: E402

SKY_H, SKY_W = 128, 256


# ----------------------------------------------------------------------------- skies

def _directions(h, w):
    theta = (np.arange(h) + 0.5) / h * np.pi
    phi = (np.arange(w) + 0.5) / w * 2 * np.pi
    th, ph = np.meshgrid(theta, phi, indexing="ij")
    return np.stack([np.sin(ph) * np.sin(th), np.cos(th), -np.cos(ph) * np.sin(th)], axis=-1)


def _supersampled(fn, h, w, s=4):
    """Mean of ``fn(directions) -> (…, 3)`` over s×s points per texel (anti-aliased discs and boxes)."""
    d = _directions(h * s, w * s)
    return fn(d).reshape(h, s, w, s, 3).mean(axis=(1, 3)).astype(np.float32)


SUN_DIR = np.array([np.sin(2.2) * np.sin(0.8), np.cos(0.8), -np.cos(2.2) * np.sin(0.8)])  # 0.75° radius


def sky_sun(h=SKY_H, w=SKY_W):
    sun_dir = SUN_DIR

    def f(d):
        up = np.clip(d[..., 1], 0, 1)[..., None]
        sky = np.array([0.25, 0.45, 0.9]) * (0.3 + 0.7 * (1 - up) ** 2) * (d[..., 1:2] > 0)
        ground = np.array([0.08, 0.07, 0.06]) * (d[..., 1:2] <= 0)
        sun = (d @ sun_dir > np.cos(np.radians(0.75)))[..., None] * np.array([2.0e4, 1.8e4, 1.5e4])
        return sky + ground + sun
    return _supersampled(f, h, w)


def sky_overcast(h=SKY_H, w=SKY_W):
    def f(d):
        up = d[..., 1:2]
        sky = np.array([0.9, 0.92, 1.0]) * (1 + 2 * np.clip(up, 0, 1)) / 3 * (up > 0)
        ground = np.array([0.1, 0.09, 0.08]) * (up <= 0)
        return sky + ground
    return _supersampled(f, h, w)


def sky_studio(h=SKY_H, w=SKY_W):
    def box(d, phi0, theta0, dphi, dtheta):
        phi = np.arctan2(d[..., 0], -d[..., 2]) % (2 * np.pi)
        theta = np.arccos(np.clip(d[..., 1], -1, 1))
        dp = (phi - phi0 + np.pi) % (2 * np.pi) - np.pi
        return ((np.abs(dp) < dphi) & (np.abs(theta - theta0) < dtheta))[..., None]

    def f(d):
        out = np.full(d.shape[:-1] + (3,), 0.02)
        out = out + 30.0 * box(d, 0.6, 0.7, 0.25, 0.2) * np.array([1.0, 0.97, 0.9])
        out = out + 12.0 * box(d, 3.5, 0.9, 0.35, 0.3) * np.array([0.9, 0.95, 1.0])
        out = out + 50.0 * box(d, 5.2, 1.3, 0.06, 0.45)
        return out
    return _supersampled(f, h, w)


SKIES = {"sun": sky_sun, "overcast": sky_overcast, "studio": sky_studio}


# ----------------------------------------------------------------------------- rendering

def scene(mi, emitter, sampler, spp, seed, width=64, height=48):
    T = mi.ScalarTransform4f
    return mi.load_dict({
        "type": "scene",
        "integrator": {"type": "direct"},
        "sensor": {"type": "perspective", "fov": 40,
                   "to_world": T().look_at(origin=[0, 1.6, 5.0], target=[0, 0.1, 0], up=[0, 1, 0]),
                   "film": {"type": "hdrfilm", "width": width, "height": height, "rfilter": {"type": "box"}},
                   "sampler": {"type": sampler, "sample_count": spp, "seed": seed}},
        "diffuse_ball": {"type": "sphere", "center": [-0.9, 0.0, 0.0], "radius": 0.8,
                         "bsdf": {"type": "diffuse", "reflectance": {"type": "rgb", "value": [0.7, 0.5, 0.3]}}},
        "glossy_ball": {"type": "sphere", "center": [0.9, 0.0, 0.0], "radius": 0.8,
                        "bsdf": {"type": "roughplastic", "alpha": 0.1,
                                 "diffuse_reflectance": {"type": "rgb", "value": [0.1, 0.2, 0.5]}}},
        "floor": {"type": "rectangle", "to_world": T().translate([0, -0.8, 0]).rotate([1, 0, 0], -90).scale(6),
                  "bsdf": {"type": "diffuse", "reflectance": {"type": "rgb", "value": [0.5, 0.5, 0.5]}}},
        "sky": emitter,
    })


def render(mi, emitter, sampler, spp, seed):
    from iadb_graphics.mitsuba_emitter import prepare_scene

    s = prepare_scene(scene(mi, emitter, sampler, spp, seed))
    t0 = time.perf_counter()
    img = np.array(mi.render(s, spp=spp, seed=seed), dtype=np.float64)
    return img, time.perf_counter() - t0


def mse(img, ref):
    return float(np.mean((img - ref) ** 2))


def build_times(mi, repeats=1):
    from iadb_graphics.envmap import EnvMapDensity

    rng = np.random.default_rng(0)
    big = (rng.gamma(0.7, 1.0, (1024, 2048, 3)) * np.linspace(1, 3, 2048)[None, :, None]).astype(np.float32)
    big[300:304, 700:704] = 5.0e4
    EnvMapDensity(big[:64, :128])  # compiles the Numba kernels (once per install): not part of a build
    t0 = time.perf_counter()
    for _ in range(repeats):
        env = EnvMapDensity(big)
    t_density = (time.perf_counter() - t0) / repeats
    bmp = mi.Bitmap(big)
    t0 = time.perf_counter()
    for _ in range(repeats):
        mi.load_dict({"type": "iadb_envmap", "bitmap": bmp})
    t_plugin = (time.perf_counter() - t0) / repeats
    t0 = time.perf_counter()
    for _ in range(repeats):
        mi.load_dict({"type": "envmap", "bitmap": bmp})
    t_mitsuba = (time.perf_counter() - t0) / repeats
    return env.method, t_density, t_plugin, t_mitsuba


def per_call_times(sky, n=20000):
    """Seconds per direction of the plugin's default sampler alone (pure Python, one call each):
    sample and pdf, for a surface normal."""
    from iadb_graphics.envmap_product import CosineProductSampler
    from iadb_graphics.mitsuba_emitter import DEFAULT_COARSE_SHAPE, DEFAULT_EPSILON, DEFAULT_NORMAL_RES

    lum = sky @ np.array([0.212671, 0.715160, 0.072169])
    sampler = CosineProductSampler(lum, interpolation="bilinear", phi_offset=0.5 / lum.shape[1],
                                   coarse_shape=DEFAULT_COARSE_SHAPE, normal_res=DEFAULT_NORMAL_RES,
                                   epsilon=DEFAULT_EPSILON)
    rng = np.random.default_rng(0)
    u = rng.random((n, 2)).tolist()
    normals = rng.normal(size=(n, 3)).tolist()
    t0 = time.perf_counter()
    dirs = [sampler.sample_one(a, b, *m) for (a, b), m in zip(u, normals)]
    t_sample = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for (x, y, z, _), m in zip(dirs, normals):
        sampler.pdf_one(x, y, z, *m)
    t_pdf = (time.perf_counter() - t0) / n
    return t_sample, t_pdf


def sun_hits(mi, sky, spp, seeds=400):
    """How many of ``spp`` emitter samples land on the sun (within 3° of it) at an upward normal (the floor),
    over ``seeds`` pixels' worth of Mitsuba's sample sequences: {(emitter, sampler): (mean, variance)} for
    Mitsuba's ``envmap``, ``iadb_envmap`` without MIS compensation (the cosine product alone) and with its
    defaults.

    With a low-discrepancy sampler the count is nearly fixed; its rounding (the count is an integer, its
    mean is not) is the error left on sunlit surfaces."""
    bmp = mi.Bitmap(sky)
    it = mi.SurfaceInteraction3f()
    it.n = mi.Normal3f(0.0, 1.0, 0.0)
    out = {}
    for name, em in (("mitsuba", {"type": "envmap", "bitmap": bmp}),
                     ("ours_uncompensated", {"type": "iadb_envmap", "bitmap": bmp, "compensation": 0.0}),
                     ("ours", {"type": "iadb_envmap", "bitmap": bmp})):
        emitter = mi.load_dict(em)
        for kind in ("independent", "ldsampler"):
            counts = []
            for seed in range(seeds):
                sampler = mi.load_dict({"type": kind, "sample_count": spp})
                sampler.seed(seed)
                k = 0
                for _ in range(spp):
                    ds = emitter.sample_direction(it, sampler.next_2d())[0]
                    k += float(ds.d[0]) * SUN_DIR[0] + float(ds.d[1]) * SUN_DIR[1] + float(ds.d[2]) * SUN_DIR[2] \
                        > np.cos(np.radians(3.0))
                    sampler.advance()
                counts.append(k)
            out[name, kind] = (float(np.mean(counts)), float(np.var(counts)))
    return out


def python_emitter_floor(mi, sampler, spp):
    """Render time with a Python emitter that returns constants (one fixed direction): what calling
    Python from ``scalar_rgb`` costs before any sampling is done."""
    class ConstantEmitter(mi.Emitter):
        def __init__(self, props):
            mi.Emitter.__init__(self, props)
            self.m_flags = mi.EmitterFlags.Infinite | mi.EmitterFlags.SpatiallyVarying

        def sample_direction(self, it, sample, active=True):
            ds = mi.DirectionSample3f()
            ds.d, ds.pdf, ds.dist, ds.emitter = mi.Vector3f(0.0, 1.0, 0.0), 1.0, 1.0e6, self
            ds.p, ds.n = it.p + ds.d * 1.0e6, -ds.d
            return ds, mi.Spectrum(1.0)

        def pdf_direction(self, it, ds, active=True):
            return 1.0

        def eval(self, si, active=True):
            return mi.Spectrum(1.0)

        def eval_direction(self, it, ds, active=True):
            return mi.Spectrum(1.0)

        def bbox(self):
            return mi.BoundingBox3f()

    mi.register_emitter("bench_constant_python", lambda props: ConstantEmitter(props))
    return render(mi, {"type": "bench_constant_python"}, sampler, spp, 0)[1]


# ----------------------------------------------------------------------------- main

def _fmt(x):
    return f"{x:.3g}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    ap.add_argument("--spp", type=int, default=16)
    ap.add_argument("--ref-spp", type=int, default=4096)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--method", default=None, help="warp of iadb_envmap (default: the plugin's default)")
    ap.add_argument("--skies", nargs="+", default=list(SKIES), choices=list(SKIES))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args(argv)
    if args.quick:
        args.spp, args.ref_spp, args.seeds = 4, 64, 1

    import mitsuba as mi

    mi.set_variant("scalar_rgb")
    from iadb_graphics.envmap import EnvMapDensity  # noqa: F401
    from iadb_graphics.mitsuba_emitter import register

    register()
    os.makedirs(args.out, exist_ok=True)
    load = os.getloadavg()[0]
    rows, panels = [], {}
    for sky_name in args.skies:
        sky = SKIES[sky_name]()
        bmp = mi.Bitmap(sky)
        theirs = {"type": "envmap", "bitmap": bmp}
        ours = {"type": "iadb_envmap", "bitmap": bmp}
        if args.method is not None:
            ours["method"] = args.method
        ref, t_ref = render(mi, theirs, "independent", args.ref_spp, 1000)
        panels[sky_name] = {"sky": sky, "ref": ref}
        for sampler in ("independent", "ldsampler"):
            res = {}
            for name, em in (("mitsuba", theirs), ("ours", ours)):
                errs, times, img0 = [], [], None
                for seed in range(args.seeds):
                    img, t = render(mi, em, sampler, args.spp, seed)
                    errs.append(mse(img, ref))
                    times.append(t)
                    img0 = img if img0 is None else img0
                res[name] = (float(np.mean(errs)), float(np.mean(times)), img0)
                if sampler == "independent":
                    panels[sky_name][name] = img0
            # Mitsuba at the spp that takes as long as our render (equal time)
            ratio_t = res["ours"][1] / res["mitsuba"][1]
            base = 4 if sampler == "ldsampler" else 2  # ldsampler takes powers of 4 (Mitsuba rounds others up)
            spp_eq = base ** round(np.log(args.spp * ratio_t) / np.log(base))
            spp_eq = int(min(args.ref_spp // 4, max(args.spp, spp_eq)))
            img_eq, t_eq = render(mi, theirs, sampler, spp_eq, 7)
            row = {"sky": sky_name, "sampler": sampler, "spp": args.spp,
                   "mse_mitsuba": res["mitsuba"][0], "mse_ours": res["ours"][0],
                   "ratio_equal_spp": res["ours"][0] / res["mitsuba"][0],
                   "time_mitsuba_s": res["mitsuba"][1], "time_ours_s": res["ours"][1],
                   "mitsuba_equal_time_spp": spp_eq, "mse_mitsuba_equal_time": mse(img_eq, ref),
                   "ratio_equal_time": res["ours"][0] / mse(img_eq, ref), "ref_spp": args.ref_spp}
            rows.append(row)
            print({k: (_fmt(v) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    method, t_density, t_plugin, t_mitsuba_build = build_times(mi)
    print(f"build 2048x1024: EnvMapDensity({method!r}) {t_density:.2f} s, plugin {t_plugin:.2f} s, "
          f"Mitsuba envmap {t_mitsuba_build:.2f} s", flush=True)
    t_sample, t_pdf = per_call_times(SKIES["sun"]())
    t_floor = python_emitter_floor(mi, "independent", args.spp)
    hits = sun_hits(mi, SKIES["sun"](), args.spp)
    print("sun hits (mean, variance) of", args.spp, "emitter samples at the floor:", hits, flush=True)
    sun_rows = [r for r in rows if r["sky"] == rows[0]["sky"] and r["sampler"] == "independent"]
    print(f"per direction: sample {t_sample * 1e6:.1f} us, pdf {t_pdf * 1e6:.1f} us; constant Python emitter "
          f"render {t_floor:.2f} s", flush=True)
    with atomic_path(os.path.join(args.out, "envmap_render.csv")) as tmp, open(tmp, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    lines = ["### Environment-map lighting in Mitsuba 3 (`bench_envmap_render.py`)", "",
             f"64×48 pixels, `direct` integrator, `scalar_rgb`, {args.spp} spp; MSE against a {args.ref_spp}-spp "
             f"render with Mitsuba's `envmap` (mean of {args.seeds} seeds). `iadb_envmap` runs with its defaults "
             f"(cosine-product sampling). Equal time: Mitsuba's `envmap` at the spp that takes as long as our render, "
             f"capped at {args.ref_spp // 4} (a quarter of the reference), which favours `iadb_envmap`.", "",
             "| sky | sampler | MSE Mitsuba `envmap` | MSE `iadb_envmap` | ratio (equal spp) | time Mitsuba / ours (s) "
             "| Mitsuba spp at equal time | ratio (equal time) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['sky']} | {r['sampler']} | {_fmt(r['mse_mitsuba'])} | {_fmt(r['mse_ours'])} | "
                     f"{r['ratio_equal_spp']:.2f} | {r['time_mitsuba_s']:.2f} / {r['time_ours_s']:.1f} | "
                     f"{r['mitsuba_equal_time_spp']} | {r['ratio_equal_time']:.1f} |")
    t_ref = sun_rows[0]
    lines += ["", f"Building the sampling tables of a 2048×1024 map: the `iadb_envmap` plugin with its defaults "
              f"{t_plugin:.2f} s (Mitsuba's `envmap` {t_mitsuba_build:.2f} s), `EnvMapDensity` with the default warp "
              f"(`{method}`) {t_density:.2f} s (load average {load:.1f}).",
              "", f"Where our render time goes ({t_ref['sky']} sky, `independent`, {args.spp} spp): Mitsuba's "
              f"`envmap` {t_ref['time_mitsuba_s']:.2f} s; a Python emitter that only returns constants "
              f"{t_floor:.2f} s, the cost of `scalar_rgb` calling Python once per emitter sample and once per "
              f"BSDF-sampled ray that hits the sky; `iadb_envmap` {t_ref['time_ours_s']:.2f} s. Our sampler itself "
              f"costs {t_sample * 1e6:.1f} µs per sampled direction and {t_pdf * 1e6:.1f} µs per pdf (pure Python); "
              f"the rest is Mitsuba's Python bindings "
              f"(building the direction sample, the radiance lookup).",
              "", f"Emitter samples that land on the sun at an upward normal (the floor), out of {args.spp} "
              f"(mean ± standard deviation over 400 pixels' sample sequences): "
              + "; ".join(f"{label} " + ", ".join(f"{k} {hits[name, k][0]:.2f} ± {hits[name, k][1] ** 0.5:.2f}"
                                                  for k in ("independent", "ldsampler"))
                          for name, label in (("mitsuba", "Mitsuba's `envmap`"),
                                              ("ours_uncompensated", "`iadb_envmap` with `compensation=0`"),
                                              ("ours", "`iadb_envmap`"))) + ".",
              "", "![renders](benchmarks/results/envmap_render.png)"]
    with atomic_path(os.path.join(args.out, "envmap_render.md")) as tmp, open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    _figure(panels, os.path.join(args.out, "envmap_render.png"))
    return 0


def _figure(panels, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def tone(x):
        return np.clip((x / (1 + x)) ** (1 / 2.2), 0, 1)

    cols = ["sky", "reference", "Mitsuba envmap", "iadb_envmap", "|error| Mitsuba", "|error| ours"]
    fig, axes = plt.subplots(len(panels), len(cols), figsize=(2.2 * len(cols), 1.8 * len(panels)), squeeze=False)
    for i, (name, p) in enumerate(panels.items()):
        err_m = np.abs(p["mitsuba"] - p["ref"]).mean(axis=2)
        err_o = np.abs(p["ours"] - p["ref"]).mean(axis=2)
        vmax = np.percentile(np.concatenate([err_m.ravel(), err_o.ravel()]), 99)
        images = [tone(p["sky"]), tone(p["ref"]), tone(p["mitsuba"]), tone(p["ours"]), err_m, err_o]
        for j, im in enumerate(images):
            ax = axes[i, j]
            if j >= 4:
                ax.imshow(im, cmap="magma", vmin=0, vmax=vmax)
            else:
                ax.imshow(im)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(cols[j], fontsize=8)
        axes[i, 0].set_ylabel(name, fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
