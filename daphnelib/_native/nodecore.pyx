# cython: boundscheck=False, wraparound=False
"""The native core of a lazy node: its fields, and what building one does.

``OperationNode`` (``operator/operation_node.py``) derives from :class:`NodeCore`, so
``Matrix(ctx, op, args)`` runs no Python frame: the fields are C fields, the consumer
bookkeeping, the user's line, the static type of the common ops and the structural key are
computed here. Whatever this module does not know is asked of the Python functions the
operator layer installs (:func:`install`): type inference of the other ops (and every shape
error, so messages stay those of ``operator/inspect.py``) and the structural key of nodes with
arguments other than nodes, numbers, strings and arrays. The results are those functions'
results, bit for bit; tests/test_nodecore.py compares both paths.

This module imports nothing from daphnelib (the operator layer hands it what it needs).
"""

cimport cython
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF, Py_XDECREF, Py_XINCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.weakref cimport PyWeakref_NewRef

cimport numpy as cnp

cnp.import_array()

cdef extern from "numpy/arrayobject.h":
    object PyArray_View(cnp.ndarray arr, PyObject *dtype, PyObject *type)


cdef extern from "Python.h":
    ctypedef struct PyFrameObject:
        pass
    ctypedef struct PyCodeObject:
        PyObject *co_filename
    PyFrameObject *PyEval_GetFrame()
    PyFrameObject *PyFrame_GetBack(PyFrameObject *frame)
    PyCodeObject *PyFrame_GetCode(PyFrameObject *frame)
    int PyFrame_GetLasti(PyFrameObject *frame)
    int PyCode_Addr2Line(PyCodeObject *code, int offset)


# -- what the operator layer installs -------------------------------------------------------

cdef object _infer = None          # operator.inspect.infer
cdef object _tree_of = None        # operator.structure_key.tree_of
cdef object _most_general = None   # engine.valuetypes.most_general
cdef object _tokens = None         # structure_key's leaf token counter
cdef object _data_key = None       # the key of an ndarray argument (engine.structure.DATA)
cdef Py_ssize_t _max_nodes = 0     # structure_key.MAX_NODES
cdef str _package_dir = None       # daphnelib's directory, with a trailing separator
cdef dict _vt_of_num = {}          # numpy type number -> value type, for the held dtypes
cdef object _matrix_kind = None    # Kind.MATRIX

# Op codes of the ops typed here (operator/inspect.py's sets, installed).
cdef enum:
    OP_ELEMENTWISE = 1
    OP_SHAPE_KEEPING = 2
    OP_TYPE_KEEPING = 3      # shape-keeping, and keeps integer value types too
    OP_TRANSPOSE = 4
    OP_AGGREGATE = 5
    OP_MATMUL = 6
    OP_RECEIVE = 7

cdef dict _op_code = {}
cdef dict _kind_of = {}            # node class -> (Kind, Kind._value_)
cdef dict _package_file = {}       # code file name -> whether it is daphnelib's
# Literal keys (type, repr) by literal, one cache per type (1 == 1.0 == True as dict keys)
cdef dict _float_parts = {}        # nonzero finite floats only (0.0 == -0.0, nan != nan)
cdef dict _int_parts = {}
cdef dict _str_parts = {}
cdef dict _common = {}             # (vt, vt) -> most general vt


def install(*, infer, tree_of, most_general, tokens, data_key, max_nodes, package_dir,
            vt_of_num, matrix_kind, elementwise, shape_keeping, type_keeping, aggregates):
    """Hand this module the operator layer's functions and tables (once, at import)."""
    global _infer, _tree_of, _most_general, _tokens, _data_key, _max_nodes, _package_dir
    global _vt_of_num, _matrix_kind
    _infer, _tree_of, _most_general, _tokens = infer, tree_of, most_general, tokens
    _data_key, _max_nodes, _package_dir = data_key, max_nodes, package_dir
    _vt_of_num, _matrix_kind = dict(vt_of_num), matrix_kind
    _op_code.clear()
    for op in elementwise:
        _op_code[op] = OP_ELEMENTWISE
    for op in shape_keeping:
        _op_code[op] = OP_TYPE_KEEPING if op in type_keeping else OP_SHAPE_KEEPING
    for op in aggregates:
        _op_code[op] = OP_AGGREGATE
    _op_code["t"] = OP_TRANSPOSE
    _op_code["@"] = OP_MATMUL
    _op_code["receiveFromNumpy"] = OP_RECEIVE


