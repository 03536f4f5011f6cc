"""The DaphneDSL front end: run ``.daphne`` scripts on the embedded engine.

``parse`` gives the syntax tree, ``compile_script`` the lowered IR (the same instructions
the Python API produces), ``run_script`` runs a script, ``explain`` prints its IR.
"""

from daphnelib.dsl.errors import CompileError, DaphneDSLError, ExecutionError, ParseError
from daphnelib.dsl.lowering import Lowered, lower_script, read_import_paths
from daphnelib.dsl.parser import parse
from daphnelib.dsl.runner import compile_script, execute, explain, run_script

__all__ = [
    "CompileError", "DaphneDSLError", "ExecutionError", "Lowered", "ParseError",
    "compile_script", "execute", "explain", "lower_script", "parse", "read_import_paths",
    "run_script",
]
