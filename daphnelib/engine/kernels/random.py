"""Seeded random data: DaphneDSL's ``rand`` and ``sample``, bit-exact with DAPHNE's dense kernels.

DAPHNE draws from ``std::mt19937`` through libstdc++'s distributions. numpy's legacy
``RandomState`` yields the same raw 32-bit stream for a seed reduced mod 2^32, so we draw raw
words in bulk and apply libstdc++'s transformations with numpy: ``generate_canonical`` for reals,
Lemire's multiply-and-reject for bounded integers (with the high/low split for ranges wider than
32 bits), and DAPHNE's redraw of zeros. Every rejection is resolved so that the words are consumed
in exactly the order the C++ loops consume them.

Kernel semantics (DAPHNE's dense ``RandMatrix`` and ``Sample``):

* ``rand``: with ``sparsity >= 0.5`` every cell first gets a non-zero value, then
  ``round((1-s)*n)`` cells are zeroed; otherwise ``round(s*n)`` cells get values and the rest
  stay 0. The cells are picked by selection sampling over the row-major index with a second
  engine seeded ``seed*3``: cell ``t`` is taken iff ``fmod(d, n-t) < k - taken`` where ``d`` is
  ``uniform_int_distribution<int>(0, n-1)``, stopping once ``k`` cells are taken.
* ``sample``: draws from ``[0, nextafter(range, 0)]``; without replacement, integers use the same
  selection sampling over ``[0, range)`` followed by ``std::shuffle`` on the same engine, floats
  redraw values seen before.
"""

import numpy as np

from daphnelib.engine.kernels.cast import check_allocatable
from daphnelib.engine.values import CSRMatrix
from daphnelib.engine.valuetypes import DTYPE_OF_VT, is_float, most_general, vt_of

Number = int | float | np.number

_U32 = 1 << 32
_LOW32 = np.uint64(_U32 - 1)
# Upper bound on words read at once, so huge matrices are generated block by block.
_BLOCK = 1 << 21
# DAPHNE's integer sampling without replacement scans the whole population once; up to this
# population (or 4x the sample size) we scan too and match it bit for bit. Beyond, the scan
# would take seconds to forever (range 2^63-1): the first distinct draws of the same stream
# are taken instead, in time proportional to the sample size (docs/compatibility.md).
_EXACT_SCAN = 1 << 22


class _Stream:
    """The raw 32-bit outputs of ``std::mt19937(seed)``, read ahead and consumed exactly."""

    def __init__(self, seed: int) -> None:
        # std::mt19937's seed() keeps the seed mod 2^32, as RandomState's integer seeding does.
        self._rs = np.random.RandomState(seed % _U32)
        self._buf = np.empty(0, np.uint32)
        self._pos = 0

    def peek(self, n: int) -> np.ndarray:
        """The next n words, without consuming them."""
        have = len(self._buf) - self._pos
        if have < n:
            # Reading ahead keeps small peeks (one per rejection in _bounded_each) cheap.
            fresh = self._rs.randint(0, _U32, size=max(n - have, 1 << 14), dtype=np.uint32)
            self._buf = np.concatenate((self._buf[self._pos :], fresh)) if have else fresh
            self._pos = 0
        return self._buf[self._pos : self._pos + n]

    def advance(self, n: int) -> None:
        self._pos += n


