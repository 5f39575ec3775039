"""Temporal stability of a graded clip: the literal flicker ratio and the grade-independent instability."""
import numpy as np
import pytest
from scipy import ndimage

from iadb_graphics.color import apply_lut, identity_lut, transfer
from iadb_graphics.color.video import Stability, StabilityMeter, temporal_stability


def _panning_clip(n=10, h=40, w=56, seed=0):
    """uint8 frames: a smooth random colour texture panning by one pixel per frame, with noise."""
    rng = np.random.default_rng(seed)
    tex = ndimage.gaussian_filter(rng.random((h + n, w + 2 * n, 3)), (3, 3, 0))
    tex = (tex - tex.min((0, 1))) / np.ptp(tex, axis=(0, 1)) * 0.7 + 0.15
    frames = []
    for t in range(n):
        f = tex[t:t + h, 2 * t:2 * t + w] + 0.01 * rng.standard_normal((h, w, 3))
        frames.append(np.floor(np.clip(f, 0, 1) * 255 + 0.5).astype(np.uint8))
    return frames


def _s_curve_lut(size=33, strength=0.9):
    """A fixed, contrast-raising, non-linear grade (an S-curve per channel plus a tint)."""
    x = identity_lut(size)
    s = x + strength * np.sin(2 * np.pi * x) * -0.15
    return np.clip(s * [1.0, 0.9, 1.1] + [0.02, 0.0, -0.03], 0, 1)


def _to_u8(img):
    return np.floor(np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def test_a_fixed_grade_scores_one_whatever_its_contrast():
    frames = _panning_clip()
    graded = [apply_lut(f, _s_curve_lut()) for f in frames]
    st = temporal_stability(frames, graded)
    assert st.flicker > 1.15  # the literal ratio counts the grade's contrast gain as flicker
    assert 1.0 <= st.instability < 1.01  # ... the instability does not
    assert st.unexplained_change < 0.02 * st.explained_change
    # a 65³ LUT of a jagged grade is still one fixed function of the colour
    lut = np.clip(identity_lut(65) + 0.04 * np.random.default_rng(1).standard_normal((65, 65, 65, 3)), 0, 1)
    lut = ndimage.gaussian_filter(lut, (1, 1, 1, 0))
    assert temporal_stability(frames, [apply_lut(f, lut) for f in frames]).instability < 1.01
    ident = temporal_stability(frames, frames)
    assert ident.flicker == pytest.approx(1.0) and ident.instability == pytest.approx(1.0, abs=1e-3)


def test_a_pumping_gain_is_caught():
    """A per-frame random exposure gain (±5 %) over a fixed grade: the instability rises well above
    the fixed grade's (whose literal ratio is already far above 1, from its contrast alone)."""
    frames = _panning_clip()
    lut = _s_curve_lut()
    fixed = [apply_lut(f, lut) for f in frames]
    gains = 1.0 + 0.05 * np.random.default_rng(2).standard_normal(len(frames))
    pumped = [_to_u8(o / 255.0 * g) for o, g in zip(fixed, gains)]
    a, b = temporal_stability(frames, fixed), temporal_stability(frames, pumped)
    assert a.instability < 1.01 and a.flicker > 1.15
    assert b.instability > a.instability + 0.1


def test_a_transfer_refitted_per_frame_scores_above_one_fitted_grade(rng):
    """IDT refitted on each frame changes its map with the content: higher instability than the
    same transfer fitted once for the clip (which is a fixed LUT)."""
    frames = _panning_clip(n=8)
    pal = _to_u8(np.stack([0.8 * rng.random((30, 30)) ** 2, 0.3 + 0.4 * rng.random((30, 30)),
                           0.5 * rng.random((30, 30))], -1))
    per_frame = [transfer(f, pal, method="idt", rng=t) for t, f in enumerate(frames)]
    once = transfer(np.concatenate(frames, 0), pal, method="idt", rng=0)
    once = np.split(once, len(frames), axis=0)
    varying, fixed = temporal_stability(frames, per_frame), temporal_stability(frames, once)
    assert fixed.instability < 1.01
    assert varying.instability > fixed.instability + 0.05


def test_stability_edge_cases():
    frames = _panning_clip(n=4)
    still = [frames[0]] * 4
    assert np.isnan(temporal_stability(still, still).instability)
    assert np.isnan(temporal_stability(still, still).flicker)
    flashing = [_to_u8(frames[0] / 255.0 * g) for g in (1.0, 0.8, 1.0, 0.8)]
    assert temporal_stability(still, flashing).instability == np.inf
    assert Stability(0.1, 0.1, 0.1, 0.0).instability == 1.0
    with pytest.raises(ValueError, match="as many frames"):
        temporal_stability(frames, frames[:3])
    with pytest.raises(TypeError, match="uint8"):
        temporal_stability(frames, [f / 255.0 for f in frames])
    with pytest.raises(ValueError, match="one shape"):
        temporal_stability(frames, [f[:, :-1] for f in frames])
    meter = StabilityMeter()
    meter.add(frames[0], frames[0])
    with pytest.raises(ValueError, match="at least 2 frames"):
        meter.result()
    with pytest.raises(ValueError, match="clip of shape"):
        meter.add(frames[1][:-1], frames[1][:-1])
    # long clips follow fewer pixels per frame
    assert StabilityMeter(n_frames=100_000).n_pixels == 256 and StabilityMeter(n_frames=10).n_pixels == 4096
