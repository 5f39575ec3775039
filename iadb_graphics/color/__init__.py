"""Colour: spaces, palettes, colour transfer, 3D LUTs and LUT files.

Submodules: :mod:`.spaces` (conversions), :mod:`.image` (image plumbing), :mod:`.palette`
(palettes as densities), :mod:`.lut` (bake / apply), :mod:`.cube` (.cube and Hald files),
:mod:`.lattice` (sliced OT on samples, LUTs fitted to colour pairs), :mod:`.reinhard`,
:mod:`.regrain`, :mod:`.transfer`, :mod:`.video` (one grade over a clip; needs imageio-ffmpeg).
"""
from .cube import CubeFileError, read_cube, read_hald, write_cube, write_hald
from .lattice import fit_lut
from .lut import INTERPOLATIONS, apply_lut, bake_lut, blend_lut, identity_lut
from .palette import palette, swatches
from .regrain import regrain
from .reinhard import ReinhardMap
from .spaces import SPACES, convert
from .transfer import DEFAULT_METHOD, METHODS, ColorMap, fit_map, grade_lut, transfer

__all__ = ["CubeFileError", "read_cube", "read_hald", "write_cube", "write_hald", "apply_lut", "bake_lut",
           "blend_lut", "identity_lut", "INTERPOLATIONS", "fit_lut", "palette", "swatches", "regrain", "ReinhardMap",
           "SPACES", "convert", "DEFAULT_METHOD", "METHODS", "ColorMap", "fit_map", "grade_lut", "transfer"]
