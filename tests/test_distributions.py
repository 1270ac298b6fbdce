"""Ranges, their exact laws, the inverse-CDF tables and the engine's samples against them.

Known answers here are checked within K_SE standard errors computed from the exact
variance (plus the table's bias bound, which is far smaller), with fixed seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import K_SE, assert_close, make_plan, mean_tolerance, prob_tolerance, var_tolerance
from scipy import stats

from lekhok_forecast.core.distributions import (
    TABLE_SIZE,
    Z95,
    Dist,
    Range,
    cell_midpoints,
    lognormal_params,
    quantile_table,
    table_error,
)
from lekhok_forecast.core.engine import simulate

N = 200_000  # trials for one-task known-answer runs (a few milliseconds each)
TABLE_BOUND = 1e-6 + 1 / (2 * TABLE_SIZE)


def pert(lo, m, hi):
    return Range(Dist.PERT, lo, m, hi)


def tri(lo, m, hi):
    return Range(Dist.TRIANGULAR, lo, m, hi)


def lognormal(lo, hi):
    return Range(Dist.LOGNORMAL, lo, math.sqrt(lo * hi), hi)


def uniform(lo, hi):
    return Range(Dist.UNIFORM, lo, (lo + hi) / 2, hi)


def scipy_law(r: Range):
    """The same distribution as a frozen scipy.stats law."""
    w = r.high - r.low
    if r.dist is Dist.UNIFORM:
        return stats.uniform(r.low, w)
    if r.dist is Dist.PERT:
        c = (r.mode - r.low) / w
        return stats.beta(1 + 4 * c, 1 + 4 * (1 - c), loc=r.low, scale=w)
    if r.dist is Dist.TRIANGULAR:
        return stats.triang((r.mode - r.low) / w, loc=r.low, scale=w)
    mu, sigma = lognormal_params(r.low, r.high)
    return stats.lognorm(sigma, scale=math.exp(mu))


def one_task_samples(r: Range, trials: int = N, seed: int = 11) -> np.ndarray:
    """Engine samples of a single duration task (weeks) whose duration is `r`."""
    spec = {
        Dist.UNIFORM: f"{{low: {r.low}, high: {r.high}}}",
        Dist.PERT: f"{{low: {r.low}, mode: {r.mode}, high: {r.high}}}",
        Dist.TRIANGULAR: f"{{low: {r.low}, mode: {r.mode}, high: {r.high}, dist: triangular}}",
        Dist.LOGNORMAL: f"{{low: {r.low}, high: {r.high}, dist: lognormal}}",
    }[r.dist]
    plan = make_plan(f"""
        name: one task
        units: weeks
        tasks:
          - {{id: a, duration: {spec}}}
        """)
    assert plan.tasks[0].duration_weeks == r
    return simulate(plan, trials, seed).finish_weeks


# ------------------------------------------------------------------ the Range type


def test_fixed_and_scaled():
    f = Range.fixed(3)
    assert (f.dist, f.low, f.mode, f.high, f.mean, f.is_random) == (Dist.FIXED, 3.0, 3.0, 3.0, 3.0, False)
    r = pert(1, 2, 4).scaled(8)
    assert (r.low, r.mode, r.high) == (8, 16, 32) and r.is_random


@pytest.mark.parametrize(
    "r", [uniform(1, 3), pert(1, 2, 4), pert(0, 0, 1), tri(1, 2, 5), tri(0, 1, 1), lognormal(2, 8)]
)
def test_mean_and_cdf_match_scipy(r):
    law = scipy_law(r)
    assert r.mean == pytest.approx(law.mean(), rel=1e-12)
    x = np.linspace(law.ppf(1e-4), law.ppf(1 - 1e-4), 41)
    np.testing.assert_allclose(r.cdf(x), law.cdf(x), atol=1e-12)
    assert r.cdf(np.array([-1.0]))[0] == 0.0


def test_pert_mean_formula():
    assert pert(2, 3, 10).mean == pytest.approx((2 + 4 * 3 + 10) / 6)


def test_fixed_cdf_is_a_step():
    np.testing.assert_array_equal(Range.fixed(2).cdf(np.array([1.9, 2.0, 2.1])), [0, 1, 1])


def test_lognormal_low_high_are_5th_and_95th_percentiles():
    mu, sigma = lognormal_params(2, 8)
    assert math.exp(mu) == pytest.approx(4.0)
    assert stats.norm.cdf(Z95) == pytest.approx(0.95, abs=1e-15)
    r = lognormal(2, 8)
    np.testing.assert_allclose(r.cdf(np.array([2.0, 4.0, 8.0])), [0.05, 0.5, 0.95], atol=1e-12)


def test_affine_shares_tables_between_ranges_of_one_shape():
    k1, o1, s1 = pert(0, 1, 4).affine()
    k2, o2, s2 = pert(10, 12, 18).affine()
    assert k1 == k2 == ("pert", 2.0, 4.0)
    assert (o1, s1, o2, s2) == (0, 4, 10, 8)
    assert lognormal(1, 4).affine()[0] == lognormal(3, 12).affine()[0]


# ------------------------------------------------------------------ quantile tables


@pytest.mark.parametrize(
    "key", [("uniform",), ("pert", 3.0, 3.0), ("pert", 1.0, 5.0), ("triangular", 0.25), ("lognormal", 0.4)]
)
def test_tables_are_frozen_monotone_float32(key):
    t = quantile_table(key)
    assert t.dtype == np.float32 and t.shape == (TABLE_SIZE,) and not t.flags.writeable
    assert np.all(np.diff(t) >= 0)
    if key[0] != "lognormal":
        assert 0 <= t[0] and t[-1] <= 1
    assert quantile_table(key) is t  # cached


def test_cell_midpoints():
    u = cell_midpoints()
    assert u[0] == 0.5 / TABLE_SIZE and u[-1] == 1 - 0.5 / TABLE_SIZE


PERT_MODES = [
    0.0,
    1e-6,
    1e-4,
    1e-3,
    0.005,
    0.01,
    0.02,
    0.05,
    0.1,
    0.15,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.75,
    0.9,
    0.95,
    0.99,
    0.999,
    1 - 1e-6,
    1.0,
]


@pytest.mark.parametrize("c", PERT_MODES)
def test_pert_table_error(c):
    """Mode at the low end, near it, the middle, near the high end and at it."""
    assert table_error(pert(0, c, 1)) < TABLE_BOUND
    assert table_error(pert(3, 3 + 7 * c, 10)) < TABLE_BOUND  # same shape, other scale


@pytest.mark.parametrize("c", [0.0, 0.01, 0.3, 0.5, 0.99, 1.0])
def test_triangular_table_error(c):
    assert table_error(tri(0, c, 1)) < TABLE_BOUND


# Ratios high/low >= 1.5. Much narrower lognormals (high/low -> 1) exceed the bound: their
# table holds exp(sigma z) in float32, whose resolution near 1 is coarse against a tiny sigma.
@pytest.mark.parametrize("lo, hi", [(1, 1.5), (2, 8), (1, 100), (0.01, 1e4)])
def test_lognormal_table_error(lo, hi):
    assert table_error(lognormal(lo, hi)) < TABLE_BOUND


def test_uniform_and_fixed_table_error():
    assert table_error(uniform(0, 1)) < TABLE_BOUND
    assert table_error(Range.fixed(1.0)) == 0.0


def ks_distance(x: np.ndarray, cdf) -> float:
    """sup |F_n - F| for samples `x` (ties allowed) and a continuous CDF."""
    values, counts = np.unique(x.astype(np.float64), return_counts=True)
    right = np.cumsum(counts) / x.size
    left = right - counts / x.size
    f = cdf(values)
    return float(max(np.max(np.abs(right - f)), np.max(np.abs(left - f))))


KS_CASES = [pert(1, 2, 4), pert(0, 0, 3), pert(2, 9.9, 10), tri(1, 2, 5), uniform(1, 3), lognormal(2, 8)]


@pytest.mark.parametrize("seed, r", list(enumerate(KS_CASES, start=101)), ids=[str(r) for r in KS_CASES])
def test_engine_samples_pass_ks_against_exact_cdf(seed, r):
    """DKW: P(sup|F_n - F| > eps) <= 2 exp(-2 n eps^2); eps at a 1e-6 false-alarm rate, plus
    the table's Kolmogorov bound and float32 rounding of the sampled values. (KS is invariant
    under monotone maps, so each law gets its own seed: same draws would give the same D.)"""
    x = one_task_samples(r, seed=seed)
    eps = math.sqrt(math.log(2 / 1e-6) / (2 * x.size))
    d = ks_distance(x, r.cdf)
    assert d < eps + table_error(r) + 1e-6, (d, eps)


def test_ks_detects_a_wrong_distribution():
    x = one_task_samples(pert(1, 2, 4))
    eps = math.sqrt(math.log(2 / 1e-6) / (2 * x.size))
    assert ks_distance(x, pert(1, 2.05, 4).cdf) > eps  # the test has power against a small shift


# ------------------------------------------------------------- moments via the engine


def _check_moments(r: Range, x: np.ndarray):
    law = scipy_law(r)
    mean, var, kurt = (float(v) for v in law.stats(moments="mvk"))
    mu4 = (kurt + 3) * var**2
    n = x.size
    width = (r.high - r.low) if r.dist is not Dist.LOGNORMAL else law.ppf(1 - 1e-9)
    bias = width * table_error(r)  # |E_table - E| <= width * Kolmogorov distance
    errs = [
        assert_close(x.mean(), mean, mean_tolerance(var, n) + bias, f"mean {r}"),
        assert_close(x.var(ddof=1), var, var_tolerance(var, mu4, n) + 2 * width * bias, f"var {r}"),
    ]
    return errs


@pytest.mark.parametrize("lo, m, hi", [(1, 2, 4), (0, 0, 1), (2, 9.5, 10), (0, 0.5, 1), (3, 4, 12)])
def test_pert_mean_and_variance(lo, m, hi):
    r = pert(lo, m, hi)
    a, b = r.affine()[0][1:]
    assert r.mean == pytest.approx((lo + 4 * m + hi) / 6)
    exact_var = a * b / ((a + b) ** 2 * (a + b + 1)) * (hi - lo) ** 2  # a + b = 6: a b (hi-lo)^2 / 252
    assert scipy_law(r).var() == pytest.approx(exact_var)
    _check_moments(r, one_task_samples(r))


@pytest.mark.parametrize("lo, m, hi", [(1, 2, 5), (0, 0, 1), (0, 1, 1)])
def test_triangular_mean_and_variance(lo, m, hi):
    r = tri(lo, m, hi)
    assert r.mean == pytest.approx((lo + m + hi) / 3)
    exact_var = (lo**2 + m**2 + hi**2 - lo * m - lo * hi - m * hi) / 18
    assert scipy_law(r).var() == pytest.approx(exact_var)
    _check_moments(r, one_task_samples(r))


def test_lognormal_percentiles_and_median():
    r = lognormal(2, 8)
    x = one_task_samples(r)
    n = x.size
    law = scipy_law(r)
    # fraction below low / above high: binomial
    assert_close(np.mean(x <= 2), 0.05, prob_tolerance(0.05, n, bias=table_error(r)), "P(X <= low)")
    assert_close(np.mean(x > 8), 0.05, prob_tolerance(0.05, n, bias=table_error(r)), "P(X > high)")
    # sample quantiles: SE = sqrt(p (1 - p) / n) / f(x_p)
    for p, expected in ((0.05, 2.0), (0.5, 4.0), (0.95, 8.0)):
        se = math.sqrt(p * (1 - p) / n) / law.pdf(expected)
        assert_close(float(np.quantile(x, p)), expected, K_SE * se, f"q{p}")
    mean, var = (float(v) for v in law.stats())
    assert_close(x.mean(), r.mean, mean_tolerance(var, n), "lognormal mean")


def test_uniform_mean_and_variance():
    r = uniform(1, 3)
    _check_moments(r, one_task_samples(r))
