from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

def install(
    *,
    infer: Callable[..., tuple[int | None, int | None, str | None]],
    tree_of: Callable[..., Any],
    most_general: Callable[[str, str], str],
    tokens: Iterator[int],
    data_key: Any,
    max_nodes: int,
    package_dir: str,
    vt_of_num: dict[int, str],
    matrix_kind: Any,
    elementwise: Iterable[str],
    shape_keeping: Iterable[str],
    type_keeping: Iterable[str],
    aggregates: Iterable[str],
) -> None: ...

class NodeCore:
    daphne_context: Any
    _op: str
    _args: tuple[Any, ...]
    _local_data: Any
    _program: Any
    _consumers: Any
    _deleted: bool
    _tensor_shape: tuple[int, ...] | None
    _origins: tuple[Any, ...]
    _type: tuple[int | None, int | None, str | None]
    _tree: Any
    def __init__(
        self,
        daphne_context: Any,
        operation: str,
        unnamed_input_nodes: tuple[Any, ...] | list[Any] | None = None,
        named_input_nodes: dict[str, Any] | None = None,
        local_data: Any = None,
    ) -> None: ...
    @property
    def _origin(self) -> tuple[str, str, int] | None: ...
    def _add_consumer(self, node: NodeCore) -> None: ...
    def _check_alive(self) -> None: ...
    def __getstate__(self) -> tuple[None, dict[str, Any]]: ...
    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None: ...

def input_matrix(cls: type[Any], daphne_context: Any, arr: np.ndarray | object) -> Any: ...
def install_elementwise(generic: Callable[[str, Any, Any], Any],
                        classes: Callable[[], tuple[type[Any], type[Any]]]) -> None: ...
def binary(op: str, lhs: Any, rhs: Any) -> Any: ...