def _lemire(words: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """libstdc++'s one-word draw from [0, top] (top < 2^32): the value each word gives and
    whether it is accepted (Lemire's method rejects low products below 2^32 mod range)."""
    if top == _U32 - 1:
        return words, np.ones(len(words), bool)
    r = np.uint64(top + 1)
    prod = words * r
    return prod >> np.uint64(32), (prod & _LOW32) >= (np.uint64(_U32) - r) % r


class _Real:
    """``uniform_real_distribution<T>(a, b)``: generate_canonical from two words for double,
    one for float, then ``c*(b-a)+a`` in T."""

    def __init__(self, a: float, b: float, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.width = 2 if dtype == np.float64 else 1
        self.words = float(self.width)
        t = dtype.type
        with np.errstate(over="ignore"):  # b-a may overflow to inf, as in C++
            self._span = t(b) - t(a)
        self._a = t(a)
        self._below_one = np.nextafter(t(1), t(0))

    def parse(self, raw: np.ndarray) -> tuple[np.ndarray, None, int]:
        """Values of the calls complete in raw, None for "call i ends at word width*(i+1)",
        and the words used."""
        n = len(raw) // self.width
        if self.width == 2:
            # sum = x0 + x1*2^32 rounded to double, divided by 2^64.
            c = raw[1 : 2 * n : 2] * float(_U32)
            c += raw[0 : 2 * n : 2]
            c *= 2.0**-64
        else:
            # uint32 -> float64 is exact, so the cast to float32 rounds once, like the C++ cast.
            c = raw[:n].astype(np.float64).astype(np.float32)
            c *= np.float32(2.0**-32)
        # generate_canonical clamps a sum that rounded up to 1 to the largest value below 1.
        np.minimum(c, self._below_one, out=c)
        with np.errstate(invalid="ignore"):  # inf bounds give nan, as in C++
            c *= self._span
            c += self._a
        return c, None, self.width * n


class _Int:
    """``uniform_int_distribution<int64_t>(a, b)`` over a 32-bit engine (libstdc++)."""

    def __init__(self, a: int, b: int) -> None:
        self.dtype = np.dtype(np.int64)
        self.width = 1
        self._offset = np.uint64(a % (1 << 64))
        self._span = b - a
        if self._span < _U32:
            self.words = 1.0 / (1.0 - ((_U32 - self._span - 1) % (self._span + 1)) / _U32)
        else:
            high = (self._span >> 32) + 1
            accept_high = 1.0 - ((_U32 - high) % high) / _U32
            self.words = (1.0 / accept_high + 1.0) * high * _U32 / (self._span + 1)

    def parse(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, int]:
        """Values of the calls complete in raw, the word offset after each (None: call i ends at
        word i+1), and the words used."""
        words = raw.astype(np.uint64)
        used = len(words)
        ends = None
        if self._span < _U32:
            vals, ok = _lemire(words, self._span)
            if not ok.all():
                ends = np.flatnonzero(ok) + 1
                vals = vals[ok]
        else:
            # Wider than 32 bits: a bounded high word in [0, span >> 32], then a raw low word;
            # results above span (or wrapping) restart with a new high word.
            high, ok = _lemire(words, self._span >> 32)
            # The parser expects a high word at index 0 and after every rejected word, and
            # alternates high/low through runs of accepted words.
            pos = np.arange(len(words))
            restart = np.ones(len(words), bool)
            restart[1:] = ~ok[:-1]
            run_start = np.maximum.accumulate(np.where(restart, pos, 0))
            starts = np.flatnonzero(ok & ((pos - run_start) % 2 == 0))
            if len(starts) and starts[-1] == used - 1:  # its low word is not read yet
                starts, used = starts[:-1], used - 1
            base = high[starts] << np.uint64(32)
            full = base + words[starts + 1]
            good = (full <= self._span) & (full >= base)
            vals, ends = full[good], starts[good] + 2
        return (vals + self._offset).view(np.int64), ends, used


_Dist = _Real | _Int


def _end(dist: _Dist, ends: np.ndarray | None, i: int) -> int:
    """The word offset just after call i of a parse."""
    return dist.width * (i + 1) if ends is None else int(ends[i])


def _draw(stream: _Stream, dist: _Dist, count: int, nonzero: bool) -> np.ndarray:
    """The next count results of dist (redrawing zeros if asked), consuming exactly their words."""
    if count == 0:
        return np.empty(0, dist.dtype)
    parts = []
    while count > 0:
        raw = stream.peek(min(_BLOCK, int(count * dist.words * 1.02) + 64))
        vals, ends, used = dist.parse(raw)
        if nonzero:
            zero = vals == 0
            if zero.any():
                kept = np.flatnonzero(~zero)
                vals = vals[kept]
                ends = dist.width * (kept + 1) if ends is None else ends[kept]
        if len(vals) >= count:
            parts.append(vals[:count])
            stream.advance(_end(dist, ends, count - 1))
            break
        parts.append(vals)
        count -= len(vals)
        stream.advance(used)
    return parts[0] if len(parts) == 1 else np.concatenate(parts, dtype=dist.dtype)


def _settle(cap: np.ndarray, taken: int) -> np.ndarray:
    """Solve ``pick[t] = (taken + pick[:t].sum() <= cap[t])`` without a per-element loop.

    The count before cell t lies in [taken, taken + t], which decides most cells at once. The
    undecided ones form the same problem again, with caps lowered by the decided picks before
    them; the first of them is always decided next, so each level shrinks, and in practice
    only a few levels of geometrically fewer cells remain.
    """
    pick = np.empty(len(cap), bool)
    cells = np.arange(len(cap))
    cap = cap - taken  # from here on: picks among `cells` before i must be <= cap[i]
    while len(cells):
        sure = np.arange(len(cells)) <= cap
        pick[cells] = sure
        undecided = np.flatnonzero(~sure & (cap >= 0))
        cap = cap[undecided] - (np.cumsum(sure) - sure)[undecided]
        cells = cells[undecided]
    return pick


def _select(stream: _Stream, dist: _Int, population: int, k: int) -> np.ndarray:
    """DAPHNE's selection sampling: index t of [0, population) is taken iff
    ``fmod(draw, population - t) < k - taken``; stops once k are taken. Sorted indices."""
    chosen: list[np.ndarray] = []
    t = taken = 0
    while taken < k:
        left = population - t
        # Chunks shrink with what is left so the bounds in _settle stay tight near the end.
        length = int(np.clip(left // 4, 256, 1 << 20))
        raw = stream.peek(min(_BLOCK, int(length * dist.words) + 4))
        vals, ends, _ = dist.parse(raw)
        vals = vals[: min(length, left)]
        # Draws and populations stay far below 2^53 (a longer scan could never finish), so C's
        # fmod on doubles equals the integer remainder, and fmod(..) < k - taken is
        # taken <= k - 1 - remainder.
        pick = _settle(k - 1 - vals % (left - np.arange(len(vals))), taken)
        idx = np.flatnonzero(pick)
        if taken + len(idx) >= k:
            idx = idx[: k - taken]
            stream.advance(_end(dist, ends, int(idx[-1])))
        else:
            stream.advance(_end(dist, ends, len(vals) - 1))
        chosen.append(t + idx)
        taken += len(idx)
        t += len(vals)
    return np.concatenate(chosen) if chosen else np.empty(0, np.int64)


def _bounded_each(stream: _Stream, ranges: np.ndarray) -> np.ndarray:
    """One libstdc++ draw from [0, r) per entry r of ranges (each < 2^32), in order.

    A rejected word shifts all later calls, so each pass accepts up to the first rejection;
    passes scale with the number of rejections, not with the number of draws.
    """
    r = ranges.astype(np.uint64)
    threshold = ((np.uint64(_U32) - r) % r).astype(np.uint32)
    out = np.empty(len(r), np.uint64)
    done, window = 0, 256
    while done < len(r):
        w = min(window, len(r) - done)
        prod = stream.peek(w) * r[done : done + w]
        bad = prod.astype(np.uint32) < threshold[done : done + w]  # low 32 bits
        ok_run = int(bad.argmax())
        if not bad[ok_run]:
            ok_run = w
        out[done : done + ok_run] = prod[:ok_run] >> np.uint64(32)
        done += ok_run
        stream.advance(ok_run + (ok_run < w))  # the rejected word is skipped
        window = min(_BLOCK, 2 * max(ok_run, 64))
    return out


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """``argsort(keys, kind="stable")`` for non-negative int64 keys, as LSD passes over 16-bit
    digits: numpy radix-sorts 16-bit keys but merge-sorts wider ones, several times slower."""
    order = np.arange(len(keys))
    shift = 0
    while shift == 0 or (keys >> shift).any():
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def _swap_sources(partner: np.ndarray) -> np.ndarray:
    """For ``swap(a[i], a[partner[i]])`` run for i = 1..n-1 (partner[i] <= i, partner[0] = 0):
    the original index that ends up at each position.

    Step i moves the content of position partner[i] to i and element i to partner[i]. So a
    position p ends with element i for the last step i > p with partner p; otherwise with what
    it received at its own step p: element p if partner[p] == p, else element i' for the latest
    earlier step i' with the same partner, else recursively what partner[p] received at its own
    step. That recursion is resolved by pointer jumping.
    """
    n = len(partner)
    pos = np.arange(n)
    order = _stable_order(partner)
    grouped = partner[order]
    same = grouped[1:] == grouped[:-1]
    prev_same = np.full(n, -1)
    prev_same[order[1:][same]] = order[:-1][same]
    last_mask = np.append(~same, True)
    last = np.full(n, -1)
    last[grouped[last_mask]] = order[last_mask]

    received = np.where(partner == pos, pos, prev_same)
    pointer = partner.copy()
    open_ = received < 0
    while open_.any():
        i = np.flatnonzero(open_)
        target = pointer[i]
        known = ~open_[target]
        received[i[known]] = received[target[known]]
        open_[i[known]] = False
        pointer[i[~known]] = pointer[target[~known]]
    return np.where(last > pos, last, received)


def _shuffle(stream: _Stream, vals: np.ndarray) -> np.ndarray:
    """libstdc++'s ``std::shuffle`` with a 32-bit engine."""
    n = len(vals)
    if n < 2:
        return vals
    partner = np.zeros(n, np.int64)
    if (_U32 - 1) // n >= n:
        # Small n: one draw from [0, (i+1)(i+2)) yields the partners of steps i and i+1; an even n
        # first does step 1 alone with a draw from [0, 2).
        first = 2 - n % 2
        steps = np.arange(first, n, 2)
        ranges = (steps + 1) * (steps + 2)
        if first == 2:
            ranges = np.concatenate(([2], ranges))
        draws = _bounded_each(stream, ranges).astype(np.int64)
        if first == 2:
            partner[1], draws = draws[0], draws[1:]
        partner[steps] = draws // (steps + 2)
        partner[steps + 1] = draws % (steps + 2)
    else:
        partner[1:] = _bounded_each(stream, np.arange(2, n + 1))
    return vals[_swap_sources(partner)]


def _distinct(stream: _Stream, dist: _Dist, size: int) -> np.ndarray:
    """The first ``size`` distinct values in the stream of draws (DAPHNE's float sampling
    redraws a value already taken, so its values are exactly these)."""
    drawn = np.empty(0, dist.dtype)
    while True:
        drawn = np.concatenate((drawn, _draw(stream, dist, size + 16, nonzero=False)))
        _, first = np.unique(drawn, return_index=True)
        if len(first) >= size:
            return drawn[np.sort(first)[:size]]


def _cround(x: float) -> int:
    """C's round() for x >= 0 (halves away from zero; Python's round() goes to even)."""
    whole = float(np.floor(x))
    return int(whole) + (x - whole >= 0.5)


def _random_seed(seed: int) -> int:
    """seed itself, or for -1 a fresh non-negative int64 as DAPHNE draws one."""
    if seed != -1:
        return int(seed)  # a numpy integer would overflow in seed*3
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))


def _rand_distribution(num_rows: int, num_cols: int, min: Number, max: Number,
                       sparsity: float) -> _Dist:
    """The value distribution of a ``rand`` call, after checking its arguments as DAPHNE does."""
    if num_rows < 0 or num_cols < 0:
        raise ValueError(f"rand: numRows and numCols must be >= 0, got {num_rows} and {num_cols}")
    vt = most_general(vt_of(min), vt_of(max))
    if vt == "str":
        raise ValueError("rand: min and max must be numbers")
    if min > max:
        raise ValueError(f"rand: min must be <= max, got min={min} and max={max}")
    if min == 0 and max == 0:
        raise ValueError("rand: min and max must not both be zero (use sparsity 0 instead)")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"rand: sparsity must be in [0, 1], got {sparsity}")
    dist: _Dist
    if is_float(vt):
        dist = _Real(float(min), float(max), DTYPE_OF_VT[vt])
    else:
        low, high = int(min), int(max)
        if low < -(1 << 63) or high >= 1 << 63:
            raise ValueError(f"rand: min and max must fit in si64, got {low} and {high}")
        dist = _Int(low, high)
    return dist


def rand(
    num_rows: int, num_cols: int, min: Number, max: Number, sparsity: float, seed: int
) -> np.ndarray:
    """A num_rows x num_cols matrix of uniform values in [min, max] with the given fraction of
    non-zeros, identical to DAPHNE's dense ``rand`` for the same seed (-1: random seed).

    Ints give int64 (max included), floats float64, float32 bounds float32 (max excluded up to
    rounding).
    """
    dist = _rand_distribution(num_rows, num_cols, min, max, sparsity)
    n = num_rows * num_cols
    check_allocatable("rand", (num_rows, num_cols), dist.dtype)
    seed = _random_seed(seed)
    values, index = _Stream(seed), _Stream(seed * 3)
    zeros_inserted = sparsity >= 0.5
    # Same double arithmetic as DAPHNE: (fraction * numCols) * numRows.
    k = _cround((1.0 - sparsity if zeros_inserted else sparsity) * num_cols * num_rows)
    out = _draw(values, dist, n, nonzero=True) if zeros_inserted else np.zeros(n, dist.dtype)
    if k:
        cells = _select(index, _Int(0, n - 1), n, k)
        out[cells] = 0 if zeros_inserted else _draw(values, dist, k, nonzero=True)
    return out.reshape(num_rows, num_cols)


def sample(range_: Number, size: int, with_replacement: bool, seed: int) -> np.ndarray:
    """size x 1 values from [0, range_) as DAPHNE's ``sample`` draws them (-1: random seed).

    Int ranges give int64 (all distinct without replacement), float ranges float64, or float32
    for an np.float32 range.
    """
    vt = vt_of(range_)
    if vt == "str":
        raise ValueError("sample: range must be a number")
    if not range_ > 0:
        raise ValueError(f"sample: range must be > 0, got {range_}")
    if size < 0:
        raise ValueError(f"sample: size must be >= 0, got {size}")
    stream = _Stream(_random_seed(seed))
    if is_float(vt):
        dtype = DTYPE_OF_VT[vt]
        # DAPHNE passes nextafter(range, 0) computed in double; float32 rounds it back to range.
        top = dtype.type(np.nextafter(np.float64(range_), 0.0))
        dist = _Real(0.0, top, dtype)
        check_allocatable("sample", (size, 1), dtype)
        if with_replacement:
            return _draw(stream, dist, size, nonzero=False).reshape(size, 1)
        # Positive floats order like their bit patterns, so this counts the values in [0, top].
        if size > int(top.view(np.int64 if dtype == np.float64 else np.int32)) + 1:
            raise ValueError(f"sample: cannot draw {size} distinct values below {range_}")
        return _distinct(stream, dist, size).reshape(size, 1)

    count = int(range_)
    if count >= 1 << 63:
        raise ValueError(f"sample: range must fit in si64, got {count}")
    # nextafter on an integer computes in double; converting back truncates.
    dist_int = _Int(0, int(np.nextafter(float(count), 0.0)))
    check_allocatable("sample", (size, 1), np.dtype(np.int64))
    if with_replacement:
        return _draw(stream, dist_int, size, nonzero=False).reshape(size, 1)
    if size > count:
        raise ValueError(f"sample: size ({size}) must be <= range ({count}) without replacement")
    if count > max(_EXACT_SCAN, 4 * size):
        return _distinct(stream, dist_int, size).reshape(size, 1)
    picked = _select(stream, dist_int, count, size)
    return _shuffle(stream, picked).reshape(size, 1)


def rand_csr(
    num_rows: int, num_cols: int, min: Number, max: Number, sparsity: float, seed: int
) -> CSRMatrix:
    """DAPHNE's ``rand`` with a CSR result (``--select-matrix-repr``): another generator
    (``minstd_rand0``) and another algorithm than the dense kernel, so other values for the
    same seed; see ``_native/sparse_rand.pyx``. As in DAPHNE, a drawn value may be 0."""
    from daphnelib._native import sparse_rand

    dist = _rand_distribution(num_rows, num_cols, min, max, sparsity)
    if num_rows >= 1 << 31 or num_cols >= 1 << 31:
        raise ValueError(f"rand: a CSR matrix of {num_rows}x{num_cols} is too large")
    # DAPHNE: round(numRows * numCols * sparsity), the product in size_t, then in double.
    nnz = _cround(float(num_rows * num_cols) * sparsity)
    check_allocatable("rand", (nnz, 1), dist.dtype)
    seed = _random_seed(seed)
    state = sparse_rand.seed_state((seed + (1 << 63)) % (1 << 64) - (1 << 63))  # as int64
    values = np.empty(nnz, dist.dtype)
    if isinstance(dist, _Int):
        state = sparse_rand.draw_i64(values, int(min), int(max), state)
    elif dist.dtype == np.float32:
        state = sparse_rand.draw_f32(values, float(min), float(max), state)
    else:
        state = sparse_rand.draw_f64(values, float(min), float(max), state)
    row_offsets = np.empty(num_rows + 1, np.int64)
    col_idxs = np.empty(nnz, np.int64)
    if num_rows and num_cols:
        sparse_rand.structure(row_offsets, col_idxs, num_cols, sparsity > 0.5, state)
    else:
        row_offsets[:] = 0
    return CSRMatrix(values, col_idxs, row_offsets, (num_rows, num_cols))
