"""DAPHNE's user configuration file (``--config=FILE``): the keys DAPHNE knows and the JSON
type of each value.

DAPHNE refuses a configuration with an unknown key, a value of the wrong type or an unknown
enum value, and exits with status 1 before reading the script; so do we. Of its settings
only ``daphnedsl_import_paths`` has an effect here (the others steer DAPHNE's compiler and
scheduler), but every one is checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

SCHEDULING_SCHEMES = frozenset((
    "STATIC", "SS", "GSS", "TSS", "FAC2", "TFSS", "FISS", "VISS", "PLS", "MSTATIC", "MFSC",
    "PSS"))


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_number(v: Any) -> bool:  # DAPHNE's JSON reader converts any number (or bool) to int
    return isinstance(v, (bool, int, float))


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _list_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, list) and all(check(x) for x in v)


def _is_import_paths(v: Any) -> bool:
    return isinstance(v, dict) and all(_list_of(_is_str)(x) for x in v.values())


def _is_scheme(v: Any) -> bool:
    return v in SCHEDULING_SCHEMES if isinstance(v, str) else False


_BOOL_KEYS = (
    "use_cuda use_vectorized_exec use_obj_ref_mgnt use_ipa_const_propa use_phy_op_selection "
    "use_mlir_codegen matmul_tile matmul_use_fixed_tile_sizes matmul_invert_loops "
    "cuda_fuse_any vectorized_single_queue debug_llvm explain_kernels explain_llvm "
    "explain_parsing explain_parsing_simplified explain_property_inference "
    "explain_select_matrix_repr explain_sql explain_phy_op_selection explain_type_adaptation "
    "explain_vectorized explain_obj_ref_mgnt explain_mlir_codegen").split()
_INT_KEYS = ("numberOfThreads minimumTaskSize matmul_vec_size_bits matmul_unroll_factor "
             "matmul_unroll_jam_factor matmul_num_vec_registers").split()

# key -> (check of the value, what the value must be)
SCHEMA: Mapping[str, tuple[Callable[[Any], bool], str]] = {
    **{k: (_is_bool, "true or false") for k in _BOOL_KEYS},
    **{k: (_is_number, "a number") for k in _INT_KEYS},
    "matmul_fixed_tile_sizes": (_list_of(_is_number), "a list of numbers"),
    "cuda_devices": (_list_of(_is_number), "a list of numbers"),
    "libdir": (_is_str, "a string"),
    "library_paths": (_list_of(_is_str), "a list of strings"),
    "daphnedsl_import_paths": (_is_import_paths,
                               "an object mapping a name to a list of directories"),
    "logging": (lambda v: isinstance(v, (list, dict)), "a list of logger settings"),
    "taskPartitioningScheme": (_is_scheme, "one of " + ", ".join(sorted(SCHEDULING_SCHEMES))),
}


def check_user_config(config: Any, filename: str) -> None:
    """Raise ValueError naming the first problem of a parsed configuration, as DAPHNE does."""
    if not isinstance(config, dict):
        raise ValueError(f"the configuration must be a JSON object, got "
                         f"{type(config).__name__}")
    for key, value in config.items():
        if key not in SCHEMA:
            hint = difflib.get_close_matches(key, SCHEMA, n=1)
            raise ValueError(f"unexpected key {key!r} in {filename!r}"
                             + (f"; did you mean {hint[0]!r}?" if hint else ""))
        check, wanted = SCHEMA[key]
        if not check(value):
            raise ValueError(f"{key!r} in {filename!r} must be {wanted}, got {value!r}")
