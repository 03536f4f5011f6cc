"""Core benchmarks: cold start, compute() fixed overhead, numpy round trips.

Every class takes an ``engine`` parameter: ``ours`` is daphnelib, the other values are the
references timed in the same run (importing numpy/pandas, numpy doing the same operations,
numpy copying the array), so that ``scripts/bench_report.py`` can plot ours / reference
across commits. ``make bench-compare`` gates on the ``ours`` cases of ColdStart and
ComputeOverhead.
"""

import numpy as np

from daphnelib import DaphneContext

from ._config import unless_giant

_FIRST_COMPUTE = {
    "ours": "import numpy as np\nfrom daphnelib import DaphneContext\n"
            "DaphneContext().from_numpy(np.ones((2, 2))).sum().compute()",
    "numpy": "import numpy as np\nnp.ones((2, 2)).sum()",
    "pandas": "import numpy as np\nimport pandas as pd\npd.DataFrame(np.ones((2, 2))).sum()",
}

# receiveFromNumpy, *, sum: a 3-op program, numpy imported untimed (the setup): daphnelib's own
# cost to a first result, which loads only the kernel modules the program uses (target 60 ms).
_FIRST_RESULT_3_OPS = {
    "ours": "from daphnelib import DaphneContext\n"
            "(DaphneContext().from_numpy(np.ones((100, 10))) * 2.0).sum().compute()",
    "numpy": "(np.ones((100, 10)) * 2.0).sum()",
    "pandas": "import pandas as pd\n(pd.DataFrame(np.ones((100, 10))) * 2.0).sum().sum()",
}


class ColdStart:
    """Fresh-process costs: asv times the returned code in a new interpreter per sample
    (``timeraw_``), so import caches never carry over and every sample is a cold start."""

    params = ["ours", "numpy", "pandas"]
    param_names = ["engine"]
    number = 1
    repeat = (5, 10, 20.0)
    warmup_time = 0
    timeout = 300

    def timeraw_import(self, engine):
        return "from daphnelib import DaphneContext" if engine == "ours" else f"import {engine}"

    def timeraw_import_and_first_compute(self, engine):
        return _FIRST_COMPUTE[engine]

    def timeraw_first_result_3_ops(self, engine):
        return _FIRST_RESULT_3_OPS[engine], "import numpy as np"


class ComputeOverhead:
    """compute() of a tiny 3-op graph: the fixed cost of lowering + executing + reading,
    against numpy evaluating the same three operations eagerly."""

    params = ["ours", "numpy"]
    param_names = ["engine"]

    def setup(self, engine):
        a = np.ones((2, 2))
        if engine == "numpy":
            self.run = lambda: ((a + 1.0) * 2.0).sum(axis=1, keepdims=True)
            self.build_and_run = self.run
            return
        node = ((DaphneContext().from_numpy(a) + 1.0) * 2.0).sum(axis=1)
        node.compute()
        self.run = node.compute

        def build_and_run():
            X = DaphneContext().from_numpy(a)
            return ((X + 1.0) * 2.0).sum(axis=1).compute()

        self.build_and_run = build_and_run

    def time_compute_3_ops(self, engine):
        self.run()

    def time_build_and_compute_3_ops(self, engine):
        self.build_and_run()


class NumpyRoundTrip:
    """from_numpy(...).compute(): zero-copy, so the cost must not grow with the size; numpy's
    own copy of the array is the reference (what one copy would cost)."""

    params = (unless_giant([1_000, 1_000_000, 100_000_000], lambda n: 8 * n), ["ours", "copy"])
    param_names = ["elements", "engine"]
    timeout = 300

    def setup(self, n, engine):
        dc = DaphneContext()
        a = np.ones((n // 1000, 1000))
        self.fn = a.copy if engine == "copy" else lambda: dc.from_numpy(a).compute()
        self.fn()  # first-use costs (lazy imports, compiled programs) out of the timing

    def time_round_trip(self, n, engine):
        self.fn()

    def peakmem_round_trip(self, n, engine):
        self.fn()
