r"""A Mitsuba 3 environment emitter that samples its sky with this package's samplers.

:func:`register` adds the plugin ``"iadb_envmap"`` to Mitsuba (``scalar_rgb`` and the other
scalar variants). It takes the same parameters as Mitsuba's own ``envmap`` (``filename`` or
``bitmap``, ``scale``, ``to_world``) plus ``sampling`` and that sampling's options. Its radiance is
Mitsuba's ``envmap`` radiance, evaluated by an inner ``envmap`` instance, so the two emitters
differ only in how they sample directions. Mitsuba's ``envmap`` interpolates the texels
bilinearly between nodes at φ = 2π(c + ½)/W and θ = πr/(H − 1), and samples lum · sin θ at those
nodes with a bilinear ``Hierarchical2D`` warp. ``iadb_envmap`` offers:

- ``sampling="cosine-product"`` (default): :class:`~iadb_graphics.envmap_product.CosineProductSampler`
  on the same bilinear density, times a per-cell clamped cosine for the normal ``it.n`` of the
  shading point (binned on an octahedral grid), with a defensive share ε of the plain density.
  The sampled luminance is compensated for multiple importance sampling: the map's mean luminance
  times ``compensation`` (default 1) is subtracted, down to ``compensation_floor`` (default 0.03) of the
  luminance, so that the emitter's samples go to the bright lights and the dim sky is left mostly to
  BSDF sampling (set ``compensation`` to 0 for an integrator that does not combine the two by MIS).
  Options: ``normal_res`` (default 16: 256 normal bins), ``epsilon`` (default 0.1),
  ``coarse_rows`` × ``coarse_cols`` (default: at most 32 × 64 cells carry the cosine factor). Without a
  surface normal (a medium, light tracing) the density is exactly ``envmap``'s. One direction is a
  few microseconds of pure Python (no numpy per call).
- ``sampling="warp"``: ``method`` (a warp of :func:`~iadb_graphics.warps.make_warp`; default: the
  package's default warp), ``supersample`` (default: :func:`default_supersample`) and ``seed``.
  Every cell of the node lattice is split into ``supersample``² sub-cells, each given the mean of
  the bilinear radiance over it, and those are sampled through
  :class:`~iadb_graphics.envmap.EnvMapDensity` (one numpy call per direction).

Either way ``pdf_direction`` is the exact solid-angle density of the directions ``sample_direction``
returns (for the same shading point), as multiple importance sampling needs.

Mitsuba 3 does not call ``set_scene`` on emitters written in Python: call :func:`prepare_scene`
on the loaded scene so that the emitter knows the scene's bounding sphere (as ``envmap`` does).

Mitsuba is imported only by :func:`register` and :func:`lattice_luminance` does not need it,
so ``import iadb_graphics`` never imports Mitsuba.

Examples
--------
>>> import mitsuba as mi                                    # doctest: +SKIP
>>> mi.set_variant("scalar_rgb")                            # doctest: +SKIP
>>> from iadb_graphics.mitsuba_emitter import prepare_scene, register
>>> register()                                              # doctest: +SKIP
>>> sky = {"type": "iadb_envmap", "filename": "sky.exr"}
>>> scene = prepare_scene(mi.load_dict({..., "sky": sky}))  # doctest: +SKIP
"""
from __future__ import annotations

import math
import threading

import numpy as np

from ._validation import check_int
from .envmap_product import (DEFAULT_COARSE_SHAPE, DEFAULT_COMPENSATION, DEFAULT_COMPENSATION_FLOOR, DEFAULT_EPSILON,
                             DEFAULT_NORMAL_RES)

__all__ = ["register", "prepare_scene", "lattice_luminance", "default_supersample", "PLUGIN_NAME",
           "MAX_LATTICE_CELLS", "DEFAULT_RADIUS"]

PLUGIN_NAME = "iadb_envmap"
SAMPLINGS = ("cosine-product", "warp")
DEFAULT_SAMPLING = "cosine-product"
MAX_LATTICE_CELLS = 1 << 22
DEFAULT_RADIUS = 1.0e6  # the scene's bounding radius assumed before prepare_scene()


