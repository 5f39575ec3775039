"""The learned IADB map: a torch MLP D_θ(x, α) trained with the α-(de)blending loss.

References
----------
E. Heitz, L. Belcour, T. Chambon. Iterative α-(de)Blending: a Minimalist Deterministic
Diffusion Model. SIGGRAPH 2023.
A. Tong et al. Improving and generalizing flow-based generative models with minibatch optimal
transport. TMLR 2024 (the ``coupling="ot"`` option).
X. Liu, C. Gong, Q. Liu. Flow straight and fast: rectified flow. ICLR 2023 (``reflow``).
"""
from __future__ import annotations

import numpy as np
import torch

from .._progress import progress_bar
from .._threads import evaluation_threads, torch_threads
from .._validation import (_is_torch, as_generator, as_points, check_choice, check_device, check_float,
                           check_int)
from ..blending import (INTEGRATORS, PARAMETRIZATIONS, alpha_schedule, blend, integrate, invert, minibatch_ot_pairs,
                        training_target)
from ..densities import as_density
from ..io import ModelFileError, load_model, save_model
from ..nets import BlendingMLP, fixed_alpha_layers, run_layers
from .base import BaseMap
from .exact_field import FIELDS, choose_field

__all__ = ["IADBMap", "COUPLINGS", "FIELDS"]

COUPLINGS = ("independent", "ot")
_NORM_SAMPLES = 20000
_EXACT_CHUNK = 64  # batches whose closed-form regression targets are computed together
_CPU_CHUNK = 1 << 14  # points per batch on the CPU (activations stay in cache)
_GPU_CHUNK = 1 << 20  # on a GPU: enough work per kernel launch (64-wide layers: 256 MB each)
_GPU_CHUNK_LOG_DET = 1 << 18


def _training_settings(n_iters, batch_size, lr):
    """Training settings checked: ``(n_iters, batch_size, lr)`` (``lr`` may be None: per regression target)."""
    return (check_int(n_iters, "n_iters", minimum=1), check_int(batch_size, "batch_size", minimum=2),
            None if lr is None else check_float(lr, "lr", minimum=0.0, strict_min=True))


# Defaults of ``lr=None`` and ``x_scale=None`` per regression target: single pairs' x1 − x0 are
# noisy targets and need a small rate and smooth features; the noise-free exact field trains faster
# with a larger rate and resolves finer structure with higher-frequency position features.
_LR_SAMPLES, _LR_EXACT = 2e-3, 3.2e-2
_X_SCALE_SAMPLES, _X_SCALE_EXACT = 2.0, 8.0


_FAR = 1e30  # the position of an absent wall in normalised space (float32-safe)
_WALL_LAYER = 1.0 / 128  # δ of the wall limiter, a fraction of the walled box's extent


def _no_walls(d):
    return np.tile([-np.inf, np.inf], (d, 1))


def _json_float(v):
    """A float for JSON: ±inf as the strings "inf" / "-inf" (``float()`` reads them back)."""
    return str(float(v)) if not np.isfinite(v) else float(v)


def _wall_box(source, target, s0, s1):
    """(d, 2) wall positions of the union of the two densities' boxes (±inf: not a wall)."""
    from .grid import find_walls

    b0, b1 = np.asarray(source.bounds, float), np.asarray(target.bounds, float)
    box = np.stack([np.minimum(b0[:, 0], b1[:, 0]), np.maximum(b0[:, 1], b1[:, 1])], axis=1)
    walls = find_walls(s0, s1, box)
    return np.where(walls, box, _no_walls(box.shape[0]))


def _limit_at_walls(z, dz, lo, hi, layer):
    r"""Shrink the displacement ``dz`` (n, d) of points ``z`` towards the walls ``lo``/``hi`` (d,):
    towards a wall at distance s, :math:`d \mapsto d\,s / (s + \delta + |d|)` (|result| < s: the
    wall is never crossed); away from it unchanged. ``layer`` δ (d,) is the width of the layer in
    which the normal motion fades out: there s shrinks at most by δ/(δ + |d|) per step, never
    collapses onto the wall. Smooth in ``z`` wherever s > 0, so autograd gives the exact Jacobian
    of the limited step."""
    s_lo = (z - lo).clamp_min(0.0)
    s_hi = (hi - z).clamp_min(0.0)
    mag = dz.abs()
    down = dz * s_lo / (s_lo + layer + mag)
    up = dz * s_hi / (s_hi + layer + mag)
    return torch.where(dz < 0, down, up)


