"""The Dask backend agrees with the embedded engine, op by op, on tiny ragged blocks.

Every op runs on an in-process ``LocalCluster(processes=False)`` (started once for the module)
with 3-row blocks, so each sees several blocks and a short last one. Integers must be equal
bit for bit, floats within a tolerance (the reduction order differs), dtypes and shapes equal.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

pytest.importorskip("distributed")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib.backends import dask_blocks
from daphnelib.backends.dask import DaskBackend
from daphnelib.engine.executor import compile_program, run
from support import verbose_log_on

ROWS = 10  # blocks of 3 rows: 3, 3, 3, 1


@pytest.fixture(scope="module")
def backend(client: Any) -> DaskBackend:
    return DaskBackend(client=client, block_rows=3)


def embedded(node: Any) -> Any:
    return run(compile_program(node._lower()))


def assert_same(got: Any, expected: Any) -> None:
    """Equal type, dtype and shape; integers exactly, floats to 1e-12 relative."""
    assert type(got) is type(expected), (type(got), type(expected))
    got_a, exp_a = np.asarray(got), np.asarray(expected)
    assert got_a.dtype == exp_a.dtype, (got_a.dtype, exp_a.dtype)
    assert got_a.shape == exp_a.shape, (got_a.shape, exp_a.shape)
    if exp_a.dtype.kind == "f":
        np.testing.assert_allclose(got_a, exp_a, rtol=1e-12, atol=1e-12, equal_nan=True)
    else:
        np.testing.assert_array_equal(got_a, exp_a)


def agree(backend: DaskBackend, node: Any) -> Any:
    got = backend.execute(node._lower())
    assert_same(got, embedded(node))
    return got


_rng = np.random.default_rng(7)
FLOATS = _rng.normal(size=(ROWS, 4))
FLOATS[3, 1] = FLOATS[7, 2] = np.nan  # NaN in the first row of a later block, and inside one
INTS = _rng.integers(-9, 10, size=(ROWS, 4))
SMALL = _rng.integers(1, 4, size=(4, 2)).astype(np.int32)

Case = Callable[[DaphneContext, Any, Any], Any]
CASES: dict[str, Case] = {
    # elementwise, broadcasting, DAPHNE typing
    "add": lambda dc, x, y: x + y,
    "int_div_truncates": lambda dc, x, y: y / 4,
    "int_mod_c_sign": lambda dc, x, y: y % 4,
    "int_pow": lambda dc, x, y: y ** 2,
    "compare_01": lambda dc, x, y: y > 0,
    "scalar_lhs": lambda dc, x, y: 3 - y,
    "row_vector": lambda dc, x, y: x - x.mean(axis=1),
    "column_vector": lambda dc, x, y: y * y.sum(axis=0),
    "min_nan": lambda dc, x, y: x.min(0.5),
    "unary": lambda dc, x, y: x.abs().sqrt(),
    "round": lambda dc, x, y: (x * 2.5).round(),
    "outer": lambda dc, x, y: y[:, 0].outerMul(y[0:1, :]),
    "if_else": lambda dc, x, y: (y > 0).ifElse(y, -1),
    "softmax": lambda dc, x, y: dc.from_numpy(np.nan_to_num(FLOATS))._new("softmax"),
    "relu": lambda dc, x, y: x._new("relu"),
    "cast": lambda dc, x, y: y.asType(vtype="si8"),
    "cast_float": lambda dc, x, y: y.asType(vtype="f32"),
    # aggregates: full, per row (axis 0), per column (axis 1)
    "sum": lambda dc, x, y: y.sum(),
    "sum_rows": lambda dc, x, y: y.sum(axis=0),
    "sum_cols": lambda dc, x, y: y.sum(axis=1),
    "min_cols_nan": lambda dc, x, y: x.aggMin(axis=1),
    "max_cols_nan": lambda dc, x, y: x.aggMax(axis=1),
    "max_full_nan": lambda dc, x, y: x.aggMax(),
    "min_rows": lambda dc, x, y: y.aggMin(axis=0),
    "mean": lambda dc, x, y: y.mean(),
    "mean_cols": lambda dc, x, y: y.mean(axis=1),
    "var": lambda dc, x, y: y.var(),
    "var_cols": lambda dc, x, y: y.var(axis=1),
    "stddev_cols": lambda dc, x, y: y.stddev(axis=1),
    "stddev_rows": lambda dc, x, y: y.stddev(axis=0),
    "idxmin_cols_nan": lambda dc, x, y: x.idxMin(axis=1),
    "idxmax_cols_ties": lambda dc, x, y: (y > 0).idxMax(axis=1),
    "idxmax_rows": lambda dc, x, y: y.idxMax(axis=0),
    # products
    "syrk": lambda dc, x, y: y.t() @ y,
    "syrk_float": lambda dc, x, y: (x.abs() + 1).t() @ (x.abs() + 1),
    "t_matmul": lambda dc, x, y: y.t() @ (y * 2),
    "matmul_broadcast": lambda dc, x, y: y @ dc.from_numpy(SMALL),
    "solve_after_syrk": lambda dc, x, y: ((y.t() @ y) + dc.fill(1.0, 4, 4)).solve(
        y.t() @ y[:, 0]),
    # reorganisation, indexing
    "transpose": lambda dc, x, y: y.t(),
    "cbind": lambda dc, x, y: y.cbind(x),
    "rbind_promotes": lambda dc, x, y: y.rbind(x),
    "row_range": lambda dc, x, y: y[2:8, 1:3],
    "one_row": lambda dc, x, y: y[-1, :],
    "row_positions": lambda dc, x, y: y[dc.from_numpy(np.array([[9], [0], [4], [4]])), 0],
    "filter_rows": lambda dc, x, y: y._new("filter", y[:, 0] > 0, None),
    "filter_rows_cols": lambda dc, x, y: y._new("filter", y[:, 1] < 0,
                                                dc.from_numpy(np.array([[1, 0, 0, 1]]))),
    "shape": lambda dc, x, y: y.ncell(),
    # generators on the workers
    "fill": lambda dc, x, y: dc.fill(7, 11, 2),
    "seq_int": lambda dc, x, y: dc.seq(20, -3, -2),
    "seq_float": lambda dc, x, y: dc.seq(0.1, 3.0, 0.3),
    "rand_one_tile": lambda dc, x, y: dc.rand(9, 3, min=-1.0, max=2.0, sparsity=0.4, seed=11),
    "rand_int": lambda dc, x, y: dc.rand(8, 2, min=1, max=6, seed=3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_embedded(backend: DaskBackend, name: str) -> None:
    dc = DaphneContext()
    agree(backend, CASES[name](dc, dc.from_numpy(FLOATS), dc.from_numpy(INTS)))


def test_every_lowered_op_ran_on_the_cluster(backend: DaskBackend,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    dc = DaphneContext()
    y = dc.from_numpy(INTS)
    backend.execute(((y.t() @ y) + 1).solve(y.t() @ y[:, 0])._lower(), verbose=True)
    out = capsys.readouterr().out
    assert "V0 receiveFromNumpy: cluster (4 blocks)" in out
    assert "sent 10x4 (320 B) to the cluster" in out
    assert "@: cluster" in out and "solve: local" in out
    assert "gathered 4x4 (128 B)" in out


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(
    rows=st.integers(1, 9),
    cols=st.integers(1, 3),
    block=st.integers(1, 4),
    op=st.sampled_from(["+", "-", "*", "/", "%", "min", "==", "<"]),
    data=st.data(),
)
def test_integer_elementwise_and_sums_are_exact(client: Any, rows: int, cols: int, block: int,
                                                op: str, data: Any) -> None:
    values = st.integers(-2**62, 2**62)
    lhs = np.array(data.draw(st.lists(values, min_size=rows * cols, max_size=rows * cols)),
                   dtype=np.int64).reshape(rows, cols)
    rhs = lhs[:1] % 7 + 1  # a non-zero row vector: broadcasts over every block
    dc = DaphneContext()
    node = dc.from_numpy(lhs)._new(op, dc.from_numpy(rhs))
    backend = DaskBackend(client=client, block_rows=block)
    agree(backend, node)
    agree(backend, node.sum(axis=1))  # wraps like the kernel: exact in any block order
    agree(backend, node.t() @ node)


def test_shape_errors_are_the_kernels_and_move_no_data(backend: DaskBackend) -> None:
    dc = DaphneContext()
    y = dc.from_numpy(INTS)
    with pytest.raises(ValueError, match="rhs must be a row"):
        backend.execute((y + dc.from_numpy(np.ones((3, 4))))._lower())
    with pytest.raises(ValueError, match="number of columns of lhs"):
        backend.execute((y @ y)._lower())
    with pytest.raises(ValueError, match="same number of columns"):
        backend.execute(y.rbind(y[:, 0:2])._lower())


def test_integer_division_by_zero_raises(backend: DaskBackend) -> None:
    dc = DaphneContext()
    y = dc.from_numpy(INTS)
    with pytest.raises(ZeroDivisionError, match="integer division by zero"):
        backend.execute((y / (y * 0)).sum()._lower())


def test_local_fallback_gathers_only_within_the_limit(client: Any) -> None:
    dc = DaphneContext()
    node = dc.from_numpy(INTS).cumSum()  # no distributed lowering: runs locally
    agree(DaskBackend(client=client, block_rows=3), node)
    small = DaskBackend(client=client, block_rows=3, gather_limit=100)
    with pytest.raises(MemoryError, match=r"V1 cumSum needs a distributed 10x4 matrix locally"):
        small.execute(node._lower())


def test_rand_tiles_do_not_depend_on_the_block_size(client: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dask_blocks, "RAND_TILE", 4)
    dc = DaphneContext()
    node = dc.rand(11, 3, min=0.0, max=5.0, sparsity=0.7, seed=42)
    results = [DaskBackend(client=client, block_rows=b).execute(node._lower()) for b in (2, 3, 11)]
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    np.testing.assert_array_equal(results[0][:4], embedded(dc.rand(4, 3, 0.0, 5.0, 0.7, 42)))
    assert not np.array_equal(results[0][4:8], results[0][:4])  # tiles differ
    assert ((results[0] >= 0) & (results[0] <= 5)).all()
    drawn = DaskBackend(client=client, block_rows=3).execute(dc.rand(6, 2, seed=-1)._lower())
    assert drawn.shape == (6, 2) and drawn.dtype == np.float64


def test_auto_keeps_small_programs_on_the_embedded_engine(client: Any,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    dc = DaphneContext()
    y = dc.from_numpy(INTS)
    node = (y.t() @ y).sum()
    auto = DaskBackend(client=client, placement="auto", memory_budget=1 << 20)
    assert_same(auto.execute(node._lower(), verbose=True), embedded(node))
    assert "whole program runs on the embedded engine" in capsys.readouterr().out


def test_auto_sends_only_what_exceeds_the_budget(client: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    dc = DaphneContext()
    x = dc.rand(40, 5, seed=3)  # 1600 bytes: over the 1000-byte budget
    node = (x.t() @ x).solve(x.t() @ x[:, 0])
    auto = DaskBackend(client=client, placement="auto", memory_budget=1000, block_rows=16)
    assert_same(auto.execute(node._lower(), verbose=True), embedded(node))
    out = capsys.readouterr().out
    assert "rand 40x5 generated on the workers" in out
    assert "solve: local" in out  # 5x5 and 5x1: small, back on the client


def test_import_daphnelib_imports_no_dask() -> None:
    code = ("import sys, numpy as np, daphnelib; from daphnelib import DaphneContext; "
            "DaphneContext().from_numpy(np.ones((2, 2))).sum().compute(); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')); "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_worker_processes_run_our_kernels(capsys: pytest.CaptureFixture[str]) -> None:
    """One smoke test on worker processes: kernels travel by name, results come back exact."""
    import pandas as pd
    from distributed import Client, LocalCluster

    from daphnelib.interop.pandas import to_pandas

    with LocalCluster(processes=True, n_workers=1, threads_per_worker=1,
                      dashboard_address=":0") as cluster, Client(cluster,
                                                                 set_as_default=False) as c:
        backend = DaskBackend(client=c, block_rows=3)
        dc = DaphneContext()
        y = dc.from_numpy(INTS)
        agree(backend, y.t() @ y)
        agree(backend, (y / 3).mean(axis=1))
        agree(backend, LOOPS["for"](dc))  # persisted loop values
        # An outer join's conforming step and a pre-aggregated GROUP BY travel too.
        for node in (frame_cases(dc)["outer_join"], sql_node(DaphneContext(), next(
                q for q, pre in SQL_GROUPS.items() if pre))):
            pd.testing.assert_frame_equal(_sorted_frame(to_pandas(backend.execute(node._lower()))),
                                          _sorted_frame(to_pandas(embedded(node))),
                                          check_exact=False, rtol=1e-12)
        # A DSL function mapped per block travels without its compiled code.
        log = verbose_log_on(backend, "def inc(v: f64) -> f64 { return v * 3 + 1; }\n"
                             "X = rand(10, 3, 0.0, 1.0, 1.0, 8);\nprint(map(X, inc));\n", capsys)
        assert "map: cluster (4 blocks)" in log


def test_context_runs_on_the_dask_backend(client: Any) -> None:
    dc = DaphneContext(backend="dask", client=client, block_rows=3)
    assert isinstance(dc.backend, DaskBackend) and dc.backend.placement == "dask"
    y = dc.from_numpy(INTS)
    beta = ((y.t() @ y) + dc.fill(1.0, 4, 4)).solve(y.t() @ y[:, 0])
    expected = ((INTS.T @ INTS) + 1.0)
    np.testing.assert_allclose(beta.compute(), np.linalg.solve(expected, INTS.T @ INTS[:, :1]))
    assert DaphneContext(backend="auto", client=client).backend.placement == "auto"


def test_from_dask_and_as_dask_hand_over_without_gathering(client: Any) -> None:
    import dask.array as da

    dc = DaphneContext(backend="dask", client=client, block_rows=3)
    source = da.from_array(INTS, chunks=(4, 2))  # column chunks too: joined on entry
    x = dc.from_dask(source)
    out = (x * 2).compute(asDask=True)
    assert isinstance(out, da.Array) and out.chunks == ((4, 4, 2), (4,))
    np.testing.assert_array_equal(client.compute(out).result(), INTS * 2)
    np.testing.assert_array_equal(x.sum(axis=1).compute(), INTS.sum(axis=0, keepdims=True))
    embedded_dc = DaphneContext()
    assert_same(embedded_dc.from_dask(da.from_array(INTS[:, 0])).compute(), INTS[:, :1])
    wrapped = embedded_dc.from_numpy(INTS).compute(asDask=True)
    assert isinstance(wrapped, da.Array) and wrapped.numblocks == (1, 1)
    with pytest.raises(TypeError, match=r"from_dask needs a dask\.array\.Array"):
        dc.from_dask(INTS)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        dc.from_dask(da.zeros((2, 2, 2)))


# -- control flow: loops on the client, loop-carried values persisted on the cluster --------

def power_steps(dc: DaphneContext, n: int) -> Any:
    """n steps of a damped power iteration over a distributed matrix (a captured value), with
    a carried scalar; the loop variable scales each step."""
    x = dc.from_numpy(np.abs(INTS) + 1.0)
    w, s = dc.for_loop([x, dc.fill(0.0, 1, 1).sum()],
                       lambda w, s, i: ((w * 0.5 + x / i), s + (w * i).sum()), 1, n)
    return w, s


def gradient_steps(dc: DaphneContext, n: int) -> Any:
    """Least-squares gradient steps: t(X) @ (X @ w - y) each iteration (per-block products,
    t(X) never materialised), the carried w small and local."""
    x = dc.from_numpy(np.abs(INTS) + 1.0)
    y = x[:, 0] * 2.0
    return dc.for_loop([dc.fill(0.0, 4, 1)],
                       lambda w, i: (w - (x.t() @ (x @ w - y)) * 0.001,), 1, n)[0]


LOOPS: dict[str, Callable[[DaphneContext], Any]] = {
    "for": lambda dc: power_steps(dc, 4)[0],
    "for_carried_scalar": lambda dc: power_steps(dc, 4)[1],
    "while_aggregate_condition": lambda dc: dc.while_loop(
        [dc.from_numpy(INTS)], lambda y: y.sum() < 10_000, lambda y: (y * 2 + 1,))[0],
    "do_while": lambda dc: dc.do_while_loop(
        [dc.from_numpy(INTS)], lambda y: y.aggMax() < 0, lambda y: (y.t().t() - 1,))[0],
    "if_in_loop": lambda dc: dc.for_loop(
        [dc.from_numpy(INTS)], lambda y, i: dc.cond([y], lambda: i > 2, lambda y: (y + i,),
                                                    lambda y: (y * i,)), 1, 5)[0],
    "gradient_steps_t_x_at_y": lambda dc: gradient_steps(dc, 5),
    "loop_over_frame_rows": lambda dc: dc.for_loop(
        [dc.from_pandas(_frame_of_ints())], lambda f, i: (f.rbind(f[0:1, :]),), 1, 3)[0],
}


def _frame_of_ints() -> Any:
    import pandas as pd

    return pd.DataFrame({"k": INTS[:, 0], "v": INTS[:, 1]})


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_loops_agree_with_embedded(backend: DaskBackend, name: str) -> None:
    node = LOOPS[name](DaphneContext())
    got, expected = backend.execute(node._lower()), embedded(node)
    if hasattr(expected, "labels"):
        import pandas as pd

        from daphnelib.interop.pandas import to_pandas

        pd.testing.assert_frame_equal(to_pandas(got), to_pandas(expected), check_exact=True)
    else:
        assert_same(got, expected)


def test_loop_bodies_run_on_the_cluster(backend: DaskBackend,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    backend.execute(power_steps(DaphneContext(), 2)[0]._lower(), verbose=True)
    out = capsys.readouterr().out
    assert "for: loop-carried distributed values persisted after each iteration" in out
    assert "*: cluster (4 blocks)" in out and "+: cluster (4 blocks)" in out
    assert "for: local" not in out and out.count("gathered") == 1  # the result only


def test_loop_carried_graph_does_not_grow_with_iterations(backend: DaskBackend) -> None:
    import dask.array as da

    sizes = []
    for n in (3, 6, 12):
        w = backend.execute_lazy(power_steps(DaphneContext(), n)[0]._lower())
        assert isinstance(w, da.Array) and w.numblocks == (4, 1)
        sizes.append(len(w.__dask_graph__()))
        assert_same(backend.client.compute(w, sync=True),
                    embedded(power_steps(DaphneContext(), n)[0]))
    assert sizes[0] == sizes[1] == sizes[2] == 4, sizes  # one persisted key per block


# -- frames: partitions of engine FrameValues ----------------------------------------------

def frame_cases(dc: DaphneContext) -> dict[str, Any]:
    import pandas as pd

    from daphnelib.operator.nodes.frame import Frame
    from daphnelib.operator.operation_node import new_node

    left = pd.DataFrame({"k": INTS[:, 0], "a": FLOATS[:, 0],
                         "n": pd.array([1, None, 3, 4, None, 6, 7, 8, 9, 10], "Int64")})
    right = pd.DataFrame({"k2": np.arange(-9, 10, 2), "b": np.arange(10) * 1.5})
    lf, rf = dc.from_pandas(left), dc.from_pandas(right)
    wide = dc.from_pandas(outer_side())
    y = dc.from_numpy(INTS)
    made = dc.createFrame([y[:, 0], y[:, 1] * 2], ["k", "v"])  # a strided column, too
    return {
        "create_then_matrix": made.toMatrix("si64"),
        "columns": lf[:, ["k", "n"]],
        "filter_rows": new_node(Frame, dc, "filter", lf, y[:, 2] > 0, None),
        "rbind": lf.rbind(lf),
        "cbind": lf.cbind(rf),
        "inner_join": lf.innerJoin(rf, "k", "k2"),
        "left_join": lf.leftJoin(rf, "k", "k2"),
        "left_join_wide": lf.leftJoin(wide, "k", "k3"),
        "left_join_broadcast": lf.leftJoin(wide[0:5, :], "k", "k3"),
        "right_join": lf.rightJoin(wide, "k", "k3"),
        "outer_join": lf.outerJoin(wide, "k", "k3"),
        "outer_join_local_rhs": wide.outerJoin(lf[0:6, :], "k3", "k"),
        "outer_join_two_keys": lf.outerJoin(rf, ["k", "a"], ["k2", "b"]),
        "semi_join": lf.semiJoin(rf, "k", "k2"),
        "broadcast_join_keeps_order": lf.innerJoin(rf[0:4, :], "k", "k2"),
        "anti_join": lf.antiJoin(rf, "k", "k2"),
        "group_by": lf.groupBy("k", {"a": ["sum", "max"], "n": "count"}),
        "group_created": made.groupBy("k", {"v": "sum"}),
        "group_mean_shuffles_rows": lf.groupBy("k", {"a": "mean", "n": "min"}),
        "nrow": lf.rbind(lf).nrow(),
    }


def outer_side() -> Any:
    """A right side whose unmatched rows turn every kind of column nullable: ints, bools,
    widened int16, strings (categoricals and floats keep their own null encoding)."""
    import pandas as pd

    keys = np.array([-9, 0, 3, 3, 5, 8, 11, -4, 2, 7, 6, 9])
    return pd.DataFrame({"k3": keys, "t": [f"s{v}" for v in keys], "flag": keys % 2 == 0,
                         "i16": (keys * 3).astype(np.int16),
                         "cat": pd.Categorical(["x", "y"] * 6), "f": keys * 0.5})


def _sorted_frame(df: Any) -> Any:
    return df.sort_values(list(df.columns), kind="stable", na_position="last").reset_index(
        drop=True)


@pytest.mark.parametrize("name", sorted(frame_cases(DaphneContext())))
def test_frames_agree_with_embedded_up_to_row_order(backend: DaskBackend, name: str) -> None:
    import pandas as pd

    dc = DaphneContext()
    node = frame_cases(dc)[name]
    got, expected = backend.execute(node._lower()), embedded(node)
    if isinstance(expected, np.ndarray) or not hasattr(expected, "labels"):
        assert_same(got, expected)
        return
    from daphnelib.interop.pandas import to_pandas

    pd.testing.assert_frame_equal(_sorted_frame(to_pandas(got)),
                                  _sorted_frame(to_pandas(expected)), check_exact=True)


def test_frame_ops_run_on_partitions(backend: DaskBackend,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    dc = DaphneContext()
    node = frame_cases(dc)["inner_join"]
    backend.execute(node._lower(), verbose=True)
    out = capsys.readouterr().out
    assert "receiveFrame: cluster (4 partitions)" in out
    assert "innerJoin: cluster (4 partitions)" in out


@pytest.mark.parametrize("name", ["left_join_wide", "outer_join", "left_join_broadcast"])
def test_outer_join_partitions_share_one_encoding(backend: DaskBackend, name: str) -> None:
    """Each partition (a bucket, or an lhs partition against a broadcast rhs) holds every
    column in the one encoding of the embedded result, though only some met a null."""
    from daphnelib.backends import dask_frames
    from daphnelib.engine import logical

    dc = DaphneContext()
    out = backend.execute_lazy(frame_cases(dc)[name]._lower())
    assert dask_frames.is_partitioned(out)
    parts = backend.client.compute(list(out.parts), sync=True)
    expected = embedded(frame_cases(dc)[name])
    assert [p.nrow for p in parts].count(0) < len(parts) - 1  # several non-empty partitions
    assert sum(p.nrow for p in parts) == expected.nrow
    for p in parts:
        assert [c.dtype for c in p.columns] == [c.dtype for c in expected.columns]
        for got, want in zip(p.logical, expected.logical, strict=True):
            assert logical.same_type(got, want), (logical.describe(got), logical.describe(want))


def test_broadcast_left_join_keeps_the_embedded_order(backend: DaskBackend,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    node = frame_cases(DaphneContext())["left_join_broadcast"]
    got = backend.execute(node._lower(), verbose=True)
    assert "leftOuterJoin: cluster (4 partitions)" in capsys.readouterr().out
    pd.testing.assert_frame_equal(to_pandas(got), to_pandas(embedded(node)), check_exact=True)


def test_as_dask_does_not_combine_with_tensors() -> None:
    with pytest.raises(ValueError, match="asArrow and asDask, not several"):
        DaphneContext().from_numpy(INTS).compute(asDask=True, asPyTorch=True)


def test_frame_records_survive_pickling() -> None:
    import pickle

    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    df = pd.DataFrame({"n": pd.array([1, None], "Int64")})
    value = embedded(DaphneContext().from_pandas(df))
    pd.testing.assert_frame_equal(to_pandas(pickle.loads(pickle.dumps(value))), df)


# -- SQL: partition-local work by DuckDB per partition, the rest distributed or gathered -----

SQL_VIEWS = {
    "t": {"k": INTS[:, 0], "a": FLOATS[:, 0], "s": list("abcdefghij"),
          "n": [1, None, 3, 4, None, 6, 7, 8, 9, 10]},
    "u": {"k": np.arange(-9, 10, 2), "b": np.arange(10) * 1.5},
}
# query -> (strategy, whether the row order is the embedded one; else equal after sorting:
# per-bucket results come bucket by bucket, see docs/compatibility.md)
SQL_CASES: dict[str, tuple[str, bool]] = {
    "SELECT t.a * 2 AS x, t.s, t.k / 2 AS h FROM t WHERE t.a > 0": ("per partition", True),
    "SELECT * FROM t WHERE t.k > 100": ("per partition", True),  # every partition empty
    "SELECT t.n + 1 AS m, t.s FROM t WHERE t.k < 2": ("per partition", True),  # NULLs in some
    "SELECT t.k, sum(t.a) AS sa, count(*) AS c, avg(t.n) AS m FROM t WHERE t.n > 2 "
    "GROUP BY t.k": ("per bucket: group by", False),
    "SELECT t.k, max(t.s) AS ms FROM t GROUP BY t.k HAVING count(*) > 1":
        ("per bucket: group by", False),
    "SELECT t.k, t.a, u.b FROM t JOIN u ON t.k = u.k WHERE t.a > -1 AND u.b < 12":
        ("per bucket: join", False),
    "SELECT t.s, u.b FROM t, u WHERE t.k = u.k": ("per bucket: join", False),
    "SELECT * FROM t ORDER BY t.a DESC LIMIT 4": ("gathered", True),
    "SELECT sum(t.a) AS total, count(t.n) AS c FROM t WHERE t.k >= 0": ("gathered", True),
    "SELECT DISTINCT t.k FROM t": ("gathered", True),
    "SELECT t.s, count(*) AS c FROM t GROUP BY t.s": ("per bucket: group by", False),
    "SELECT t.k FROM t WHERE t.a > (SELECT avg(t.a) FROM t)": ("gathered", True),
    "SELECT x.k, y.a FROM t AS x JOIN t AS y ON x.k = y.k": ("gathered", True),
    "SELECT t.k FROM t UNION ALL SELECT u.k FROM u": ("gathered", True),
    "SELECT t.k, u.b FROM t POSITIONAL JOIN u": ("gathered", True),  # joins by row number
    "SELECT product(t.k) AS p FROM t": ("gathered", True),  # an aggregate sqlglot cannot tell
    "SELECT max(COLUMNS('^[kn]$')) FROM t WHERE t.a > 0": ("gathered", True),  # no column cut
}


def sql_node(dc: DaphneContext, query: str) -> Any:
    import pandas as pd

    for name, data in SQL_VIEWS.items():
        df = pd.DataFrame(data)
        if "n" in df:
            df["n"] = pd.array(data["n"], "Int64")
        dc.from_pandas(df).registerView(name)
    return dc.sql(query)


@pytest.mark.parametrize("query", sorted(SQL_CASES))
def test_sql_agrees_with_embedded(backend: DaskBackend, query: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    strategy, same_order = SQL_CASES[query]
    node = sql_node(DaphneContext(), query)
    got = to_pandas(backend.execute(node._lower(), verbose=True))
    expected = to_pandas(embedded(node))
    out = capsys.readouterr().out
    assert f"sql: {strategy}" in out, out
    assert "for V2 sql" not in out  # no view was gathered whole for the query
    if not same_order:
        got, expected = _sorted_frame(got), _sorted_frame(expected)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_sql_pushes_filters_and_columns_down(backend: DaskBackend,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    from daphnelib.backends import dask_sql
    from daphnelib.interop.pandas import to_pandas

    query = "SELECT t.k, sum(t.a) AS sa FROM t WHERE t.a > 0 GROUP BY t.k"
    node = sql_node(DaphneContext(), query)
    got = backend.execute_lazy(node._lower(), verbose=True)
    assert "sql: per bucket: group by; WHERE pushed down to t" in capsys.readouterr().out
    assert len(got.parts) == 4  # one bucket per partition: the result stays distributed
    mine = to_pandas(backend.execute(node._lower()))
    assert set(mine["t.k"]) == set(INTS[FLOATS[:, 0] > 0, 0])
    schema = embedded(DaphneContext().from_pandas(pd.DataFrame(SQL_VIEWS["t"])))
    (src,) = dask_sql.analyse(query, {"t": schema}).sources
    assert [c.sql() for c in src.pushed] == ["t.a > 0"] and src.keys == [0]
    cut = dask_sql.Prefilter("t", "a > 0", (0, 1))  # what each partition runs
    kept = cut(schema)
    assert kept.labels == ["k", "a"] and kept.nrow == int((FLOATS[:, 0] > 0).sum())


# GROUP BY query -> whether it is pre-aggregated per partition (else the rows move)
SQL_GROUPS = {
    "SELECT t.k, sum(t.a) AS sa, count(*) AS c, avg(t.n) AS m FROM t WHERE t.n > 2 "
    "GROUP BY t.k": True,
    "SELECT t.k, min(t.a), max(t.n), count(t.n), avg(t.a), avg(t.k) FROM t GROUP BY t.k": True,
    "SELECT max(t.s) AS ms, t.k, min(t.s) AS m2 FROM t GROUP BY t.k": True,
    "SELECT t.k, sum(t.a * 2 + t.n) AS x FROM t WHERE t.a < 1 GROUP BY t.k": True,
    "SELECT t.n, t.k, sum(t.a) AS s, count(*) AS c FROM t GROUP BY t.k, t.n": True,  # NULL keys
    "SELECT t.k, sum(t.k > 0) AS pos, min(t.a > 0) AS b FROM t GROUP BY t.k": True,  # bools
    "SELECT t.k, count(DISTINCT t.n) AS d FROM t GROUP BY t.k": False,
    "SELECT t.k, sum(t.a) / count(*) AS r FROM t GROUP BY t.k": True,
    "SELECT t.k, max(t.s) AS ms FROM t GROUP BY t.k HAVING count(*) > 1": True,
}


@pytest.mark.parametrize("query", sorted(SQL_GROUPS))
def test_sql_group_by_pre_aggregates_per_partition(backend: DaskBackend, query: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    node = sql_node(DaphneContext(), query)
    got = to_pandas(backend.execute(node._lower(), verbose=True))
    out = capsys.readouterr().out
    assert "sql: per bucket: group by" in out, out
    assert ("pre-aggregated per partition" in out) is SQL_GROUPS[query], out
    # Partial sums add in another order: floats to 1e-12, the rest exactly.
    pd.testing.assert_frame_equal(_sorted_frame(got), _sorted_frame(to_pandas(embedded(node))),
                                  check_exact=False, rtol=1e-12, atol=1e-12)


def test_sql_errors_are_the_embedded_ones(backend: DaskBackend) -> None:
    from daphnelib.errors import SQLError

    for query in ("SELECT t.nope FROM t", "SELECT * FROM nowhere"):
        node = sql_node(DaphneContext(), query)
        with pytest.raises(SQLError) as embedded_error:
            embedded(node)
        with pytest.raises(SQLError) as dask_error:
            backend.execute(node._lower())
        assert str(dask_error.value) == str(embedded_error.value)


# -- the DSL front end on the Dask backend: our equivalents of DAPHNE's distributed_*.daphne
# tests (elementwise of two generated matrices, a broadcast row, a product), plus SQL and a
# loop; DAPHNE compares a distributed run's output with the local one, so do we.

DSL_SCRIPTS = {
    "binary_of_two_rands": "a = rand(11, 7, 0.0, 20.0, 1.0, 4);\n"
                           "b = rand(11, 7, 0.0, 20.0, 1.0, 4);\nprint(a + b);\n",
    "broadcast_row": "x = fill(12.5, 10, 3);\nr = fill(4.0, 1, 3);\nprint(x - r);\n",
    "matmul": "a = rand(10, 8, 0.0, 2.0, 1.0, 9);\nb = rand(8, 5, 0.0, 3.0, 1.0, 2);\n"
              "print(a @ b);\nprint(t(a) @ a);\n",
    "sql": 'f = createFrame(seq(1, 10, 1), seq(10, 1, -1) * 0.5, "a", "b");\n'
           'registerView("t", f);\nprint(sql("SELECT t.a, t.b * 2 AS c FROM t WHERE t.a > 3;"));\n'
           'g = createFrame(seq(1, 10, 1) % 3, seq(1, 10, 1), "k", "v");\nregisterView("u", g);\n'
           'print(sql("SELECT u.k, sum(u.v) AS s FROM u GROUP BY u.k ORDER BY u.k;"));\n',
    "loop": "X = rand(10, 3, 0.0, 1.0, 1.0, 5);\ns = 0.0;\n"
            "for (i in 1:3) { s = s + sum(X * i); }\nprint(s);\n",
}


@pytest.mark.parametrize("name", sorted(DSL_SCRIPTS))
def test_dsl_scripts_print_the_same_on_dask(backend: DaskBackend, name: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert ": cluster" in verbose_log_on(backend, DSL_SCRIPTS[name], capsys)  # some ran there


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.integers(-3, 3), min_size=1, max_size=12), block=st.integers(1, 5),
       cut=st.integers(-3, 3))
def test_sql_group_and_filter_any_blocks(client: Any, keys: list[int], block: int,
                                         cut: int) -> None:
    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    df = pd.DataFrame({"k": keys, "v": np.arange(len(keys)) * 1.5 - 4})
    backend = DaskBackend(client=client, block_rows=block)
    for query in (f"SELECT f.k, sum(f.v) AS s, count(*) AS c FROM f WHERE f.k <> {cut} "
                  "GROUP BY f.k", f"SELECT f.v - f.k AS d FROM f WHERE f.k > {cut}"):
        dc = DaphneContext()
        dc.from_pandas(df).registerView("f")
        node = dc.sql(query)
        pd.testing.assert_frame_equal(_sorted_frame(to_pandas(backend.execute(node._lower()))),
                                      _sorted_frame(to_pandas(embedded(node))), check_exact=True)


def test_cli_distributed_flag_runs_on_the_dask_scheduler(client: Any, tmp_path: Any,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    from daphnelib.__main__ import main

    script = tmp_path / "distributed.daphne"
    # more rows than a rand tile: generated on the workers; all ones, so the sum is exact
    script.write_text("a = rand(70000, 2, 1, 1, 1.0, 7);\nprint(sum(a));\nprint(a[0:2, ]);\n")
    assert main(["run", str(script)]) == 0
    local = capsys.readouterr()
    tasks = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter)
    monkeypatch.setenv("DAPHNELIB_DASK_SCHEDULER", client.scheduler.address)
    assert main(["run", "--distributed", str(script)]) == 0
    distributed = capsys.readouterr()
    assert distributed.out == local.out and distributed.out.startswith("140000\n")
    assert distributed.err == ""
    assert client.run_on_scheduler(
        lambda dask_scheduler: dask_scheduler.transition_counter) > tasks


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(lkeys=st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=1, max_size=10),
       rkeys=st.lists(st.integers(-3, 3), min_size=1, max_size=8),
       block=st.integers(1, 4), how=st.sampled_from(["leftJoin", "rightJoin", "outerJoin"]),
       local_rhs=st.booleans())
def test_outer_joins_any_keys_and_blocks(client: Any, lkeys: list[int | None],
                                         rkeys: list[int], block: int, how: str,
                                         local_rhs: bool) -> None:
    """Null keys, duplicates, unmatched rows on either side, empty buckets: the buckets'
    rows together are the embedded join's, in one encoding."""
    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    dc = DaphneContext()
    lf = dc.from_pandas(pd.DataFrame({"k": pd.array(lkeys, "Int64"),
                                      "a": np.arange(len(lkeys)) * 0.5}))
    rdf = pd.DataFrame({"k2": rkeys, "b": np.arange(len(rkeys)) % 2 == 0})
    rf = dc.from_pandas(rdf)
    if local_rhs:
        rf = rf[0:len(rkeys), :]  # a row range runs locally: a local right side
    node = getattr(lf, how)(rf, "k", "k2")
    got = DaskBackend(client=client, block_rows=block).execute(node._lower())
    pd.testing.assert_frame_equal(_sorted_frame(to_pandas(got)),
                                  _sorted_frame(to_pandas(embedded(node))), check_exact=True)


