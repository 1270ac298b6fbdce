"""Backtest of the calibration: replay finished work window by window and score the forecasts.

Windows
    Tasks are taken per group (all tasks, or one group per value of a label column such
    as ``person``), in replay order. Window ``w`` of a group uses tasks ``w*M .. w*M+K-1``
    as the evidence (the *history*, K done tasks) and forecasts the total actual effort of
    the next M tasks (the *horizon*) from their estimates. Windows step by M, so the
    outcomes of a group's windows do not overlap. A group with fewer than K + M tasks
    gives no window. *Expanding* windows (``expanding=True``) use every task before the
    horizon as the evidence, as the weekly re-forecast does: window ``w`` forecasts tasks
    ``K + w*M .. K + w*M + M - 1`` from tasks ``0 .. K + w*M - 1``.

The project's own history (`project_history`, `project_backtest`)
    The done effort tasks of a project's actuals, in finish order, with the calibration's
    evidence (most likely hours, actual hours; `calibration_from_actuals`), replayed with
    expanding windows of one task: each done task from the `MIN_DONE_FOR_CALIBRATION` + 1-th
    on is forecast from the ones done before it.

Methods (`METHODS`, the calibration's own: `lekhok_forecast.core.ratios.RATIO_METHODS`)
    Each window's evidence goes through the weekly re-forecast's rule,
    `lekhok_forecast.tracking.calibration.calibration_from_evidence` (ratio = actual /
    estimate, calibrated from `MIN_DONE_FOR_CALIBRATION` tasks
    on, the method's
    `lekhok_forecast.core.ratios.RatioModel`), and each task ``j`` of the horizon is
    scaled per trial as the engine scales a calibrated task: ``task_scale(est_j)`` times
    one draw of the model's ratios (`resampled_ratios`) times the trial's common factor
    (`lognormal_factor`), the engine's own functions on 16-bit uniform draws. Total =
    ``sum_j estimate_j * multiplier_j``. With too little evidence the forecast is the
    plain sum of estimates, as in the re-forecast.

The outcomes are scored by `lekhok_forecast.analysis.scoring`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lekhok_forecast.analysis.scoring import Scores, score_summaries, summarize
from lekhok_forecast.core.actuals import WeeklyActuals
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.core.ratios import (
    DEFAULT_RATIO_METHOD,
    RATIO_METHODS,
    lognormal_factor,
    resampled_ratios,
    task_scale,
)
from lekhok_forecast.sources.task_history_file import TaskHistory
from lekhok_forecast.tracking.calibration import (
    MIN_DONE_FOR_CALIBRATION,
    calibration_from_actuals,
    calibration_from_evidence,
)

#: Windows scored per batch (bounds memory: batch x trials samples).
BATCH_WINDOWS = 256
#: Windows a project's own replay needs before the report judges its honesty.
MIN_WINDOWS_FOR_HONESTY = 10
#: Backtest methods by name: the calibration's methods.
METHODS = tuple(RATIO_METHODS)
DEFAULT_METHOD = DEFAULT_RATIO_METHOD


def horizon_samples(
    method: str,
    est: np.ndarray,
    act: np.ndarray,
    future: np.ndarray,
    trials: int,
    rng: np.random.Generator,
    groups: tuple[Sequence[str], Sequence[str]] | None = None,
) -> np.ndarray:
    """Samples (trials,) of the horizon's total effort forecast from one window's evidence.

    Parameters
    ----------
    method : str
        A key of `METHODS`.
    est, act : ndarray, shape (k,)
        Estimates and actuals of the evidence (one unit, > 0).
    future : ndarray, shape (m,)
        Estimates of the horizon's tasks (same unit).
    trials : int
    rng : numpy.random.Generator
        Draws the 16-bit uniforms: one per horizon task and trial, then one per trial for
        the common factor (only when the model has one).
    groups : (sequence of str, sequence of str), optional
        The group (e.g. person) of each evidence task and of each horizon task, for the
        ``workstream`` method (None: one group).
    """
    hist_groups, future_groups = groups if groups is not None else (None, None)
    cal = calibration_from_evidence([""] * len(est), est.tolist(), act.tolist(), method=method, groups=hist_groups)
    model = cal.model
    if model is None:
        return np.full(trials, float(future.sum()))
    u = rng.integers(0, 65536, (future.size, trials), dtype=np.uint16)
    mult = resampled_ratios(np.asarray(model.ratios, dtype=np.float32), u)
    if model.scales_by_size:
        mult *= task_scale(model, future, future_groups)[:, None]
    if model.sigma > 0:
        mult *= lognormal_factor(model.sigma, rng.integers(0, 65536, trials, dtype=np.uint16))[None, :]
    return future @ mult.astype(np.float64)


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
    expanding : bool
        True when the evidence was every task before the horizon (K: the first window's).
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
    expanding: bool = False

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
            "expanding": self.expanding,
            **self.scores.as_dict(),
        }


def windows(
    groups: Sequence[np.ndarray], history: int, horizon: int, *, expanding: bool = False
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(history indices, horizon indices) of every window, group by group (module docstring)."""
    out = []
    for idx in groups:
        for start in range(0, len(idx) - history - horizon + 1, horizon):
            first = 0 if expanding else start
            out.append((idx[first : start + history], idx[start + history : start + history + horizon]))
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
    expanding: bool = False,
    within: Sequence[str] | None = None,
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
    expanding : bool
        Use every task before the horizon as the evidence (module docstring).
    within : sequence of str, optional
        A second label of each task (e.g. the person, with `labels` the project): the
        groups the ``workstream`` method shrinks toward the window's pooled level.

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
    per_group = [windows([g], history, horizon, expanding=expanding) for g in groups]
    wins = [w for ws in per_group for w in ws]
    # each window's group: windows of one group share its level (scoring's design effects)
    clusters = np.repeat(np.arange(len(groups)), [len(ws) for ws in per_group])
    sub = None if within is None else np.asarray(within, dtype=object)
    rng = np.random.default_rng(seed)
    qs, pits, outcomes, sums = [], [], [], []
    for b in range(0, len(wins), BATCH_WINDOWS):
        batch = wins[b : b + BATCH_WINDOWS]
        samples = np.stack(
            [
                horizon_samples(method, est[h], act[h], est[f], trials, rng, None if sub is None else (sub[h], sub[f]))
                for h, f in batch
            ]
        )
        y = np.array([act[f].sum() for _, f in batch])
        q, pit = summarize(samples, y)
        qs.append(q)
        pits.append(pit)
        outcomes.append(y)
        sums.append(np.array([est[f].sum() for _, f in batch]))
    cat = lambda parts, shape: np.concatenate(parts) if parts else np.empty(shape)  # noqa: E731
    scores = score_summaries(cat(qs, (0, 0)), cat(pits, 0), cat(outcomes, 0), cat(sums, 0), clusters)
    used = sum(1 for g in groups if len(g) >= history + horizon)
    return BacktestResult(method, by, history, horizon, trials, seed, used, len(groups) - used, scores, expanding)


