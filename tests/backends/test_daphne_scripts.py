"""Every script the ``daphne`` backend generates parses and lowers with daphnelib's own
DaphneDSL front end: a property over the inputs of the conformance families (numpy arrays,
tensors' engine buffers, DataFrames) and the ops the families apply. No compiler needed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance._support import NUMPY_SHAPES, numpy_input
from conformance.test_numpy_roundtrip import CASES as NUMPY_CASES
from conformance.test_pandas_roundtrip import KINDS
from daphnelib import DaphneContext
from daphnelib.backends.daphne import _prepare
from daphnelib.dsl import compile_script
from daphnelib.engine.program import Kind
from daphnelib.script_building.dsl import render

MATRIX_OPS = {
    "identity": lambda X: X,
    "plus": lambda X: X + 1,
    "reshape": lambda X: X.reshape(1, X.ncell()),
    "sum": lambda X: X.sum(),
    "transpose_mean": lambda X: X.t().mean(axis=0),
}
FRAME_OPS = {
    "identity": lambda F: F,
    "rbind": lambda F: F.rbind(F),
    "order": lambda F: F.order([0], [False]),
}

# wide_10000 renders 10000 receiveFromNumpy lines: right, but 1 s per example.
FRAME_KINDS = sorted(k for k in KINDS if k != "wide_10000")
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _receive(address: int, rows: int, cols: int, vtc: int) -> np.ndarray:
    """The double's receiveFromNumpy: reads the live buffer at ``address``."""
    from backends.libdaphnelib_double.runner import _receive as receive

    return receive(address, rows, cols, vtc)


def _check(node: object, tmp: str) -> None:
    program = node._lower()  # type: ignore[attr-defined]
    prepared, _, _ = _prepare(program, tmp, verbose=False)
    script = render(prepared)
    lowered = compile_script(script, buffers=_receive)
    ops = [ins.op for ins in lowered.program.instrs]
    if program.result.kind is not Kind.NONE:
        assert ops[-1] == "saveDaphneLibResult", script
    assert "receiveFrame" not in ops  # frames arrive as createFrame over their columns


@SETTINGS
@given(case=st.sampled_from(NUMPY_CASES), op=st.sampled_from(sorted(MATRIX_OPS)))
def test_numpy_inputs_render_to_parsable_scripts(case: tuple, op: str, tmp_path: object) -> None:
    rank, dtype, layout, _ = case
    a = numpy_input(NUMPY_SHAPES[rank], dtype, layout)
    X = DaphneContext().from_numpy(a)
    if op in ("sum", "transpose_mean") and a.dtype.kind in "USTO":
        op = "identity"  # no arithmetic on strings
    _check(MATRIX_OPS[op](X), str(tmp_path))


@SETTINGS
@given(kind=st.sampled_from(FRAME_KINDS), op=st.sampled_from(sorted(FRAME_OPS)))
def test_frame_inputs_render_to_parsable_scripts(kind: str, op: str, tmp_path: object) -> None:
    data = KINDS[kind]()
    F = DaphneContext().from_pandas(data, keepIndex=True)
    frame = F._lower().result.args[0]
    if any(lg is not None and lg.mask is not None and lg.mask.any() for lg in frame.logical):
        return  # refused before any script is written (tested in test_daphne_backend)
    if op == "order" and frame.ncol == 0:
        op = "identity"
    _check(FRAME_OPS[op](F), str(tmp_path))
