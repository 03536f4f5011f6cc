"""Reorganisation, matrix algebra and preprocessing kernels (spec §3.11).

``t``/``transpose``, ``reshape``, ``cbind``, ``rbind``, ``reverse``, ``lowerTri``, ``upperTri``,
``replace``, ``order``, ``oneHot``, ``bin``, ``quantize``, ``solve``, ``eigen``, ``syrk``,
``gemv``, ``isSymmetric``, ``sparsity``, ``diagVector`` and ``ctable``. Frames are handed to
the frame kernels for ``cbind``, ``rbind`` and ``order``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from daphnelib.engine.kernels.cast import (
    convert_matrix,
    convert_scalar,
    count_arg,
    integral_cells,
    keep_vt,
    matrix_arg,
)
from daphnelib.engine.kernels.elementwise import matrix_product
from daphnelib.engine.registry import kernel
from daphnelib.engine.valuetypes import (
    DTYPE_OF_VT,
    SIZE_DTYPE,
    is_float,
    is_integral,
    most_general,
    vt_of,
    vt_of_dtype,
)


def _shape(arr: np.ndarray) -> str:
    return f"{arr.shape[0]}x{arr.shape[1]}"


def _square(op: str, arr: Any) -> np.ndarray:
    arr = matrix_arg(op, "arg", arr)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{op} needs a square matrix, got {_shape(arr)}")
    return arr


@kernel("t", "transpose")
def transpose(arg: Any) -> np.ndarray:
    # A C-ordered copy (a view only for vectors, where the transpose is already C-ordered).
    return np.ascontiguousarray(matrix_arg("t", "arg", arg).T)


@kernel("reshape")
def reshape(arg: Any, rows: Any, cols: Any) -> np.ndarray:
    """Row-major reshape; a view of ``arg`` when it is C-contiguous."""
    arg = matrix_arg("reshape", "arg", arg)
    shape = (count_arg("reshape", "numRows", rows), count_arg("reshape", "numCols", cols))
    if shape[0] * shape[1] != arg.size:
        raise ValueError(f"reshape of a {_shape(arg)} matrix ({arg.size} cells) to "
                         f"{shape[0]}x{shape[1]} ({shape[0] * shape[1]} cells): the cell counts "
                         "must match")
    return arg.reshape(shape)


def _bind(op: str, axis: int, lhs: Any, rhs: Any) -> Any:
    lhs, rhs = matrix_arg(op, "lhs", lhs), matrix_arg(op, "rhs", rhs)
    other = 1 - axis
    if lhs.shape[other] != rhs.shape[other]:
        what = "rows" if other == 0 else "columns"
        raise ValueError(f"{op} needs the same number of {what}: lhs is {_shape(lhs)}, "
                         f"rhs is {_shape(rhs)}")
    vt = most_general(vt_of_dtype(lhs.dtype), vt_of_dtype(rhs.dtype))
    dtype = DTYPE_OF_VT[vt]
    shape = list(lhs.shape)
    shape[axis] += rhs.shape[axis]
    # Both sides converted by DAPHNE's rules first: numpy's own promotion differs (si64 with
    # ui64 would give f64). The explicit out keeps the dtype's metadata.
    out = np.empty(shape, dtype=dtype)
    return np.concatenate((convert_matrix(lhs, vt), convert_matrix(rhs, vt)), axis=axis, out=out)


@kernel("cbind")
def cbind(lhs: Any, rhs: Any) -> Any:
    return _bind("cbind", 1, lhs, rhs)


@kernel("rbind")
def rbind(lhs: Any, rhs: Any) -> Any:
    return _bind("rbind", 0, lhs, rhs)


@kernel("reverse")
def reverse(arg: Any) -> np.ndarray:
    """The rows in reverse order (a C-ordered copy)."""
    return np.ascontiguousarray(matrix_arg("reverse", "arg", arg)[::-1])


def _tri(op: str, arg: Any, diag: Any, values: Any, upper: bool) -> np.ndarray:
    arg = _square(op, arg)
    n = arg.shape[0]
    rows = np.arange(n).reshape(n, 1)
    cols = np.arange(n).reshape(1, n)
    keep = (cols >= rows + (not diag)) if upper else (cols <= rows - (not diag))
    if values:
        out = np.zeros_like(arg)
        np.copyto(out, arg, where=keep)
        return out
    # values=false: the kept non-zeros (NaN included, as NaN != 0) become 1.
    return convert_matrix(keep & (arg != 0), vt_of_dtype(arg.dtype))


@kernel("lowerTri")
def lower_tri(arg: Any, diag: Any, values: Any) -> np.ndarray:
    return _tri("lowerTri", arg, bool(diag), bool(values), upper=False)


@kernel("upperTri")
def upper_tri(arg: Any, diag: Any, values: Any) -> np.ndarray:
    return _tri("upperTri", arg, bool(diag), bool(values), upper=True)


@kernel("replace")
def replace(arg: Any, pattern: Any, replacement: Any) -> np.ndarray:
    """Cells equal to ``pattern`` (NaN matches NaN) set to ``replacement``, in arg's type.

    Returns ``arg`` itself when nothing matches.
    """
    arg = matrix_arg("replace", "arg", arg)
    vt = vt_of_dtype(arg.dtype)
    if (vt == "str") != (vt_of(pattern) == "str"):
        raise TypeError(f"replace: pattern {pattern!r} does not fit a matrix of {vt}")
    if isinstance(pattern, (float, np.floating)) and np.isnan(pattern):
        match = np.isnan(arg) if is_float(vt) else np.zeros(arg.shape, bool)
    else:
        match = arg == pattern
    if not match.any():
        return arg
    # Converted by the cast rules: a replacement the matrix cannot hold raises, e.g. NaN for ints.
    value = convert_scalar(replacement, vt)
    out = arg.copy()
    np.copyto(out, value, where=match)
    return out


# -- order ---------------------------------------------------------------------------------


def _descending_key(col: np.ndarray) -> np.ndarray:
    """A key whose ascending order is col's descending order, NaN still last, ties kept."""
    uniq, inv = np.unique(col, return_inverse=True)
    m = len(uniq)
    if m and is_float(vt_of_dtype(col.dtype)) and np.isnan(uniq[-1]):
        m -= 1  # np.unique gathers every NaN into one last entry
        return np.where(inv == m, m, m - 1 - inv)
    return m - 1 - inv