# -- string keys: hash-partitioned by a stable hash of their UTF-8 bytes ----------------------

STRING_KEYS = st.one_of(st.none(), st.sampled_from(["", "a", "b", "é", "日本", "a" * 17,
                                                    "x\u00e9y" * 3]))


def string_key_cases(dc: DaphneContext, lkeys: list[str | None], rkeys: list[str | None]
                     ) -> dict[str, Any]:
    import pandas as pd

    lf = dc.from_pandas(pd.DataFrame({"s": pd.array(lkeys, "string"),
                                      "a": np.arange(len(lkeys), dtype=np.int64)}))
    rf = dc.from_pandas(pd.DataFrame({"t": pd.array(rkeys, "string"),
                                      "b": np.arange(len(rkeys)) * 0.5}))
    return {"innerJoin": lf.innerJoin(rf, "s", "t"), "leftJoin": lf.leftJoin(rf, "s", "t"),
            "rightJoin": lf.rightJoin(rf, "s", "t"), "outerJoin": lf.outerJoin(rf, "s", "t"),
            "semiJoin": lf.semiJoin(rf, "s", "t"), "antiJoin": lf.antiJoin(rf, "s", "t"),
            "groupBy": lf.groupBy("s", {"a": ["sum", "count", "max"]}),
            "groupBy_mean": lf.groupBy("s", {"a": "mean"}),
            "groupSum": lf.groupSum("s", "a"),
            "two_keys": lf.innerJoin(rf, ["s", "a"], ["t", "b"])}