def project_history(plan: Plan, actuals: WeeklyActuals | None) -> TaskHistory:
    """The done effort tasks of `actuals` as a task history, in finish order (module docstring).

    Estimates are the plan's most likely hours and actuals the hours worked, exactly the
    calibration's evidence; the label column ``workstream`` says whose work it was, and
    ``finish`` is the finish day when the plan has a start date.
    """
    cal = calibration_from_actuals(plan, actuals)
    rows = actuals.by_task() if actuals is not None else {}
    ws = {t.id: t.workstream or "" for t in plan.tasks}
    week = {tid: float(rows[tid].finish_week or 0.0) for tid in cal.tasks}
    order = sorted(range(cal.n_done), key=lambda i: (week[cal.tasks[i]], i))
    tasks = [cal.tasks[i] for i in order]
    days = [plan.date_of_week(week[t]) for t in tasks]
    finish = tuple(d for d in days if d is not None)
    return TaskHistory(
        file=str(actuals.week) if actuals is not None else "",
        estimates=np.array([cal.estimated_hours[i] for i in order], dtype=float),
        actuals=np.array([cal.actual_hours[i] for i in order], dtype=float),
        labels={"task": tuple(tasks), "workstream": tuple(ws[t] for t in tasks)},
        finish=finish if len(finish) == len(tasks) else None,
        lines=(),
    )


def project_backtest(
    plan: Plan, actuals: WeeklyActuals | None, *, method: str = DEFAULT_METHOD, trials: int = 2000, seed: int = 1
) -> BacktestResult:
    """Each done effort task (from the `MIN_DONE_FOR_CALIBRATION` + 1-th on) forecast from those done before it.

    The replay of the project's own work with the weekly re-forecast's rule (expanding
    windows of one task; each task's workstream is its group, as in the re-forecast); its
    scores say how honest the calibrated forecasts of single tasks have been so far.
    """
    hist = project_history(plan, actuals)
    return backtest(
        hist.estimates,
        hist.actuals,
        history=MIN_DONE_FOR_CALIBRATION,
        horizon=1,
        method=method,
        trials=trials,
        seed=seed,
        expanding=True,
        within=hist.labels["workstream"],
    )
