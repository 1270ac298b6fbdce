"""Average ranks and Spearman's rho of many rows against one, exactly and fast.

Spearman's rho is Pearson's correlation of average ranks (ties share their mean rank).
The sensitivity sample has one row per task or risk (up to 1,000 x 20,000), so this is the
largest cost of ``simulate --json`` at 10^4 trials on a large plan; `spearman_rows`
computes the same statistic without materialising a rank matrix:

- a row's ranks are found by sorting integer keys ``(value bits << b) | column`` (one
  SIMD sort gives the order and the values at once; float32 bits, sign-adjusted, sort
  as the numbers do);
- with ``ry`` the centred ranks of the other variable, ``sum(rank_x * ry)`` is summed tie
  group by tie group (every member of a group has the same rank), and the sum of
  squared centred ranks has the closed form ``(n^3 - n - sum(t^3 - t)) / 12`` over the
  tie groups' sizes ``t``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Values per block of rows: keeps the keys and temporaries of a block in cache.
_BLOCK_VALUES = 1 << 16


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (from 1) along the last axis, ties sharing their mean rank, as float64.

    Exactly ``scipy.stats.rankdata(x, axis=-1)`` (ranks and tie means are exact
    half-integers), about five times faster on the sensitivity sample: rows are ranked
    a few at a time so every temporary stays small and in cache.
    """
    x = np.asarray(x)
    if x.ndim == 0 or x.shape[-1] == 0 or np.isnan(x).any():
        from scipy.stats import rankdata  # NaN ranks: rare, and SciPy defines them

        return rankdata(x, axis=-1).astype(np.float64)
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty(rows.shape, dtype=np.float64)
    block = max(1, _BLOCK_VALUES // rows.shape[1])
    for a in range(0, rows.shape[0], block):
        _rank_rows(rows[a : a + block], out[a : a + block])
    return out.reshape(x.shape)


def _rank_rows(x: np.ndarray, out: np.ndarray) -> None:
    """Average ranks of each row of `x` (no NaN) into `out`."""
    r, n = x.shape
    order = np.argsort(x, axis=1)
    xs = np.take_along_axis(x, order, axis=1)
    # Sorted positions i..j holding equal values all get rank (i + j) / 2 + 1.
    new = np.empty((r, n + 1), dtype=bool)  # new[:, i]: sorted position i starts a run of ties
    new[:, 0] = new[:, n] = True
    np.not_equal(xs[:, 1:], xs[:, :-1], out=new[:, 1:n])
    pos = np.arange(n, dtype=np.float64)
    first = np.where(new[:, :n], pos, 0.0)
    np.maximum.accumulate(first, axis=1, out=first)
    last = np.minimum.accumulate(np.where(new[:, 1:], pos, float(n))[:, ::-1], axis=1)[:, ::-1]
    first += last
    first += 2.0
    first /= 2.0
    out[np.arange(r)[:, None], order] = first


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rho of each row of `x` (rows, n) with `y` (n,); 0 for a constant row.

    float32 rows without NaN (the engine's samples) take the sort-key route of the module
    docstring; other rows are ranked with `average_ranks`. Both give the same statistic
    (they differ only in the order of floating-point sums, ~1e-15).
    """
    x = np.asarray(x)
    ry = average_ranks(np.asarray(y, dtype=np.float64))
    ry -= ry.mean()
    if x.dtype == np.float32 and x.ndim == 2 and x.shape[1] and not np.isnan(x).any():
        num, ss = _rank_sums(x, ry)
    else:
        rx = average_ranks(x)
        rx -= rx.mean(axis=1, keepdims=True)
        num = rx @ ry
        # Row sums of squares a few rows at a time (each row's sum is the same pairwise sum;
        # a full rx * rx temporary would be as large as the sample).
        ss = np.empty(rx.shape[0])
        block = max(1, _BLOCK_VALUES // max(rx.shape[1], 1))
        for a in range(0, rx.shape[0], block):
            part = rx[a : a + block]
            np.sum(part * part, axis=1, out=ss[a : a + block])
    den = np.sqrt(ss * (ry @ ry))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, 0.0)


def _sort_keys(x: np.ndarray, shift: int) -> np.ndarray:
    """uint64 keys ``(bits << shift) | column`` whose order is the numeric order of the
    float32 rows `x` (no NaN) and, among equal values, the column order."""
    bits = (x + np.float32(0.0)).view(np.uint32)  # -0.0 + 0.0 is +0.0: one key for zero
    if (x < 0).any():
        # negative floats: flip every bit (a larger magnitude sorts first); others: set the sign bit
        bits = bits ^ ((bits >> np.uint32(31)) * np.uint32(0x7FFFFFFF) + np.uint32(0x80000000))
    keys = bits.astype(np.uint64)  # non-negative floats' bit patterns sort as their values
    keys <<= np.uint64(shift)
    keys |= np.arange(x.shape[1], dtype=np.uint64)
    return keys


def _rank_sums(x: np.ndarray, ry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of float32 `x` (no NaN): ``sum(rank * ry)`` and the sum of squared centred ranks.

    Every value first gets its sorted position + 1 as its rank (one matrix-vector product);
    only the values in tie groups, usually few, are then moved to their group's mean rank.
    """
    r, n = x.shape
    shift = max(1, (n - 1).bit_length())
    low = np.uint64((1 << shift) - 1)
    num, ss = np.empty(r), np.empty(r)
    no_ties = n * (n * n - 1.0) / 12.0
    position = np.arange(1, n + 1, dtype=np.float64)
    block = max(1, _BLOCK_VALUES // n)
    for a in range(0, r, block):
        keys = _sort_keys(x[a : a + block], shift)
        b = keys.shape[0]
        keys.sort(axis=1)
        g = ry[(keys & low).view(np.int64)]  # ry in each row's sorted order
        num[a : a + b] = g @ position
        ss[a : a + b] = no_ties
        # same[k]: sorted value k equals value k - 1 of its row (the value bits match)
        flat = keys.reshape(-1)
        same = np.zeros(b * n + 1, dtype=bool)
        np.less_equal(flat[1:] ^ flat[:-1], low, out=same[1 : b * n])
        same[: b * n : n] = False
        if not same.any():
            continue
        tied = np.flatnonzero(same[:-1] | same[1:])  # members of tie groups, in sorted order
        starts = np.flatnonzero(~same[tied])  # each group's first member, among `tied`
        sizes = np.diff(starts, append=tied.size)
        first = tied[starts]
        row = first // n
        mean_rank = first % n + (sizes + 1) * 0.5
        gt = g.reshape(-1)[tied]
        moved = mean_rank * np.add.reduceat(gt, starts) - np.add.reduceat(gt * (tied % n + 1.0), starts)
        num[a : a + b] += np.bincount(row, weights=moved, minlength=b)
        t = sizes.astype(np.float64)
        ss[a : a + b] -= np.bincount(row, weights=t * t * t - t, minlength=b) / 12.0
    return num, ss


def sorted_percentiles(sorted_values: np.ndarray, percentiles: Sequence[float]) -> np.ndarray:
    """``np.percentile(sorted_values, list(percentiles))`` (linear method) of an ascending
    1-D array, read straight off it: the same numbers, bit for bit (the same index, weight
    and interpolation steps; tests compare with NumPy's), without NumPy's copy and
    partition of the whole array per call, nor its import of ``numpy.ma``.

    Parameters
    ----------
    sorted_values : ndarray (n,)
        Ascending, n >= 1 (NaNs, if any, last: then every percentile is NaN, as NumPy's).
    percentiles : sequence of float
        In [0, 100].

    Returns
    -------
    ndarray (len(percentiles),), float64 (the dtype NumPy gives for a list of percentiles)
    """
    s = np.asarray(sorted_values)
    q = np.true_divide(np.asarray(list(percentiles), dtype=np.float64), 100)
    if s.ndim != 1 or s.size == 0 or np.any(q < 0) or np.any(q > 1):
        return np.asarray(np.percentile(s, q * 100), dtype=np.float64)  # NumPy's errors and edge cases
    n = s.size
    virtual = (n - 1) * q
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= n - 1
    previous[above] = -1
    following[above] = -1
    below = virtual < 0
    previous[below] = 0
    following[below] = 0
    lo, hi = previous.astype(np.intp), following.astype(np.intp)
    gamma = np.asarray(virtual - lo, dtype=virtual.dtype)
    a, b = s[lo], s[hi]
    diff = b - a
    out = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5, casting="unsafe", dtype=type(out.dtype))
    if s.dtype.kind == "f" and np.isnan(s[-1]):
        out[:] = np.nan
    return out
