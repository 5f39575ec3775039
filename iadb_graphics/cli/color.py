"""``iadb-graphics color-transfer`` and ``iadb-graphics apply-lut``.

Both refuse to overwrite an existing output without ``--force``, write atomically, and report a
bad input (missing, non-image, truncated or unreadable file; bad option value) in one line on
stderr with exit code 2, writing nothing.
"""
from __future__ import annotations

import os
import re
import sys
import time

import numpy as np

from ._command import UsageError, at_least, command
from ._outputs import Outputs
from .batch import add_batch_arguments, run_batch

__all__ = ["register", "run_color_transfer", "run_apply_lut"]

_HEX_LIST = re.compile(r"^\s*#?[0-9a-fA-F]{3}([0-9a-fA-F]{3})?(\s*,\s*#?[0-9a-fA-F]{3}([0-9a-fA-F]{3})?)*\s*$")


def register(subparsers) -> None:
    """Add the ``color-transfer`` and ``apply-lut`` sub-commands to an argparse ``subparsers``."""
    from ..color.spaces import SPACES
    from ..color.transfer import METHODS

    p = subparsers.add_parser(
        "color-transfer", help="recolour an image with another image's (or some swatches') palette",
        description="Recolour SOURCE with the palette of PALETTE (an image file, or a comma-separated list "
                    "of hex swatches such as '#264653,#2a9d8f,#e9c46a'), through a baked 3D LUT.")
    p.add_argument("source", metavar="SOURCE", nargs="+",
                   help="image(s) to recolour (PNG, JPEG, TIFF; 8/16-bit; alpha kept); several files, "
                        "folders or globs make a batch written to --out-dir")
    p.add_argument("palette", metavar="PALETTE", help="palette image path, or comma-separated hex swatches")
    p.add_argument("-o", "--output", metavar="OUT", help="output image path (one SOURCE)")
    p.add_argument("--method", default="grid", choices=METHODS, help="colour map (default: grid)")
    p.add_argument("--space", default="lab", choices=SPACES, help="working colour space (default: lab)")
    p.add_argument("--strength", type=float, default=1.0, help="0 = unchanged, 1 = full transfer (default 1)")
    p.add_argument("--lut-size", type=int, default=33, help="LUT nodes per axis (default 33)")
    p.add_argument("--regrain", action="store_true", help="keep the source's fine detail (guided filter)")
    p.add_argument("--cube", metavar="LUT.cube", help="also write the LUT as a .cube file")
    p.add_argument("--plot", metavar="compare.png", help="also write a before / palette / after figure")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh randomness)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    add_batch_arguments(p)
    p.set_defaults(func=run_color_transfer)

    q = subparsers.add_parser("apply-lut", help="apply a .cube 3D LUT to an image",
                              description="Apply a 3D LUT (.cube, or a Hald CLUT image) to IMAGE.")
    q.add_argument("image", metavar="IMAGE")
    q.add_argument("lut", metavar="LUT.cube", help=".cube file, or a Hald CLUT .png/.tif")
    q.add_argument("-o", "--output", required=True, metavar="OUT")
    q.add_argument("--force", action="store_true", help="overwrite an existing output file")
    q.set_defaults(func=run_apply_lut)


def _read(path, name):
    from ..io import read_image

    return read_image(path, name=name)


