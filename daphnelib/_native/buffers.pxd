cimport numpy as cnp
from libc.stdint cimport int64_t


cdef extern from "daphnelib_result.h":
    ctypedef struct DaphneLibResult:
        void *address
        int64_t rows
        int64_t cols
        int64_t vtc
        int64_t *vtcs
        char **labels
        void **columns
        const char *error_message


cdef class Result:
    cdef DaphneLibResult c_result
    # Everything the pointers in c_result refer to: engine arrays, label bytes, error bytes.
    cdef object _owner
    # The numpy dtype of the matrix or of each column: the vtc alone cannot tell bool,
    # datetime or string layouts apart.
    cdef list _descrs
    cdef bint _writeable
    cdef object __weakref__

    cdef cnp.ndarray _view(self, void *data, int nd, cnp.npy_intp *dims,
                           cnp.npy_intp *strides, object descr)
