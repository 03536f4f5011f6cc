"""User-defined functions on the Dask backend: a call runs its body op by op on the backend
(distributed inputs stay on the cluster), ``map`` runs the function per block; the answers,
overload choice, casts and errors are the embedded engine's.

3-row blocks on an in-process ``LocalCluster(processes=False)``, so every op sees several.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

pytest.importorskip("distributed")

from daphnelib import DaphneContext
from daphnelib.backends.dask import DaskBackend
from daphnelib.engine.executor import compile_program, run
from support import verbose_log_on

_rng = np.random.default_rng(5)
INTS = _rng.integers(-9, 10, size=(10, 4))


@pytest.fixture(scope="module")
def backend(client: Any) -> DaskBackend:
    return DaskBackend(client=client, block_rows=3)


def _embedded(node: Any) -> Any:
    return run(compile_program(node._lower()))


def test_python_function_body_runs_on_the_cluster(backend: DaskBackend,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    dc = DaphneContext()

    @dc.function
    def gram(x):  # type: ignore[no-untyped-def]
        return (x * 2 + 1).t() @ x, x.sum(axis=1)

    product, sums = gram(dc.from_numpy(INTS))
    for node in (product, sums):
        got = backend.execute(node._lower(), verbose=True)
        np.testing.assert_array_equal(got, _embedded(node))
        assert got.dtype == _embedded(node).dtype
        out = capsys.readouterr().out
        assert "its body runs op by op, its distributed inputs stay on the cluster" in out
        assert "gathered 10x4" not in out  # the input never comes back whole
        assert ": cluster" in out


DSL_SCRIPTS = {
    # a typed parameter: the si64 input is cast to f64 on the cluster, per block
    "typed_cast": "def scale(x: matrix<f64>) -> matrix<f64> { return x / 4; }\n"
                  "X = rand(10, 3, 1, 9, 1.0, 3);\nprint(scale(X));\n",
    "two_results": "def split(x) { return x + 1, sum(x); }\n"
                   "X = rand(10, 3, 0.0, 1.0, 1.0, 7);\na, b = split(X);\nprint(a);\nprint(b);\n",
    "overloads": "def f(x: matrix<f64>) -> matrix<f64> { return x * 2.0; }\n"
                 "def f(x: matrix<si64>) -> matrix<si64> { return x - 1; }\n"
                 "X = rand(10, 2, 1, 5, 1.0, 2);\nprint(f(X));\nprint(f(as.matrix<f64>(X)));\n",
    "recursive": "def p(x, n: si64) { if (n <= 0) { return x; } return p(x * 2, n - 1); }\n"
                 "X = rand(10, 2, 0.0, 1.0, 1.0, 4);\nprint(p(X, 3));\n",
    "no_lowering_gathers": "def c(x) { return cumSum(x); }\n"
                           "X = rand(10, 2, 0.0, 1.0, 1.0, 6);\nprint(c(X));\n",
    "map_per_block": "def inc(v: f64) -> f64 { return v * 3 + 1; }\n"
                     "X = rand(10, 3, 0.0, 1.0, 1.0, 8);\nprint(map(X, inc));\n",
}


@pytest.mark.parametrize("name", sorted(DSL_SCRIPTS))
def test_dsl_functions_print_the_same_on_dask(backend: DaskBackend, name: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    log = verbose_log_on(backend, DSL_SCRIPTS[name], capsys)
    if name == "map_per_block":
        assert "map: cluster (4 blocks)" in log
    elif name == "no_lowering_gathers":  # the op without a lowering says what it gathered
        assert "cumSum: local" in log and "gathered 10x2" in log
    else:
        assert "its body runs op by op" in log and ": cluster (4 blocks)" in log
        gathers = [line for line in log.splitlines() if "gathered" in line]
        assert gathers and all(line.endswith(" print") for line in gathers)  # results only


def test_call_errors_are_the_embedded_ones(backend: DaskBackend) -> None:
    from daphnelib.dsl.errors import ExecutionError
    from daphnelib.dsl.runner import compile_script, execute

    script = ("def f(x: matrix<f64>) -> frame { return x; }\n"
              "X = rand(10, 2, 0.0, 1.0, 1.0, 1);\nprint(f(X));\n")
    with pytest.raises(ExecutionError) as local:
        execute(compile_script(script))
    with pytest.raises(ExecutionError) as distributed:
        execute(compile_script(script), backend)
    assert str(distributed.value) == str(local.value)
    assert "returned matrix<f64> as result 0, not a frame" in str(local.value)


def test_functions_pickle_without_their_compiled_code() -> None:
    """map sends the function to the workers: it must pickle after it has been compiled."""
    dc = DaphneContext()

    @dc.function
    def twice(x):  # type: ignore[no-untyped-def]
        return x * 2

    node = twice(dc.from_numpy(INTS))[0]
    _embedded(node)  # compiles the body's block
    group = next(iter(dc._functions.values()))
    copy = pickle.loads(pickle.dumps(group))
    np.testing.assert_array_equal(copy.call((INTS,), 1), INTS * 2)
