"""Backends run lowered programs (the seam: see base.py)."""
