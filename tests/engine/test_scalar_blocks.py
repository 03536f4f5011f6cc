"""Scalar blocks (``engine/scalar_blocks.py``): a control-flow block of scalar elementwise ops
run as one generated function gives exactly the generic executor's values and errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib.dsl import compile_script, execute
from daphnelib.engine import executor, scalar_blocks
from daphnelib.engine.control import Block


@contextmanager
def _generic() -> Iterator[None]:
    """Blocks compiled in here take the executor's generic steps only."""
    with mock.patch.object(scalar_blocks, "scalar_block", lambda program, nparams: None):
        yield


def _outcome(script: str) -> tuple[Any, ...]:
    """(type, repr) of the script's result, or the error's type, message and notes; and the
    loop bodies' scalar functions (None where the generic steps ran)."""
    lowered = None
    try:
        lowered = compile_script(script)
        value = execute(lowered)
        out: tuple[Any, ...] = ("value", type(value), repr(value))
    except Exception as exc:  # compared with the generic run's error
        out = ("error", type(exc), str(exc), tuple(getattr(exc, "__notes__", ())))
    instrs = lowered.program.instrs if lowered is not None else ()
    blocks = [a for ins in instrs for a in ins.args if isinstance(a, Block)]
    return out, [b._fast if b._steps is not None else None for b in blocks]


_PLAIN = st.one_of(st.integers(-5, 5).map(str), st.sampled_from(
    ["0.5", "-2.25", "3.0", "0.0", "1e308", "true", "false", '"x"']))
# Casts are no elementwise ops: values of other types come from outside the loop.
_LITERALS = st.one_of(_PLAIN, st.sampled_from(["as.si32(7)", "as.ui8(3)", "as.f32(1.5)"]))
_OPS = st.sampled_from(["+", "-", "*", "/", "%", "^", "==", "!=", "<", "<=", ">", ">=",
                        "&&", "||"])


@settings(max_examples=150, deadline=None)
@given(init=_LITERALS, a=_LITERALS, b=_PLAIN, ops=st.tuples(_OPS, _OPS, _OPS),
       n=st.integers(0, 4))
def test_scalar_loop_bodies_match_the_generic_steps(init: str, a: str, b: str,
                                                    ops: tuple[str, str, str], n: int) -> None:
    op1, op2, op3 = ops
    script = (f"s = {init};\na = {a};\nfor (i in 1:{n}) {{ s = s {op1} (i {op2} a) {op3} {b}; }}\n"
              "saveDaphneLibResult(s);")
    fast, blocks = _outcome(script)
    with _generic():
        generic, generic_blocks = _outcome(script)
    assert fast == generic
    assert not any(generic_blocks)
    if n and fast[0] == "value":
        assert all(callable(f) for f in blocks)  # the loop body ran as one function


def test_while_condition_and_body_run_as_functions() -> None:
    script = "s = 100.0;\nk = 0;\nwhile (s > 1) { s = s / 3; k = k + 1; }\nprint(k);\n" \
             "saveDaphneLibResult(s);"
    fast, blocks = _outcome(script)
    assert fast == ("value", np.float64, repr(np.float64(100 / 3 / 3 / 3 / 3 / 3)))
    assert len(blocks) == 2 and all(callable(f) for f in blocks)


def test_a_block_with_a_matrix_takes_the_generic_steps() -> None:
    script = ("X = fill(1.0, 2, 2);\ns = 0.0;\nfor (i in 1:3) { X = X * 2.0; s = s + i; }\n"
              "saveDaphneLibResult(sum(X) + s);")
    fast, blocks = _outcome(script)
    assert fast == ("value", np.float64, repr(np.float64(38.0)))
    # The body reads X: a matrix parameter sends the iteration to the generic steps.
    (body,) = blocks
    with mock.patch.object(executor._running, "active", True):
        assert body((np.int64(1), np.ones((2, 2)), 0.0)) is None
        assert body((np.int64(1), np.ones((2, 2)), np.ones((2, 2)))) is None
        assert isinstance(body((np.int64(1), 2.0, 0.0)), tuple)
    assert body((np.int64(1), 2.0, 0.0)) is None  # outside a run: the generic steps


def test_other_ops_keep_the_generic_steps() -> None:
    script = "s = 0.0;\nfor (i in 1:3) { print(i); s = s + i; }\nsaveDaphneLibResult(s);"
    _, blocks = _outcome(script)
    assert blocks == [False]  # print is no fused elementwise op: no function for the body


def test_an_error_in_a_scalar_block_is_the_generic_one() -> None:
    script = "s = 7;\nfor (i in 0:2) { s = s / (i - 1); }\nsaveDaphneLibResult(s);"
    fast, _ = _outcome(script)
    with _generic():
        generic, _ = _outcome(script)
    assert fast == generic and fast[0] == "error"