def default_supersample(height, width, max_cells=MAX_LATTICE_CELLS, max_factor=8):
    """The largest s <= ``max_factor`` whose ((H − 1)·s) × (W·s) lattice has at most ``max_cells`` cells (>= 1).

    A piecewise-constant density with s² sub-cells per lattice cell follows the bilinear radiance
    more closely as s grows (the relative variance of radiance / pdf over a cell falls like 1/s²);
    the cell budget bounds memory and build time for large maps.
    """
    height = check_int(height, "height", minimum=2)
    width = check_int(width, "width", minimum=1)
    s = int(np.floor(np.sqrt(max_cells / ((height - 1) * width))))
    return int(np.clip(s, 1, max_factor))


def lattice_luminance(luminance, supersample=1):
    """Mean of Mitsuba's bilinear ``envmap`` radiance over the sub-cells of its node lattice.

    ``luminance`` (H, W) holds the node values (node (r, c) at θ = πr/(H − 1), φ = 2π(c + ½)/W,
    periodic in φ). Returns ((H − 1)·s, W·s) values, row 0 at θ = 0 and column 0 starting at
    φ = π/W; each is the bilinear interpolant at the sub-cell centre, which is its exact mean
    over the sub-cell (area measure in (φ, θ)).
    """
    lum = np.asarray(luminance, dtype=float)
    if lum.ndim != 2 or lum.shape[0] < 2 or lum.shape[1] < 1:
        raise ValueError(f"luminance must have shape (H, W) with H >= 2, got shape {lum.shape}")
    s = check_int(supersample, "supersample", minimum=1)
    f = (np.arange(s) + 0.5) / s  # sub-cell centres inside a lattice cell
    top, bottom = lum[:-1], lum[1:]
    rows = top[:, None, :] * (1.0 - f)[None, :, None] + bottom[:, None, :] * f[None, :, None]
    rows = rows.reshape(-1, lum.shape[1])  # ((H-1)s, W)
    left, right = rows, np.roll(rows, -1, axis=1)
    out = left[:, :, None] * (1.0 - f)[None, None, :] + right[:, :, None] * f[None, None, :]
    return out.reshape(rows.shape[0], -1)


