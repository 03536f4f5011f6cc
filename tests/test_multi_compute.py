"""dc.compute(a, b, c): several results from one run, the shared sub-DAG computed once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from daphnelib import DaphneContext
from daphnelib.engine.registry import _RESOLVED, KERNELS, lookup


@pytest.fixture
def matmul_calls(monkeypatch):
    """Count the runs of the '@' kernel (the shared, expensive prefix)."""
    calls = []
    kernel = lookup("@")

    def counted(*args):
        calls.append(1)
        return kernel(*args)

    monkeypatch.setitem(KERNELS, "@", {None: counted})
    monkeypatch.delitem(_RESOLVED, "@", raising=False)
    return calls


def test_shared_prefix_runs_once(dc, matmul_calls):
    a = np.arange(12.0).reshape(4, 3)
    G = dc.from_numpy(a.T.copy()) @ dc.from_numpy(a)  # a plain @ (t(X) @ X is rewritten)
    total, scaled, frame = dc.compute(G.sum(), G * 2, G.toFrame())
    g = np.arange(12.0).reshape(4, 3).T @ np.arange(12.0).reshape(4, 3)
    assert len(matmul_calls) == 1
    assert total == g.sum() and isinstance(total, np.float64)
    np.testing.assert_array_equal(scaled, g * 2, strict=True)
    pd.testing.assert_frame_equal(frame, pd.DataFrame(g, columns=["col_0", "col_1", "col_2"]))
    G.sum().compute(), (G * 2).compute()  # one root at a time: the prefix runs again
    assert len(matmul_calls) == 3


def test_results_equal_separate_computes_and_side_effects_run(dc, capsys):
    X = dc.from_numpy(np.arange(6, dtype=np.int64).reshape(3, 2))
    nodes = (X + 1, (X / 2).sum(), X.print())
    together = dc.compute(*nodes)
    printed = capsys.readouterr().out
    np.testing.assert_array_equal(together[0], (X + 1).compute(), strict=True)
    assert together[1] == (X / 2).sum().compute() and together[2] is None
    assert printed.startswith("DenseMatrix(3x2, int64_t)")
    dc.compute(*nodes[:2], verbose=True)
    script = capsys.readouterr().out
    assert "saveDaphneLibResult(V1);" in script
    assert "saveDaphneLibResult(as.matrix(V3));" in script


def test_bad_arguments_are_named(dc):
    with pytest.raises(TypeError, match="one or more daphnelib nodes"):
        dc.compute()
    with pytest.raises(TypeError, match="one or more daphnelib nodes"):
        dc.compute(np.ones(2))
    other = DaphneContext().from_numpy(np.ones((1, 1)))
    with pytest.raises(ValueError, match="this DaphneContext"):
        dc.compute(dc.from_numpy(np.ones((1, 1))), other)
