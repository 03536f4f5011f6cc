"""Print, from one run, what tensor exchange costs in daphnelib and how it compares.

For float32 tensors of 1e3, 1e6 and 1e8 elements, 2-D and 4-D, it times (median per call):

- ``in``: ``from_pytorch(t)`` / ``from_tensorflow(t)``;
- ``rt``: the round trip ``from_x(t, return_shape=True)`` + ``compute(asX=True, shape=...)``;
- the floors, each library's own zero-copy path: ``t.numpy()`` and
  ``torch.from_numpy(t.numpy())`` for PyTorch; ``np.from_dlpack(t)`` and TensorFlow's DLPack
  round trip for TensorFlow.

It prints our TensorFlow/PyTorch ratio per size (target: within 2x), our cost over each floor,
and the 1e8/1e3 round-trip ratio (target: about 1, as nothing is copied).

Usage: ``python scripts/bench_tensors.py [--max-elements N] [--repeat R]``
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import timeit
from collections.abc import Callable

import numpy as np

from daphnelib import DaphneContext

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow is imported later

SIZES = (10**3, 10**6, 10**8)
RANKS = ("2d", "4d")


def shape_of(n: int, rank: str) -> tuple[int, ...]:
    return (n // 10, 10) if rank == "2d" else (n // 1000, 10, 10, 10)


def sample(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Seconds per call of each function, ``repeat`` samples each.

    The functions are timed in turns, a batch of about 2 ms each, so that load from other
    processes hits all of them alike: sample ``i`` of every function comes from round ``i``,
    and ratios are taken per round (see :func:`ratio`).
    """
    timers = {k: timeit.Timer(f) for k, f in fns.items()}
    number = {k: max(1, int(0.002 / max(t.timeit(1), 1e-7))) for k, t in timers.items()}
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, t in timers.items():
            samples[k].append(t.timeit(number[k]) / number[k])
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def ratio(a: list[float], b: list[float]) -> float:
    """The median of the per-round ratios a/b."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def functions(n: int, rank: str) -> dict[str, Callable[[], object]]:
    """Our paths and the floors for one size: PyTorch (``pt_*``) and TensorFlow (``tf_*``)."""
    import tensorflow as tf
    import torch

    dc = DaphneContext()
    shape = shape_of(n, rank)
    pt = torch.ones(shape, dtype=torch.float32)
    tt = tf.ones(shape, dtype=tf.float32)
    dl = tf.experimental.dlpack

    def pt_round_trip() -> object:
        X, s = dc.from_pytorch(pt, return_shape=True)
        return X.compute(asPyTorch=True, shape=s)

    def tf_round_trip() -> object:
        X, s = dc.from_tensorflow(tt, return_shape=True)
        return X.compute(asTensorFlow=True, shape=s)

    # What we time is zero-copy: the tensor that comes back is the one that went in.
    assert pt_round_trip().data_ptr() == pt.data_ptr()
    assert np.from_dlpack(tf_round_trip()).ctypes.data == np.from_dlpack(tt).ctypes.data
    return {
        "pt_in": lambda: dc.from_pytorch(pt),
        "tf_in": lambda: dc.from_tensorflow(tt),
        "pt_rt": pt_round_trip,
        "tf_rt": tf_round_trip,
        "pt_floor_in": pt.numpy,
        "tf_floor_in": lambda: np.from_dlpack(tt),
        "pt_floor_rt": lambda: torch.from_numpy(pt.numpy()),
        "tf_floor_rt": lambda: dl.from_dlpack(dl.to_dlpack(tt)),
    }


def us(seconds: float) -> str:
    return f"{seconds * 1e6:8.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-elements", type=float, default=1e8)
    parser.add_argument("--repeat", type=int, default=51)
    args = parser.parse_args(argv)
    sizes = [n for n in SIZES if n <= args.max_elements]
    rows: dict[tuple[int, str], dict[str, list[float]]] = {}
    for rank in RANKS:
        # Every size of one rank in the same rounds (1e8 float32: 2 x 400 MB alive).
        fns = {(n, k): f for n in sizes for k, f in functions(n, rank).items()}
        samples = sample(fns, args.repeat)
        for n in sizes:
            rows[n, rank] = {k: samples[n, k] for k in ("pt_in", "tf_in", "pt_rt", "tf_rt",
                                                         "pt_floor_in", "tf_floor_in",
                                                         "pt_floor_rt", "tf_floor_rt")}
        del fns
        gc.collect()

    print("microseconds per call (medians); ratios are medians of per-round ratios; "
          "float32 tensors\n")
    print(f"{'elements':>9} {'rank':>4} | {'torch in':>8} {'tf in':>8} {'tf/pt':>6} | "
          f"{'torch rt':>8} {'tf rt':>8} {'tf/pt':>6} | {'pt floor':>8} {'tf floor':>8} "
          f"{'pt/flr':>6} {'tf/flr':>6} | {'pt rt fl':>8} {'tf rt fl':>8} "
          f"{'pt/flr':>6} {'tf/flr':>6}")
    for (n, rank), m in sorted(rows.items()):
        print(f"{n:>9.0e} {rank:>4} | {us(median(m['pt_in']))} {us(median(m['tf_in']))} "
              f"{ratio(m['tf_in'], m['pt_in']):6.2f} | "
              f"{us(median(m['pt_rt']))} {us(median(m['tf_rt']))} "
              f"{ratio(m['tf_rt'], m['pt_rt']):6.2f} | "
              f"{us(median(m['pt_floor_in']))} {us(median(m['tf_floor_in']))} "
              f"{ratio(m['pt_in'], m['pt_floor_in']):6.1f} "
              f"{ratio(m['tf_in'], m['tf_floor_in']):6.1f} | "
              f"{us(median(m['pt_floor_rt']))} {us(median(m['tf_floor_rt']))} "
              f"{ratio(m['pt_rt'], m['pt_floor_rt']):6.1f} "
              f"{ratio(m['tf_rt'], m['tf_floor_rt']):6.1f}")
    small, large = min(sizes), max(sizes)
    if large > small:
        print(f"\nround trip {large:.0e} / {small:.0e} elements (per-round ratio):")
        for rank in RANKS:
            lo, hi = rows[small, rank], rows[large, rank]
            print(f"  {rank}: torch {ratio(hi['pt_rt'], lo['pt_rt']):.2f}x, "
                  f"tensorflow {ratio(hi['tf_rt'], lo['tf_rt']):.2f}x")

if __name__ == "__main__":
    main()
