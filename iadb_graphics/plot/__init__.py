"""matplotlib figures, imported on demand (only the CLI and the examples import this package)."""
