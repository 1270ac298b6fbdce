"""Budget analyses: total cost, weekly burn, and the joint cost-schedule confidence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from lekhok_forecast.analysis.ranks import sorted_percentiles
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import week_label

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class CostSummary:
    """The total-cost distribution.

    Attributes
    ----------
    mean, p50, p80, p90 : float
        In the plan's currency.
    budget : float or None
    p_within_budget : float or None
        P(total cost <= budget).
    joint_p_by : dict
        Deadline label -> P(finish <= deadline and cost <= budget).
    by_item : dict
        Cost id -> mean total of that item.
    """

    mean: float
    p50: float
    p80: float
    p90: float
    budget: float | None
    p_within_budget: float | None
    joint_p_by: dict[str, float]
    by_item: dict[str, float]

    def __str__(self) -> str:
        text = f"cost: mean {self.mean:,.0f}, P50 {self.p50:,.0f}, P90 {self.p90:,.0f}"
        if self.budget is not None:
            text += f"; P(<= budget {self.budget:,.0f}) {self.p_within_budget:.0%}"
        return text


def cost_item_means(result: SimulationResult) -> dict[str, float]:
    """Cost id -> the mean total of that cost item over the trials (plan currency), in plan order."""
    return {c.id: float(result.cost_by_item[i].mean()) for i, c in enumerate(result.plan.costs)}


def cost_summary(
    result: SimulationResult, deadlines: Iterable[float] | None = None, budget: float | None = None
) -> CostSummary:
    """Summarise total cost and, with a budget, the joint confidence per deadline.

    `deadlines` default to the plan's, `budget` (plan currency) to the plan's.
    """
    plan = result.plan
    deadlines = plan.deadlines if deadlines is None else tuple(deadlines)
    budget = plan.budget if budget is None else budget
    total = result.cost_total
    p50, p80, p90 = (float(x) for x in sorted_percentiles(result.sorted_cost_total, (50, 80, 90)))
    within: float | None = None
    joint: dict[str, float] = {}
    if budget is not None:
        ok = total <= budget
        within = float(ok.mean())
        joint = {week_label(d): float(np.mean(ok & (result.finish_weeks <= d))) for d in deadlines}
    return CostSummary(float(total.mean()), p50, p80, p90, budget, within, joint, cost_item_means(result))


def joint_quadrants(result: SimulationResult, deadline: float, budget: float | None = None) -> pd.DataFrame:
    """Shares of trials in the four quadrants of (finish vs deadline) x (cost vs budget)."""
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    budget = result.plan.budget if budget is None else budget
    if budget is None:
        raise ValueError("no budget: give one or set `budget` in the plan")
    on_time = result.finish_weeks <= deadline
    in_budget = result.cost_total <= budget
    return pd.DataFrame(
        {
            "within budget": [np.mean(on_time & in_budget), np.mean(~on_time & in_budget)],
            "over budget": [np.mean(on_time & ~in_budget), np.mean(~on_time & ~in_budget)],
        },
        index=pd.Index([f"by week {week_label(deadline)}", f"after week {week_label(deadline)}"], name="finish"),
    )


def burn_matrix(result: SimulationResult, weeks: np.ndarray) -> np.ndarray:
    """Cumulative spend at each of `weeks` in each sampled trial, shape (weeks, sample).

    Hourly costs accrue evenly over each effort task's duration (its hours times the
    rate); monthly costs accrue from their start to the project finish.
    """
    plan = result.plan
    n = result.sample_trials
    weeks = np.asarray(weeks, dtype=float)
    start = result.sample_start_weeks.astype(float)
    finish = result.sample_finish_weeks.astype(float)
    project = result.finish_weeks[:n]
    states = result.as_of.states(plan)
    out = np.zeros((weeks.size, n))
    tindex = plan.task_index()
    ws_index = plan.workstream_index()
    dur = finish - start
    # progress fraction of each task at each week: (weeks, tasks, sample) done per week to bound memory
    for c, cost in enumerate(plan.costs):
        rate = result.sample_cost_rates[c].astype(float)
        if cost.per_month is not None:
            since = start[tindex[cost.from_task]] if cost.from_task else np.zeros(n)
            for k, w in enumerate(weeks):
                out[k] += rate * (12 / 52) * np.clip(np.minimum(w, project) - since, 0, None)
            continue
        streams = set(cost.workstreams) if cost.workstreams is not None else set(ws_index)
        for t, task in enumerate(plan.tasks):
            if task.workstream is None or task.workstream not in streams:
                continue
            spent = states[t].hours_spent
            if states[t].done:
                task_hours = np.full(n, spent)
            else:
                task_hours = dur[t] * result.sample_capacity[ws_index[task.workstream]] + spent
            with np.errstate(invalid="ignore", divide="ignore"):
                for k, w in enumerate(weeks):
                    frac = np.where(dur[t] > 0, np.clip((w - start[t]) / dur[t], 0, 1), (w >= finish[t]).astype(float))
                    out[k] += rate * task_hours * frac
    return out


def burn_percentiles(
    result: SimulationResult, weeks: ArrayLike | None = None, percentiles: Sequence[int] = (10, 50, 90)
) -> pd.DataFrame:
    """Percentiles of cumulative spend by week (a fan chart), on the engine's sample.

    Parameters
    ----------
    weeks : array-like, optional
        Weeks to evaluate (default 0 .. ceil(P99 finish)).
    """
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    if weeks is None:
        end = int(np.ceil(sorted_percentiles(result.sorted_finish_weeks, (99,))[0]))
        weeks = np.arange(0, end + 1)
    weeks = np.asarray(weeks, dtype=float)
    m = burn_matrix(result, weeks)
    data = {"week": weeks}
    for p, v in zip(percentiles, np.percentile(m, percentiles, axis=1)):
        data[f"p{p}"] = v
    df = pd.DataFrame(data).set_index("week")
    if result.plan.budget is not None:
        df["p_over_budget"] = (m > result.plan.budget).mean(axis=1)
    return df