def sort_permutation(keys: list[np.ndarray], ascs: list[bool]) -> np.ndarray:
    """The stable row permutation ordering by keys[0], then keys[1], ...

    NaN sorts after every number in both directions (documented deviation: DAPHNE's
    comparison sort leaves NaN placement undefined).
    """
    # Strings sort by their ranks: numpy's lexsort crashes the process on StringDType keys,
    # and ranks order exactly as the strings do.
    keys = [np.unique(k, return_inverse=True)[1].reshape(-1) if k.dtype.kind in "TUO" else k
            for k in keys]
    keys = [k if asc else _descending_key(k) for k, asc in zip(keys, ascs, strict=True)]
    if len(keys) == 1:
        return np.argsort(keys[0], kind="stable")
    return np.lexsort(keys[::-1])  # lexsort's primary key is its last


def split_order_args(
    op: str, args: tuple[Any, ...], ncol: int
) -> tuple[list[int], list[bool], bool]:
    """``colIdx..., asc..., returnIndexes`` (flat, as the DSL passes them) split and checked."""
    if len(args) < 3 or len(args) % 2 == 0:
        raise ValueError(f"{op} needs k column indexes, k ascending flags and returnIndexes "
                         f"(k >= 1), got {len(args)} arguments")
    k = len(args) // 2
    cols = [count_arg(op, "colIdx", c) for c in args[:k]]
    bad = [c for c in cols if c >= ncol]
    if bad:
        raise IndexError(f"{op}: column index {bad[0]} out of bounds for {ncol} columns")
    return cols, [bool(a) for a in args[k : 2 * k]], bool(args[-1])


@kernel("order")
def order(arg: Any, *args: Any) -> Any:
    """Rows sorted (stably) by the given columns, or their n x 1 size-typed permutation
    (frames: ``kernels/frame.py``)."""
    arg = matrix_arg("order", "arg", arg)
    cols, ascs, ret = split_order_args("order", args, arg.shape[1])
    perm = sort_permutation([arg[:, c] for c in cols], ascs)
    if ret:
        return perm.astype(SIZE_DTYPE).reshape(-1, 1)
    return arg[perm]


# -- preprocessing -------------------------------------------------------------------------


