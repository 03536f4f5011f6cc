"""Tests for the rand/sample kernels.

The expected numbers below were produced with g++ 12.2 / libstdc++ (x86-64, -O2) by small
programs kept outside the repository:

* ``std::mt19937(seed)`` raw outputs, and ``std::uniform_real_distribution<double|float>`` /
  ``std::uniform_int_distribution<int64_t>`` draws with ``while (v == 0) v = d(gen);``;
* a C++ transcription of DAPHNE's dense ``RandMatrix`` kernel: ``mt19937 genVal(seed)``,
  ``genIndex(seed * 3)``; with ``sparsity >= 0.5`` every cell gets a non-zero value, then
  ``k = round((1-s) * numCols * numRows)`` cells are zeroed, else ``k = round(s * ...)`` cells get
  values; cell t is picked iff ``fmod(uniform_int_distribution<int>(0, n-1)(genIndex), n-t) <
  k - picked``;
* a transcription of DAPHNE's ``Sample`` kernel: draws from ``[0, nextafter(range, 0)]``; without
  replacement integers use the same selection over ``[0, range)`` then ``std::shuffle`` on the
  same engine, floats redraw values already taken.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib.engine.kernels.random import _Stream, rand, sample

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
F32 = np.float32


def c_round(x: float) -> int:
    """C's round() for x >= 0 (halves away from zero)."""
    whole = math.floor(x)
    return whole + (x - whole >= 0.5)


def expected_nnz(rows: int, cols: int, sparsity: float) -> int:
    if sparsity >= 0.5:
        return rows * cols - c_round((1 - sparsity) * cols * rows)
    return c_round(sparsity * cols * rows)


def checksum(a: np.ndarray) -> int:
    """sum(value * position) as an exact integer."""
    return sum(int(v) * i for i, v in enumerate(a.ravel()))


# --- the raw stream ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "words"),
    [
        (0, [2357136044, 2546248239, 3071714933, 3626093760, 2588848963]),
        (42, [1608637542, 3421126067, 4083286876, 787846414, 3143890026]),
        (4294967295, [419326371, 479346978, 3918654476, 2416749639, 3388880820]),
    ],
)
def test_stream_is_std_mt19937(seed: int, words: list[int]) -> None:
    assert _Stream(seed).peek(5).tolist() == words
    # std::mt19937 keeps the seed mod 2^32.
    assert _Stream(seed + 2**32).peek(5).tolist() == words


# --- dense rand: values ------------------------------------------------------------------------

DENSE_CASES = [
    # (rows, cols, min, max, seed), expected
    (
        (2, 3, 0.0, 1.0, 42),
        [
            [0.796542984287846, 0.18343478789336848, 0.7796909976126613],
            [0.5968501615800565, 0.44583275754843343, 0.09997492054384075],
        ],
    ),
    (
        (3, 2, -2.0, 2.0, 7),
        [
            [-1.0906437001411726, -0.7241110887565474],
            [1.9128915848568169, -0.17766036864047385],
            [-0.7679489311035821, -0.9445166368610265],
        ],
    ),
    (
        (2, 3, F32(-1), F32(1), 42),
        [
            [-0.25091975927352905, 0.5930860042572021, 0.9014285802841187],
            [-0.6331304311752319, 0.4639878273010254, 0.5593819618225098],
        ],
    ),
    (
        (1, 4, F32(0), F32(10), -7),
        [[0.5567710399627686, 6.510834217071533, 1.9630252122879028, 8.812750816345215]],
    ),
    # Tiny float ranges: about half of the draws are 0 and are redrawn from the same stream.
    ((1, 12, -5e-324, 5e-324, 3), [[-5e-324, 5e-324] + [-5e-324] * 7 + [5e-324] * 3]),
    (
        (1, 8, F32(-1e-45), F32(1e-45), 3),
        [[-1e-45, 1e-45, -1e-45, 1e-45, 1e-45, -1e-45, -1e-45, -1e-45]],
    ),
    # uniform_int_distribution<int64_t>: 0 inside the range (redrawn), plain and negative ranges.
    ((1, 6, -3, 3, 42), [[-1, 2, 3, -2, 2, 2]]),
    ((1, 6, -1, 1, 42), [[1, 1, -1, 1, 1, -1]]),
    ((1, 6, 1, 6, 42), [[3, 5, 6, 2, 5, 5]]),
    ((1, 6, -10, -5, 42), [[-8, -6, -5, -9, -6, -6]]),
    # 2^31+1 values: Lemire's method rejects almost half of the words.
    (
        (1, 6, 0, 2**31, 42),
        [[2041643438, 1571945013, 1285609310, 1281725962, 957418556, 306804147]],
    ),
    # Exactly 2^32 values: the raw words themselves.
    (
        (1, 6, 0, 2**32 - 1, 42),
        [[1608637542, 3421126067, 4083286876, 787846414, 3143890026, 3348747335]],
    ),
    # Wider than 32 bits: a bounded high word then a low word, with rejection.
    (
        (1, 6, 0, 2**32, 42),
        [[3421126067, 1914837113, 429389014, 1972458954, 242285876, 3344769]],
    ),
    (
        (1, 6, -(2**62), 2**62, 42),
        [
            [
                4157105778663462158,
                2139766406866654279,
                909963926019189780,
                -499604631153851950,
                -3293972237744062825,
                1391700525048989333,
            ]
        ],
    ),
    # The full int64 range.
    (
        (1, 6, I64_MIN, I64_MAX, 42),
        [
            [
                -2314326399425823309,
                8314211556539077902,
                4279532810384561223,
                1819927849474927636,
                -6345336139475183495,
                -6345780979313412906,
            ]
        ],
    ),
]


