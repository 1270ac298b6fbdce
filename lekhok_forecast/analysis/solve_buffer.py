"""The ``buffer`` knob of the solver: the buffer fraction a confidence needs.

Apart from `lekhok_forecast.analysis.solve` because it rests on the buffer analysis
(`lekhok_forecast.analysis.buffers.buffer_curve`), which loads pandas; the capacity and
scope searches do not need it.
"""

from __future__ import annotations

import math

import numpy as np

from lekhok_forecast.analysis.buffers import buffer_curve
from lekhok_forecast.analysis.headline import buffered_weeks, p_within_buffer
from lekhok_forecast.analysis.solve import GRID, Solution, check_target, finish_result
from lekhok_forecast.core.plan import Plan


def solve_buffer(plan: Plan, confidence: float, trials: int = 50_000, seed: int = 1) -> Solution:
    """The smallest buffer fraction (two decimals) whose buffered weeks carry `confidence`.

    One simulation of the plan; the probability of finishing within ``baseline x (1 +
    fraction)`` for every fraction of the 0.01 grid between the earliest and the latest
    finish is `lekhok_forecast.analysis.buffers.buffer_curve`. The fraction may be
    negative (the baseline alone is more than enough). The solution's `by_week` is the
    buffered weeks and its `plan` the plan with that buffer; `p_today` is the planned
    buffer's confidence.

    Raises
    ------
    ValueError
        On a bad confidence, or a plan without ``baseline_weeks``.
    """
    check_target(1.0, confidence)
    buffered_weeks(plan)  # raises without a baseline, before any simulation
    result = finish_result(plan, trials, seed)
    base = float(plan.baseline_weeks or 0)
    f = result.finish_weeks
    lo = math.floor((f.min() / base - 1) * GRID) - 1
    hi = math.ceil((f.max() / base - 1) * GRID) + 1
    curve = buffer_curve(result, np.arange(lo, hi + 1) / GRID)
    row = curve[curve["p_within"] >= confidence].iloc[0]  # the last fraction reaches 1
    frac = float(row["buffer"])
    buffered = plan.with_changes(buffer=frac)
    return Solution(
        "buffer",
        frac,
        float(row["p_within"]),
        True,
        1,
        buffered_weeks(buffered),
        confidence,
        trials,
        seed,
        buffered,
        p_within_buffer(result),
    )