class IADBMap(BaseMap):
    r"""A map p0 → p1 learned with iterative α-(de)blending (IADB) by a small MLP.

    Training minimises :math:`E\|D_\theta(x_\alpha, \alpha) - (x_1 - x_0)\|^2` over
    :math:`x_0 \sim p_0, x_1 \sim p_1, \alpha \sim U[0, 1]`, or, where the velocity
    :math:`v(x, \alpha) = E[x_1 - x_0 \mid x_\alpha = x]` is known in closed form (``field``),
    :math:`E\|D_\theta(x_\alpha, \alpha) - v(x_\alpha, \alpha)\|^2`: the same minimiser, without
    the variance of single pairs in the gradient. The map integrates
    :math:`dx/d\alpha = D_\theta(x, \alpha)` from 0 to 1 with Euler (the paper's) or Heun steps.

    Parameters
    ----------
    width, depth : int
        Hidden width and number of hidden layers (SiLU) of the MLP.
    n_frequencies : int
        Fourier features of α fed to the MLP.
    x_features : int
        Random Fourier features of the (normalised) position fed to the MLP besides x itself;
        they let a small MLP learn sharp targets faster, at some cost per evaluation.
    x_scale : float or None
        Standard deviation of the random frequencies of those features (per unit of the
        normalised position). ``None`` (default) picks it by regression target: 8 for the exact
        field, 2 for single pairs.
    parametrization : {"velocity", "endpoints"}
        Predict ``x1 − x0`` (the paper's main choice) or ``(x̄0, x̄1)`` and re-blend at each step.
    coupling : {"independent", "ot"}
        How training pairs are drawn: independently (IADB), or matched by exact OT within blocks
        of ``ot_block`` points of each batch (minibatch OT: straighter paths, closer to OT).
    ot_block : int
        Block size of the minibatch OT matching.
    device : str or torch.device, optional
        Where to train and evaluate (default CPU; "cuda" when available and asked).
    ema_decay : float
        Decay of the exponential moving average of the weights kept during training and used by
        the fitted map (0 disables it): it averages out the large gradient noise of the IADB loss.
    walls : bool
        Keep the map inside the faces of the support box where the data stop with a density
        that does not vanish (an image, a uniform box; detected as for :class:`GridIADBMap`):
        every step's displacement towards such a face is shrunk smoothly,
        :math:`d \mapsto d\,s / (s + \delta + |d|)` with ``s`` the distance to the face and δ
        1/128 of the box, so no point crosses it and the step stays a smooth bijection of the box
        whose log-det is exact.
        Without it a few samples land where such a target's density is zero (infinite KL).
    n_iters, batch_size, lr : int, int, float or None
        Training: ``n_iters`` Adam steps (default 6000) on batches of ``batch_size`` pairs (2048),
        initial learning rate ``lr`` with cosine decay. ``None`` (default) picks it by regression
        target: 3.2e-2 for the exact field (noise-free targets allow larger steps), 2e-3 for single
        pairs' ``x1 − x0``.
    n_steps, method : int, {"euler", "heun"}
        Integration of the map (default 128 Euler steps, the paper's choice); ``transform``,
        ``inverse_transform`` and ``trajectory`` may override them per call.
    field : {"auto", "exact", "samples"}
        The regression target. ``"exact"``: the closed-form velocity at each blended point, for a
        2D :class:`~iadb_graphics.densities.Uniform` paired (either way) with an
        :class:`~iadb_graphics.densities.ImageDensity`, a
        :class:`~iadb_graphics.densities.Checkerboard` or a Uniform and independent pairs
        (ValueError otherwise; see :mod:`iadb_graphics.maps.exact_field`). ``"samples"``: the
        paper's ``x1 − x0`` of each pair. ``"auto"`` (default): exact where available.
        ``settings_["field"]`` says which was used.
    train_threads : int or None
        CPU threads torch uses while training (restored afterwards). Training batches are small,
        so one thread is as fast as two on an idle machine and many times faster on a loaded one
        (OpenMP threads spin when cores are oversubscribed); None keeps torch's setting.
        Evaluation (``transform``, ``inverse_transform``, ``trajectory``) on the CPU uses one thread
        unless ``OMP_WAIT_POLICY=passive`` is set, and torch's own setting then.

    Attributes
    ----------
    d : int
        Dimension, set by ``fit``.
    bounds : (d, 2) ndarray
        Box covering source and target samples seen in ``fit``.
    wall_box_ : (d, 2) ndarray
        The faces that are walls (``-inf`` / ``+inf`` where a face is not one); all infinite
        when ``walls=False``.
    center_, scale_ : internal normalisation ``z = (x − center) / scale`` (isotropic, so that the
        geometry, and hence transport costs, are preserved).
    loss_history_ : list of float
        Training loss every 50 iterations.
    settings_ : dict
        ``{"field": "exact" | "samples"}``: the regression target the fit used.
    """

    has_log_det = True
    can_save = True

    def __init__(self, *, width=64, depth=3, n_frequencies=4, x_features=32, x_scale=None, parametrization="velocity",
                 coupling="independent", ot_block=256, ema_decay=0.999, device=None, train_threads=1,
                 walls=True, n_iters=6000, batch_size=2048, lr=None, n_steps=128, method="euler", field="auto"):
        self.n_iters, self.batch_size, self.lr = _training_settings(n_iters, batch_size, lr)
        self.n_steps = check_int(n_steps, "n_steps", minimum=1)
        self.method = check_choice(method, "method", INTEGRATORS)
        self.width = check_int(width, "width", minimum=1)
        self.depth = check_int(depth, "depth", minimum=1)
        self.n_frequencies = check_int(n_frequencies, "n_frequencies", minimum=0)
        self.x_features = check_int(x_features, "x_features", minimum=0)
        self.x_scale = None if x_scale is None else check_float(x_scale, "x_scale", minimum=0.0, strict_min=True)
        self.parametrization = check_choice(parametrization, "parametrization", PARAMETRIZATIONS)
        self.coupling = check_choice(coupling, "coupling", COUPLINGS)
        self.ot_block = check_int(ot_block, "ot_block", minimum=2)
        self.ema_decay = check_float(ema_decay, "ema_decay", minimum=0.0, maximum=1.0)
        self.device = check_device(device, "device")
        self.train_threads = None if train_threads is None else check_int(train_threads, "train_threads", minimum=1)
        if not isinstance(walls, (bool, np.bool_)):
            raise TypeError(f"walls must be True or False, got {walls!r}")
        self.walls = bool(walls)
        self.field = check_choice(field, "field", FIELDS)
        self.net_ = None
        self.loss_history_ = []

    def _hyperparameters(self) -> dict:
        """The constructor settings (JSON-serialisable), for :meth:`save` and :meth:`reflow`."""
        return {"width": self.width, "depth": self.depth, "n_frequencies": self.n_frequencies,
                "x_features": self.x_features, "x_scale": self.x_scale, "parametrization": self.parametrization,
                "coupling": self.coupling, "ot_block": self.ot_block, "ema_decay": self.ema_decay,
                "train_threads": self.train_threads, "walls": self.walls, "n_iters": self.n_iters,
                "batch_size": self.batch_size, "lr": self.lr, "n_steps": self.n_steps, "method": self.method,
                "field": self.field}

    # ------------------------------------------------------------------ training
    def _build(self, d, exact=False):
        """The network; ``exact``: it will regress onto the exact field (picks ``x_scale=None``'s value).
        Loading a saved map overwrites the random feature frequencies, whatever their scale here."""
        d_out = d if self.parametrization == "velocity" else 2 * d
        x_scale = self.x_scale if self.x_scale is not None else (_X_SCALE_EXACT if exact else _X_SCALE_SAMPLES)
        return BlendingMLP(d, d_out, width=self.width, depth=self.depth, n_frequencies=self.n_frequencies,
                           x_features=self.x_features, x_scale=x_scale).to(self.device)

    def fit(self, source, target, *, rng=None, progress=None):
        """Train on pairs drawn from ``source`` and ``target`` (densities or (n, d) arrays, resampled).

        ``n_iters`` Adam steps on batches of ``batch_size`` pairs, learning rate ``lr`` with cosine
        decay (the constructor's settings).
        """
        source = as_density(source, "source")
        target = as_density(target, "target")
        self._check_fit_dims(source, target)
        rng = as_generator(rng)

        d = source.d
        s0 = source.sample(_NORM_SAMPLES, rng=rng)
        s1 = target.sample(_NORM_SAMPLES, rng=rng)
        both = np.concatenate([s0, s1])
        self.center_ = both.mean(axis=0)
        self.scale_ = float(np.sqrt(np.mean(np.var(both, axis=0)))) or 1.0
        self.bounds = np.stack([both.min(0), both.max(0)], axis=1)
        self.wall_box_ = _wall_box(source, target, s0, s1) if self.walls else _no_walls(d)

        exact = choose_field(self.field, self.coupling, source, target)
        self.settings_ = {"field": "samples" if exact is None else "exact"}
        lr = self.lr if self.lr is not None else (_LR_SAMPLES if exact is None else _LR_EXACT)

        def draw(n):
            x0, x1 = source.sample(n, rng=rng), target.sample(n, rng=rng)
            return x0, x1

        self._train(draw, d, self.n_iters, self.batch_size, lr, rng, progress, exact)
        return self

    def _train(self, *args):
        previous = torch.get_num_threads()
        if self.train_threads is not None and self.device.type == "cpu":
            torch.set_num_threads(self.train_threads)
        try:
            self._train_loop(*args)
        finally:
            torch.set_num_threads(previous)

    def _regression(self, x0, x1, alpha, exact):
        """Network input ``z_α`` and regression target for pairs ``(x0, x1)`` (data space) at ``alpha``:
        ``x1 − x0`` (or the pair) in model space, or, with an exact field, its conditional mean given
        ``x_α`` (the same minimiser, without the variance of single pairs)."""
        a = torch.as_tensor(alpha, dtype=torch.float32, device=self.device)
        if exact is None:
            z0, z1 = self._to_model(x0), self._to_model(x1)
            return blend(z0, z1, a), a, training_target(z0, z1, self.parametrization)
        xa = x0 + alpha[:, None] * (x1 - x0)
        v = exact.at_points(xa, alpha)
        if self.parametrization == "velocity":
            target = torch.as_tensor(v / self.scale_, dtype=torch.float32, device=self.device)
        else:  # the posterior means of the two ends
            target = torch.cat([self._to_model(xa - alpha[:, None] * v), self._to_model(xa + (1 - alpha[:, None]) * v)], 1)
        return self._to_model(xa), a, target

    def _train_loop(self, draw, d, n_iters, batch_size, lr, rng, progress, exact=None):
        torch_gen = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(2 ** 62, (1,), generator=torch_gen)))
            self.net_ = self._build(d, exact is not None)
        self.d = d
        params = list(self.net_.parameters())
        ema = [p.detach().clone() for p in params]  # exponential moving average of the weights
        opt = torch.optim.Adam(params, lr=lr)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 0.5 * (1 + np.cos(np.pi * i / n_iters)))
        self.loss_history_ = []
        running = 0.0
        with progress_bar(n_iters, desc="IADB fit", progress=progress) as bar:
            for it in range(n_iters):
                if exact is not None:  # closed-form targets for _EXACT_CHUNK batches at once (vectorised)
                    k = it % _EXACT_CHUNK
                    if k == 0:
                        m = min(_EXACT_CHUNK, n_iters - it) * batch_size
                        x0, x1 = draw(m)
                        chunk = self._regression(x0, x1, rng.random(m), exact)
                    za, a, target = (c[k * batch_size:(k + 1) * batch_size] for c in chunk)
                else:
                    x0, x1 = draw(batch_size)
                    if self.coupling == "ot":
                        x1 = minibatch_ot_pairs(x0, x1, self.ot_block)
                    za, a, target = self._regression(x0, x1, rng.random(batch_size), exact)
                loss = torch.mean((self.net_(za, a) - target) ** 2)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                with torch.no_grad():
                    decay = min(self.ema_decay, (1.0 + it) / (10.0 + it))
                    torch._foreach_lerp_(ema, params, 1.0 - decay)
                running = running + loss.detach()  # summed on the device: no host sync per iteration
                if (it + 1) % 50 == 0 or it + 1 == n_iters:
                    mean_loss = float(running) / ((it % 50) + 1)
                    self.loss_history_.append(mean_loss)
                    bar.set_postfix(loss=f"{mean_loss:.4f}")
                    running = 0.0
                bar.update(1)
        with torch.no_grad():
            for p, e in zip(params, ema):
                p.copy_(e)
        self.net_.eval()

    def reflow(self, source, *, n_pairs=20000, n_iters=None, batch_size=None, lr=None, n_steps=None,
               rng=None, progress=None):
        """A new map trained on the pairs ``(x, T(x))`` of this one (rectified flow's "reflow").

        Its paths are straighter, so fewer Euler steps reach the same accuracy. ``n_iters``,
        ``batch_size`` and ``lr`` default to this map's; the new map carries the ones used.
        """
        self._check_fitted()
        source = as_density(source, "source")
        rng = as_generator(rng)
        n_pairs = check_int(n_pairs, "n_pairs", minimum=2)
        x0 = source.sample(n_pairs, rng=rng)
        x1 = self.transform(x0, n_steps=n_steps)
        settings = {"n_iters": self.n_iters if n_iters is None else n_iters,
                    "batch_size": self.batch_size if batch_size is None else batch_size,
                    "lr": self.lr if lr is None else lr}
        new = IADBMap(**{**self._hyperparameters(), **settings, "coupling": "independent"}, device=self.device)
        new.center_, new.scale_, new.bounds = self.center_, self.scale_, self.bounds
        new.wall_box_ = self.wall_box_ if new.walls else _no_walls(self.d)
        n_iters, batch_size, lr = new.n_iters, new.batch_size, _LR_SAMPLES if new.lr is None else new.lr

        def draw(n):
            idx = rng.integers(0, n_pairs, n)
            return x0[idx], x1[idx]

        new.settings_ = {"field": "samples"}  # the pairs (x, T(x)) have no closed-form field
        new._train(draw, self.d, n_iters, batch_size, lr, rng, progress)
        return new

    # ------------------------------------------------------------------ evaluation
    def _to_model(self, x):
        return torch.as_tensor((x - self.center_) / self.scale_, dtype=torch.float32, device=self.device)

    def _velocity_fn(self):
        """Velocity ``(z, a, b, need_jac)`` in normalised space, for :func:`blending.integrate`.

        With walls, the velocity of the step from ``a`` to ``b`` is the wall-limited displacement
        divided by ``b − a`` (see :func:`_limit_at_walls`), so ``z + (b − a) v`` never crosses a wall."""
        d, endpoints = self.d, self.parametrization == "endpoints"
        box = getattr(self, "wall_box_", None)
        limited = box is not None and bool(np.isfinite(box).any())
        if limited:
            zbox = (box - self.center_[:, None]) / self.scale_
            zlo = torch.as_tensor(np.where(np.isfinite(zbox[:, 0]), zbox[:, 0], -_FAR), dtype=torch.float64,
                                  device=self.device)
            zhi = torch.as_tensor(np.where(np.isfinite(zbox[:, 1]), zbox[:, 1], _FAR), dtype=torch.float64,
                                  device=self.device)
            ext = np.where(np.isfinite(zbox).all(1), zbox[:, 1] - zbox[:, 0], np.nan)
            ext = np.where(np.isnan(ext), np.nanmax(np.r_[ext, 0.0]) or 1.0, ext)  # half-open axes: the largest closed one
            layer = torch.as_tensor(_WALL_LAYER * ext, dtype=torch.float64, device=self.device)

        def raw(z, a, inplace):
            if z.dtype != torch.float32:  # float64 positions (walls): the network itself runs in float32
                return run_layers(self.net_, fixed_alpha_layers(self.net_, a, d), z.float(), inplace=inplace).to(z.dtype)
            return run_layers(self.net_, fixed_alpha_layers(self.net_, a, d), z, inplace=inplace)

        def to_velocity(out, z, a, b):
            if endpoints:
                x0, x1 = out[:, :d], out[:, d:]
                out = ((1 - b) * x0 + b * x1 - z) / (b - a)
            if limited and b != a:
                out = _limit_at_walls(z, (b - a) * out, zlo.to(z.dtype), zhi.to(z.dtype), layer.to(z.dtype)) / (b - a)
            return out

        def velocity(z, a, b, need_jac):
            if not need_jac:
                with torch.no_grad():
                    return to_velocity(raw(z, a, inplace=True), z, a, b)
            with torch.enable_grad():
                zz = z.detach().requires_grad_(True)
                v = to_velocity(raw(zz, a, inplace=False), zz, a, b)
                rows = [torch.autograd.grad(v[:, k].sum(), zz, retain_graph=k < d - 1)[0] for k in range(d)]
            return v.detach(), torch.stack(rows, dim=1)

        return velocity

    def _position_dtype(self):
        """float64 positions when the map has walls (points may approach a wall closer than float32
        resolves, and must not land on it); float32 otherwise."""
        box = getattr(self, "wall_box_", None)
        return torch.float64 if box is not None and bool(np.isfinite(box).any()) else torch.float32

    def _chunk_size(self, chunk_size, log_det):
        """Points per batch: ``None`` → 2^14 on the CPU (cache-sized), 2^20 on a GPU (2^18 with the
        log-det, whose autograd graph holds every layer's activations)."""
        if chunk_size is None:
            if self.device.type == "cpu":
                return _CPU_CHUNK
            return _GPU_CHUNK_LOG_DET if log_det else _GPU_CHUNK
        return check_int(chunk_size, "chunk_size", minimum=1)

    def _run(self, x, alphas, *, method, log_det, chunk_size, progress, desc, inverse_iters=None):
        """Integrate along ``alphas`` (or invert that map when ``inverse_iters`` is given);
        numpy → float64 numpy, torch → torch (caller's device/dtype)."""
        self._check_fitted()
        check_choice(method, "method", INTEGRATORS)
        if method == "heun" and self.parametrization == "endpoints":
            raise ValueError("method='heun' needs parametrization='velocity' (re-blending is an Euler scheme)")
        chunk_size = self._chunk_size(chunk_size, log_det)
        is_t = _is_torch(x)
        if is_t:
            out_device, out_dtype = x.device, x.dtype
            if x.ndim != 2 or x.shape[1] != self.d:
                raise ValueError(f"x has shape {tuple(x.shape)} but the map was fitted in d={self.d}")
            if not bool(torch.isfinite(x).all()):
                raise ValueError("x contains NaN or infinite values")
            z_all = ((x.detach().to(self.device, torch.float64) - torch.as_tensor(self.center_, device=self.device))
                     / self.scale_).to(torch.float32)
        else:
            x = as_points(x, "x", d=self.d)
            z_all = self._to_model(x)
        z_all = z_all.to(self._position_dtype())
        velocity = self._velocity_fn()
        ys, lds = [], []
        n = z_all.shape[0]
        with progress_bar(n, desc=desc, progress=progress, unit="pt") as bar, torch.inference_mode(not log_det), \
                torch_threads(evaluation_threads(self.device)):
            for s in range(0, n, chunk_size):
                chunk = z_all[s:s + chunk_size]
                if inverse_iters is None:
                    res = integrate(velocity, chunk, alphas, method=method, log_det=log_det)
                else:
                    res = invert(velocity, chunk, alphas, method=method, n_iter=inverse_iters, log_det=log_det)
                if log_det:
                    ys.append(res[0])
                    lds.append(res[1])
                else:
                    ys.append(res)
                bar.update(min(chunk_size, n - s))
        z = torch.cat(ys) if ys else z_all.clone()
        if is_t:
            y = (z.to(torch.float64) * self.scale_ + torch.as_tensor(self.center_, device=z.device))
            y = y.to(out_device, out_dtype)
            ld = (torch.cat(lds) if lds else torch.zeros(0)).to(out_device, out_dtype) if log_det else None
        else:
            y = z.cpu().double().numpy() * self.scale_ + self.center_
            ld = (torch.cat(lds).cpu().double().numpy() if lds else np.zeros(0)) if log_det else None
        return (y, ld) if log_det else y

    def _integration(self, n_steps, method):
        """The map's own ``(n_steps, method)`` unless a call asks for others."""
        return (self.n_steps if n_steps is None else check_int(n_steps, "n_steps", minimum=1),
                self.method if method is None else method)

    def transform(self, x, *, return_log_det=False, n_steps=None, method=None, chunk_size=None,
                  progress=None):
        """Push ``x`` (n, d) through the map: α from 0 to 1 in ``n_steps`` steps.

        ``n_steps`` and ``method`` default to the map's own (constructor) settings; a call may ask
        for others (e.g. fewer steps after :meth:`reflow`).

        With ``return_log_det=True`` returns ``(y, log_det)``, ``log_det`` (n,) the exact
        log|det ∂y/∂x| of the discrete map (sum of the per-step log-dets).
        ``chunk_size``: points per batch; ``None`` picks one for the map's device.
        """
        n_steps, method = self._integration(n_steps, method)
        return self._run(x, alpha_schedule(n_steps), method=method, log_det=return_log_det, chunk_size=chunk_size,
                         progress=progress, desc="IADB transform")

    def inverse_transform(self, y, *, return_log_det=False, n_steps=None, method=None, n_iter=2,
                          chunk_size=None, progress=None):
        """Invert :meth:`transform` (same ``n_steps`` and ``method``) step by step.

        Each step is solved by ``n_iter`` fixed-point iterations (see :func:`blending.invert`), so
        the round trip is exact up to (h·Lip v)^(n_iter+1) per step; ``n_iter=0`` integrates the
        ODE backwards (α from 1 to 0, error O(1/n_steps)) at a third of the cost.
        ``log_det`` is log|det ∂x/∂y| = −log|det ∂T/∂x|.
        """
        n_steps, method = self._integration(n_steps, method)
        return self._run(y, alpha_schedule(n_steps), method=method, log_det=return_log_det, chunk_size=chunk_size,
                         progress=progress, desc="IADB inverse", inverse_iters=check_int(n_iter, "n_iter", minimum=0))

    def trajectory(self, x, *, n_steps=None, method=None) -> np.ndarray:
        """The forward path of each point: ``(n_steps + 1, n, d)`` (numpy → float64 numpy; torch → torch
        of the caller's dtype and device)."""
        self._check_fitted()
        if _is_torch(x):
            path = self.trajectory(x.detach().cpu().double().numpy(), n_steps=n_steps, method=method)
            return torch.as_tensor(path, dtype=x.dtype, device=x.device)
        x = as_points(x, "x", d=self.d)
        n_steps, method = self._integration(n_steps, method)
        path = [x]
        velocity = self._velocity_fn()

        def record(step, z):
            path.append(z.cpu().double().numpy() * self.scale_ + self.center_)

        with torch.inference_mode(), torch_threads(evaluation_threads(self.device)):
            integrate(velocity, self._to_model(x).to(self._position_dtype()), alpha_schedule(n_steps), method=method,
                      callback=record)
        return np.stack(path)

    # ------------------------------------------------------------------ files
    def save(self, path):
        """Write weights and settings to ``path`` (.npz, no pickle; atomic)."""
        self._check_fitted()
        meta = {"hyperparameters": self._hyperparameters(), "d": self.d, "center": self.center_.tolist(),
                "scale": self.scale_, "bounds": self.bounds.tolist(),
                "wall_box": [[_json_float(v) for v in row] for row in self.wall_box_],
                "settings": getattr(self, "settings_", {"field": "samples"})}
        arrays = {k: v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}
        save_model(path, "IADBMap", meta, arrays)

    @classmethod
    def load(cls, path, *, device=None):
        """Read a map written by :meth:`save`; a corrupt or foreign file raises ``ModelFileError``."""
        meta, arrays = load_model(path, "IADBMap")
        try:
            new = cls(**meta["hyperparameters"], device=device)
            d = check_int(meta["d"], "d", minimum=1)
            new.center_ = np.asarray(meta["center"], dtype=float).reshape(d)
            new.scale_ = check_float(meta["scale"], "scale", minimum=0.0, strict_min=True)
            new.bounds = np.asarray(meta["bounds"], dtype=float).reshape(d, 2)
            # files written before walls existed have none
            new.wall_box_ = (np.asarray([[float(v) for v in row] for row in meta["wall_box"]]).reshape(d, 2)
                            if "wall_box" in meta else _no_walls(d))
            settings = meta.get("settings", {"field": "samples"})  # files written before the exact field
            new.settings_ = {"field": check_choice(settings.get("field"), "settings.field", ("exact", "samples"))}
            net = new._build(d)
            state = {k: torch.as_tensor(v) for k, v in arrays.items()}
            net.load_state_dict(state, strict=True)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(f"model file {str(path)!r} has inconsistent contents ({type(exc).__name__}: {exc})") from None
        new.net_, new.d = net.eval(), d
        return new

