r"""Training-free IADB: the velocity field on a regular grid (d = 1, 2, 3), exact or estimated.

When one density is a uniform box and the other a tabulated 2D density (an image), the field on
the nodes is computed exactly (:mod:`iadb_graphics.maps.exact_field`). Otherwise, at every step α_t of the uniform schedule, the K pairs :math:`(x_0, x_1)` are blended,
:math:`x_{\alpha} = x_0 + \alpha\,(x_1 - x_0)`, and their displacement and a unit weight are
splatted on the grid with cloud-in-cell weights, smoothed by the same small Gaussian and divided:

.. math:: v_t(x) \approx E[x_1 - x_0 \mid x_{\alpha_t} = x]
          = \frac{G_\sigma * \sum_k w_k(x)\,(x_1^k - x_0^k)}{G_\sigma * \sum_k w_k(x)}.

Particles move by Heun steps (the field re-evaluated at the end of each step) with ``v_t``
interpolated multilinearly (continuous, so the map does not tear).

References
----------
E. Heitz, L. Belcour, T. Chambon. Iterative α-(de)Blending: a Minimalist Deterministic
Diffusion Model. SIGGRAPH 2023.
"""
from __future__ import annotations

import numpy as np

from .._progress import progress_bar
from .._validation import as_generator, check_bounds, check_choice, check_float, check_int, check_path
from .._kernels.grid import ratio_with_floor, smooth, splat_blend
from .._kernels.interp import interp, interp_with_jacobian, logabsdet_eye_plus
from ..blending import minibatch_ot_pairs
from ..densities import as_density
from .base import BaseMap, to_numpy_io
from .exact_field import FIELDS, choose_field

__all__ = ["GridIADBMap", "GRID_DEFAULTS", "EXACT_DEFAULTS", "METHODS", "FIELDS", "find_walls"]

#: Defaults per dimension, chosen by measurement (see the class docstring and
#: ``benchmarks/bench_grid_map.py``): ``bins`` nodes per axis, ``n_pairs`` K, ``bandwidth`` σ in cells,
#: ``method`` the time integrator.
GRID_DEFAULTS = {
    1: {"bins": 1024, "n_pairs": 1 << 18, "bandwidth": 1.5, "method": "heun"},
    2: {"bins": 128, "n_pairs": 1 << 19, "bandwidth": 1.0, "method": "heun"},
    3: {"bins": 48, "n_pairs": 1 << 19, "bandwidth": 1.0, "method": "euler"},
}
#: K used with ``coupling="ot"`` when ``n_pairs`` is not given (exact OT blocks are the slow part).
OT_DEFAULT_PAIRS = 1 << 16
COUPLINGS = ("independent", "ot")
METHODS = ("heun", "euler")
#: Defaults of the exact field (``field="exact"``, 2D): ``bins`` and ``bandwidth`` (σ in cells)
#: chosen by measurement on uniform → image targets (see the class docstring).
EXACT_DEFAULTS = {"bins": 256, "bandwidth": 0.5}
_WALL_SAMPLES = 1 << 16  # samples per density to find the walls when the field is exact

_FLOOR = 1e-3        # weight floor, relative to the largest smoothed weight of the step
_WALL_MIN_WEIGHT = 0.5  # floor (in smoothed pairs per node) on the nodes near a wall
_BETA = 0.75         # α schedule with walls: steps 4x shorter at both ends (see _schedule)
_COARSE = 4          # pooling factor of the fallback field
_PAD = 0.05          # default box: union of the two densities' boxes, open faces padded by 5 %
_WALL_DENSITY = 0.05  # a face is a wall if the data near it are >= 5 % of a uniform density,
_WALL_PROBE = 64      # measured within 1/64 of the data's extent from the face


