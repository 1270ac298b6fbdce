"""Average ranks and Spearman's rho of many rows against one, against SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from lekhok_forecast.analysis.ranks import average_ranks, sorted_percentiles, spearman_rows


def _scipy_rho(x: np.ndarray, y: np.ndarray) -> float:
    if np.all(x == x[0]):
        return 0.0
    return float(stats.spearmanr(x, y).statistic)


def test_average_ranks_are_scipys():
    x = np.array([[3.0, 1.0, 2.0, 1.0, 3.0, 3.0], [0.0, -0.0, 5.0, -1.0, 5.0, 2.0]])
    assert np.array_equal(average_ranks(x), stats.rankdata(x, axis=-1))


def test_spearman_rows_match_scipy_float64_and_float32():
    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    x = np.vstack([y + rng.normal(size=500), -y, rng.normal(size=500), np.ones(500)])
    for rows in (x, x.astype(np.float32)):
        got = spearman_rows(rows, y)
        for i in range(3):
            assert got[i] == pytest.approx(_scipy_rho(rows[i].astype(np.float64), y), abs=1e-12)
        assert got[1] == pytest.approx(-1.0) and got[3] == 0.0


def test_spearman_rows_float32_with_ties_signs_and_zeros_match_scipy():
    """The sort-key route: many ties (quantised values, a risk's zeros when it does not
    fire), negative values, -0.0 tied with 0.0, constant rows."""
    rng = np.random.default_rng(1)
    n = 3_000
    y = np.round(rng.gamma(3.0, size=n), 1)  # ties in y too
    q = (np.round(rng.normal(size=(6, n)) * 4) / 4).astype(np.float32)
    q[1] = np.where(rng.random(n) < 0.1, np.abs(q[1]) + 1, 0).astype(np.float32)  # mostly zero
    q[2] = np.where(rng.random(n) < 0.5, -0.0, 0.0).astype(np.float32)  # all zero, two signs
    q[3, ::2] = -0.0
    q[4] = (y + rng.normal(size=n)).astype(np.float32)
    q[5] = 7.0
    got = spearman_rows(q, y)
    for i in range(6):
        assert got[i] == pytest.approx(_scipy_rho(q[i].astype(np.float64), y), abs=1e-12), i
    assert got[2] == 0.0 and got[5] == 0.0
    # the same statistic as the float64 route
    assert np.allclose(got, spearman_rows(q.astype(np.float64), y), rtol=0, atol=1e-13)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 4), st.integers(3, 40)),
        elements=st.sampled_from([-2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, 1e30, -1e-30]),
    ),
    st.randoms(use_true_random=False),
)
def test_spearman_rows_float32_agree_with_scipy_on_any_ties(x, rnd):
    n = x.shape[1]
    y = np.array([rnd.choice([0.0, 1.0, 2.0, rnd.random()]) for _ in range(n)])
    got = spearman_rows(x, y)
    if np.all(y == y[0]):
        assert np.all(got == 0.0)
        return
    for i in range(x.shape[0]):
        assert got[i] == pytest.approx(_scipy_rho(x[i].astype(np.float64), y), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([np.float32, np.float64]),
    hnp.arrays(np.float64, st.integers(1, 300), elements=st.floats(-1e6, 1e6, allow_nan=False)),
    st.lists(st.floats(0, 100), min_size=1, max_size=6),
)
def test_sorted_percentiles_are_numpys_bit_for_bit(dtype, x, percentiles):
    x = x.astype(dtype)
    want = np.percentile(x, percentiles)
    got = sorted_percentiles(np.sort(x), percentiles)
    # bit for bit up to the sign of zero: -0.0 and 0.0 are equal, so which one a sort or
    # NumPy's partition puts at a given place is not defined (adding 0.0 makes both +0.0)
    assert got.dtype == want.dtype and (got + 0.0).tobytes() == (want + 0.0).tobytes()


def test_sorted_percentiles_of_a_million_trials_and_with_nan():
    rng = np.random.default_rng(3)
    x = rng.gamma(4.0, size=1_000_000) + 10
    q = (10, 50, 80, 90, 95)
    assert sorted_percentiles(np.sort(x), q).tobytes() == np.percentile(x, q).tobytes()
    assert np.isnan(sorted_percentiles(np.array([1.0, 2.0, np.nan]), (50,))).all()