def _writable(img, path):
    """Adapt ``img`` to what the output format can hold (no JPEG alpha, 8 bits outside PNG/TIFF/float formats)."""
    from ..io import FLOAT_IMAGE_EXTENSIONS

    ext = os.path.splitext(path)[1].lower()
    notes = []
    if ext in (".jpg", ".jpeg") and img.ndim == 3 and img.shape[2] in (2, 4):
        img = img[..., :-1]
        notes.append("alpha dropped (JPEG has none)")
    if img.dtype == np.uint16 and ext not in (".png", ".tif", ".tiff"):
        img = ((img.astype(np.uint32) + 128) // 257).astype(np.uint8)
        notes.append("written as 8-bit (use .png or .tif to keep 16 bits)")
    if img.dtype.kind == "f" and ext not in FLOAT_IMAGE_EXTENSIONS:
        img = np.floor(np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
        notes.append("written as 8-bit (use .exr or .tif to keep floats)")
    for n in notes:
        print(f"note: {path}: {n}", file=sys.stderr)
    return img


def _image_outputs(args):
    from ..io import IMAGE_EXTENSIONS

    outputs = Outputs(force=args.force)
    outputs.add("-o", args.output, IMAGE_EXTENSIONS)
    return outputs


def run_color_transfer(args) -> int:
    """Run ``color-transfer`` from parsed ``args``; returns the exit code."""
    batch = len(args.source) > 1 or args.out_dir is not None or any(os.path.isdir(s) for s in args.source)
    if batch:
        bad = [flag for flag, value in (("-o", args.output), ("--cube", args.cube), ("--plot", args.plot),
                                        ("--regrain", args.regrain)) if value]
        if bad or args.out_dir is None:
            print("iadb-graphics color-transfer: error: several sources (or a folder) need --out-dir, and take "
                  f"no {', '.join(bad) or '-o'}", file=sys.stderr)
            return 2
        return run_batch(args.source, args.palette, args)
    if args.workers is not None or args.scheduler is not None:
        print("iadb-graphics color-transfer: error: --workers/--scheduler need a batch (--out-dir)", file=sys.stderr)
        return 2
    if args.output is None:
        print("iadb-graphics color-transfer: error: -o OUT is required for a single SOURCE", file=sys.stderr)
        return 2
    args.source = args.source[0]
    return _run_single(args)


@command("iadb-graphics color-transfer")
def _run_single(args) -> int:
    from ..color import apply_lut, bake_lut, blend_lut, fit_map, write_cube
    from ..color.palette import parse_swatches

    t0 = time.perf_counter()
    outputs = _image_outputs(args)
    outputs.add("--cube", args.cube, (".cube",))
    outputs.add("--plot", args.plot, (".png", ".pdf", ".svg"))
    if not 0.0 <= args.strength <= 1.0:
        raise UsageError(f"--strength must lie in [0, 1], got {args.strength}")
    if not 2 <= args.lut_size <= 256:
        raise UsageError(f"--lut-size must lie in 2..256, got {args.lut_size}")
    at_least("--seed", args.seed, 0)
    source = _read(args.source, "SOURCE")
    if os.path.exists(args.palette):
        pal = _read(args.palette, "PALETTE")
        shown = pal
    elif _HEX_LIST.match(args.palette):
        pal = args.palette
        shown = parse_swatches(pal)
    else:
        raise UsageError(f"PALETTE {args.palette!r} is neither an existing image file nor a comma-separated "
                         "list of hex colours")
    print(f"fitting {args.method} map in {args.space} ...", file=sys.stderr)
    cmap = fit_map(source, pal, method=args.method, space=args.space, rng=args.seed)
    lut = bake_lut(cmap, args.lut_size)
    lut = blend_lut(lut, args.strength)
    out = source.copy() if args.strength == 0 else apply_lut(source, lut)
    if args.regrain and args.strength > 0:
        from ..color import regrain

        out = regrain(source, out)
    with outputs.writing():
        _write_image(outputs.stage("-o"), out, args.output)
        if args.cube:
            write_cube(outputs.stage("--cube"), lut, title=f"iadb_graphics {args.method} {os.path.basename(args.source)}")
        if args.plot:
            from ..plot.color import save_figure, transfer_figure

            save_figure(transfer_figure(source, shown, {args.method: out}), outputs.stage("--plot"))
    print(f"wrote {', '.join(outputs.paths)} ({out.shape[1]}x{out.shape[0]} {out.dtype}) "
          f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


def _write_image(tmp, img, path):
    from ..io import write_image

    write_image(tmp, _writable(img, path))


@command("iadb-graphics apply-lut")
def run_apply_lut(args) -> int:
    """Run ``apply-lut`` from parsed ``args``; returns the exit code."""
    from ..color import apply_lut, read_cube, read_hald

    t0 = time.perf_counter()
    outputs = _image_outputs(args)
    image = _read(args.image, "IMAGE")
    if not os.path.isfile(args.lut):
        raise UsageError(f"LUT file {args.lut!r} does not exist")
    is_cube = os.path.splitext(args.lut)[1].lower() == ".cube"
    lut = read_cube(args.lut) if is_cube else read_hald(args.lut)
    out = apply_lut(image, lut)
    with outputs.writing():
        _write_image(outputs.stage("-o"), out, args.output)
    print(f"wrote {args.output} ({out.shape[1]}x{out.shape[0]} {out.dtype}) in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    return 0
