import numpy as np

def strings_from_arrow(
    offsets: np.ndarray, data: np.ndarray, validity: np.ndarray | None = ...,
    bit_offset: int = ...,
) -> np.ndarray: ...
def strings_to_arrow(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
