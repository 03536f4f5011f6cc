"""The backend seam: the one interface between the lazy nodes and whatever runs a program."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from daphnelib.engine.program import Program


class Backend(abc.ABC):
    """Runs lowered programs for one DaphneContext."""

    name: ClassVar[str]

    @abc.abstractmethod
    def execute(self, program: Program, *, verbose: bool = False) -> Any:
        """Run ``program`` (``engine/program.py``) and return the engine value of its last
        instruction: a 2-D numpy array (Matrix), an ``engine.values.FrameValue`` (Frame), a
        numpy/Python scalar (Scalar) or None (print/write/registerView)."""

    def close(self) -> None:  # noqa: B027 - a no-op default: most backends hold nothing
        """Release what the backend holds (temporary directories, clients); idempotent."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