@pytest.mark.parametrize(("args", "expected"), DENSE_CASES)
def test_rand_dense_matches_libstdcxx(args: tuple, expected: list) -> None:
    rows, cols, lo, hi, seed = args
    got = rand(rows, cols, lo, hi, 1.0, seed)
    assert got.shape == (rows, cols)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, np.array(expected, dtype=got.dtype), strict=True)


def test_rand_large_dense_matches_libstdcxx() -> None:
    got = rand(1000, 1000, 0.0, 1.0, 1.0, 42)
    assert got[0, :3].tolist() == [0.796542984287846, 0.18343478789336848, 0.7796909976126613]
    assert got[-1, -3:].tolist() == [0.569044328624865, 0.1312858942962883, 0.3853954558562135]
    assert math.fsum(got.ravel()).hex() == "0x1.e855b5e3ee686p+18"


# --- rand with sparsity ------------------------------------------------------------------------

SPARSE_CASES = [
    # (rows, cols, min, max, sparsity, seed), expected
    (
        (4, 5, 1, 9, 0.3, 3),
        [[5, 0, 0, 0, 0], [1, 7, 0, 8, 3], [0, 0, 2, 0, 0], [0, 0, 0, 0, 0]],
    ),
    (
        (3, 4, 0.0, 1.0, 0.75, 11),
        [
            [0.0, 0.6647203180518643, 0.19411562184412465, 0.9262829601589903],
            [0.1051751541486484, 0.22571272228039502, 0.8963407492294863, 0.0],
            [0.0928124892389883, 0.0, 0.7137619337835266, 0.5178985300261378],
        ],
    ),
    ((3, 4, -5, 5, 0.5, 7), [[0, -3, 0, -2], [0, 0, 0, 5], [-2, -3, 0, -5]]),
    (
        (2, 5, F32(1), F32(2), 0.2, 2**40 + 3),
        [[1.550797939300537, 0, 0, 0, 0], [1.0707248449325562, 0, 0, 0, 0]],
    ),
    # seed*3 overflows int64 in C++ and wraps; only its value mod 2^32 matters.
    ((2, 3, 1, 9, 0.9, 2**62 + 1), [[4, 0, 7], [9, 1, 2]]),
]


@pytest.mark.parametrize(("args", "expected"), SPARSE_CASES)
def test_rand_sparse_matches_daphne(args: tuple, expected: list) -> None:
    got = rand(*args)
    np.testing.assert_array_equal(got, np.array(expected, dtype=got.dtype), strict=True)


def test_rand_large_sparse_matches_daphne() -> None:
    got = rand(200, 300, -1.0, 1.0, 0.37, 5)
    assert np.count_nonzero(got == 0) == 37800
    assert np.flatnonzero(got)[:5].tolist() == [2, 4, 5, 6, 8]
    assert math.fsum(got.ravel()).hex() == "0x1.5285870d0d7f1p+6"


@pytest.mark.parametrize(
    ("rows", "cols", "sparsity", "nnz"),
    [
        (10, 10, 1.0, 100),
        (10, 10, 0.0, 0),
        (10, 10, 0.3, 30),
        (10, 10, 0.5, 50),
        (7, 3, 0.25, 5),
        (1, 10, 0.75, 7),  # 2.5 zeros round away from zero (Python's round would give 2)
        (1, 10, 0.25, 3),  # 2.5 non-zeros likewise
        (333, 77, 0.01, 256),
        (333, 77, 0.999, 25615),
    ],
)
def test_rand_exact_number_of_zeros(rows: int, cols: int, sparsity: float, nnz: int) -> None:
    for lo, hi in ((-3, 3), (-1.0, 1.0), (F32(0.5), F32(2))):
        got = rand(rows, cols, lo, hi, sparsity, 17)
        assert np.count_nonzero(got) == nnz == expected_nnz(rows, cols, sparsity)


