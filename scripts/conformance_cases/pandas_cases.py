"""Conformance family ``pandas_roundtrip``: every DataFrame kind x every frame operation.

``KINDS`` maps a kind to a Python expression (``np``, ``pd``, ``KINDS`` and the helpers of
``tests/conformance/_support.py``, e.g. ``one(values)`` = a one-column frame labelled ``x``,
in scope) building the input: a DataFrame or a Series, usually 4 rows. ``OPS`` are the
operations each kind goes through; every case (``check_frame`` in ``_support``) checks the
result with ``pd.testing.assert_frame_equal`` (exact values, dtypes, index and column types)
and that the input is unchanged:

- ``identity``: ``from_pandas(x, keepIndex=True).compute(useIndexColumn=True)``;
- ``files``: the same with ``shared_memory=False`` and ``compute(type="files")``;
- ``cbind``: with a one-column int64 frame; expected ``pd.concat(axis=1)``;
- ``rbind``: with itself; expected ``pd.concat``;
- ``order``: by the first column (index level 0) descending, stable; expected: the rows in
  that order (``descending``).
"""

from __future__ import annotations

FAMILY = "pandas_roundtrip"

KINDS: dict[str, str] = {
    # numpy dtypes; int16/uint16/float16 travel widened and come back
    "int8": "one(np.array([0, -128, 127, 5], np.int8))",
    "int16": "one(np.array([0, -32768, 32767, 5], np.int16))",
    "int32": "one(np.array([0, -2**31, 2**31 - 1, 5], np.int32))",
    "int64": "one(np.array([0, -2**63, 2**63 - 1, 5], np.int64))",
    "uint8": "one(np.array([0, 255, 1, 7], np.uint8))",
    "uint16": "one(np.array([0, 65535, 1, 7], np.uint16))",
    "uint32": "one(np.array([0, 2**32 - 1, 1, 7], np.uint32))",
    "uint64": "one(np.array([0, 2**64 - 1, 1, 7], np.uint64))",
    "float16": "one(np.array([1.5, np.nan, -0.0, np.inf], np.float16))",
    "float32": "one(np.array([1.5, np.nan, -0.0, np.inf], np.float32))",
    "float64": 'pd.DataFrame({"x": [1e-300, np.nan, -np.inf, 0.1], "y": [1.0, 2.0, 3.0, 4.0]})',
    "bool": "one([True, False, True, True])",
    # nullable extension dtypes with missing values
    "Int8": 'one(pd.array([1, None, -128, 4], dtype="Int8"))',
    "Int16": 'one(pd.array([1, None, -3, 4], dtype="Int16"))',
    "Int32": 'one(pd.array([1, None, -3, 4], dtype="Int32"))',
    "Int64": 'one(pd.array([1, None, -3, 2**63 - 1], dtype="Int64"))',
    "UInt8": 'one(pd.array([1, None, 255, 4], dtype="UInt8"))',
    "UInt16": 'one(pd.array([1, None, 3, 4], dtype="UInt16"))',
    "UInt32": 'one(pd.array([1, None, 3, 4], dtype="UInt32"))',
    "UInt64": 'one(pd.array([1, None, 3, 2**64 - 1], dtype="UInt64"))',
    "Float32": 'one(pd.array([1.5, None, -2.0, 4.0], dtype="Float32"))',
    "Float64_nan_and_na": (
        "one(pd.arrays.FloatingArray(np.array([1.5, np.nan, 0.0, 2.0]),\n"
        "                            np.array([0, 0, 1, 0], bool)))"),
    "boolean": 'one(pd.array([True, None, False, True], dtype="boolean"))',
    # categoricals: categories and codes restored, any category type
    "category_str": 'one(pd.Categorical(["b", "a", None, "b"]))',
    "category_ordered_int": "one(pd.Categorical([3, 1, 2, 3], categories=[3, 2, 1], ordered=True))",
    "category_datetime": (
        "one(pd.Categorical(pd.to_datetime(\n"
        '    ["2020-01-02", "2020-01-01", None, "2020-01-02"])))'),
    "category_bool": "one(pd.Categorical([True, False, True, True]))",
    "category_300": (  # more than 127 categories: int16 codes, which travel widened
        'one(pd.Categorical(["c1", "c299", None, "c7"],\n'
        '                   categories=[f"c{i}" for i in range(300)]))'),
    # datetimes (every unit, naive and tz-aware, NaT), timedeltas, periods
    "datetime_ns": 'one(np.array(DATES, dtype="M8[ns]"))',
    "datetime_us": 'one(np.array(DATES, dtype="M8[us]"))',
    "datetime_ms": 'one(np.array(DATES, dtype="M8[ms]"))',
    "datetime_s": 'one(np.array(DATES, dtype="M8[s]"))',
    "datetime_tz_berlin": 'one(pd.DatetimeIndex(DATES).tz_localize("Europe/Berlin"))',
    "datetime_tz_utc_s": 'one(pd.DatetimeIndex(DATES).tz_localize("UTC").as_unit("s"))',
    "timedelta_ns": 'one(pd.to_timedelta([1, None, -5, 10**9], unit="s"))',
    "timedelta_ms": 'one(pd.to_timedelta([1, None, -5, 10**9], unit="s").as_unit("ms"))',
    "period_month": 'one(pd.period_range("2020-01", periods=4, freq="M"))',
    # strings: the default str dtype, object, string[python], string[pyarrow]
    "str_default": r'pd.DataFrame({"x": ["a", "é, \"q\"", None, "l1\nl2"], "y": list("wxyz")})',
    "str_object": 'one(pd.Series(["a", None, "ü", ""], dtype=object))',
    "str_object_nan": 'one(pd.Series(["a", np.nan, "b", "c"], dtype=object))',
    "string_python": 'one(pd.array(["a", None, "ü", ""], dtype="string[python]"))',
    "string_pyarrow": 'one(arrow_strings(["a", None, "ü", ""]))',
    # Series input: a one-column frame labelled by the name (0 when unnamed)
    "series_unnamed": "pd.Series([1.5, -2.0, 3.25, 0.0])",
    "series_named": 'pd.Series([1, None, 3, 4], name="s", dtype="Int64")',
    # sparse columns (densified on the way in, sparse again on the way out)
    "sparse_float": "one(pd.arrays.SparseArray([0.0, 0.0, 1.5, np.nan]))",
    "sparse_int": "one(pd.arrays.SparseArray([0, 0, 3, 0], fill_value=0))",
    "sparse_bool": "one(pd.arrays.SparseArray([False, True, False, False]))",
    # shapes
    "empty_rows": (
        'pd.DataFrame({"i": np.array([], np.int64), "f": np.array([], np.float32),\n'
        '              "s": pd.Series([], dtype=object), "c": pd.Categorical([])})'),
    "empty_frame": "pd.DataFrame()",
    "wide_10000": "pd.DataFrame(np.arange(30000.0).reshape(3, 10000))",
    "mixed": (
        'combine(KINDS, "int16", "Int64", "category_str", "datetime_tz_berlin",\n'
        '        "str_default", "bool", "float32", "sparse_float", "uint64", "timedelta_ns")'),
    # index kinds (keepIndex)
    "index_range_offset": 'pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=pd.RangeIndex(10, 16, 2))',
    "index_named_int": 'pd.DataFrame({"x": [1, 2, 3]}, index=pd.Index([7, 3, 9], name="id"))',
    "index_str": 'pd.DataFrame({"x": [1, 2, 3]}, index=pd.Index(["b", "a", "c"], name="key"))',
    "index_datetime": (
        'pd.DataFrame({"x": [1, 2, 3]},\n'
        '             index=pd.date_range("2024-01-01", periods=3, name="day"))'),
    "index_multi": (
        'pd.DataFrame({"x": [1, 2, 3]}, index=pd.MultiIndex.from_arrays(\n'
        '    [["b", "a", "b"], [1, 2, 3]], names=["k", None]))'),
    "index_categorical": (
        'pd.DataFrame({"x": [1, 2, 3]},\n'
        '             index=pd.CategoricalIndex(["p", "q", "p"], name="c"))'),
    "index_label_clash": 'pd.DataFrame({"index": [1, 2]}, index=pd.Index([5, 6]))',
    # column labels: ints, unicode and punctuation, mixed types, tuples (MultiIndex columns)
    "labels_int": "pd.DataFrame({3: [1, 2], -1: [0.5, 1.5]})",
    "labels_punctuation": (
        'pd.DataFrame({"ü ñ 漢": [1, 2], \'say "hi"\': [3, 4], "a,b": [5, 6],\n'
        r'              " pad ": [7, 8], "back\\slash": [9, 9], "dot.ted": [0, 0]})'),
    "labels_mixed": 'pd.DataFrame({1.5: [1, 2], "s": [3, 4], None: [5, 6]})',
    "labels_tuples": (
        "pd.DataFrame([[1, 2.5], [3, 4.5]],\n"
        '             columns=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)]))'),
}

