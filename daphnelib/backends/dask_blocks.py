"""Matrix ops lowered to row-blocked ``dask.array`` graphs whose every block runs our kernels.

A distributed matrix is a 2-D ``dask.array.Array`` chunked along its rows only (one chunk of
columns). Each lowering builds tasks that call the embedded engine's own kernels, looked up by
builtin name in ``engine.registry`` *on the worker* (:class:`BlockKernel` pickles as its name),
so DAPHNE's semantics (integer ``/`` truncates, comparisons give 0/1 in the operand type,
population variance, promotion rules) hold without a second implementation:

- row-local ops (elementwise, outer, ``?:``, casts, per-row aggregates, ``X @ W`` with a
  broadcast right side, ``cbind``, column selection): one kernel call per block;
- per-column and full aggregates, ``t(X) @ Y``, ``t(X) @ X`` (``syrk``) and ``gemv``: one kernel
  call per block for a partial result, then a fan-in tree of kernel calls that combines them;
- ``rbind``, row ranges and row positions: dask's own concatenation/slicing, cells untouched.

Nothing here imports dask at module level of ``daphnelib``: the module is imported only by
``backends/dask.py``, which is imported only when the Dask backend is asked for.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import dask
import dask.array as da
import numpy as np
from dask.sizeof import sizeof

from daphnelib.engine.kernels.cast import convert_matrix
from daphnelib.engine.registry import lookup
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import SIZE_DTYPE, vt_of_dtype


# Every task of this backend unpickles this module on its worker, so the worker sizes frame
# partitions by their buffers: Dask's default (sys.getsizeof) saw 64 bytes for any frame, so
# a worker never spilled frames by their size and went past its memory_limit.
@sizeof.register(FrameValue)
def _frame_nbytes(frame: FrameValue) -> int:
    masks = (r.mask for r in frame.logical if r is not None and r.mask is not None)
    return sum(c.nbytes for c in frame.columns) + sum(m.nbytes for m in masks)


# Partial results are combined in a tree with this many inputs per node: memory on the
# combining worker stays at FAN_IN partials, depth at log_FAN_IN(blocks).
FAN_IN = 8


class BlockKernel:
    """``kernel(op)(*args, *trailing)`` on a worker; pickles as the builtin name only."""

    __slots__ = ("op", "trailing")

    def __init__(self, op: str, *trailing: Any) -> None:
        self.op, self.trailing = op, trailing

    def __call__(self, *args: Any) -> Any:
        with np.errstate(all="ignore"):  # as the embedded executor runs its kernels
            return lookup(self.op)(*args, *self.trailing)

    def __reduce__(self) -> tuple[Any, ...]:
        return (BlockKernel, (self.op, *self.trailing))

    def __repr__(self) -> str:
        return f"BlockKernel({self.op!r})"


def is_dask(value: Any) -> bool:
    return isinstance(value, da.Array)


def standin(x: Any) -> np.ndarray:
    """A zero-cost array of ``x``'s shape and dtype: lets a kernel check shapes (and name the
    problem with its own message) without data."""
    return np.broadcast_to(np.zeros((), x.dtype), x.shape)


def tiny(x: Any, fill: int = 1) -> np.ndarray:
    """One row (at most) of ``fill`` in ``x``'s dtype, to learn a kernel's output dtype/width."""
    return np.full((min(x.shape[0], 1), x.shape[1]), fill, dtype=x.dtype)


def block_meta(fn: Callable[..., Any], args: Sequence[Any]) -> np.ndarray:
    """The result of ``fn`` on one-row stand-ins of the distributed args (ones, else zeros).

    Its dtype and width describe every block ``fn`` will produce; a kernel that rejects the
    argument types raises here, before any data moves, with its own message.
    """
    error: Exception | None = None
    for fill in (1, 0):
        try:
            return np.asarray(fn(*(tiny(a, fill) if is_dask(a) else a for a in args)))
        except Exception as exc:
            error = error or exc
    assert error is not None
    raise error


# -- placing data ---------------------------------------------------------------------------


def row_chunks(n: int, m: int, itemsize: int, block_rows: int | None, block_bytes: int
               ) -> tuple[int, ...]:
    """Row chunk sizes for an n x m matrix: ``block_rows`` rows, or ~``block_bytes`` a block."""
    rows = block_rows or max(1, block_bytes // max(1, m * itemsize))
    rows = max(1, min(rows, n)) if n else 1
    full, rest = divmod(n, rows)
    return (rows,) * full + ((rest,) if rest else ()) or (0,)


def aligned(x: Any, chunks: tuple[int, ...]) -> Any:
    """``x`` (dask or numpy) as a dask array with the given row chunks."""
    if is_dask(x):
        return x if x.chunks[0] == chunks else x.rechunk({0: chunks, 1: -1})
    return da.from_array(x, chunks=(chunks, -1))


def _rows(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return x[lo:hi]


def from_future(future: Any, x: np.ndarray, chunks: tuple[int, ...]) -> Any:
    """The row blocks of a scattered matrix (``future`` holds ``x`` on a worker)."""
    cut = dask.delayed(_rows, pure=True)
    bounds = np.cumsum((0, *chunks))
    parts = [da.from_delayed(cut(future, int(lo), int(hi)), shape=(int(hi - lo), x.shape[1]),
                             dtype=x.dtype, meta=x[:0])
             for lo, hi in itertools.pairwise(bounds)]
    return da.concatenate(parts, axis=0)


def whole(x: Any) -> Any:
    """``x`` as a single-block dask array (the small side that every block reads)."""
    if is_dask(x):
        return x if x.numblocks == (1, 1) else x.rechunk(-1)
    return da.from_array(x, chunks=-1)


def rowwise(fn: Callable[..., Any], args: Sequence[Any], driver: Any) -> Any:
    """``fn`` over the blocks of ``driver``'s rows; matrix args with its row count are aligned
    to its chunks, one-row matrices are broadcast whole, other args are passed through."""
    n, chunks = driver.shape[0], driver.chunks[0]
    placed = [
        (aligned(a, chunks) if a.shape[0] == n and n != 1 else whole(a))
        if isinstance(a, (np.ndarray, da.Array)) else a
        for a in args
    ]
    meta = block_meta(fn, placed)
    return da.map_blocks(fn, *placed, chunks=(chunks, (meta.shape[1],)), meta=meta[:0])


def times_matrix(fn: Callable[..., Any], x: Any, w: Any) -> Any:
    """``fn(X_b, W)`` per row block of X, with the (small) W broadcast whole to every block."""
    wd = whole(w)
    meta = np.asarray(fn(tiny(x), tiny(wd) if wd.shape[0] <= 1 else np.ones(wd.shape, wd.dtype)))
    return da.blockwise(fn, "ij", x, "ik", wd, "kj", dtype=meta.dtype, meta=meta[:0],
                        concatenate=True)


# -- partial results and their fan-in -------------------------------------------------------


def _apply(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def _fold(combine: Callable[[list[Any]], Any], *parts: Any) -> Any:
    return combine(list(parts))


def blocks_of(x: Any) -> list[Any]:
    """The delayed row blocks of a row-blocked array."""
    return list(x.to_delayed(optimize_graph=False)[:, 0])


def offsets(x: Any) -> list[int]:
    """The first row of every row block."""
    return [int(o) for o in np.cumsum((0, *x.chunks[0][:-1]))]


def fan_in(parts: list[Any], combine: Callable[[list[Any]], Any]) -> Any:
    """A delayed tree that reduces ``parts`` FAN_IN at a time, in block order."""
    fold = dask.delayed(_fold, pure=True)
    while len(parts) > 1:
        parts = [fold(combine, *parts[i:i + FAN_IN]) for i in range(0, len(parts), FAN_IN)]
    return parts[0]


def reduce_blocks(partial: Callable[..., Any], combine: Callable[[list[Any]], Any],
                  *arrays: Any, with_offset: bool = False, shared: tuple = ()) -> Any:
    """``combine`` over ``partial(block_b of each array[, first row of b], *shared)`` for every
    row block b (the arrays share their row chunks; ``shared`` may hold delayed values);
    a delayed value."""
    step = dask.delayed(_apply, pure=True)
    columns = [blocks_of(a) for a in arrays]
    extra = [offsets(arrays[0])] if with_offset else []
    parts = [step(partial, *blocks, *shared) for blocks in zip(*columns, *extra, strict=True)]
    return fan_in(parts, combine)


def as_matrix(d: Any, shape: tuple[int, int], meta: np.ndarray) -> Any:
    """A delayed matrix as a one-block dask array."""
    return da.from_delayed(d, shape=shape, dtype=meta.dtype, meta=meta[:0])


# -- aggregates --------------------------------------------------------------------------------


def float_vt(dtype: np.dtype) -> str:
    return "f32" if vt_of_dtype(dtype) == "f32" else "f64"


class Stack:
    """Partials (1 x m matrices or scalars) stacked in block order, then ``op`` over them as
    the engine would fold them: ``kernel(op)(rows, axis)``."""

    __slots__ = ("axis", "op")

    def __init__(self, op: str, axis: int | None) -> None:
        self.op, self.axis = op, axis

    def __call__(self, parts: list[Any]) -> Any:
        rows = [np.asarray(p).reshape(1, -1) for p in parts]
        stacked = np.concatenate(rows, axis=0, out=np.empty((len(rows), rows[0].shape[1]),
                                                              rows[0].dtype))
        if self.axis is None:
            return BlockKernel(self.op)(stacked)
        return BlockKernel(self.op, self.axis)(stacked)


class SumOfConverted:
    """``sum(as.<vt>(block[ - center]) [^2], axis)``: the partial of mean, var and stddev."""

    __slots__ = ("axis", "squared", "vt")

    def __init__(self, vt: str, axis: int | None, squared: bool) -> None:
        self.vt, self.axis, self.squared = vt, axis, squared

    def __call__(self, block: np.ndarray, center: Any = None) -> Any:
        x = convert_matrix(block, self.vt)
        if self.squared:
            d = BlockKernel("-")(x, center)
            x = BlockKernel("*")(d, d)
        return BlockKernel("sum")(x) if self.axis is None else BlockKernel("sum", self.axis)(x)


class LaterNansSkipped:
    """aggMin/aggMax per column of a float block. The kernel lets a NaN in a column's first
    cell win and skips later NaNs: so only block 0 keeps its NaNs; in later blocks NaN becomes
    the neutral +-inf (the column's first cell, a number then, always takes part)."""

    __slots__ = ("op",)

    def __init__(self, op: str) -> None:
        self.op = op

    def __call__(self, block: np.ndarray, first_row: int) -> np.ndarray:
        if first_row:
            block = np.where(np.isnan(block), np.inf if self.op == "aggMin" else -np.inf, block)
        return BlockKernel(self.op, 1)(block)


class IdxPartial:
    """Per column of a block: the position of the first extreme (NaN skipped, as the kernel
    does after the first cell) and its value. Returns (global positions, values), 1 x m."""

    __slots__ = ("op",)

    def __init__(self, op: str) -> None:
        self.op = op

    def __call__(self, block: np.ndarray, first_row: int) -> tuple[np.ndarray, np.ndarray]:
        x = block
        if x.dtype.kind == "f":
            x = np.where(np.isnan(x), np.inf if self.op == "idxMin" else -np.inf, x)
        pos = BlockKernel(self.op, 1)(x).astype(np.int64)
        return pos + first_row, np.take_along_axis(x, pos, axis=0)


class IdxCombine:
    """Among partials in block order: the earliest block holding the extreme (the kernel's
    own tie rule on the stacked values)."""

    __slots__ = ("op",)

    def __init__(self, op: str) -> None:
        self.op = op

    def __call__(self, parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
        pos = np.concatenate([p for p, _ in parts], axis=0)
        val = np.concatenate([v for _, v in parts], axis=0)
        win = BlockKernel(self.op, 1)(val).astype(np.int64)
        return np.take_along_axis(pos, win, axis=0), np.take_along_axis(val, win, axis=0)


def column_or_full(op: str, x: Any, axis: int | None, compute: Callable[[Any], Any]) -> Any:
    """``op(X, 1)`` (1 x m, a one-block dask array) or ``op(X)`` (a local scalar, computed
    through ``compute``) of a row-blocked X, from per-block partials."""
    m = x.shape[1]
    if op in ("sum", "aggMin", "aggMax"):
        partial = BlockKernel(op) if axis is None else BlockKernel(op, axis)
        if axis is None:
            return compute(reduce_blocks(partial, Stack(op, axis), x))
        meta = block_meta(partial, [x])
        if op != "sum" and x.dtype.kind == "f":
            d = reduce_blocks(LaterNansSkipped(op), Stack(op, axis), x, with_offset=True)
        else:
            d = reduce_blocks(partial, Stack(op, axis), x)
        return as_matrix(d, (1, m), meta)
    if op in ("mean", "var", "stddev"):
        return _moment(op, x, axis, compute)
    return _position_of_extreme(op, x, compute)


def _moment(op: str, x: Any, axis: int | None, compute: Callable[[Any], Any]) -> Any:
    """mean/var/stddev as the kernels compute them: in f64 (f32 stays f32), the variance in two
    passes around the mean, divided by N (population variance)."""
    n = x.shape[0] * x.shape[1] if axis is None else x.shape[0]
    vt = float_vt(x.dtype)
    divide = dask.delayed(BlockKernel("/"), pure=True)
    mean = divide(reduce_blocks(SumOfConverted(vt, axis, False), Stack("sum", axis), x), n)
    result = mean
    if op != "mean":
        squares = reduce_blocks(SumOfConverted(vt, axis, True), Stack("sum", axis), x,
                                shared=(mean,))
        result = divide(squares, n)
        if op == "stddev":
            result = dask.delayed(BlockKernel("sqrt"), pure=True)(result)
    if axis is None:
        return compute(result)
    return as_matrix(result, (1, x.shape[1]), np.empty((0, x.shape[1]), vt_dtype(vt)))


def vt_dtype(vt: str) -> np.dtype:
    return np.dtype(np.float32 if vt == "f32" else np.float64)


def _position_of_extreme(op: str, x: Any, compute: Callable[[Any], Any]) -> Any:
    """idxMin/idxMax per column (DAPHNE axis 1): the first cell NaN wins, later NaNs skip."""
    d = reduce_blocks(IdxPartial(op), IdxCombine(op), x, with_offset=True)
    pos = dask.delayed(_positions, pure=True)(d, x[:1] if x.dtype.kind == "f" else None)
    return as_matrix(pos, (1, x.shape[1]), np.empty((0, x.shape[1]), SIZE_DTYPE))


def _positions(best: tuple[np.ndarray, np.ndarray], first: np.ndarray | None) -> np.ndarray:
    pos = best[0]
    if first is not None:
        pos = np.where(np.isnan(first), 0, pos)
    return pos.astype(SIZE_DTYPE)


# -- products -------------------------------------------------------------------------------


class PairProduct:
    """``kernel(op)(A_b, B_b)`` for one row block of both sides (``t(A_b) @ B_b`` for gemv
    and for "tmm", a transposed-left product), or ``syrk(A_b)``."""

    __slots__ = ("op",)

    def __init__(self, op: str) -> None:
        self.op = op

    def __call__(self, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        if self.op == "syrk":
            return BlockKernel("syrk")(a)
        if self.op == "tmm":
            return BlockKernel("@")(BlockKernel("t")(a), b)
        return BlockKernel(self.op)(a, b)


class Plus:
    """Partial products summed in block order with the ``+`` kernel (DAPHNE's typing)."""

    __slots__ = ()

    def __call__(self, parts: list[np.ndarray]) -> np.ndarray:
        out = parts[0]
        for p in parts[1:]:
            out = BlockKernel("+")(out, p)
        return out


def block_products(op: str, a: Any, b: Any | None, shape: tuple[int, int]) -> Any:
    """The sum over row blocks of ``PairProduct(op)`` (a one-block dask array of ``shape``)."""
    fn = PairProduct(op)
    arrays = (a,) if b is None else (a, aligned(b, a.chunks[0]))
    meta = np.asarray(fn(*(tiny(v) for v in arrays)))
    return as_matrix(reduce_blocks(fn, Plus(), *arrays), shape, meta)


# -- generators ------------------------------------------------------------------------------


class FillBlock:
    __slots__ = ("cols", "value")

    def __init__(self, value: Any, cols: int) -> None:
        self.value, self.cols = value, cols

    def __call__(self, block_info: dict | None = None) -> np.ndarray:
        lo, hi = block_info[None]["array-location"][0]
        return BlockKernel("fill")(self.value, hi - lo, self.cols)


class SeqBlock:
    """Rows lo..hi of ``seq(start, end, inc)``: ints by the kernel over the block's own bounds
    (exact), floats as ``start + i*inc`` like the kernel (bit-identical, no drift)."""

    __slots__ = ("dtype", "inc", "start")

    def __init__(self, start: Any, inc: Any, dtype: np.dtype) -> None:
        self.start, self.inc, self.dtype = start, inc, dtype

    def __call__(self, block_info: dict | None = None) -> np.ndarray:
        lo, hi = block_info[None]["array-location"][0]
        if self.dtype.kind == "f":
            i = np.arange(lo, hi, dtype=np.float64) * float(self.inc) + float(self.start)
            return i.astype(self.dtype, copy=False).reshape(-1, 1)
        first = int(self.start) + lo * int(self.inc)
        last = int(self.start) + (hi - 1) * int(self.inc)
        return BlockKernel("seq")(self.dtype.type(first), self.dtype.type(last),
                                  self.dtype.type(self.inc))


# Rows per random tile: tile t of ``rand(..., seed)`` is ``rand(tile rows, ..., seed_t)`` with
# seed_0 = seed, so the result does not depend on the dask block size, and a matrix of at most
# RAND_TILE rows equals the embedded one.
RAND_TILE = 1 << 16


def tile_seed(seed: int, tile: int) -> int:
    """The seed of random tile ``tile`` (non-negative, fits int64, tile 0 keeps ``seed``)."""
    if tile == 0:
        return seed
    mixed = np.random.SeedSequence([seed & 0xFFFFFFFFFFFFFFFF, tile]).generate_state(1, np.uint64)
    return int(mixed[0] >> np.uint64(1))


class RandBlock:
    """Rows lo..hi of a distributed ``rand``: the rows of the tiles they overlap."""

    __slots__ = ("args", "cols", "rows", "seed")

    def __init__(self, rows: int, cols: int, bounds: tuple[Any, Any, float], seed: int) -> None:
        self.rows, self.cols, self.args, self.seed = rows, cols, bounds, seed

    def __call__(self, block_info: dict | None = None) -> np.ndarray:
        lo, hi = block_info[None]["array-location"][0]
        tiles = [BlockKernel("rand")(0, self.cols, *self.args, self.seed)]
        for t in range(lo // RAND_TILE, -(-hi // RAND_TILE)):
            first = t * RAND_TILE
            rows = min(RAND_TILE, self.rows - first)
            tile = BlockKernel("rand")(rows, self.cols, *self.args, tile_seed(self.seed, t))
            tiles.append(tile[max(lo - first, 0):hi - first])
        return tiles[-1] if len(tiles) == 2 else np.concatenate(tiles)


def rand_chunks(chunks: tuple[int, ...]) -> tuple[int, ...]:
    """Row chunks for ``rand``: whole tiles per block when blocks are larger than a tile, so
    no worker draws a tile it only partly keeps."""
    n, rows = sum(chunks), chunks[0]
    if rows <= RAND_TILE:
        return chunks
    rows -= rows % RAND_TILE
    full, rest = divmod(n, rows)
    return (rows,) * full + ((rest,) if rest else ())


def generated(fn: Callable[..., np.ndarray], chunks: tuple[int, ...], cols: int,
              meta: np.ndarray) -> Any:
    """A matrix whose blocks a worker generates (no data leaves the client)."""
    return da.map_blocks(fn, chunks=(chunks, (cols,)), dtype=meta.dtype, meta=meta[:0])
