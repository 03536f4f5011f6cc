"""Hostile input never kills the interpreter: sorting strings, foreign tensor dtypes.

Every case runs in a child process (see ``_isolated``), so a regression shows up as a
failed test that names the signal, not as a dead test run.
"""

from __future__ import annotations

import pytest

from hostile._isolated import OUTCOME, run_isolated


def test_order_on_string_matrices_is_a_stable_sort_on_every_path() -> None:
    # A hypothesis property run in the child: string keys of any width and content, several
    # key columns, either direction, through the Python API and the DSL; compared with
    # Python's stable sort.
    lines = run_isolated(OUTCOME + '''
import numpy as np
from hypothesis import given, settings, strategies as st
from daphnelib import DaphneContext
from daphnelib.dsl import run_script

dc = DaphneContext()
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4)

@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(1, 6).flatmap(lambda n: st.lists(
           st.lists(text, min_size=3, max_size=3), min_size=n, max_size=n)),
       st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
       st.lists(st.booleans(), min_size=3, max_size=3))
def prop(rows, cols, ascs):
    a = np.array(rows, dtype=np.dtypes.StringDType())
    ascs = ascs[:len(cols)]
    perm = list(range(len(rows)))
    for c, asc in reversed(list(zip(cols, ascs))):  # stable: least significant key first
        perm.sort(key=lambda i: rows[i][c], reverse=not asc)
    got = dc.from_numpy(a).order(cols, ascs, True).compute()
    assert got.reshape(-1).tolist() == perm, (rows, cols, ascs, got)
    assert dc.from_numpy(a).order(cols, ascs).compute().tolist() == [rows[i] for i in perm]

prop()
outcome("python", lambda: dc.from_numpy(np.array([["b", "x"], ["a", "y"]]))
        .order([0, 1], [True, True]).compute().tolist())
outcome("dsl", lambda: run_script(
    'X = reshape(["b", "x", "a", "y"], 2, 2); print(order(X, 0, 1, true, true, false));'))
''')
    assert lines[0] == "python: ok [['a', 'y'], ['b', 'x']]"
    assert lines[-1] == "dsl: ok None"
    assert lines[1:-1] == ["DenseMatrix(2x2, std::string)", "a y", "b x"]


TF_CASES = {
    "resource": "tf.Variable([1.0]).handle",
    "variant": "tf.raw_ops.EmptyTensorList(element_shape=tf.constant([], tf.int32), "
               "max_num_elements=-1, element_dtype=tf.float32)",
    "quint8": "tf.quantization.quantize(tf.constant([1.0]), 0.0, 2.0, tf.quint8).output",
    "complex128": "tf.constant([1 + 2j])",
    "string": "tf.constant(['a'])",
}


def test_foreign_tensorflow_dtypes_raise_type_error_naming_the_dtype() -> None:
    pytest.importorskip("tensorflow")
    code = OUTCOME + "import tensorflow as tf\nfrom daphnelib import DaphneContext\n"
    code += "dc = DaphneContext()\n"
    for name, expr in TF_CASES.items():
        code += f"outcome({name!r}, lambda: dc.from_tensorflow({expr}).compute())\n"
    lines = run_isolated(code)
    assert len(lines) == len(TF_CASES)
    for line, name in zip(lines, TF_CASES, strict=True):
        assert line.startswith(f"{name}: TypeError: from_tensorflow cannot exchange"), line
        assert name in line.partition(": TypeError: ")[2]


TORCH_CASES = {
    "nested tensor": "torch.nested.nested_tensor([torch.ones(2), torch.ones(3)])",
    "meta device": "torch.ones(3, device='meta')",
    "quint8": "torch.quantize_per_tensor(torch.ones(3), 0.1, 0, torch.quint8)",
    "sparse_coo": "torch.ones(2, 2).to_sparse()",
    "sparse_csr": "torch.ones(2, 2).to_sparse_csr()",
    "complex64": "torch.ones(2, dtype=torch.complex64)",
    "float8_e4m3fn": "torch.ones(2).to(torch.float8_e4m3fn)",
    "bits8": "torch.zeros(2, dtype=torch.bits8)",
    "uint1": "torch.zeros(2, dtype=torch.uint1)",
}


def test_foreign_torch_tensors_raise_type_error_naming_dtype_or_layout() -> None:
    pytest.importorskip("torch")
    code = OUTCOME + "import torch\nfrom daphnelib import DaphneContext\ndc = DaphneContext()\n"
    for name, expr in TORCH_CASES.items():
        code += f"outcome({name!r}, lambda: dc.from_pytorch({expr}).compute())\n"
    lines = run_isolated(code)
    assert len(lines) == len(TORCH_CASES)
    for line, name in zip(lines, TORCH_CASES, strict=True):
        assert line.startswith(f"{name}: TypeError: from_pytorch "), line
        assert name in line.partition(": TypeError: ")[2]
