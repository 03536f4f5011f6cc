# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""DaphneDSL's ``rand`` for a CSR result, drawing the stream DAPHNE's sparse kernel draws.

DAPHNE's CSR ``rand`` uses libstdc++'s ``std::default_random_engine`` (``minstd_rand0``:
``x = 16807 x mod (2^31 - 1)``), not the dense kernel's ``mt19937``, and one engine for
everything, in this order: the ``nnz = round(rows * cols * sparsity)`` values; the number of
non-zeros per row (start empty and add to random rows that are not full, or, above sparsity
0.5, start full and take from random non-empty rows); per row, distinct random column
indexes until the row has its count (above 0.5: the columns *not* drawn are kept), ascending.
libstdc++'s distributions are reproduced exactly: ``generate_canonical`` (two engine words
per double, one per float) and ``uniform_int_distribution``'s downscaling with rejection
(the engine's range is not a power of two, so no Lemire path), recursing for wide ranges.
The loops are sequential by nature (each draw depends on the ones before), hence native.
"""

from libc.math cimport nextafter, nextafterf
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memset

import numpy as np

cdef uint64_t _M = 2147483647          # the modulus, 2^31 - 1
cdef uint64_t _WORDS = 2147483646      # engine outputs are 1 .. _M - 1: this many values
cdef uint64_t _URNG_RANGE = 2147483645  # max() - min()


cdef inline uint64_t _next(uint64_t* state) noexcept nogil:
    state[0] = (state[0] * 16807) % _M
    return state[0]


cdef uint64_t _uniform(uint64_t* state, uint64_t urange) noexcept nogil:
    """A draw of libstdc++'s uniform_int_distribution over [0, urange] from minstd_rand0."""
    cdef uint64_t scaling, past, ret, tmp
    if urange < _URNG_RANGE:
        scaling = _URNG_RANGE // (urange + 1)
        past = (urange + 1) * scaling
        ret = _next(state) - 1
        while ret >= past:
            ret = _next(state) - 1
        return ret // scaling
    if urange == _URNG_RANGE:
        return _next(state) - 1
    while True:  # wider than one word: a high part recursively, then a low word
        tmp = _WORDS * _uniform(state, urange // _WORDS)
        ret = tmp + (_next(state) - 1)
        if not (ret > urange or ret < tmp):
            return ret


def seed_state(int64_t seed) -> int:
    """The engine state after ``seed(seed)`` (the seed converted to unsigned, mod 2^31-1)."""
    cdef uint64_t s = (<uint64_t>seed) % _M
    return 1 if s == 0 else s


def draw_f64(double[::1] out, double low, double high, uint64_t state) -> int:
    """Fill ``out`` with uniform doubles in [low, high); return the engine state."""
    cdef Py_ssize_t i
    cdef double r = <double>_WORDS, scale = r * r, canon, total
    with nogil:
        for i in range(out.shape[0]):
            total = <double>(_next(&state) - 1)
            total = total + <double>(_next(&state) - 1) * r
            canon = total / scale
            if canon >= 1.0:
                canon = nextafter(1.0, 0.0)
            out[i] = canon * (high - low) + low
    return state


def draw_f32(float[::1] out, float low, float high, uint64_t state) -> int:
    """Fill ``out`` with uniform floats in [low, high); return the engine state."""
    cdef Py_ssize_t i
    cdef float scale = <float>_WORDS, canon
    with nogil:
        for i in range(out.shape[0]):
            canon = <float>(_next(&state) - 1) / scale
            if canon >= 1.0:
                canon = nextafterf(1.0, 0.0)
            out[i] = canon * (high - low) + low
    return state


def draw_i64(int64_t[::1] out, int64_t low, int64_t high, uint64_t state) -> int:
    """Fill ``out`` with uniform integers in [low, high] (both included); the engine state."""
    cdef Py_ssize_t i
    cdef uint64_t urange = <uint64_t>high - <uint64_t>low
    with nogil:
        for i in range(out.shape[0]):
            out[i] = <int64_t>(<uint64_t>low + _uniform(&state, urange))
    return state


def structure(int64_t[::1] row_offsets, int64_t[::1] col_idxs, Py_ssize_t num_cols,
              bint from_full, uint64_t state) -> int:
    """Fill the CSR structure of ``len(row_offsets) - 1`` rows with ``len(col_idxs)``
    non-zeros, drawing as DAPHNE's kernel does after the values; return the engine state."""
    cdef Py_ssize_t num_rows = row_offsets.shape[0] - 1, nnz = col_idxs.shape[0]
    cdef Py_ssize_t r, c, k, pos = 0, assigned
    if num_rows < 1 or num_cols < 1 or nnz > num_rows * num_cols:
        # The loops below would never end or write out of bounds.
        raise ValueError(f"no {num_rows}x{num_cols} structure with {nnz} non-zeros")
    cdef int64_t* counts = &row_offsets[1]
    cdef unsigned char[::1] seen = np.zeros(num_cols, np.uint8)
    cdef uint64_t last_row = num_rows - 1, last_col = num_cols - 1
    with nogil:
        if not from_full:
            memset(counts, 0, num_rows * sizeof(int64_t))
            assigned = 0
            while assigned < nnz:
                r = _uniform(&state, last_row)
                if counts[r] < num_cols:
                    counts[r] += 1
                    assigned += 1
        else:
            for r in range(num_rows):
                counts[r] = num_cols
            assigned = num_rows * num_cols
            while assigned > nnz:
                r = _uniform(&state, last_row)
                if counts[r] > 0:
                    counts[r] -= 1
                    assigned -= 1
        for r in range(num_rows):
            # Mark the drawn columns; a set in C++, so repeats are drawn again.
            k = 0
            while k < (num_cols - counts[r] if from_full else counts[r]):
                c = _uniform(&state, last_col)
                if not seen[c]:
                    seen[c] = 1
                    k += 1
            for c in range(num_cols):
                if seen[c] != from_full:
                    col_idxs[pos] = c
                    pos += 1
                seen[c] = 0
        row_offsets[0] = 0
        for r in range(num_rows):
            row_offsets[r + 1] += row_offsets[r]
    return state
