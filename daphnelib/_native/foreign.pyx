# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False
"""The second producer of :class:`~daphnelib._native.buffers.Result`: a libdaphnelib.

``getResult()`` returns DAPHNE's C++ ``DaphneLibResult`` *by value*, and that struct ends
with a ``std::string error_message``. A ``char*`` in its place (DaphneLib's ctypes
declaration) gives the wrong size, and the wrong return convention. This module is
compiled as C++ so the C++ compiler itself declares the struct, calls ``getResult``
through its address (from ctypes) and destroys the returned copy, string included. No
shim is compiled at run time, and no size of ``std::string`` is hard-coded (it is 32 bytes
in libstdc++ but differs in other standard libraries). Only the
fields before the message are read; the message itself is copied out.

Lifetime contract: DAPHNE never frees a result (``saveDaphneLibResult`` keeps a reference;
DAPHNE issue #713), so the arrays built here view memory that stays valid as long as the
library keeps it: for DAPHNE today that is the lifetime of the process, and a library that
reuses its result on the next run would invalidate the views then. This module never frees
that memory (it is not ours). ``copy=True`` copies the data into buffers daphnelib owns,
for results kept for a long time.
"""

cimport numpy as cnp
from cpython.bytes cimport PyBytes_AS_STRING
from libc.stdint cimport int64_t, uintptr_t
from libc.stdlib cimport malloc
from libcpp.string cimport string

from daphnelib._native.buffers cimport Result

import numpy as np

from daphnelib._native.buffers import aligned_copy, frame_result, matrix_result

cnp.import_array()

cdef extern from *:
    """
    #include <cstdint>
    #include <string>
    // libdaphnelib's result record, as its C++ side declares it.
    struct DaphneLibResultCpp {
        void *address;
        int64_t rows;
        int64_t cols;
        int64_t vtc;
        int64_t *vtcs;
        char **labels;
        void **columns;
        std::string error_message;
    };
    typedef DaphneLibResultCpp (*dl_get_result_fn)();
    static inline DaphneLibResultCpp dl_call_get_result(uintptr_t fn) {
        return reinterpret_cast<dl_get_result_fn>(fn)();
    }
    """
    cdef cppclass DaphneLibResultCpp:
        void *address
        int64_t rows
        int64_t cols
        int64_t vtc
        int64_t *vtcs
        char **labels
        void **columns
        string error_message
    DaphneLibResultCpp dl_call_get_result(uintptr_t fn) except +

# DAPHNE's ValueTypeCode -> the numpy dtype of the buffer (8 = str: std::string objects).
_DTYPE_OF_CODE = {0: np.dtype(np.int8), 1: np.dtype(np.int32), 2: np.dtype(np.int64),
                  3: np.dtype(np.uint8), 4: np.dtype(np.uint32), 5: np.dtype(np.uint64),
                  6: np.dtype(np.float32), 7: np.dtype(np.float64)}
STR_CODE = 8


class StringResultError(TypeError):
    """The result holds strings: DAPHNE hands out ``std::string`` objects, which are not a
    layout Python can read (its caller may fetch the value through files instead)."""


def result_message(uintptr_t get_result):
    """The ``error_message`` of the library's current result (``""`` when there is none)."""
    cdef DaphneLibResultCpp r = dl_call_get_result(get_result)
    return r.error_message.decode("utf-8", "replace")


cdef object _descr(int64_t code, str what):
    if code == STR_CODE:
        raise StringResultError(f"{what} holds strings (value type code {STR_CODE}), which "
                                "DAPHNE returns as C++ std::string objects")
    descr = _DTYPE_OF_CODE.get(code)
    if descr is None:
        raise TypeError(f"{what} has value type code {code}, which daphnelib cannot read "
                        f"(known codes: 0..{STR_CODE})")
    return descr


