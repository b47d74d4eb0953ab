"""perfopt: make Python (and C++) code faster, and prove it."""

__version__ = "0.1.0"
