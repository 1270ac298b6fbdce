"""Scores of probabilistic forecasts against what happened: coverage, PIT, pinball loss.

Pure functions of arrays. A set of *windows* is scored: window ``i`` has forecast samples
``samples[i]`` (any unit, e.g. hours) and one outcome ``outcomes[i]`` in the same unit.

* **Coverage** of ``P_p``: the share of windows whose outcome is at or below the forecast's
  ``p`` quantile. An honest forecast covers ``p`` of them; with ``n`` windows the share
  lands in ``binom.ppf([0.025, 0.975], n, p) / n`` 95% of the time (`nominal_interval`).
* **PIT** (probability integral transform): the forecast's probability of an outcome at or
  below the one observed, ``P(X < y) + P(X = y) / 2``. Honest forecasts give a flat PIT
  histogram; its chi-square against flat (10 bins, 9 degrees of freedom) has a 5% critical
  value of 16.92 (`PIT_CRITICAL`).
* **Windows that are not independent.** Windows of one person or project share that
  group's level, so their hits are correlated and the binomial range above is too narrow.
  Given each window's group (its *cluster*), the scores also carry the design effect
  ``deff`` of each share (its cluster-robust variance, ``G / (G - 1) * sum_g (k_g - p n_g)**2
  / n**2`` over the ``G`` groups with ``k_g`` hits in ``n_g`` windows, divided by the
  binomial ``p (1 - p) / n``; floored at 1): the honest range becomes ``p +- 1.96 sqrt(deff
  p (1 - p) / n)`` (`Coverage.clustered_interval`), and the PIT chi-square is divided by the
  mean design effect of its bins (Rao and Scott's first-order correction, J. Amer. Statist.
  Assoc. 76, 1981), to be read against the same critical value.
* **Pinball loss** averaged over the quantiles 0.1 .. 0.9, on the scale of each window's
  plain sum of estimates (outcome and quantiles divided by it), so large windows do not
  dominate. The reference forecast is that sum itself, the same number at every quantile.

The quantiles of the beta, binomial and chi-square distributions come from the
``scipy.special`` functions ``scipy.stats`` itself calls for them (the same numbers, bit for
bit: checked in ``tests/test_scoring.py``), without importing ``scipy.stats``: that costs
0.5-0.8 s, which every weekly report paid twice (its honesty section and the calibration
notebook, in two kernels). A SciPy without those functions falls back to ``scipy.stats``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

try:  # what scipy.stats.beta.ppf and binom.ppf call for 0 < q < 1 (SciPy >= 1.8: Boost's quantiles)
    from scipy.special._ufuncs import _beta_ppf, _binom_ppf
except ImportError:  # pragma: no cover - older or rearranged SciPy
    from scipy.stats import beta as _beta
    from scipy.stats import binom as _binom

    _beta_ppf, _binom_ppf = _beta.ppf, _binom.ppf

#: Quantile levels whose coverage is reported.
COVERAGE_LEVELS = (0.5, 0.8, 0.9)
#: Quantile levels the pinball loss averages over.
PINBALL_LEVELS = tuple(round(0.1 * k, 1) for k in range(1, 10))
#: Quantile levels `summarize` keeps of each window's samples.
SUMMARY_LEVELS = tuple(sorted(set(COVERAGE_LEVELS) | set(PINBALL_LEVELS)))
PIT_BINS = 10
#: 5% critical value of chi-square with PIT_BINS - 1 degrees of freedom.
PIT_CRITICAL = float(2.0 * special.gammaincinv((PIT_BINS - 1) / 2.0, 0.95))  # scipy.stats.chi2.ppf's formula


@dataclass(frozen=True)
class Coverage:
    """Coverage of one quantile level over ``n`` windows.

    Attributes
    ----------
    level : float
        The quantile level ``p`` (0.8 for P80).
    covered : float
        Share of windows with outcome <= the forecast's ``p`` quantile.
    interval : (float, float)
        Clopper-Pearson 95% interval of `covered`.
    nominal_interval : (float, float)
        Where an honest forecast's share lands 95% of the time with ``n`` independent windows.
    design_effect : float
        How much the windows' clustering inflates the share's variance (>= 1; 1 without
        clusters: see the module docstring).
    """

    level: float
    covered: float
    interval: tuple[float, float]
    nominal_interval: tuple[float, float]
    design_effect: float = 1.0
    n: int = 0

    @property
    def honest(self) -> bool:
        """True when `covered` is inside `nominal_interval`."""
        return self.nominal_interval[0] <= self.covered <= self.nominal_interval[1]

    @property
    def clustered_interval(self) -> tuple[float, float]:
        """Where an honest forecast's share lands 95% of the time, given the clustering."""
        if self.n == 0:
            return (float("nan"), float("nan"))
        half = _Z95 * float(np.sqrt(self.design_effect * self.level * (1.0 - self.level) / self.n))
        return (max(0.0, self.level - half), min(1.0, self.level + half))

    @property
    def honest_clustered(self) -> bool:
        """True when `covered` is inside `clustered_interval`."""
        lo, hi = self.clustered_interval
        return lo <= self.covered <= hi


