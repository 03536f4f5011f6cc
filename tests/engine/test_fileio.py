"""DAPHNE's CSV + .meta file format (daphnelib.engine.fileio)."""

from __future__ import annotations

import csv
import json
import pathlib

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daphnelib.engine.fileio import read_frame, read_matrix, write_frame, write_matrix
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import SIZE_DTYPE, STRING_DTYPE

S = STRING_DTYPE
NUMERIC = {
    "si8": np.int8,
    "si32": np.int32,
    "si64": np.int64,
    "ui8": np.uint8,
    "ui32": np.uint32,
    "ui64": np.uint64,
    "f32": np.float32,
    "f64": np.float64,
}
ALL_VTS = {**NUMERIC, "str": S}


def assert_same(actual: np.ndarray, expected: np.ndarray) -> None:
    """Same dtype, shape and values; floats bit-exact except that any NaN matches any NaN."""
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    if expected.dtype.kind == "f":
        nan = np.isnan(expected)
        assert np.array_equal(np.isnan(actual), nan)
        bits = {4: np.uint32, 8: np.uint64}[expected.dtype.itemsize]
        assert np.array_equal(actual[~nan].view(bits), expected[~nan].view(bits))
    else:
        assert actual.tolist() == expected.tolist()


def assert_same_frame(actual: FrameValue, expected: FrameValue) -> None:
    assert actual.labels == expected.labels
    assert actual.nrow == expected.nrow and actual.ncol == expected.ncol
    for a, e in zip(actual.columns, expected.columns, strict=True):
        assert_same(a, e)


def roundtrip(arr: np.ndarray, path: pathlib.Path) -> np.ndarray:
    write_matrix(arr, path)
    return read_matrix(path)


def write_files(path: pathlib.Path, data: str, meta: object) -> None:
    path.write_bytes(data.encode("utf-8"))
    text = meta if isinstance(meta, str) else json.dumps(meta)
    pathlib.Path(f"{path}.meta").write_text(text, encoding="utf-8")


def meta_of(path: pathlib.Path) -> object:
    return json.loads(pathlib.Path(f"{path}.meta").read_text(encoding="utf-8"))


EXTREMES = {
    "si8": [-128, 127, 0, -1],
    "si32": [-(2**31), 2**31 - 1, 0, -1],
    "si64": [-(2**63), 2**63 - 1, -(2**63) + 1, 2**53 + 1],
    "ui8": [0, 255, 1, 128],
    "ui32": [0, 2**32 - 1, 1, 2**31],
    "ui64": [0, 2**64 - 1, 2**63, 2**53 + 1],
    "f32": [np.finfo(np.float32).max, np.finfo(np.float32).tiny, np.float32(1e-45), 0.1],
    "f64": [np.finfo(np.float64).max, 1e-300, 5e-324, 0.1],
    "str": ["a,b", 'q"uo"te', "", "üñí€😀"],
}


# ---------------------------------------------------------------------------------------------
# Matrices: round trips
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("vt", ALL_VTS)
def test_matrix_roundtrip_every_type(tmp_path: pathlib.Path, vt: str) -> None:
    arr = np.array(EXTREMES[vt] * 3, dtype=ALL_VTS[vt]).reshape(3, 4)
    assert_same(roundtrip(arr, tmp_path / "m.csv"), arr)
    assert meta_of(tmp_path / "m.csv") == {"numRows": 3, "numCols": 4, "valueType": vt}


@pytest.mark.parametrize("vt", ALL_VTS)
@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0), (1, 1), (1, 5), (5, 1)])
def test_matrix_shapes(tmp_path: pathlib.Path, vt: str, shape: tuple[int, int]) -> None:
    n = shape[0] * shape[1]
    arr = np.array((EXTREMES[vt] * 2)[:n], dtype=ALL_VTS[vt]).reshape(shape)
    assert_same(roundtrip(arr, tmp_path / "m.csv"), arr)


