"""``backend="auto"``: a program that fits runs on the embedded engine without touching the
cluster; one that does not still goes there.

The all-local path is checked against a client whose every attribute raises, and against a
per-op dispatcher that raises: neither may be reached when every op fits the budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

pytest.importorskip("distributed")
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib.backends import dask as dask_backend
from daphnelib.backends.dask import DaskBackend
from daphnelib.engine.executor import compile_program, run
from daphnelib.interop.pandas import to_pandas

_rng = np.random.default_rng(11)
INTS = _rng.integers(-9, 10, size=(10, 4))


class RaisingClient:
    """Stands in for a ``distributed.Client``: any use of it fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the all-local path used client.{name}")


class CountingClient:
    """A real client that records which of its methods were used."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.used: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.used.append(name)
        return getattr(self._client, name)


def _frame(dc: DaphneContext) -> Any:
    import pandas as pd

    return dc.from_pandas(pd.DataFrame({"k": INTS[:, 0] % 3, "v": INTS[:, 1]}))


def _udf(dc: DaphneContext) -> Any:
    @dc.function
    def scaled(x):  # type: ignore[no-untyped-def]
        return (x * 2 + 1).t() @ x

    return scaled(dc.from_numpy(INTS))[0].sum()


PROGRAMS: dict[str, Callable[[DaphneContext], Any]] = {
    "syrk_sum": lambda dc: (dc.from_numpy(INTS).t() @ dc.from_numpy(INTS)).sum(),
    "rand_column_means": lambda dc: dc.rand(50, 3, seed=4).mean(axis=1),
    "solve": lambda dc: ((dc.from_numpy(INTS).t() @ dc.from_numpy(INTS))
                         + dc.fill(1.0, 4, 4)).solve(dc.from_numpy(INTS[:4, :1] * 1.0)),
    "for_loop": lambda dc: dc.for_loop([dc.from_numpy(INTS)], lambda y, i: (y * 2 + i,),
                                       1, 4)[0],
    "frame_group_sum": lambda dc: _frame(dc).groupSum("k", "v"),
    "udf_call": _udf,
}


def _embedded(node: Any) -> Any:
    return run(compile_program(node._lower()))


def _assert_equal(got: Any, expected: Any) -> None:
    if hasattr(expected, "labels"):
        import pandas as pd

        pd.testing.assert_frame_equal(to_pandas(got), to_pandas(expected), check_exact=True)
        return
    assert type(got) is type(expected)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    assert np.asarray(got).dtype == np.asarray(expected).dtype


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_all_local_programs_never_touch_the_client_or_dispatch_per_op(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def per_op(*args: Any) -> Any:
        raise AssertionError("the all-local path dispatched an op by itself")

    monkeypatch.setattr(DaskBackend, "_step", per_op)
    auto = DaskBackend(client=RaisingClient(), placement="auto")  # 0.7 x available memory
    node = PROGRAMS[name](DaphneContext())
    program = node._lower()
    for _ in range(2):  # the decision is cached after the first run: the same path again
        _assert_equal(auto.execute(program), _embedded(node))


def test_auto_context_computes_locally_without_a_client(
        capsys: pytest.CaptureFixture[str]) -> None:
    dc = DaphneContext(backend="auto", client=RaisingClient())
    x = dc.from_numpy(INTS)
    got = (x.t() @ x).compute(verbose=True)
    np.testing.assert_array_equal(got, INTS.T @ INTS)
    assert "whole program runs on the embedded engine" in capsys.readouterr().out


def test_auto_without_a_client_starts_no_cluster_for_a_local_program() -> None:
    auto = DaskBackend(placement="auto")  # no client given: one would be found or started
    dc = DaphneContext()
    assert auto.execute((dc.from_numpy(INTS) @ dc.from_numpy(INTS.T)).sum()._lower()) == \
        (INTS @ INTS.T).sum()
    assert auto._client is None and auto._owned is None


def test_the_decision_is_made_once_per_program(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    reads: list[int] = []
    real = psutil.virtual_memory

    def counted() -> Any:
        reads.append(1)
        return real()

    monkeypatch.setattr(psutil, "virtual_memory", counted)
    auto = DaskBackend(client=RaisingClient(), placement="auto")
    dc = DaphneContext()
    program = (dc.from_numpy(INTS) * 3).sum()._lower()
    assert auto.execute(program) == INTS.sum() * 3

    def no_more_shape_walks(*args: Any) -> Any:
        raise AssertionError("the program's shapes were walked again")

    monkeypatch.setattr(dask_backend, "_out_shape", no_more_shape_walks)
    for _ in range(5):
        assert auto.execute(program) == INTS.sum() * 3
    # The graph rebuilt over new data of the same shape: the structure's peak, no walk.
    rebuilt = (dc.from_numpy(INTS + 1) * 3).sum()._lower()
    assert auto.execute(rebuilt) == (INTS + 1).sum() * 3
    assert len(reads) == 1  # the available memory is read at most once a second
    monkeypatch.setattr(dask_backend, "_AVAILABLE_TTL", -1.0)
    auto.execute(program)
    assert len(reads) == 2


@pytest.mark.parametrize("options", [{"memory_budget": 1000}, {"memory_fraction": 1e-12}],
                         ids=["budget", "fraction"])
def test_a_program_over_the_budget_goes_to_the_cluster(client: Any,
                                                        options: dict[str, Any]) -> None:
    counting = CountingClient(client)
    auto = DaskBackend(client=counting, placement="auto", block_rows=16, **options)
    dc = DaphneContext()
    x = dc.rand(40, 5, seed=3)  # 1600 bytes: over a 1000-byte budget
    node = (x.t() @ x).sum()
    program = node._lower()
    assert not auto._fits(program)
    got = auto.execute(program)
    np.testing.assert_allclose(got, _embedded(node), rtol=1e-12)
    assert "compute" in counting.used  # the partials were combined on the cluster


def test_a_loop_that_grows_what_it_carries_has_no_static_peak(client: Any) -> None:
    dc = DaphneContext()
    fixed = dc.for_loop([dc.from_numpy(INTS)], lambda y, i: (y * 2 + i,), 1, 3)[0]
    grows = dc.for_loop([dc.from_numpy(INTS)], lambda y, i: (y.rbind(y),), 1, 3)[0]
    auto = DaskBackend(client=client, placement="auto", memory_budget=1 << 20)
    assert dask_backend._peak_bytes(fixed._lower()) == INTS.nbytes
    assert dask_backend._peak_bytes(grows._lower()) == float("inf")
    assert not auto._fits(grows._lower())
    _assert_equal(auto.execute(grows._lower()), _embedded(grows))  # op by op: still right


def test_an_input_read_by_several_cluster_ops_is_sent_once(
        client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(dask_backend, "_INLINE_BYTES", 0)  # scatter even this small input
    counting = CountingClient(client)
    auto = DaskBackend(client=counting, placement="auto", memory_budget=100, block_rows=3,
                       gather_limit=1 << 20)
    dc = DaphneContext()
    x = dc.from_numpy(INTS)
    node = ((x.t() @ x) + (x * 2).sum())  # t(X), t(X) @ X and X * 2 all go to the cluster
    got = auto.execute(node._lower(), verbose=True)
    np.testing.assert_array_equal(got, _embedded(node))
    out = capsys.readouterr().out
    assert out.count("sent 10x4") == 1 and counting.used.count("scatter") == 1, out
    assert "t: cluster" in out and "*: cluster" in out


_STEPS: dict[str, Callable[[Any], Any]] = {
    "scale": lambda x: x * 2 + 1,
    "t": lambda x: x.t(),
    "gram": lambda x: x.t() @ x,
    "outer_product": lambda x: x @ x.t(),
    "row_range": lambda x: x[1:3, :],
    "one_column": lambda x: x[:, 0],
    "rbind": lambda x: x.rbind(x),
    "cbind": lambda x: x.cbind(x),
    "column_sums": lambda x: x.sum(axis=1),
    "row_sums": lambda x: x.sum(axis=0),
    "broadcast_row": lambda x: x - x.mean(axis=1),
    "broadcast_column": lambda x: x * x.sum(axis=0),
}


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 6), cols=st.integers(1, 4),
       steps=st.lists(st.sampled_from(sorted(_STEPS)), min_size=1, max_size=5))
def test_the_peak_bounds_every_output(rows: int, cols: int, steps: list[str]) -> None:
    """The static peak is an upper bound of every op's actual output (8 bytes a cell; the
    inputs, already in local memory, do not count)."""
    from daphnelib.engine.program import Var
    from daphnelib.engine.registry import lookup

    node = DaphneContext().from_numpy(np.ones((rows, cols)))
    for step in steps:
        node = _STEPS[step](node)
    program = node._lower()
    env: dict[int, Any] = {}
    largest = 0
    for ins in program.instrs:
        try:
            env[ins.out] = lookup(ins.op)(*(env[a.id] if type(a) is Var else a
                                            for a in ins.args))
        except (ValueError, IndexError):  # a shape the steps do not fit: no program
            assume(False)
        if ins.op != "receiveFromNumpy":
            largest = max(largest, 8 * int(np.size(env[ins.out])))
    assert largest <= dask_backend._peak_bytes(program) < float("inf")