#: The standard normal's 97.5% quantile.
_Z95 = float(-np.sqrt(2.0) * special.erfcinv(2.0 * 0.975))


def design_effect(indicators: np.ndarray, clusters: np.ndarray | None, p: float | None = None) -> float:
    """Variance inflation of the share of `indicators` from their clustering (>= 1).

    Parameters
    ----------
    indicators : ndarray of bool, shape (n,)
    clusters : ndarray, shape (n,), optional
        The group of each indicator (None: independent, design effect 1).
    p : float, optional
        The share the variance is taken around (default: the observed share).

    Returns
    -------
    float
        ``G / (G - 1) * sum_g (k_g - p n_g)**2 / n**2`` divided by ``p (1 - p) / n``, floored
        at 1; 1 with fewer than 2 groups or ``p`` at 0 or 1.
    """
    x = np.asarray(indicators, dtype=float)
    n = x.size
    if clusters is None or n == 0:
        return 1.0
    share = float(x.mean()) if p is None else float(p)
    if not 0.0 < share < 1.0:
        return 1.0
    _, g = np.unique(np.asarray(clusters), return_inverse=True)
    groups = int(g.max()) + 1
    if groups < 2:
        return 1.0
    resid = np.bincount(g, weights=x - share, minlength=groups)
    var = groups / (groups - 1) * float(np.sum(resid**2)) / n**2
    return max(1.0, var / (share * (1.0 - share) / n))


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval of the share ``k / n`` (``(nan, nan)`` for ``n = 0``)."""
    if n == 0:
        return (float("nan"), float("nan"))
    a = (1.0 - confidence) / 2.0
    lo = float(_beta_ppf(a, k, n - k + 1)) if k > 0 else 0.0
    hi = float(_beta_ppf(1.0 - a, k + 1, n - k)) if k < n else 1.0
    return (lo, hi)


def nominal_interval(p: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Central interval of ``Binomial(n, p) / n``: an honest forecast's coverage range."""
    if n == 0:
        return (float("nan"), float("nan"))
    a = (1.0 - confidence) / 2.0
    return (float(_binom_ppf(a, n, p)) / n, float(_binom_ppf(1.0 - a, n, p)) / n)


def coverage(quantiles: np.ndarray, outcomes: np.ndarray, level: float, clusters: np.ndarray | None = None) -> Coverage:
    """Coverage of the ``level`` quantiles (shape (n,)) by the outcomes (shape (n,)).

    `clusters` (shape (n,)): each window's group, for the design effect (None: independent).
    """
    hits = np.asarray(outcomes) <= np.asarray(quantiles)
    n, k = int(hits.size), int(hits.sum())
    share = k / n if n else float("nan")
    deff = design_effect(hits, clusters, level)
    return Coverage(float(level), share, clopper_pearson(k, n), nominal_interval(level, n), deff, n)


