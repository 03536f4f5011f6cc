# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Elementwise kernels numpy has no one-pass ufunc for: C's integer ``/``, ``%`` and ``^``, round.

numpy's ``//`` and ``%`` floor; DAPHNE truncates like C. The integer kernels take 2-D views of
any strides whose dimensions equal the result's or are 1 (broadcast in the loop, never
copied), write a C-contiguous result, run without the GIL and report a zero divisor instead of
trapping. ``INT_MIN / -1`` wraps to ``INT_MIN`` and ``INT_MIN % -1`` is 0 (the C expressions
would trap on x86). Integer ``^`` is libm's ``pow`` in double converted back, as DAPHNE does:
numpy's vectorised power may be 1 ulp off, which truncation turns into an off-by-one integer.
numpy rounds halves to even; ``round_half_away`` is C's ``round``.
"""

from libc.math cimport copysign, fabs, pow
from libc.stdint cimport int64_t, uint64_t


cdef inline Py_ssize_t _step(Py_ssize_t extent) noexcept nogil:
    # A dimension of extent 1 broadcasts: its index stays 0.
    return 0 if extent == 1 else 1


cdef int trunc_div_2d(const int_t[:, :] a, const int_t[:, :] b,
                      int_t[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef Py_ssize_t ra = _step(a.shape[0]), ca = _step(a.shape[1])
    cdef Py_ssize_t rb = _step(b.shape[0]), cb = _step(b.shape[1])
    cdef int_t x, d
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            d = b[i * rb, j * cb]
            if d == 0:
                return 1
            x = a[i * ra, j * ca]
            if int_t in signed_t and d == -1:
                # Two's-complement negation through uint64 wraps INT_MIN onto itself.
                out[i, j] = <int_t>(<uint64_t>0 - <uint64_t>x)
            else:
                out[i, j] = x // d
    return 0


cdef int c_mod_2d(const int_t[:, :] a, const int_t[:, :] b,
                  int_t[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef Py_ssize_t ra = _step(a.shape[0]), ca = _step(a.shape[1])
    cdef Py_ssize_t rb = _step(b.shape[0]), cb = _step(b.shape[1])
    cdef int_t d
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            d = b[i * rb, j * cb]
            if d == 0:
                return 1
            if int_t in signed_t and d == -1:
                out[i, j] = 0
            else:
                out[i, j] = a[i * ra, j * ca] % d
    return 0


cdef void int_pow_2d(const int_t[:, :] a, const int_t[:, :] b,
                     int_t[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef Py_ssize_t ra = _step(a.shape[0]), ca = _step(a.shape[1])
    cdef Py_ssize_t rb = _step(b.shape[0]), cb = _step(b.shape[1])
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = <int_t>pow(<double>a[i * ra, j * ca], <double>b[i * rb, j * cb])


cdef _check_shapes(tuple a, tuple b, tuple out):
    # The loops index without bounds checks: every operand must broadcast to out.
    for shape in (a, b):
        for extent, n in zip(shape[:2], out[:2]):
            if extent != n and extent != 1:
                raise ValueError(f"operand shape {shape[:2]} does not broadcast to {out[:2]}")


def trunc_div(const int_t[:, :] a, const int_t[:, :] b, int_t[:, ::1] out) -> bool:
    """``out = a / b`` with C semantics; True when a divisor is 0 (``out`` is then partial).

    ``a`` and ``b`` have out's shape or broadcast to it (a dimension of extent 1).
    """
    _check_shapes(a.shape, b.shape, out.shape)
    cdef int zero
    with nogil:
        zero = trunc_div_2d(a, b, out)
    return zero != 0


def c_mod(const int_t[:, :] a, const int_t[:, :] b, int_t[:, ::1] out) -> bool:
    """``out = a % b`` with C semantics; True when a divisor is 0 (``out`` is then partial)."""
    _check_shapes(a.shape, b.shape, out.shape)
    cdef int zero
    with nogil:
        zero = c_mod_2d(a, b, out)
    return zero != 0


def int_pow(const int_t[:, :] a, const int_t[:, :] b, int_t[:, ::1] out) -> None:
    """``out = a ^ b`` computed as ``pow(double(a), double(b))`` and converted back."""
    _check_shapes(a.shape, b.shape, out.shape)
    with nogil:
        int_pow_2d(a, b, out)


cdef inline float_t _round_one(float_t x) noexcept nogil:
    # Below 2^52 (2^23 for float) a value may have a fraction: truncate through int64 (one SSE2
    # instruction, where libm's round is a call per cell) and step away from zero on halves.
    # Larger magnitudes, infinities and NaN are their own rounding (NaN fails the test).
    cdef float_t limit = 8388608.0 if float_t is float else 4503599627370496.0
    cdef float_t t, d
    if fabs(x) < limit:
        t = <float_t>(<int64_t>x)
        d = x - t  # exact
        t = t + <float_t>(<int>(d >= 0.5) - <int>(d <= -0.5))
        return copysign(t, x)  # round(-0.3) is -0.0
    return x


cdef void round_2d(const float_t[:, :] x, float_t[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t i, j
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = _round_one(x[i, j])


def round_half_away(const float_t[:, :] x, float_t[:, ::1] out) -> None:
    """``out = round(x)`` with C semantics: halfway cases away from zero."""
    with nogil:
        round_2d(x, out)
