"""Learned blue noise: a deterministic IADB map from jittered noise to blue-noise point sets.

A set of ``N = m²`` points on the unit square or the unit torus is written as an image: the
points are matched to the centres ``c_ij = ((i + 1/2)/m, (j + 1/2)/m)`` of an ``m × m`` grid by
an exact optimal assignment for the squared (plain or torus) distance, and each cell stores the
offset of its point from its centre, in cell units (a 2-channel ``m × m`` image,
:func:`grid_offsets`). Going back (:func:`grid_points`) adds the offsets to the centres and
clips to the square or wraps onto the torus.

In that representation a small fully convolutional net (zero padding and an edge channel on the
square, circular padding on the torus) is trained by the IADB loss ``‖D(x_α, α) − (x1 − x0)‖²``
to deblend i.i.d. uniform offsets ``x0 ~ U[−1/2, 1/2)²`` per cell (a jittered point set) from
the offsets ``x1`` of exemplar blue-noise sets. Generation integrates ``dx/dα = D(x, α)`` from
α = 0 to 1 in a few Euler steps; the same noise always gives the same set, and the discrete map is inverted step by
step (:meth:`LearnedBlueNoise.inverse`). By default :func:`learned_blue_noise` then refines the set
by a few iterations of sliced optimal transport sampling, a step that is not learned (and has
no inverse); ``sot_iters=0`` gives the learned map alone.

References
----------
Heitz, Belcour, Chambon, "Iterative α-(de)Blending: a minimalist deterministic diffusion model",
SIGGRAPH 2023.
Doignies, Bonneel, Coeurjolly, Iehl, Ostromoukhov, "Example-based sampling with diffusion models",
SIGGRAPH Asia 2023.
"""
from __future__ import annotations

import contextlib
import math
import os
import warnings

import numpy as np

from .._validation import as_generator, as_points, check_choice, check_float, check_int, describe

__all__ = ["grid_offsets", "grid_points", "drop_spread", "low_mode_projector", "LearnedBlueNoise",
           "learned_blue_noise", "learned_blue_noise_inverse", "DEFAULT_MODEL", "DOMAINS", "SOT_ITERS"]

#: The model shipped with the package (trained by ``examples/train_learned_blue_noise.py``).
DEFAULT_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "learned_blue_noise.npz")
_KIND = "LearnedBlueNoise"
_INVERSE_ITERS = 30  # fixed-point iterations per inverted Euler step
_INVERSE_TOL = 1e-3  # round-trip error (cells) above which the inverse warns
_BELOW_ONE = np.nextafter(1.0, 0.0)
#: Default sliced-OT refinement iterations of :meth:`LearnedBlueNoise.sample` and :func:`learned_blue_noise`.
SOT_ITERS = 40
#: Where the point sets live: the unit torus (periodic) or the unit square (with sides).
DOMAINS = ("torus", "square")


def _side(n, name="points"):
    m = math.isqrt(n)
    if m * m != n:
        raise ValueError(f"{name} must hold a square number of points (m × m grid), got {n}")
    return m


def _wrap(d):
    """Minimal torus image of a difference: into [−1/2, 1/2)."""
    return d - np.floor(d + 0.5)


def grid_offsets(points, *, domain="torus") -> np.ndarray:
    """OT-grid representation of ``m²`` points: an ``(m, m, 2)`` offset image.

    The points are assigned to the centres ``((i + 1/2)/m, (j + 1/2)/m)`` of an ``m × m`` grid
    by the exact minimiser of the summed squared distance (torus or Euclidean)
    (``scipy.optimize.linear_sum_assignment``: exact, and much faster than a network-simplex
    solver on these uniform-weight problems, where a blue-noise set is nearly assigned already).
    ``offsets[i, j]`` is the (torus or plain) difference point − centre of cell ``(i, j)`` in cell units
    (times ``m``), so a point inside its own cell has offsets in [−1/2, 1/2)².

    Parameters
    ----------
    points : (m², 2) array in [0, 1)² (on the torus, coordinates are taken modulo 1)
    domain : {"torus", "square"}
        ``"torus"``: the squared torus distance and wrapped differences; ``"square"``: the plain
        squared distance and differences.

    Returns
    -------
    (m, m, 2) float64
    """
    from scipy.optimize import linear_sum_assignment

    domain = check_choice(domain, "domain", DOMAINS)
    x = as_points(points, "points")
    if x.shape[1] != 2:
        raise ValueError(f"points must be 2D, got shape {x.shape}")
    n = len(x)
    if n == 0:
        raise ValueError("points is empty")
    m = _side(n)
    centres = (np.arange(m) + 0.5) / m
    diff = _wrap if domain == "torus" else (lambda d: d)
    dx = diff(x[:, 0, None] - centres[None, :])  # (n, m): per-axis differences
    dy = diff(x[:, 1, None] - centres[None, :])
    cost = (dx[:, :, None] ** 2 + dy[:, None, :] ** 2).reshape(n, n)
    rows, cells = linear_sum_assignment(cost)
    i, j = np.divmod(cells, m)
    out = np.empty((m, m, 2))
    out[i, j, 0] = dx[rows, i] * m
    out[i, j, 1] = dy[rows, j] * m
    return out


