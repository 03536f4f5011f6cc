"""Every Cython module has a ``.pyi`` stub naming each public object it defines, and the
stubs parse (mypy checks them against their use in ``make typecheck``)."""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

NATIVE = pathlib.Path(__file__).resolve().parents[2] / "daphnelib" / "_native"
MODULES = sorted(p.stem for p in NATIVE.glob("*.pyx"))


@pytest.mark.parametrize("name", MODULES)
def test_every_cython_module_has_a_complete_stub(name: str) -> None:
    stub = NATIVE / f"{name}.pyi"
    assert stub.exists(), f"daphnelib/_native/{name}.pyx has no {stub.name}"
    tree = ast.parse(stub.read_text())
    declared = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    declared |= {t.target.id for t in tree.body
                 if isinstance(t, ast.AnnAssign) and isinstance(t.target, ast.Name)}
    module = importlib.import_module(f"daphnelib._native.{name}")
    public = {n for n in vars(module) if not n.startswith("_") and n not in ("np", "numpy")
              and getattr(getattr(module, n), "__module__", module.__name__) == module.__name__
              and not isinstance(getattr(module, n), type(importlib))}
    missing = public - declared
    assert not missing, f"{stub.name} lacks {sorted(missing)}"
