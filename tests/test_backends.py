"""The backend seam: DaphneContext(backend=...) and what a backend receives and returns."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from typing import Any

import numpy as np
import pytest

from daphnelib import DaphneContext
from daphnelib.backends import resolve_backend
from daphnelib.backends.base import Backend
from daphnelib.backends.embedded import EmbeddedBackend
from daphnelib.engine.program import Kind, Program


class Recording(Backend):
    """Runs on the embedded engine and keeps every program it was handed."""

    name = "recording"

    def __init__(self) -> None:
        self.inner = EmbeddedBackend()
        self.programs: list[Program] = []
        self.closed = 0

    def execute(self, program: Program, *, verbose: bool = False) -> Any:
        self.programs.append(program)
        return self.inner.execute(program, verbose=verbose)

    def close(self) -> None:
        self.closed += 1


def test_default_backend_is_embedded() -> None:
    dc = DaphneContext()
    assert isinstance(dc.backend, EmbeddedBackend)
    assert dc.backend.name == "embedded"
    assert isinstance(DaphneContext(backend="embedded").backend, EmbeddedBackend)


def test_unknown_backend_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown backend 'spark'; known: auto, daphne, dask, "
                                         r"embedded"):
        DaphneContext(backend="spark")


def test_options_a_backend_does_not_take_raise_type_error() -> None:
    with pytest.raises(TypeError, match="flags"):
        DaphneContext(backend="embedded", flags=["--vec"])
    with pytest.raises(TypeError, match="backend instance"):
        resolve_backend(EmbeddedBackend(), flags=[])
    with pytest.raises(TypeError, match="name or a Backend"):
        DaphneContext(backend=3)  # type: ignore[arg-type]


def test_nodes_run_through_the_context_backend() -> None:
    backend = Recording()
    dc = DaphneContext(backend=backend)
    assert dc.backend is backend
    X = dc.from_numpy(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal((X * 2.0).compute(), np.arange(6.0).reshape(2, 3) * 2.0)
    assert (X.sum()).compute() == 15.0
    assert [p.result.op for p in backend.programs] == ["*", "sum"]
    assert [p.result.kind for p in backend.programs] == [Kind.MATRIX, Kind.SCALAR]
    # Input data travels in the program as a constant engine buffer.
    first = backend.programs[0].instrs[0]
    assert first.op == "receiveFromNumpy" and isinstance(first.args[0], np.ndarray)


def test_a_node_lowers_once_and_the_embedded_backend_compiles_once() -> None:
    dc = DaphneContext()
    X = dc.from_numpy(np.ones((2, 2)))
    Y = X + X  # a shared input: no structural key (operator/structure_key.py), lowered
    Y.compute()
    program = Y._program
    steps = dc.backend.compiled(program)
    Y.compute()
    assert Y._program is program and dc.backend.compiled(program) is steps


def test_compiled_programs_are_dropped_with_their_program() -> None:
    dc = DaphneContext()
    X = dc.from_numpy(np.ones((2, 2)))
    Y = X + X  # lowered (no structural key), so compiled per program
    Y.compute()
    assert len(dc.backend._compiled) == 1
    X.delete()  # drops the programs cached downstream
    gc.collect()
    assert len(dc.backend._compiled) == 0
    with pytest.raises(RuntimeError, match="deleted"):
        Y.compute()


def test_a_keyed_node_runs_without_lowering_and_keeps_no_data() -> None:
    dc = DaphneContext()
    data = [np.full((2, 2), float(v)) for v in range(3)]
    first = (dc.from_numpy(data[0]) * 3.0).sum(axis=1)
    np.testing.assert_array_equal(first.compute(), [[0.0, 0.0]])
    again = (dc.from_numpy(data[1]) * 3.0).sum(axis=1)
    np.testing.assert_array_equal(again.compute(), [[6.0, 6.0]])
    assert again._program is None  # found by its structural key
    # The kept compilation holds no input buffer: deleting the input releases it.
    X = dc.from_numpy(data.pop())
    Y = X * 3.0
    np.testing.assert_array_equal(Y.compute(), np.full((2, 2), 6.0))
    alive = weakref.ref(X._local_data)
    X.delete()
    del data
    gc.collect()
    assert alive() is None
    with pytest.raises(RuntimeError, match="deleted"):
        Y.compute()


def test_backend_is_closed_with_its_context() -> None:
    backend = Recording()
    dc = DaphneContext(backend=backend)
    del dc
    gc.collect()
    assert backend.closed == 1


def test_other_backends_are_imported_only_when_asked_for() -> None:
    code = ("import sys, numpy as np\nfrom daphnelib import DaphneContext\n"
            "dc = DaphneContext()\n(dc.from_numpy(np.ones((2, 2))) + 1).compute()\n"
            "print(sorted(m for m in sys.modules if m.startswith('daphnelib.backends')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == ("['daphnelib.backends', 'daphnelib.backends.base', "
                           "'daphnelib.backends.embedded']")