def grid_points(offsets, *, domain="torus") -> np.ndarray:
    """Points from an ``(m, m, 2)`` offset image (cell units): centre + offset / m, in [0, 1)².

    Parameters
    ----------
    offsets : (m, m, 2) array
    domain : {"torus", "square"}
        Points outside [0, 1)² are wrapped (torus) or clipped to the square's sides (square).

    Returns
    -------
    (m², 2) float64, in cell order (cell ``(i, j)`` at row ``i·m + j``).
    """
    off = np.asarray(offsets, dtype=np.float64)
    if off.ndim != 3 or off.shape[2] != 2 or off.shape[0] != off.shape[1] or off.shape[0] < 1:
        raise ValueError(f"offsets must have shape (m, m, 2), got {off.shape}")
    if not np.isfinite(off).all():
        raise ValueError("offsets contains NaN or inf")
    m = off.shape[0]
    ii, jj = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    x = np.stack([(ii + 0.5 + off[..., 0]) / m, (jj + 0.5 + off[..., 1]) / m], axis=-1).reshape(-1, 2)
    if check_choice(domain, "domain", DOMAINS) == "torus":
        x -= np.floor(x)
    return np.clip(x, 0.0, _BELOW_ONE, out=x)


def drop_spread(points, n, *, rng=None) -> np.ndarray:
    """Keep exactly ``n`` of the points, removing the others where they are spread evenly.

    The ``len(points) − n`` removed points are the torus nearest neighbours of the first terms of
    a randomly shifted R2 low-discrepancy sequence (Roberts' generalised golden ratio), each
    point removed at most once: the holes are isolated and evenly spread, so a blue-noise set
    stays blue (removing points never lowers its minimum distance).

    Parameters
    ----------
    points : (N, 2) array in [0, 1)²
    n : int, 0 <= n <= N
    rng : None | int | Generator (the shift of the sequence)

    Returns
    -------
    (n, 2) float64, the kept points in their original order.
    """
    from scipy.spatial import cKDTree

    x = as_points(points, "points")
    n = check_int(n, "n", minimum=0, maximum=len(x))
    k = len(x) - n
    if k == 0:
        return x.copy()
    phi = 1.32471795724474602596  # plastic number: x^3 = x + 1
    steps = np.array([1.0 / phi, 1.0 / phi ** 2])
    seq = (as_generator(rng).random(2) + np.arange(1, k + 1)[:, None] * steps) % 1.0
    tree = cKDTree(np.clip(x, 0.0, _BELOW_ONE), boxsize=1.0)
    removed = np.zeros(len(x), bool)
    nb = min(len(x), 8)
    for t in seq:
        _, idx = tree.query(t, k=nb)
        free = np.atleast_1d(idx)[~removed[np.atleast_1d(idx)]]
        if len(free) == 0:  # every near neighbour already removed: take the nearest remaining point
            _, idx = tree.query(t, k=len(x))
            free = idx[~removed[idx]]
        removed[free[0]] = True
    return x[~removed]


# ----------------------------------------------------------------------------- lowest modes

def _mode_basis(m, k_max, kind):
    """Orthonormal cosine (``p = 0, 1, …``) or sine (``p = 1, 2, …``) columns on ``m`` cell centres.

    Column ``p`` samples ``cos(π p t)`` or ``sin(π p t)`` at the centres ``t = (i + 1/2)/m``,
    for ``p <= k_max`` (and ``p < m``); returns the ``(m, P)`` columns and their ``p``.
    """
    centres = np.arange(m) + 0.5
    p = np.arange(0 if kind == "cos" else 1, min(int(k_max), m - 1) + 1)
    basis = (np.cos if kind == "cos" else np.sin)(np.pi * p[None, :] * centres[:, None] / m)
    return basis / np.linalg.norm(basis, axis=0), p


