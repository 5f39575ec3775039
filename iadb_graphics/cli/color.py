"""``iadb-graphics color-transfer`` and ``iadb-graphics apply-lut``.

Both refuse to overwrite an existing output without ``--force``, write atomically, and report a
bad input (missing, non-image, truncated or unreadable file; bad option value) in one line on
stderr with exit code 2, writing nothing.
"""
from __future__ import annotations

import os
import re
import sys

import numpy as np

__all__ = ["register", "run_color_transfer", "run_apply_lut"]

_HEX_LIST = re.compile(r"^\s*#?[0-9a-fA-F]{3}([0-9a-fA-F]{3})?(\s*,\s*#?[0-9a-fA-F]{3}([0-9a-fA-F]{3})?)*\s*$")


class _UserError(Exception):
    """A bad input; reported in one line, exit code 2."""


from .batch import add_batch_arguments, run_batch


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


def _check_outputs(args, paths):
    for path in paths:
        if path is None:
            continue
        if os.path.exists(path) and not args.force:
            raise _UserError(f"{path!r} exists; use --force to overwrite it")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise _UserError(f"cannot write {path!r}: directory {directory!r} does not exist")
    real = [os.path.abspath(p) for p in paths if p is not None]
    if len(set(real)) != len(real):
        raise _UserError("output paths must differ from each other")


def _read(path, name):
    from ..io import read_image

    try:
        return read_image(path, name=name)
    except (ValueError, TypeError, OSError) as exc:
        raise _UserError(_one_line(str(exc))) from None


def _one_line(text):
    """First line of a message; an unclosed parenthesis (a multi-line reader message) is cut off."""
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    if line.count("(") > line.count(")"):
        line = line[:line.rfind(" (")] if " (" in line else line
    return line


def _writable(img, path):
    """Adapt ``img`` to what the output format can hold (Pillow: no 16-bit RGB PNG, no JPEG alpha)."""
    ext = os.path.splitext(path)[1].lower()
    notes = []
    if ext in (".jpg", ".jpeg") and img.ndim == 3 and img.shape[2] in (2, 4):
        img = img[..., :-1]
        notes.append("alpha dropped (JPEG has none)")
    if img.dtype == np.uint16 and ext not in (".tif", ".tiff") and (img.ndim == 3 and img.shape[2] > 1
                                                                    or ext in (".jpg", ".jpeg")):
        img = ((img.astype(np.uint32) + 128) // 257).astype(np.uint8)
        notes.append("written as 8-bit (use .tif to keep 16 bits)")
    if img.dtype.kind == "f":
        img = np.floor(np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    for n in notes:
        print(f"note: {path}: {n}", file=sys.stderr)
    return img


def _write_image(path, img):
    from ..io import write_image

    try:
        write_image(path, _writable(img, path))
    except (ValueError, TypeError, OSError, KeyError) as exc:
        raise _UserError(f"cannot write image {path!r} ({type(exc).__name__}: {exc})") from None


def run_color_transfer(args) -> int:
    """Run ``color-transfer`` from parsed ``args``; returns the exit code."""
    from ..color import apply_lut, bake_lut, blend_lut, fit_map, write_cube
    from ..color.palette import parse_swatches

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
    try:
        _check_outputs(args, [args.output, args.cube, args.plot])
        if not 0.0 <= args.strength <= 1.0:
            raise _UserError(f"--strength must lie in [0, 1], got {args.strength}")
        if not 2 <= args.lut_size <= 256:
            raise _UserError(f"--lut-size must lie in 2..256, got {args.lut_size}")
        if args.seed is not None and args.seed < 0:
            raise _UserError(f"--seed must be >= 0, got {args.seed}")
        source = _read(args.source, "SOURCE")
        if os.path.exists(args.palette):
            pal = _read(args.palette, "PALETTE")
            shown = pal
        elif _HEX_LIST.match(args.palette):
            pal = args.palette
            shown = parse_swatches(pal)
        else:
            raise _UserError(f"PALETTE {args.palette!r} is neither an existing image file nor a comma-separated "
                             "list of hex colours")
        print(f"fitting {args.method} map in {args.space} ...", file=sys.stderr)
        cmap = fit_map(source, pal, method=args.method, space=args.space, rng=args.seed)
        lut = bake_lut(cmap, args.lut_size)
        lut = blend_lut(lut, args.strength)
        out = source.copy() if args.strength == 0 else apply_lut(source, lut)
        if args.regrain and args.strength > 0:
            from ..color import regrain

            out = regrain(source, out)
    except _UserError as exc:
        print(f"iadb-graphics color-transfer: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        print(f"iadb-graphics color-transfer: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    try:
        _write_image(args.output, out)
        if args.cube:
            write_cube(args.cube, lut, title=f"iadb_graphics {args.method} {os.path.basename(args.source)}")
        if args.plot:
            from ..plot.color import save_figure, transfer_figure

            save_figure(transfer_figure(source, shown, {args.method: out}), args.plot)
    except (_UserError, OSError, ValueError) as exc:
        print(f"iadb-graphics color-transfer: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}" + (f", {args.cube}" if args.cube else "") + (f", {args.plot}" if args.plot else ""),
          file=sys.stderr)
    return 0


def run_apply_lut(args) -> int:
    """Run ``apply-lut`` from parsed ``args``; returns the exit code."""
    from ..color import apply_lut, read_cube, read_hald

    try:
        _check_outputs(args, [args.output])
        image = _read(args.image, "IMAGE")
        if not os.path.isfile(args.lut):
            raise _UserError(f"LUT file {args.lut!r} does not exist")
        is_cube = os.path.splitext(args.lut)[1].lower() == ".cube"
        lut = read_cube(args.lut) if is_cube else read_hald(args.lut)
        out = apply_lut(image, lut)
        _write_image(args.output, out)
    except (_UserError, ValueError, TypeError, OSError) as exc:
        print(f"iadb-graphics apply-lut: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
