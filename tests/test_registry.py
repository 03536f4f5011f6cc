"""The kernel registry: the static builtin -> module table, dispatch by argument type, and
lazy loading of kernel modules."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from daphnelib.engine import registry
from daphnelib.engine.values import FrameValue


def test_the_module_table_is_what_the_modules_register() -> None:
    kernels = registry.load_kernels()
    registered = {(name, fn.__module__) for name, by_type in kernels.items()
                  for fn in by_type.values()}
    table = {(name, module) for name, modules in registry.MODULES.items() for module in modules}
    assert registered == table


def test_frame_kernels_are_found_by_argument_type() -> None:
    registry.load_kernels()
    for name in ("extract", "filter", "cbind", "rbind", "order"):
        by_type = registry.KERNELS[name]
        assert set(by_type) == {None, FrameValue}
        assert by_type[FrameValue].__module__ == "daphnelib.engine.kernels.frame"


def test_registering_twice_is_refused() -> None:
    with pytest.raises(RuntimeError, match="registered twice"):
        registry.kernel("sum")(lambda x: x)


def test_unknown_builtins_raise_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="no kernel for builtin 'frobnicate'"):
        registry.lookup("frobnicate")


def test_a_dispatched_builtin_names_what_it_cannot_take() -> None:
    dispatch = registry._dispatching("x", {FrameValue: lambda f: f})
    with pytest.raises(TypeError, match="x is not defined for ndarray"):
        dispatch(np.ones((1, 1)))


def test_a_numpy_program_loads_only_the_kernels_it_uses() -> None:
    code = ("import sys, numpy as np\nfrom daphnelib import DaphneContext\n"
            "(DaphneContext().from_numpy(np.ones((3, 2))) * 2.0).sum().compute()\n"
            "print(' '.join(sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
            "                      if m.startswith('daphnelib.engine.kernels.'))))\n"
            "print('pandas' in sys.modules, 'daphnelib.engine.logical' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    # io (receiveFromNumpy), elementwise (*), aggregate (sum) and the argument helpers.
    assert out[0] == "aggregate cast elementwise io"
    assert out[1] == "False False"
