"""Backends run lowered programs: the embedded engine (default), libdaphnelib, Dask.

A backend's module is imported only when that backend is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from daphnelib.backends.base import Backend

# name -> (module, class). "auto" is the Dask backend deciding per op what runs on the cluster.
_BACKENDS: dict[str, tuple[str, str]] = {
    "embedded": ("daphnelib.backends.embedded", "EmbeddedBackend"),
    "daphne": ("daphnelib.backends.daphne", "DaphneBackend"),
    "dask": ("daphnelib.backends.dask", "DaskBackend"),
    "auto": ("daphnelib.backends.dask", "DaskBackend"),
}
# Options a name implies (the caller's options win).
_DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {"auto": {"placement": "auto"}}


def resolve_backend(spec: str | Backend = "embedded", **options: Any) -> Backend:
    """The backend ``spec`` names (or ``spec`` itself), built with ``options``.

    An unknown name raises ValueError listing the known ones; options the backend does not
    take raise TypeError.
    """
    if isinstance(spec, Backend):
        if options:
            raise TypeError(f"backend options {sorted(options)} given with a backend instance "
                            f"{spec!r}; pass them to its constructor instead")
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"backend must be a name or a Backend, got {type(spec).__name__}")
    entry = _BACKENDS.get(spec)
    if entry is None:
        raise ValueError(f"unknown backend {spec!r}; known: {', '.join(sorted(_BACKENDS))}")
    module, cls_name = entry
    cls = getattr(importlib.import_module(module), cls_name)
    try:
        return cls(**{**_DEFAULT_OPTIONS.get(spec, {}), **options})
    except TypeError as exc:
        exc.add_note(f"(options of the {spec!r} backend)")
        raise


__all__ = ["Backend", "resolve_backend"]
