# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native buffers: the 64-byte aligned allocator and the result reader.

The executor describes its output in a :c:type:`DaphneLibResult` (pointers, shape, value-type
codes, labels); the reader turns that record into numpy arrays over the same memory, with the
:class:`Result` as their base object, so a buffer lives exactly as long as its last view.
"""

cimport numpy as cnp
from cpython.bytes cimport PyBytes_AS_STRING
from cpython.contextvars cimport PyContextVar_Reset, PyContextVar_Set
from libc.stdint cimport int64_t, uintptr_t
from libc.stdlib cimport free, malloc

import numpy as np

cnp.import_array()

cdef extern from "aligned_alloc.h":
    int DL_ALIGN
    object dl_aligned_handler_capsule()

cdef extern from "numpy/arrayobject.h":
    object PyDataMem_SetHandler(object handler)
    object PyArray_NewFromDescr(type subtype, object descr, int nd, cnp.npy_intp *dims,
                                cnp.npy_intp *strides, void *data, int flags, object obj)

ALIGNMENT = DL_ALIGN
_HANDLER = dl_aligned_handler_capsule()

# Value-type codes of DAPHNE's C ABI, by numpy dtype character (bool and other dtypes the ABI
# lacks have no code: -1; their layout travels in the descr).
_VTC = {"b": 0, "i": 1, "l": 2, "q": 2, "B": 3, "I": 4, "L": 5, "Q": 5, "f": 6, "d": 7, "T": 8}


cdef class aligned_allocation:
    """Context manager: numpy allocations inside it are 64-byte aligned.

    The handler is kept in a context variable by numpy, so other threads and tasks are not
    affected; arrays remember their handler, so they can be freed after the block exits.
    """

    cdef object _previous

    def __enter__(self):
        self._previous = PyDataMem_SetHandler(_HANDLER)
        return self

    def __exit__(self, exc_type, exc, tb):
        PyDataMem_SetHandler(self._previous)
        self._previous = None
        return False


def run_aligned(runner, program, env, state_var, state):
    """``runner(program, env)`` inside :class:`aligned_allocation` with the context variable
    ``state_var`` set to ``state``, both restored afterwards (also when it raises).

    The executor's top-level runs enter these two contexts (the allocator, numpy's error
    state) around every run; one C call does it for a fraction of the Python calls.
    """
    cdef object previous = PyDataMem_SetHandler(_HANDLER)
    cdef object token
    try:
        token = PyContextVar_Set(state_var, state)
    except BaseException:
        PyDataMem_SetHandler(previous)
        raise
    try:
        return runner(program, env)
    finally:
        PyContextVar_Reset(state_var, token)
        PyDataMem_SetHandler(previous)


def is_aligned(cnp.ndarray arr, Py_ssize_t alignment=DL_ALIGN):
    """Whether ``arr``'s data pointer is a multiple of ``alignment`` bytes."""
    return (<uintptr_t>cnp.PyArray_DATA(arr)) % alignment == 0


def aligned_copy(arr):
    """A C-contiguous, 64-byte aligned copy of ``arr`` (the one copy for unaligned input)."""
    with aligned_allocation():
        return np.array(arr, order="C", copy=True)


cdef inline int64_t _vtc_of(object dtype):
    return _VTC.get(dtype.char, -1)


