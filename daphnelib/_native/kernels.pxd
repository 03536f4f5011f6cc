from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t

# The integer value types DAPHNE holds (bool travels as uint8: same layout, values 0/1).
ctypedef fused int_t:
    int8_t
    int32_t
    int64_t
    uint8_t
    uint32_t
    uint64_t

# The signed ones, where x / -1 needs care (INT_MIN / -1 overflows).
ctypedef fused signed_t:
    int8_t
    int32_t
    int64_t

ctypedef fused float_t:
    float
    double


# C integer '/' (truncating) and '%' (sign of the dividend) over 2-D strided views; an
# operand dimension of extent 1 broadcasts. They stop at the first zero divisor and return 1.
cdef int trunc_div_2d(const int_t[:, :] a, const int_t[:, :] b, int_t[:, ::1] out) noexcept nogil
cdef int c_mod_2d(const int_t[:, :] a, const int_t[:, :] b, int_t[:, ::1] out) noexcept nogil
# DAPHNE's integer '^': pow() in double, converted back to the integer type.
cdef void int_pow_2d(const int_t[:, :] a, const int_t[:, :] b, int_t[:, ::1] out) noexcept nogil
# C's round(): halves away from zero.
cdef void round_2d(const float_t[:, :] x, float_t[:, ::1] out) noexcept nogil
