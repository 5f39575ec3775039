"""``iadb-graphics demo``: fit maps on built-in pairs, write figures and a summary table."""
from __future__ import annotations

import contextlib
import os
import sys
import time

import numpy as np

from ._command import UsageError, at_least, command
from ._outputs import Outputs

__all__ = ["register", "run_demo", "demo_pairs"]


def demo_pairs(image_size=96):
    """The built-in pairs: uniform → the bundled photo as a density, and 8gaussians → moons."""
    from ..data import sample_photo
    from ..densities import ImageDensity, Uniform, toy2d

    return {
        "uniform→photo": (Uniform(), ImageDensity(sample_photo(image_size))),
        "8gaussians→moons": (toy2d("8gaussians"), toy2d("moons")),
    }


def _make_map(method, quick, device):
    if method == "mlp":
        from ..maps.iadb import IADBMap

        return IADBMap(device=device, **({"n_iters": 1500} if quick else {}))
    from ..maps.grid import GridIADBMap

    return GridIADBMap()


#: The files ``run_demo`` writes into its folder.
DEMO_FILES = ("maps.png", "trajectories.png", "round_trip.png", "summary.md", "summary.csv")


def run_demo(out_dir="iadb_demo", *, methods=("grid", "mlp"), quick=False, seed=0, n=None, progress=None,
             echo=print, device=None, force=False):
    """Fit every method on every built-in pair; write PNGs and ``summary.{md,csv}`` into ``out_dir``.

    ``device``: torch device of the MLP maps (default CPU). The folder is created if needed;
    existing files of the demo in it are refused unless ``force``. Every file is written, or
    none (and a folder this call created is removed again).

    Returns the summary rows (dicts).
    """
    from .._validation import as_generator

    as_generator(seed)  # a bad seed fails before the folder exists
    created = _make_folder(out_dir)
    try:
        outputs = Outputs(force=force)
        for name in DEMO_FILES:
            outputs.add(name, os.path.join(out_dir, name), (os.path.splitext(name)[1],))
        rows = _fit_and_write(outputs, out_dir, methods, quick, seed, n, progress, echo, device)
    except BaseException:
        for folder in created:  # deepest first; only folders left empty
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise
    return rows


def _make_folder(out_dir) -> list:
    """Create ``out_dir`` and missing parents; return the folders created, deepest first."""
    created, folder = [], os.path.abspath(out_dir)
    while not os.path.isdir(folder):
        if os.path.exists(folder):
            raise UsageError(f"--out {out_dir!r}: {folder!r} exists and is not a folder")
        created.append(folder)
        folder = os.path.dirname(folder)
    for path in reversed(created):
        os.mkdir(path)
    return created


def _fit_and_write(outputs, out_dir, methods, quick, seed, n, progress, echo, device):
    from ..metrics import density_fit, energy_test, optimality_ratio
    from ..plot import maps as plot_maps

    rng = np.random.default_rng(seed)
    n = n or (1024 if quick else 4096)
    rows, gallery, paths, trips = [], [], [], []
    for pair_name, (source, target) in demo_pairs().items():
        x0 = source.sample(n, rng=rng)
        x1 = target.sample(n, rng=rng)
        panels = [("source", x0), ("target", x1)]
        for method in methods:
            m = _make_map(method, quick, device)
            echo(f"fitting {method} on {pair_name} ...")
            t0 = time.perf_counter()
            m.fit(source, target, rng=rng, progress=progress)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            y = m.transform(x0)
            transform_s = time.perf_counter() - t0
            back = m.inverse_transform(y)
            # KL and ESS from the map's exact density where the target's is known; the energy
            # z-score (about N(0, 1) for an exact sampler) everywhere
            fit = (density_fit(lambda z: m.transform(z, return_log_det=True), source, target, x0)
                   if target.has_pdf and source.has_pdf else None)
            rows.append({"pair": pair_name, "method": method, "n": n,
                         "kl": np.nan if fit is None else fit.kl, "kl_se": np.nan if fit is None else fit.kl_se,
                         "ess": np.nan if fit is None else fit.ess,
                         "energy_z": energy_test(y, x1, rng=rng).z,
                         "optimality_ratio": optimality_ratio(x0, y),
                         "round_trip_median": float(np.median(np.linalg.norm(back - x0, axis=1))),
                         "fit_s": fit_s, "transform_s": transform_s})
            panels.append((f"{method}: T(source)", y))
            paths.append((f"{pair_name} ({method})", m.trajectory(x0[:300])))
            trips.append((f"{pair_name} ({method})", x0, back))
        gallery.append((pair_name, panels))

    with outputs.writing():
        _write_results(outputs, rows, gallery, paths, trips, plot_maps, echo)
    echo(f"\nfigures and tables written to {os.path.abspath(out_dir)}/ ({', '.join(DEMO_FILES)})")
    return rows