def pit_values(samples: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """PIT of each outcome under its window's samples (shapes (n, trials) and (n,)), in [0, 1]."""
    s = np.asarray(samples)
    y = np.asarray(outcomes)[:, None]
    below = (s < y).mean(axis=1)
    equal = (s == y).mean(axis=1)
    return below + 0.5 * equal


def pit_histogram(pit: np.ndarray, bins: int = PIT_BINS) -> np.ndarray:
    """Counts of PIT values in `bins` equal bins of [0, 1] (1.0 falls in the last)."""
    idx = np.minimum((np.asarray(pit) * bins).astype(int), bins - 1)
    return np.bincount(idx, minlength=bins)


def pit_design_effect(pit: np.ndarray, clusters: np.ndarray | None, bins: int = PIT_BINS) -> float:
    """Rao-Scott's mean design effect of the PIT histogram's bins (>= 1; module docstring)."""
    if clusters is None:
        return 1.0
    idx = np.minimum((np.asarray(pit) * bins).astype(int), bins - 1)
    p = 1.0 / bins
    mean = sum((1.0 - p) * design_effect(idx == j, clusters, p) for j in range(bins)) / (bins - 1)
    return max(1.0, mean)


def chi_square_flat(counts: np.ndarray) -> float:
    """Pearson chi-square of histogram counts against equal expected counts (nan if empty)."""
    c = np.asarray(counts, dtype=float)
    total = c.sum()
    if total == 0:
        return float("nan")
    expected = total / c.size
    return float(((c - expected) ** 2 / expected).sum())


def pinball(quantiles: np.ndarray, outcomes: np.ndarray, levels: tuple[float, ...] = PINBALL_LEVELS) -> float:
    """Mean pinball loss over windows and `levels`; `quantiles` has shape (n, len(levels))."""
    q = np.asarray(quantiles, dtype=float)
    y = np.asarray(outcomes, dtype=float)[:, None]
    tau = np.asarray(levels, dtype=float)[None, :]
    diff = y - q
    return float(np.mean(np.maximum(tau * diff, (tau - 1.0) * diff)))


@dataclass(frozen=True)
class Scores:
    """All scores of a set of windows (see the module docstring).

    Attributes
    ----------
    windows : int
    coverage : tuple of Coverage
        One per `COVERAGE_LEVELS`.
    pit_counts : tuple of int
        PIT histogram, `PIT_BINS` bins.
    pit_chi_square : float
    pinball : float
        Mean pinball loss of the forecasts, on the sum-of-estimates scale.
    pinball_estimates : float
        The same for the plain sum of estimates (the reference).
    reliability : tuple of Coverage
        Coverage of every level of `SUMMARY_LEVELS` (P10 .. P90), for a reliability plot.
    pit_design_effect : float
        Rao-Scott's mean design effect of the PIT bins (1 without clusters).
    """

    windows: int
    coverage: tuple[Coverage, ...]
    pit_counts: tuple[int, ...]
    pit_chi_square: float
    pinball: float
    pinball_estimates: float
    reliability: tuple[Coverage, ...] = ()
    pit_design_effect: float = 1.0

    @property
    def pit_chi_square_clustered(self) -> float:
        """The PIT chi-square divided by `pit_design_effect` (read against `PIT_CRITICAL`)."""
        return self.pit_chi_square / self.pit_design_effect

    @property
    def pinball_skill(self) -> float:
        """``1 - pinball / pinball_estimates``: above 0 beats the sum of estimates."""
        return 1.0 - self.pinball / self.pinball_estimates if self.pinball_estimates > 0 else float("nan")

    def as_dict(self) -> dict:
        """JSON-ready form (plain floats and lists)."""
        return {
            "windows": self.windows,
            "coverage": {
                f"p{round(c.level * 100)}": {
                    "covered": c.covered,
                    "interval": list(c.interval),
                    "nominal_interval": list(c.nominal_interval),
                    "honest": c.honest,
                    "design_effect": c.design_effect,
                    "clustered_interval": list(c.clustered_interval),
                    "honest_clustered": c.honest_clustered,
                }
                for c in self.coverage
            },
            "pit_counts": list(self.pit_counts),
            "pit_chi_square": self.pit_chi_square,
            "pit_design_effect": self.pit_design_effect,
            "pit_chi_square_clustered": self.pit_chi_square_clustered,
            "pit_critical": PIT_CRITICAL,
            "pinball": self.pinball,
            "pinball_sum_of_estimates": self.pinball_estimates,
            "pinball_skill": self.pinball_skill,
        }


def summarize(samples: np.ndarray, outcomes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What scoring needs of each window's samples: its quantiles and the outcome's PIT.

    Parameters
    ----------
    samples : ndarray, shape (n, trials)
    outcomes : ndarray, shape (n,)

    Returns
    -------
    (quantiles, pit)
        ``quantiles`` of shape (n, len(SUMMARY_LEVELS)), ``pit`` of shape (n,).
    """
    s = np.asarray(samples, dtype=float)
    return np.quantile(s, SUMMARY_LEVELS, axis=1).T, pit_values(s, outcomes)


def score_summaries(
    quantiles: np.ndarray,
    pit: np.ndarray,
    outcomes: np.ndarray,
    estimates: np.ndarray,
    clusters: np.ndarray | None = None,
) -> Scores:
    """Score windows from their `summarize` output (see `score_windows`); `clusters`: each
    window's group, for the design effects (None: independent windows)."""
    y = np.asarray(outcomes, dtype=float)
    e = np.asarray(estimates, dtype=float)
    n = int(y.size)
    if n == 0:
        nan = float("nan")
        empty = np.empty(0)
        return Scores(0, tuple(coverage(empty, empty, p) for p in COVERAGE_LEVELS), (0,) * PIT_BINS, nan, nan, nan)
    q = np.asarray(quantiles, dtype=float).reshape(n, len(SUMMARY_LEVELS))
    col = {p: i for i, p in enumerate(SUMMARY_LEVELS)}
    cov = tuple(coverage(q[:, col[p]], y, p, clusters) for p in COVERAGE_LEVELS)
    counts = pit_histogram(pit)
    scaled_y = y / e
    return Scores(
        n,
        cov,
        tuple(int(c) for c in counts),
        chi_square_flat(counts),
        pinball(q[:, [col[p] for p in PINBALL_LEVELS]] / e[:, None], scaled_y),
        pinball(np.ones((n, len(PINBALL_LEVELS))), scaled_y),
        tuple(coverage(q[:, col[p]], y, p, clusters) for p in SUMMARY_LEVELS),
        pit_design_effect(pit, clusters),
    )


def score_windows(samples: np.ndarray, outcomes: np.ndarray, estimates: np.ndarray) -> Scores:
    """Score forecasts of `outcomes` against their samples and the plain sums of estimates.

    Parameters
    ----------
    samples : ndarray, shape (n, trials)
        Forecast samples per window.
    outcomes : ndarray, shape (n,)
        What happened, the unit of `samples`.
    estimates : ndarray, shape (n,)
        The plain sum of estimates per window (> 0), the reference forecast and the scale.
    """
    q, pit = summarize(samples, outcomes)
    return score_summaries(q, pit, outcomes, estimates)