def test_special_floats_f64(tmp_path: pathlib.Path) -> None:
    fi = np.finfo(np.float64)
    values = [
        np.nan,
        np.inf,
        -np.inf,
        -0.0,
        0.0,
        1e-300,
        -1e-300,
        5e-324,
        2.5e-320,
        fi.tiny,
        fi.max,
        -fi.max,
        fi.eps,
        0.1,
        1 / 3,
        1e16,
        123456789.123456789,
        1e-10,
    ]
    arr = np.array(values).reshape(-1, 1)
    back = roundtrip(arr, tmp_path / "m.csv")
    assert_same(back, arr)
    assert np.signbit(back[3, 0])


def test_special_floats_f32(tmp_path: pathlib.Path) -> None:
    fi = np.finfo(np.float32)
    values = [
        np.nan,
        np.inf,
        -np.inf,
        -0.0,
        fi.max,
        -fi.max,
        fi.tiny,
        fi.smallest_subnormal,
        np.float32(3e-42),
        fi.eps,
        np.float32(0.1),
        np.float32(1 / 3),
        np.float32(16777217),
    ]
    arr = np.array(values, dtype=np.float32).reshape(1, -1)
    assert_same(roundtrip(arr, tmp_path / "m.csv"), arr)


def test_random_float_bit_patterns(tmp_path: pathlib.Path) -> None:
    rng = np.random.default_rng(7)
    f64 = rng.integers(0, 2**64, size=(2000, 5), dtype=np.uint64, endpoint=False).view(np.float64)
    f32 = rng.integers(0, 2**32, size=(2000, 5), dtype=np.uint32, endpoint=False).view(np.float32)
    assert_same(roundtrip(f64, tmp_path / "a.csv"), f64)
    assert_same(roundtrip(f32, tmp_path / "b.csv"), f32)


def test_floats_are_not_written_with_six_decimals(tmp_path: pathlib.Path) -> None:
    write_matrix(np.array([[0.1, 1e-10, -0.0, np.nan, -np.inf]]), tmp_path / "m.csv")
    assert (tmp_path / "m.csv").read_text() == "0.1,1e-10,-0.0,nan,-inf\n"
    write_matrix(np.array([[0.1, 2.5]], dtype=np.float32), tmp_path / "f.csv")
    assert (tmp_path / "f.csv").read_text() == "0.100000001,2.5\n"


def test_int64_uint64_extremes_exact(tmp_path: pathlib.Path) -> None:
    si = np.array([[-(2**63), 2**63 - 1], [2**53 + 1, -(2**53) - 1]], dtype=np.int64)
    ui = np.array([[2**64 - 1, 2**63 + 1], [2**53 + 1, 0]], dtype=np.uint64)
    assert_same(roundtrip(si, tmp_path / "s.csv"), si)
    assert_same(roundtrip(ui, tmp_path / "u.csv"), ui)
    assert (tmp_path / "u.csv").read_text().startswith("18446744073709551615,9223372036854775809\n")