def _first_seen_codes(arg: np.ndarray) -> np.ndarray:
    """Per column, each cell's code: the rank of its value by first appearance down the column
    (si64, 0-based)."""
    n, m = arg.shape
    flat = arg.T.reshape(-1)  # column after column
    _, ids = np.unique(flat, return_inverse=True)
    width = int(ids.max()) + 1 if ids.size else 1
    keys = np.repeat(np.arange(m, dtype=np.int64), n) * width + ids.reshape(-1)
    distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # by column, then by first row
    columns = distinct[order] // width
    ranks = np.empty(distinct.size, dtype=np.int64)
    ranks[order] = np.arange(distinct.size) - np.searchsorted(columns, columns)
    return ranks[inverse.reshape(-1)].reshape(m, n).T


@kernel("oneHot")
def one_hot(arg: Any, info: Any) -> np.ndarray:
    """Per column of ``arg``: info -1 keeps it, 0 drops it, k > 0 expands it into k 0/1 columns.

    A string matrix is encoded first, as DAPHNE does: each value becomes its code (si64, by
    first appearance down its column), and the result holds codes and 0/1 columns.
    """
    arg, info = matrix_arg("oneHot", "arg", arg), matrix_arg("oneHot", "info", info)
    if info.shape != (1, arg.shape[1]):
        raise ValueError(f"oneHot: info must be a 1x{arg.shape[1]} row (one entry per column of "
                         f"arg), got {_shape(info)}")
    if not is_integral(vt_of_dtype(info.dtype)):
        raise TypeError(f"oneHot needs an integer info, got {vt_of_dtype(info.dtype)}")
    if vt_of_dtype(arg.dtype) == "str":
        arg = _first_seen_codes(arg)
    spec = info[0].astype(np.int64)
    if (spec < -1).any():
        raise ValueError(f"oneHot: info values must be -1, 0 or positive, got {spec.min()}")
    if not spec.any():
        raise ValueError("oneHot: info needs at least one non-zero entry (DAPHNE rejects a "
                         "result without columns)")
    widths = np.where(spec == -1, 1, spec)
    starts = np.cumsum(widths) - widths
    out = np.zeros((arg.shape[0], int(widths.sum())), dtype=arg.dtype)
    kept = np.flatnonzero(spec == -1)
    out[:, starts[kept]] = arg[:, kept]
    coded = np.flatnonzero(spec > 0)
    if coded.size and arg.shape[0]:
        codes = integral_cells("oneHot", "value", arg[:, coded], spec[coded])
        out[np.arange(arg.shape[0]).reshape(-1, 1), starts[coded] + codes] = 1
    return out


def _bin_bounds(arg: np.ndarray, vt: str, bounds: tuple[Any, ...]) -> tuple[Any, Any]:
    if not bounds:
        if is_float(vt) and np.isnan(arg).all():
            raise ValueError("bin: without min and max, arg needs a non-NaN value")
        return np.nanmin(arg), np.nanmax(arg)
    if len(bounds) != 2:
        raise ValueError(f"bin takes arg, numBins and optionally both min and max; got "
                         f"{2 + len(bounds)} arguments")
    lo, hi = (convert_scalar(b, vt) for b in bounds)
    if is_float(vt) and not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"bin: min and max must be finite, got {lo} and {hi}")
    return lo, hi


@kernel("bin")
def bin_(arg: Any, num_bins: Any, *bounds: Any) -> np.ndarray:
    """Equi-width bin ids 0..numBins-1 over [min, max] (default: arg's own range), clamped;
    NaN stays NaN. The result keeps arg's value type."""
    arg = matrix_arg("bin", "arg", arg)
    vt = vt_of_dtype(arg.dtype)
    if vt in ("str", "bool"):
        raise TypeError(f"bin needs a numeric matrix, got {vt}")
    nb = count_arg("bin", "numBins", num_bins)
    if nb == 0:
        raise ValueError("bin: numBins must be greater than zero")
    if arg.size == 0:
        return arg.copy()
    lo, hi = _bin_bounds(arg, vt, bounds)
    if lo > hi:
        raise ValueError(f"bin: min ({lo}) must not be greater than max ({hi})")
    if lo == hi:
        if nb > 1:
            raise ValueError(f"bin: min equals max ({lo}), so numBins must be 1, got {nb}")
        return np.zeros_like(arg)
    # As DAPHNE: differences in the value type, then double arithmetic.
    width = float(hi - lo) / nb
    ids = np.ceil((arg - lo).astype(np.float64) / width) - 1
    np.clip(ids, 0, nb - 1, out=ids)  # NaN passes through clip
    ids[arg <= lo] = 0  # before the subtraction could wrap for unsigned types
    return ids.astype(arg.dtype)