cdef class Result:
    """A filled DaphneLibResult plus the owner of every buffer it points to."""

    def __dealloc__(self):
        free(self.c_result.vtcs)
        free(self.c_result.labels)
        free(self.c_result.columns)

    @property
    def rows(self) -> int:
        return self.c_result.rows

    @property
    def cols(self) -> int:
        return self.c_result.cols

    @property
    def vtc(self) -> int:
        return self.c_result.vtc

    @property
    def error(self):
        if self.c_result.error_message == NULL:
            return None
        return (<bytes>self.c_result.error_message).decode("utf-8", "replace")

    @property
    def is_frame(self) -> bool:
        return self.c_result.columns != NULL

    cdef cnp.ndarray _view(self, void *data, int nd, cnp.npy_intp *dims,
                           cnp.npy_intp *strides, object descr):
        cdef int flags = cnp.NPY_ARRAY_ALIGNED
        if self._writeable:
            flags |= cnp.NPY_ARRAY_WRITEABLE
        # NewFromDescr steals a reference to descr; the base keeps the memory alive.
        cnp.Py_INCREF(descr)
        cdef cnp.ndarray arr = PyArray_NewFromDescr(np.ndarray, descr, nd, dims, strides,
                                                    data, flags, None)
        cnp.set_array_base(arr, self)
        return arr

    def matrix(self):
        """The matrix result as a 2-D C-ordered array over the result buffer (no copy)."""
        if self.c_result.address == NULL and self.c_result.rows * self.c_result.cols != 0:
            raise RuntimeError("the result holds no matrix")
        cdef cnp.npy_intp dims[2]
        dims[0] = self.c_result.rows
        dims[1] = self.c_result.cols
        return self._view(self.c_result.address, 2, dims, NULL, self._descrs[0])

    def columns(self):
        """The frame's columns as 1-D arrays over the result buffers (no copy)."""
        if self.c_result.columns == NULL:
            raise RuntimeError("the result holds no frame")
        cdef Py_ssize_t i, n = self.c_result.cols
        cdef cnp.npy_intp dims[1]
        dims[0] = self.c_result.rows
        cdef list out = [None] * n
        for i in range(n):
            out[i] = self._view(self.c_result.columns[i], 1, dims, NULL, self._descrs[i])
        return out

    def labels(self):
        """The frame's column labels, decoded from the result's C strings."""
        cdef Py_ssize_t i, n = self.c_result.cols
        return [(<bytes>self.c_result.labels[i]).decode("utf-8") for i in range(n)]

    def vtcs(self):
        cdef Py_ssize_t i, n = self.c_result.cols
        return [self.c_result.vtcs[i] for i in range(n)]

    def block(self):
        """All columns as one (rows, cols) Fortran-ordered array, or None.

        Possible when every column has the same numeric dtype and the columns lie back to back
        in one buffer; then a DataFrame can take the whole frame as a single block.
        """
        cdef Py_ssize_t i, n = self.c_result.cols
        if self.c_result.columns == NULL or n == 0 or self.c_result.rows == 0:
            return None
        descr = self._descrs[0]
        if descr.kind not in "biufcmM":
            return None
        cdef Py_ssize_t itemsize = descr.itemsize
        cdef char *base = <char *>self.c_result.columns[0]
        cdef Py_ssize_t step = itemsize * self.c_result.rows
        for i in range(1, n):
            if <char *>self.c_result.columns[i] != base + i * step:
                return None
        for i in range(1, n):
            if self._descrs[i] is not descr and self._descrs[i] != descr:
                return None
        cdef cnp.npy_intp dims[2]
        cdef cnp.npy_intp strides[2]
        dims[0] = self.c_result.rows
        dims[1] = n
        strides[0] = itemsize
        strides[1] = step
        return self._view(base, 2, dims, strides, descr)

    def blocks(self):
        """The frame's columns grouped into 2-D blocks, for building a DataFrame block-wise.

        Returns ``[(block, positions)]``: ``block`` is a (k, rows) C-ordered view of k
        same-dtype columns that lie back to back in one buffer (the rows of a pandas block or of
        an engine gather buffer), ``positions`` (int64) their column positions in block-row
        order; every other column is a block of its own. Columns are matched by their
        addresses, whatever their order in the frame; no data is copied.
        """
        if self.c_result.columns == NULL:
            raise RuntimeError("the result holds no frame")
        cdef Py_ssize_t n = self.c_result.cols, i, j, k, start
        cdef Py_ssize_t rows = self.c_result.rows
        addresses = np.empty(n, dtype=np.uintp)
        cdef size_t[::1] addr = addresses
        for i in range(n):
            addr[i] = <size_t>self.c_result.columns[i]
        order = np.argsort(addresses, kind="stable").astype(np.int64)
        cdef int64_t[::1] by_addr = order
        cdef list out = []
        cdef cnp.npy_intp dims[2]
        cdef cnp.npy_intp strides[2]
        cdef Py_ssize_t itemsize, step
        start = 0
        while start < n:
            i = by_addr[start]
            descr = self._descrs[i]
            itemsize = descr.itemsize
            step = itemsize * rows
            k = start + 1
            if rows > 0 and descr.kind in "biufcmM":
                while k < n:
                    j = by_addr[k]
                    if (addr[j] != addr[by_addr[k - 1]] + <size_t>step
                            or (self._descrs[j] is not descr and self._descrs[j] != descr)):
                        break
                    k += 1
            dims[0] = k - start
            dims[1] = rows
            strides[0] = step
            strides[1] = itemsize
            out.append((self._view(self.c_result.columns[i], 2, dims, strides, descr),
                        order[start:k]))
            start = k
        return out