LKEYS = ["b", None, "", "é", "a", "日本", "b", None, "", "only-left", "é", "a" * 17]
RKEYS = ["", "é", "b", None, "only-right", "日本", "b", "a" * 17, ""]


@pytest.mark.parametrize("name", sorted(string_key_cases(DaphneContext(), LKEYS, RKEYS)))
def test_string_key_joins_and_group_by_agree_with_embedded(
        client: Any, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Empty strings, non-ASCII, nulls, duplicates, keys on one side only, on ragged
    partitions (12 and 9 rows in blocks of 5); the op runs on the cluster in 3 buckets."""
    import re

    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    node = string_key_cases(DaphneContext(), LKEYS, RKEYS)[name]
    got = DaskBackend(client=client, block_rows=5).execute(node._lower(), verbose=True)
    out = capsys.readouterr().out
    assert re.search(r"V\d+ (\w*Join|groupBy|groupSum): cluster \(3 partitions\)", out), out
    assert ": local" not in out
    pd.testing.assert_frame_equal(_sorted_frame(to_pandas(got)),
                                  _sorted_frame(to_pandas(embedded(node))), check_exact=True)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(lkeys=st.lists(STRING_KEYS, min_size=1, max_size=9),
       rkeys=st.lists(STRING_KEYS, min_size=1, max_size=7), block=st.integers(1, 4),
       name=st.sampled_from(["innerJoin", "outerJoin", "antiJoin", "groupBy"]))
def test_string_keys_any_keys_and_blocks(client: Any, lkeys: list[str | None],
                                         rkeys: list[str | None], block: int,
                                         name: str) -> None:
    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    node = string_key_cases(DaphneContext(), lkeys, rkeys)[name]
    got = DaskBackend(client=client, block_rows=block).execute(node._lower())
    pd.testing.assert_frame_equal(_sorted_frame(to_pandas(got)),
                                  _sorted_frame(to_pandas(embedded(node))), check_exact=True)


def test_string_key_hash_is_the_same_in_every_process() -> None:
    """Bucket ids do not depend on the process (Python's str hash is salted per process)
    nor on the other strings of the partition (its widest string sets the byte width)."""
    import os

    from daphnelib.backends.dask_frames import string_hash

    keys = ["", "a", "é", "日本", "a" * 17, "abcdefgh", "abcdefgh\u00e9"]
    code = ("import numpy as np\nfrom daphnelib.backends.dask_frames import string_hash\n"
            f"print(list(string_hash(np.array({keys!r}, np.dtypes.StringDType()))))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
    here = string_hash(np.array(keys, np.dtypes.StringDType()))
    assert [int(v) for v in out.strip()[1:-1].replace("np.uint64(", "").replace(")", "")
            .split(",")] == [int(v) for v in here]
    alone = [int(string_hash(np.array([k], np.dtypes.StringDType()))[0]) for k in keys]
    assert alone == [int(v) for v in here]
    assert len(set(alone)) == len(keys)


def test_one_long_string_does_not_widen_every_row() -> None:
    """A 16 MiB key next to 200,000 short ones: padding every row to the longest string
    would need 3 TiB; rows are padded within their length class only."""
    from daphnelib.backends.dask_frames import string_hash

    short = [f"k{i % 1000}" for i in range(200_000)]
    col = np.array([*short, "x" * (16 << 20)], np.dtypes.StringDType())
    h = string_hash(col)
    firsts = string_hash(np.array(short[:1000], np.dtypes.StringDType()))
    assert np.array_equal(h[:1000], firsts)
    assert np.array_equal(h[1000:2000], firsts)
    assert h[-1] == string_hash(np.array(["x" * (16 << 20)], np.dtypes.StringDType()))[0]
