"""Where daphnelib's diagnostics go: the ``daphnelib`` logger, warnings at the user's line.

Imports nothing from the package, so every layer may use it. ``user_frame`` is also how a
node records the line of user code that built it (``OperationNode.__init__``).
"""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

_logger: logging.Logger | None = None


def logger() -> logging.Logger:
    """The ``daphnelib`` logger (``logging`` is imported with the first diagnostic: it costs
    a few ms of every cold start otherwise)."""
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger("daphnelib")
        _logger.addHandler(logging.NullHandler())
    return _logger


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_frame(depth: int = 2) -> FrameType | None:
    """The innermost frame, from ``depth`` frames above this call, that is not daphnelib's."""
    try:
        frame: FrameType | None = sys._getframe(depth)
    except ValueError:  # the stack is shallower than depth
        return None
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


def note(verbose: bool, message: str) -> None:
    """A diagnostic such as "copying array once": always logged (INFO) to ``daphnelib``, and
    printed on stdout with ``verbose=True``, where DaphneLib prints its own."""
    logger().info("%s", message)
    if verbose:
        sys.stdout.write(f"daphnelib: {message}\n")


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` attributed to the first line of user code on the stack."""
    level = 2
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
