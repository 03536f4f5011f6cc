# cython: boundscheck=False, wraparound=False, cdivision=True
"""A fused chain of f64 elementwise ops run as a register program over L1-sized strips.

A program is a table of instructions ``(opcode, a, b, dst)``; ``a`` and ``b`` are operand
slots: the program's inputs (flat C-contiguous f64 arrays, read at the strip's position),
then its constants, then its registers (one strip of cells each). Every instruction is one
tight loop over a strip (``fused_loops.h``, also built for AVX2 where the CPU has it); every
op rounds exactly as numpy's ufunc does (IEEE-754 operations in double, built with
``-ffp-contract=off`` so no multiply and add are contracted into an FMA). The GIL is
released for the whole range, so the engine's thread pool runs ranges on all cores.

``sum_nodes`` streams ``np.add.reduce`` over the chain's values without materialising them:
numpy sums a contiguous f64 buffer pairwise (a node of more than 128 cells is split at
``n // 2`` rounded down to a multiple of 8, a leaf sums with 8 accumulators), so each node
of that recursion tree is computed from its cells alone. Nodes of at most ``STRIP`` cells
are evaluated into a strip and summed with numpy's own leaf algorithm; larger nodes add their
halves' sums, as numpy does: the total is bit for bit numpy's sum of the materialised values.
"""

cimport numpy as cnp
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

import numpy as np

cnp.import_array()

cdef extern from "numpy/arrayobject.h":
    object PyArray_Scalar(void *data, cnp.PyArray_Descr *descr, object base)
    object PyDataMem_SetHandler(object handler)
    object PyDataMem_GetHandler()

from daphnelib._native.buffers import _HANDLER as _ALIGNED  # noqa: E402


cdef extern from "fused_loops.h" nogil:
    enum:
        DL_ADD, DL_SUB, DL_MUL, DL_DIV, DL_EQ, DL_NE, DL_LT, DL_LE, DL_GT, DL_GE, DL_MIN,
        DL_MAX, DL_NEG, DL_ABS, DL_NOPS, DL_PW_BLOCK
    void dl_fused_apply(long long op, const double *a, const double *b, double *o,
                        Py_ssize_t n)
    double dl_pairwise_sum(const double *a, Py_ssize_t n)


# Opcodes (fusion.py maps the DaphneDSL ops onto these).
OPCODES = {"+": DL_ADD, "-": DL_SUB, "*": DL_MUL, "/": DL_DIV, "==": DL_EQ, "!=": DL_NE,
           "<": DL_LT, "<=": DL_LE, ">": DL_GT, ">=": DL_GE, "min": DL_MIN, "max": DL_MAX,
           "minus": DL_NEG, "abs": DL_ABS}

cdef enum:
    STRIP = 256  # cells per strip: registers and constants of 2 KiB each stay in L1

STRIP_CELLS = STRIP


cdef struct Machine:
    const long long *code      # ninstr x 4: opcode, a, b, dst
    Py_ssize_t ninstr
    Py_ssize_t ninputs
    const double **inputs     # flat input buffers
    double *fixed             # (nconst + nregs) strips: constants, then registers


cdef inline const double *_slot(Machine *m, long long s, Py_ssize_t pos) noexcept nogil:
    if s < m.ninputs:
        return m.inputs[s] + pos
    return m.fixed + (s - m.ninputs) * STRIP


cdef void _strip(Machine *m, Py_ssize_t pos, Py_ssize_t n, double *last) noexcept nogil:
    """The chain over cells [pos, pos + n), n <= STRIP; the last value goes to ``last``."""
    cdef Py_ssize_t k
    cdef const long long *ins
    cdef double *o
    for k in range(m.ninstr):
        ins = m.code + 4 * k
        o = last if k == m.ninstr - 1 else <double *>_slot(m, ins[3], 0)
        dl_fused_apply(ins[0], _slot(m, ins[1], pos), _slot(m, ins[2], pos), o, n)