class GridIADBMap(BaseMap):
    r"""IADB map whose velocity lives on a regular grid: exact for uniform ↔ image pairs, else a
    smoothed cloud-in-cell estimate from sampled pairs.

    Parameters
    ----------
    bins : int, optional
        Grid nodes per axis (default per d: 1024 / 128 / 48 for d = 1 / 2 / 3; 256 with the exact
        field).
    n_steps : int
        Steps T (uniform α schedule; refined at both ends when the box has walls, see Notes).
    method : {"heun", "euler"}, optional
        Time integrator (see Notes): ``"heun"`` (second order, T + 1 stored fields, two field
        evaluations per step) or ``"euler"`` (first order, T fields, one evaluation per step).
        Default: Heun in 1D and 2D, Euler in 3D (on colour palettes, clusters sharper than the
        grid, Heun was not better and costs twice the transform time).
    n_pairs : int, optional
        K, the pairs drawn once and re-blended at every α (default 2**18 / 2**19 / 2**19;
        2**16 with ``coupling="ot"``). Re-using the pairs correlates the fields of successive
        steps, but each step's estimate stays unbiased; it is the plain prototype's choice and
        saves K samples per step. Unused with the exact field.
    bandwidth : float, optional
        σ of the Gaussian smoothing, in grid cells (default 1.5 in 1D, 1.0 in 2D/3D, 0.5 with the
        exact field, which is averaged with the density of :math:`x_\alpha` as weight).
    box : (d, 2) array, optional
        Box covered by the grid. Default: the union of ``source.bounds`` and ``target.bounds``,
        padded by 5 % on every face that is not a wall (see Notes).
    coupling : {"independent", "ot"}
        ``"ot"``: minibatch OT, the K pairs are re-matched by exact OT (``ot.emd``) inside blocks
        of ``ot_block`` pairs: straighter paths, a map closer to OT, slower fit.
    ot_block : int
        Block size for ``coupling="ot"``.
    field : {"auto", "exact", "samples"}
        How the velocity on the nodes is obtained. ``"exact"``: in closed form, without sampling
        noise, for a 2D :class:`~iadb_graphics.densities.Uniform` paired (either way) with an
        :class:`~iadb_graphics.densities.ImageDensity`, a
        :class:`~iadb_graphics.densities.Checkerboard` or a Uniform, with independent pairs
        (ValueError otherwise). ``"samples"``: estimated from K sampled pairs. ``"auto"``
        (default): exact where available, else samples. ``settings_["field"]`` says which ran.

    Examples
    --------
    >>> import numpy as np
    >>> from iadb_graphics import Gaussian, GridIADBMap, Uniform
    >>> m = GridIADBMap(bins=32, n_pairs=4096, n_steps=8).fit(Uniform(), Gaussian([0.5, 0.5], 0.01), rng=0)
    >>> x = Uniform().sample(1000, rng=1)
    >>> y, log_det = m.transform(x, return_log_det=True)   # pdf of y: 1 / exp(log_det)
    >>> bool(np.median(np.abs(m.inverse_transform(y) - x)) < 1e-8)   # step-wise Newton inverse
    True

    Notes
    -----
    *Steps.* The continuous flow pushes the source exactly onto the target; a discrete scheme only
    approximately, and the error concentrates where the field changes fast (between the modes
    of a multimodal target, late in α). ``"heun"`` estimates the field at every
    :math:`\alpha_t` and moves :math:`x \leftarrow x + \tfrac h2\,(v_t(x) + v_{t+1}(x + h\,v_t(x)))`:
    error O(h²). ``"euler"`` estimates it at the step's mid-α
    :math:`\bar\alpha_t = (\alpha_t + \alpha_{t+1})/2` and moves :math:`x \leftarrow x + h\,v(x, \bar\alpha_t)`:
    error O(h), which in 1D shows as mass moved from one mode of the target to the other.

    *Empty cells.* With :math:`c = 10^{-3}\max w` the field is
    :math:`(G_\sigma * n + c\,f) / (G_\sigma * w + c)`: the plain ratio where pairs are many, the
    fallback field ``f`` where there are none, blended smoothly in between. ``f`` is the same
    estimate on a grid pooled 4× coarser and smoothed, itself shrunk towards the mean
    displacement :math:`E[x_1] - E[x_0]` where even the coarse grid is empty. The field is
    therefore finite and continuous everywhere, never NaN.

    *Walls.* A face of the box where the data stop with a density that does not vanish (an
    image, a uniform box, clipped colours) is a *wall* (``walls_``, (d, 2) bool): no sample
    lies beyond it, and within 1/64 of a set's extent from it lies at least 5 % of what a
    uniform density would put there. The grid then ends exactly on the wall (no padding), the
    splat and the smoothing reflect the data at it (normal component negated) and the normal
    velocity on it is zero. Without this, the smoothing saw zeros beyond the support: the flow
    transported the *blurred* densities, so warped samples stopped short of low-density edges
    (up to 6 % of the unit square unreached) and overshot bright ones (samples where the target
    is zero). With walls the box is invariant: edge points slide along the edges, the whole
    support is reached and nothing leaves it. Near a wall the fields are shrunk harder towards
    the coarse field where pairs are few (a floor of 0.5 smoothed pairs per node; the KL on fractal terrains is the same from 0.5 to 8, and 0.5 underfills low-density edges least), because points
    on the wall see only those nodes at every step. A Gaussian's 4.5 σ box fails the test: its
    faces stay open. With walls the α schedule is refined at both ends (steps 4× shorter at
    α = 0 and 1, 1.75× longer at α = 1/2): the density of :math:`x_\alpha` falls to zero at a wall
    over a width ~ min(α, 1 − α), so there the normal velocity drops to zero within the first
    cell and uniform steps contract that cell by up to ~0.4 per step, piling samples up on
    the walls (a 3× density spike on uniform → uniform; 1.3× with the refined schedule, and χ²
    against the claimed pdf passes again). Maps without walls keep the uniform schedule.

    *Outside ``bounds``.* On open faces the default box is padded by 5 %; pairs outside the box
    are splatted on its faces; the field is clamped (extended constantly) outside the box, so
    points outside still move continuously.

    *Inverse.* ``inverse_transform`` inverts each step exactly (Newton on :math:`S_t(x) = y` with
    the step's exact Jacobian, from the reversed-Euler guess), so it is the inverse of the
    discrete forward map wherever each step is invertible (:math:`h\,\mathrm{Lip}(v_t) < 1`).
    For targets sharper than the grid (thin curves, tight blobs) the last steps contract by a
    factor ~ −1 across the structure and may fold: there the inverse returns *a* preimage.

    *Log-det.* ``transform(x, return_log_det=True)`` returns the sum over steps of the log|det| of
    each step's Jacobian, from the exact derivative of the multilinear interpolant and the
    chain rule (Euler: :math:`I + h J_t`; Heun:
    :math:`I + \tfrac h2\,(J_t(x) + J_{t+1}(x')\,(I + h J_t(x)))`, :math:`x' = x + h v_t(x)`): the
    exact log-Jacobian of the discrete map (almost everywhere).

    *Memory.* Stored fields: ``(n_steps + 1) * bins**d * d * 4`` bytes (float32): 34 MB for 2D
    bins=256 (the exact field's default), 201 MB for 3D bins=64 (n_steps=64). While fitting: the pairs, ``2 K d * 8`` bytes
    (16 MB at K=2**20 in 2D), and one float64 splat buffer per thread,
    ``bins**d * (d+1) * 8`` bytes (8.4 MB per thread in 3D at bins=64).

    *Exact field.* For :math:`x_0` uniform on a box and :math:`x_1` piecewise constant, the
    posterior of :math:`x_1` given :math:`x_\alpha = x` is the target restricted to a box, whose
    mass and first moment are exact sums over pixels (see
    :mod:`iadb_graphics.maps.exact_field`): the nodes carry :math:`E[x_1 - x_0 \mid x_\alpha]`
    itself. It is averaged over σ = ``bandwidth`` cells with the density of :math:`x_\alpha` as
    weight (the field that transports the equally smoothed densities exactly). Chosen on KL(q‖p)
    of uniform → six image targets (a drawing, fractal terrains, procedural textures; 20 000
    samples): 256 bins, σ = 0.5 and 64 steps gave a mean KL of 0.007 nats and a mean ESS of 0.99
    (the sampled field: 0.031 and 0.965); 384 bins lower the KL by ~30 % for 2.3× the memory
    (77 MB). Near a wall the node spacing cannot resolve the layer of width ~min(α, 1 − α) in
    which the density of :math:`x_\alpha` falls to zero, so where the target's density at an
    edge is very low the samples within 1/128 of that edge can be up to ~3× the target's mass
    there (the sampled field: ~2×).

    *Defaults (sampled field).* Chosen on KL(q‖p) of uniform → image-like 2D targets (synthetic fractal terrains
    and a photo, 128 px, 20 000 samples): 128 bins, σ = 1 cell and K = 2**19. Finer grids
    (256 bins) or narrower kernels (σ = 0.7) raise the KL 2–40×: the noise of the estimated field,
    which the log-det integrates, limits q more than the grid's resolution; K = 2**20 lowers it
    by 15–25 % at twice the fit time; σ = 1.5 is no better on the photo. In 3D 48 bins keep the
    fit to a few seconds.
    """

    has_log_det = True
    can_save = True

    def __init__(self, *, bins=None, n_steps=64, n_pairs=None, bandwidth=None, box=None,
                 coupling="independent", ot_block=256, method=None, field="auto"):
        self.bins = None if bins is None else check_int(bins, "bins", minimum=4)
        self.n_steps = check_int(n_steps, "n_steps", minimum=1)
        self.n_pairs = None if n_pairs is None else check_int(n_pairs, "n_pairs", minimum=2)
        self.bandwidth = None if bandwidth is None else check_float(bandwidth, "bandwidth", minimum=0.0)
        self.box = None if box is None else check_bounds(box, "box")
        self.coupling = check_choice(coupling, "coupling", COUPLINGS)
        self.ot_block = check_int(ot_block, "ot_block", minimum=2)
        self.method = None if method is None else check_choice(method, "method", METHODS)
        self.field = check_choice(field, "field", FIELDS)

    # ------------------------------------------------------------------ fitting
    def _settings(self, d, exact):
        dflt = {**GRID_DEFAULTS[d], **EXACT_DEFAULTS} if exact else GRID_DEFAULTS[d]
        bins = self.bins if self.bins is not None else dflt["bins"]
        if exact:
            k = None
        elif self.n_pairs is not None:
            k = self.n_pairs
        else:
            k = OT_DEFAULT_PAIRS if self.coupling == "ot" else dflt["n_pairs"]
        bw = self.bandwidth if self.bandwidth is not None else dflt["bandwidth"]
        return bins, k, bw

    def _box(self, source, target, d):
        if self.box is not None:
            return check_bounds(self.box, "box", d=d)
        b0, b1 = np.asarray(source.bounds, float), np.asarray(target.bounds, float)
        lo = np.minimum(b0[:, 0], b1[:, 0])
        hi = np.maximum(b0[:, 1], b1[:, 1])
        ext = hi - lo
        pad = np.where(ext > 0, 0.0, np.maximum(1.0, np.abs(lo)) * 1e-3)  # a flat axis gets a width
        return np.stack([lo - pad, hi + pad], axis=1)

    def fit(self, source, target, *, rng=None, progress=None):
        """Estimate the per-step velocity fields from samples of ``source`` and ``target``.

        Parameters
        ----------
        source, target : Density or (n, d) array (an array is resampled as an Empirical density).
        rng : None | int | Generator
        progress : None | bool (None: a bar only on a terminal)

        Returns
        -------
        self
        """
        source = as_density(source, "source")
        target = as_density(target, "target")
        self._check_fit_dims(source, target)
        d = source.d
        if d not in GRID_DEFAULTS:
            raise ValueError(f"GridIADBMap works in d = 1, 2, 3; the densities have d={d}")
        rng = as_generator(rng)
        exact = choose_field(self.field, self.coupling, source, target)
        bins, k, bw = self._settings(d, exact is not None)
        box = self._box(source, target, d)
        x0 = source.sample(k or _WALL_SAMPLES, rng=rng)
        x1 = target.sample(k or _WALL_SAMPLES, rng=rng)
        walls = find_walls(x0, x1, box)
        if self.box is None:  # pad the open faces only: a wall face is the grid's edge
            ext = box[:, 1] - box[:, 0]
            box = box + np.where(walls, 0.0, _PAD * ext[:, None]) * np.array([-1.0, 1.0])
        shape = (bins,) * d
        lo = box[:, 0].copy()
        step = (box[:, 1] - box[:, 0]) / (bins - 1)
        alphas = _schedule(self.n_steps, _BETA if walls.any() else 0.0)
        method = self.method if self.method is not None else GRID_DEFAULTS[d]["method"]
        field_alphas = alphas if method == "heun" else 0.5 * (alphas[1:] + alphas[:-1])
        fields = np.empty((len(field_alphas),) + shape + (d,), dtype=np.float32)
        if exact is None:
            if self.coupling == "ot":
                x1 = minibatch_ot_pairs(x0, x1, self.ot_block)
            dx = x1 - x0
            mean_dx = dx.mean(axis=0)
        del x1
        axes = [lo[a] + step[a] * np.arange(bins) for a in range(d)]
        with progress_bar(len(field_alphas), desc="GridIADBMap.fit", progress=progress) as bar:
            for t, a in enumerate(field_alphas):
                if exact is None:
                    fields[t] = _field_from_splat(splat_blend(x0, dx, a, lo, step, shape), bw, mean_dx, lo, step, walls)
                else:
                    fields[t] = _smooth_exact(*exact.on_grid(a, axes), bw, walls)
                bar.update(1)
        self.d = d
        self.bounds = box
        self._lo, self._step = lo, step
        self._alphas = alphas
        self._fields = fields
        self.settings_ = {"bins": bins, "n_pairs": k, "bandwidth": bw, "method": method,
                          "field": "samples" if exact is None else "exact"}
        self._method = method
        self.walls_ = walls
        return self

    # ------------------------------------------------------------------ maps
    @property
    def alphas(self) -> np.ndarray:
        """The α of the steps' ends, (n_steps + 1,): uniform unless the box has walls."""
        self._check_fitted()
        return self._alphas.copy()

    def _h(self, t):
        return self._alphas[t + 1] - self._alphas[t]

    def _velocity(self, t, x):
        """The stored field ``t`` at ``x``: the velocity at α_t (Heun) or at the mid-α of step t (Euler)."""
        return interp(self._fields[t], self._lo, self._step, x)

    def _step_map(self, t, x, need_jac=False):
        """Step t applied to ``x`` (n, d): ``x'``, and with ``need_jac`` the step's Jacobian (n, d, d)."""
        return _grid_step(self._fields, self._lo, self._step, self._method, t, self._h(t), x, need_jac)

    def transform(self, x, *, return_log_det=False):
        """Push ``x`` (n, d) through the T steps.

        Returns ``y`` (n, d), or ``(y, log_det)`` with ``log_det`` (n,) = log|det ∂T/∂x| of the
        discrete map (exact, from the interpolant's own derivative).
        """
        self._check_fitted()
        x, restore = to_numpy_io(x, "x", self.d)
        y = x.copy()
        log_det = np.zeros(x.shape[0])
        for t in range(self.n_steps):
            if return_log_det:
                y, jac = self._step_map(t, y, need_jac=True)
                log_det += logabsdet_eye_plus(jac - np.eye(self.d), 1.0)
            else:
                y = self._step_map(t, y)
        if return_log_det:
            return restore(y), restore(log_det)
        return restore(y)

    def trajectory(self, x) -> np.ndarray:
        """Positions along the forward discrete path at :attr:`alphas`, ``(n_steps + 1, n, d)`` float64 (numpy)."""
        self._check_fitted()
        x, _ = to_numpy_io(x, "x", self.d)
        path = np.empty((self.n_steps + 1,) + x.shape)
        path[0] = x
        for t in range(self.n_steps):
            path[t + 1] = self._step_map(t, path[t])
        return path

    def inverse_transform(self, y, *, return_log_det=False, max_iter=30, tol=None):
        """Invert the discrete forward map step by step (Newton on ``x + h v_t(x) = y``).

        ``tol``: absolute residual per step (default 1e-10 × the box size). With ``return_log_det``
        also log|det ∂T⁻¹/∂y| (n,) = −log|det ∂T/∂x| at the preimage, summed over the steps.
        """
        self._check_fitted()
        y, restore = to_numpy_io(y, "y", self.d)
        max_iter = check_int(max_iter, "max_iter", minimum=1)
        if tol is None:
            tol = 1e-10 * float(np.max(self.bounds[:, 1] - self.bounds[:, 0]))
        x = y.copy()
        log_det = np.zeros(y.shape[0])
        for t in range(self.n_steps - 1, -1, -1):
            x = _invert_step(lambda z, jac, t=t: self._step_map(t, z, jac), self._velocity(t, x), self._h(t),
                             x, max_iter, tol)
            if return_log_det:
                _, jac = self._step_map(t, x, need_jac=True)
                log_det -= logabsdet_eye_plus(jac - np.eye(self.d), 1.0)
        if return_log_det:
            return restore(x), restore(log_det)
        return restore(x)

    # ------------------------------------------------------------------ files
    def save(self, path):
        """Save to an ``.npz`` model file (no pickle)."""
        self._check_fitted()
        path = check_path(path)
        from ..io import save_model

        params = self.get_params()
        params["box"] = None if self.box is None else self.box.tolist()
        meta = {"d": self.d, "params": params, "settings": self.settings_}
        arrays = {"bounds": self.bounds, "lo": self._lo, "step": self._step, "alphas": self._alphas,
                  "fields": self._fields, "walls": self.walls_}
        save_model(path, "GridIADBMap", meta, arrays)

    @classmethod
    def load(cls, path) -> "GridIADBMap":
        """Load a map saved by :meth:`save`."""
        from ..io import ModelFileError, load_model

        meta, arrays = load_model(path, "GridIADBMap")
        try:
            if "params" in meta:
                obj, settings = cls(**meta["params"]), meta["settings"]
            else:  # files written before the map protocol: one key per hyperparameter
                obj = cls(bins=meta["bins_arg"], n_steps=int(meta["n_steps"]), n_pairs=meta["n_pairs_arg"],
                          bandwidth=meta["bandwidth_arg"], box=arrays.get("bounds_arg"),
                          coupling=meta["coupling"], ot_block=int(meta["ot_block"]),
                          method=meta.get("method_arg"))
                settings = meta["fitted"]
            d = int(meta["d"])
            fields = arrays["fields"]
            # files written before Heun steps existed hold Euler fields (and no "method")
            method = check_choice(settings.get("method", "euler"), "method", METHODS)
            n_fields = obj.n_steps + (method == "heun")
            if d not in GRID_DEFAULTS or fields.ndim != d + 2 or fields.shape[0] != n_fields \
                    or fields.shape[-1] != d or arrays["alphas"].shape != (obj.n_steps + 1,) \
                    or arrays["bounds"].shape != (d, 2):
                raise ModelFileError(f"model file {path!r}: inconsistent GridIADBMap arrays")
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"model file {path!r}: bad GridIADBMap header ({exc})") from None
        obj.d = d
        obj.bounds = arrays["bounds"].astype(float)
        obj._lo, obj._step = arrays["lo"].astype(float), arrays["step"].astype(float)
        obj._alphas = arrays["alphas"].astype(float)
        obj._fields = fields
        obj.settings_ = {"field": "samples", **settings, "method": method}
        obj._method = method
        walls = arrays.get("walls")  # absent in files written before walls existed
        obj.walls_ = np.zeros((d, 2), bool) if walls is None or walls.shape != (d, 2) else walls.astype(bool)
        return obj

    def __repr__(self):
        if not self.is_fitted:
            return "GridIADBMap(not fitted)"
        f = self.settings_
        return (f"GridIADBMap(d={self.d}, bins={f['bins']}, n_steps={self.n_steps}, n_pairs={f['n_pairs']}, "
                f"bandwidth={f['bandwidth']}, coupling={self.coupling!r}, method={self._method!r}, "
                f"field={f.get('field', 'samples')!r})")


