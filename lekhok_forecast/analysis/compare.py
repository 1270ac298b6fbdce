"""Side-by-side headline numbers of several simulations (the plan as written and scenarios)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from lekhok_forecast.analysis.headline import headline_numbers
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import week_label


def scenario_table(results: Mapping[str, SimulationResult], deadlines: Iterable[float] | None = None) -> pd.DataFrame:
    """One row of headline numbers per simulation (e.g. `lekhok_forecast.app.scenarios.run_scenarios`).

    Parameters
    ----------
    results : mapping of label -> SimulationResult
        The first one is the reference: its deadlines and budget apply to every row.
    deadlines : iterable of float, optional
        Weeks since the start (default: the first plan's deadlines).

    Returns
    -------
    DataFrame
        Indexed by ``scenario`` (the labels). Columns: ``P50 week``, ``P80 week``,
        ``P(by wk D)`` for each deadline, ``buffer confidence`` (P(finish <= baseline x
        (1 + buffer)) of each plan's own buffer), ``cost P50``, ``cost P90`` and
        ``P(within budget)`` (the first plan's budget). Probabilities are fractions, weeks
        since the start, costs in the plan's currency.
    """
    first = next(iter(results.values())).plan
    deadlines = first.deadlines if deadlines is None else tuple(deadlines)
    budget = first.budget
    rows = []
    for name, r in results.items():
        # every row against the first plan's budget, which a scenario may have changed
        h = headline_numbers(r, deadlines, percentiles=(50, 80), budget=budget)
        row = {"scenario": name, "P50 week": h["p50"], "P80 week": h["p80"]}
        for d in deadlines:
            row[f"P(by wk {week_label(d)})"] = h[f"p_by_{week_label(d)}"]
        if "p_within_buffer" in h:
            row["buffer confidence"] = h["p_within_buffer"]
        if r.plan.costs:
            row["cost P50"], row["cost P90"] = h["cost_p50"], h["cost_p90"]
            if budget is not None:
                row["P(within budget)"] = h["p_within_budget"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("scenario")
