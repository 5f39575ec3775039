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

#: SOURCE extensions read as a video (graded with one LUT, see iadb_graphics.color.video).
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v")

_HEX_LIST = re.compile(r"^\s*#?[0-9a-fA-F]{3}([0-9a-fA-F]{3})?(\s*,\s*#?[0-9a-fA-F]{3}([0-9a-fA-F]{3})?)*\s*$")


def register(subparsers) -> None:
    """Add the ``color-transfer`` and ``apply-lut`` sub-commands to an argparse ``subparsers``."""
    from ..color.spaces import SPACES
    from ..color.transfer import DEFAULT_METHOD, METHODS

    p = subparsers.add_parser(
        "color-transfer", help="recolour an image with another image's (or some swatches') palette",
        description="Recolour SOURCE with the palette of PALETTE (an image file, or a comma-separated list "
                    "of hex swatches such as '#264653,#2a9d8f,#e9c46a'), through a baked 3D LUT.")
    p.add_argument("source", metavar="SOURCE", nargs="+",
                   help="image(s) to recolour (PNG, JPEG, TIFF; 8/16-bit; alpha kept); several files, "
                        "folders or globs make a batch written to --out-dir; one video file (" + ", ".join(
                            VIDEO_EXTENSIONS) + ") is graded with one LUT fitted over the clip (needs imageio-ffmpeg; "
                        "-o a video and/or --cube)")
    p.add_argument("palette", metavar="PALETTE", help="palette image path, or comma-separated hex swatches")
    p.add_argument("-o", "--output", metavar="OUT", help="output image path (one SOURCE)")
    p.add_argument("--method", default=DEFAULT_METHOD, choices=METHODS,
                   help=f"colour map (default: {DEFAULT_METHOD})")
    p.add_argument("--space", default="lab", choices=SPACES, help="working colour space (default: lab)")
    p.add_argument("--strength", type=float, default=1.0, help="0 = unchanged, 1 = full transfer (default 1)")
    p.add_argument("--lut-size", type=int, default=None,
                   help="LUT nodes per axis (default 65 for sliced-lut, 33 for the other methods)")
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
    from ..color.transfer import DEFAULT_LUT_SIZE

    if args.lut_size is None:
        args.lut_size = DEFAULT_LUT_SIZE.get(args.method, 33)
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
    if os.path.splitext(args.source[0])[1].lower() in VIDEO_EXTENSIONS:
        args.source = args.source[0]
        return _run_video(args)
    if args.output is None:
        print("iadb-graphics color-transfer: error: -o OUT is required for a single SOURCE", file=sys.stderr)
        return 2
    args.source = args.source[0]
    return _run_single(args)


def _check_numbers(args) -> None:
    """Refuse out-of-range --strength, --lut-size and --seed."""
    if not 0.0 <= args.strength <= 1.0:
        raise UsageError(f"--strength must lie in [0, 1], got {args.strength}")
    if not 2 <= args.lut_size <= 256:
        raise UsageError(f"--lut-size must lie in 2..256, got {args.lut_size}")
    at_least("--seed", args.seed, 0)


def _palette_arg(args):
    """PALETTE → (what ``fit_map`` takes, what the figure shows): an image file or hex swatches."""
    from ..color.palette import parse_swatches

    if os.path.exists(args.palette):
        pal = _read(args.palette, "PALETTE")
        return pal, pal
    if _HEX_LIST.match(args.palette):
        return args.palette, parse_swatches(args.palette)
    raise UsageError(f"PALETTE {args.palette!r} is neither an existing image file nor a comma-separated "
                     "list of hex colours")


@command("iadb-graphics color-transfer")
def _run_single(args) -> int:
    from ..color import apply_lut, grade_lut, write_cube

    t0 = time.perf_counter()
    outputs = _image_outputs(args)
    outputs.add("--cube", args.cube, (".cube",))
    outputs.add("--plot", args.plot, (".png", ".pdf", ".svg"))
    _check_numbers(args)
    source = _read(args.source, "SOURCE")
    pal, shown = _palette_arg(args)
    print(f"fitting {args.method} map in {args.space} ...", file=sys.stderr)
    lut = grade_lut(source, pal, method=args.method, space=args.space, lut_size=args.lut_size,
                    strength=args.strength, rng=args.seed)
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


@command("iadb-graphics color-transfer")
def _run_video(args) -> int:
    """A video SOURCE: fit one grade on frames sampled over the clip, apply it to every frame."""
    from ..color.video import DEFAULT_FIT_FRAMES, fit_video_lut, grade_video, video_info

    t0 = time.perf_counter()
    bad = [flag for flag, value in (("--plot", args.plot), ("--regrain", args.regrain)) if value]
    if bad:
        raise UsageError(f"{', '.join(bad)} cannot be used with a video SOURCE")
    if args.output is None and args.cube is None:
        raise UsageError("a video SOURCE needs -o OUT (a video file) and/or --cube LUT.cube")
    outputs = Outputs(force=args.force)
    outputs.add("-o", args.output, VIDEO_EXTENSIONS)
    outputs.add("--cube", args.cube, (".cube",))
    _check_numbers(args)
    import importlib.util

    if importlib.util.find_spec("imageio_ffmpeg") is None:
        raise UsageError("a video SOURCE needs imageio-ffmpeg: pip install imageio-ffmpeg")
    pal, _ = _palette_arg(args)
    info = video_info(args.source, name="SOURCE")
    print(f"fitting {args.method} grade on {min(DEFAULT_FIT_FRAMES, info.n_frames)} of {info.n_frames} frames ...",
          file=sys.stderr)
    lut = fit_video_lut(args.source, pal, lut_size=args.lut_size, method=args.method, space=args.space,
                        strength=args.strength, rng=args.seed, info=info)
    with outputs.writing():
        report = grade_video(args.source, lut=lut, output=outputs.stage("-o") if args.output else None,
                             cube=outputs.stage("--cube") if args.cube else None, force=True)
    written = f"wrote {', '.join(outputs.paths)} " if outputs.paths else ""
    print(f"{written}({report.n_frames} frames) in {time.perf_counter() - t0:.1f} s; temporal stability: the output "
          f"changes {report.flicker:.2f}x as much as the source from frame to frame; instability "
          f"{report.instability:.3f} (1 = one fixed grade, no flicker of its own)", file=sys.stderr)
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