# ---------------------------------------------------------------------- helpers

def _schedule(n_steps, beta):
    r"""α_t, t = 0 … T: :math:`\alpha(s) = s - \beta \sin(2 \pi s) / (2 \pi)` on a uniform s.

    Steps :math:`h \propto 1 - \beta \cos(2 \pi s)`: ``1 - beta`` times the uniform step at both
    ends, ``1 + beta`` times it at α = 1/2 (``beta = 0``: uniform)."""
    s = np.linspace(0.0, 1.0, n_steps + 1)
    a = s - beta * np.sin(2.0 * np.pi * s) / (2.0 * np.pi)
    a[0], a[-1] = 0.0, 1.0
    return a


def find_walls(x0, x1, box):
    """Faces of ``box`` (d, 2) that are hard walls of the data, (d, 2) bool.

    A face is a wall if no sample of ``x0`` or ``x1`` lies beyond it and one of the two sets
    has a density that does not vanish at it: within 1/64 of its own extent from the face it
    has at least ``_WALL_DENSITY`` times the samples a uniform density would put there (an image
    or a uniform box passes; a Gaussian's 4.5 σ box does not).
    """
    d = box.shape[0]
    walls = np.zeros((d, 2), dtype=bool)
    for a in range(d):
        for side, face in enumerate(box[a]):
            sign = 1.0 if side == 0 else -1.0
            inside, dense = True, False
            for pts in (x0[:, a], x1[:, a]):
                u = sign * (pts - face)  # distance inside the face
                if u.min() < -1e-12 * max(1.0, abs(face)):
                    inside = False
                    break
                delta = (pts.max() - pts.min()) / _WALL_PROBE
                near = np.count_nonzero(u <= delta)
                dense |= delta > 0 and near >= _WALL_DENSITY * pts.shape[0] / _WALL_PROBE
            walls[a, side] = inside and dense
    return walls


