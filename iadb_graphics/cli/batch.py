"""Batch mode of ``iadb-graphics color-transfer``: many sources, one grade, run in parallel.

``add_batch_arguments(parser)`` adds ``--out-dir``, ``--workers``, ``--scheduler`` and ``--fit-on``;
``run_batch(sources, palette, args)`` expands folders and globs, runs
:func:`~iadb_graphics.parallel.transfer_many` with an overall progress bar, prints one line per
failed image and a summary. Exit code: 0 all written, 1 some failed, 2 bad usage.
Local threads by default; ``--workers N`` starts a local Dask cluster of N processes,
``--scheduler ADDRESS`` joins an existing one (both need ``pip install "iadb_graphics[dask]"``).
"""
from __future__ import annotations

import glob
import os
import sys

__all__ = ["add_batch_arguments", "run_batch", "expand_sources", "IMAGE_EXTENSIONS"]

#: Files picked up from a folder source.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
_PROG = "iadb-graphics color-transfer"


class _UsageError(Exception):
    """Bad command-line usage: one line on stderr, exit code 2."""


def add_batch_arguments(parser) -> None:
    """Add the batch options to an argparse parser (or argument group)."""
    parser.add_argument("--out-dir", metavar="DIR", default=None,
                        help="write each recoloured source as DIR/<its file name> (batch mode)")
    parser.add_argument("--workers", type=int, metavar="N", default=None,
                        help="run on a local Dask cluster of N worker processes (default: local threads)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--fit-on", choices=("pooled", "first"), default="pooled",
                        help="fit the grade on colours pooled from all sources (default) or on the first")


def expand_sources(sources) -> list[str]:
    """Files, folders (their image files, sorted) and glob patterns → a list of image paths.

    Raises ``ValueError`` for a source that names nothing.
    """
    out = []
    for src in sources:
        if os.path.isdir(src):
            found = sorted(os.path.join(src, f) for f in os.listdir(src)
                           if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith(".")
                           and os.path.isfile(os.path.join(src, f)))
            if not found:
                raise ValueError(f"folder {src!r} holds no image files ({', '.join(IMAGE_EXTENSIONS)})")
            out.extend(found)
        elif os.path.exists(src):
            out.append(src)
        elif glob.has_magic(src):
            found = sorted(p for p in glob.glob(src) if os.path.isfile(p))
            if not found:
                raise ValueError(f"pattern {src!r} matches no file")
            out.extend(found)
        else:
            raise ValueError(f"source {src!r} does not exist")
    unique = list(dict.fromkeys(out))
    if not unique:
        raise ValueError("no source image given")
    return unique


def _client(args):
    """``(client, closer)`` for ``--workers`` / ``--scheduler``, or ``(None, None)``."""
    workers, address = getattr(args, "workers", None), getattr(args, "scheduler", None)
    if workers is None and address is None:
        return None, None
    if workers is not None and address is not None:
        raise _UsageError("use either --workers or --scheduler, not both")
    if workers is not None and workers < 1:
        raise _UsageError(f"--workers must be >= 1, got {workers}")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise _UsageError('--workers and --scheduler need Dask; install it with: '
                          'pip install "iadb_graphics[dask]"') from None
    if address is not None:
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise _UsageError(f"cannot reach the Dask scheduler at {address!r} ({type(exc).__name__}: {exc})") \
                from None
        return client, client.close
    # Spinning OpenMP threads stall loaded machines; workers inherit this environment.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)

    def close():
        client.close()
        cluster.close()

    return client, close


def run_batch(sources, palette, args) -> int:
    """Recolour every image named by ``sources`` into ``args.out_dir``; returns the exit code.

    ``args`` is an argparse namespace with the batch options (:func:`add_batch_arguments`) and
    those of ``color-transfer`` (``method``, ``space``, ``lut_size``, ``strength``, ``seed``,
    ``force``; defaults used where absent).
    """
    from .._progress import progress_bar
    from ..color.batch import transfer_many
    from ..color.transfer import DEFAULT_LUT_SIZE, DEFAULT_METHOD

    out_dir = getattr(args, "out_dir", None)
    closer = None
    try:
        if not out_dir:
            raise _UsageError("batch mode needs --out-dir DIR")
        strength = getattr(args, "strength", 1.0)
        if not 0.0 <= strength <= 1.0:
            raise _UsageError(f"--strength must lie in [0, 1], got {strength}")
        method = getattr(args, "method", DEFAULT_METHOD)
        lut_size = getattr(args, "lut_size", None)
        if lut_size is None:
            lut_size = DEFAULT_LUT_SIZE.get(method, 33)
        if not 2 <= lut_size <= 256:
            raise _UsageError(f"--lut-size must lie in 2..256, got {lut_size}")
        seed = getattr(args, "seed", None)
        if seed is not None and seed < 0:
            raise _UsageError(f"--seed must be >= 0, got {seed}")
        paths = expand_sources(sources)
        client, closer = _client(args)
        bar = progress_bar(len(paths), desc="color-transfer", unit="img")

        def report(path, ok, message):
            bar.update(1)

        with bar:
            summary = transfer_many(paths, palette, out_dir, client=client, method=method,
                                    space=getattr(args, "space", "lab"), lut_size=lut_size, strength=strength,
                                    overwrite=bool(getattr(args, "force", False)), rng=seed, progress=report,
                                    fit_on=getattr(args, "fit_on", "pooled"))
    except (_UsageError, ValueError, TypeError, OSError) as exc:
        text = str(exc).strip().splitlines()
        print(f"{_PROG}: error: {text[0] if text else type(exc).__name__}", file=sys.stderr)
        return 2
    finally:
        if closer is not None:
            closer()
    failed = [(p, m) for p, ok, m in summary if not ok]
    for path, message in failed:
        print(f"failed: {path}: {message}", file=sys.stderr)
    print(f"{len(summary) - len(failed)} of {len(summary)} image(s) written to {out_dir}"
          + (f"; {len(failed)} failed" if failed else ""), file=sys.stderr)
    return 1 if failed else 0
