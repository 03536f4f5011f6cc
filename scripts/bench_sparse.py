"""Print the cost of exactly symmetric Gram products and of CSR execution, with ratios
against numpy and scipy measured in the same run.

    python scripts/bench_sparse.py [--quick]

- ``t(X) @ X``: the engine's Gram kernel (BLAS product, then the upper triangle mirrored so
  the result is exactly symmetric) against numpy's ``X.T @ X``.
- DAPHNE's sparse CLI test (``X + Y``, ``X * Y`` and column sums of 10000 x 1000 matrices with
  4% / 1% non-zeros): ``daphnelib run --select-matrix-repr`` (CSR) against the same script
  dense, and against scipy.sparse on the same CSR data.

``--quick``: smaller inputs, 3 repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds per call, batches of about 20 ms."""
    fn()
    number = max(1, int(0.02 / max(timeit.timeit(fn, number=1), 1e-7)))
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def _script(rows: int) -> str:
    return (f"X = rand({rows}, 1000, 0.5, 1.0, 0.04, 7);\n"
            f"Y = rand({rows}, 1000, 0.0, 0.5, 0.04, 7);\n"
            f"Z = rand({rows}, 1000, 0.0, 1.0, 0.01, 7);\n"
            "s = sum(X + Y) + sum(X * Y) + sum(sum(Z, 1));\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, 3 repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7

    import numpy as np

    from daphnelib.dsl import compile_script, execute
    from daphnelib.engine.kernels import sparse
    from daphnelib.engine.kernels.random import rand_csr
    from daphnelib.engine.registry import lookup

    gram = lookup("t@")
    shapes = [(2000, 300), (300, 300)] if args.quick else [(20000, 500), (5000, 1000), (500, 500)]
    print(f"{'t(X) @ X':<28}{'ours ms':>10}{'numpy ms':>10}{'ratio':>8}")
    for shape in shapes:
        x = np.random.default_rng(0).random(shape)
        ours = median_seconds(lambda x=x: gram(x, x), repeat)
        ref = median_seconds(lambda x=x: x.T @ x, repeat)
        print(f"{shape!s:<28}{ours * 1e3:>10.2f}{ref * 1e3:>10.2f}{ours / ref:>8.2f}")

    rows = 2000 if args.quick else 10000
    lowered = compile_script(_script(rows))
    csr = median_seconds(lambda: execute(lowered, select_matrix_repr=True), repeat)
    dense = median_seconds(lambda: execute(lowered), repeat)

    def scipy_version() -> float:
        x, y, z = (sparse.to_scipy(rand_csr(rows, 1000, lo, hi, s, 7))
                   for lo, hi, s in ((0.5, 1.0, 0.04), (0.0, 0.5, 0.04), (0.0, 1.0, 0.01)))
        return (x + y).sum() + x.multiply(y).sum() + z.sum(axis=0).sum()

    ref = median_seconds(scipy_version, repeat)
    print(f"\nDAPHNE's sparse test, {rows} x 1000   ms    ratio to CSR")
    print(f"{'CSR (--select-matrix-repr)':<32}{csr * 1e3:>7.1f}{1.0:>9.2f}")
    print(f"{'dense':<32}{dense * 1e3:>7.1f}{dense / csr:>9.2f}")
    print(f"{'scipy.sparse, same data':<32}{ref * 1e3:>7.1f}{ref / csr:>9.2f}")


if __name__ == "__main__":
    main()
