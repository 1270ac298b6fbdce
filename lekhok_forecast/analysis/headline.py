"""The headline numbers of one forecast: finish percentiles, deadlines, buffer, cost.

`headline_numbers` is the one place these are computed; the JSON summary, the forecast
history, the weekly comparison and the scenario comparison all take their numbers from
it and round (or rename) them as their output needs. Values are raw floats: weeks since
the plan's start, probabilities as fractions, costs in the plan's currency.
"""

from __future__ import annotations

import numpy as np

from lekhok_forecast.analysis.schedule import finish_percentiles, p_finish_by
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan, week_label

#: Finish percentiles of the headline (the history and weekly comparison columns).
HEADLINE_PERCENTILES = (10, 50, 80, 90)

#: Percentiles of the total cost.
COST_PERCENTILES = (50, 80, 90)


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


def headline_numbers(result: SimulationResult, deadlines=None, percentiles=HEADLINE_PERCENTILES) -> dict:
    """The headline numbers of `result` as raw floats, keyed for the forecast history.

    Parameters
    ----------
    result : SimulationResult
    deadlines : sequence of float, optional
        Weeks to give P(finish <= week) for (default: the plan's deadlines).
    percentiles : sequence of int
        Finish percentiles to give (default 10, 50, 80, 90).

    Returns
    -------
    dict
        ``mean`` and ``p<N>`` for each percentile (weeks), ``p_by_<deadline>`` for each
        deadline (a fraction; the key is the deadline as `week_label` writes it),
        ``p_within_buffer`` (when the plan has a baseline), ``cost_p50, cost_p80,
        cost_p90`` (when the plan has costs) and ``p_within_budget`` (with a budget too).
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
        total = result.cost_total  # a sum over cost items on every access: take it once
        values = np.percentile(total, list(COST_PERCENTILES))
        out.update({f"cost_p{p}": float(v) for p, v in zip(COST_PERCENTILES, values)})
        if plan.budget is not None:
            out["p_within_budget"] = float(np.mean(total <= plan.budget))
    return out
