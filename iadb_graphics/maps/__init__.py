"""Maps p0 → p1 with the ``fit / transform / inverse_transform`` protocol."""
