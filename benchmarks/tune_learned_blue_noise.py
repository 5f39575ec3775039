"""Choose the step counts of learned blue noise, and compare training recipes, on sets made offline.

For each model file (default: the shipped one) and against ``sot_blue_noise`` exemplar sets, all
drawn from seeds that ``bench_pointsets.py`` does not use (``SEED`` + i; the benchmark uses 2000 +
i and 3000 + i) and scored over ``--sets`` sets per row (the minimum distance of one set is a
heavy-tailed statistic):

- the learned map alone (``sot_iters=0``) for several step counts: low-frequency power, power in
  the lowest band, minimum distance × √N and radial-power peak, each against the exemplar's, and
  the round-trip error of the inverse (the noise recovered from the set in its own order; the
  model's ``steps`` should be the fewest with an error below the inverse's 1e-3 cell tolerance);
- the refined output (``sot_iters=SOT_ITERS``) for several step counts: the same columns
  (the refinement starts from the map at the model's ``steps``; fewer steps are faster but leave a
  more grid-like set, a higher radial-power peak);
- the Gaussian integration slope (random Gaussians other than the benchmark's) of the map alone at
  the model's steps and of the default output.

    python benchmarks/tune_learned_blue_noise.py                          # the shipped model
    python benchmarks/tune_learned_blue_noise.py --models a.npz b.npz    # training recipes side by side

Writes ``benchmarks/results/learned_blue_noise_tune.md`` (``--out``). A model file is made by
``examples/train_learned_blue_noise.py`` (its recipe is stored in the file and printed here).
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from iadb_graphics import pointsets as ps  # noqa: E402
from iadb_graphics.io import atomic_path  # noqa: E402
from iadb_graphics.metrics.integration import integration_error, random_gaussians  # noqa: E402
from iadb_graphics.metrics.spectral import min_distance, periodogram, radial_power  # noqa: E402
from iadb_graphics.pointsets.learned import DEFAULT_MODEL, SOT_ITERS, LearnedBlueNoise  # noqa: E402

SEED = 8000  # first seed of the tuning sets (the benchmark's: 2000, 3000)
LOWEST_BAND = 4.5  # as bench_pointsets: |k| below this, the density fluctuations Gaussians see
SIDES = (32, 64)  # N = 1024, 4096
MAP_STEPS = (8, 10, 12, 16)
REFINED = (4, 6, 8, 10, 12)
RECIPE_KEYS = ("iters", "exemplars", "side", "batch", "lr", "alpha", "seed")


def quality(sets):
    """Low-frequency power (|k| < √N / 2), lowest-band power, mean min distance × √N, radial peak."""
    n = len(sets[0])
    r, p = radial_power(periodogram(sets, int(min(128, 2 * np.sqrt(n)))))
    return dict(low=float(p[r < 0.5 * np.sqrt(n)].mean()), lowest=float(p[(r > 0) & (r < LOWEST_BAND)].mean()),
                mind=float(np.mean([min_distance(x) for x in sets]) * np.sqrt(n)), peak=float(np.nanmax(p)))


def round_trip(model, m, steps):
    """Max |noise − inverse(transform(noise))| in cells, the set taken in its own order."""
    z = model.noise(m, rng=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the error itself is the measurement
        back = model.inverse(model.transform(z, steps=steps), steps=steps, ordered=True)
    return float(np.abs(back - z).max())


def row(label, q, ex, extra=""):
    return (f"| {label} | {q['low'] / ex['low']:.2f} | {q['lowest'] / ex['lowest']:.1f} | "
            f"{q['mind'] / ex['mind']:.2f} | {q['peak']:.2f} / {ex['peak']:.2f} |{extra}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=[DEFAULT_MODEL], help="model files (default: the shipped one)")
    ap.add_argument("--sets", type=int, default=16, help="sets per row")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                  "learned_blue_noise_tune.md"))
    args = ap.parse_args(argv)
    exemplars = {m: [ps.sot_blue_noise(m * m, rng=SEED + i) for i in range(args.sets)] for m in SIDES}
    ex = {m: quality(exemplars[m]) for m in SIDES}
    gaussians = {"gaussian": random_gaussians(32, rng=SEED + 101)}
    head = "| N = 1024 / 4096 | low-freq power ratio | lowest band ratio | min dist × √N ratio | radial peak set / exemplar |"
    md = [f"# Learned blue noise: step counts and training recipes on tuning sets ({args.sets} sets per row, "
          f"seeds {SEED}+, exemplar `sot_blue_noise`)", "",
          "Ratios are set / exemplar (low-frequency power and lowest band: lower is better; min distance: higher). "
          "Round trip: max |noise − inverse(set)| in cells, the set in its own order (the inverse warns above 1e-3). "
          f"Defaults: the model's `steps`, for the map alone and before the {SOT_ITERS} sliced-OT iterations "
          "(`SOT_ITERS`) of the refined output.", ""]
    for path in args.models:
        model = LearnedBlueNoise.load(path)
        recipe = ", ".join(f"{k} {model.meta.get(k)}" for k in RECIPE_KEYS)
        md += [f"## `{os.path.basename(path)}`: {model.channels} channels, {recipe}; final loss "
               f"{model.meta.get('final_loss', float('nan')):.4f}; steps {model.steps}", "",
               "### The learned map alone", "", head + " round trip (cells) |", "|---|---|---|---|---|---|"]
        for steps in MAP_STEPS:
            for m in SIDES:
                q = quality([model.sample(m * m, rng=SEED + i, steps=steps, sot_iters=0) for i in range(args.sets)])
                md.append(row(f"{steps} steps, N = {m * m}", q, ex[m], f" {round_trip(model, m, steps):.1e} |"))
            print(md[-2], md[-1], sep="\n", flush=True)
        md += ["", f"### Refined: the map, then {SOT_ITERS} sliced-OT iterations", "", head, "|---|---|---|---|---|"]
        for steps in REFINED:
            for m in SIDES:
                q = quality([model.sample(m * m, rng=SEED + i, steps=steps) for i in range(args.sets)])
                md.append(row(f"{steps} steps, N = {m * m}", q, ex[m]))
            print(md[-2], md[-1], sep="\n", flush=True)
        makers = {"map alone": lambda n, rng: model.sample(n, rng=rng, sot_iters=0),
                  "default output": lambda n, rng: model.sample(n, rng=rng)}
        if path == args.models[0]:
            makers["exemplar"] = lambda n, rng: ps.sot_blue_noise(n, n_iters=256, rng=rng)
        res = integration_error(makers, gaussians, ns=[64, 256, 1024, 4096], n_trials=8, rng=SEED + 103,
                                progress=False)
        md += ["", "Gaussian integration slope (N = 64 … 4096, 8 trials × 32 Gaussians): "
               + ", ".join(f"{k} {res.slopes[(k, 'gaussian')]:.2f}" for k in makers)
               + ("" if "exemplar" in makers else " (exemplar: first model's section)"), ""]
        print(md[-2], flush=True)
    with atomic_path(args.out) as tmp, open(tmp, "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
