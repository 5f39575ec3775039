"""Tune the cosine-product sampling of ``iadb_envmap`` on skies that are not the render benchmark's.

Ten lat-long skies made here (128×256): suns at several elevations and sizes (down to 0.4°) over
different sky gradients, a sun with a dimmer mirror image below the horizon, a cloudy sky, a sun
behind thin cloud, an interior lit by a window, and a dome of many small lamps. Each is rendered in
the scene of ``bench_envmap_render.py`` (16 spp, ``independent`` and ``ldsampler``) with Mitsuba's
``envmap`` and with ``iadb_envmap`` under each configuration given; the figure is the MSE ratio
ours / Mitsuba against a high-spp ``envmap`` reference, and the mean of log ratios over skies and
samplers picks the default.

Run: ``python benchmarks/tune_envmap_product.py [--configs JSON ...]``; writes
``benchmarks/results/envmap_product_tuning.csv``.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from bench_envmap_render import SKY_H, SKY_W, _supersampled, mse, render  # noqa: E402
from iadb_graphics.io import atomic_path  # noqa: E402


def _dir(theta, phi):
    return np.array([np.sin(phi) * np.sin(theta), np.cos(theta), -np.cos(phi) * np.sin(theta)])


def _sun_sky(elevation_deg, radius_deg, phi, power, zenith, horizon, ground):
    sun = _dir(np.radians(90 - elevation_deg), phi)

    def f(d):
        up = np.clip(d[..., 1:2], 0, 1)
        sky = (np.asarray(zenith) * up + np.asarray(horizon) * (1 - up)) * (d[..., 1:2] > 0)
        gnd = np.asarray(ground) * (d[..., 1:2] <= 0)
        disc = (d @ sun > np.cos(np.radians(radius_deg)))[..., None] * power * np.array([1.0, 0.9, 0.8])
        return sky + gnd + disc
    return f


def _noise(d, seed, octaves=4):
    rng = np.random.default_rng(seed)
    out = np.zeros(d.shape[:-1])
    for o in range(octaves):
        k = rng.normal(size=(8, 3)) * 2 ** o * 1.5
        ph = rng.uniform(0, 2 * np.pi, 8)
        out += np.cos(d @ k.T + ph).mean(axis=-1) / 2 ** o
    return out


def _cloudy(seed, sun=None):
    def f(d):
        up = d[..., 1:2]
        c = np.clip(0.5 + 1.2 * _noise(d, seed), 0, 1)[..., None]
        sky = (0.3 + 0.9 * c) * np.array([0.8, 0.85, 1.0]) * (up > 0)
        out = sky + np.array([0.05, 0.05, 0.04]) * (up <= 0)
        if sun is not None:
            out = out + _sun_sky(*sun)(d) * 0.3
        return out
    return f


def _interior(d):
    phi = np.arctan2(d[..., 0], -d[..., 2]) % (2 * np.pi)
    theta = np.arccos(np.clip(d[..., 1], -1, 1))
    window = ((np.abs(phi - 4.2) < 0.4) & (np.abs(theta - 1.2) < 0.35))[..., None] * np.array([40.0, 42, 45])
    walls = np.array([0.3, 0.25, 0.2]) * (0.5 + 0.5 * np.clip(d[..., 1:2], -1, 1) ** 2)
    lamp = ((np.abs(phi - 1.0) < 0.08) & (theta < 0.12))[..., None] * 300.0
    return walls + window + lamp


def _lamps(d):
    rng = np.random.default_rng(11)
    out = np.full(d.shape[:-1] + (3,), 0.03)
    for _ in range(12):
        c = _dir(rng.uniform(0.1, 1.5), rng.uniform(0, 2 * np.pi))
        out = out + (d @ c > np.cos(np.radians(2.5)))[..., None] * rng.uniform(50, 400) * rng.uniform(0.7, 1, 3)
    return out


def _twin_suns():
    """Two small bright discs (a sun and its reflection off water, say) over a dim gradient."""
    def f(d):
        return (_sun_sky(30, 0.6, 1.2, 3.0e4, [0.1, 0.2, 0.5], [0.4, 0.4, 0.5], [0.05, 0.06, 0.08])(d)
                + _sun_sky(-30, 0.6, 1.2, 6.0e3, [0, 0, 0], [0, 0, 0], [0, 0, 0])(d))
    return f


TUNING_SKIES = {
    "low_sun": _sun_sky(8, 0.5, 0.7, 6.0e4, [0.2, 0.35, 0.8], [0.8, 0.6, 0.5], [0.1, 0.08, 0.05]),
    "high_sun": _sun_sky(72, 1.0, 4.0, 1.0e4, [0.15, 0.3, 0.9], [0.5, 0.6, 0.8], [0.15, 0.12, 0.1]),
    "big_sun": _sun_sky(40, 3.0, 5.5, 1.5e3, [0.3, 0.4, 0.7], [0.7, 0.7, 0.7], [0.05, 0.05, 0.05]),
    "cloudy": _cloudy(3),
    "hazy_sun": _cloudy(5, sun=(25, 1.5, 2.5, 2.0e3, [0, 0, 0], [0, 0, 0], [0, 0, 0])),
    "interior": _interior,
    "lamps": _lamps,
    "dusk": _sun_sky(-2, 2.0, 1.5, 0.0, [0.05, 0.07, 0.2], [1.0, 0.4, 0.15], [0.02, 0.02, 0.02]),
    "small_sun": _sun_sky(50, 0.4, 3.3, 1.2e5, [0.1, 0.25, 0.7], [0.6, 0.65, 0.75], [0.12, 0.1, 0.07]),
    "twin_suns": _twin_suns(),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", nargs="+", default=['{}'], help="iadb_envmap properties (JSON) to compare")
    ap.add_argument("--skies", nargs="+", default=list(TUNING_SKIES), choices=list(TUNING_SKIES))
    ap.add_argument("--samplers", nargs="+", default=["independent", "ldsampler"])
    ap.add_argument("--spp", type=int, default=16)
    ap.add_argument("--ref-spp", type=int, default=2048)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                  "envmap_product_tuning.csv"))
    args = ap.parse_args(argv)
    import mitsuba as mi

    mi.set_variant("scalar_rgb")
    from iadb_graphics.mitsuba_emitter import register

    register()
    configs = [json.loads(c) for c in args.configs]
    rows = []
    for sky_name in args.skies:
        bmp = mi.Bitmap(_supersampled(TUNING_SKIES[sky_name], SKY_H, SKY_W))
        theirs = {"type": "envmap", "bitmap": bmp}
        ref, _ = render(mi, theirs, "independent", args.ref_spp, 1000)
        for sampler in args.samplers:
            base = np.mean([mse(render(mi, theirs, sampler, args.spp, s)[0], ref) for s in range(args.seeds)])
            for ci, cfg in enumerate(configs):
                ours = {"type": "iadb_envmap", "bitmap": bmp, **cfg}
                errs, times = zip(*[render(mi, ours, sampler, args.spp, s) for s in range(args.seeds)])
                ratio = float(np.mean([mse(e, ref) for e in errs]) / base)
                rows.append({"sky": sky_name, "sampler": sampler, "config": json.dumps(cfg), "ratio": ratio,
                             "time_s": float(np.mean(times))})
                print(rows[-1], flush=True)
    print("\nmean log ratio per config (geometric mean ratio):")
    for cfg in configs:
        r = [row["ratio"] for row in rows if row["config"] == json.dumps(cfg)]
        print(f"  {json.dumps(cfg):60s} {np.exp(np.mean(np.log(r))):.3f}  max {max(r):.2f}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with atomic_path(args.out) as tmp, open(tmp, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