def test_bool_is_written_as_ui8(tmp_path: pathlib.Path) -> None:
    arr = np.array([[True, False], [False, True]])
    write_matrix(arr, tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text() == "1,0\n0,1\n"
    assert meta_of(tmp_path / "b.csv")["valueType"] == "ui8"
    assert_same(read_matrix(tmp_path / "b.csv"), arr.astype(np.uint8))


def test_size_type_is_written_as_ui64(tmp_path: pathlib.Path) -> None:
    arr = np.array([[3, 2**64 - 1]], dtype=SIZE_DTYPE)
    write_matrix(arr, tmp_path / "z.csv")
    assert meta_of(tmp_path / "z.csv")["valueType"] == "ui64"
    assert read_matrix(tmp_path / "z.csv").tolist() == [[3, 2**64 - 1]]


def test_non_contiguous_and_pathlike_and_str_path(tmp_path: pathlib.Path) -> None:
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    view = arr.T[::2]
    write_matrix(view, str(tmp_path / "v.csv"))
    assert_same(read_matrix(str(tmp_path / "v.csv")), np.ascontiguousarray(view))


def test_matrix_must_be_2d(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="2-D"):
        write_matrix(np.arange(3), tmp_path / "m.csv")


# ---------------------------------------------------------------------------------------------
# Strings
# ---------------------------------------------------------------------------------------------

TRICKY = [
    "plain",
    "with,comma",
    'with "quotes"',
    '"',
    '""',
    "line\nbreak",
    "cr\rhere",
    "crlf\r\nend",
    "",
    " spaced ",
    "ünïcödé ∑ 😀",
    "trailing,",
    ",",
    "\n",
    "a\tb",
    "#hash",
    "nan",
    "1e5",
    "\\",
    '\\"',
    "\x00nul",
]


def test_strings_roundtrip(tmp_path: pathlib.Path) -> None:
    arr = np.array(TRICKY, dtype=S).reshape(-1, 3)
    assert_same(roundtrip(arr, tmp_path / "s.csv"), arr)


def test_string_file_is_rfc4180(tmp_path: pathlib.Path) -> None:
    arr = np.array(TRICKY, dtype=S).reshape(-1, 3)
    write_matrix(arr, tmp_path / "s.csv")
    with open(tmp_path / "s.csv", newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == arr.tolist()


def test_single_string_column_with_empty_strings(tmp_path: pathlib.Path) -> None:
    arr = np.array(["", "a", "", ""], dtype=S).reshape(-1, 1)
    back = roundtrip(arr, tmp_path / "s.csv")
    assert_same(back, arr)
    assert (tmp_path / "s.csv").read_text() == '""\na\n""\n""\n'


def test_strings_quoted_only_when_needed(tmp_path: pathlib.Path) -> None:
    arr = np.array([["abc", 'd"e', "f,g", "", "h\ni", " j"]], dtype=S)
    write_matrix(arr, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text() == 'abc,"d""e","f,g",,"h\ni", j\n'


def test_unicode_string_dtype_input(tmp_path: pathlib.Path) -> None:
    arr = np.array([["ab", "c,d"]], dtype="U4")
    assert_same(roundtrip(arr, tmp_path / "s.csv"), arr.astype(S))


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------


def mixed_frame() -> FrameValue:
    cols = [
        np.array([1, -(2**63), 2**63 - 1], dtype=np.int64),
        np.array([0.1, np.nan, -np.inf]),
        np.array(["x,y", 'say "hi"', "multi\nline"], dtype=S),
        np.array([np.float32(0.1), np.float32(-0.0), np.float32(1e-45)], dtype=np.float32),
        np.array([2**64 - 1, 0, 7], dtype=np.uint64),
        np.array([-128, 0, 127], dtype=np.int8),
        np.array([255, 0, 1], dtype=np.uint8),
        np.array([-1, 2**31 - 1, -(2**31)], dtype=np.int32),
        np.array([0, 2**32 - 1, 5], dtype=np.uint32),
        np.array(["", "ü", " "], dtype=S),
    ]
    labels = ["plain", "with space", "com,ma", 'qu"ote', "ünï😀", "a\nb", "", "col_0x", "0", "[]"]
    return FrameValue(cols, labels)


def test_frame_mixed_roundtrip(tmp_path: pathlib.Path) -> None:
    frame = mixed_frame()
    write_frame(frame, tmp_path / "f.csv")
    meta = meta_of(tmp_path / "f.csv")
    assert meta["numRows"] == 3 and meta["numCols"] == 10
    assert [e["valueType"] for e in meta["schema"]] == [
        "si64",
        "f64",
        "str",
        "f32",
        "ui64",
        "si8",
        "ui8",
        "si32",
        "ui32",
        "str",
    ]
    back = read_frame(tmp_path / "f.csv")
    assert all(col.flags.c_contiguous for col in back.columns)
    # An empty label has no representation of its own: it reads back as the default label.
    expected = FrameValue(frame.columns, [lbl or f"col_{j}" for j, lbl in enumerate(frame.labels)])
    assert_same_frame(back, expected)


def test_frame_all_numeric_roundtrip(tmp_path: pathlib.Path) -> None:
    frame = FrameValue(
        [
            np.array([1.5, np.nan]),
            np.array([2**64 - 1, 3], dtype=np.uint64),
            np.array([True, False]),
            np.array([-5, 6], dtype=np.int8),
        ],
        ["a", "b b", "flag", "ß"],
    )
    write_frame(frame, tmp_path / "f.csv")
    assert (tmp_path / "f.csv").read_text() == "1.5,18446744073709551615,1,-5\nnan,3,0,6\n"
    back = read_frame(tmp_path / "f.csv")
    expected = FrameValue(
        [*frame.columns[:2], np.array([1, 0], dtype=np.uint8), frame.columns[3]], frame.labels
    )
    assert_same_frame(back, expected)


@pytest.mark.parametrize("nrow,types", [(0, ["si64", "str"]), (4, []), (0, []), (0, ["f64"])])
def test_frame_empty_shapes(tmp_path: pathlib.Path, nrow: int, types: list[str]) -> None:
    frame = FrameValue([np.empty(nrow, ALL_VTS[vt]) for vt in types], nrow=nrow)
    write_frame(frame, tmp_path / "f.csv")
    assert_same_frame(read_frame(tmp_path / "f.csv"), frame)


def test_frame_single_string_column_empty_values(tmp_path: pathlib.Path) -> None:
    frame = FrameValue([np.array(["", "", "x"], dtype=S)], ["s"])
    write_frame(frame, tmp_path / "f.csv")
    assert_same_frame(read_frame(tmp_path / "f.csv"), frame)


def test_frame_meta_json(tmp_path: pathlib.Path) -> None:
    frame = FrameValue([np.array([1], dtype=np.int64), np.array(["a"], dtype=S)], ["x", 'é"'])
    write_frame(frame, tmp_path / "f.csv")
    assert meta_of(tmp_path / "f.csv") == {
        "numRows": 1,
        "numCols": 2,
        "schema": [{"label": "x", "valueType": "si64"}, {"label": 'é"', "valueType": "str"}],
    }


def test_frame_large_string_frame(tmp_path: pathlib.Path) -> None:
    n = 20_000
    frame = FrameValue(
        [np.arange(n, dtype=np.int64), np.array([f"v,{i}" for i in range(n)], dtype=S)], ["i", "s"]
    )
    write_frame(frame, tmp_path / "f.csv")
    assert_same_frame(read_frame(tmp_path / "f.csv"), frame)


# ---------------------------------------------------------------------------------------------
# Hand-written DAPHNE-style files
# ---------------------------------------------------------------------------------------------


def test_read_daphne_style_matrix_with_special_tokens(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "m.csv"
    write_files(
        path,
        "1.000000,nan,NaN\n-inf,Inf,INF\n -2.5 ,+3,1e3\n",
        '{"numRows": 3, "numCols": 3, "valueType": "f64", "numNonZeros": -1}',
    )
    back = read_matrix(path)
    expected = np.array([[1, np.nan, np.nan], [-np.inf, np.inf, np.inf], [-2.5, 3, 1e3]])
    assert_same(back, expected)


def test_read_crlf_no_final_newline_and_trailing_blank_lines(tmp_path: pathlib.Path) -> None:
    write_files(tmp_path / "a.csv", "1,2\r\n3,4", {"numRows": 2, "numCols": 2, "valueType": "si32"})
    assert_same(read_matrix(tmp_path / "a.csv"), np.array([[1, 2], [3, 4]], dtype=np.int32))
    write_files(
        tmp_path / "b.csv", "a,b\r\nc,d\n\n\n", {"numRows": 2, "numCols": 2, "valueType": "str"}
    )
    assert_same(read_matrix(tmp_path / "b.csv"), np.array([["a", "b"], ["c", "d"]], dtype=S))


def test_blank_lines_in_numeric_data_are_skipped(tmp_path: pathlib.Path) -> None:
    write_files(
        tmp_path / "m.csv", "1,2\n\n3,4\n", {"numRows": 2, "numCols": 2, "valueType": "f32"}
    )
    assert_same(read_matrix(tmp_path / "m.csv"), np.array([[1, 2], [3, 4]], dtype=np.float32))


def test_read_quoted_fields(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "f.csv"
    data = '1,"a,b","d""e"\n2,"multi\nline",plain\n"3",,"x"\n'
    write_files(
        path,
        data,
        {
            "numRows": 3,
            "numCols": 3,
            "schema": [
                {"label": "n", "valueType": "si64"},
                {"label": "s", "valueType": "str"},
                {"label": "t", "valueType": "str"},
            ],
        },
    )
    back = read_frame(path)
    assert back.labels == ["n", "s", "t"]
    assert_same(back.columns[0], np.array([1, 2, 3], dtype=np.int64))
    assert back.columns[1].tolist() == ["a,b", "multi\nline", ""]
    assert back.columns[2].tolist() == ['d"e', "plain", "x"]


def test_read_quoted_numbers_in_numeric_matrix(tmp_path: pathlib.Path) -> None:
    write_files(
        tmp_path / "m.csv", '"1",2\n3,"4"\n', {"numRows": 2, "numCols": 2, "valueType": "ui8"}
    )
    assert_same(read_matrix(tmp_path / "m.csv"), np.array([[1, 2], [3, 4]], dtype=np.uint8))


def test_read_default_labels_and_frame_level_value_type(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "f.csv"
    write_files(
        path,
        "1,2.5,x\n3,nan,y\n",
        {
            "numRows": 2,
            "numCols": 3,
            "valueType": "si64",
            "schema": [
                {"label": "", "valueType": ""},
                {"label": "b", "valueType": "f64"},
                {"label": "", "valueType": "str"},
            ],
        },
    )
    back = read_frame(path)
    assert back.labels == ["col_0", "b", "col_2"]
    assert_same(back.columns[0], np.array([1, 3], dtype=np.int64))
    assert_same(back.columns[1], np.array([2.5, np.nan]))
    assert back.columns[2].tolist() == ["x", "y"]


def test_read_frame_from_matrix_meta(tmp_path: pathlib.Path) -> None:
    write_files(tmp_path / "f.csv", "1,2\n3,4\n", {"numRows": 2, "numCols": 2, "valueType": "ui32"})
    back = read_frame(tmp_path / "f.csv")
    assert back.labels == ["col_0", "col_1"]
    assert_same(back.columns[1], np.array([2, 4], dtype=np.uint32))


def test_read_daphne_blank_lines_as_empty_strings(tmp_path: pathlib.Path) -> None:
    write_files(tmp_path / "s.csv", "a\n\nb\n\n", {"numRows": 4, "numCols": 1, "valueType": "str"})
    assert read_matrix(tmp_path / "s.csv").tolist() == [["a"], [""], ["b"], [""]]


def test_underscore_and_whitespace_cells_parse_like_python(tmp_path: pathlib.Path) -> None:
    write_files(
        tmp_path / "m.csv", " 1 ,1_000\n", {"numRows": 1, "numCols": 2, "valueType": "si64"}
    )
    assert read_matrix(tmp_path / "m.csv").tolist() == [[1, 1000]]


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_missing_meta(tmp_path: pathlib.Path) -> None:
    (tmp_path / "m.csv").write_text("1\n")
    with pytest.raises(FileNotFoundError, match=r"m\.csv\.meta"):
        read_matrix(tmp_path / "m.csv")
    with pytest.raises(FileNotFoundError, match=r"m\.csv\.meta"):
        read_frame(tmp_path / "m.csv")


def test_missing_data_file(tmp_path: pathlib.Path) -> None:
    pathlib.Path(f"{tmp_path / 'm.csv'}.meta").write_text(
        '{"numRows":1,"numCols":1,"valueType":"f64"}'
    )
    with pytest.raises(FileNotFoundError):
        read_matrix(tmp_path / "m.csv")
    with pytest.raises(FileNotFoundError):
        read_frame(tmp_path / "m.csv")


@pytest.mark.parametrize(
    "meta,message",
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ({"numCols": 1, "valueType": "f64"}, "numRows"),
        ({"numRows": 1, "numCols": -1, "valueType": "f64"}, "numCols"),
        ({"numRows": "1", "numCols": 1, "valueType": "f64"}, "numRows"),
        ({"numRows": 1, "numCols": 1, "valueType": "f16"}, "f16"),
        ({"numRows": 1, "numCols": 1}, "valueType"),
        ({"numRows": 1, "numCols": 1, "valueType": "bool"}, "bool"),
        ({"numRows": 1, "numCols": 1, "schema": [{"label": "a", "valueType": "f64"}]}, "frame"),
    ],
)
def test_invalid_matrix_meta(tmp_path: pathlib.Path, meta: object, message: str) -> None:
    write_files(tmp_path / "m.csv", "1\n", meta)
    with pytest.raises(ValueError, match=message) as info:
        read_matrix(tmp_path / "m.csv")
    assert "m.csv.meta" in str(info.value)


@pytest.mark.parametrize(
    "meta,message",
    [
        ({"numRows": 1, "numCols": 2, "schema": [{"label": "a", "valueType": "f64"}]}, "numCols=2"),
        ({"numRows": 1, "numCols": 1, "schema": {"a": "f64"}}, "schema"),
        ({"numRows": 1, "numCols": 1, "schema": [{"label": "a", "valueType": ""}]}, "default"),
        ({"numRows": 1, "numCols": 1, "schema": [{"label": "a"}]}, "default"),
        ({"numRows": 1, "numCols": 1, "schema": [{"label": "a", "valueType": "int"}]}, "int"),
        ({"numRows": 1, "numCols": 1, "schema": ["f64"]}, "entry 0"),
        ({"numRows": 1, "numCols": 1, "schema": [{"label": 3, "valueType": "f64"}]}, "label"),
        (
            {
                "numRows": 1,
                "numCols": 2,
                "schema": [{"label": "a", "valueType": "f64"}, {"label": "a", "valueType": "f64"}],
            },
            "unique",
        ),
        (
            {
                "numRows": 1,
                "numCols": 2,
                "schema": [
                    {"label": "col_1", "valueType": "f64"},
                    {"label": "", "valueType": "f64"},
                ],
            },
            "unique",
        ),
    ],
)
def test_invalid_frame_meta(tmp_path: pathlib.Path, meta: object, message: str) -> None:
    write_files(tmp_path / "f.csv", "1,2\n", meta)
    with pytest.raises(ValueError, match=message) as info:
        read_frame(tmp_path / "f.csv")
    assert "f.csv.meta" in str(info.value)


@pytest.mark.parametrize("vt", ["f64", "si64", "str"])
@pytest.mark.parametrize(
    "data,message",
    [
        ("1,2\n3,4\n", "has 2 rows, but its meta data says 3"),
        ("1,2\n3,4\n5,6\n7,8\n", "has 4 rows, but its meta data says 3"),
        ("1,2\n3\n5,6\n", "row 2 has 1 fields, expected 2"),
        ("1,2\n3,4\n5,6,7\n", "row 3 has 3 fields, expected 2"),
        ("", "has 0 rows"),
    ],
)
def test_wrong_cell_counts(tmp_path: pathlib.Path, vt: str, data: str, message: str) -> None:
    write_files(tmp_path / "m.csv", data, {"numRows": 3, "numCols": 2, "valueType": vt})
    with pytest.raises(ValueError, match=message) as info:
        read_matrix(tmp_path / "m.csv")
    assert "m.csv" in str(info.value)


@pytest.mark.parametrize(
    "vt,cell",
    [
        ("f64", "abc"),
        ("f64", ""),
        ("f32", "1,5"),
        ("si64", "1.0"),
        ("si64", "9223372036854775808"),
        ("si8", "128"),
        ("ui8", "-1"),
        ("ui64", "18446744073709551616"),
        ("ui32", "1e3"),
        ("si32", "nan"),
    ],
)
def test_unparsable_cell_names_file_row_and_column(
    tmp_path: pathlib.Path, vt: str, cell: str
) -> None:
    quoted = f'"{cell}"' if "," in cell else cell
    write_files(
        tmp_path / "m.csv", f"1,2,3\n4,5,{quoted}\n", {"numRows": 2, "numCols": 3, "valueType": vt}
    )
    with pytest.raises(
        ValueError, match=rf"m\.csv: row 2, column 3: cannot parse '{cell}' as {vt}"
    ):
        read_matrix(tmp_path / "m.csv")


def test_unparsable_cell_in_frame(tmp_path: pathlib.Path) -> None:
    schema = [
        {"label": "s", "valueType": "str"},
        {"label": "x", "valueType": "f64"},
        {"label": "i", "valueType": "si32"},
    ]
    write_files(
        tmp_path / "f.csv", "a,1.5,2\nb,x,3\n", {"numRows": 2, "numCols": 3, "schema": schema}
    )
    with pytest.raises(ValueError, match=r"f\.csv: row 2, column 2: cannot parse 'x' as f64"):
        read_frame(tmp_path / "f.csv")
    schema[0]["valueType"] = "si64"
    write_files(
        tmp_path / "g.csv", "1,1.5,2\n2,2.5,3.5\n", {"numRows": 2, "numCols": 3, "schema": schema}
    )
    with pytest.raises(ValueError, match=r"g\.csv: row 2, column 3: cannot parse '3.5' as si32"):
        read_frame(tmp_path / "g.csv")
    write_files(tmp_path / "h.csv", "1,1.5\n", {"numRows": 1, "numCols": 3, "schema": schema})
    with pytest.raises(ValueError, match=r"h\.csv: row 1 has 2 fields, expected 3"):
        read_frame(tmp_path / "h.csv")


def test_malformed_quoting(tmp_path: pathlib.Path) -> None:
    write_files(tmp_path / "s.csv", '"ab"c,d\n', {"numRows": 1, "numCols": 2, "valueType": "str"})
    with pytest.raises(ValueError, match=r"s\.csv: malformed CSV at line 1"):
        read_matrix(tmp_path / "s.csv")
    write_files(
        tmp_path / "t.csv", 'a,"unterminated\n', {"numRows": 1, "numCols": 2, "valueType": "str"}
    )
    with pytest.raises(ValueError, match=r"t\.csv: malformed CSV"):
        read_matrix(tmp_path / "t.csv")


def test_not_utf8(tmp_path: pathlib.Path) -> None:
    (tmp_path / "s.csv").write_bytes(b"\xff\xfe\n")
    pathlib.Path(f"{tmp_path / 's.csv'}.meta").write_text(
        '{"numRows":1,"numCols":1,"valueType":"str"}'
    )
    with pytest.raises(ValueError, match=r"s\.csv: not UTF-8"):
        read_matrix(tmp_path / "s.csv")


def test_data_in_an_empty_object(tmp_path: pathlib.Path) -> None:
    write_files(tmp_path / "m.csv", "1,2\n", {"numRows": 0, "numCols": 2, "valueType": "f64"})
    with pytest.raises(ValueError, match=r"m\.csv: holds data, but its meta data says 0x2"):
        read_matrix(tmp_path / "m.csv")


# ---------------------------------------------------------------------------------------------
# Property-based round trips
# ---------------------------------------------------------------------------------------------

TEXT = st.text(max_size=8)
SHAPES = hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=6)


def column_values(vt: str, size: int) -> st.SearchStrategy[np.ndarray]:
    if vt == "str":
        return st.lists(TEXT, min_size=size, max_size=size).map(lambda v: np.array(v, dtype=S))
    return hnp.arrays(np.dtype(NUMERIC[vt]), size)


@st.composite
def matrices(draw: st.DrawFn) -> np.ndarray:
    vt = draw(st.sampled_from(sorted(ALL_VTS)))
    shape = draw(SHAPES)
    return draw(column_values(vt, shape[0] * shape[1])).reshape(shape)


@st.composite
def frames(draw: st.DrawFn) -> FrameValue:
    nrow = draw(st.integers(0, 6))
    vts = draw(st.lists(st.sampled_from(sorted(ALL_VTS)), max_size=5))
    labels = draw(
        st.lists(st.text(min_size=1, max_size=6), min_size=len(vts), max_size=len(vts), unique=True)
    )
    return FrameValue([draw(column_values(vt, nrow)) for vt in vts], labels, nrow=nrow)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(arr=matrices())
def test_hypothesis_matrix_roundtrip(tmp_path: pathlib.Path, arr: np.ndarray) -> None:
    assert_same(roundtrip(arr, tmp_path / "h.csv"), arr)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames())
def test_hypothesis_frame_roundtrip(tmp_path: pathlib.Path, frame: FrameValue) -> None:
    write_frame(frame, tmp_path / "h.csv")
    assert_same_frame(read_frame(tmp_path / "h.csv"), frame)
