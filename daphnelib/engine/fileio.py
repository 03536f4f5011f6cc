"""DAPHNE's file format for matrices and frames: a CSV data file plus a JSON ``<file>.meta``.

Used by the DSL builtins ``readMatrix``/``readFrame``/``write*`` and by DaphneLib's "files"
transfer path.

- Meta: ``{"numRows":R,"numCols":C,"valueType":"f64"}`` for a matrix,
  ``{"numRows":R,"numCols":C,"schema":[{"label":"a","valueType":"si64"},...]}`` for a frame.
  Value types are ``si8 si32 si64 ui8 ui32 ui64 f32 f64 str``. The format has no bool, so
  bool data is written as ``ui8`` 0/1 (and reads back as uint8); DAPHNE's index type is
  written as ``ui64``.
- Data: no header, ``,`` separator, ``\\n`` line ends; a string is quoted only when it holds
  ``,``, ``"``, LF or CR (RFC 4180, ``"`` doubled), or when it is the only field of its row and
  empty (a bare blank line is skipped by many readers).
- Floats are written so that they read back bit-exactly: f64 as the shortest round-trip repr,
  f32 with 9 significant digits. This deliberately departs from DAPHNE's own writer, whose
  ``%f`` keeps 6 decimals (1e-10 becomes 0.000000). Only NaN sign/payload bits are not kept.
- Reading: a cell parses as Python's ``int()``/``float()`` would (``nan``/``inf``/``-inf`` in
  any case, surrounding blanks allowed); integers are parsed exactly, never through float.
  DAPHNE reads unparsable cells as NaN or 0; here they raise a ValueError naming the file and
  the (1-based) row and column, as do a missing/invalid meta file and a wrong number of rows
  or fields. Blank lines after the last row, and anywhere in all-numeric data, are ignored;
  in a one-column string file a blank line is an empty string.

All-numeric data is parsed by ``np.loadtxt`` (C) and formatted by one ``%`` operation per
block of rows; the ``csv`` module reads only data with string columns.
"""

from __future__ import annotations

import csv
import json
import os
import warnings
from itertools import chain

import numpy as np

from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import DTYPE_OF_VT, STRING_DTYPE, vt_of_dtype

FILE_VTS = ("si8", "si32", "si64", "ui8", "ui32", "ui64", "f32", "f64", "str")
_FORMAT = {"f64": "%r", "f32": "%.9g", "str": "%s"}  # integers: "%d"
# Cells formatted per write() call: bounds the temporary Python objects of a block.
_BLOCK_CELLS = 1 << 18


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


# .meta key of daphnelib's own transfer files: the numpy dtype (and its metadata, e.g. the
# carrier tag of an int16 input) that the file's valueType cannot say (bool, 16-bit types).
DTYPE_KEY = "daphnelibDtype"


