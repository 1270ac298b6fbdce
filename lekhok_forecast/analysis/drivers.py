"""Critical drivers: criticality index and rank-correlation sensitivity per task, workstream
capacity and risk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lekhok_forecast.analysis.ranks import spearman_rows
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan

if TYPE_CHECKING:
    import pandas as pd


def task_estimates(result: SimulationResult) -> np.ndarray:
    """Each task's own sampled estimate in the sample: effort hours or duration weeks.

    The engine's draw before any common factor or risk impact (its calibration ratio
    included; 0 for a done task), so a risk or factor shared by several tasks is not
    counted into each of them: each has its own row (`risk_drivers`, `factor_sensitivity`). Tasks on the first axis, the `sample_trials` trials on the last.
    """
    _check_driver_samples(result)
    return result.sample_estimates.astype(np.float64)


def _check_driver_samples(result: SimulationResult) -> None:
    if result.sample_estimates.shape[1] != result.sample_trials:
        raise ValueError("the simulation kept no driver samples (simulate(..., drivers=False))")


def spearman_sensitivity(result: SimulationResult) -> np.ndarray:
    """Spearman rank correlation of each task's own estimate with the project finish.

    The estimate is the task's own sampled effort (effort tasks) or duration (duration
    tasks), without common factors and risk impacts (`task_estimates`). Computed on the engine's sample of
    full schedules (the first `sample_trials` trials); its standard error is about
    ``1 / sqrt(sample_trials - 1)`` (0.007 at 20,000). A task whose estimate cannot vary
    (fixed and not calibrated, or done) gets exactly 0.
    """
    n = result.sample_trials
    if n < 3:
        return np.zeros(len(result.plan.tasks))
    _check_driver_samples(result)
    return spearman_rows(result.sample_estimates, result.finish_weeks[:n])


@dataclass(frozen=True)
class RiskDrivers:
    """What each risk does to the finish, from the engine's sample.

    Only risks that can move the finish are listed: probability above 0 and at least one
    task left to hit (a re-forecast's done tasks are not hit).

    Attributes
    ----------
    ids : tuple of str
        Risk ids, in plan order.
    sensitivity : ndarray (risks,)
        Spearman rho of the finish with the risk's sampled impact in hours (0 in the
        trials where it did not fire): whether it fired and by how much, ranked together.
        0 when it never fired in the sample.
    fire_rate : ndarray (risks,)
        Share of the sampled trials in which it fired (its probability, within
        ``sqrt(p (1 - p) / sample_trials)``).
    mean_delay_weeks : ndarray (risks,)
        Mean finish when it fired minus mean finish when it did not, in weeks: the mean
        delay it causes, since a risk fires independently of every other draw. NaN when
        it fired in all or none of the sampled trials.
    """

    ids: tuple[str, ...]
    sensitivity: np.ndarray
    fire_rate: np.ndarray
    mean_delay_weeks: np.ndarray

    def __str__(self) -> str:
        rows = [
            f"{rid}: rho {rho:+.2f}, fires {p:.0%}, mean delay {d:+.2f} weeks"
            for rid, rho, p, d in zip(self.ids, self.sensitivity, self.fire_rate, self.mean_delay_weeks)
        ]
        return "RiskDrivers(" + ("; ".join(rows) or "no risk can move the finish") + ")"


def risk_drivers(result: SimulationResult) -> RiskDrivers:
    """Per risk: sensitivity of the finish to its impact, fire rate and mean delay (`RiskDrivers`)."""
    _check_driver_samples(result)
    plan = result.plan
    done = {t.id for t, s in zip(plan.tasks, result.as_of.states(plan)) if s.done}
    keep = [k for k, r in enumerate(plan.risks) if r.probability > 0 and any(t not in done for t in r.tasks)]
    n = result.sample_trials
    finish = result.finish_weeks[:n]
    fired = result.sample_risk_fired[keep]
    rho = spearman_rows(result.sample_risk_hours[keep], finish) if n >= 3 and keep else np.zeros(len(keep))
    hits = fired.sum(axis=1)
    fire_rate = hits / n if n else np.full(len(keep), np.nan)
    delay = np.full(len(keep), np.nan)
    for i in np.flatnonzero((hits > 0) & (hits < n)):
        delay[i] = finish[fired[i]].mean() - finish[~fired[i]].mean()
    return RiskDrivers(tuple(plan.risks[k].id for k in keep), rho, fire_rate, delay)


def factor_sensitivity(result: SimulationResult) -> dict[str, float]:
    """Spearman rho of the finish with each common factor's multiplier, by factor name.

    A common factor (the plan's ``correlation:`` overrun or group, the calibration's
    level) multiplies several tasks' estimates by one draw per trial; like a shared risk
    it is one driver row of its own, never counted into each task's row. Names as in
    `SimulationResult.factor_names`; empty without common factors.
    """
    _check_driver_samples(result)
    n = result.sample_trials
    if n < 3 or not result.factor_names:
        return dict.fromkeys(result.factor_names, 0.0)
    rho = spearman_rows(result.sample_factors, result.finish_weeks[:n])
    return {name: float(r) for name, r in zip(result.factor_names, rho)}


def factor_label(plan: Plan, name: str) -> str:
    """A common factor's row label: ``overrun``, ``group<k>`` or ``calibration`` in words."""
    if name == "overrun":
        return "Plan-wide overrun (correlation)"
    if name == "calibration":
        return "Calibration level (shared by calibrated tasks)"
    k = int(name.removeprefix("group"))
    tasks = plan.correlation.groups[k - 1].tasks
    shown = ", ".join(tasks[:3]) + (", ..." if len(tasks) > 3 else "")
    return f"Correlated group {k} ({shown})"


