"""Backtest of the calibration: replay finished work window by window and score the forecasts.

Windows
    Tasks are taken per group (all tasks, or one group per value of a label column such
    as ``person``), in replay order. Window ``w`` of a group uses tasks ``w*M .. w*M+K-1``
    as the evidence (the *history*, K done tasks) and forecasts the total actual effort of
    the next M tasks (the *horizon*) from their estimates. Windows step by M, so the
    outcomes of a group's windows do not overlap. A group with fewer than K + M tasks
    gives no window.

Methods (`METHODS`; each turns evidence into samples of the horizon's total)
    ``resample``
        The weekly re-forecast's rule, unchanged: the evidence is
        `lekhok_forecast.tracking.calibration.calibration_from_evidence` (ratio = actual /
        estimate, calibrated from `MIN_DONE_FOR_CALIBRATION` tasks on) and each task of the
        horizon is scaled, per trial, by one ratio drawn independently
        (`lekhok_forecast.core.ratios.resampled_ratios`, the engine's own function).
        Total = sum_j estimate_j * r_j.
    ``level``
        ``resample`` times one shared factor per trial, ``exp(sigma * z)``, z ~ N(0, 1):
        correlated overrun of all remaining tasks. ``sigma**2 = s**2 / K + LEVEL_DRIFT**2``,
        the uncertainty of the evidence's mean log ratio (``s``: the spread of the log ratios,
        shrunk toward `PRIOR_LOG_SD` with weight `PRIOR_WEIGHT` tasks) plus a drift of the
        level between past and future work.
    ``size``
        Size-aware evidence plus the shared factor: ``log r = a + b * log(estimate) + e``
        fitted on the evidence (least squares; slope ``w * b_ls + (1 - w) * PRIOR_SLOPE``
        with ``w = Sxx / (Sxx + PRIOR_WEIGHT)``, Sxx the sum of squared deviations of the
        log estimates); horizon task j gets ``exp(a + b log est_j + e* + sigma z)``
        with ``e*`` a residual drawn uniformly and ``z`` shared by the trial.

The outcomes are scored by `lekhok_forecast.analysis.scoring`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lekhok_forecast.analysis.scoring import Scores, score_summaries, summarize
from lekhok_forecast.core.ratios import resampled_ratios
from lekhok_forecast.tracking.calibration import MIN_DONE_FOR_CALIBRATION, calibration_from_evidence

#: Drift of the level (log scale) between past and future work; the extra spread the TSP
#: logs show beyond independent tasks (see benchmarks/BACKTEST.md).
LEVEL_DRIFT = 0.25
#: Spread of log(actual / estimate) assumed before evidence (log scale).
PRIOR_LOG_SD = 0.6
#: Slope of log ratio on log estimate assumed before evidence (small tasks overrun more).
PRIOR_SLOPE = -0.18
#: Weight of the priors, in tasks of evidence.
PRIOR_WEIGHT = 10.0
#: Windows scored per batch (bounds memory: batch x trials samples).
BATCH_WINDOWS = 256

Method = Callable[[np.ndarray, np.ndarray, np.ndarray, int, np.random.Generator], np.ndarray]


def _ratios(est: np.ndarray, act: np.ndarray) -> np.ndarray:
    """The calibration rule's ratios (float32, as the engine holds them); empty when not applied."""
    cal = calibration_from_evidence([""] * len(est), est.tolist(), act.tolist(), min_done=MIN_DONE_FOR_CALIBRATION)
    return np.asarray(cal.engine_ratios, dtype=np.float32)


def _resample_mult(ratios: np.ndarray, m: int, trials: int, rng: np.random.Generator) -> np.ndarray:
    u = rng.integers(0, 65536, (m, trials), dtype=np.uint16)
    return resampled_ratios(ratios, u).astype(np.float64)


def _level_sigma(log_r: np.ndarray) -> float:
    k = log_r.size
    s2 = float(np.var(log_r, ddof=1)) if k > 1 else 0.0
    s2 = ((k - 1) * s2 + PRIOR_WEIGHT * PRIOR_LOG_SD**2) / (k - 1 + PRIOR_WEIGHT)
    return math.sqrt(s2 / k + LEVEL_DRIFT**2)


def resample_method(
    est: np.ndarray, act: np.ndarray, future: np.ndarray, trials: int, rng: np.random.Generator
) -> np.ndarray:
    """Samples (trials,) of the horizon's total by the re-forecast's rule (module docstring)."""
    ratios = _ratios(est, act)
    if not ratios.size:
        return np.full(trials, float(future.sum()))
    return future @ _resample_mult(ratios, future.size, trials, rng)


def level_method(
    est: np.ndarray, act: np.ndarray, future: np.ndarray, trials: int, rng: np.random.Generator
) -> np.ndarray:
    """``resample`` times a shared lognormal factor per trial (module docstring)."""
    ratios = _ratios(est, act)
    if not ratios.size:
        return np.full(trials, float(future.sum()))
    base = future @ _resample_mult(ratios, future.size, trials, rng)
    return base * np.exp(_level_sigma(np.log(ratios.astype(np.float64))) * rng.standard_normal(trials))


