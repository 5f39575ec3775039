"""Progress bars (tqdm) that show on a terminal and stay quiet in tests or when piped."""
from __future__ import annotations

import sys


def progress_bar(total, *, desc: str, progress=None, unit: str = "it"):
    """A tqdm bar, or a silent stand-in.

    ``progress``: None → shown only when stderr is a terminal; True/False → forced on/off.
    """
    from tqdm.auto import tqdm

    if progress is None:
        progress = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, disable=not progress, leave=False, dynamic_ncols=True)
