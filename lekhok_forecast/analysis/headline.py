"""The headline numbers of one forecast: finish percentiles, deadlines, buffer, cost.

`headline_numbers` is the one place these are computed; the JSON summary, the forecast
history, the weekly comparison and the scenario comparison all take their numbers from
it and round (or rename) them as their output needs. Values are raw floats: weeks since
the plan's start, probabilities as fractions, costs in the plan's currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from lekhok_forecast.analysis.budget import cost_summary
from lekhok_forecast.analysis.schedule import finish_percentiles, p_finish_by
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan, week_label

#: Finish percentiles of the headline (the history and weekly comparison columns).
HEADLINE_PERCENTILES = (10, 50, 80, 90)


def buffered_weeks(plan: Plan) -> float:
    """``baseline_weeks x (1 + buffer)``: the planned finish with its buffer, in weeks.

    Raises
    ------
    ValueError
        If the plan has no ``baseline_weeks``.
    """
    if plan.baseline_weeks is None:
        raise ValueError("the plan has no baseline_weeks, so there is no buffer to size")
    return plan.baseline_weeks * (1 + plan.buffer)


def p_within_buffer(result: SimulationResult) -> float:
    """P(finish <= baseline x (1 + buffer)), a fraction: the planned buffer's confidence.

    Raises
    ------
    ValueError
        If the plan has no ``baseline_weeks``.
    """
    return float(np.mean(result.finish_weeks <= buffered_weeks(result.plan)))


def headline_numbers(
    result: SimulationResult,
    deadlines: Iterable[float] | None = None,
    percentiles: Sequence[int] = HEADLINE_PERCENTILES,
    budget: float | None = None,
) -> dict[str, float]:
    """The headline numbers of `result` as raw floats, keyed for the forecast history.

    Parameters
    ----------
    result : SimulationResult
    deadlines : sequence of float, optional
        Weeks to give P(finish <= week) for (default: the plan's deadlines).
    percentiles : sequence of int
        Finish percentiles to give (default 10, 50, 80, 90).
    budget : float, optional
        Budget (plan currency) for ``p_within_budget`` (default: the plan's).

    Returns
    -------
    dict
        ``mean`` and ``p<N>`` for each percentile (weeks), ``p_by_<deadline>`` for each
        deadline (a fraction; the key is the deadline as `week_label` writes it),
        ``p_within_buffer`` (when the plan has a baseline), ``cost_p50, cost_p80,
        cost_p90`` (when the plan has costs) and ``p_within_budget`` (with a budget too),
        the cost numbers as `lekhok_forecast.analysis.budget.cost_summary` gives them.
    """
    plan = result.plan
    deadlines = plan.deadlines if deadlines is None else tuple(deadlines)
    f = result.finish_weeks
    out: dict[str, float] = {"mean": float(f.mean())}
    out.update({f"p{p}": v for p, v in finish_percentiles(result, percentiles).items()})
    for d in deadlines:
        out[f"p_by_{week_label(d)}"] = p_finish_by(result, d)
    if plan.baseline_weeks is not None:
        out["p_within_buffer"] = p_within_buffer(result)
    if plan.costs:
        c = cost_summary(result, deadlines, budget)
        out.update({"cost_p50": c.p50, "cost_p80": c.p80, "cost_p90": c.p90})
        if c.p_within_budget is not None:
            out["p_within_budget"] = c.p_within_budget
    return out
