"""``Scalar``: a lazy DAPHNE scalar (DaphneLib's ``daphne.operator.nodes.scalar``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from daphnelib.engine.program import Kind
from daphnelib.engine.valuetypes import SizeScalar
from daphnelib.operator.nodes.elementwise import ElementwiseOps
from daphnelib.operator.operation_node import ValueNode

if TYPE_CHECKING:
    import numpy.typing as npt

    from daphnelib.operator.nodes.frame import Frame
    from daphnelib.operator.nodes.matrix import DataType, Matrix, ValueType


class Scalar(ElementwiseOps, ValueNode):
    """A lazy scalar. ``compute()`` returns a numpy scalar (a Python str for strings).

    Scalars come from aggregations (``X.sum()``), ``nrow()``/``ncol()``, casts and
    arithmetic on them; the operators and elementwise builtins of :class:`Matrix` apply.
    A Python number is used where a Scalar is expected.
    """

    __slots__ = ()
    _kind = Kind.SCALAR

    @overload
    def asType(self, dtype: Literal["scalar"] | None = None,
               vtype: ValueType | None = None) -> Scalar: ...
    @overload
    def asType(self, dtype: Literal["matrix"], vtype: ValueType | None = None) -> Matrix: ...
    @overload
    def asType(self, dtype: Literal["frame"], vtype: ValueType | None = None) -> Frame: ...
    def asType(self, dtype: DataType | None = None,
               vtype: ValueType | None = None) -> Matrix | Frame | Scalar:
        """A cast: DaphneDSL's ``as.<dtype>``, ``as.<vtype>`` or ``as.<dtype><vtype>``.

        Parameters
        ----------
        dtype : {"matrix", "frame", "scalar"}, optional
            The data type to cast to; it decides the class of the result.
        vtype : str, optional
            The value type to cast to: f64, f32, si64, si32, si8, ui64, ui32, ui8, str or
            bool. At least one of ``dtype`` and ``vtype`` is needed.

        Returns
        -------
        Scalar, Matrix or Frame
            A lazy node.

        Examples
        --------
        >>> dc.fill(2.7, 1, 1).sum().asType(vtype="si64").compute()
        np.int64(2)
        """
        from daphnelib.operator.nodes.matrix import cast_node

        return cast_node(self, dtype, vtype)  # type: ignore[no-any-return]

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
                  ) -> npt.NDArray[Any]:
        """``np.asarray(s)``: computes the scalar into a 0-d array."""
        return np.asarray(self.compute(), dtype=dtype)

    def compute(self, verbose: bool = False) -> Any:
        """Run the pipeline and return the value, as DaphneLib does.

        Parameters
        ----------
        verbose : bool, default False
            Print the generated DaphneDSL script and the timings, as DaphneLib does.

        Returns
        -------
        numpy scalar or str
            A numpy scalar of the value type (``numpy.uint64`` for sizes such as
            ``nrow()``), or a Python ``str`` for strings. A copy of one value.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0, 2.0]])).sum().compute()
        np.float64(3.0)
        """
        return self._convert(self._evaluate(verbose))

    def _convert(self, value: Any, **_options: Any) -> Any:
        """What ``compute`` returns for this node's engine value."""
        if isinstance(value, SizeScalar):
            return np.uint64(value)
        return value
