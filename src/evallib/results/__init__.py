"""The results store: the chapter cache and the results JSON files (minimal version; the
integrator keeps the full package)."""