def _fold_walls(grid, walls):
    """Add the mirror images of the splat at wall faces that fall on the wall nodes themselves:
    the weight and tangential sums there double, the normal sum cancels."""
    d = grid.ndim - 1
    for a in range(d):
        for side in (0, 1):
            if walls[a, side]:
                sl = [slice(None)] * (d + 1)
                sl[a] = 0 if side == 0 else -1
                node = grid[tuple(sl)]
                node *= 2.0
                node[..., a] = 0.0
    return grid


def _field_from_splat(grid, bw, mean_dx, lo, step, walls=None):
    """Smoothed ratio with a floor, shrunk towards a coarse field, itself shrunk to ``mean_dx``.

    At ``walls`` faces the data are reflected (:func:`smooth`) and the normal velocity is zero,
    so the flow keeps every point inside the walls and moves points along them."""
    d = grid.ndim - 1
    if walls is None:
        walls = np.zeros((d, 2), dtype=bool)
    fine = smooth(_fold_walls(grid, walls), bw, walls=walls)
    num, w = fine[..., :d], fine[..., d]
    # coarse fallback: pool _COARSE^d nodes, smooth one coarse cell, ratio shrunk to the mean
    coarse = _pool(fine, _COARSE)
    coarse = smooth(coarse, 1.0, walls=walls, half=True)
    cw = coarse[..., d]
    cfield = ratio_with_floor(coarse[..., :d], cw, _FLOOR * max(float(cw.max()), 1e-300), mean_dx)
    # value of the coarse field at the fine nodes (node j of the coarse grid sits at the centre
    # of the fine nodes it pooled)
    shape = grid.shape[:d]
    fine_idx = np.stack(np.meshgrid(*[np.arange(s, dtype=float) for s in shape], indexing="ij"), -1).reshape(-1, d)
    cshape = cfield.shape[:d]
    if min(cshape) >= 2:
        fb = interp(cfield, np.full(d, (_COARSE - 1) / 2.0), np.full(d, float(_COARSE)), fine_idx)
    else:
        fb = np.broadcast_to(cfield.reshape(-1, d).mean(0), fine_idx.shape)
    fb = fb.reshape(shape + (d,))
    floor = max(_FLOOR * float(w.max()), 1e-300)
    field = ratio_with_floor(num, w, floor, fb, dtype=np.float32)
    wall_floor = max(floor, _WALL_MIN_WEIGHT)
    band = int(3.0 * bw) + 2  # the nodes whose smoothing reaches the wall
    for a in range(d):
        for side in (0, 1):
            if walls[a, side]:
                sl = [slice(None)] * d
                sl[a] = slice(0, band) if side == 0 else slice(-band, None)
                sl = tuple(sl)
                # points on or very near a wall stay there and see only these nodes, at every
                # step: a stronger floor (shrinkage to the coarse field) where the data are few
                field[sl] = (num[sl] + wall_floor * fb[sl]) / (w[sl] + wall_floor)[..., None]
    return _tangential_on_walls(field, walls)  # the fallback need not be


