"""Compiled parts of daphnelib : thin, typed Cython (``.pyx`` + ``.pxd``, ``.pyi`` stubs)."""
