"""The protocol every map follows, and the array plumbing they share.

``fit(source, target, *, rng=None, progress=None) -> self``; ``transform(x)`` and
``inverse_transform(y)`` take ``(n, d)`` numpy arrays (→ float64 numpy) or torch tensors
(→ torch, same device and dtype). Maps whose maths allows it take ``return_log_det=True`` and
return ``(y, log_det)`` with ``log_det`` (n,) = log|det ∂T/∂x|.
"""
from __future__ import annotations

import numpy as np

from .._validation import _is_torch, as_points, check_int

__all__ = ["BaseMap", "NotFittedError", "to_numpy_io"]


class NotFittedError(RuntimeError):
    """A map was used before ``fit`` (or ``load``)."""


def to_numpy_io(x, name: str, d: int):
    """Validate ``x`` as ``(n, d)`` and return ``(array float64, restore)``.

    ``restore(y)`` turns a numpy result back into the caller's kind: a torch tensor on the
    caller's device and dtype when ``x`` was a tensor, else the float64 array itself.
    """
    if _is_torch(x):
        dev, dt = x.device, x.dtype

        def restore(y):
            import torch

            return torch.as_tensor(np.ascontiguousarray(y), device=dev).to(dt)

        return as_points(x.detach().to("cpu").double().numpy(), name, d=d), restore
    return as_points(x, name, d=d), (lambda y: y)


class BaseMap:
    """Common state checks; subclasses set ``self.d`` in ``fit`` and implement the maths."""

    d: int | None = None

    @property
    def is_fitted(self) -> bool:
        return self.d is not None

    def _check_fitted(self):
        if not self.is_fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(source, target) first")

    def _check_fit_dims(self, source, target):
        if source.d != target.d:
            raise ValueError(f"source has dimension d={source.d} but target has d={target.d}")

    def bake(self, resolution, *, bounds=None, inverse=True, progress=None):
        """Evaluate the map on the nodes of a regular grid → a :class:`~iadb_graphics.maps.baked.BakedMap`.

        ``resolution``: nodes per axis; ``bounds`` (d, 2): the box baked (default: the box the
        map was fitted on); ``inverse``: bake the inverse map too.
        """
        self._check_fitted()
        from .baked import BakedMap

        check_int(resolution, "resolution", minimum=2)
        return BakedMap.from_map(self, resolution, bounds=bounds, inverse=inverse, progress=progress)

    def __repr__(self):
        state = f"d={self.d}" if self.is_fitted else "not fitted"
        return f"{type(self).__name__}({state})"