def _tangential_on_walls(field, walls):
    """Set the normal component of ``field`` (n0, …, d) to zero on the nodes of every wall face."""
    d = field.ndim - 1
    for a in range(d):
        for side in (0, 1):
            if walls[a, side]:
                sl = [slice(None)] * (d + 1)
                sl[a] = 0 if side == 0 else -1
                sl[d] = a
                field[tuple(sl)] = 0.0
    return field


def _smooth_exact(velocity, weight, bw, walls):
    """An exact field on the nodes, averaged by a Gaussian of σ = ``bw`` cells with the density
    ``weight`` of :math:`x_\\alpha` (``G * (w v) / G * w``: the field that transports the smoothed
    densities exactly; mirrored at walls), float32, with zero normal component on the walls."""
    if bw > 0:
        d = velocity.ndim - 1
        both = smooth(np.concatenate([velocity * weight[..., None], weight[..., None]], axis=-1), bw, walls=walls)
        floor = 1e-12 * max(float(both[..., d].max()), 1e-300)  # only where the weight is ~0 (empty)
        velocity = (both[..., :d] + floor * velocity) / (both[..., d:] + floor)
    return _tangential_on_walls(velocity.astype(np.float32), walls)


def _pool(grid, f):
    """Sum blocks of ``f`` nodes per spatial axis (zero-padded to a multiple of ``f``)."""
    d = grid.ndim - 1
    pad = [(0, (-s) % f) for s in grid.shape[:d]] + [(0, 0)]
    g = np.pad(grid, pad)
    shape = []
    for s in g.shape[:d]:
        shape += [s // f, f]
    g = g.reshape(tuple(shape) + (grid.shape[-1],))
    return g.sum(axis=tuple(range(1, 2 * d, 2)))


def _grid_step(fields, lo, step, method, t, h, x, need_jac):
    """One step of the discrete map from α_t: ``x'`` (n, d), and with ``need_jac`` ∂x'/∂x (n, d, d).

    Euler: ``x + h f_t(x)``; Heun: ``x + h/2 (f_t(x) + f_{t+1}(x + h f_t(x)))``; the Jacobian by the
    chain rule from the interpolant's exact derivative."""
    d = x.shape[1]
    if not need_jac:
        v = interp(fields[t], lo, step, x)
        if method == "euler":
            return x + h * v
        return x + 0.5 * h * (v + interp(fields[t + 1], lo, step, x + h * v))
    v, jac = interp_with_jacobian(fields[t], lo, step, x)
    eye = np.eye(d)
    if method == "euler":
        return x + h * v, eye + h * jac
    v2, jac2 = interp_with_jacobian(fields[t + 1], lo, step, x + h * v)
    return x + 0.5 * h * (v + v2), eye + 0.5 * h * (jac + jac2 @ (eye + h * jac))


def _invert_step(step_map, v_guess, h, y, max_iter, tol):
    """Solve ``step_map(x) = y`` for x (n, d) by Newton steps (fixed-point where singular), from the
    reversed-Euler guess ``y − h v_guess``. ``step_map(x, need_jac)`` returns ``x'`` or ``(x', ∂x'/∂x)``."""
    x = y - h * v_guess
    active = np.arange(y.shape[0])
    for _ in range(max_iter):
        xa = x[active]
        xp, jac = step_map(xa, True)
        r = xp - y[active]
        bad = np.max(np.abs(r), axis=1) > tol
        active = active[bad]
        if active.size == 0:
            break
        r, m = r[bad], jac[bad]
        det = np.linalg.det(m)
        ok = np.abs(det) > 1e-8
        delta = r.copy()
        if np.any(ok):
            delta[ok] = np.linalg.solve(m[ok], r[ok][..., None])[..., 0]
        x[active] -= delta
    return x
