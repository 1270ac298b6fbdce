"""Forecast scores: coverage with binomial intervals, PIT, chi-square, pinball loss."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lekhok_forecast.analysis.scoring import (
    PIT_CRITICAL,
    chi_square_flat,
    clopper_pearson,
    coverage,
    nominal_interval,
    pinball,
    pit_histogram,
    pit_values,
    score_windows,
)


def test_intervals():
    assert PIT_CRITICAL == pytest.approx(16.919, abs=1e-3)
    lo, hi = clopper_pearson(8, 10)
    assert (lo, hi) == pytest.approx((0.4439, 0.9748), abs=1e-4)  # the textbook exact interval
    assert clopper_pearson(0, 10)[0] == 0.0 and clopper_pearson(10, 10)[1] == 1.0
    lo, hi = nominal_interval(0.8, 1000)
    assert lo == pytest.approx(0.775, abs=0.002) and hi == pytest.approx(0.825, abs=0.002)
    c = coverage(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 2.0, 3.5, 5.0]), 0.5)
    assert c.covered == 0.5 and c.honest


def test_quantiles_are_scipy_stats_own_bit_for_bit():
    """scoring gets from scipy.special what scipy.stats gives (without importing it), bit for bit."""
    assert PIT_CRITICAL == float(stats.chi2.ppf(0.95, 9))
    a = (1 - 0.95) / 2  # as the functions compute it from their 95% confidence
    for n in (1, 2, 3, 7, 10, 11, 30, 99, 100, 101, 250, 1000, 1001):
        for p in (0.05, 0.1, 0.5, 0.8, 0.9, 0.95):
            expected = (float(stats.binom.ppf(a, n, p)) / n, float(stats.binom.ppf(1 - a, n, p)) / n)
            assert nominal_interval(p, n) == expected, (n, p)
        for k in range(n + 1):
            lo = float(stats.beta.ppf(a, k, n - k + 1)) if k > 0 else 0.0
            hi = float(stats.beta.ppf(1 - a, k + 1, n - k)) if k < n else 1.0
            assert clopper_pearson(k, n) == (lo, hi), (k, n)


def test_pit_chi_square_and_pinball():
    samples = np.tile(np.arange(10.0), (3, 1))
    pit = pit_values(samples, np.array([-1.0, 4.0, 100.0]))
    assert pit.tolist() == [0.0, 0.45, 1.0]  # ties count half
    assert pit_histogram(pit).tolist() == [1, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert chi_square_flat(np.full(10, 7)) == 0.0
    assert chi_square_flat(np.array([10, 0])) == pytest.approx(10.0)
    # outcome 2 with quantile 1 at tau 0.9: 0.9 * 1; quantile 3 at tau 0.1: 0.9 * 1
    assert pinball(np.array([[1.0, 3.0]]), np.array([2.0]), (0.9, 0.1)) == pytest.approx(0.9)


def test_honest_forecast_scores_honest():
    rng = np.random.default_rng(7)
    n = 2000
    samples = rng.normal(0, 1, (n, 4000)) + 10
    outcomes = rng.normal(0, 1, n) + 10
    s = score_windows(samples, outcomes, np.full(n, 10.0))
    assert all(c.honest for c in s.coverage)
    assert s.pit_chi_square < PIT_CRITICAL
    assert s.pinball < s.pinball_estimates  # quantiles beat a point forecast at the median
    assert sum(s.pit_counts) == n
    d = s.as_dict()
    assert set(d["coverage"]) == {"p50", "p80", "p90"} and d["windows"] == n
    # chi-square with 9 degrees of freedom: an honest forecast stays below the 5% value mostly
    assert stats.chi2.sf(s.pit_chi_square, 9) > 0.05
