"""Zero-copy, measured: memory of a round trip of a 64 MiB and a 1 GiB input.

For a numpy array, a pandas DataFrame (128 float64 columns) and a PyTorch tensor:

- ``track_extra_peak_mib``: how far the resident set rises above its level before the round
  trip while it runs (MiB). Zero-copy means about 0; engine "copy" (the library's own copy
  of the input) shows what one copy costs, which proves the probe sees copies.
- ``peakmem_round_trip``: asv's peak resident set of the whole benchmark process. It includes
  the interpreter, the imported libraries and the input built in setup, so it is the
  input's size plus a constant (compare across sizes: 1 GiB - 64 MiB apart when nothing is
  copied).

The 1 GiB inputs are skipped in quick mode (``DAPHNELIB_BENCH_QUICK=1``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._config import extra_peak_mib, unless_giant

BYTES = {"64MiB": 64 * 2**20, "1GiB": 2**30}
SIZES = unless_giant(list(BYTES), BYTES.__getitem__)
LIBRARIES = ["numpy", "pandas", "torch"]
ENGINES = ["ours", "copy"]


def round_trip(library: str, nbytes: int, engine: str) -> Callable[[], object]:
    """A function doing the round trip (or the library's copy) of a fresh input."""
    from daphnelib import DaphneContext

    dc = DaphneContext()
    if library == "numpy":
        x = np.ones((nbytes // 8 // 1024, 1024))
        return x.copy if engine == "copy" else lambda: dc.from_numpy(x).compute()
    if library == "pandas":
        import pandas as pd

        ncol = 128  # contiguous columns, as pandas lays out a consolidated block
        df = pd.DataFrame(np.ones((ncol, nbytes // 8 // ncol)).T, copy=False)
        df.columns = [f"c{i}" for i in range(ncol)]
        return df.copy if engine == "copy" else lambda: dc.from_pandas(df).compute()
    try:
        import torch
    except ImportError:
        raise NotImplementedError("torch is not installed") from None
    t = torch.ones((nbytes // 4 // 1024, 1024), dtype=torch.float32)
    if engine == "copy":
        return t.clone

    def ours():
        node, shape = dc.from_pytorch(t, return_shape=True)
        return node.compute(asPyTorch=True, shape=shape)

    return ours


class ZeroCopyMemory:
    params = (SIZES, LIBRARIES, ENGINES)
    param_names = ("input", "library", "engine")
    timeout = 300

    def setup(self, size, library, engine):
        self.fn = round_trip(library, BYTES[size], engine)
        self.fn()  # first-use costs (lazy imports, compiled programs) before measuring

    def track_extra_peak_mib(self, size, library, engine):
        return extra_peak_mib(self.fn)

    track_extra_peak_mib.unit = "MiB"

    def peakmem_round_trip(self, size, library, engine):
        self.fn()