def _write_results(outputs, rows, gallery, paths, trips, plot_maps, echo):
    from ..metrics.reading import read_energy_z, read_nonnegative

    plot_maps.map_gallery(gallery, outputs.stage("maps.png"))
    plot_maps.trajectories(paths, outputs.stage("trajectories.png"))
    plot_maps.round_trip(trips, outputs.stage("round_trip.png"))

    header = ["pair", "method", "n", "kl", "kl_se", "ess", "energy_z", "optimality_ratio", "round_trip_median", "fit_s",
              "transform_s"]
    md = ["| pair | method | N | KL (nats) ↓ | ESS ↑ | energy | optimality ratio | median round-trip error "
          "| fit (s) | transform (s) |",
          "|---|---|---|---|---|---|---|---|---|---|"]

    for r in rows:
        kl = "–" if np.isnan(r["kl"]) else read_nonnegative(r["kl"], r["kl_se"], fmt=".3f")
        ess = "–" if np.isnan(r["ess"]) else f"{r['ess']:.3f}"
        md.append(f"| {r['pair']} | {r['method']} | {r['n']} | {kl} | {ess} "
                  f"| {read_energy_z(r['energy_z'])} | {r['optimality_ratio']:.3f} | {r['round_trip_median']:.1e} "
                  f"| {r['fit_s']:.1f} | {r['transform_s']:.2f} |")
    md.append("")
    md.append("KL(q‖p) ± s.e. and ESS use the map's exact density q (0 and 1 for a perfect map; – where the target "
              "has no closed-form density); a KL within 2 s.e. of 0 reads \"as exact\" with its upper bound. "
              "energy: the unbiased energy distance between mapped points and a fresh target sample over its "
              "standard error (z about N(0, 1) for an exact sampler); z ≥ 2 shows a difference, below it "
              "\"as exact\".")
    with open(outputs.stage("summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(outputs.stage("summary.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(r[k]) for k in header) + "\n")
    echo("\n".join(md))


@command("iadb-graphics demo")
def _cmd(args):
    t0 = time.perf_counter()
    methods = ("grid", "mlp") if args.method == "both" else (args.method,)
    at_least("--seed", args.seed, 0)
    if args.device is not None:
        if "mlp" not in methods:
            raise UsageError(f"--device is only used by the MLP maps, got --method {args.method}")
        from .._validation import check_device

        check_device(args.device, "--device")
    run_demo(args.out, methods=methods, quick=args.quick, seed=args.seed, device=args.device, force=args.force)
    print(f"demo done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


def register(subparsers):
    p = subparsers.add_parser(
        "demo", help="fit IADB maps on built-in pairs and write figures + a summary table",
        description="Fit the grid and MLP IADB maps on built-in pairs (uniform → matplotlib's sample photo "
                    "as a density, 8gaussians → moons); write maps.png, trajectories.png, round_trip.png and "
                    "summary.md/csv, and print the table (W2 / iid floor, optimality ratio, fit time).")
    p.add_argument("--out", default="iadb_demo", help="output folder (default: ./iadb_demo)")
    p.add_argument("--quick", action="store_true", help="smaller sets and shorter training (under a minute)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--method", choices=("grid", "mlp", "both"), default="both", help="which map(s) to fit")
    p.add_argument("--device", default=None, help="torch device of the MLP maps, e.g. cuda (default: cpu)")
    p.add_argument("--force", action="store_true", help="overwrite the demo's files in an existing --out folder")
    p.set_defaults(func=_cmd)