cdef class _Inputs:
    """The buffers a script received, sorted by address, to find the one a result buffer
    lies in (DAPHNE returns an input it passes through at the same address)."""

    cdef list arrays
    cdef object starts
    cdef object ends
    cdef object codes

    def __init__(self, inputs):
        pairs = sorted(((<uintptr_t>cnp.PyArray_DATA(a), a, c) for a, c in inputs),
                       key=lambda p: p[0])
        self.arrays = [a for _, a, _ in pairs]
        self.starts = np.array([s for s, _, _ in pairs], dtype=np.uintp)
        self.ends = self.starts + np.array([a.nbytes for a in self.arrays], dtype=np.uintp)
        self.codes = np.array([c for _, _, c in pairs], dtype=np.int64)

    cdef object find(self, void *data, Py_ssize_t nbytes, object descr, int64_t code):
        """The input holding [data, data + nbytes) that was sent with value type ``code``
        and has ``descr``'s item size, or None."""
        cdef uintptr_t lo = <uintptr_t>data
        cdef Py_ssize_t i = int(np.searchsorted(self.starts, lo, side="right")) - 1
        # Inputs may nest (a view inside another input): look back while they start early
        # enough; inputs that lie side by side stop the search at the first step.
        while i >= 0:
            arr = self.arrays[i]
            if (self.codes[i] == code and arr.dtype.itemsize == descr.itemsize
                    and lo + nbytes <= self.ends[i]):
                return arr
            i -= 1
            if i >= 0 and self.ends[i] <= lo:
                break
        return None


def foreign_result(uintptr_t get_result, *, inputs=(), object keep=None, bint copy=False):
    """Read the result of the last successful ``daphne()`` run of a libdaphnelib.

    Parameters
    ----------
    get_result : int
        The address of the library's ``getResult`` function.
    inputs : sequence of (numpy.ndarray, int)
        The buffers the script received and the value type code each was sent as. A
        result buffer inside one of them is that input passed through: it is read with the
        input's dtype (a carrier dtype DAPHNE lacks, such as bool sent as ui8, comes back
        as itself) and read-only, since it is the caller's memory.
    keep : object
        Kept alive as long as any view of the result (the loaded library).
    copy : bool
        Copy the data into buffers daphnelib owns instead of viewing the library's memory.

    Returns
    -------
    Result
        A matrix or frame result. Raises :class:`StringResultError` for string data.
    """
    cdef DaphneLibResultCpp r = dl_call_get_result(get_result)
    cdef Py_ssize_t i, n, rows = r.rows
    if r.rows < 0 or r.cols < 0:
        raise ValueError(f"the library's result has a negative shape ({r.rows} x {r.cols})")
    if r.columns != NULL and (r.vtcs == NULL or r.labels == NULL):
        raise ValueError("the library's frame result has no value types or no labels")
    cdef Result out
    cdef int64_t *vtcs
    cdef char **labels
    cdef void **columns
    if r.columns == NULL:  # a matrix
        descr = _descr(r.vtc, "the matrix result")
        alias = _Inputs(inputs).find(r.address, rows * r.cols * descr.itemsize, descr, r.vtc)
        out = Result.__new__(Result)
        out.c_result.address = r.address
        out.c_result.rows = rows
        out.c_result.cols = r.cols
        out.c_result.vtc = r.vtc
        out._descrs = [descr if alias is None else alias.dtype]
        out._writeable = alias is None
        out._owner = (keep, alias)
        return matrix_result(aligned_copy(out.matrix())) if copy else out
    n = r.cols
    descrs = [_descr(r.vtcs[i], f"frame column {i}") for i in range(n)]
    # Copied: ours to keep. A missing label gets DAPHNE's default name.
    label_bytes = [f"col_{i}".encode() if r.labels[i] == NULL else bytes(r.labels[i])
                   for i in range(n)]
    known = _Inputs(inputs)
    aliases = [known.find(r.columns[i], rows * descrs[i].itemsize, descrs[i], r.vtcs[i])
               for i in range(n)]
    out = Result.__new__(Result)
    out.c_result.rows = rows
    out.c_result.cols = n
    out.c_result.vtc = -1
    # Our own copies of the per-column arrays: the Result frees them, never DAPHNE's.
    vtcs = <int64_t *>malloc((n + 1) * sizeof(int64_t))
    labels = <char **>malloc((n + 1) * sizeof(char *))
    columns = <void **>malloc((n + 1) * sizeof(void *))
    out.c_result.vtcs = vtcs
    out.c_result.labels = labels
    out.c_result.columns = columns
    if vtcs == NULL or labels == NULL or columns == NULL:
        raise MemoryError()
    for i in range(n):
        vtcs[i] = r.vtcs[i]
        labels[i] = PyBytes_AS_STRING(label_bytes[i])
        columns[i] = r.columns[i]
    out._descrs = [d if a is None else a.dtype for d, a in zip(descrs, aliases)]
    out._writeable = all(a is None for a in aliases)
    out._owner = (keep, aliases, label_bytes)
    if not copy:
        return out
    return frame_result([aligned_copy(c) for c in out.columns()],
                        [b.decode("utf-8") for b in label_bytes], rows)