# -- the node --------------------------------------------------------------------------------

@cython.auto_pickle(False)
cdef class NodeCore:
    """The fields of a lazy node and its construction (see ``OperationNode``)."""

    cdef public object daphne_context
    cdef public object _op
    cdef public object _args
    cdef public object _local_data
    cdef public object _program
    cdef public object _consumers
    cdef public bint _deleted
    cdef public object _tensor_shape
    cdef public object _origins
    # Where the user's code built the node: the code object and instruction offset of the
    # first frame outside daphnelib (None outside any Python frame); _origin reads the line
    # from them when an error or a lowering needs it.
    cdef object _code
    cdef int _lasti
    cdef object _node_kind  # type(self)._kind, read without a class attribute lookup
    cdef public object _type
    cdef public object _tree
    cdef object __weakref__

    def __init__(self, daphne_context, operation, unnamed_input_nodes=None,
                 named_input_nodes=None, local_data=None):
        cdef tuple args
        if type(unnamed_input_nodes) is tuple:
            args = <tuple>unnamed_input_nodes
        else:
            args = tuple(unnamed_input_nodes or ())
        if named_input_nodes:
            # DaphneLib emits named inputs positionally, in insertion order.
            args += tuple(named_input_nodes.values())
        self._build(daphne_context, operation, args, local_data)

    cdef _build(self, daphne_context, operation, tuple args, local_data):
        cdef NodeCore node
        for a in args:  # the nodes this one reads: node arguments and node range bounds
            if isinstance(a, NodeCore):
                node = <NodeCore>a
                if node._deleted:
                    node._check_alive()
                if node._consumers is None:
                    node._consumers = [PyWeakref_NewRef(self, None)]
                else:
                    node._add_consumer(self)
            elif type(a) is slice:
                for b in ((<slice>a).start, (<slice>a).stop):
                    if isinstance(b, NodeCore):
                        (<NodeCore>b)._check_alive()
                        (<NodeCore>b)._add_consumer(self)
        self.daphne_context = daphne_context
        self._op = operation
        self._args = args
        self._local_data = local_data  # keeps input buffers alive as long as the node
        self._program = None  # lowered once; the backend caches its compilation
        self._consumers = None
        self._deleted = False
        self._tensor_shape = None  # see Matrix.tensor_shape
        self._origins = ()
        self._locate()
        cdef tuple kind = _kind_of.get(type(self))
        if kind is None:
            kind = _kind_of[type(self)] = (self._kind, self._kind._value_)
        self._node_kind = kind[0]
        # (rows, cols, value type), each None when not known before running; raises on
        # shapes that cannot combine (A @ B with 3x4 and 5x2), as the op would at run time.
        self._type = _node_type(operation, args, local_data)
        # The structural key compute() finds the compiled program by (operator/structure_key).
        self._tree = _node_tree(operation, kind, args)

    cdef _locate(self):
        """Record the innermost Python frame outside daphnelib (the user's line)."""
        cdef PyFrameObject *frame = PyEval_GetFrame()
        cdef PyFrameObject *back
        cdef PyCodeObject *code
        self._code = None
        if frame is NULL:
            return
        Py_XINCREF(<PyObject *>frame)
        while True:
            code = PyFrame_GetCode(frame)
            if not _is_package_file(<object>code.co_filename):
                self._code = <object>code
                self._lasti = PyFrame_GetLasti(frame)
                Py_XDECREF(<PyObject *>code)
                Py_XDECREF(<PyObject *>frame)
                return
            Py_XDECREF(<PyObject *>code)
            back = PyFrame_GetBack(frame)
            Py_XDECREF(<PyObject *>frame)
            if back is NULL:
                return
            frame = back

    @property
    def _origin(self):
        """``(op, file, line)`` of the user's code that built the node, or None."""
        if self._code is None:
            return None
        return (self._op, self._code.co_filename,
                PyCode_Addr2Line(<PyCodeObject *>self._code, self._lasti))

    cpdef _add_consumer(self, node):
        """Record ``node`` as reading this one (weakly: consumers may die first)."""
        cdef list refs = self._consumers
        cdef Py_ssize_t n
        if refs is None:
            self._consumers = refs = []
        else:
            n = len(refs)
            if n >= 32 and not (n & (n - 1)):
                # at powers of two: amortised O(1)
                refs[:] = [r for r in refs if r() is not None]
        refs.append(PyWeakref_NewRef(node, None))

    cpdef _check_alive(self):
        if self._deleted:
            raise RuntimeError(f"this {type(self).__name__} node was deleted (delete()) and "
                               "cannot be used any more")

    # copy.copy and pickle see the fields as the state of a slotted object did.
    def __getstate__(self):
        return (None, {"daphne_context": self.daphne_context, "_op": self._op,
                       "_args": self._args, "_local_data": self._local_data,
                       "_program": self._program, "_consumers": self._consumers,
                       "_deleted": self._deleted, "_tensor_shape": self._tensor_shape,
                       "_origins": self._origins, "_type": self._type, "_tree": self._tree,
                       "_code": self._code, "_lasti": self._lasti})

    def __setstate__(self, state):
        fields = dict(state[1])
        self._code, self._lasti = fields.pop("_code"), fields.pop("_lasti")
        self._node_kind = type(self)._kind
        for name, value in fields.items():
            setattr(self, name, value)


