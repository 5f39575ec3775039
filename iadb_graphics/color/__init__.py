"""Colour: spaces, palettes, colour transfer, 3D LUTs and LUT files.

Submodules: :mod:`.spaces` (conversions), :mod:`.image` (image plumbing), :mod:`.palette`
(palettes as densities), :mod:`.lut` (bake / apply), :mod:`.cube` (.cube and Hald files),
:mod:`.reinhard`, :mod:`.regrain`, :mod:`.transfer`.
"""
from .cube import CubeFileError, read_cube, read_hald, write_cube, write_hald
from .lut import apply_lut, bake_lut, blend_lut, identity_lut
from .palette import palette, swatches
from .regrain import regrain
from .reinhard import ReinhardMap
from .spaces import SPACES, convert
from .transfer import METHODS, ColorMap, fit_map, transfer

__all__ = ["CubeFileError", "read_cube", "read_hald", "write_cube", "write_hald", "apply_lut", "bake_lut",
           "blend_lut", "identity_lut", "palette", "swatches", "regrain", "ReinhardMap", "SPACES", "convert",
           "METHODS", "ColorMap", "fit_map", "transfer"]
