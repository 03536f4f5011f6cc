"""A user's script, checked by ``make typecheck`` (mypy --strict and pyright) and run by
tests/test_typing.py: the public API's types are precise enough that ``assert_type`` holds
and no cast or ``# type: ignore`` is needed."""

from __future__ import annotations

from typing import Any, assert_type

import numpy as np
import numpy.typing as npt
import pandas as pd

from daphnelib import DaphneContext, Frame, Matrix, Scalar


def main() -> None:
    with DaphneContext() as dc:
        X = dc.from_numpy(np.random.default_rng(0).random((5, 3)))
        assert_type(X, Matrix)
        X2, shape = dc.from_numpy(np.zeros((2, 3, 4)), return_shape=True)
        assert_type(X2, Matrix)
        assert_type(shape, tuple[int, ...])

        Y = (X - X.mean(axis=1)) / X.stddev(axis=1)
        assert_type(Y, Matrix)
        assert_type(X.sum(), Scalar)
        assert_type(X.sum(axis=0), Matrix)
        assert_type(X[0:2, :], Matrix)
        assert_type(X @ X.t(), Matrix)
        assert_type(2 * X + 1, Matrix)
        assert_type(X.sum() * 2, Scalar)
        assert_type(X.sum() + X, Matrix)
        assert_type(X.nrow(), Scalar)
        assert_type(X.asType(vtype="si64"), Matrix)
        assert_type(X.asType("frame"), Frame)

        out = Y.compute()
        assert_type(out, npt.NDArray[Any])
        assert out.shape == (5, 3)
        assert_type(X.compute(type="files"), npt.NDArray[Any])

        F = dc.from_pandas(pd.DataFrame({"a": [1, 2, 3], "b": [4.0, 5.0, 6.0]}))
        assert_type(F, Frame)
        assert_type(F[:, "b"], Frame)
        assert_type(F.toMatrix("f64"), Matrix)
        assert_type(F.order([0], [False], returnIndexes=True), Matrix)
        assert_type(F.groupBy("a", {"b": "sum"}), Frame)
        df = F.compute()
        assert_type(df, pd.DataFrame)
        assert list(df.columns) == ["a", "b"]


if __name__ == "__main__":
    main()
    print("typed user script: ok")
