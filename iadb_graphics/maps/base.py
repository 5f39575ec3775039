"""The map protocol, declared once, and the array plumbing every map shares.

Every map and warp in the package (the IADB maps, baked tables, the OT baselines, the
importance-sampling warps, Reinhard's colour map) is a :class:`BaseMap`:

- every hyperparameter is a keyword-only argument of ``__init__``, stored under its own name;
- ``fit(source, target, *, rng=None, progress=None) -> self``. A :class:`~iadb_graphics.densities.Density`
  is sampled; an ``(n, d)`` array is the empirical distribution of its points: maps that fit on a
  fixed point set (the OT maps, Reinhard) use the points as given, maps that draw fresh samples
  while fitting (the IADB maps) resample them with replacement. Maps defined by their target alone
  (the image warps) ignore ``source``;
- ``transform(x, *, return_log_det=False)`` and ``inverse_transform(y, *, return_log_det=False)``
  take ``(n, d)`` numpy arrays (→ float64 numpy) or torch tensors (→ torch, same device and
  dtype); with ``return_log_det=True`` they return ``(y, log_det)``, ``log_det`` (n,) =
  log|det ∂T/∂x| of the map applied;
- fitted attributes end in ``_``; ``d`` (the fitted dimension) and ``bounds`` (the (d, 2) box the
  map was fitted on) read ``d_`` and ``bounds_`` (None before ``fit``);
- capabilities are class attributes: :attr:`has_log_det`, :attr:`has_inverse`, :attr:`can_save`;
- ``save(path)`` / ``load(path)`` (where :attr:`can_save`) write an ``.npz`` model file whose
  metadata is :meth:`get_params`.

Examples
--------
>>> import numpy as np
>>> from iadb_graphics.transport import LinearGaussianMap
>>> rng = np.random.default_rng(0)
>>> m = LinearGaussianMap().fit(rng.normal(size=(500, 2)), 2.0 + rng.normal(size=(500, 2)), rng=0)
>>> y, log_det = m.transform(np.zeros((3, 2)), return_log_det=True)
>>> y.shape, log_det.shape, m.has_inverse
((3, 2), (3,), True)
"""
from __future__ import annotations

import inspect

import numpy as np

from .._validation import _is_torch, as_points, check_int, describe

__all__ = ["BaseMap", "NotFittedError", "to_numpy_io", "fit_points"]


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


def fit_points(obj, name: str, n_samples: int, rng) -> np.ndarray:
    """The fixed point set a map fits on: ``n_samples`` draws of a Density, or an array as given.

    An array ``(n, d)`` (or ``(n,)``, read as 1D points) is returned as a float64 copy; ``rng``
    is used only to sample a Density.
    """
    from ..densities import Density

    if isinstance(obj, Density):
        return obj.sample(n_samples, rng=rng)
    if isinstance(obj, (str, bytes)) or obj is None:
        raise TypeError(f"{name} must be a Density or an (n, d) array of points, got {describe(obj)}")
    ndim = obj.ndim if hasattr(obj, "ndim") else np.ndim(obj)
    return as_points(obj, name, d=1 if ndim == 1 else None, allow_empty=False)


class BaseMap:
    """The protocol every map follows (see the module docstring); subclasses implement the maths.

    Subclasses set ``self.d_`` (and their other fitted attributes) in ``fit``.
    """

    #: ``transform`` / ``inverse_transform`` accept ``return_log_det=True`` (exact log|det|).
    has_log_det: bool = False
    #: ``inverse_transform`` is available.
    has_inverse: bool = True
    #: ``save`` / ``load`` are available.
    can_save: bool = False

    d_: int | None = None

    @property
    def d(self) -> int | None:
        """The dimension the map was fitted in (None before ``fit``)."""
        return self.d_

    @d.setter
    def d(self, value):
        self.d_ = value

    bounds_: np.ndarray | None = None

    @property
    def bounds(self) -> np.ndarray | None:
        """The (d, 2) box the map was fitted on (None before ``fit``)."""
        return self.bounds_

    @bounds.setter
    def bounds(self, value):
        self.bounds_ = value

    @property
    def is_fitted(self) -> bool:
        return self.d_ is not None

    def _check_fitted(self):
        if not self.is_fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(source, target) first")

    def _check_fit_dims(self, source, target):
        if source.d != target.d:
            raise ValueError(f"source has dimension d={source.d} but target has d={target.d}")

    def _check_log_det(self, return_log_det):
        if return_log_det and not self.has_log_det:
            raise ValueError(f"{type(self).__name__} has no exact log-determinant; call it with "
                             "return_log_det=False")

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]

    def get_params(self) -> dict:
        """The hyperparameters, ``{name: value}`` for every keyword argument of ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def fit(self, source, target, *, rng=None, progress=None):  # pragma: no cover - the protocol
        """Fit the map that pushes ``source`` onto ``target``; returns ``self``."""
        raise NotImplementedError

    def transform(self, x, *, return_log_det=False):  # pragma: no cover - the protocol
        """Apply the map to ``x`` (n, d)."""
        raise NotImplementedError

    def inverse_transform(self, y, *, return_log_det=False):  # pragma: no cover - the protocol
        """Apply the inverse map to ``y`` (n, d)."""
        raise NotImplementedError

    def bake(self, resolution, *, bounds=None, inverse=True, progress=None):
        """Evaluate the map on the nodes of a regular grid → a :class:`~iadb_graphics.maps.baked.BakedMap`.

        ``resolution``: nodes per axis; ``bounds`` (d, 2): the box baked (default: the box the
        map was fitted on); ``inverse``: bake the inverse map too.
        """
        self._check_fitted()
        from .baked import BakedMap

        check_int(resolution, "resolution", minimum=2)
        return BakedMap.from_map(self, resolution, bounds=bounds, inverse=inverse and self.has_inverse,
                                 progress=progress)

    def __repr__(self):
        state = f"d={self.d}" if self.is_fitted else "not fitted"
        return f"{type(self).__name__}({state})"
