"""evallib: evaluation of Flemish labour-market activation pilots."""

__version__ = "0.1.0"