cdef double _fused_pairwise(Machine *m, Py_ssize_t pos, Py_ssize_t n,
                            double *strip) noexcept nogil:
    """numpy's pairwise sum of the chain's values at cells [pos, pos + n)."""
    cdef Py_ssize_t n2
    if n <= STRIP:
        _strip(m, pos, n, strip)
        return dl_pairwise_sum(strip, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _fused_pairwise(m, pos, n2, strip) + _fused_pairwise(m, pos + n2, n - n2, strip)


cdef int _check_code(const long long[:, ::1] code, Py_ssize_t nin, Py_ssize_t nconsts,
                     Py_ssize_t nregs, bint last_in_register) except -1:
    """Raise ValueError unless ``code`` is a register program the machine can run safely:
    known opcodes, operands within the slots, every destination a register (the last one
    may be the output strip unless ``last_in_register``)."""
    cdef Py_ssize_t k, i, nslots = nin + nconsts + nregs
    if code.shape[1] != 4 or code.shape[0] == 0 or nregs < 0:
        raise ValueError("a fused program is a non-empty table of (op, a, b, dst) rows "
                         "and a number of registers")
    for k in range(code.shape[0]):
        if not 0 <= code[k, 0] < DL_NOPS:
            raise ValueError(f"unknown opcode {code[k, 0]}")
        for i in range(1, 3):
            if not 0 <= code[k, i] < nslots:
                raise ValueError(f"operand slot {code[k, i]} out of range")
        if ((last_in_register or k < code.shape[0] - 1)
                and not nin + nconsts <= code[k, 3] < nslots):
            raise ValueError(f"destination slot {code[k, 3]} is not a register")
    return 0


cdef class _Run:
    """A machine for one call: input pointers, constants and registers (per thread)."""

    cdef Machine m
    cdef object keep

    def __cinit__(self, const long long[:, ::1] code, tuple inputs, const double[::1] consts,
                  Py_ssize_t nregs, Py_ssize_t ncells):
        cdef Py_ssize_t k, i, nin = len(inputs)
        cdef const double[::1] view
        self.m.inputs = NULL
        self.m.fixed = NULL
        _check_code(code, nin, consts.shape[0], nregs, False)
        nslots = nin + consts.shape[0] + nregs
        self.keep = (code, inputs)
        self.m.code = &code[0, 0]
        self.m.ninstr = code.shape[0]
        self.m.ninputs = nin
        self.m.inputs = <const double **>malloc(max(nin, 1) * sizeof(double *))
        self.m.fixed = <double *>malloc(max(nslots - nin, 1) * STRIP * sizeof(double))
        if self.m.inputs == NULL or self.m.fixed == NULL:
            raise MemoryError()
        for k in range(nin):
            view = inputs[k]
            if view.shape[0] != ncells:
                raise ValueError(f"input {k} has {view.shape[0]} cells, expected {ncells}")
            self.m.inputs[k] = &view[0] if ncells else NULL
        for k in range(consts.shape[0]):
            for i in range(STRIP):
                self.m.fixed[k * STRIP + i] = consts[k]

    def __dealloc__(self):
        free(self.m.inputs)
        free(self.m.fixed)


def run_into(const long long[:, ::1] code, tuple inputs, const double[::1] consts,
             Py_ssize_t nregs, double[::1] out, Py_ssize_t lo, Py_ssize_t hi) -> None:
    """Write the chain's values at cells [lo, hi) into ``out[lo:hi]`` (GIL released)."""
    if not 0 <= lo <= hi <= out.shape[0]:
        raise ValueError(f"cells [{lo}, {hi}) are outside the result's {out.shape[0]}")
    run = _Run(code, inputs, consts, nregs, out.shape[0])
    cdef Machine *m = &run.m
    cdef Py_ssize_t pos
    cdef double *dst = &out[0] if hi > lo else NULL
    with nogil:
        pos = lo
        while pos < hi:
            _strip(m, pos, min(STRIP, hi - pos), dst + pos)
            pos += STRIP


def sum_nodes(const long long[:, ::1] code, tuple inputs, const double[::1] consts,
              Py_ssize_t nregs, Py_ssize_t ncells, const Py_ssize_t[:, ::1] nodes,
              double[::1] partials) -> None:
    """``partials[i]`` := numpy's pairwise sum of the chain's values over the cells of tree
    node ``nodes[i] = (start, length)`` (GIL released)."""
    cdef Py_ssize_t i
    if nodes.shape[1] != 2 or partials.shape[0] != nodes.shape[0]:
        raise ValueError("nodes must be (start, length) rows, one partial sum each")
    for i in range(nodes.shape[0]):
        if not (0 <= nodes[i, 0] and 0 <= nodes[i, 1] <= ncells - nodes[i, 0]):
            raise ValueError(f"node {i} is outside the {ncells} cells")
    run = _Run(code, inputs, consts, nregs, ncells)
    cdef Machine *m = &run.m
    cdef double *strip = <double *>malloc(STRIP * sizeof(double))
    if strip == NULL:
        raise MemoryError()
    with nogil:
        for i in range(nodes.shape[0]):
            partials[i] = _fused_pairwise(m, nodes[i, 0], nodes[i, 1], strip)
    free(strip)


def row_sums(const long long[:, ::1] code, tuple inputs, const double[::1] consts,
             Py_ssize_t nregs, Py_ssize_t ncols, double[::1] out, Py_ssize_t lo,
             Py_ssize_t hi) -> None:
    """``out[r]`` := ``np.add.reduce`` of row r of the chain's values (n x ``ncols``, C
    order) for rows [lo, hi): numpy sums each contiguous row pairwise from 0.0 (GIL
    released). Rows of at most a strip are evaluated a strip of whole rows at a time."""
    if ncols <= 0 or not 0 <= lo <= hi <= out.shape[0]:
        raise ValueError(f"rows [{lo}, {hi}) of {ncols} cells are outside the result")
    run = _Run(code, inputs, consts, nregs, out.shape[0] * ncols)
    cdef Machine *m = &run.m
    cdef Py_ssize_t r, j, k, per = max(STRIP // ncols, 1)
    cdef double *strip = <double *>malloc(STRIP * sizeof(double))
    if strip == NULL:
        raise MemoryError()
    with nogil:
        r = lo
        while r < hi:
            if ncols > STRIP:
                out[r] = 0.0 + _fused_pairwise(m, r * ncols, ncols, strip)
                r += 1
                continue
            k = min(per, hi - r)
            _strip(m, r * ncols, k * ncols, strip)
            for j in range(k):
                out[r + j] = 0.0 + dl_pairwise_sum(strip + j * ncols, ncols)
            r += k
    free(strip)


cdef void _collect(Py_ssize_t pos, Py_ssize_t n, Py_ssize_t size, list out):
    cdef Py_ssize_t n2
    if n <= size or n <= DL_PW_BLOCK:
        out.append((pos, n))
        return
    n2 = n // 2
    n2 -= n2 % 8
    _collect(pos, n2, size, out)
    _collect(pos + n2, n - n2, size, out)


def tree_nodes(Py_ssize_t ncells, Py_ssize_t size):
    """The nodes of numpy's pairwise tree over ``ncells`` cells that are the first of at most
    ``size`` cells on their path from the root, in order: (start, length) rows."""
    out = []
    _collect(0, ncells, max(size, 1), out)
    return np.array(out, dtype=np.intp).reshape(-1, 2)


cdef double _combine(Py_ssize_t n, Py_ssize_t size, const double *partials,
                     Py_ssize_t *at) noexcept:
    cdef Py_ssize_t n2
    cdef double lhs
    if n <= size or n <= DL_PW_BLOCK:
        at[0] += 1
        return partials[at[0] - 1]
    n2 = n // 2
    n2 -= n2 % 8
    lhs = _combine(n2, size, partials, at)
    return lhs + _combine(n - n2, size, partials, at)


def tree_sum(Py_ssize_t ncells, Py_ssize_t size, const double[::1] partials) -> float:
    """``np.add.reduce`` of the cells whose :func:`tree_nodes` sums are ``partials``: the
    nodes' sums added up the tree, then to the reduction's initial value 0.0, as numpy does."""
    cdef Py_ssize_t at = 0
    if partials.shape[0] != tree_nodes(ncells, size).shape[0]:
        raise ValueError("one partial sum per tree node expected")
    return 0.0 + _combine(ncells, max(size, 1), &partials[0], &at)


def pairwise_sum(const double[::1] a) -> float:
    """``np.add.reduce`` of a contiguous f64 buffer, computed as numpy does (for tests)."""
    return 0.0 + dl_pairwise_sum(&a[0] if a.shape[0] else NULL, a.shape[0])


cdef object _F64 = np.dtype(np.float64)
cdef enum:
    MAX_SMALL_INPUTS = 8

#: The most inputs a :class:`Small` program takes (more: the pipeline's other paths).
SMALL_INPUTS = MAX_SMALL_INPUTS

#: What a :class:`Small` program computes: the chain's value, its sum, or its row sums.
VALUES, TOTAL, ROWS = 0, 1, 2


cdef object _aligned_empty(cnp.npy_intp *dims):
    """A new C-ordered f64 matrix from the 64-byte aligned allocator (numpy's current
    allocator when it is that one already, else set for this allocation only)."""
    previous = PyDataMem_GetHandler()
    if previous is _ALIGNED:
        return cnp.PyArray_EMPTY(2, dims, cnp.NPY_DOUBLE, 0)
    PyDataMem_SetHandler(_ALIGNED)
    try:
        return cnp.PyArray_EMPTY(2, dims, cnp.NPY_DOUBLE, 0)
    finally:
        PyDataMem_SetHandler(previous)


cdef class Small:
    """A chain run in one call on small matrices: what the fused pipeline's unfused ops give
    for C-contiguous f64 inputs of one shape, computed as :func:`run_into`, ``sum_nodes``
    and :func:`row_sums` compute it (the same bits as the ufuncs and ``np.add.reduce``).

    Called with ``(limit, *inputs)``; returns None, computing nothing, unless every input is
    a C-contiguous 2-D array of dtype float64 (native byte order, no metadata) of the first
    input's shape with at least one and fewer than ``limit`` cells, and holds no NaN. The
    result is a new n x m matrix, an ``np.float64`` or a new n x 1 matrix, per ``mode``; a
    matrix is allocated 64-byte aligned as inside an engine run (``_native/buffers``), also
    when called outside one (the executor's direct path).

    Without NaN inputs (or constants, see ``fusion._small_program``) every NaN the chain
    makes is the CPU's default NaN, so which operand's NaN an op returns (the compiler's
    choice, here as in numpy) cannot change a bit of the result.
    """

    cdef long long *code
    cdef double *consts
    cdef Py_ssize_t ninstr, ninputs, nconsts, nregs
    cdef int mode

    def __cinit__(self, const long long[:, ::1] code, Py_ssize_t ninputs,
                  const double[::1] consts, Py_ssize_t nregs, int mode):
        cdef Py_ssize_t k
        self.code = NULL
        self.consts = NULL
        if not 0 < ninputs <= MAX_SMALL_INPUTS or mode not in (VALUES, TOTAL, ROWS):
            raise ValueError(f"1 to {MAX_SMALL_INPUTS} inputs and a mode of VALUES, TOTAL, ROWS")
        _check_code(code, ninputs, consts.shape[0], nregs, True)
        self.ninstr, self.ninputs = code.shape[0], ninputs
        self.nconsts, self.nregs, self.mode = consts.shape[0], nregs, mode
        self.code = <long long *>malloc(self.ninstr * 4 * sizeof(long long))
        self.consts = <double *>malloc(max(self.nconsts, 1) * sizeof(double))
        if self.code == NULL or self.consts == NULL:
            raise MemoryError()
        memcpy(self.code, &code[0, 0], self.ninstr * 4 * sizeof(long long))
        for k in range(self.nconsts):
            self.consts[k] = consts[k]

    def __dealloc__(self):
        free(self.code)
        free(self.consts)

    def __call__(self, Py_ssize_t limit, *inputs):
        cdef Py_ssize_t k, i, j, per, n = 0, m = 0, ncells
        cdef cnp.ndarray x
        cdef const double *data[MAX_SMALL_INPUTS]
        cdef cnp.npy_intp dims[2]
        if len(inputs) != self.ninputs:
            raise TypeError(f"expected {self.ninputs} inputs, got {len(inputs)}")
        for k in range(self.ninputs):
            if type(inputs[k]) is not np.ndarray:
                return None
            x = <cnp.ndarray>inputs[k]
            if (<object>cnp.PyArray_DESCR(x) is not _F64 or cnp.PyArray_NDIM(x) != 2
                    or not cnp.PyArray_IS_C_CONTIGUOUS(x)):
                return None
            if k == 0:
                n, m = cnp.PyArray_DIM(x, 0), cnp.PyArray_DIM(x, 1)
            elif cnp.PyArray_DIM(x, 0) != n or cnp.PyArray_DIM(x, 1) != m:
                return None
            data[k] = <const double *>cnp.PyArray_DATA(x)
        ncells = n * m
        if not 0 < ncells < limit:
            return None
        for k in range(self.ninputs):
            for i in range(ncells):
                if data[k][i] != data[k][i]:
                    return None  # a NaN (see the class docstring)
        # A machine as _Run builds it, without the checks (made in __cinit__).
        cdef Machine mach
        cdef double *strip = NULL
        cdef double *dst
        cdef double total
        mach.code = self.code
        mach.ninstr = self.ninstr
        mach.ninputs = self.ninputs
        mach.inputs = data
        mach.fixed = <double *>malloc((self.nconsts + self.nregs + 1) * STRIP * sizeof(double))
        if mach.fixed == NULL:
            raise MemoryError()
        for k in range(self.nconsts):
            for i in range(STRIP):
                mach.fixed[k * STRIP + i] = self.consts[k]
        try:
            if self.mode == TOTAL:
                strip = mach.fixed + (self.nconsts + self.nregs) * STRIP
                total = 0.0 + _fused_pairwise(&mach, 0, ncells, strip)
                return PyArray_Scalar(&total, cnp.PyArray_DESCR(<cnp.ndarray>inputs[0]), None)
            dims[0], dims[1] = n, (1 if self.mode == ROWS else m)
            out = _aligned_empty(dims)
            dst = <double *>cnp.PyArray_DATA(out)
            if self.mode == VALUES:
                for k in range(0, ncells, STRIP):
                    _strip(&mach, k, min(STRIP, ncells - k), dst + k)
                return out
            strip = mach.fixed + (self.nconsts + self.nregs) * STRIP
            per = max(STRIP // m, 1)
            k = 0
            while k < n:
                if m > STRIP:
                    dst[k] = 0.0 + _fused_pairwise(&mach, k * m, m, strip)
                    k += 1
                    continue
                i = min(per, n - k)
                _strip(&mach, k * m, i * m, strip)
                for j in range(i):
                    dst[k + j] = 0.0 + dl_pairwise_sum(strip + j * m, m)
                k += i
            return out
        finally:
            free(mach.fixed)
