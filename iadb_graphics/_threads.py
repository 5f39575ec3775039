"""How many CPU threads torch uses to evaluate a network, and a context that applies it.

When OpenMP threads spin while they wait (the default unless ``OMP_WAIT_POLICY=passive`` was set
before torch started), a second thread on a busy machine spends its time spinning, and a
small network's evaluation becomes one to two orders of magnitude slower than on one thread
(``benchmarks/bench_transform_threads.py`` measures it). With passive waiting, extra threads
cost little on a busy machine and help on an idle one. So evaluation runs on one thread
unless waiting is passive.
"""
from __future__ import annotations

import contextlib
import os

__all__ = ["evaluation_threads", "torch_threads"]


def evaluation_threads(device) -> int | None:
    """Torch CPU threads for evaluating a network on ``device``: 1, or None to keep torch's setting.

    None for non-CPU devices and when ``OMP_WAIT_POLICY`` is ``passive`` (OpenMP threads then
    sleep instead of spinning, so torch's own thread count is safe).
    """
    if getattr(device, "type", str(device)) != "cpu":
        return None
    if os.environ.get("OMP_WAIT_POLICY", "").strip().lower() == "passive":
        return None
    return 1


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run the body with ``torch.set_num_threads(n)`` and restore the previous count (None: no change)."""
    import torch

    if n is None or n == torch.get_num_threads():
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
