"""Forecast scores: coverage with binomial intervals, PIT, chi-square, pinball loss."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lekhok_forecast.analysis.scoring import (
    PIT_BINS,
    PIT_CRITICAL,
    chi_square_flat,
    clopper_pearson,
    coverage,
    design_effect,
    nominal_interval,
    pinball,
    pit_design_effect,
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


def test_design_effect_is_one_for_independent_windows():
    rng = np.random.default_rng(3)
    hits = rng.random(20_000) < 0.8
    clusters = rng.integers(0, 2_000, hits.size)  # groups that share nothing
    assert design_effect(hits, clusters, 0.8) == pytest.approx(1.0, abs=0.1)
    assert design_effect(hits, None) == 1.0


def test_design_effect_of_whole_groups_is_their_size():
    """Every window of a group hits or misses together: the variance is m times the binomial's."""
    rng = np.random.default_rng(4)
    groups, m = 2_000, 10
    hits = np.repeat(rng.random(groups) < 0.8, m)
    clusters = np.repeat(np.arange(groups), m)
    assert design_effect(hits, clusters, 0.8) == pytest.approx(m, rel=0.15)
    cov = coverage(np.where(hits, 1.0, -1.0), np.zeros(hits.size), 0.8, clusters)
    lo, hi = cov.clustered_interval
    assert cov.design_effect == pytest.approx(m, rel=0.15)
    # the clustered range is sqrt(m) times as wide as the binomial one
    assert (hi - lo) / (cov.nominal_interval[1] - cov.nominal_interval[0]) == pytest.approx(np.sqrt(m), rel=0.15)


def test_rao_scott_keeps_an_honest_clustered_pit_below_the_critical_value():
    """Honest forecasts of clustered windows: the plain chi-square rejects, the corrected one does not."""
    rng = np.random.default_rng(5)
    groups, m = 500, 8
    plain, corrected = [], []
    for _ in range(40):
        pit = np.repeat(rng.random(groups), m) + rng.normal(0, 0.02, groups * m)  # a shared level per group
        pit = np.clip(pit, 0, 1)
        clusters = np.repeat(np.arange(groups), m)
        counts = pit_histogram(pit)
        chi2 = chi_square_flat(counts)
        plain.append(chi2)
        corrected.append(chi2 / pit_design_effect(pit, clusters))
    assert np.mean(plain) > 3 * PIT_CRITICAL  # independence assumed: far above
    assert np.mean(corrected) == pytest.approx(PIT_BINS - 1, rel=0.3)  # chi-square(9) has mean 9
    assert np.mean(np.array(corrected) < PIT_CRITICAL) > 0.85
