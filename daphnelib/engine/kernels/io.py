"""Kernels for data entering and leaving the engine: Python buffers, files, print."""

from __future__ import annotations

import numpy as np

from daphnelib.engine.printing import print_value
from daphnelib.engine.registry import kernel
from daphnelib.engine.values import FrameValue


@kernel("receiveFromNumpy", "receiveFrame")
def receive(value: np.ndarray | FrameValue) -> np.ndarray | FrameValue:
    # Ingress already made a read-only engine view; the op passes it through.
    return value


@kernel("readMatrix")
def read_matrix(filename: str) -> np.ndarray:
    from daphnelib.engine import fileio  # csv/json: only pipelines with files pay for them

    return fileio.read_matrix(filename)


@kernel("readFrame")
def read_frame(filename: str, logical: tuple | None = None) -> FrameValue:
    # ``logical``: per-column records the file format cannot hold (from_pandas' files path).
    from daphnelib.engine import fileio

    frame = fileio.read_frame(filename)
    if logical is not None:
        if len(logical) != frame.ncol:
            raise ValueError(f"{filename}: has {frame.ncol} columns, expected {len(logical)}")
        frame.logical = list(logical)
    return frame


@kernel("writeMatrix", "writeFrame", "write")
def write(arg: np.ndarray | FrameValue, filename: str) -> None:
    import os

    from daphnelib.engine import fileio

    # DAPHNE picks the writer by the file extension, and fails before writing anything when
    # it has none for it; our one writer is CSV's.
    ext = os.path.splitext(str(filename))[1]
    if ext != ".csv":
        found = f"the extension {ext!r}" if ext else "no extension"
        raise ValueError(f"cannot write {str(filename)!r}: the file has {found}; daphnelib "
                         "writes matrices and frames as .csv (with a .meta file)")
    if isinstance(arg, FrameValue):
        fileio.write_frame(arg, filename)
    else:
        fileio.write_matrix(arg, filename)


@kernel("print")
def print_(arg: object, newline: bool = True, err: bool = False) -> None:
    print_value(arg, newline=newline, err=err)
