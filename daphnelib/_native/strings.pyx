# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Arrow string buffers <-> numpy ``StringDType`` arrays, with no Python object per row.

Arrow holds a string column as one byte buffer plus ``n + 1`` offsets (int32 for ``string``,
int64 for ``large_string``) and an optional validity bitmap; numpy's ``StringDType`` packs
each string in 16 bytes (short strings inline, longer ones in the array's arena). Both
directions run without the GIL through numpy's ``NpyString`` C API; a missing row becomes
``""`` on the way in (the caller keeps the mask), and the way out writes ``large_string``
buffers (int64 offsets: no 2 GiB limit).
"""

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.string cimport memcpy

import numpy as np

cnp.import_array()

# numpy's own declarations lack ``nogil``; these functions take no Python objects.
cdef extern from "numpy/arrayobject.h" nogil:
    int _pack "NpyString_pack" (cnp.npy_string_allocator *allocator,
                                cnp.npy_packed_static_string *packed, const char *buf,
                                size_t size)
    int _load "NpyString_load" (cnp.npy_string_allocator *allocator,
                                const cnp.npy_packed_static_string *packed,
                                cnp.npy_static_string *unpacked)
    cnp.npy_string_allocator *_acquire "NpyString_acquire_allocator" (
        const cnp.PyArray_StringDTypeObject *descr)
    void _release "NpyString_release_allocator" (cnp.npy_string_allocator *allocator)

ctypedef fused offset_t:
    int32_t
    int64_t

_STRING_DTYPE = np.dtypes.StringDType()

# The allocator's lock is taken and released inside ``nogil`` blocks only: a thread that
# waited for the GIL while holding it would deadlock with one that holds the GIL and waits
# for the lock (numpy takes it with the GIL held, e.g. to fill or copy a StringDType array).


cdef inline const cnp.PyArray_StringDTypeObject* _descr(cnp.ndarray arr):
    return <const cnp.PyArray_StringDTypeObject*>cnp.PyArray_DESCR(arr)


def strings_from_arrow(const offset_t[::1] offsets, const uint8_t[::1] data,
                       const uint8_t[::1] validity=None, Py_ssize_t bit_offset=0):
    """A new ``StringDType`` array of the ``len(offsets) - 1`` strings of an Arrow column.

    ``offsets`` are the column's own (already sliced to its rows), ``data`` the whole byte
    buffer, ``validity`` the bitmap (or None) whose bit ``bit_offset + i`` is row ``i``'s.
    Offsets outside ``data`` raise ValueError instead of reading out of bounds.
    """
    cdef Py_ssize_t n = offsets.shape[0] - 1, i
    if n < 0:
        raise ValueError("an Arrow string column needs at least one offset")
    if validity is not None and validity.shape[0] * 8 < bit_offset + n:
        raise ValueError("the Arrow validity bitmap is shorter than the column")
    out = np.empty(n, dtype=_STRING_DTYPE)  # zero-filled: every row starts as ""
    cdef cnp.ndarray arr = out
    cdef char *base = cnp.PyArray_BYTES(arr)
    cdef Py_ssize_t itemsize = cnp.PyArray_ITEMSIZE(arr)
    cdef const uint8_t *vp = &validity[0] if validity is not None and n else NULL
    cdef const char *dp = <const char*>&data[0] if data.shape[0] else <const char*>""
    cdef int64_t size = data.shape[0], start, length
    cdef Py_ssize_t bit
    cdef int err = 0
    cdef const cnp.PyArray_StringDTypeObject *descr = _descr(arr)
    cdef cnp.npy_string_allocator *alloc
    with nogil:
        alloc = _acquire(descr)
        for i in range(n):
            if vp != NULL:
                bit = bit_offset + i
                if not (vp[bit >> 3] >> (bit & 7)) & 1:
                    continue  # missing: stays ""
            start = offsets[i]
            length = offsets[i + 1] - start
            if start < 0 or length < 0 or start + length > size:
                err = 2
                break
            if length and _pack(
                    alloc, <cnp.npy_packed_static_string*>(base + i * itemsize),
                    dp + start, <size_t>length) < 0:
                err = 1
                break
        _release(alloc)
    if err == 1:
        raise MemoryError("out of memory while packing strings")
    if err == 2:
        raise ValueError(f"Arrow string offsets at row {i} point outside the data buffer")
    return out


def strings_to_arrow(cnp.ndarray values):
    """``(offsets, data)``: int64 offsets and the bytes of a 1-D ``StringDType`` array.

    ``values`` may be strided; a null of a dtype with ``na_object`` becomes ``""`` (the
    engine keeps missing values in a separate mask).
    """
    if values.ndim != 1 or values.dtype.kind != "T":
        raise TypeError(f"strings_to_arrow needs a 1-D StringDType array, got {values.dtype} "
                        f"with {values.ndim} dimensions")
    cdef Py_ssize_t n = values.shape[0], i
    cdef Py_ssize_t stride = values.strides[0]
    cdef char *base = cnp.PyArray_BYTES(values)
    offsets = np.empty(n + 1, dtype=np.int64)
    cdef int64_t[::1] off = offsets
    cdef cnp.npy_static_string s
    cdef int64_t total = 0
    cdef int rc = 0
    cdef uint8_t *dst
    cdef const cnp.PyArray_StringDTypeObject *descr = _descr(values)
    cdef cnp.npy_string_allocator *alloc
    with nogil:
        alloc = _acquire(descr)
        off[0] = 0
        for i in range(n):
            rc = _load(alloc, <cnp.npy_packed_static_string*>(base + i * stride), &s)
            if rc < 0:
                break
            if rc == 0:
                total += <int64_t>s.size
            off[i + 1] = total
        _release(alloc)
    if rc < 0:
        raise MemoryError("numpy could not unpack a string")
    data = np.empty(total, dtype=np.uint8)
    dst = <uint8_t*>cnp.PyArray_BYTES(<cnp.ndarray>data)
    with nogil:
        alloc = _acquire(descr)
        for i in range(n):
            if off[i + 1] > off[i]:
                _load(alloc, <cnp.npy_packed_static_string*>(base + i * stride), &s)
                memcpy(dst + off[i], s.buf, <size_t>(off[i + 1] - off[i]))
        _release(alloc)
    return offsets, data