# -- the user's line -------------------------------------------------------------------------

cdef bint _is_package_file(object filename):
    known = _package_file.get(filename)
    if known is None:
        if len(_package_file) > 4096:  # code made by exec/eval may bring new names each time
            _package_file.clear()
        known = _package_file[filename] = (isinstance(filename, str) and
                                           filename.startswith(_package_dir))
    return known is True


# -- static type -----------------------------------------------------------------------------

cdef inline object _literal_vt(object value):
    """The value type of a literal operand; False when not decided here."""
    t = type(value)
    if t is float:
        return "f64"
    if t is int:
        return "si64"
    if t is bool or t is str:
        return None
    return False


cdef object _common_vt(object va, object vb):
    if va is None or vb is None or va == "str" or va == "bool" or vb == "str" or vb == "bool":
        return None
    if va == vb:
        return va
    key = (va, vb)
    vt = _common.get(key)
    if vt is None:
        vt = _common[key] = _most_general(va, vb)
    return vt


cdef tuple _operand_type(object value):
    """A node operand's static type, ``(None, None, vt)`` for a literal; None when it is not
    decided here (the generic inference then types the node)."""
    if isinstance(value, NodeCore):
        t = (<NodeCore>value)._type
        return <tuple>t if type(t) is tuple else None
    vt = _literal_vt(value)
    return None if vt is False else (None, None, vt)


cdef object _elementwise_type(object op, tuple args, object local_data):
    """The type of ``x op y``: the shape of the shaped operand, the most general value type."""
    x, y = args[0], args[1]
    a, b = _operand_type(x), _operand_type(y)
    if a is None or b is None:
        return _infer(op, args, local_data)
    cdef bint xn = isinstance(x, NodeCore), yn = isinstance(y, NodeCore)
    if (xn and yn and (<NodeCore>x)._node_kind is _matrix_kind
            and (<NodeCore>y)._node_kind is _matrix_kind):
        rows, cols = b[0], b[1]
        if (a[0] is not None and a[1] is not None and rows is not None and cols is not None
                and not ((rows == a[0] or rows == 1) and (cols == a[1] or cols == 1)
                         and (rows == a[0] or cols == a[1]))):
            return _infer(op, args, local_data)  # raises the shape error
    vt = _common_vt(a[2], b[2])
    if a[0] is not None or a[1] is not None:
        return (a[0], a[1], vt)
    return (b[0], b[1], vt)


