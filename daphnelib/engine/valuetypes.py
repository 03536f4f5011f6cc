"""DAPHNE value types: names, wire codes, C++ print names, numpy dtypes and promotion.

A value type (VT) is identified by its DaphneDSL name (``"f64"``, ``"si64"``, ...).
Engine buffers are numpy arrays; their dtype determines the VT (see :func:`vt_of`).
Strings use numpy's variable-width ``StringDType``.
"""

from __future__ import annotations

import numpy as np

STRING_DTYPE = np.dtypes.StringDType()
# DAPHNE's index type (results of nrow/ncol/idxMax, positions) is a uint64 that ranks below
# si64 in promotion; the dtype metadata and the scalar subclass keep that distinction.
SIZE_DTYPE = np.dtype(np.uint64, metadata={"vt": "size"})


class SizeScalar(np.uint64):
    """A scalar of DAPHNE's index type (prints as uint64_t, promotes below si64)."""

# ValueTypeCode of DAPHNE's C ABI (spec §1.12 / §2.1). bool has no code there.
SI8, SI32, SI64, UI8, UI32, UI64, F32, F64, STR, FIXEDSTR16, INVALID = range(11)

# Least to most general (spec §2.1); "size" is DAPHNE's index type, held as uint64.
GENERALITY = ("bool", "si8", "ui8", "si32", "ui32", "size", "si64", "ui64", "f32", "f64", "str")
_RANK = {vt: i for i, vt in enumerate(GENERALITY)}

DTYPE_OF_VT: dict[str, np.dtype] = {
    "bool": np.dtype(np.bool_),
    "si8": np.dtype(np.int8),
    "ui8": np.dtype(np.uint8),
    "si32": np.dtype(np.int32),
    "ui32": np.dtype(np.uint32),
    "size": SIZE_DTYPE,
    "si64": np.dtype(np.int64),
    "ui64": np.dtype(np.uint64),
    "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64),
    "str": STRING_DTYPE,
}

_VT_OF_CHAR = {
    "?": "bool", "b": "si8", "B": "ui8", "i": "si32", "I": "ui32",
    "l": "si64", "q": "si64", "L": "ui64", "Q": "ui64", "f": "f32", "d": "f64",
}

CPP_NAME = {
    "bool": "bool", "si8": "int8_t", "ui8": "uint8_t", "si32": "int32_t", "ui32": "uint32_t",
    "size": "uint64_t", "si64": "int64_t", "ui64": "uint64_t", "f32": "float", "f64": "double",
    "str": "std::string",
}

CODE_OF_VT = {
    "si8": SI8, "si32": SI32, "si64": SI64, "ui8": UI8, "ui32": UI32, "ui64": UI64,
    "size": UI64, "f32": F32, "f64": F64, "str": STR,
}
VT_OF_CODE = {code: vt for vt, code in CODE_OF_VT.items() if vt != "size"}

# The one held-dtype table. Dtypes DAPHNE has a value type for are held as they are (in
# native byte order): the characters of _VT_OF_CHAR. Dtypes it lacks travel in a wider
# *carrier* dtype (converted once on ingress); bfloat16 only arrives from tensors.
CARRIER: dict[str, np.dtype] = {
    "int16": np.dtype(np.int32),
    "uint16": np.dtype(np.uint32),
    "float16": np.dtype(np.float32),
    "bfloat16": np.dtype(np.float32),
}
WIDENED = {np.dtype(name): dt for name, dt in CARRIER.items() if name != "bfloat16"}
# The dtype-metadata key of the tag on a carrier: the dtype the values came in.
LOGICAL_KEY = "logical"


def carrier_dtype(logical: str) -> np.dtype:
    """The engine dtype, tagged with ``logical``, that values of dtype ``logical`` travel in."""
    return np.dtype(CARRIER[logical], metadata={LOGICAL_KEY: logical})


def held_dtype(dtype: np.dtype) -> np.dtype | None:
    """The engine dtype values of numpy ``dtype`` are held in, or None when DAPHNE cannot
    hold them: the dtype itself (native byte order), its carrier, or StringDType for text."""
    if dtype.char in _VT_OF_CHAR:
        return dtype if dtype.isnative else dtype.newbyteorder("=")
    if dtype.kind in "UST":
        return STRING_DTYPE
    if dtype.kind in "iuf":
        return WIDENED.get(dtype.newbyteorder("="))
    return None


def vt_of_dtype(dtype: np.dtype) -> str:
    """The VT of an engine dtype; raises TypeError for dtypes the engine does not hold."""
    vt = _VT_OF_CHAR.get(dtype.char)
    if vt is not None:
        if dtype.metadata is not None and vt == "ui64":
            return dtype.metadata.get("vt", vt)
        return vt
    if dtype.kind in "TUSO":
        return "str"
    raise TypeError(f"unsupported value type: numpy dtype {dtype} has no DAPHNE value type")


def vt_of(value: object) -> str:
    """The VT of an engine value: an ndarray, a numpy scalar, or a Python literal."""
    if isinstance(value, SizeScalar):
        return "size"
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        return vt_of_dtype(dtype)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "si64"
    if isinstance(value, float):
        return "f64"
    if isinstance(value, str):
        return "str"
    raise TypeError(f"unsupported value: {type(value).__name__} has no DAPHNE value type")


def most_general(*vts: str) -> str:
    """DAPHNE's result VT of arithmetic over operands of these VTs."""
    return max(vts, key=_RANK.__getitem__)


def is_float(vt: str) -> bool:
    return vt in ("f32", "f64")


def is_integral(vt: str) -> bool:
    return vt not in ("f32", "f64", "str")