def _quantize_bound(name: str, value: Any) -> np.float32:
    if isinstance(value, (bool, np.bool_, str)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"quantize: {name} must be a number, got {type(value).__name__} "
                        f"{value!r}")
    bound = np.float32(value)  # DAPHNE's kernel takes float bounds
    if not np.isfinite(bound):
        raise ValueError(f"quantize: {name} must be finite, got {value!r}")
    return bound


def _round_half_away(v: Any) -> Any:
    """C's roundf for values >= 0: the fraction v - floor(v) is exact, so no float detour."""
    down = np.floor(v)
    return down + (v - down >= 0.5)


@kernel("quantize")
def quantize(arg: Any, lo: Any, hi: Any) -> np.ndarray:
    """Affine 8-bit quantization of [min, max] (widened to include 0) onto 0..255, as DAPHNE.

    Computed in f32 like DAPHNE's kernel (which takes an f32 matrix; other numeric types are
    converted to f32 first): scale = (max - min) / 256, zero = round(255 - max / scale) clamped
    to [0, 255], code = round(clamp(zero + x / scale, 0, 255)).
    """
    arg = matrix_arg("quantize", "arg", arg)
    vt = vt_of_dtype(arg.dtype)
    if vt in ("str", "bool"):
        raise TypeError(f"quantize needs a numeric (f32) matrix, got {vt}")
    lo32, hi32 = _quantize_bound("min", lo), _quantize_bound("max", hi)
    if lo32 > hi32:
        raise ValueError(f"quantize: min ({lo}) must not be greater than max ({hi})")
    lo32, hi32 = min(lo32, np.float32(0)), max(hi32, np.float32(0))
    if lo32 == hi32:
        raise ValueError("quantize: min and max are both 0, so the range to quantize is empty")
    x = arg.astype(np.float32, copy=False)
    if np.isnan(x).any():
        raise ValueError("quantize: NaN has no 8-bit code")
    scale = (hi32 - lo32) / np.float32(256)
    zero = np.float32(_round_half_away(np.clip(np.float32(255) - hi32 / scale, 0, 255)))
    codes = np.divide(x, scale, dtype=np.float32)
    np.add(codes, zero, out=codes)
    np.clip(codes, 0, 255, out=codes)
    return _round_half_away(codes).astype(np.uint8)


# -- matrix algebra ------------------------------------------------------------------------


@kernel("solve")
def solve(a: Any, b: Any) -> np.ndarray:
    """x with a @ x = b (LAPACK gesv). f32 inputs stay f32; everything else is solved in f64."""
    a, b = _square("solve", a), matrix_arg("solve", "b", b)
    if b.shape[0] != a.shape[0]:
        raise ValueError(f"solve: b must have as many rows as A: A is {_shape(a)}, b is "
                         f"{_shape(b)}")
    vt = most_general(vt_of_dtype(a.dtype), vt_of_dtype(b.dtype))
    if vt == "str":
        raise TypeError("solve needs numeric matrices")
    dtype = np.dtype(np.float32 if vt == "f32" else np.float64)
    try:
        x = np.linalg.solve(a.astype(dtype, copy=False), b.astype(dtype, copy=False))
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"solve: the {_shape(a)} matrix A is singular ({exc})") from None
    return np.ascontiguousarray(x)


def _numeric_matrix(op: str, arg: Any) -> tuple[np.ndarray, str]:
    arg = matrix_arg(op, "arg", arg)
    vt = vt_of_dtype(arg.dtype)
    if vt == "str":
        raise TypeError(f"{op} needs a numeric matrix, got a string matrix")
    return arg, vt


