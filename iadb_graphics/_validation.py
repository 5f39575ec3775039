"""Input checks shared by the whole package.

Every public entry point normalises its inputs here so that bad input fails early with a
``ValueError``/``TypeError`` that names the argument and the value received.
"""
from __future__ import annotations

import numbers
import os

import numpy as np

__all__ = [
    "as_generator",
    "as_points",
    "check_int",
    "check_float",
    "check_choice",
    "describe",
]


def describe(value) -> str:
    """Short description of a value for error messages (type, shape, dtype)."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if _is_torch(value):
        return f"tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def _is_torch(value) -> bool:
    mod = type(value).__module__
    return mod.startswith("torch") and hasattr(value, "detach")


def as_generator(rng) -> np.random.Generator:
    """Normalise ``rng`` (None | int | Generator) into a ``np.random.Generator`` (SPEC 7)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"rng must be a non-negative integer seed, got {rng}")
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got {describe(rng)}")


def as_points(x, name: str = "x", *, d: int | None = None, allow_empty: bool = True,
              dtype=np.float64, copy: bool = False) -> np.ndarray:
    """Return ``x`` as a finite ``(n, d)`` float array.

    A 1D array of length n is read as n points in 1D only when ``d == 1``.

    Raises
    ------
    TypeError
        If ``x`` is not array-like of numbers.
    ValueError
        If the shape is not ``(n, d)``, the dimension differs from ``d``, ``x`` is empty and
        ``allow_empty`` is False, or ``x`` holds NaN/inf.
    """
    if _is_torch(x):
        x = x.detach().cpu().numpy()
    if np.iscomplexobj(x):
        raise TypeError(f"{name} must hold real numbers, got {describe(x) if isinstance(x, np.ndarray) else 'complex values'}"
                        "; pass x.real explicitly to drop the imaginary part")
    try:
        arr = np.array(x, dtype=dtype, copy=copy) if copy else np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers of shape (n, d), got {describe(x)}") from exc
    if arr.ndim == 1 and d == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        expect = f"(n, {d})" if d is not None else "(n, d)"
        raise ValueError(f"{name} must have shape {expect}, got shape {arr.shape}")
    if d is not None and arr.shape[1] != d:
        raise ValueError(f"{name} has shape {arr.shape} but dimension d={d} is expected")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has shape {arr.shape}: points need at least one coordinate")
    if not allow_empty and arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); at least one point is needed")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return arr


def count_outside_unit_cube(x: np.ndarray) -> int:
    """How many rows of ``x`` (n, d) have a coordinate outside [0, 1]; two reductions when none do."""
    if x.size == 0 or (x.min() >= 0.0 and x.max() <= 1.0):
        return 0
    return int(np.any((x < 0.0) | (x > 1.0), axis=1).sum())


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int, checking type and range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {describe(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_float(value, name: str, *, minimum: float | None = None, maximum: float | None = None,
                strict_min: bool = False) -> float:
    """Return ``value`` as a finite float, checking range (``strict_min``: value > minimum)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict_min and value <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
        if not strict_min and value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_choice(value, name: str, choices) -> str:
    """Check that ``value`` is one of ``choices`` (listed in the error)."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_device(device, name: str = "device"):
    """``device`` (None → CPU) as a ``torch.device`` that this torch build can allocate on."""
    import torch

    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
        torch.empty(0, device=dev)
    except (RuntimeError, AssertionError, TypeError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        first_line = first_line if len(first_line) <= 160 else first_line[:157] + "..."
        raise ValueError(f"{name}={device!r} is not usable by this torch build ({torch.__version__}): "
                         f"{first_line}") from None
    return dev


def check_path(path, name: str = "path") -> str:
    """Return ``path`` as a string path (accepts ``os.PathLike``)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path, got {describe(path)}")
    return os.fspath(path)


def check_bounds(bounds, name: str = "bounds", d: int | None = None) -> np.ndarray:
    """``bounds`` as a finite float64 ``(d, 2)`` array of ``[low, high]`` rows with low < high."""
    b = np.array(bounds, dtype=float)
    shape_ok = b.ndim == 2 and b.shape[1] == 2 and (d is None or b.shape[0] == d)
    if not shape_ok or not np.all(np.isfinite(b)) or np.any(b[:, 1] <= b[:, 0]):
        want = "(d, 2)" if d is None else f"({d}, 2)"
        raise ValueError(f"{name} must be a finite {want} array of [low, high] rows with low < high, "
                         f"got {describe(bounds)}")
    return b