# --- rand: types, determinism, edge cases, errors ----------------------------------------------


@pytest.mark.parametrize(
    ("lo", "hi", "dtype"),
    [
        (1, 5, np.int64),
        (np.int32(1), np.int32(5), np.int64),
        (np.uint8(1), 5, np.int64),
        (0.0, 1.0, np.float64),
        (np.float64(0), np.float64(1), np.float64),
        (F32(0), F32(1), np.float32),
        (F32(0), 1.0, np.float64),
        (0, 1.0, np.float64),
    ],
)
def test_rand_dtype(lo: object, hi: object, dtype: type) -> None:
    got = rand(3, 4, lo, hi, 1.0, 1)
    assert got.dtype == dtype
    assert got.shape == (3, 4)
    assert got.flags.c_contiguous


def test_rand_is_deterministic_per_seed() -> None:
    a = rand(20, 30, -1.0, 1.0, 0.6, 123)
    np.testing.assert_array_equal(a, rand(20, 30, -1.0, 1.0, 0.6, 123))
    assert not np.array_equal(a, rand(20, 30, -1.0, 1.0, 0.6, 124))


def test_rand_random_seed() -> None:
    a = rand(50, 50, 1, 10**9, 1.0, -1)
    b = rand(50, 50, 1, 10**9, 1.0, -1)
    assert not np.array_equal(a, b)
    assert a.min() >= 1 and a.max() <= 10**9


