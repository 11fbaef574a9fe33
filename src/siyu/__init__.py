"""siyu: run an e-commerce brand's private domain (私域)."""

__version__ = "0.1.0"
