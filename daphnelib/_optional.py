"""The one way daphnelib imports an optional dependency (anything but numpy and pandas).

The extra named in the message is checked against ``pyproject.toml`` by
``tests/test_errors.py``: every call site names an extra that really installs the module.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def import_optional(module: str, extra: str, what: str | None = None) -> ModuleType:
    """Import ``module``, or raise an ImportError that names the extra to install.

    ``what`` is the feature that needs it (for the message); ``module`` may be a submodule
    (``"pyarrow.compute"``).
    """
    loaded = sys.modules.get(module)
    if loaded is not None:
        return loaded
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.partition(".")[0]
        raise ImportError(
            f"{what or top} needs the optional dependency {top!r}, which is not installed: "
            f"pip install daphnelib[{extra}]"
        ) from exc