def _emitter_class(mi):
    import drjit as dr
    import numba

    def one_thread():
        # one direction per call: Mitsuba already runs one render thread per core, and launching
        # Numba's parallel kernels for a single point costs far more than the point itself
        if numba.get_num_threads() != 1:
            numba.set_num_threads(1)

    from .envmap import EnvMapDensity
    from .envmap_product import CosineProductSampler

    class IADBEnvironmentEmitter(mi.Emitter):
        """Mitsuba's ``envmap`` radiance, sampled with an :class:`EnvMapDensity` warp."""

        def __init__(self, props):
            mi.Emitter.__init__(self, props)
            if ("bitmap" in props) == ("filename" in props):
                raise ValueError(f"{PLUGIN_NAME} needs exactly one of 'filename' and 'bitmap'")
            source = props["bitmap"] if "bitmap" in props else mi.Bitmap(props["filename"])
            if not isinstance(source, mi.Bitmap):
                raise TypeError(f"{PLUGIN_NAME}: 'bitmap' must be a mitsuba Bitmap, got {type(source).__name__}")
            scale = float(props.get("scale", 1.0))
            self.to_world_ = props.get("to_world", mi.ScalarTransform4f())
            self.method = props.get("method", None)
            supersample = props.get("supersample", 0)
            seed = int(props.get("seed", 0))
            self.inner = mi.load_dict({"type": "envmap", "bitmap": source, "scale": scale,
                                       "to_world": self.to_world_})
            rgb = np.asarray(source.convert(mi.Bitmap.PixelFormat.RGB, mi.Struct.Type.Float32, False))
            lum = rgb.reshape(rgb.shape[0], rgb.shape[1], -1) @ np.array([0.212671, 0.715160, 0.072169])
            if rgb.shape[0] < 2:
                raise ValueError(f"{PLUGIN_NAME}: the map needs at least 2 rows, got {rgb.shape[0]}")
            w = rgb.shape[1]
            lum = np.maximum(lum, 0.0)
            self.sampling = str(props.get("sampling", DEFAULT_SAMPLING))
            if self.sampling not in SAMPLINGS:
                raise ValueError(f"{PLUGIN_NAME}: sampling must be one of {SAMPLINGS}, got {self.sampling!r}")
            if self.sampling == "cosine-product":
                if self.method is not None:
                    raise ValueError(f"{PLUGIN_NAME}: 'method' (a warp) applies to sampling='warp', not "
                                     f"{self.sampling!r}")
                coarse = (int(props.get("coarse_rows", DEFAULT_COARSE_SHAPE[0])),
                          int(props.get("coarse_cols", DEFAULT_COARSE_SHAPE[1])))
                self.supersample = None
                self.sampler = CosineProductSampler(
                    lum, interpolation="bilinear", phi_offset=0.5 / w, coarse_shape=coarse,
                    normal_res=int(props.get("normal_res", DEFAULT_NORMAL_RES)),
                    epsilon=float(props.get("epsilon", DEFAULT_EPSILON)),
                    compensation=float(props.get("compensation", DEFAULT_COMPENSATION)),
                    compensation_floor=float(props.get("compensation_floor", DEFAULT_COMPENSATION_FLOOR)))
                self.density = None
            else:
                self.sampler = None
                self.supersample = int(supersample) if supersample else default_supersample(rgb.shape[0], w)
                self.density = EnvMapDensity(lattice_luminance(lum, self.supersample), method=self.method,
                                             phi_offset=0.5 / w, rng=seed)
            linear = np.array(self.to_world_.matrix, dtype=float)[:3, :3]
            self._to_world3 = None if np.allclose(linear, np.eye(3), rtol=0, atol=1e-12) else linear
            self._to_local3 = None if self._to_world3 is None else np.linalg.inv(linear)
            self._normal_to_local3 = None if self._to_world3 is None else linear.T  # normals: inverse transpose
            self.m_flags = mi.EmitterFlags.Infinite | mi.EmitterFlags.SpatiallyVarying
            # Mitsuba does not call a Python emitter's set_scene: until prepare_scene() does, assume a
            # scene of radius DEFAULT_RADIUS (shadow rays must reach past every occluder)
            self.bsphere_ = mi.BoundingSphere3f(mi.ScalarPoint3f(0.0), DEFAULT_RADIUS)
            # one interaction per render thread for the radiance lookups: Mitsuba calls the emitter
            # from several threads, and a shared object could be changed between setting wi and eval
            self._per_thread = threading.local()

        def set_scene(self, scene):
            bbox = scene.bbox()
            if bbox.valid():
                sphere = bbox.bounding_sphere()
                eps = float(mi.math.RayEpsilon)
                self.bsphere_ = mi.BoundingSphere3f(sphere.center, max(eps, sphere.radius * (1.0 + eps)))
            else:
                self.bsphere_ = mi.BoundingSphere3f(mi.ScalarPoint3f(0.0), float(mi.math.RayEpsilon))
            self.inner.set_scene(scene)

        def _radiance(self, d_world, wavelengths=None):
            si = getattr(self._per_thread, "si", None)
            if si is None:
                si = self._per_thread.si = mi.SurfaceInteraction3f()
            si.wi = -d_world
            if wavelengths is not None:
                si.wavelengths = wavelengths
            return self.inner.eval(si)

        def _local(self, v, m=False):
            """World vector → the map's frame (``m``: the 3 × 3 matrix; False: the directions' one)."""
            x, y, z = v
            m = self._to_local3 if m is False else m
            if m is None:
                return x, y, z
            return (m[0, 0] * x + m[0, 1] * y + m[0, 2] * z, m[1, 0] * x + m[1, 1] * y + m[1, 2] * z,
                    m[2, 0] * x + m[2, 1] * y + m[2, 2] * z)

        def _world(self, x, y, z):
            m = self._to_world3
            if m is not None:
                x, y, z = (m[0, 0] * x + m[0, 1] * y + m[0, 2] * z, m[1, 0] * x + m[1, 1] * y + m[1, 2] * z,
                           m[2, 0] * x + m[2, 1] * y + m[2, 2] * z)
            inv = 1.0 / math.sqrt(x * x + y * y + z * z)
            return mi.Vector3f(x * inv, y * inv, z * inv)

        def _sample(self, sample, normal=(0.0, 0.0, 0.0)):
            """A world direction and its pdf; ``normal`` (world) selects the cosine-product table."""
            if self.sampler is not None:
                x, y, z, pdf = self.sampler.sample_one(sample[0], sample[1],
                                                       *self._local(normal, self._normal_to_local3))
                return self._world(x, y, z), pdf
            one_thread()
            d_local, pdf = self.density.transform(np.array([[sample[0], sample[1]]], dtype=float))
            return self._world(*d_local[0].tolist()), float(pdf[0])

        def eval(self, si, active=True):
            return self.inner.eval(si, active)

        def sample_direction(self, it, sample, active=True):
            d, pdf = self._sample(sample, it.n)
            ds = mi.DirectionSample3f()
            if not (pdf > 0.0 and math.isfinite(pdf)):
                return ds, mi.Spectrum(0.0)
            radius = max(self.bsphere_.radius, float(dr.norm(it.p - self.bsphere_.center)))
            dist = 2.0 * radius
            ds.p = it.p + d * dist
            ds.n = -d
            ds.time = it.time
            ds.pdf = pdf
            ds.delta = False
            ds.emitter = self
            ds.d = d
            ds.dist = dist
            return ds, self._radiance(d, it.wavelengths) / pdf

        def pdf_direction(self, it, ds, active=True):
            if self.sampler is not None:
                return self.sampler.pdf_one(*self._local(ds.d), *self._local(it.n, self._normal_to_local3))
            one_thread()
            return float(self.density.pdf(np.array([self._local(ds.d)], dtype=float))[0])

        def eval_direction(self, it, ds, active=True):
            return self._radiance(ds.d, it.wavelengths)

        def sample_ray(self, time, wavelength_sample, sample2, sample3, active=True):
            offset = mi.warp.square_to_uniform_disk_concentric(sample2)
            d, pdf = self._sample(sample3)
            if not (pdf > 0.0 and math.isfinite(pdf)):
                return mi.Ray3f(), mi.Spectrum(0.0)
            perpendicular = mi.Frame3f(-d).to_world(mi.Vector3f(offset.x, offset.y, 0.0))
            origin = self.bsphere_.center + (perpendicular + d) * self.bsphere_.radius
            ray = mi.Ray3f(origin, -d)
            ray.time = time
            weight = self._radiance(d) * (np.pi * self.bsphere_.radius ** 2 / pdf)
            return ray, weight

        def sample_wavelengths(self, si, sample, active=True):
            return self.inner.sample_wavelengths(si, sample, active)

        def sample_position(self, time, sample, active=True):
            raise NotImplementedError(f"{PLUGIN_NAME} has no position to sample (an infinite emitter)")

        def bbox(self):
            return mi.BoundingBox3f()

        def traverse(self, callback):
            self.inner.traverse(callback)

        def to_string(self):
            how = (f"sampling='cosine-product', normal_res={self.sampler.normal_res}, epsilon={self.sampler.epsilon}, "
                   f"compensation={self.sampler.compensation}, compensation_floor={self.sampler.compensation_floor}, "
                   f"coarse={self.sampler.coarse_shape}" if self.sampler is not None
                   else f"sampling='warp', method={self.density.method!r}, supersample={self.supersample}")
            return f"IADBEnvironmentEmitter[{how}]"

    return IADBEnvironmentEmitter


