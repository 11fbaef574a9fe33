"""A seeded demo brand with known ground truth (BG/NBD purchasing, Gamma-Gamma spend)."""
