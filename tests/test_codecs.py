"""interop/codecs.py: one codec per logical kind, the one dispatch for pandas and Arrow (round
trips per kind: tests/test_codec_roundtrip.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from daphnelib.engine.logical import Logical
from daphnelib.interop import codecs

pa = pytest.importorskip("pyarrow")


def test_every_logical_kind_has_exactly_one_codec() -> None:
    assert set(codecs.CODECS) == {None, "numpy", "datetime", "timedelta", "period",
                                  "category", "masked", "string", "sparse"}
    assert all(c.kind == k for k, c in codecs.CODECS.items())
    assert codecs.codec(None) is codecs.codec(Logical(label=3)) is codecs.CODECS[None]
    with pytest.raises(ValueError, match="unknown logical column kind 'blob'"):
        codecs.codec(Logical("blob"))


def test_kind_level_records_leave_as_the_librarys_default_types() -> None:
    # What a kernel (outer join) or a pandas-free import makes: no pandas dtype in the record.
    values = np.array([1, 0, 3], dtype=np.int32)
    mask = np.array([False, True, False])
    masked = Logical("masked", None, mask=mask, extra=np.dtype(np.int16))
    assert codecs.codec(masked).to_arrow(values, masked).equals(
        pa.array([1, None, 3], pa.int16()))
    out = codecs.codec(masked).to_pandas(values, masked)
    assert out.dtype == pd.Int16Dtype() and out.tolist() == [1, pd.NA, 3]
    cat = Logical("category", None, extra=np.array(["x", "y"], dtype=object), ordered=True)
    codes = np.array([1, -1, 0], dtype=np.int8)
    arr = codecs.codec(cat).to_arrow(codes, cat)
    assert arr.type == pa.dictionary(pa.int8(), pa.string(), ordered=True)
    assert arr.to_pylist() == ["y", None, "x"]
    strings = np.array(["a", ""], dtype=np.dtypes.StringDType())
    rec = Logical("string", None, mask=np.array([False, True]))
    assert codecs.codec(rec).to_arrow(strings, rec).to_pylist() == ["a", None]
    back = codecs.codec(rec).to_pandas(strings, rec)
    assert back.dtype == codecs.string_dtype() and back[0] == "a" and pd.isna(back[1])


def test_records_name_pandas_dtypes_when_pandas_is_there() -> None:
    rec = codecs.masked_record(np.dtype(np.float16), np.zeros(2, np.bool_))
    assert rec.dtype == pd.Float32Dtype() and rec.extra is None  # pandas has no Float16
    cat = codecs.category_record(np.array(["b", "a"], dtype=object), ordered=True)
    assert cat.dtype == pd.CategoricalDtype(["b", "a"], ordered=True)
    assert cat.ordered and codecs.is_ordered(cat)
    assert list(cat.extra) == ["b", "a"]
