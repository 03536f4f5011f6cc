# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Hash kernels for joins and group-by over 64-bit keys.

Keys arrive as int64 arrays: integers as they are, floats as normalised bit patterns, and
anything else (strings, multi-column keys, logical types) as dense codes made in Python.
Equal keys are equal int64 values, so one open-addressing table serves every key type. A
``valid`` byte array (or None) marks rows whose key is null: they never match and form
their own group. Every loop runs without the GIL.
"""

cimport numpy as cnp
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t

import numpy as np

cnp.import_array()

ctypedef fused num_t:
    int8_t
    uint8_t
    int32_t
    uint32_t
    int64_t
    uint64_t
    float
    double

# Join kinds (right joins are left joins with the sides swapped, in Python).
cpdef enum JoinKind:
    INNER = 0
    LEFT = 1
    FULL = 2
    SEMI = 3
    ANTI = 4

cdef uint64_t _GOLDEN = 0x9E3779B97F4A7C15ULL


cdef inline Py_ssize_t _slot(int64_t key, int shift) noexcept nogil:
    # Fibonacci hashing: the top bits of key * 2^64/phi spread sequential keys well.
    return <Py_ssize_t>((<uint64_t>key * _GOLDEN) >> shift)


cdef int _shift_for(Py_ssize_t n, Py_ssize_t *cap) noexcept:
    """Table capacity: a power of two at least twice ``n`` (load factor <= 1/2)."""
    cdef int bits = 4
    while (<Py_ssize_t>1 << bits) < 2 * n:
        bits += 1
    cap[0] = <Py_ssize_t>1 << bits
    return 64 - bits


cdef inline bint _ok(const uint8_t *valid, Py_ssize_t i) noexcept nogil:
    return valid == NULL or valid[i] != 0


cdef const uint8_t *_valid_ptr(valid, Py_ssize_t n) except? NULL:
    """The data of a validity byte array of length ``n``, or NULL when every row is valid."""
    if valid is None or n == 0:
        return NULL
    cdef const uint8_t[::1] v = valid
    if v.shape[0] != n:
        raise ValueError(f"validity has {v.shape[0]} entries for {n} rows")
    return &v[0]


ctypedef struct Slot:
    int64_t key
    int32_t head   # first rhs row with this key (-1: empty slot)
    int32_t count  # rhs rows with this key


def join_positions(const int64_t[::1] lkeys, const int64_t[::1] rkeys, lvalid, rvalid,
                   JoinKind how):
    """Row positions of an equi-join, lhs-major and for each lhs row in rhs order.

    Returns ``(lpos, rpos)`` int64 arrays; -1 marks the missing side of an outer-join row.
    A full join lists unmatched rhs rows after all lhs rows. Semi and anti joins return
    ``(lpos, None)``: the lhs rows with at least one match, or with none.
    """
    cdef Py_ssize_t nl = lkeys.shape[0], nr = rkeys.shape[0], cap, i, j, s, k, c, total
    if nr >= 2**31 - 1:
        raise ValueError(f"join: the right side has {nr} rows; at most 2^31-2 are supported")
    cdef const uint8_t *lv = _valid_ptr(lvalid, nl)
    cdef const uint8_t *rv = _valid_ptr(rvalid, nr)
    cdef int shift = _shift_for(nr, &cap)
    cdef Py_ssize_t mask = cap - 1
    cdef int64_t key, p
    slots_arr = np.empty(cap * sizeof(Slot), dtype=np.uint8)
    cdef Slot *slots = <Slot *>cnp.PyArray_DATA(slots_arr)
    cdef uint8_t[::1] matched = np.zeros(cap if how == FULL else 1, dtype=np.uint8)
    cdef int64_t[::1] rslot = np.empty(max(nr, 1) if how == FULL else 1, dtype=np.int64)
    cdef int32_t[::1] nxt = np.empty(max(nr, 1), dtype=np.int32)
    # Per lhs row: its first matching rhs row (-1: none) and the number of matches.
    cdef int64_t[::1] lhead = np.empty(max(nl, 1), dtype=np.int64)
    cdef int32_t[::1] lcount = np.empty(max(nl, 1), dtype=np.int32)
    cdef int64_t[::1] lpos, rpos

    with nogil:
        for s in range(cap):
            slots[s].head = -1
            slots[s].count = 0
        # Build: inserting rhs rows back to front leaves each chain in ascending row order.
        for i in range(nr - 1, -1, -1):
            if not _ok(rv, i):
                continue
            key = rkeys[i]
            s = _slot(key, shift)
            while slots[s].head != -1 and slots[s].key != key:
                s = (s + 1) & mask
            nxt[i] = slots[s].head
            slots[s].head = <int32_t>i
            slots[s].key = key
            slots[s].count += 1
            if how == FULL:
                rslot[i] = s
        # Probe once and count the output rows.
        total = 0
        for j in range(nl):
            lhead[j] = -1
            lcount[j] = 0
            if _ok(lv, j):
                key = lkeys[j]
                s = _slot(key, shift)
                while slots[s].head != -1:
                    if slots[s].key == key:
                        lhead[j] = slots[s].head
                        lcount[j] = slots[s].count
                        if how == FULL:
                            matched[s] = 1
                        break
                    s = (s + 1) & mask
            if how == SEMI:
                total += lcount[j] != 0
            elif how == ANTI:
                total += lcount[j] == 0
            elif lcount[j] != 0:
                total += lcount[j]
            elif how != INNER:
                total += 1
        if how == FULL:
            for i in range(nr):
                total += not _ok(rv, i) or not matched[rslot[i]]

    lpos = np.empty(total, dtype=np.int64)
    if how == SEMI or how == ANTI:
        with nogil:
            k = 0
            for j in range(nl):
                if (lcount[j] != 0) == (how == SEMI):
                    lpos[k] = j
                    k += 1
        return np.asarray(lpos), None

    rpos = np.empty(total, dtype=np.int64)
    with nogil:
        k = 0
        for j in range(nl):
            c = lcount[j]
            if c == 0:
                if how != INNER:
                    lpos[k] = j
                    rpos[k] = -1
                    k += 1
                continue
            p = lhead[j]
            lpos[k] = j
            rpos[k] = p
            k += 1
            # Only duplicated rhs keys walk the chain (a random access per match).
            while c > 1:
                p = nxt[p]
                lpos[k] = j
                rpos[k] = p
                k += 1
                c -= 1
        if how == FULL:
            for i in range(nr):
                if not _ok(rv, i) or not matched[rslot[i]]:
                    lpos[k] = -1
                    rpos[k] = i
                    k += 1
    return np.asarray(lpos), np.asarray(rpos)


def group_codes(const int64_t[::1] keys, valid):
    """Dense group ids in first-seen order: ``(codes, first)``.

    ``codes[i]`` is row i's group and ``first[g]`` the first row of group g. Rows whose key
    is null (``valid[i] == 0``) share one group.
    """
    cdef Py_ssize_t n = keys.shape[0], cap, i, s, g, ngroups = 0, null_group = -1
    cdef const uint8_t *v = _valid_ptr(valid, n)
    cdef int shift = _shift_for(512, &cap)
    cdef int64_t key
    cdef int64_t[::1] gid = np.full(cap, -1, dtype=np.int64)
    cdef int64_t[::1] skey = np.empty(cap, dtype=np.int64)
    cdef int64_t[::1] codes = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] first = np.empty(max(n, 1), dtype=np.int64)
    cdef int64_t[::1] old_gid, old_key

    i = 0
    while i < n:
        with nogil:
            while i < n:
                if not _ok(v, i):
                    if null_group == -1:
                        null_group = ngroups
                        first[ngroups] = i
                        ngroups += 1
                    codes[i] = null_group
                    i += 1
                    continue
                key = keys[i]
                s = _slot(key, shift)
                while gid[s] != -1 and skey[s] != key:
                    s = (s + 1) & (cap - 1)
                if gid[s] == -1:
                    if 2 * (ngroups + 1) > cap:
                        break  # grow the table (with the GIL), then retry this row
                    gid[s] = ngroups
                    skey[s] = key
                    first[ngroups] = i
                    ngroups += 1
                codes[i] = gid[s]
                i += 1
        if i < n:
            old_gid, old_key = gid, skey
            shift = _shift_for(2 * cap, &cap)
            gid = np.full(cap, -1, dtype=np.int64)
            skey = np.empty(cap, dtype=np.int64)
            with nogil:
                for s in range(old_gid.shape[0]):
                    if old_gid[s] != -1:
                        g = _slot(old_key[s], shift)
                        while gid[g] != -1:
                            g = (g + 1) & (cap - 1)
                        gid[g] = old_gid[s]
                        skey[g] = old_key[s]
    return np.asarray(codes), np.asarray(first)[:ngroups].copy()


cdef inline bint _before(num_t a, num_t b) noexcept nogil:
    """``a < b`` where NaN sorts after every number (DuckDB's order)."""
    if num_t is float or num_t is double:
        return a < b or (b != b and a == a)
    else:
        return a < b


def group_sum(const num_t[::1] values, const int64_t[::1] codes, Py_ssize_t ngroups, valid):
    """Per-group sums and counts of valid values: ``(sums, counts)``.

    Integers accumulate in 64 bits (int64, or uint64 for unsigned input) and wrap like C;
    floats accumulate in double.
    """
    cdef Py_ssize_t n = values.shape[0], i
    cdef const uint8_t *v = _valid_ptr(valid, n)
    cdef int64_t[::1] counts = np.zeros(ngroups, dtype=np.int64)
    cdef double[::1] fsum
    cdef int64_t[::1] isum
    cdef uint64_t[::1] usum
    if num_t is float or num_t is double:
        fsum = np.zeros(ngroups, dtype=np.float64)
        with nogil:
            for i in range(n):
                if _ok(v, i):
                    fsum[codes[i]] += values[i]
                    counts[codes[i]] += 1
        return np.asarray(fsum), np.asarray(counts)
    elif num_t is uint8_t or num_t is uint32_t or num_t is uint64_t:
        usum = np.zeros(ngroups, dtype=np.uint64)
        with nogil:
            for i in range(n):
                if _ok(v, i):
                    usum[codes[i]] += values[i]
                    counts[codes[i]] += 1
        return np.asarray(usum), np.asarray(counts)
    else:
        isum = np.zeros(ngroups, dtype=np.int64)
        with nogil:
            for i in range(n):
                if _ok(v, i):
                    # Unsigned arithmetic: overflow wraps instead of being undefined.
                    isum[codes[i]] = <int64_t>(<uint64_t>isum[codes[i]] + <uint64_t>values[i])
                    counts[codes[i]] += 1
        return np.asarray(isum), np.asarray(counts)


def group_minmax(const num_t[::1] values, const int64_t[::1] codes, Py_ssize_t ngroups,
                 valid, bint want_max):
    """Per-group minima (or maxima) of valid values and counts: ``(extrema, counts)``.

    Groups without a valid value hold an unspecified value and count 0.
    """
    cdef Py_ssize_t n = values.shape[0], i, g
    cdef const uint8_t *v = _valid_ptr(valid, n)
    cdef int64_t[::1] counts = np.zeros(ngroups, dtype=np.int64)
    out_arr = np.zeros(ngroups, dtype=np.asarray(values).dtype)
    cdef num_t[::1] out = out_arr
    cdef num_t x
    with nogil:
        for i in range(n):
            if not _ok(v, i):
                continue
            g = codes[i]
            x = values[i]
            if counts[g] == 0 or (_before(out[g], x) if want_max else _before(x, out[g])):
                out[g] = x
            counts[g] += 1
    return out_arr, np.asarray(counts)


def group_count(const int64_t[::1] codes, Py_ssize_t ngroups, valid):
    """Per-group counts of valid rows."""
    cdef Py_ssize_t n = codes.shape[0], i
    cdef const uint8_t *v = _valid_ptr(valid, n)
    cdef int64_t[::1] counts = np.zeros(ngroups, dtype=np.int64)
    with nogil:
        for i in range(n):
            if _ok(v, i):
                counts[codes[i]] += 1
    return np.asarray(counts)