def write_matrix(arr: np.ndarray, path: str | os.PathLike[str], *,
                 keep_dtype: bool = False) -> None:
    """Write a 2-D matrix as ``path`` (CSV) and ``path.meta``.

    ``keep_dtype`` (daphnelib's private transfer files) records the exact numpy dtype in the
    .meta too, so :func:`read_matrix` gives it back; files for DAPHNE leave it out.
    """
    if arr.ndim != 2:
        raise ValueError(f"a matrix must be 2-D to be written, got shape {arr.shape}")
    path = os.fspath(path)
    nrow, ncol = arr.shape
    vt = _file_vt(arr.dtype)
    data = _writable(arr, vt, lone=ncol == 1)
    row_format = ",".join([_FORMAT.get(vt, "%d")] * ncol) + "\n"
    step = max(1, _BLOCK_CELLS // max(ncol, 1))
    with open(path, "w", encoding="utf-8", newline="") as f:
        if ncol:
            for start in range(0, nrow, step):
                block = data[start : start + step]
                f.write((row_format * len(block)) % tuple(block.ravel().tolist()))
    meta: dict[str, object] = {"numRows": nrow, "numCols": ncol, "valueType": vt}
    if keep_dtype and (arr.dtype != DTYPE_OF_VT[vt] or arr.dtype.metadata):
        meta[DTYPE_KEY] = {"dtype": arr.dtype.str, "metadata": dict(arr.dtype.metadata or {})}
    _write_meta(path, meta)


def write_frame(frame: FrameValue, path: str | os.PathLike[str]) -> None:
    """Write a frame as ``path`` (CSV) and ``path.meta`` (labels and value types in ``schema``).

    Logical column types (pandas dtypes, ...) are not part of the format and are dropped.
    """
    path = os.fspath(path)
    vts = [_file_vt(col.dtype) for col in frame.columns]
    cols = [
        _writable(col, vt, lone=frame.ncol == 1) for col, vt in zip(frame.columns, vts, strict=True)
    ]
    row_format = ",".join(_FORMAT.get(vt, "%d") for vt in vts) + "\n"
    step = max(1, _BLOCK_CELLS // max(frame.ncol, 1))
    with open(path, "w", encoding="utf-8", newline="") as f:
        if cols:
            for start in range(0, frame.nrow, step):
                parts = [col[start : start + step].tolist() for col in cols]
                cells = tuple(chain.from_iterable(zip(*parts, strict=True)))  # row-major
                f.write((row_format * len(parts[0])) % cells)
    schema = [{"label": lbl, "valueType": vt} for lbl, vt in zip(frame.labels, vts, strict=True)]
    _write_meta(path, {"numRows": frame.nrow, "numCols": frame.ncol, "schema": schema})


def _file_vt(dtype: np.dtype) -> str:
    vt = vt_of_dtype(dtype)
    if vt == "bool":
        return "ui8"  # the meta vocabulary has no bool: written as 0/1
    if vt == "size":
        return "ui64"
    return vt


def _writable(values: np.ndarray, vt: str, lone: bool) -> np.ndarray:
    """``values`` in a form whose ``tolist()`` items %-format into CSV cells."""
    if vt == "str":
        return _quote(values.astype(STRING_DTYPE, copy=False), lone)
    if values.dtype == np.bool_:
        return values.astype(np.uint8)
    return values


def _quote(strings: np.ndarray, lone: bool) -> np.ndarray:
    """RFC 4180 quoting of the strings that need it (vectorised)."""
    needed = np.strings.str_len(strings) == 0 if lone else np.zeros(strings.shape, np.bool_)
    for special in (",", '"', "\n", "\r"):
        needed |= np.strings.find(strings, special) >= 0
    if not needed.any():
        return strings
    quoted = strings.copy()
    doubled = np.strings.replace(strings[needed], '"', '""')
    quoted[needed] = np.strings.add(np.strings.add('"', doubled), '"')
    return quoted


def _write_meta(path: str, meta: dict[str, object]) -> None:
    with open(path + ".meta", "w", encoding="utf-8", newline="") as f:
        f.write(json.dumps(meta, ensure_ascii=False, separators=(",", ":")))


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def read_matrix(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a matrix written by :func:`write_matrix` or by DAPHNE; always 2-D."""
    path = os.fspath(path)
    meta, meta_path = _read_meta(path)
    if "schema" in meta:
        raise ValueError(f"{meta_path}: describes a frame (it has a 'schema'), not a matrix")
    nrow, ncol = _dims(meta, meta_path)
    vt = _check_vt(meta.get("valueType"), meta_path, "valueType")
    if nrow == 0 or ncol == 0:
        _expect_no_data(path, nrow, ncol)
        return np.empty((nrow, ncol), DTYPE_OF_VT[vt])
    if vt != "str":
        fast = _loadtxt(path, DTYPE_OF_VT[vt], ndmin=2)
        if fast is not None and fast.shape == (nrow, ncol):
            return _recorded_dtype(fast, meta)
    # Strings, or numeric data numpy rejected: the csv reader decides and names bad cells.
    return _recorded_dtype(_parse(_read_table(path, nrow, ncol), vt, path), meta)


def _recorded_dtype(arr: np.ndarray, meta: dict[str, object]) -> np.ndarray:
    """``arr`` in the dtype a :data:`DTYPE_KEY` entry records (its values are exact in it)."""
    record = meta.get(DTYPE_KEY)
    if record is None:
        return arr
    try:
        metadata = record.get("metadata") or {}
        dtype = np.dtype(record["dtype"], metadata=metadata) if metadata else np.dtype(
            record["dtype"])
        same = (dtype.kind == "b" and arr.dtype == np.uint8) or (
            dtype.kind in "iuf" and vt_of_dtype(dtype) == vt_of_dtype(arr.dtype))
        if not same:  # only a bool or a carrier tag is recorded: anything else is foreign
            raise TypeError(f"{dtype} is not a form of the file's {arr.dtype}")
    except (AttributeError, KeyError, TypeError) as exc:
        raise ValueError(f"invalid meta data: {DTYPE_KEY} {record!r}: {exc}") from None
    out = arr.astype(dtype, copy=False)  # numpy skips a cast that changes only metadata
    return out.view(dtype) if out.dtype.metadata != dtype.metadata else out


def read_frame(path: str | os.PathLike[str]) -> FrameValue:
    """Read a frame written by :func:`write_frame` or by DAPHNE.

    A schema entry's empty ``valueType`` takes the frame-level ``valueType``; an empty label
    becomes ``col_<index>``. A matrix meta (no schema) yields columns of its value type.
    """
    path = os.fspath(path)
    meta, meta_path = _read_meta(path)
    nrow, ncol = _dims(meta, meta_path)
    vts, labels = _schema(meta, meta_path, ncol)
    if nrow == 0 or ncol == 0:
        _expect_no_data(path, nrow, ncol)
        columns = [np.empty(nrow, DTYPE_OF_VT[vt]) for vt in vts]
    else:
        columns = None if "str" in vts else _numeric_columns(path, vts, nrow)
        if columns is None:
            table = _read_table(path, nrow, ncol)
            # Copies: frame columns are contiguous and must not pin the whole table.
            columns = [_parse(table[:, j].copy(), vt, path, j) for j, vt in enumerate(vts)]
    try:
        return FrameValue(columns, labels, nrow=nrow)
    except ValueError as err:
        raise ValueError(f"{meta_path}: {err}") from None


def _read_meta(path: str) -> tuple[dict[str, object], str]:
    meta_path = path + ".meta"
    try:
        with open(meta_path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"cannot read '{path}': its meta data file '{meta_path}' does not exist"
        ) from None
    try:
        meta = json.loads(text)
    except ValueError as err:  # also UnicodeDecodeError
        raise ValueError(f"{meta_path}: invalid meta data (not JSON): {err}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{meta_path}: invalid meta data: expected a JSON object")
    return meta, meta_path


def _dims(meta: dict[str, object], meta_path: str) -> tuple[int, int]:
    dims = []
    for key in ("numRows", "numCols"):
        value = meta.get(key)
        if type(value) is not int or value < 0:
            raise ValueError(
                f"{meta_path}: invalid meta data: '{key}' must be a non-negative integer, "
                f"got {value!r}"
            )
        dims.append(value)
    return dims[0], dims[1]


def _check_vt(vt: object, meta_path: str, where: str) -> str:
    if vt not in FILE_VTS:
        raise ValueError(
            f"{meta_path}: invalid meta data: {where} must be one of {', '.join(FILE_VTS)}; "
            f"got {vt!r}"
        )
    return vt  # type: ignore[return-value]


def _schema(meta: dict[str, object], meta_path: str, ncol: int) -> tuple[list[str], list[str]]:
    """Value types and labels of a frame's columns."""
    default_labels = [f"col_{j}" for j in range(ncol)]
    if "schema" not in meta:
        return [_check_vt(meta.get("valueType"), meta_path, "valueType")] * ncol, default_labels
    schema = meta["schema"]
    if not isinstance(schema, list) or len(schema) != ncol:
        raise ValueError(
            f"{meta_path}: invalid meta data: 'schema' must be a list of numCols={ncol} entries"
        )
    default_vt = meta.get("valueType", "")
    vts, labels = [], []
    for j, entry in enumerate(schema):
        if not isinstance(entry, dict):
            raise ValueError(f"{meta_path}: invalid meta data: schema entry {j} is not an object")
        vt = entry.get("valueType", "") or default_vt
        if vt == "":
            raise ValueError(
                f"{meta_path}: invalid meta data: schema entry {j} has no valueType and there "
                "is no frame-level default 'valueType'"
            )
        vts.append(_check_vt(vt, meta_path, f"the valueType of schema entry {j}"))
        label = entry.get("label", "")
        if not isinstance(label, str):
            raise ValueError(
                f"{meta_path}: invalid meta data: schema entry {j} has a non-string label"
            )
        labels.append(label or default_labels[j])
    return vts, labels


def _expect_no_data(path: str, nrow: int, ncol: int) -> None:
    with open(path, encoding="utf-8") as f:
        if f.read().strip():
            raise ValueError(f"{path}: holds data, but its meta data says {nrow}x{ncol}")


def _loadtxt(path: str, dtype: np.dtype, ndmin: int) -> np.ndarray | None:
    """The fast C parser; None when it rejects the file (the caller re-parses for details)."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "loadtxt: input contained no data")
            return np.loadtxt(
                path,
                dtype=dtype,
                delimiter=",",
                comments=None,
                quotechar='"',
                ndmin=ndmin,
                encoding="utf-8",
            )
    except ValueError:
        return None


def _numeric_columns(path: str, vts: list[str], nrow: int) -> list[np.ndarray] | None:
    """All-numeric frame columns via one structured loadtxt; None if it does not fit."""
    record = np.dtype([(f"f{j}", DTYPE_OF_VT[vt]) for j, vt in enumerate(vts)])
    table = _loadtxt(path, record, ndmin=1)
    if table is None or len(table) != nrow:
        return None
    return [np.ascontiguousarray(table[f"f{j}"]) for j in range(len(vts))]


def _read_table(path: str, nrow: int, ncol: int) -> np.ndarray:
    """All cells as an (nrow, ncol) string array, checking the row and field counts."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f, strict=True)
            try:
                rows = list(reader)
            except csv.Error as err:
                raise ValueError(
                    f"{path}: malformed CSV at line {reader.line_num}: {err}"
                ) from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text: {err}") from None
    while len(rows) > nrow and not rows[-1]:
        rows.pop()
    if len(rows) != nrow:
        raise ValueError(f"{path}: has {len(rows)} rows, but its meta data says {nrow}")
    lengths = np.fromiter(map(len, rows), np.intp, count=nrow)
    bad = np.flatnonzero(lengths != ncol)
    if ncol == 1:
        # An empty line is a record with one empty field (how DAPHNE writes an empty string).
        for i in bad[lengths[bad] == 0]:
            rows[i] = [""]
        bad = bad[lengths[bad] != 0]
    if bad.size:
        i = bad[0]
        raise ValueError(f"{path}: row {i + 1} has {lengths[i]} fields, expected {ncol}")
    return np.array(rows, dtype=STRING_DTYPE).reshape(nrow, ncol)


def _parse(cells: np.ndarray, vt: str, path: str, col: int = 0) -> np.ndarray:
    """Convert string cells (a table, or the column ``col`` of one) to the value type ``vt``."""
    if vt == "str":
        return cells
    dtype = DTYPE_OF_VT[vt]
    try:
        with np.errstate(over="ignore"):  # "1e39" as f32 is inf, like C's strtof
            return cells.astype(dtype)
    except (ValueError, OverflowError) as err:
        # Rare path: find the first offending cell to name it.
        for index, cell in np.ndenumerate(cells):
            try:
                with np.errstate(over="ignore"):
                    np.array(cell, dtype=STRING_DTYPE).astype(dtype)
            except (ValueError, OverflowError):
                row, column = index[0] + 1, (index[1] if cells.ndim == 2 else col) + 1
                raise ValueError(
                    f"{path}: row {row}, column {column}: cannot parse {cell!r} as {vt}"
                ) from err
        raise
