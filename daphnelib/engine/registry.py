"""The kernel registry: DaphneDSL builtin name -> Python callable over engine values.

A kernel receives its arguments already evaluated (matrices as 2-D arrays, scalars as numpy
scalars or Python literals, frames as FrameValue, index specs as given) and returns a value.
Kernel modules register themselves when :func:`load_kernels` imports them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

KERNELS: dict[str, Callable[..., Any]] = {}

# Every module under daphnelib.engine.kernels that registers kernels.
KERNEL_MODULES = (
    "elementwise",
    "aggregate",
    "generate",
    "reorg",
    "indexing",
    "cast",
    "frame",
    "io",
    "meta",
    "control",
    "relational",
    "sql",
    "preprocess",
)

_loaded = False


def kernel(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the kernel of each builtin in ``names``."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        for name in names:
            if name in KERNELS:
                raise RuntimeError(f"kernel {name!r} registered twice")
            KERNELS[name] = fn
        return fn

    return register


def load_kernels() -> dict[str, Callable[..., Any]]:
    """Import every kernel module once; returns the filled registry."""
    global _loaded
    if not _loaded:
        for name in KERNEL_MODULES:
            importlib.import_module(f"daphnelib.engine.kernels.{name}")
        _loaded = True
    return KERNELS


def lookup(op: str) -> Callable[..., Any]:
    fn = KERNELS.get(op)
    if fn is None:
        load_kernels()
        fn = KERNELS.get(op)
        if fn is None and op.startswith("as."):
            fn = KERNELS.get("as")
            if fn is not None:
                return lambda *args: fn(op, *args)
    if fn is None:
        raise NotImplementedError(f"the embedded engine has no kernel for builtin {op!r}")
    return fn
