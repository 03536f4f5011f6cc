/* The loops of the fused f64 kernel (fused.pyx): one elementwise op over a strip, and numpy's
 * pairwise sum.
 *
 * Each is compiled twice where GCC or clang can dispatch at load time (glibc ifuncs): for AVX2
 * and for the baseline, so a wheel built for any x86-64 uses the wide registers where the CPU
 * has them. Both versions compute the same bits: every op is one correctly rounded IEEE-754
 * operation (the build passes -ffp-contract=off and the clones do not enable FMA), and the
 * pairwise sum keeps numpy's accumulators and order whatever the vector width (which of two
 * NaNs an addition returns is the compiler's choice, here as in numpy). */
#ifndef DAPHNELIB_FUSED_LOOPS_H
#define DAPHNELIB_FUSED_LOOPS_H
#include <math.h>
#include <stddef.h>

/* ifuncs need glibc's loader (musl has none). */
#if defined(__x86_64__) && defined(__ELF__) && defined(__GLIBC__) \
    && (defined(__GNUC__) || defined(__clang__))
#define DL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DL_CLONES
#endif

enum {
    DL_ADD, DL_SUB, DL_MUL, DL_DIV, DL_EQ, DL_NE, DL_LT, DL_LE, DL_GT, DL_GE, DL_MIN, DL_MAX,
    DL_NEG, DL_ABS, DL_NOPS
};

/* numpy's pairwise leaf size (PW_BLOCKSIZE in numpy's loops_utils.h). */
#define DL_PW_BLOCK 128

#define DL_LOOP(expr) for (ptrdiff_t i = 0; i < n; i++) o[i] = (expr); break

/* o := a op b over n cells (b is ignored by the unary ops). o may be a or b. */
DL_CLONES static void dl_fused_apply(long long op, const double *a, const double *b,
                                     double *o, ptrdiff_t n) {
    switch (op) {
    case DL_ADD: DL_LOOP(a[i] + b[i]);
    case DL_SUB: DL_LOOP(a[i] - b[i]);
    case DL_MUL: DL_LOOP(a[i] * b[i]);
    case DL_DIV: DL_LOOP(a[i] / b[i]);
    case DL_EQ: DL_LOOP(a[i] == b[i] ? 1.0 : 0.0);
    case DL_NE: DL_LOOP(a[i] != b[i] ? 1.0 : 0.0);
    case DL_LT: DL_LOOP(a[i] < b[i] ? 1.0 : 0.0);
    case DL_LE: DL_LOOP(a[i] <= b[i] ? 1.0 : 0.0);
    case DL_GT: DL_LOOP(a[i] > b[i] ? 1.0 : 0.0);
    case DL_GE: DL_LOOP(a[i] >= b[i] ? 1.0 : 0.0);
    /* std::min: the lhs unless the rhs is smaller (so NaN lhs, equal zeros); std::max: the
     * lhs unless it is smaller. */
    case DL_MIN: DL_LOOP(b[i] < a[i] ? b[i] : a[i]);
    case DL_MAX: DL_LOOP(a[i] < b[i] ? b[i] : a[i]);
    case DL_NEG: DL_LOOP(-a[i]);
    case DL_ABS: DL_LOOP(fabs(a[i]));
    default: break;
    }
}

#undef DL_LOOP

/* numpy's pairwise sum of a contiguous f64 buffer (DOUBLE_pairwise_sum), step for step. */
DL_CLONES static double dl_pairwise_sum(const double *a, ptrdiff_t n) {
    if (n < 8) {
        double res = -0.0;  /* numpy starts here: a sum of -0.0s stays -0.0 */
        for (ptrdiff_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= DL_PW_BLOCK) {
        double r[8];
        ptrdiff_t i;
        for (int j = 0; j < 8; j++) r[j] = a[j];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    ptrdiff_t n2 = n / 2;
    n2 -= n2 % 8;
    return dl_pairwise_sum(a, n2) + dl_pairwise_sum(a + n2, n - n2);
}

#endif
