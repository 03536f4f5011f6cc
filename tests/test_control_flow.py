"""DaphneLib's control flow and functions on the engine (spec daphnelib-api.md §1.7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from daphnelib import DaphneContext, Frame, Matrix, Scalar
from daphnelib.operator.control_flow import MultiReturn


@pytest.fixture
def dc() -> DaphneContext:
    return DaphneContext()


def values(node: Matrix) -> np.ndarray:
    out = node.compute()
    assert isinstance(out, np.ndarray)
    return out


def test_cond_then_and_else(dc: DaphneContext) -> None:
    X = dc.fill(2.0, 2, 2)
    Y = dc.seq(1, 4, 1).reshape(2, 2)
    big = dc.cond([X, Y], lambda: X.sum() > 5, lambda x, y: (x * 10, y + 1),
                  lambda x, y: (x, y - 1))
    assert isinstance(big, tuple) and len(big) == 2
    np.testing.assert_array_equal(values(big[0]), np.full((2, 2), 20.0))
    np.testing.assert_array_equal(values(big[1]), [[2, 3], [4, 5]])
    assert values(big[1]).dtype == np.int64
    small = dc.cond([X], lambda: X.sum() > 100, lambda x: x * 10, lambda x: x - 1)
    np.testing.assert_array_equal(values(small[0]), np.full((2, 2), 1.0))
    # Without else the inputs pass through unchanged.
    (same,) = dc.cond([X], lambda: X.sum() > 100, lambda x: x * 10)
    np.testing.assert_array_equal(values(same), np.full((2, 2), 2.0))


def test_cond_checks_its_callbacks(dc: DaphneContext) -> None:
    X = dc.fill(1.0, 1, 1)
    with pytest.raises(ValueError, match="must return 1 node"):
        dc.cond([X], lambda: X.sum() > 0, lambda x: (x, x))
    with pytest.raises(TypeError, match="pred must return a Scalar"):
        dc.cond([X], lambda: X, lambda x: x)
    with pytest.raises(TypeError, match="input nodes must be"):
        dc.cond([np.ones(2)], lambda: X.sum() > 0, lambda x: x)


def test_for_loop_is_inclusive_and_follows_the_step_sign(dc: DaphneContext) -> None:
    S = dc.fill(0, 1, 1)
    (up,) = dc.for_loop([S], lambda s, i: s + i, 1, 4)
    assert values(up)[0, 0] == 10 and values(up).dtype == np.int64
    (down,) = dc.for_loop([S], lambda s, i: s * 10 + i, 3, 1)  # default step -1
    assert values(down)[0, 0] == 321
    (stepped,) = dc.for_loop([S], lambda s, i: s + i, 10, 0, -4)
    assert values(stepped)[0, 0] == 10 + 6 + 2
    (empty,) = dc.for_loop([S], lambda s, i: s + i, 3, 1, 1)
    assert values(empty)[0, 0] == 0
    n = dc.fill(5, 2, 2).nrow()  # a Scalar bound
    (until_n,) = dc.for_loop([S], lambda s, i: s + 1, 0, n)
    assert values(until_n)[0, 0] == 3


def test_for_loop_over_several_values_and_a_frame(dc: DaphneContext) -> None:
    X = dc.fill(1.0, 2, 2)
    F = dc.from_pandas(pd.DataFrame({"a": [1, 2]}))
    x, f = dc.for_loop([X, F], lambda x, f, i: (x * i, f.rbind(f)), 1, 3)
    np.testing.assert_array_equal(values(x), np.full((2, 2), 6.0))
    df = f.compute()
    assert isinstance(f, Frame)
    assert list(df["a"]) == [1, 2] * 8


def test_while_loop_condition_reads_outer_nodes(dc: DaphneContext) -> None:
    X = dc.fill(1.0, 2, 2)
    limit = dc.fill(50.0, 1, 1).sum()  # captured by the condition (crashed in DaphneLib)
    (w,) = dc.while_loop([X], lambda x: x.sum() < limit, lambda x: x * 2)
    np.testing.assert_array_equal(values(w), np.full((2, 2), 16.0))
    (never,) = dc.while_loop([X], lambda x: x.sum() > limit, lambda x: x * 2)
    np.testing.assert_array_equal(values(never), np.full((2, 2), 1.0))


def test_do_while_runs_the_body_first(dc: DaphneContext) -> None:
    X = dc.fill(1.0, 1, 1)
    (once,) = dc.do_while_loop([X], lambda x: x.sum() < 0, lambda x: x + 1)
    assert values(once)[0, 0] == 2.0
    k = dc.fill(0, 1, 1).sum()
    step = dc.fill(3, 1, 1).sum()
    (counted,) = dc.do_while_loop([k], lambda k: k < 10, lambda k: k + step)
    assert isinstance(counted, Scalar)
    assert counted.compute() == 12 and isinstance(counted.compute(), np.int64)


def test_nested_loops_capture_outer_loop_values(dc: DaphneContext) -> None:
    S = dc.fill(0, 1, 1)

    def outer(s: Matrix, i: Scalar) -> Matrix:
        (inner,) = dc.for_loop([s], lambda t, j: t + i * j, 1, 2)
        return inner

    (total,) = dc.for_loop([S], outer, 1, 3)
    assert values(total)[0, 0] == sum(i * j for i in range(1, 4) for j in range(1, 3))


def test_function_with_multiple_returns(dc: DaphneContext) -> None:
    @dc.function
    def stats(m: Matrix, shift: Scalar):
        return m + shift, m.sum(), (m * shift).t()

    X = dc.seq(1, 4, 1).reshape(2, 2)
    out = stats(X, dc.fill(10, 1, 1).sum())
    assert isinstance(out, MultiReturn) and len(out) == 3
    assert [type(o) for o in out] == [Matrix, Scalar, Matrix]
    np.testing.assert_array_equal(values(out[0]), [[11, 12], [13, 14]])
    assert out[1].compute() == 10
    np.testing.assert_array_equal(values(out[2]), [[10, 30], [20, 40]])
    # A second call with other inputs reuses the same definition.
    again = stats(X * 2, 1)
    np.testing.assert_array_equal(values(again[0]), [[3, 5], [7, 9]])
    assert len(dc._functions) == 1


def test_function_single_result_frames_and_closures(dc: DaphneContext) -> None:
    offset = dc.fill(100, 1, 1)

    @dc.function
    def shifted(m):  # unannotated: a Matrix
        return m + offset

    (r,) = shifted(dc.fill(1, 1, 2))
    np.testing.assert_array_equal(values(r), [[101, 101]])

    @dc.function
    def twice(f: Frame):
        return f.rbind(f)

    (g,) = twice(dc.from_pandas(pd.DataFrame({"x": [1.5]})))
    assert list(g.compute()["x"]) == [1.5, 1.5]


def test_function_checks_annotations_and_arguments(dc: DaphneContext) -> None:
    with pytest.raises(ValueError, match="must be annotated as Matrix, Frame or Scalar"):
        dc.function(_bad_annotation)

    @dc.function
    def ident(m: Matrix):
        return m

    with pytest.raises(TypeError, match="argument 0 must be a Matrix"):
        ident(dc.fill(1, 1, 1).sum())
    with pytest.raises(TypeError, match="takes 1 argument"):
        ident()


def _bad_annotation(a: int) -> None:
    return None


def test_control_nodes_compute_and_render(dc: DaphneContext, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    X = dc.fill(1.0, 1, 1)
    (y,) = dc.for_loop([X], lambda x, i: x + i, 1, 2)
    construct = y._args[0]
    with pytest.raises(NotImplementedError, match="control-flow construct"):
        construct.compute()
    assert values(y)[0, 0] == 4.0
    y.compute(verbose=True)
    out = capsys.readouterr().out
    assert "for (V" in out and " in 1:2) {" in out and "saveDaphneLibResult" in out