def test_rand_single_value_and_empty() -> None:
    np.testing.assert_array_equal(rand(2, 3, 7, 7, 1.0, 0), np.full((2, 3), 7))
    np.testing.assert_array_equal(rand(2, 3, -2.5, -2.5, 1.0, 0), np.full((2, 3), -2.5))
    assert rand(0, 4, 0.0, 1.0, 1.0, 0).shape == (0, 4)
    assert rand(3, 0, 1, 2, 0.5, 0).shape == (3, 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 2, 0.0, 1.0, 1.0, 0), "numRows and numCols"),
        ((2, -3, 0.0, 1.0, 1.0, 0), "numRows and numCols"),
        ((2, 2, 1.0, 0.0, 1.0, 0), "min must be <= max"),
        ((2, 2, 5, -5, 1.0, 0), "min must be <= max"),
        ((2, 2, 0, 0, 1.0, 0), "both be zero"),
        ((2, 2, 0.0, -0.0, 0.0, 0), "both be zero"),
        ((2, 2, 0.0, 1.0, -0.1, 0), "sparsity"),
        ((2, 2, 0.0, 1.0, 1.5, 0), "sparsity"),
        ((2, 2, 0.0, 1.0, float("nan"), 0), "sparsity"),
        ((2, 2, 0, 2**63, 1.0, 0), "si64"),
    ],
)
def test_rand_bad_input(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rand(*args)


# --- sample ------------------------------------------------------------------------------------

SAMPLE_CASES = [
    # (range, size, withReplacement, seed), expected
    ((10, 8, True, 5), [2, 0, 8, 8, 2, 3, 9, 9]),
    ((2**40, 4, True, 1), [459549409515, 794279285832, 550290313, 335003328133]),
    ((10, 10, False, 3), [6, 8, 7, 5, 3, 2, 4, 0, 9, 1]),
    ((9, 9, False, 123), [1, 3, 2, 4, 6, 0, 5, 8, 7]),
    ((100, 5, False, 42), [27, 68, 14, 35, 20]),
    ((1000, 9, False, 0), [484, 569, 441, 638, 845, 694, 800, 547, 198]),
    (
        (2.5, 4, True, 1),
        [2.4929620205756633, 2.3313934034204133, 0.32031111943076496, 2.4976012886631835],
    ),
    (
        (F32(2.5), 4, True, 1),
        [1.0425549745559692, 2.492962121963501, 1.8008112907409668, 2.331393241882324],
    ),
    (
        (1.0, 5, False, 8),
        [
            0.01111443826775751,
            0.23943957173464367,
            0.3775169762943858,
            0.8164612845356705,
            0.4223508087994363,
        ],
    ),
]


@pytest.mark.parametrize(("args", "expected"), SAMPLE_CASES)
def test_sample_matches_daphne(args: tuple, expected: list) -> None:
    got = sample(*args)
    assert got.shape == (args[1], 1)
    np.testing.assert_array_equal(got.ravel(), np.array(expected, dtype=got.dtype), strict=True)


@pytest.mark.parametrize(
    ("range_", "size", "head", "tail", "total"),
    [
        # std::shuffle draws two swap positions at once for sizes up to 65535...
        (5000, 4000, [3605, 1290, 4031, 323], [1650, 3214, 3167, 2146], 19367030834),
        # ...and one per step above.
        (70000, 65536, [41781, 61224, 38746, 29672], [63385, 23765, 19753, 51536], 74755590580866),
    ],
)
def test_sample_without_replacement_large(
    range_: int, size: int, head: list[int], tail: list[int], total: int
) -> None:
    got = sample(range_, size, False, 9).ravel()
    assert got[:4].tolist() == head
    assert got[-4:].tolist() == tail
    assert checksum(got) == total
    assert len(np.unique(got)) == size


def test_sample_types_and_determinism() -> None:
    assert sample(10, 3, True, 1).dtype == np.int64
    assert sample(10.0, 3, True, 1).dtype == np.float64
    assert sample(F32(10), 3, False, 1).dtype == np.float32
    np.testing.assert_array_equal(sample(50, 20, False, 4), sample(50, 20, False, 4))
    assert sample(5, 0, False, 1).shape == (0, 1)
    np.testing.assert_array_equal(np.sort(sample(1000, 1000, False, -1).ravel()), np.arange(1000))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 3, True, 1), "range must be > 0"),
        ((-5, 3, True, 1), "range must be > 0"),
        ((0.0, 3, True, 1), "range must be > 0"),
        ((float("nan"), 3, True, 1), "range must be > 0"),
        ((10, -1, True, 1), "size must be >= 0"),
        ((10, 11, False, 1), "must be <= range"),
        ((F32(1e-45), 3, False, 1), "distinct"),
    ],
)
def test_sample_bad_input(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample(*args)


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(0, 30),
    cols=st.integers(0, 30),
    lo=st.integers(-(2**63), 2**63 - 1),
    width=st.integers(0, 2**64),
    sparsity=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**40),
)
def test_rand_int_properties(
    rows: int, cols: int, lo: int, width: int, sparsity: float, seed: int
) -> None:
    hi = min(lo + width, I64_MAX)
    if lo == hi == 0:
        hi = 1
    got = rand(rows, cols, lo, hi, sparsity, seed)
    assert got.dtype == np.int64 and got.shape == (rows, cols)
    assert np.count_nonzero(got) == expected_nnz(rows, cols, sparsity)
    nonzero = got[got != 0]
    assert np.all((lo <= nonzero) & (nonzero <= hi))
    np.testing.assert_array_equal(got, rand(rows, cols, lo, hi, sparsity, seed))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 30),
    cols=st.integers(1, 30),
    lo=st.floats(-1e6, 1e6),
    width=st.floats(0.0, 1e6),
    sparsity=st.floats(0.0, 1.0),
    single=st.booleans(),
    seed=st.integers(-(2**40), 2**40),
)
def test_rand_float_properties(
    rows: int, cols: int, lo: float, width: float, sparsity: float, single: bool, seed: int
) -> None:
    t = np.float32 if single else np.float64
    lo_t, hi_t = t(lo), t(lo + width)
    if lo_t == hi_t == 0:
        hi_t = t(1)
    got = rand(rows, cols, lo_t, hi_t, sparsity, seed)
    assert got.dtype == t
    assert np.count_nonzero(got) == expected_nnz(rows, cols, sparsity)
    nonzero = got[got != 0]
    # c*(max-min)+min may round up to max (or, with max-min rounded up, one ulp past it).
    assert np.all((lo_t <= nonzero) & (nonzero <= np.nextafter(hi_t, t(np.inf))))


@settings(max_examples=60, deadline=None)
@given(
    range_=st.integers(1, 5000),
    data=st.data(),
    with_replacement=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_sample_properties(
    range_: int, data: st.DataObject, with_replacement: bool, seed: int
) -> None:
    size = data.draw(st.integers(0, range_ if not with_replacement else 3 * range_))
    got = sample(range_, size, with_replacement, seed)
    assert got.shape == (size, 1) and got.dtype == np.int64
    assert np.all((got >= 0) & (got < range_))
    if not with_replacement:
        assert len(np.unique(got)) == size