cdef object _node_type(object op, tuple args, object local_data):
    """``inspect.infer(op, args, local_data)``, natively for the common ops."""
    code = _op_code.get(op)
    cdef Py_ssize_t n = len(args)
    if code is None or n == 0:
        return _infer(op, args, local_data)
    cdef int c = code
    cdef tuple a, b
    x = args[0]
    if c == OP_RECEIVE:
        if type(x) is cnp.ndarray and cnp.PyArray_NDIM(<cnp.ndarray>x) == 2:
            vt = _vt_of_num.get(cnp.PyArray_TYPE(<cnp.ndarray>x))
            if vt is not None and <object>cnp.PyArray_DESCR(<cnp.ndarray>x) is \
                    cnp.PyArray_DescrFromType(cnp.PyArray_TYPE(<cnp.ndarray>x)):
                return (cnp.PyArray_DIM(<cnp.ndarray>x, 0), cnp.PyArray_DIM(<cnp.ndarray>x, 1),
                        vt)
        return _infer(op, args, local_data)
    if c == OP_ELEMENTWISE:
        if n == 2:
            return _elementwise_type(op, args, local_data)
        return _infer(op, args, local_data)
    if not isinstance(x, NodeCore) or type((<NodeCore>x)._type) is not tuple:
        return _infer(op, args, local_data)
    a = (<NodeCore>x)._type
    if c == OP_SHAPE_KEEPING or c == OP_TYPE_KEEPING:
        if n != 1:
            return _infer(op, args, local_data)
        if c == OP_TYPE_KEEPING or a[2] == "f64" or a[2] == "f32":
            return a
        return (a[0], a[1], None)
    if c == OP_TRANSPOSE:
        return (a[1], a[0], a[2])
    if c == OP_AGGREGATE:
        vt = a[2] if a[2] == "f64" else None
        if n == 1:
            return (None, None, vt)
        axis = args[1]
        if n == 2 and (type(axis) is int or type(axis) is bool):
            return (a[0], 1, vt) if axis == 0 else (1, a[1], vt)
        return _infer(op, args, local_data)
    if c == OP_MATMUL and n == 2:
        y = args[1]
        if not isinstance(y, NodeCore) or type((<NodeCore>y)._type) is not tuple:
            return _infer(op, args, local_data)
        b = (<NodeCore>y)._type
        if a[1] is not None and b[0] is not None and a[1] != b[0]:
            return _infer(op, args, local_data)  # raises the shape error
        return (a[0], b[1], a[2] if a[2] == b[2] else None)
    return _infer(op, args, local_data)


# -- structural key --------------------------------------------------------------------------

cdef object _literal_part(object value):
    """``(type, repr(value))`` of a number or string literal, cached per type: equal ints
    (strings) have one repr, equal floats too except 0.0/-0.0 and NaNs, which are not cached."""
    t = type(value)
    cdef dict cache = _float_parts if t is float else _int_parts if t is int else _str_parts
    part = cache.get(value)
    if part is None:
        part = (t, repr(value))
        if t is not float or (value != 0.0 and value - value == 0.0):
            if len(cache) > 1024:
                cache.clear()
            cache[value] = part
    return part


cdef inline void _put(tuple key, Py_ssize_t i, object value):
    Py_INCREF(value)  # PyTuple_SET_ITEM steals a reference
    PyTuple_SET_ITEM(key, i, value)


cdef object _node_tree(object op, tuple kind, tuple args):
    """``structure_key.tree_of(op, kind, args)``, natively for nodes over nodes, numbers,
    strings and arrays."""
    cdef Py_ssize_t i, n = len(args)
    cdef tuple key = PyTuple_New(2 + n)  # (op, kind, *argument keys)
    _put(key, 0, op)
    _put(key, 1, kind[1])
    cdef tuple data = ()
    cdef list own = None
    cdef object leaves = None
    cdef Py_ssize_t size = 1
    cdef tuple sub
    for i in range(n):
        a = args[i]
        t = type(a)
        if t is float or t is int or t is str:
            _put(key, 2 + i, _literal_part(a))
        elif isinstance(a, NodeCore):
            if (<NodeCore>a)._tree is None:  # a node without a key
                return None
            sub = (<NodeCore>a)._tree
            if leaves is None:
                leaves = sub[2]
            elif (<frozenset>leaves).isdisjoint(sub[2]):
                leaves = leaves | sub[2]
            else:
                return None  # a shared node: lowering emits it once
            _put(key, 2 + i, sub[0])
            data += <tuple>sub[1]
            size += <Py_ssize_t>sub[3]
        elif t is cnp.ndarray:
            _put(key, 2 + i, _data_key)
            if own is None:
                own = [a]
            else:
                own.append(a)
        else:
            return _tree_of(op, kind[0], args)
    if size > _max_nodes:
        return None
    if own is not None:
        data += tuple(own)
    if leaves is None:
        leaves = frozenset((next(_tokens),))
    return key, data, leaves, size


