"""The equal-mass kd-tree warp: dyadic boxes of the unit square onto boxes of equal image mass.

References
----------
Pharr, Jakob & Humphreys, *Physically Based Rendering*, 4th ed., §A.5 (PiecewiseConstant2D, the
inverse CDF used inside the leaves).
Owen, "Scrambling Sobol' and Niederreiter–Xing points", J. Complexity 1998 (elementary intervals
of (0, m, 2)-nets).
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_int
from .image import ExactImageWarp

__all__ = ["EqualMassKDWarp"]


def default_depth(n_pixels):
    """Tree depth used when ``depth=None``: about 64 pixels per leaf, within [12, 16] (4096 to
    65536 leaves; a small tree stays in cache, which is most of the sampling speed)."""
    return int(min(16, max(12, np.ceil(np.log2(max(n_pixels, 1))) - 6)))


class EqualMassKDWarp(ExactImageWarp):
    r"""Exact warp of the unit square onto an image density through a tree of equal-mass boxes.

    The image's domain is cut recursively at the **mass median** of each box, along one axis per
    node, and the unit square is cut in halves along the matching axis. So every node at depth
    ``m`` holds exactly :math:`2^{-m}` of the image's mass and its preimage is an elementary
    dyadic box of area :math:`2^{-m}`: a (0, m, 2)-net (Owen-scrambled Sobol with
    :math:`N = 2^m`) puts exactly one point in each of :math:`N` compact regions of equal mass.
    Below the leaves (depth ``depth``) the remaining coordinates go through the inverse CDF of
    the image restricted to the leaf's box (rows, then the row's conditional). The prefix mass of
    a piecewise-constant image is bilinear in every pixel, so the medians are exact; the pdf is
    the image density itself and the inverse is exact.

    Parameters
    ----------
    depth : int or None
        Levels of the tree (1 … 26). None: :func:`default_depth` of the pixel count (about 64
        pixels per leaf, within [12, 16]). Memory: about ``41 * 2**depth`` bytes. Point sets of up
        to ``2**depth`` points are stratified by the tree; below, by the leaves' inverse CDF.
    axis_rule : {"square", "longest", "alternate", "mass-square", "mass-longest"}
        Which axis a node cuts. ``"square"``: the one its unit-square box has been cut along fewer
        times (square preimages, x first), unless the node's box is more than twice as long as it
        is wide (in domain units), in which case its long side; ``"longest"``: always the box's
        longer side; ``"alternate"``: x and y by turns. ``"mass-square"`` and ``"mass-longest"``:
        as ``"square"`` and ``"longest"``, with the box's sides measured by the interquartile
        ranges of its mass along x and y (where the mass lies, not the box). Applies below the
        block layout.
    block_levels : int
        Levels of the block layout at the top of the tree (0 … depth / 2): the first
        ``block_levels`` levels cut x, the next ``block_levels`` cut y, so the image is first cut
        into ``2**block_levels`` equal-mass columns spanning its height, each of them into
        ``2**block_levels`` equal-mass rows. Neighbouring columns then split their rows at nearby
        heights wherever the image is smooth, so the warp's jumps across the top-level cut lines
        of the unit square are short. 0: no block layout.

    Examples
    --------
    >>> import numpy as np
    >>> from iadb_graphics.warps import EqualMassKDWarp
    >>> w = EqualMassKDWarp().fit(None, np.array([[1.0, 3.0], [0.0, 4.0]]))
    >>> u = np.array([[0.25, 0.75]])
    >>> y, log_det = w.transform(u, return_log_det=True)
    >>> bool(np.allclose(w.pdf(y), np.exp(-log_det))), bool(np.allclose(w.inverse_transform(y), u))
    (True, True)
    """

    def __init__(self, *, depth=None, axis_rule="square", block_levels=0):
        if depth is not None:
            depth = check_int(depth, "depth", minimum=1, maximum=26)
        check_choice(axis_rule, "axis_rule", ("square", "longest", "alternate", "mass-square", "mass-longest"))
        block_levels = check_int(block_levels, "block_levels", minimum=0, maximum=13)
        if depth is not None and 2 * block_levels > depth:
            raise ValueError(f"block_levels={block_levels} needs depth >= {2 * block_levels}; got depth={depth}")
        self.depth = depth
        self.axis_rule = axis_rule
        self.block_levels = block_levels

    def _build(self, density):
        from .._kernels.kdtree import AXIS_RULES, build_tree, leaf_row_cdfs, leaf_row_starts

        mass = np.ascontiguousarray(density.mass[::-1], dtype=float)  # row 0 = bottom
        h, w = mass.shape
        self.depth_ = self.depth if self.depth is not None else max(default_depth(h * w), 2 * self.block_levels)
        S = np.zeros((h + 1, w + 1))
        S[1:, 1:] = np.cumsum(np.cumsum(mass, axis=0), axis=1)
        R = np.full((h, w + 1, 2), -np.inf)  # row prefix sums, and each pixel's log-density beside them
        R[:, 0, 0] = 0.0
        R[:, 1:, 0] = np.cumsum(mass, axis=1)
        with np.errstate(divide="ignore"):
            R[:, :w, 1] = np.log(mass / (density.cell[0] * density.cell[1]))
        n = 1 << self.depth_
        self.axis_ = np.zeros(n, dtype=np.uint8)
        self.split_ = np.zeros(n)
        self.leaf_box_ = np.zeros((n, 4))
        build_tree(S, self.depth_, AXIS_RULES[self.axis_rule], self.block_levels, float(density.cell[0]),
                   float(density.cell[1]), self.axis_, self.split_, self.leaf_box_)
        self._row_start = leaf_row_starts(R, self.leaf_box_)
        self._row_cdf = np.zeros(self._row_start[-1])
        leaf_row_cdfs(R, self.leaf_box_, self._row_start, self._row_cdf)
        self._S = S
        self._R = R
        self._mass = mass

    def _forward(self, u, need_log_det):
        """The tree descent and the leaf's inverse CDF (Numba, parallel); the log-det comes along."""
        from .._kernels.kdtree import kdtree_warp

        return self._fused_warp(kdtree_warp, u, self.axis_, self.leaf_box_, self._R, self._row_start, self._row_cdf,
                                self.depth_)

    def _inverse(self, y):
        """Exact inverse: ``y`` (n, 2) in pixels of positive mass → ``u`` (n, 2) in [0, 1]²."""
        from .._kernels.kdtree import kdtree_inverse

        g, _, restore = self._pixel_coordinates(y)
        u = np.empty_like(g)
        size = np.array([self.density_.width, self.density_.height])
        kdtree_inverse(self.axis_, self.split_, self.leaf_box_, self._R, self._row_start, self._row_cdf, self.depth_,
                       np.ascontiguousarray(np.clip(g, 0, size)), u)
        return restore(u)

    def __repr__(self):
        if not self.is_fitted:
            return (f"EqualMassKDWarp(depth={self.depth}, axis_rule={self.axis_rule!r}, "
                    f"block_levels={self.block_levels}, not fitted)")
        return (f"EqualMassKDWarp({self.density_.width}x{self.density_.height} image, depth {self.depth_}, "
                f"axis_rule={self.axis_rule!r}, block_levels={self.block_levels})")