@kernel("eigen")
def eigen(arg: Any) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (n x 1, ascending) and unit eigenvectors (n x n, column k for value k) of a
    symmetric matrix (LAPACK syevd). f32 stays f32; everything else is computed in f64.

    Each eigenvector is signed so that its first entry of (nearly, within rounding) largest
    magnitude is positive; LAPACK's sign is arbitrary.
    """
    a, vt = _numeric_matrix("eigen", _square("eigen", arg))
    dtype = np.dtype(np.float32 if vt == "f32" else np.float64)
    a = a.astype(dtype, copy=False)
    if not np.isfinite(a).all():
        raise ValueError("eigen: the matrix must not contain NaN or infinity")
    if not is_symmetric(a):
        raise ValueError(f"eigen needs a symmetric matrix; the {_shape(a)} matrix is not")
    values, vectors = np.linalg.eigh(a)
    if vectors.size:
        magnitude = np.abs(vectors)
        # A tolerance, so that entries of equal magnitude up to rounding pick the first one.
        near_max = magnitude >= magnitude.max(axis=0) * (1 - 64 * np.finfo(dtype).eps)
        lead = vectors[np.argmax(near_max, axis=0), np.arange(vectors.shape[1])]
        vectors = vectors * np.where(lead < 0, dtype.type(-1), dtype.type(1))
    return values.reshape(-1, 1).astype(dtype, copy=True), np.ascontiguousarray(vectors)


@kernel("syrk")
def syrk(arg: Any) -> np.ndarray:
    """``t(A) @ A`` (m x m) in A's value type; float results are exactly symmetric."""
    a, _ = _numeric_matrix("syrk", arg)
    return _gram("syrk", a, transposed_first=True)


@kernel("gemv")
def gemv(mat: Any, vec: Any) -> np.ndarray:
    """``t(A) @ x`` for an n x m matrix A and an n x 1 vector x: m x 1, in the common type."""
    mat, vec = matrix_arg("gemv", "mat", mat), matrix_arg("gemv", "vec", vec)
    if vec.shape != (mat.shape[0], 1):
        raise ValueError(f"gemv: vec must be an n x 1 column with as many rows as mat: mat is "
                         f"{_shape(mat)}, vec is {_shape(vec)}")
    return matrix_product("gemv", mat.T, vec)


def _same_matrix(lhs: Any, rhs: Any) -> bool:
    """Whether two operands are one matrix (the same buffer, shape, strides and dtype)."""
    return lhs is rhs or (
        isinstance(lhs, np.ndarray) and isinstance(rhs, np.ndarray)
        and lhs.shape == rhs.shape and lhs.strides == rhs.strides and lhs.dtype == rhs.dtype
        and lhs.__array_interface__["data"][0] == rhs.__array_interface__["data"][0])


_MIRROR_BLOCK = 256


@functools.cache
def _strict_lower(n: int) -> np.ndarray:
    return np.tri(n, n, -1, dtype=bool)


def _mirror_upper(out: np.ndarray) -> np.ndarray:
    """``out`` with its strict lower triangle overwritten by the upper one, in place.

    Block row by block row: the part left of the diagonal block is one transposed block
    copy, and only the diagonal blocks need a mask (cached per block size).
    """
    n = out.shape[0]
    for start in range(0, n, _MIRROR_BLOCK):
        stop = min(start + _MIRROR_BLOCK, n)
        out[start:stop, :start] = out[:start, start:stop].T
        diag = out[start:stop, start:stop]
        np.copyto(diag, diag.T.copy(), where=_strict_lower(stop - start))
    return out


def _gram(op: str, a: np.ndarray, transposed_first: bool) -> np.ndarray:
    """``t(a) @ a`` (``transposed_first``) or ``a @ t(a)``, exactly symmetric for floats.

    As DAPHNE's syrk kernel: one triangle is computed and mirrored, so ``isSymmetric`` holds and
    ``eigen`` accepts the result at every size. numpy already calls BLAS syrk for a product of a
    buffer with its own transpose, but only when the layout lets it (falling back to gemm,
    whose two triangles may differ in the last ulp); the mirror makes symmetry unconditional.
    """
    out = matrix_product(op, a.T, a) if transposed_first else matrix_product(op, a, a.T)
    if is_float(vt_of_dtype(out.dtype)):
        _mirror_upper(out)
    return out


