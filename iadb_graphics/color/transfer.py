"""Colour transfer: fit a map from a source image's colours to a palette, bake it, apply it.

``transfer = fit_map + bake_lut + apply_lut``. The map is learned in a working colour space
(CIELAB by default) between colour samples of the two images, and wrapped as a map from sRGB
[0, 1]³ to sRGB [0, 1]³ (:class:`ColorMap`), so that ``bake_lut(fit_map(...), size)`` is a LUT over
the RGB cube usable by any tool that reads ``.cube`` files.

Methods
-------
``sliced-lut`` (default) iterative sliced OT run on colour samples, then a LUT fitted to the
              moved samples by lattice regression (:mod:`.lattice`): the transport of IDT, the
              smoothness and the speed of a LUT fitted where the image's colours are.
``grid``      IADB with the training-free grid estimator (:class:`~iadb_graphics.maps.grid.GridIADBMap`)
              on minibatch-OT pairs, lightness weighted ×3 (:data:`GRID_COLOR_DEFAULTS`,
              :data:`GRID_LUMA_WEIGHT`).
``mlp``       IADB with a small MLP (:class:`~iadb_graphics.maps.iadb.IADBMap`; slow on a CPU).
``emd``       exact discrete OT on a few thousand pixels (:class:`~iadb_graphics.transport.EMDMap`).
``sinkhorn``  entropic OT map (:class:`~iadb_graphics.transport.SinkhornMap`).
``sliced``    iterative sliced OT run to convergence (:class:`~iadb_graphics.transport.SlicedOTMap`).
``idt``       Pitié's IDT, the classic baseline: the same algorithm with Pitié's 10 iterations of
              3 rotated axes.
``reinhard``  Reinhard's mean / standard-deviation matching (:class:`ReinhardMap`); classically
              run in ``space="lalphabeta"``.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_generator, as_points, check_choice, check_float, check_int, describe
from ..densities import Density
from .image import check_image, rgb_pixels
from .lut import apply_lut, bake_lut, blend_lut
from .palette import SPACE_RANGE, palette, swatches
from .regrain import regrain as _regrain
from .spaces import SPACES, convert

__all__ = ["METHODS", "DEFAULT_METHOD", "ColorMap", "fit_map", "grade_lut", "transfer", "make_map"]

#: Method names accepted by :func:`fit_map` / :func:`transfer`.
METHODS = ("sliced-lut", "grid", "mlp", "emd", "sinkhorn", "sliced", "idt", "reinhard")
#: The method :func:`transfer` and :func:`fit_map` use unless told otherwise.
DEFAULT_METHOD = "sliced-lut"

#: Colour samples drawn from each image to fit each method (pixels; a subsample when smaller).
DEFAULT_SAMPLES = {"sliced-lut": 40000, "grid": 65536, "mlp": 65536, "emd": 2000, "sinkhorn": 2000, "sliced": 20000,
                   "idt": 20000, "reinhard": 200_000}


#: Training iterations of the ``mlp`` method (a CPU-friendly budget; the map's own default is 6000).
MLP_DEFAULT_ITERS = 2000
#: GridIADBMap settings for colour transfer, chosen by the mean over 10 photo pairs
#: (``benchmarks/bench_color.py``). Minibatch-OT pairs (``coupling="ot"``) are what matter: with
#: independent pairs the field averages crossing paths, and the map both misses the palette (mean
#: sliced W2 7.7 against 3.3) and amplifies noise (speckle: total variation 2.1× the source's
#: against 1.3×). With OT pairs, 2**16 pairs do as well as 2**17 at half the fit time, σ = 1 cell
#: is as good as 0.5, and 16 steps lose accuracy (3.6).
GRID_COLOR_DEFAULTS = {"bins": 48, "bandwidth": 1.0, "n_steps": 32, "n_pairs": 1 << 16, "coupling": "ot"}
#: Padding of the grid's box around the colour samples (fraction of the extent per side).
GRID_BOX_PAD = 0.05
#: Spaces whose first axis is lightness (``luma_weight`` scales it).
LIGHTNESS_SPACES = ("lab", "oklab", "lalphabeta")
#: Default ``luma_weight`` of the grid method. Stretching the lightness axis makes the OT pairing
#: (and so the map) prefer keeping the order of lightness: any pairing still carries the source's
#: colours onto the palette's, but among such maps this one keeps the source's luminance structure
#: (mean gradient correlation 0.64 → 0.73 from weight 1 to 3 at the same sliced W2; 4 and 6 gave
#: no more).
GRID_LUMA_WEIGHT = 3.0


#: Settings of the ``sliced-lut`` method: ``n_iters`` frames of sliced OT on the samples, their
#: steps smoothed on a ``bins``³ grid (σ = ``field_bandwidth`` cells; ``bins=None``: exact
#: particle steps), then :func:`~iadb_graphics.color.lattice.fit_lut` with ``bandwidth`` (nodes)
#: and ``fit_iters`` passes. Chosen on the mean over 12 offline photo pairs
#: (``benchmarks/bench_color.py --tune``): smoothed steps match the palette closer and keep
#: gradients better than exact ones, and 5 lattice passes did as well as 16.
SLICED_LUT_DEFAULTS = {"n_iters": 30, "bins": 24, "field_bandwidth": 1.0, "bandwidth": 1.0, "fit_iters": 5}
#: Default ``luma_weight`` of the ``sliced-lut`` method (on the tuning pairs 5 kept the source's
#: luminance gradients better than 3 at the same palette match).
SLICED_LUT_LUMA_WEIGHT = 5.0
#: LUT size :func:`transfer` uses when not told: 65 for ``sliced-lut`` (its LUT is fitted to
#: the colours, and 65³ matched narrow palettes closer than 33³ on the tuning pairs), 33 for
#: the others (their LUT is baked from a map).
DEFAULT_LUT_SIZE = {"sliced-lut": 65}


def make_map(method: str, **options):
    """A fresh, unfitted map for ``method`` (``options`` go to its constructor)."""
    check_choice(method, "method", METHODS)
    if method == "sliced-lut":
        from .lattice import LUTMap

        return LUTMap(**options)
    if method == "reinhard":
        from .reinhard import ReinhardMap

        return ReinhardMap(**options)
    if method == "grid":
        from ..maps.grid import GridIADBMap

        return GridIADBMap(**{**GRID_COLOR_DEFAULTS, **options})
    if method == "mlp":
        from ..maps.iadb import IADBMap

        return IADBMap(**options)
    from .. import transport

    if method == "emd":
        return transport.EMDMap(**options)
    if method == "sinkhorn":
        return transport.SinkhornMap(**{"reg": 0.1, "max_iter": 500, "tol": 1e-5, **options})
    if method == "sliced":
        return transport.SlicedOTMap(**{"n_iters": 40, "n_dirs": 6, **options})
    return transport.SlicedOTMap(**{"n_iters": 10, "n_dirs": 3, **options})  # idt


class ColorMap:
    """A map fitted in a working colour space, seen as sRGB [0, 1]³ → sRGB [0, 1]³.

    ``transform(rgb)`` (or calling the object): ``rgb`` (n, 3) → (n, 3) float64, clipped to [0, 1].
    Working coordinates are the space's values divided by its range (CIELAB / 100), so maps see
    colours of order 1, with the lightness axis multiplied by ``luma_weight``.

    Attributes
    ----------
    inner : the fitted map in working coordinates. space, method : str. luma_weight : float.
    """

    def __init__(self, inner, space: str, method: str, luma_weight: float = 1.0):
        self.inner, self.space, self.method = inner, space, method
        self.luma_weight = float(luma_weight)
        self.scale = _working_scale(space, self.luma_weight)

    def to_working(self, rgb):
        """sRGB (n, 3) → working coordinates (n, 3)."""
        return convert(rgb, "rgb", self.space) / self.scale

    def from_working(self, z):
        """Working coordinates (n, 3) → sRGB (n, 3), clipped to [0, 1]."""
        return np.clip(convert(np.asarray(z) * self.scale, self.space, "rgb"), 0.0, 1.0)

    def transform(self, rgb):
        """Map sRGB colours (n, 3) in [0, 1] → (n, 3) in [0, 1]."""
        rgb = np.clip(as_points(rgb, "rgb", d=3), 0.0, 1.0)
        return self.from_working(self.inner.transform(self.to_working(rgb)))

    __call__ = transform

    def __repr__(self):
        return f"ColorMap(method={self.method!r}, space={self.space!r})"


def _working_scale(space, luma_weight):
    """Divisors (3,) from ``space`` values to working coordinates."""
    scale = np.full(3, float(SPACE_RANGE[space]))
    if space in LIGHTNESS_SPACES:
        scale[0] /= luma_weight
    return scale


def _colour_samples(obj, name, space, n, rng, scale):
    """Working-space colour samples (n', 3) of an image, a swatch list or a Density."""
    if isinstance(obj, Density):
        if obj.d != 3:
            raise ValueError(f"{name} is a density in d={obj.d}; a colour palette needs d=3")
        return obj.sample(n, rng=rng) / scale
    if isinstance(obj, str) or (isinstance(obj, (list, tuple)) and len(obj) > 0
                                and isinstance(obj[0], (str, list, tuple))):
        return swatches(obj, space=space).sample(n, rng=rng) / scale
    if not isinstance(obj, np.ndarray):
        raise TypeError(f"{name} must be an image array, a list of swatches or a Density, got {describe(obj)}")
    pal = palette(obj, space=space)
    pts = pal.points
    if pal.weights is not None or pts.shape[0] > n:
        pts = pal.sample(n, rng=rng) if pal.weights is not None else pts[rng.choice(pts.shape[0], n, replace=False)]
    return pts / scale


def _rgb_samples(image, n, rng, name="source"):
    """``n`` sRGB colours (n, 3) drawn from an image's pixels (alpha-weighted; with replacement
    only when the image has fewer usable pixels than ``n``)."""
    arr = check_image(image, name)
    flat = arr.reshape(arr.shape[0] * arr.shape[1], -1)
    if flat.shape[1] in (2, 4):
        alpha = flat[:, -1].astype(np.float64)
        if not np.any(alpha > 0):
            raise ValueError(f"{name} is fully transparent: its alpha channel is 0 everywhere")
        idx = rng.choice(flat.shape[0], n, p=alpha / alpha.sum())
    else:
        idx = rng.choice(flat.shape[0], n, replace=flat.shape[0] < n)
    rgb, _ = rgb_pixels(flat[idx][:, None, :], name)
    return rgb


def _fit_sliced_lut(source, palette_image, space, n, scale, rng, options):
    """The ``sliced-lut`` method (see the module notes): sliced OT on samples, LUT fitted to them."""
    from .lattice import sliced_particles

    known = set(SLICED_LUT_DEFAULTS) | {"size"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"unknown option(s) {unknown} for method 'sliced-lut'; expected some of {sorted(known)}")
    opts = {**SLICED_LUT_DEFAULTS, **options}
    n_iters = check_int(opts["n_iters"], "n_iters", minimum=0)
    xs = _rgb_samples(source, n, rng)
    if isinstance(palette_image, np.ndarray):  # draw pixels first, convert only those
        xt = convert(_rgb_samples(palette_image, n, rng, "palette_image"), "rgb", space) / scale
    else:
        xt = _colour_samples(palette_image, "palette_image", space, n, rng, scale)
    moved = sliced_particles(convert(xs, "rgb", space) / scale, xt, n_iters, bins=opts["bins"],
                             bandwidth=opts["field_bandwidth"], rng=rng)
    moved = np.clip(convert(moved * scale, space, "rgb"), 0.0, 1.0)
    inner = make_map("sliced-lut", size=opts.get("size", 33), bandwidth=opts["bandwidth"],
                     n_iters=opts["fit_iters"]).fit(xs, moved)
    return ColorMap(inner, "rgb", "sliced-lut")


def _padded_box(xs, xt, pad=GRID_BOX_PAD):
    """The box (3, 2) around both colour samples, padded by ``pad`` of its extent per side.

    The grid map is given this box explicitly: no sample lies on its faces, so the map treats none
    of them as a wall (colours at the edge of the data, e.g. black or white, stay free to move).
    """
    lo = np.minimum(xs.min(0), xt.min(0))
    hi = np.maximum(xs.max(0), xt.max(0))
    ext = np.maximum(hi - lo, 1e-3)
    return np.stack([lo - pad * ext, hi + pad * ext], axis=1)


def fit_map(source, palette_image, *, method: str = DEFAULT_METHOD, space: str = "lab", n_samples: int | None = None,
            luma_weight: float | None = None, rng=None, progress=None, **options) -> ColorMap:
    """Fit a colour map taking ``source``'s colours onto ``palette_image``'s.

    Parameters
    ----------
    source : ndarray (H, W[, C])
        Image (uint8, uint16 or float in [0, 1]; alpha-weighted).
    palette_image : ndarray (H, W[, C]), str, list or Density
        The target palette: an image, swatches (``"#264653,#e76f51"`` or a list of hex strings /
        RGB triples, see :func:`~iadb_graphics.color.palette.swatches`), or a 3D density in
        ``space`` (e.g. from :func:`~iadb_graphics.color.palette.palette`).
    method : str
        One of :data:`METHODS`.
    space : str
        Working colour space (:data:`~iadb_graphics.color.spaces.SPACES`).
    n_samples : int, optional
        Colours drawn from each side (default :data:`DEFAULT_SAMPLES` for the method).
    luma_weight : float, optional
        Factor on the lightness axis of the working coordinates (spaces in
        :data:`LIGHTNESS_SPACES`; ignored in the others). Larger values make transport maps keep
        the order of lightness. Default :data:`GRID_LUMA_WEIGHT` for ``grid``,
        :data:`SLICED_LUT_LUMA_WEIGHT` for ``sliced-lut``, 1 otherwise.
    rng : None | int | Generator
    **options
        Passed to the method's map constructor (e.g. ``bins=48`` for ``grid``); for
        ``sliced-lut``, the keys of :data:`SLICED_LUT_DEFAULTS` and ``size`` (LUT nodes per axis,
        default 33; :func:`transfer` passes its ``lut_size``); for ``mlp``,
        ``n_iters`` (default :data:`MLP_DEFAULT_ITERS`), ``batch_size`` and ``lr`` go to the ``IADBMap`` constructor.

    Returns
    -------
    ColorMap
        sRGB [0, 1]³ → sRGB [0, 1]³.
    """
    check_choice(method, "method", METHODS)
    check_choice(space, "space", SPACES)
    rng = as_generator(rng)
    n = check_int(DEFAULT_SAMPLES[method] if n_samples is None else n_samples, "n_samples", minimum=2)
    check_image(source, "source", min_size=2)
    if isinstance(palette_image, np.ndarray):
        check_image(palette_image, "palette_image", min_size=2)
    if method == "mlp":
        options.setdefault("n_iters", MLP_DEFAULT_ITERS)
    if luma_weight is None:
        luma_weight = {"grid": GRID_LUMA_WEIGHT, "sliced-lut": SLICED_LUT_LUMA_WEIGHT}.get(method, 1.0)
    luma_weight = check_float(luma_weight, "luma_weight", minimum=0.0, strict_min=True)
    scale = _working_scale(space, luma_weight)
    if method == "sliced-lut":
        return _fit_sliced_lut(source, palette_image, space, n, scale, rng, options)
    xs = _colour_samples(source, "source", space, n, rng, scale)
    xt = _colour_samples(palette_image, "palette_image", space, n, rng, scale)
    if method == "grid" and options.get("box") is None:
        options["box"] = _padded_box(xs, xt)
    inner = make_map(method, **options)
    inner.fit(xs, xt, rng=rng, progress=progress)
    return ColorMap(inner, space, method, luma_weight)


def grade_lut(source, palette_image, *, method: str = DEFAULT_METHOD, space: str = "lab",
              lut_size: int | None = None, strength: float = 1.0, n_samples: int | None = None, rng=None,
              progress=None, **options) -> np.ndarray:
    """One colour grade as a 3D LUT: ``fit_map`` → ``bake_lut`` → ``blend_lut``.

    Parameters as in :func:`transfer`; ``source`` may be any image (or stack of pixels) whose
    colours the map is fitted on. Returns the LUT ``(s, s, s, 3)`` that :func:`transfer`,
    batch and video grading and the command line apply (``strength`` already blended in).
    """
    strength = check_float(strength, "strength", minimum=0.0, maximum=1.0)
    check_choice(method, "method", METHODS)
    lut_size = check_int(DEFAULT_LUT_SIZE.get(method, 33) if lut_size is None else lut_size, "lut_size",
                         minimum=2, maximum=256)
    if method == "sliced-lut":  # the LUT is fitted at the size it is baked at
        options.setdefault("size", lut_size)
    cmap = fit_map(source, palette_image, method=method, space=space, n_samples=n_samples, rng=rng,
                   progress=progress, **options)
    if method == "sliced-lut" and cmap.inner.size == lut_size:
        lut = cmap.inner.lut_.copy()  # the fitted LUT is the map: its nodes are what baking would evaluate
    else:
        lut = bake_lut(cmap, lut_size, progress=progress)
    return blend_lut(lut, strength) if strength != 1.0 else lut


def transfer(source, palette_image, *, method: str = DEFAULT_METHOD, space: str = "lab", lut_size: int | None = None,
             strength: float = 1.0, regrain: bool = False, n_samples: int | None = None, rng=None,
             progress=None, **options) -> np.ndarray:
    """Recolour ``source`` with ``palette_image``'s palette (``fit_map`` → ``bake_lut`` → ``apply_lut``).

    Parameters
    ----------
    source : ndarray (H, W[, C])
        uint8, uint16 or float in [0, 1]; grayscale and alpha are handled as in
        :func:`~iadb_graphics.color.lut.apply_lut`.
    palette_image, method, space, n_samples, rng, options
        As in :func:`fit_map`.
    lut_size : int, optional
        Nodes per axis of the LUT (default :data:`DEFAULT_LUT_SIZE` for the method, else 33).
    strength : float in [0, 1]
        Blend of the LUT towards the identity; 0 returns an exact copy of ``source``.
    regrain : bool
        Keep the source's fine detail (:func:`~iadb_graphics.color.regrain.regrain`, luma mode).
        Off by default, so that ``transfer`` equals applying the baked LUT (what ``.cube`` files
        and ``apply-lut`` reproduce). It trades some palette match for gradient fidelity.

    Returns
    -------
    ndarray
        Same shape and dtype as ``source``.

    Examples
    --------
    >>> import numpy as np
    >>> from iadb_graphics.color import transfer
    >>> rng = np.random.default_rng(0)
    >>> photo = (rng.random((32, 48, 3)) * 255).astype(np.uint8)
    >>> out = transfer(photo, "#264653,#2a9d8f,#e9c46a", rng=0)     # swatches as the palette
    >>> out.shape, out.dtype
    ((32, 48, 3), dtype('uint8'))
    """
    img = check_image(source, "source", min_size=2)
    if check_float(strength, "strength", minimum=0.0, maximum=1.0) == 0.0:
        return img.copy()
    lut = grade_lut(img, palette_image, method=method, space=space, lut_size=lut_size, strength=strength,
                    n_samples=n_samples, rng=rng, progress=progress, **options)
    out = apply_lut(img, lut)
    return _regrain(img, out) if regrain else out
