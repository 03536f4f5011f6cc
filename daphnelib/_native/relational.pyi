from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

class JoinKind(IntEnum):
    INNER = 0
    LEFT = 1
    FULL = 2
    SEMI = 3
    ANTI = 4

# ``valid``: a uint8/bool mask of rows whose key (or value) is not null, or None for all.
def join_positions(
    lkeys: npt.NDArray[np.int64],
    rkeys: npt.NDArray[np.int64],
    lvalid: npt.NDArray[Any] | None,
    rvalid: npt.NDArray[Any] | None,
    how: JoinKind | int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None]: ...
def group_codes(
    keys: npt.NDArray[np.int64], valid: npt.NDArray[Any] | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def group_sum(
    values: npt.NDArray[Any],
    codes: npt.NDArray[np.int64],
    ngroups: int,
    valid: npt.NDArray[Any] | None,
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]: ...
def group_minmax(
    values: npt.NDArray[Any],
    codes: npt.NDArray[np.int64],
    ngroups: int,
    valid: npt.NDArray[Any] | None,
    want_max: bool,
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]: ...
def group_count(
    codes: npt.NDArray[np.int64], ngroups: int, valid: npt.NDArray[Any] | None
) -> npt.NDArray[np.int64]: ...