def low_mode_projector(m, k_max, domain):
    """The orthogonal projection of an offset image onto its modes of frequency ``|k| <= k_max``.

    On the torus the modes are the Fourier modes with integer ``k = (p, q)``. On the square they
    are the modes of a displacement field that does not cross the sides: along its own axis an
    offset component is a sine series (zero at the sides), along the other axis a cosine series,
    with ``k = (p, q) / 2``, the same spatial frequency as on the torus.

    Parameters
    ----------
    m : int, the side of the offset image
    k_max : float >= 0, the largest kept frequency, in cycles per unit length
    domain : {"torus", "square"}

    Returns
    -------
    callable mapping a (B, 2, m, m) tensor to its projection (same shape).
    """
    import torch

    if domain == "torus":
        k = np.fft.fftfreq(m) * m
        mask = torch.from_numpy((k[:, None] ** 2 + k[None, :] ** 2 <= k_max ** 2).astype(np.float32))

        def project(x):
            return torch.fft.ifft2(torch.fft.fft2(x) * mask.to(x.dtype)).real.to(x.dtype)

        return project
    cos, pc = _mode_basis(m, 2 * k_max, "cos")
    sin, pz = _mode_basis(m, 2 * k_max, "sin")

    def pair(a, pa, b, pb):
        keep = (pa[:, None] ** 2 + pb[None, :] ** 2 <= (2 * k_max) ** 2).astype(np.float32)
        return (torch.from_numpy(a.astype(np.float32)), torch.from_numpy(keep), torch.from_numpy(b.astype(np.float32)))

    along0, along1 = pair(sin, pz, cos, pc), pair(cos, pc, sin, pz)  # offset along axis 0, along axis 1

    def project(x):
        out = []
        for c, (a, keep, b) in enumerate((along0, along1)):
            a, keep, b = a.to(x.dtype), keep.to(x.dtype), b.to(x.dtype)
            out.append(a @ ((a.T @ x[:, c] @ b) * keep) @ b.T)
        return torch.stack(out, dim=1)

    return project


# ----------------------------------------------------------------------------- the network