# -- input nodes -----------------------------------------------------------------------------

def input_matrix(cls, daphne_context, arr):
    """A ``cls`` node over a read-only view of ``arr`` when ``arr`` is a 2-D, C-contiguous,
    aligned ndarray of a held dtype (zero-copy as ``interop.numpy.engine_matrix`` would be),
    keeping ``arr`` alive; else None (the caller takes the general path)."""
    if type(arr) is not cnp.ndarray:
        return None
    cdef cnp.ndarray a = <cnp.ndarray>arr
    if cnp.PyArray_NDIM(a) != 2 or not cnp.PyArray_CHKFLAGS(
            a, cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED):
        return None
    cdef int num = cnp.PyArray_TYPE(a)
    if num not in _vt_of_num or <object>cnp.PyArray_DESCR(a) is not cnp.PyArray_DescrFromType(num):
        return None  # not held, or a dtype with metadata or another byte order
    cdef cnp.ndarray view = PyArray_View(a, NULL, NULL)
    # Aliases of caller memory are read-only, so a write through a result cannot change it.
    cnp.PyArray_CLEARFLAGS(view, cnp.NPY_ARRAY_WRITEABLE)
    node = cls(daphne_context, "receiveFromNumpy", (view,))
    (<NodeCore>node)._local_data = arr
    return node


# -- elementwise operators -------------------------------------------------------------------

cdef object _generic = None        # operator.nodes.elementwise.elementwise
cdef object _classes_of = None     # its () -> (Matrix, Scalar)
cdef type _Matrix = None


def install_elementwise(generic, classes):
    """Hand this module the generic ``elementwise(op, lhs, rhs)`` and the function giving
    ``(Matrix, Scalar)`` (imported on first use: their modules import the caller)."""
    global _generic, _classes_of, _Matrix
    _generic, _classes_of, _Matrix = generic, classes, None


cdef bint _plain_literal(object value):
    """A literal ``literal()`` keeps as it is: float, bool, str, an int that fits si64."""
    t = type(value)
    if t is float or t is bool or t is str:
        return True
    if t is int:
        return -(1 << 63) <= value <= (1 << 63) - 1
    return False


cdef tuple _NO_ARGS = ()


cdef object _new(type cls, object ctx, object op, tuple args):
    """``cls(ctx, op, args)`` without the type call and its argument parsing."""
    cdef NodeCore node = (<PyTypeObject *>cls).tp_new(cls, <PyObject *>_NO_ARGS, NULL)
    node._build(ctx, op, args, None)
    return node


def binary(op, lhs, rhs):
    """``elementwise(op, lhs, rhs)``: natively for a Matrix with a Matrix or a plain literal,
    through the generic function for the rest (Scalars, numpy scalars, errors)."""
    global _Matrix
    if _Matrix is None:
        _Matrix = _classes_of()[0]
    cdef NodeCore result
    tl, tr = type(lhs), type(rhs)
    if tl is _Matrix and (tr is _Matrix or _plain_literal(rhs)):
        result = _new(_Matrix, (<NodeCore>lhs).daphne_context, op, (lhs, rhs))
        # The kept tensor shape (see elementwise.kept_tensor_shape), for two operands.
        shape = (<NodeCore>lhs)._tensor_shape
        if shape is not None and (tr is not _Matrix or (<NodeCore>rhs)._tensor_shape == shape):
            result._tensor_shape = shape
        return result
    if tr is _Matrix and _plain_literal(lhs):
        result = _new(_Matrix, (<NodeCore>rhs).daphne_context, op, (lhs, rhs))
        result._tensor_shape = (<NodeCore>rhs)._tensor_shape
        return result
    return _generic(op, lhs, rhs)
