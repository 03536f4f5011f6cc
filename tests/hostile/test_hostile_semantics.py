"""Silent wrong answers: fractional positions and loop bounds, control-flow kinds,
signed zeros in min/max."""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib.dsl import run_script
from daphnelib.engine.registry import lookup

finite = st.floats(-6, 6, allow_nan=False).filter(lambda v: v != int(v))


@settings(max_examples=40, deadline=None)
@given(finite, st.integers(-6, 5))
def test_fractional_positions_truncate_toward_zero(p: float, lo: int) -> None:
    a = np.arange(12, dtype=np.float64).reshape(6, 2)
    script = f"X = reshape(seq(0.0, 11.0, 1.0), 6, 2); saveDaphneLibResult(X[{p!r}, ]);"
    q = math.trunc(p)
    if not -6 <= q < 6:
        with pytest.raises(Exception, match="out of bounds"):
            run_script(script)
    else:
        np.testing.assert_array_equal(run_script(script), a[q:q + 1 or None, :])
    hi = q + 6 if q < 0 else q
    script = f"X = reshape(seq(0.0, 11.0, 1.0), 6, 2); saveDaphneLibResult(X[{lo}:{p!r}, ]);"
    start = lo + 6 if lo < 0 else lo
    if 0 <= hi <= 6 and start <= hi:
        np.testing.assert_array_equal(run_script(script), a[start:hi, :])
    # the same rule for left indexing: the row written is the truncated position
    if -6 <= q < 6:
        got = run_script(f"X = fill(0.0, 6, 2); X[{p!r}, ] = fill(1.0, 1, 2); "
                         "saveDaphneLibResult(X);")
        expected = np.zeros((6, 2))
        expected[q] = 1.0
        np.testing.assert_array_equal(got, expected)


@settings(max_examples=40, deadline=None)
@given(st.floats(-4, 4, allow_nan=False), st.floats(-4, 4, allow_nan=False))
def test_for_bounds_truncate_toward_zero_in_dsl_and_python(start: float, end: float) -> None:
    lo, hi = math.trunc(start), math.trunc(end)
    expected = list(range(lo, hi + 1)) if hi >= lo else list(range(lo, hi - 1, -1))
    got = run_script(f"s = 0; n = 0; for (i in {start!r}:{end!r}) {{ s = s + i; n = n + 1; }}"
                     f" saveDaphneLibResult(s * 1000 + n);")
    assert int(got) == sum(expected) * 1000 + len(expected)
    dc = DaphneContext()
    seed = dc.fill(0, 1, 1).sum()
    (total,) = dc.for_loop([seed], lambda s, i: s + i, start, end)
    assert total.compute() == sum(expected)


def test_for_prints_the_truncated_loop_variable(capsys: pytest.CaptureFixture[str]) -> None:
    run_script("for (i in 0.5:2.9) print(i);")
    assert capsys.readouterr().out == "0\n1\n2\n"


def test_control_flow_that_changes_a_kind_raises_at_build_time(dc: DaphneContext) -> None:
    s = dc.fill(1.0, 1, 1).sum()
    m = dc.fill(1.0, 2, 2)
    with pytest.raises(TypeError, match="returns a Matrix as result 0, but input node 0 is a "
                                        "Scalar"):
        dc.for_loop([s], lambda v, i: dc.fill(1.0, 2, 2), 0, 2)
    with pytest.raises(TypeError, match="returns a Scalar as result 0"):
        dc.while_loop([m], lambda v: v.sum() < 3, lambda v: v.sum())
    with pytest.raises(TypeError, match="returns a Matrix as result 1"):
        dc.cond([m, s], lambda: s > 0, lambda a, b: (a, a))


def _std_min(a: float, b: float) -> float:
    return b if b < a else a  # std::min(a, b)


def _std_max(a: float, b: float) -> float:
    return b if a < b else a  # std::max(a, b)


def _bits(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.uint64)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.integers(1, 3),
       st.sampled_from(["float64", "float32"]))
def test_min_max_keep_the_left_operand_like_std_min(seed: int, rows: int, cols: int,
                                                    dtype: str) -> None:
    """Signed zeros and NaNs as DAPHNE's std::min/std::max folds give them, on arrays long
    enough for numpy's SIMD loops (which return either zero)."""
    rng = np.random.default_rng(seed)
    pool = np.array([-0.0, 0.0, 1.0, -1.0, np.nan], dtype=dtype)
    a = rng.choice(pool, size=(rows, cols), p=[0.4, 0.4, 0.08, 0.08, 0.04])
    b = rng.choice(pool, size=(rows, cols), p=[0.4, 0.4, 0.08, 0.08, 0.04])
    dc = DaphneContext()
    x, y = dc.from_numpy(a), dc.from_numpy(b)
    for node_fn, fold in ((lambda: x.min(y), _std_min), (lambda: x.max(y), _std_max)):
        with np.errstate(invalid="ignore"):
            expected = np.vectorize(fold, otypes=[a.dtype])(a, b)
        np.testing.assert_array_equal(_bits(node_fn().compute()), _bits(expected))
    for name, fold in (("Min", _std_min), ("Max", _std_max)):
        per_col = [functools.reduce(fold, a[:, j].tolist()) for j in range(cols)]
        per_row = [functools.reduce(fold, a[i].tolist()) for i in range(rows)]
        got_col = getattr(x, f"agg{name}")(1).compute()
        np.testing.assert_array_equal(_bits(got_col.reshape(-1)), _bits(per_col))
        got_row = getattr(x, f"agg{name}")(0).compute()
        np.testing.assert_array_equal(_bits(got_row.reshape(-1)), _bits(per_row))
        running = np.array([list(itertools.accumulate(a[:, j].tolist(), fold))
                            for j in range(cols)]).T
        got = getattr(x, f"cum{name}")().compute()
        np.testing.assert_array_equal(_bits(got), _bits(running))
        # grouped: groups of the rows by id, each folded in row order
        ids = rng.integers(0, 3, size=(rows, 1))
        present = np.unique(ids)
        ids = np.searchsorted(present, ids)  # no empty group
        grouped = [[functools.reduce(fold, a[ids[:, 0] == g, j].tolist()) for j in range(cols)]
                   for g in range(len(present))]
        got = lookup(f"agg{name}")(a, ids.astype(np.int64), len(present))
        np.testing.assert_array_equal(_bits(got), _bits(grouped))
