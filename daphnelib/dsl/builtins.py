"""The DaphneDSL builtin catalogue the front end checks calls against (spec §3.11).

Per builtin: the parameter names (for keyword arguments, DAPHNE's names), how many are
required, how many results it has, and the data kind of its result(s) for the IR:
``same`` (like the first argument), ``ew`` (matrix if any argument is a matrix), ``agg``
(scalar for a full aggregate, else matrix), or a fixed kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    params: tuple[str, ...] | None  # None: any number of positional arguments
    required: int
    kinds: tuple[str, ...]  # one per result
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def results(self) -> int:
        return len(self.kinds)


BUILTINS: dict[str, Builtin] = {}


def _add(names: str, params: str | None, kinds: str = "matrix", required: int | None = None,
         defaults: dict[str, Any] | None = None) -> None:
    plist = None if params is None else tuple(params.split())
    req = required if required is not None else (0 if plist is None else len(plist))
    for name in names.split():
        BUILTINS[name] = Builtin(name, plist, req, tuple(kinds.split()), defaults or {})


# Data generation
_add("fill", "value numRows numCols")
_add("createFrame", None, "frame", required=1)
_add("diagMatrix", "arg")
_add("rand", "numRows numCols min max sparsity seed")
_add("sample", "range size withReplacement seed")
_add("seq", "from to inc", required=2)
# Metadata
_add("nrow ncol ncell typeOf sparsity isSymmetric", "arg", "scalar")
# Elementwise
_add("abs sign exp ln sqrt round floor ceil sin cos tan asin acos atan sinh cosh tanh isNan "
     "minus lower upper relu softmax", "arg", "same")
_add("pow log mod min max concat", "lhs rhs", "ew")
_add("outerAdd outerSub outerMul outerDiv outerPow outerLog outerMod outerMin outerMax "
     "outerAnd outerOr outerXor outerConcat outerEq outerNeq outerLt outerLe outerGt outerGe",
     "lhs rhs")
# Aggregation
_add("sum aggMin aggMax mean var stddev", "arg axisOrGroups numGroups", "agg", required=1)
_add("idxMin idxMax", "arg axis")
_add("count", "arg groupIds numGroups")
_add("cumSum cumProd cumMin cumMax", "arg")
# Reorganisation
_add("reshape", "arg numRows numCols")
_add("t transpose reverse", "arg", "same")
_add("cbind rbind", "lhs rhs", "same")
_add("order", None, "same", required=1)
# Matrix algebra and other
_add("eigen", "arg", "matrix matrix")
_add("solve", "lhs rhs")
_add("diagVector syrk", "arg")
_add("gemv", "lhs rhs")
_add("lowerTri upperTri", "arg diag values")
_add("replace", "arg pattern replacement", "same")
_add("ctable", "lhs rhs weight resNumRows resNumCols", required=2)
# Deep neural network
_add("affine", "input weights bias")
_add("biasAdd", "input bias")
_add("conv2d avg_pool2d max_pool2d batch_norm2d conv2d_backward_data conv2d_backward_filter "
     "avg_pool2d_backward max_pool2d_backward relu_backward softmax_backward "
     "batch_norm2d_backward", None, required=1)
# Relational algebra
_add("registerView", "viewName view", "none")
_add("sql", "query", "frame")
_add("cartesian", "lhs rhs", "frame")
_add("innerJoin", "lhs rhs lhsOn rhsOn numRowRes", "frame", required=4)
_add("semiJoin", "lhs rhs lhsOn rhsOn numRowRes", "frame matrix", required=4)
_add("groupJoin", "lhs rhs lhsOn rhsOn rhsAgg", "frame matrix")
_add("groupSum setColLabels", None, "frame", required=2)
_add("setColLabelsPrefix", "frame prefix", "frame")
_add("leftOuterJoin fullOuterJoin antiJoin intersect merge except", None, "frame", required=2)
# Casts and conversion (as.* is a syntax of its own)
_add("quantize", "arg min max")
# I/O
_add("print", "arg newline err", "none", required=1, defaults={"newline": True, "err": False})
_add("readMatrix", "filename")
_add("readFrame", "filename", "frame")
_add("write writeMatrix writeFrame", "arg filename", "none")
_add("readCsv", "fileOrDescriptor numRows numCols delimiter")
_add("openFile openDevice openFileOnTarget close", None, "scalar")
_add("stop", "message", "none", required=0)
_add("saveDaphneLibResult", "arg", "none")
_add("receiveFromNumpy", "address rows cols valueType")
# Preprocessing
_add("oneHot", "arg info")
_add("recode", "arg orderPreserving", "same matrix")
_add("bin", "arg numBins min max", required=2)
# Measurement
_add("now", "", "scalar")
_add("startProfiling stopProfiling", "", "none")
# Lists
_add("createList", None, "list", required=1)
_add("length", "arg", "scalar")
_add("append", "list elem", "list")
_add("remove", "list idx", "list matrix")
# Second-order
_add("map", "arg func", "same")
