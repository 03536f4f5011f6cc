"""The examples in the public API's docstrings run and print what they show (doctest), and
every public method of DaphneContext, Matrix, Frame and Scalar has a numpydoc docstring."""

from __future__ import annotations

import doctest
import importlib
import inspect

import numpy as np
import pandas as pd
import pytest

import daphnelib
from daphnelib import DaphneContext, Frame, Matrix, Scalar

MODULES = (
    "daphnelib",
    "daphnelib.context.daphne_context",
    "daphnelib.operator.operation_node",
    "daphnelib.operator.nodes.elementwise",
    "daphnelib.operator.nodes.matrix",
    "daphnelib.operator.nodes.frame",
    "daphnelib.operator.nodes.relational",
    "daphnelib.operator.nodes.scalar",
)
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module: str) -> None:
    if module.endswith("relational") or module.endswith("daphne_context"):
        pytest.importorskip("duckdb")  # their examples run SQL
        pytest.importorskip("torch")
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    tests = finder.find(mod, globs={"np": np, "pd": pd, "DaphneContext": DaphneContext})
    assert tests, f"{module} has no docstring examples"
    for test in tests:
        test.globs["dc"] = DaphneContext()
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {module} failed"


def _public_methods(cls: type) -> list[str]:
    return [name for name, member in inspect.getmembers(cls)
            if (not name.startswith("_") or name in ("__getitem__", "__setitem__"))
            and callable(member)]


@pytest.mark.parametrize("cls", [DaphneContext, Matrix, Frame, Scalar])
def test_public_methods_have_numpydoc_sections(cls: type) -> None:
    missing = []
    for name in _public_methods(cls):
        doc = inspect.getdoc(getattr(cls, name)) or ""
        sections = ("Returns", "Examples") if name not in ("close", "__setitem__") else ()
        if not doc or any(f"{s}\n---" not in doc for s in sections):
            missing.append(name)
    assert not missing, f"{cls.__name__} methods without numpydoc Returns/Examples: {missing}"


def test_version_has_one_source() -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        assert version("daphnelib") == daphnelib.__version__
    except PackageNotFoundError:  # running from a tree that is not installed
        pass