@contextlib.contextmanager
def _one_torch_thread():
    """Run torch on one thread: a single small image gains nothing from more, and OpenMP's
    spinning threads slow it down many times over on a loaded machine."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _circular_pad(h, p):
    """Pad the last two axes by ``p`` on each side, periodically (any ``p``, even ``p`` > size)."""
    import torch

    m0, m1 = h.shape[-2], h.shape[-1]
    if p <= min(m0, m1):
        return torch.nn.functional.pad(h, (p, p, p, p), mode="circular")
    i = torch.arange(-p, m0 + p) % m0
    j = torch.arange(-p, m1 + p) % m1
    return h[..., i, :][..., j]


def _zero_pad(h, p):
    """Pad the last two axes by ``p`` on each side with zeros (the outside of the square)."""
    import torch

    return torch.nn.functional.pad(h, (p, p, p, p))


def _build_net(channels, dilations, domain="torus"):
    """Fully convolutional: input (B, 2, m, m) offsets and α (B,), output (B, 2, m, m).

    A 3×3 convolution lifts (offsets, α) to ``channels`` features, then one residual dilated 3×3
    convolution per entry of ``dilations`` (SiLU), then a 1×1 convolution to the 2 velocity
    channels. On the torus every 3×3 convolution pads periodically; on the square it pads with
    zeros and the input carries a constant-one channel, which the zero padding turns into an
    edge indicator, so the net knows how far each cell is from the sides.
    """
    import torch
    from torch import nn

    pad = _circular_pad if domain == "torus" else _zero_pad
    extra = 1 if domain == "torus" else 2

    class OffsetDeblender(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Conv2d(2 + extra, channels, 3)
            self.body = nn.ModuleList(nn.Conv2d(channels, channels, 3, dilation=d) for d in dilations)
            self.out = nn.Conv2d(channels, 2, 1)

        def forward(self, x, alpha):
            a = alpha.reshape(-1, 1, 1, 1).expand(x.shape[0], 1, x.shape[2], x.shape[3])
            inputs = [x, a] if domain == "torus" else [x, a, torch.ones_like(a)]
            h = torch.nn.functional.silu(self.inp(pad(torch.cat(inputs, dim=1), 1)))
            for conv, d in zip(self.body, dilations):
                h = h + torch.nn.functional.silu(conv(pad(h, d)))
            return self.out(h)

    return OffsetDeblender()


class LearnedBlueNoise:
    """An IADB map from jittered noise to blue noise in the OT-grid representation.

    The velocity net is fully convolutional, so one model serves every grid size ``m`` (the
    shipped one is trained on ``m = 32`` grids; its receptive field is ±31 cells): a set of
    ``m²`` points is ``steps`` Euler steps over an ``m × m`` image.

    Parameters
    ----------
    channels : int, width of the net
    dilations : sequence of int, one residual dilated 3×3 convolution per entry
    steps : int, default number of Euler steps. Few steps pull the sets towards the mean offset
        image (a regular grid): fewer steps give less low-frequency power and larger minimum
        distances but a more regular, less varied set, and the last steps become non-invertible;
        many steps follow the learned flow closely.
    domain : {"torus", "square"}
        Where the sets live. ``"torus"``: periodic assignment and circular padding (the sets
        tile the plane; the square's sides play no role). ``"square"``: plain assignment, zero
        padding and an edge channel, so the net treats the cells along the sides as the
        exemplars do (sets for integrands that are not periodic).
    meta : dict, extra settings stored with the model (exemplar sampler, training recipe)

    Attributes
    ----------
    net_ : torch.nn.Module, the velocity net ``D(x_α, α)`` on offset images in cell units.
    """

    def __init__(self, *, channels=32, dilations=(1, 2, 4, 8, 1, 2, 4, 8), steps=6, domain="torus", meta=None):
        self.channels = check_int(channels, "channels", minimum=1)
        self.dilations = tuple(check_int(d, "dilations", minimum=1) for d in dilations)
        self.steps = check_int(steps, "steps", minimum=1)
        self.domain = check_choice(domain, "domain", DOMAINS)
        self.meta = dict(meta or {})
        self.net_ = _build_net(self.channels, self.dilations, self.domain)
        self.net_.eval()

    # -- files
    def save(self, path):
        """Write the model (weights + settings) as a safe ``.npz`` model file."""
        from ..io import save_model

        arrays = {k: v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}
        meta = dict(self.meta, channels=self.channels, dilations=list(self.dilations), steps=self.steps,
                    domain=self.domain)
        save_model(path, _KIND, meta, arrays)

    @classmethod
    def load(cls, path=None):
        """Read a model file written by :meth:`save` (default: the model shipped with the package)."""
        import torch

        from ..io import ModelFileError, load_model

        path = DEFAULT_MODEL if path is None else path
        meta, arrays = load_model(path, _KIND)
        try:
            model = cls(channels=meta["channels"], dilations=meta["dilations"], steps=meta["steps"],
                        domain=meta.get("domain", "torus"),
                        meta={k: v for k, v in meta.items() if k not in ("channels", "dilations", "steps", "domain")})
            model.net_.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(f"model file {path!r} does not describe a LearnedBlueNoise net "
                                 f"({type(exc).__name__}: {exc})") from None
        return model

    # -- the map
    def _steps(self, steps):
        return self.steps if steps is None else check_int(steps, "steps", minimum=1)

    def _velocity(self, project=None):
        import torch

        def velocity(x, a, b, need_jac):
            v = self.net_(x, torch.full((1,), a, dtype=x.dtype))
            if project is None:
                return v
            return v - project(v) - project(x) / (1.0 - a)  # lowest modes: straight to zero at α = 1

        return velocity

    def _run(self, image, steps, forward, low_freq=0.0):
        import torch

        from ..blending import alpha_schedule, integrate, invert

        alphas = alpha_schedule(self._steps(steps))
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)[None], dtype=np.float32))
        with _one_torch_thread(), torch.inference_mode():
            if forward:
                project = low_mode_projector(image.shape[0], low_freq, self.domain) if low_freq > 0 else None
                y = integrate(self._velocity(project), x, alphas)
            else:
                y = invert(self._velocity(), x, alphas, n_iter=_INVERSE_ITERS)
                error = float((integrate(self._velocity(), y, alphas) - x).abs().max())
                if error > _INVERSE_TOL:
                    warnings.warn(f"LearnedBlueNoise.inverse: the step-wise inversion did not converge "
                                  f"(round-trip error {error:.2g} cells with steps={len(alphas) - 1}); "
                                  "more steps make each step invertible", stacklevel=3)
        return y[0].numpy().transpose(1, 2, 0).astype(np.float64)

    @staticmethod
    def noise(m, *, rng=None) -> np.ndarray:
        """The source noise for an ``m × m`` set: i.i.d. U[−1/2, 1/2)² offsets, shape (m, m, 2).

        As points (:func:`grid_points`) it is a jittered set, one uniform point per cell.
        """
        m = check_int(m, "m", minimum=1)
        return as_generator(rng).random((m, m, 2)) - 0.5

    def transform(self, noise, *, steps=None, low_freq=0.0) -> np.ndarray:
        """Map noise offsets ``(m, m, 2)`` to a blue-noise set of ``m²`` points (cell order).

        ``low_freq > 0`` switches on a rule that is not learned: the velocity's modes of frequency
        ``|k| <= low_freq`` (:func:`low_mode_projector`) are replaced by the flow that takes the
        offsets' lowest modes straight to zero at α = 1, so the set has no first-order density
        fluctuation at those frequencies (the exemplars have almost none). The lowest modes of
        the noise are then lost: such a set has no inverse.
        """
        low_freq = check_float(low_freq, "low_freq", minimum=0.0)
        off = np.asarray(noise, dtype=np.float64)
        if off.ndim != 3 or off.shape[2] != 2 or off.shape[0] != off.shape[1] or off.shape[0] < 1:
            raise ValueError(f"noise must have shape (m, m, 2), got {off.shape}")
        if not np.isfinite(off).all():
            raise ValueError("noise contains NaN or inf")
        return grid_points(self._run(off, steps, True, low_freq), domain=self.domain)

    def inverse(self, points, *, steps=None, ordered=False) -> np.ndarray:
        """The noise ``(m, m, 2)`` that :meth:`transform` maps to ``points`` (``m²`` points).

        The points are put in the OT-grid representation (:func:`grid_offsets`; with
        ``ordered=True`` row ``i·m + j`` is taken as the point of cell ``(i, j)``, the order
        :meth:`transform` returns), then every Euler step of the forward map is inverted by
        fixed-point iteration, which converges while each step is invertible (enough ``steps``;
        a warning says when the round trip misses by more than 1e-3 cells). For a set made by
        :meth:`transform` with the same ``steps`` this recovers its noise up to float32 rounding;
        the OT assignment of a generated set can differ from its generating cells in a few cells
        (the map is only trained to produce assigned sets), so pass ``ordered=True`` for an exact
        recovery. For another blue-noise set the result looks like the i.i.d. uniform source. A set
        refined by sliced OT (:meth:`sample` with ``sot_iters > 0``) is such another set: its
        generating noise is not recovered.
        """
        if ordered:
            x = as_points(points, "points")
            if x.shape[1] != 2:
                raise ValueError(f"points must be 2D, got shape {x.shape}")
            m = _side(len(x))
            ii, jj = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
            centres = np.stack([(ii + 0.5) / m, (jj + 0.5) / m], axis=-1).reshape(-1, 2)
            d = x - centres
            offsets = ((_wrap(d) if self.domain == "torus" else d) * m).reshape(m, m, 2)
        else:
            offsets = grid_offsets(points, domain=self.domain)
        return self._run(offsets, steps, False)

    def sample(self, n, *, rng=None, steps=None, low_freq=0.0, sot_iters=SOT_ITERS) -> np.ndarray:
        """Exactly ``n`` blue-noise points: an ``m × m`` set, ``m = ceil(√n)``, less ``m² − n`` spread points.

        The learned map (:meth:`transform`) makes the ``m × m`` set from fresh noise; then, by
        default, ``sot_iters`` iterations of sliced optimal transport sampling towards the uniform
        square refine it (:func:`~iadb_graphics.pointsets.sot_blue_noise` started from the set,
        64 directions per iteration drawn from ``rng``): a short step that is not learned, which
        removes the small position errors the map leaves (excess power at low frequencies).
        A refined set has no exact inverse; ``sot_iters=0`` gives the learned map alone, which
        :meth:`inverse` inverts.

        Parameters
        ----------
        n : int >= 0
        rng : None | int | Generator
        steps : int >= 1 or None
            IADB steps. None: the model's default (for the shipped model, the fewest steps whose
            every step is invertible), with or without the refinement: the refinement starts from
            the invertible map's own set (fewer steps leave a more grid-like start, whose ring the
            refinement keeps).
        low_freq : float >= 0, see :meth:`transform` (0, the default: the learned flow alone).
        sot_iters : int >= 0
            Sliced-OT refinement iterations (default :data:`SOT_ITERS`; 0: none). The refinement
            targets the unit square, so it needs a square-domain model.

        Returns
        -------
        (n, 2) float64 in [0, 1)²
        """
        from . import sot_blue_noise

        n = check_int(n, "n", minimum=0)
        sot_iters = check_int(sot_iters, "sot_iters", minimum=0)
        if sot_iters and self.domain != "square":
            raise ValueError(f"sot_iters={sot_iters} refines towards the unit square; this model's domain is "
                             f"{self.domain!r} (use sot_iters=0)")
        rng = as_generator(rng)
        if n == 0:
            return np.empty((0, 2))
        m = math.isqrt(n - 1) + 1
        x = self.transform(self.noise(m, rng=rng), steps=steps, low_freq=low_freq)
        if m * m != n:
            x = drop_spread(x, n, rng=rng)
        return sot_blue_noise(n, n_iters=sot_iters, init=x, rng=rng, progress=False) if sot_iters else x

    def __repr__(self):
        return (f"LearnedBlueNoise(channels={self.channels}, dilations={self.dilations}, steps={self.steps}, "
                f"domain={self.domain!r}, exemplar={self.meta.get('exemplar')!r})")


_DEFAULT = []


def _default_model(model):
    if model is not None:
        if not isinstance(model, LearnedBlueNoise):
            raise TypeError(f"model must be a LearnedBlueNoise or None, got {describe(model)}")
        return model
    if not _DEFAULT:
        _DEFAULT.append(LearnedBlueNoise.load())
    return _DEFAULT[0]


def learned_blue_noise(n, *, d=2, rng=None, steps=None, low_freq=0.0, sot_iters=SOT_ITERS,
                       model=None) -> np.ndarray:
    """Blue-noise points from the shipped learned IADB map (jittered noise → blue noise), refined.

    ``m = ceil(√n)``: an ``m × m`` set (on the model's domain; the shipped model's is the square)
    is made by ``steps`` Euler steps of a fully convolutional net over its offset image, and when
    ``n`` is not a square the ``m² − n`` points nearest to an evenly spread low-discrepancy sequence are removed, so the
    count is exact. By default the set is then refined by ``sot_iters`` iterations of sliced
    optimal transport sampling (the algorithm of :func:`~iadb_graphics.pointsets.sot_blue_noise`,
    started from the set): the default output is the learned map plus that short step, which is
    not learned and has no exact inverse. ``sot_iters=0`` gives the learned map alone, the map that
    :func:`learned_blue_noise_inverse` inverts. The same ``rng`` always gives the same set.

    Parameters
    ----------
    n : int >= 0
    d : int, only 2 is supported
    rng : None | int | Generator
    steps : int >= 1 or None
        None: the model's default, refined or not.
    sot_iters : int >= 0, sliced-OT refinement iterations (default :data:`SOT_ITERS`; 0: none)
    low_freq : float >= 0
        0 (default): the learned map alone. Otherwise a rule that is not learned replaces the
        velocity's modes of frequency ``|k| <= low_freq`` (in cycles per unit length) by the flow
        that takes them straight to zero, which removes the first-order density fluctuations at
        those frequencies; such sets have no inverse (see :meth:`LearnedBlueNoise.transform`).
    model : LearnedBlueNoise or None (the model shipped with the package)

    Returns
    -------
    (n, 2) float64 in [0, 1)²

    Examples
    --------
    >>> import numpy as np
    >>> from iadb_graphics.pointsets import learned_blue_noise
    >>> x = learned_blue_noise(1024, rng=0)
    >>> x.shape, bool(np.array_equal(x, learned_blue_noise(1024, rng=0)))   # deterministic per rng
    ((1024, 2), True)
    """
    d = check_int(d, "d", minimum=1)
    if d != 2:
        raise ValueError(f"learned_blue_noise supports d=2 only, got d={d}")
    return _default_model(model).sample(n, rng=rng, steps=steps, low_freq=low_freq, sot_iters=sot_iters)


def learned_blue_noise_inverse(points, *, steps=None, ordered=False, model=None) -> np.ndarray:
    """The noise offsets ``(m, m, 2)`` that the learned map sends to ``points`` (``m²`` points).

    ``learned_blue_noise(m * m, rng=r, sot_iters=0)`` equals
    ``model.transform(LearnedBlueNoise.noise(m, rng=r))``, and this function returns that noise back
    from the set. It inverts the learned map only: for a set refined by sliced OT (the default of
    :func:`learned_blue_noise`) it returns the noise whose unrefined image is that set, not the
    noise the set was made from. See :meth:`LearnedBlueNoise.inverse`.
    """
    return _default_model(model).inverse(points, steps=steps, ordered=ordered)