def prepare_scene(scene):
    """Give every ``iadb_envmap`` emitter of a loaded Mitsuba ``scene`` the scene's bounding sphere.

    Mitsuba 3 does not forward ``set_scene`` to emitters written in Python, so call this once after
    ``mi.load_dict``/``mi.load_file``. Without it the emitter assumes a scene radius of
    :data:`DEFAULT_RADIUS`: directions and shadow rays stay correct for any scene inside that
    radius, but ``sample_ray`` (light tracing) starts its rays on that large sphere, which is
    correct on average yet very noisy. Returns ``scene``.
    """
    for emitter in scene.emitters():
        if hasattr(emitter, "bsphere_") and callable(getattr(emitter, "set_scene", None)):
            emitter.set_scene(scene)
    return scene


def register():
    """Register the ``"iadb_envmap"`` emitter with Mitsuba for the current (scalar) variant.

    Call after ``mitsuba.set_variant`` (a scalar variant such as ``"scalar_rgb"``: the plugin
    calls numpy once per sample). Returns the emitter class.

    Raises
    ------
    ImportError
        If Mitsuba is not installed.
    ValueError
        If no variant is set or it is not a scalar one.
    """
    try:
        import mitsuba as mi
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the iadb_envmap emitter needs Mitsuba 3 (pip install mitsuba)") from exc
    variant = mi.variant()
    if variant is None or not str(variant).startswith("scalar_"):
        raise ValueError(f"register() needs a scalar Mitsuba variant set first (e.g. mi.set_variant('scalar_rgb')), "
                         f"got {variant!r}")
    cls = _emitter_class(mi)
    mi.register_emitter(PLUGIN_NAME, lambda props: cls(props))
    return cls
