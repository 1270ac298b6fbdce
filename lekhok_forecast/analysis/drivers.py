"""Critical drivers: criticality index and rank-correlation sensitivity per task."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lekhok_forecast.core.asof import AsOf
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan

if TYPE_CHECKING:
    import pandas as pd


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks along the last axis (ties share their mean rank), as float64.

    Exactly ``scipy.stats.rankdata(x, axis=-1)`` (ranks and tie means are exact
    half-integers), about five times faster on the sensitivity sample: rows are ranked
    a few at a time so every temporary stays small and in cache.
    """
    x = np.asarray(x)
    if x.ndim == 0 or x.shape[-1] == 0 or np.isnan(x).any():
        from scipy.stats import rankdata

        return rankdata(x, axis=-1).astype(np.float64)
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty(rows.shape, dtype=np.float64)
    block = max(1, (1 << 18) // rows.shape[1])
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


def _spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rho of each row of `x` with `y` (0 for constant rows)."""
    rx = _ranks(x)
    ry = _ranks(y)
    rx -= rx.mean(axis=1, keepdims=True)
    ry = ry - ry.mean()
    num = rx @ ry
    # Row sums of squares a few rows at a time (each row's sum is the same pairwise sum;
    # a full rx * rx temporary would be as large as the sample).
    ss = np.empty(rx.shape[0])
    block = max(1, (1 << 18) // max(rx.shape[1], 1))
    for a in range(0, rx.shape[0], block):
        part = rx[a : a + block]
        np.sum(part * part, axis=1, out=ss[a : a + block])
    den = np.sqrt(ss * (ry @ ry))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, 0.0)


def task_estimates(result: SimulationResult) -> np.ndarray:
    """Each task's own sampled estimate in the sample: effort hours or duration weeks.

    Effort hours are recovered as duration x the workstream's capacity, so the shared
    capacity draw (which moves every effort task's duration together) does not make
    every task look like a driver.
    """
    plan = result.plan
    est = result.sample_duration_weeks.astype(np.float64)
    ws = plan.workstream_index()
    for t, task in enumerate(plan.tasks):
        if task.workstream is not None:
            est[t] *= result.sample_capacity[ws[task.workstream]]
    return est


def spearman_sensitivity(result: SimulationResult) -> np.ndarray:
    """Spearman rank correlation of each task's own estimate with the project finish.

    The estimate is the task's sampled effort (effort tasks) or duration (duration
    tasks), risk impacts included. Computed on the engine's sample of full schedules
    (the first `sample_trials` trials); its standard error is about
    ``1 / sqrt(sample_trials - 1)`` (0.007 at 20,000). Tasks with a constant estimate get 0.
    """
    n = result.sample_trials
    if n < 3:
        return np.zeros(len(result.plan.tasks))
    rho = _spearman_rows(task_estimates(result), result.finish_weeks[:n])
    # A constant estimate recovered as float32 finish - start carries rounding noise that
    # grows with the start week, which ranks as a spurious correlation: zero it.
    rho[_constant_estimates(result.plan, result.as_of)] = 0.0
    return rho


def _constant_estimates(plan: Plan, as_of: AsOf) -> np.ndarray:
    """True for tasks whose estimate cannot vary: done, or fixed with no risk that can hit
    them and not calibrated."""
    hit = {tid for risk in plan.risks if risk.probability > 0 for tid in risk.tasks}
    calibrated = bool(as_of.calibration_ratios)
    return np.array(
        [
            state.done or (not task.estimate.is_random and task.id not in hit and not (state.calibrate and calibrated))
            for task, state in zip(plan.tasks, as_of.states(plan))
        ],
        dtype=bool,
    )


def capacity_sensitivity(result: SimulationResult) -> pd.Series:
    """Spearman rho of each workstream's weekly capacity with the finish (negative: more is faster)."""
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    plan = result.plan
    n = result.sample_trials
    if n < 3 or not plan.workstreams:
        return pd.Series(dtype=float)
    rho = _spearman_rows(result.sample_capacity.astype(np.float64), result.finish_weeks[:n])
    return pd.Series(rho, index=[w.id for w in plan.workstreams], name="sensitivity")


def driver_table(result: SimulationResult, top: int | None = None, include_capacity: bool = True) -> pd.DataFrame:
    """Per task: criticality index, sensitivity and mean duration, most influential first.

    With `include_capacity`, one row per workstream (``capacity:<id>``) gives the
    sensitivity to that workstream's weekly hours (criticality is NaN there); workstreams
    that share one team draw carry the same correlation.

    Columns: ``name``, ``phase``, ``criticality`` (share of trials on a longest path),
    ``sensitivity`` (Spearman rho with the finish), ``mean_weeks``, ``p10_weeks``,
    ``p90_weeks`` (duration in the sample). Sorted by ``|sensitivity|`` then criticality.
    """
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    plan = result.plan
    d = result.sample_duration_weeks
    df = pd.DataFrame(
        {
            "task": [t.id for t in plan.tasks],
            "name": [t.name for t in plan.tasks],
            "phase": [t.phase or "" for t in plan.tasks],
            "criticality": result.task_criticality,
            "sensitivity": spearman_sensitivity(result),
            "mean_weeks": d.mean(axis=1) if d.shape[1] else np.nan,
            "p10_weeks": np.percentile(d, 10, axis=1) if d.shape[1] else np.nan,
            "p90_weeks": np.percentile(d, 90, axis=1) if d.shape[1] else np.nan,
        }
    ).set_index("task")
    if include_capacity:
        cap = capacity_sensitivity(result)
        if len(cap):
            extra = pd.DataFrame(
                {
                    "name": [f"{w.name} capacity (hours/week)" for w in plan.workstreams],
                    "phase": "",
                    "criticality": np.nan,
                    "sensitivity": cap.to_numpy(),
                },
                index=pd.Index([f"capacity:{w.id}" for w in plan.workstreams], name="task"),
            )
            df = pd.concat([df, extra])
    df = df.reindex(df["sensitivity"].abs().sort_values(ascending=False, kind="stable").index)
    return df.head(top) if top else df


def criticality_counts(drivers: pd.DataFrame) -> dict[str, int]:
    """How many tasks of a `driver_table` are on the critical path ``always`` (>= 99.9% of
    trials), ``sometimes`` and ``never`` (<= 0.1%); rows without a criticality (capacity)
    are not tasks and are left out."""
    crit = drivers["criticality"].dropna()
    always = int((crit >= 0.999).sum())
    never = int((crit <= 0.001).sum())
    return {"always": always, "sometimes": len(crit) - always - never, "never": never}