def size_method(
    est: np.ndarray, act: np.ndarray, future: np.ndarray, trials: int, rng: np.random.Generator
) -> np.ndarray:
    """Size-aware log-ratio regression with a shared factor per trial (module docstring)."""
    ratios = _ratios(est, act)
    if not ratios.size:
        return np.full(trials, float(future.sum()))
    y = np.log(ratios.astype(np.float64))
    x = np.log(est[est > 0])
    sxx = float(((x - x.mean()) ** 2).sum())
    slope = float(((x - x.mean()) * (y - y.mean())).sum()) / sxx if sxx > 0 else PRIOR_SLOPE
    # Precision-weighted toward the prior: the slope's precision grows with sxx, the spread
    # of the log estimates; the prior counts as PRIOR_WEIGHT tasks one log unit apart.
    weight = sxx / (sxx + PRIOR_WEIGHT)
    b = weight * slope + (1.0 - weight) * PRIOR_SLOPE
    a = float(y.mean() - b * x.mean())
    resid = (y - a - b * x).astype(np.float32)
    e = _resample_mult(resid, future.size, trials, rng)
    z = rng.standard_normal(trials)
    logm = a + b * np.log(future)[:, None] + e + _level_sigma(resid.astype(np.float64)) * z[None, :]
    return (future[:, None] * np.exp(logm)).sum(axis=0)


#: Backtest methods by name; ``resample`` is the weekly re-forecast's calibration.
METHODS: dict[str, Method] = {"resample": resample_method, "level": level_method, "size": size_method}
DEFAULT_METHOD = "resample"


@dataclass(frozen=True)
class BacktestResult:
    """The scores of one backtest (see the module docstring).

    Attributes
    ----------
    method : str
    by : str or None
        The label column grouped by (None: one group).
    history, horizon : int
        K and M.
    trials, seed : int
    groups : int
        Groups with at least one window.
    groups_skipped : int
        Groups with fewer than K + M tasks.
    scores : Scores
    """

    method: str
    by: str | None
    history: int
    horizon: int
    trials: int
    seed: int
    groups: int
    groups_skipped: int
    scores: Scores

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "method": self.method,
            "by": self.by,
            "history": self.history,
            "horizon": self.horizon,
            "trials": self.trials,
            "seed": self.seed,
            "groups": self.groups,
            "groups_skipped": self.groups_skipped,
            **self.scores.as_dict(),
        }


def windows(groups: Sequence[np.ndarray], history: int, horizon: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(history indices, horizon indices) of every window, group by group (module docstring)."""
    out = []
    for idx in groups:
        for start in range(0, len(idx) - history - horizon + 1, horizon):
            out.append((idx[start : start + history], idx[start + history : start + history + horizon]))
    return out


def backtest(
    estimates: np.ndarray,
    actuals: np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    order: np.ndarray | None = None,
    history: int = 10,
    horizon: int = 5,
    method: str = DEFAULT_METHOD,
    trials: int = 2000,
    seed: int = 1,
    by: str | None = None,
) -> BacktestResult:
    """Replay finished tasks window by window with `method` and score the forecasts.

    Parameters
    ----------
    estimates, actuals : ndarray, shape (n,)
        Estimate and actual effort per task (one unit, > 0).
    labels : sequence of str, optional
        Group of each task (None: one group).
    order : ndarray of int, optional
        Replay order (task indices); default the given order.
    history, horizon : int
        K done tasks forecast the total of the next M.
    method : str
        A key of `METHODS`.
    trials, seed : int
        Monte Carlo samples per window and the seed of the whole replay.
    by : str, optional
        The label column's name, only recorded in the result.

    Raises
    ------
    ValueError
        For an unknown method or K, M, trials below 1.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if history < 1 or horizon < 1 or trials < 1:
        raise ValueError("history, horizon and trials must be >= 1")
    est = np.asarray(estimates, dtype=float)
    act = np.asarray(actuals, dtype=float)
    idx = np.arange(est.size) if order is None else np.asarray(order, dtype=int)
    if labels is None:
        groups = [idx]
    else:
        lab = np.asarray(labels, dtype=object)[idx]
        groups = [idx[lab == g] for g in dict.fromkeys(lab.tolist())]  # first-seen order
    wins = windows(groups, history, horizon)
    fn = METHODS[method]
    rng = np.random.default_rng(seed)
    qs, pits, outcomes, sums = [], [], [], []
    for b in range(0, len(wins), BATCH_WINDOWS):
        batch = wins[b : b + BATCH_WINDOWS]
        samples = np.stack([fn(est[h], act[h], est[f], trials, rng) for h, f in batch])
        y = np.array([act[f].sum() for _, f in batch])
        q, pit = summarize(samples, y)
        qs.append(q)
        pits.append(pit)
        outcomes.append(y)
        sums.append(np.array([est[f].sum() for _, f in batch]))
    cat = lambda parts, shape: np.concatenate(parts) if parts else np.empty(shape)  # noqa: E731
    scores = score_summaries(cat(qs, (0, 0)), cat(pits, 0), cat(outcomes, 0), cat(sums, 0))
    used = sum(1 for g in groups if len(g) >= history + horizon)
    return BacktestResult(method, by, history, horizon, trials, seed, used, len(groups) - used, scores)