OPS = ("identity", "files", "cbind", "rbind", "order")

CASES = [(kind, op) for kind in KINDS for op in OPS]

PREAMBLE = '''
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from conformance._support import DATES, arrow_strings, check_frame, combine, frame_of, one
from daphnelib import DaphneContext

pytestmark = [pytest.mark.conformance("{family}"),
              pytest.mark.usefixtures("pandas_copy_on_write")]

__all__ = ["KINDS", "frame_of"]  # what tests/test_{joins,sql,pandas_exchange}.py use
'''


def _builder(kind: str, expr: str) -> str:
    body = expr.replace("\n", "\n" + " " * len("    return "))  # continuation lines align
    return f"def _{kind}() -> Any:\n    return {body}\n"


def render(cases: list[tuple[str, str]]) -> str:
    """The test module: the kinds as builder functions, then one test per (kind, op)."""
    kinds = dict.fromkeys(kind for kind, _ in cases)
    parts = ['"""DataFrame kinds x frame operations through daphnelib, against pandas."""\n',
             PREAMBLE.replace("{family}", FAMILY)]
    parts += ["\n\n" + _builder(kind, KINDS[kind]) for kind in kinds]
    table = ",\n".join(f'    "{kind}": _{kind}' for kind in kinds)
    parts.append(f"\n\nKINDS = {{\n{table},\n}}\n")
    for kind, op in cases:
        parts.append(f"\n\ndef test_{kind}_{op}(dc: DaphneContext) -> None:\n"
                     f'    check_frame(dc, _{kind}(), "{op}")\n')
    return "".join(parts)
