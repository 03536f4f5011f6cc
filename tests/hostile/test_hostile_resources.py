"""Hangs and resource exhaustion: huge generators fail at once, sampling costs O(k).

Run in a child process with a timeout, so a regression fails the test instead of hanging
the run or exhausting the machine's memory.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib.engine.kernels.random import sample
from hostile._isolated import OUTCOME, run_isolated


def test_huge_generators_fail_at_once_with_a_memory_error() -> None:
    lines = run_isolated(OUTCOME + '''
from daphnelib import DaphneContext
from daphnelib.dsl import run_script
dc = DaphneContext()
outcome("rand", lambda: dc.rand(100000, 100000).compute())
outcome("rand sparse", lambda: dc.rand(100000, 100000, sparsity=0.1).compute())
outcome("rand ints", lambda: dc.rand(100000, 100000, 1, 9).compute())
outcome("fill", lambda: dc.fill(1.0, 100000, 100000).compute())
outcome("sample", lambda: dc.sample(10, 10**12, True, 1).compute())
outcome("dsl rand", lambda: run_script("x = rand(1e9, 1e9, 0.0, 1.0, 1, 1); print(x);"))
''', timeout=60)
    heads = [line.split(":")[:2] for line in lines if not line.startswith(" ")]
    assert heads == [[name, " MemoryError"] for name in (
        "rand", "rand sparse", "rand ints", "fill", "sample")] + [["dsl rand", " ExecutionError"]]
    assert all("GiB" in line for line in lines if not line.startswith(" "))


def test_sampling_a_huge_range_without_replacement_is_fast() -> None:
    lines = run_isolated('''
from daphnelib.engine.kernels.random import sample
print(sample(2**63 - 1, 3, False, 1).ravel().tolist())
print(len(set(sample(2**62, 100000, False, 7).ravel().tolist())))
''', timeout=60)
    values = [int(v) for v in lines[0].strip("[]").split(", ")]
    assert len(set(values)) == 3 and all(0 <= v < 2**63 - 1 for v in values)
    assert lines[1] == "100000"


@settings(max_examples=30, deadline=None)
@given(st.integers(2**22 + 1, 2**63 - 1), st.integers(0, 2000), st.integers(0, 2**32 - 1))
def test_sample_without_replacement_beyond_the_scan_is_distinct_and_in_range(
        range_: int, size: int, seed: int) -> None:
    got = sample(range_, size, False, seed).ravel()
    assert got.shape == (size,) and len(set(got.tolist())) == size
    assert ((got >= 0) & (got < range_)).all()
    assert (sample(range_, size, False, seed).ravel() == got).all()  # seeded: reproducible


def test_string_exchange_never_deadlocks_with_numpy_on_other_threads() -> None:
    # numpy locks a StringDType array's allocator with the GIL held; our string codecs must
    # never wait for the GIL while they hold that lock (they did: a Dask SQL query hung).
    lines = run_isolated('''
import sys, threading
import numpy as np
import pandas as pd
from daphnelib import DaphneContext
from daphnelib._native.strings import strings_from_arrow, strings_to_arrow

sys.setswitchinterval(1e-6)
arr = np.array([f"value {i}" * (i % 5) for i in range(20000)], dtype=np.dtypes.StringDType())
idx = np.arange(0, 20000, 3)
dc = DaphneContext()
df = pd.DataFrame({"s": arr.astype(object), "v": np.arange(20000.0)})

def codecs():
    for _ in range(100):
        strings_from_arrow(*strings_to_arrow(arr))

def numpy_ops():
    for _ in range(100):
        np.take(arr, idx)
        arr.copy()

f = dc.from_pandas(df)
f.registerView("t")
errors = []

def frames():
    for _ in range(20):
        f[1000:3000, :].compute(asArrow=True)
        dc.sql("SELECT t.s FROM t WHERE t.v > 10000.0;").compute()

def guarded(fn):
    def run():
        try:
            fn()
        except Exception as exc:
            errors.append(repr(exc))
    return threading.Thread(target=run)

threads = [guarded(fn) for fn in (codecs, numpy_ops, frames, numpy_ops)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done", errors)
''', timeout=120)
    assert lines == ["done []"]
