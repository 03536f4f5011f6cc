from collections.abc import Sequence

import numpy as np

from daphnelib._native.buffers import Result

STR_CODE: int

class StringResultError(TypeError): ...

def result_message(get_result: int) -> str: ...
def foreign_result(
    get_result: int,
    *,
    inputs: Sequence[tuple[np.ndarray, int]] = ...,
    keep: object = ...,
    copy: bool = ...,
) -> Result: ...
