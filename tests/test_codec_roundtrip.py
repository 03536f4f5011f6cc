"""Every logical kind's codec round-trips: pandas -> engine -> pandas and Arrow -> engine ->
Arrow give back equal columns of the same dtype / Arrow type (hypothesis, per kind), and
exactly one codec takes each foreign column (ingress dispatch does not depend on order).

Each kind has a strategy of foreign columns below; a kind added to ``codecs.CODECS`` without
one fails ``test_every_kind_has_a_round_trip_strategy``. Arrow's canonical forms are used
where daphnelib normalises: strings leave as ``large_string`` (``string`` and
``string_view`` enter too), dictionary indices as int8/int32/int64 (int16 and unsigned
indices widen), float16 with nulls as float32 (pandas has no Float16), and Arrow has no
sparse type (a sparse column leaves as its dense values).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib.interop import codecs
from daphnelib.interop.arrow import frame_value_from_arrow, table_from_frame
from daphnelib.interop.pandas import frame_value_from_pandas, to_pandas

try:  # the pandas round trips need no pyarrow (make test-nopyarrow runs them without)
    import pyarrow as pa
except ImportError:
    pa = None

NAT = np.iinfo(np.int64).min
NUMBERS = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64"]
NULLABLE = ["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
            "Float32", "Float64", "boolean"]
UNITS = ["s", "ms", "us", "ns"]
lengths = st.integers(0, 12)
texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
                max_size=6)
ticks = st.integers(NAT + 1, 2**62)  # NaT (int64's minimum) is the missing value


def masks(n: int) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.bool_, n)


@st.composite
def numbers(draw: Any, n: int, dtype: str | None = None) -> np.ndarray:
    dt = np.dtype(dtype or draw(st.sampled_from(NUMBERS)))
    return draw(hnp.arrays(dt, n, elements=hnp.from_dtype(dt, allow_nan=False)))


# ---------------------------------------------------------------------------------------------
# pandas columns of each kind
# ---------------------------------------------------------------------------------------------

@st.composite
def pd_numpy(draw: Any, n: int) -> Any:
    return draw(numbers(n))


@st.composite
def pd_ticks(draw: Any, n: int, letter: str) -> Any:
    tz = draw(st.sampled_from([None, "UTC", "Asia/Tokyo"])) if letter == "M" else None
    span = ticks if tz is None else st.integers(-10**11, 10**11)  # within pandas' tz bounds
    raw = np.array(draw(st.lists(st.one_of(span, st.just(NAT)), min_size=n, max_size=n)),
                   dtype=np.int64)
    values = raw.view(f"{letter}8[{draw(st.sampled_from(UNITS))}]")
    return values if tz is None else pd.Series(values).dt.tz_localize(tz).array


@st.composite
def pd_period(draw: Any, n: int) -> Any:
    ordinals = np.array(draw(st.lists(st.one_of(st.integers(-10**5, 10**5), st.just(NAT)),
                                      min_size=n, max_size=n)), dtype=np.int64)
    return pd.arrays.PeriodArray(ordinals, dtype=pd.PeriodDtype(draw(st.sampled_from(
        ["D", "M", "Y", "h"]))))


@st.composite
def pd_category(draw: Any, n: int) -> Any:
    cats = draw(st.one_of(st.lists(texts, min_size=1, max_size=5, unique=True),
                          st.lists(st.integers(-9, 9), min_size=1, max_size=5, unique=True)))
    codes = draw(hnp.arrays(np.int8, n, elements=st.integers(-1, len(cats) - 1)))
    return pd.Categorical.from_codes(codes, categories=cats, ordered=draw(st.booleans()))


@st.composite
def pd_masked(draw: Any, n: int) -> Any:
    dtype = pd.api.types.pandas_dtype(draw(st.sampled_from(NULLABLE)))
    values = draw(numbers(n, dtype.numpy_dtype.name))
    return dtype.construct_array_type()(values, draw(masks(n)))


@st.composite
def pd_string(draw: Any, n: int) -> Any:
    values = draw(st.lists(texts, min_size=n, max_size=n))
    missing = draw(masks(n))
    forms = ["object", "str", "string[python]"] + ([] if pa is None else ["string[pyarrow]"])
    form = draw(st.sampled_from(forms))
    if form == "object":  # one missing-value object per column, given back as it was
        token = draw(st.sampled_from([None, np.nan, pd.NA]))
        return pd.Series([token if m else v for v, m in zip(values, missing, strict=True)],
                         dtype=object)
    return pd.array([None if m else v for v, m in zip(values, missing, strict=True)],
                    dtype=form)


@st.composite
def pd_sparse(draw: Any, n: int) -> Any:
    dtype = draw(st.sampled_from(["int64", "float64", "bool", "int32"]))
    values = draw(numbers(n, dtype))
    fill = values[0] if n and draw(st.booleans()) else np.zeros(1, dtype)[0]
    return pd.arrays.SparseArray(values, fill_value=fill,
                                 kind=draw(st.sampled_from(["integer", "block"])))


PANDAS = {"numpy": pd_numpy, "datetime": lambda n: pd_ticks(n, "M"),
          "timedelta": lambda n: pd_ticks(n, "m"), "period": pd_period,
          "category": pd_category, "masked": pd_masked, "string": pd_string,
          "sparse": pd_sparse}


# ---------------------------------------------------------------------------------------------
# Arrow columns of each kind
# ---------------------------------------------------------------------------------------------

@st.composite
def pa_numpy(draw: Any, n: int) -> Any:
    return pa.array(draw(numbers(n)))


@st.composite
def pa_ticks(draw: Any, n: int, letter: str) -> Any:
    raw = np.array(draw(st.lists(ticks, min_size=n, max_size=n)), dtype=np.int64)
    unit = draw(st.sampled_from(UNITS))
    atype = pa.timestamp(unit, draw(st.sampled_from([None, "UTC", "Asia/Tokyo"]))) \
        if letter == "M" else pa.duration(unit)
    return pa.array(raw, pa.int64(), mask=draw(masks(n))).view(atype)


@st.composite
def pa_period(draw: Any, n: int) -> Any:
    return pa.array(draw(pd_period(n)))


@st.composite
def pa_category(draw: Any, n: int) -> Any:
    cats = draw(st.lists(texts, min_size=1, max_size=5, unique=True))
    index = draw(st.sampled_from([pa.int8(), pa.int32(), pa.int64()]))
    codes = draw(hnp.arrays(np.int64, n, elements=st.integers(0, len(cats) - 1)))
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, index, mask=draw(masks(n))), pa.array(cats, pa.large_string()),
        ordered=draw(st.booleans()))


@st.composite
def pa_masked(draw: Any, n: int) -> Any:
    values = draw(numbers(n + 1, draw(st.sampled_from([d for d in NUMBERS if d != "float16"]))))
    mask = np.concatenate([[True], draw(masks(n))])  # at least one null: else "numpy"
    return pa.array(values, mask=mask)


@st.composite
def pa_string(draw: Any, n: int) -> Any:
    values = draw(st.lists(st.one_of(st.none(), texts), min_size=n, max_size=n))
    return pa.array(values, pa.large_string())


ARROW = {"numpy": pa_numpy, "datetime": lambda n: pa_ticks(n, "M"),
         "timedelta": lambda n: pa_ticks(n, "m"), "period": pa_period,
         "category": pa_category, "masked": pa_masked, "string": pa_string}


def test_every_kind_has_a_round_trip_strategy() -> None:
    kinds = set(codecs.CODECS) - {None}
    assert set(PANDAS) == kinds
    assert set(ARROW) == kinds - {"sparse"}  # Arrow has no sparse type


def _record_kind(value: Any) -> str | None:
    record = value.logical[0]
    return None if record is None else record.kind


def _plain_or(kind: str) -> set[str | None]:
    """The record kinds a column of ``kind`` may get: a plain column needs none."""
    return {kind, None} if kind in ("numpy", "string") else {kind}


@pytest.mark.parametrize("kind", sorted(PANDAS))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pandas_engine_pandas(kind: str, data: st.DataObject) -> None:
    column = data.draw(lengths.flatmap(PANDAS[kind]))
    df = pd.DataFrame({"x": column})
    before = df.copy()
    arr = df["x"].array
    arr = arr.to_numpy() if isinstance(arr, pd.arrays.NumpyExtensionArray) else arr
    assert [c.kind for c in codecs.CODECS.values() if c.takes_pandas(arr, pd)] == [kind]
    value = frame_value_from_pandas(df)
    assert _record_kind(value) in _plain_or(kind)
    out = to_pandas(value)
    pd.testing.assert_frame_equal(out, df, check_exact=True)
    pd.testing.assert_frame_equal(df, before, check_exact=True)  # never modified
    if df["x"].dtype == object:  # the missing-value object itself comes back
        assert [type(v) for v in out["x"]] == [type(v) for v in df["x"]]


@pytest.mark.skipif(pa is None, reason="pyarrow is not installed")
@pytest.mark.parametrize("kind", sorted(ARROW))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_arrow_engine_arrow(kind: str, data: st.DataObject) -> None:
    column = data.draw(lengths.flatmap(ARROW[kind]))
    assert [c.kind for c in codecs.CODECS.values() if c.takes_arrow(column, pa)] == [kind]
    value = frame_value_from_arrow(pa.table({"x": column}))
    assert _record_kind(value) in _plain_or(kind)
    out = table_from_frame(value, exact=True).column("x").combine_chunks()
    assert out.type == column.type
    assert out.equals(column), (out, column)