cdef inline cnp.ndarray _contiguous(object arr):
    # The record carries no strides: a strided engine array is packed once here.
    if not cnp.PyArray_IS_C_CONTIGUOUS(arr):
        return aligned_copy(arr)
    return arr


def matrix_result(arr):
    """Describe a 2-D engine array in a Result (packs it first if it is strided)."""
    return _matrix_result(arr)


cdef Result _matrix_result(object arr):
    cdef cnp.ndarray a = _contiguous(arr)
    if a.ndim != 2:
        raise ValueError(f"a matrix result must be 2-D, got shape {arr.shape}")
    cdef Result r = Result.__new__(Result)
    r.c_result.address = cnp.PyArray_DATA(a)
    r.c_result.rows = a.shape[0]
    r.c_result.cols = a.shape[1]
    r.c_result.vtc = _vtc_of(a.dtype)
    r._owner = a
    r._descrs = [a.dtype]
    r._writeable = cnp.PyArray_ISWRITEABLE(a)
    return r


def matrix_view(arr):
    """``matrix_result(arr).matrix()`` in one call: the caller's 2-D array over a 2-D
    engine array (read-only when the engine array is)."""
    cdef Result r = _matrix_result(arr)
    cdef cnp.npy_intp dims[2]
    dims[0] = r.c_result.rows
    dims[1] = r.c_result.cols
    return r._view(r.c_result.address, 2, dims, NULL, r._descrs[0])


def frame_result(list columns, list labels, Py_ssize_t nrow):
    """Describe a frame's 1-D columns and labels in a Result (strided columns are packed)."""
    cdef Py_ssize_t i, n = len(columns)
    if len(labels) != n:
        raise ValueError(f"{n} columns but {len(labels)} labels")
    cdef Result r = Result.__new__(Result)
    cdef list owned = [None] * n
    cdef list label_bytes = [None] * n
    cdef bint writeable = True
    cdef cnp.ndarray col
    r.c_result.rows = nrow
    r.c_result.cols = n
    r.c_result.vtc = -1
    # malloc(0) may return NULL; one extra slot keeps "frame" distinguishable from "matrix".
    r.c_result.vtcs = <int64_t *>malloc((n + 1) * sizeof(int64_t))
    r.c_result.labels = <char **>malloc((n + 1) * sizeof(char *))
    r.c_result.columns = <void **>malloc((n + 1) * sizeof(void *))
    if r.c_result.vtcs == NULL or r.c_result.labels == NULL or r.c_result.columns == NULL:
        raise MemoryError()
    r._descrs = [None] * n
    for i in range(n):
        col = _contiguous(columns[i])
        if col.ndim != 1 or col.shape[0] != nrow:
            raise ValueError(f"frame column {i} has shape {columns[i].shape}, expected ({nrow},)")
        owned[i] = col
        label_bytes[i] = (<str>labels[i]).encode("utf-8")
        r.c_result.columns[i] = cnp.PyArray_DATA(col)
        r.c_result.labels[i] = PyBytes_AS_STRING(label_bytes[i])
        r.c_result.vtcs[i] = _vtc_of(col.dtype)
        r._descrs[i] = col.dtype
        writeable = writeable and col.flags.writeable
    r._owner = (owned, label_bytes)
    r._writeable = writeable
    return r


def error_result(str message):
    """A Result that carries only an error message."""
    cdef Result r = Result.__new__(Result)
    cdef bytes msg = message.encode("utf-8")
    r.c_result.error_message = PyBytes_AS_STRING(msg)
    r._owner = msg
    r._descrs = []
    return r