def capacity_sensitivity(result: SimulationResult) -> pd.Series:
    """Spearman rho of each workstream's weekly capacity with the finish (negative: more is faster)."""
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    plan = result.plan
    n = result.sample_trials
    if n < 3 or not plan.workstreams:
        return pd.Series(dtype=float)
    rho = spearman_rows(result.sample_capacity, result.finish_weeks[:n])
    return pd.Series(rho, index=[w.id for w in plan.workstreams], name="sensitivity")


def driver_table(
    result: SimulationResult, top: int | None = None, include_capacity: bool = True, include_risks: bool = True
) -> pd.DataFrame:
    """Every driver of the finish (tasks, workstream capacities, risks), most influential first.

    A task's row measures its own estimate only (`spearman_sensitivity`); each common
    factor (``factor:<name>``, `factor_sensitivity`) has a row of its own. With
    `include_capacity`, one row per workstream (``capacity:<id>``) gives the sensitivity
    to that workstream's weekly hours; workstreams that share one team draw carry the
    same correlation. With `include_risks`, one row per risk that can move the finish
    (``risk:<id>``, `risk_drivers`).

    Columns: ``kind`` (``task``, ``capacity``, ``risk`` or ``factor``), ``name``, ``phase``,
    ``criticality`` (share of trials on a longest path; NaN for other kinds),
    ``sensitivity`` (Spearman rho with the finish), ``mean_weeks``, ``p10_weeks``,
    ``p90_weeks`` (task duration in the sample, risk impact included), ``fire_rate`` and
    ``mean_delay_weeks`` (risks only). Sorted by ``|sensitivity|`` then file order.
    """
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    plan = result.plan
    d = result.sample_duration_weeks
    frames = [
        pd.DataFrame(
            {
                "task": [t.id for t in plan.tasks],
                "kind": "task",
                "name": [t.name for t in plan.tasks],
                "phase": [t.phase or "" for t in plan.tasks],
                "criticality": result.task_criticality,
                "sensitivity": spearman_sensitivity(result),
                "mean_weeks": d.mean(axis=1) if d.shape[1] else np.nan,
                "p10_weeks": np.percentile(d, 10, axis=1) if d.shape[1] else np.nan,
                "p90_weeks": np.percentile(d, 90, axis=1) if d.shape[1] else np.nan,
            }
        ).set_index("task")
    ]
    if include_capacity:
        cap = capacity_sensitivity(result)
        if len(cap):
            frames.append(
                pd.DataFrame(
                    {
                        "kind": "capacity",
                        "name": [f"{w.name} capacity (hours/week)" for w in plan.workstreams],
                        "phase": "",
                        "criticality": np.nan,
                        "sensitivity": cap.to_numpy(),
                    },
                    index=pd.Index([f"capacity:{w.id}" for w in plan.workstreams], name="task"),
                )
            )
    if include_risks:
        rd = risk_drivers(result)
        if rd.ids:
            names = {r.id: r.name for r in plan.risks}
            frames.append(
                pd.DataFrame(
                    {
                        "kind": "risk",
                        "name": [names[i] for i in rd.ids],
                        "phase": "",
                        "criticality": np.nan,
                        "sensitivity": rd.sensitivity,
                        "fire_rate": rd.fire_rate,
                        "mean_delay_weeks": rd.mean_delay_weeks,
                    },
                    index=pd.Index([f"risk:{i}" for i in rd.ids], name="task"),
                )
            )
    factors = factor_sensitivity(result)
    if factors:
        frames.append(
            pd.DataFrame(
                {
                    "kind": "factor",
                    "name": [factor_label(plan, f) for f in factors],
                    "phase": "",
                    "criticality": np.nan,
                    "sensitivity": list(factors.values()),
                },
                index=pd.Index([f"factor:{f}" for f in factors], name="task"),
            )
        )
    df = pd.concat(frames)
    for col in ("fire_rate", "mean_delay_weeks"):
        if col not in df:
            df[col] = np.nan
    df = df.reindex(df["sensitivity"].abs().sort_values(ascending=False, kind="stable").index)
    return df.head(top) if top else df


def criticality_counts(drivers: pd.DataFrame) -> dict[str, int]:
    """How many tasks of a `driver_table` are on the critical path ``always`` (>= 99.9% of
    trials), ``sometimes`` and ``never`` (<= 0.1%); rows without a criticality (capacity,
    risks) are not tasks and are left out."""
    crit = drivers["criticality"].dropna()
    always = int((crit >= 0.999).sum())
    never = int((crit <= 0.001).sum())
    return {"always": always, "sometimes": len(crit) - always - never, "never": never}
