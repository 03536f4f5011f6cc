"""The kernel registry: (DaphneDSL builtin, argument kind) -> Python callable over engine values.

A kernel receives its arguments already evaluated (matrices as 2-D arrays, scalars as numpy
scalars or Python literals, frames as FrameValue, index specs as given) and returns a value.
``@kernel("extract")`` registers the generic kernel of a builtin; ``@kernel("extract",
on=FrameValue)`` the one for calls whose first argument is of that type.

Kernel modules are imported lazily: :data:`MODULES` says which module(s) register each
builtin, and :func:`lookup` imports them the first time a program needs that builtin, so a
numpy pipeline never pays for the frame, SQL or relational kernels. ``tests/test_registry.py``
checks the table against what the modules really register.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Kernel = Callable[..., Any]

# builtin -> {argument type the kernel is for (None: any) -> kernel}
KERNELS: dict[str, dict[type | None, Kernel]] = {}

_ELEMENTWISE = (
    "+ - * / % ^ min max log == != < <= > >= && || concat pow mod outerAdd outerSub outerMul "
    "outerDiv outerPow outerLog outerMod outerMin outerMax outerAnd outerOr outerEq outerNeq "
    "outerLt outerLe outerGt outerGe outerConcat outerXor exp ln sqrt sin cos tan asin acos "
    "atan sinh cosh tanh minus abs sign round floor ceil isNan relu lower upper softmax @ ?:"
)
_BY_MODULE = {
    "elementwise": _ELEMENTWISE,
    "aggregate": "count sum mean var stddev aggMin aggMax idxMin idxMax cumSum cumProd cumMin "
                 "cumMax",
    "generate": "fill seq diagMatrix rand sample",
    "reorg": "t transpose reshape cbind rbind reverse lowerTri upperTri replace order oneHot bin "
             "quantize solve eigen syrk gemv isSymmetric sparsity diagVector ctable t@ @t t@t",
    "indexing": "extract filter insert",
    "cast": "as",
    "frame": "createFrame setColLabels setColLabelsPrefix cartesian innerJoin extract filter "
             "cbind rbind order",
    "io": "receiveFromNumpy receiveFrame readMatrix readFrame writeMatrix writeFrame write print",
    "meta": "nrow ncol ncell typeOf",
    "control": "results item if for while do-while call matrixLiteral saveDaphneLibResult now "
               "startProfiling stopProfiling stop createList length append remove map",
    "relational": "leftOuterJoin rightOuterJoin fullOuterJoin leftSemiJoin antiJoin semiJoin "
                  "groupBy groupSum",
    "preprocess": "recode",
}
# Kernels that live with their own package (it registers them through this table; the engine
# imports no such package by name anywhere else).
_PLUGINS = {"daphnelib.sql.kernels": "sql registerView"}

# builtin -> the modules registering kernels for it, in import order.
MODULES: dict[str, tuple[str, ...]] = {}
for _module, _names in [*((f"daphnelib.engine.kernels.{m}", n) for m, n in _BY_MODULE.items()),
                        *_PLUGINS.items()]:
    for _name in _names.split():
        MODULES[_name] = (*MODULES.get(_name, ()), _module)
del _module, _names, _name


def kernel(*names: str, on: type | None = None) -> Callable[[Kernel], Kernel]:
    """Register the decorated function as the kernel of each builtin in ``names``, for calls
    whose first argument is an ``on`` (None: the generic kernel)."""

    def register(fn: Kernel) -> Kernel:
        for name in names:
            by_type = KERNELS.setdefault(name, {})
            if on in by_type:
                raise RuntimeError(f"kernel {name!r} (on={on}) registered twice")
            by_type[on] = fn
            _RESOLVED.pop(name, None)
        return fn

    return register


def load_kernels() -> dict[str, dict[type | None, Kernel]]:
    """Import every kernel module; returns the filled registry (tests, the CLI's listing)."""
    for modules in MODULES.values():
        for module in modules:
            importlib.import_module(module)
    return KERNELS


def _dispatching(name: str, by_type: dict[type | None, Kernel]) -> Kernel:
    generic = by_type.get(None)
    special = tuple((t, fn) for t, fn in by_type.items() if t is not None)

    def dispatch(first: Any, *rest: Any) -> Any:
        for t, fn in special:
            if isinstance(first, t):
                return fn(first, *rest)
        if generic is None:
            raise TypeError(f"{name} is not defined for {type(first).__name__}")
        return generic(first, *rest)

    return dispatch


_RESOLVED: dict[str, Kernel] = {}


def _resolve(name: str) -> Kernel | None:
    fn = _RESOLVED.get(name)
    if fn is not None:
        return fn
    for module in MODULES.get(name, ()):
        # Always through the import system: a module another thread is still importing is
        # already in sys.modules without its kernels; import_module waits for it (Dask
        # workers look kernels up from several threads at once).
        importlib.import_module(module)
    by_type = KERNELS.get(name)
    if not by_type:
        return None
    if len(by_type) == 1 and None in by_type:
        fn = by_type[None]
    else:
        fn = _dispatching(name, by_type)
    _RESOLVED[name] = fn
    return fn


def lookup(op: str) -> Kernel:
    """The kernel of builtin ``op`` (``as.<...>`` casts resolve to the ``as`` kernel)."""
    fn = _resolve(op)
    if fn is None and op.startswith("as."):
        cast = _resolve("as")
        if cast is not None:
            return lambda *args: cast(op, *args)
    if fn is None:
        raise NotImplementedError(f"the embedded engine has no kernel for builtin {op!r}")
    return fn
