"""Oogst: from a recorded group conversation to a reviewed top 7, offline."""

__version__ = "0.1.0"