# Products with transposed operands, which the rewrite pass (engine/rewrite.py) substitutes
# for ``t(A) @ B``, ``A @ t(B)`` and ``t(A) @ t(B)``: numpy hands the transposed view to BLAS
# (no copy). ``t(X) @ X`` and ``X @ t(X)`` on one matrix are Gram products (syrk), exactly
# symmetric. Their names cannot be written in DaphneDSL.
@kernel("t@")
def matmul_tn(lhs: Any, rhs: Any) -> np.ndarray:
    lhs = matrix_arg("t", "arg", lhs)
    if _same_matrix(lhs, rhs):
        return _gram("@", lhs, transposed_first=True)
    return matrix_product("@", lhs.T, rhs)


@kernel("@t")
def matmul_nt(lhs: Any, rhs: Any) -> np.ndarray:
    rhs = matrix_arg("t", "arg", rhs)
    if _same_matrix(lhs, rhs):
        return _gram("@", rhs, transposed_first=False)
    return matrix_product("@", lhs, rhs.T)


@kernel("t@t")
def matmul_tt(lhs: Any, rhs: Any) -> np.ndarray:
    return matrix_product("@", matrix_arg("t", "arg", lhs).T, matrix_arg("t", "arg", rhs).T)


def is_symmetric(a: np.ndarray) -> bool:
    """Whether a square matrix equals its transpose; NaN off the diagonal never matches."""
    same = a == a.T
    np.fill_diagonal(same, True)  # DAPHNE compares the off-diagonal pairs only
    return bool(same.all())


@kernel("isSymmetric")
def is_symmetric_(arg: Any) -> np.bool_:
    return np.bool_(is_symmetric(_square("isSymmetric", arg)))


@kernel("sparsity")
def sparsity(arg: Any) -> np.float64:
    """The fraction of non-zero cells (NaN counts as non-zero); NaN for an empty matrix."""
    a, _ = _numeric_matrix("sparsity", arg)
    return np.float64(np.count_nonzero(a)) / np.float64(a.size) if a.size else np.float64(np.nan)


@kernel("diagVector")
def diag_vector(arg: Any) -> np.ndarray:
    """The diagonal of a square matrix as an n x 1 column (a copy)."""
    return _square("diagVector", arg).diagonal().copy().reshape(-1, 1)


def _ctable_positions(name: str, arg: Any) -> np.ndarray:
    arg = matrix_arg("ctable", name, arg)
    if arg.shape[1] != 1 or vt_of_dtype(arg.dtype) == "str":
        raise ValueError(f"ctable: {name} must be a numeric n x 1 column, got {_shape(arg)} of "
                         f"{vt_of_dtype(arg.dtype)}")
    return integral_cells("ctable", f"{name} position", arg[:, 0], np.inf)


@kernel("ctable")
def ctable(ys: Any, xs: Any, *rest: Any) -> np.ndarray:
    """Contingency table: cell (ys[k], xs[k]) accumulates weight (default 1.0) for every k.

    Arguments after ys, xs: ``weight``, ``numRows, numCols`` or all three; -1 sizes the
    result from the data, a given size crops (positions outside are ignored) or pads.
    """
    layouts = {0: (1.0, -1, -1), 1: (*rest, -1, -1), 2: (1.0, *rest), 3: rest}
    if len(rest) not in layouts:
        raise ValueError(f"ctable takes 2 to 5 arguments, got {2 + len(rest)}")
    weight, num_rows, num_cols = layouts[len(rest)]
    r, c = _ctable_positions("lhs", ys), _ctable_positions("rhs", xs)
    if len(r) != len(c):
        raise ValueError(f"ctable: lhs and rhs need the same number of rows, got {len(r)} and "
                         f"{len(c)}")
    nr = int(r.max(initial=-1)) + 1 if num_rows == -1 else count_arg("ctable", "numRows", num_rows)
    nc = int(c.max(initial=-1)) + 1 if num_cols == -1 else count_arg("ctable", "numCols", num_cols)
    inside = (r < nr) & (c < nc)
    cells = r[inside] * nc + c[inside]
    vt = vt_of(weight)
    dtype = DTYPE_OF_VT[vt]
    if is_float(vt):
        # bincount adds the weights one by one in double, like DAPHNE's += loop.
        sums = np.bincount(cells, weights=np.full(len(cells), float(weight)), minlength=nr * nc)
        out = sums.astype(dtype)
    else:
        out = np.bincount(cells, minlength=nr * nc).astype(dtype) * dtype.type(weight)
    return keep_vt(out, dtype).reshape(nr, nc)
