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
            "print('pandas' in sys.modules, 'daphnelib.engine.logical' in sys.modules)\n"
            "print(*sorted(m for m in ('numpy.ma', 'logging', 'html', 'concurrent.futures')\n"
            "              if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    # io (receiveFromNumpy), elementwise (*), aggregate (sum) and the argument helpers.
    assert out[0] == "aggregate cast elementwise io"
    assert out[1] == "False False"
    # Nor what only other paths need (masked inputs, diagnostics, notebooks, fused blocks):
    # each cost milliseconds of the cold start (scripts/bench_core.py --cold).
    assert out[2] == ""


def test_threads_resolving_at_once_all_find_their_kernels() -> None:
    """A kernel module one thread is still importing is in sys.modules before its kernels
    register; another thread's lookup must wait for it (Dask workers run several threads)."""
    code = (
        "import sys, threading\n"
        "from daphnelib.engine.registry import MODULES, lookup\n"
        "ops = sorted(op for op in MODULES if not op.startswith('as'))\n"
        "barrier, errors = threading.Barrier(4), []\n"
        "def work(k):\n"
        "    barrier.wait()\n"
        "    for op in (ops[k % 2::2] if k < 2 else ops[k % 2::2][::-1]):\n"
        "        try:\n"
        "            lookup(op)\n"
        "        except NotImplementedError as exc:\n"
        "            errors.append(str(exc))\n"
        "threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "print(errors[:3]); sys.exit(1 if errors else 0)\n")
    for _ in range(2):  # a fresh interpreter each time: nothing resolved yet
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
