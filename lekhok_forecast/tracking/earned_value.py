"""Earned value against the plan's modal baseline.

Earned value (`earned_value`, `earned_value_table`)
    The *baseline* is the plan's modal schedule (`modal.deterministic_schedule`: every
    estimate and capacity at its most likely value, no risks). Only effort tasks carry
    hours; duration tasks (calendar waits) have none.

    * Planned hours to week N: each effort task's most likely hours, spread evenly over its
      baseline start-finish, summed up to week N.
    * Earned hours: each task's most likely hours times its share complete: 1 when done;
      ``hours_to_date / (hours_to_date + remaining most likely hours)`` in progress; 0 else.
    * Actual hours: the hours worked (``hours_to_date``).
    * Costs: ``per_hour`` items at their most likely rate times planned/earned hours;
      ``per_month`` items are level of effort (earned = planned: most likely monthly amount
      from the baseline start of their ``from_task``). Actual cost is the spend file's total;
      items it does not report are estimated the same way from actual hours and actual
      starts (``actual_cost_basis`` says which).
    * SPI = earned / planned, CPI = earned / actual, on cost (``spi``, ``cpi``) and on
      hours (``spi_hours``, ``cpi_hours``). Below 1 is behind schedule / over cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from lekhok_forecast.core.actuals import TaskActual, WeeklyActuals, remaining_range_hours, remaining_range_weeks
from lekhok_forecast.core.modal import deterministic_schedule
from lekhok_forecast.core.plan import Plan, week_label

# ----------------------------------------------------------------------------- baseline


def baseline_schedule(plan: Plan) -> pd.DataFrame:
    """The modal schedule of the plan: start/finish week and most likely hours per task."""
    start, finish = deterministic_schedule(plan, "mode")
    return pd.DataFrame(
        {
            "task": [t.id for t in plan.tasks],
            "workstream": [t.workstream for t in plan.tasks],
            "start_week": start,
            "finish_week": finish,
            # an effort task's (one with a workstream) estimate is its effort_hours
            "hours": [t.estimate.mode if t.workstream is not None else 0.0 for t in plan.tasks],
        }
    ).set_index("task")


def share_complete(plan: Plan, a: TaskActual, as_of: float) -> float:
    """Share of a task complete: 1 done, 0 not started; in progress, effort worked against
    worked + remaining most likely (effort tasks) or elapsed against elapsed + remaining
    most likely calendar time (duration tasks)."""
    if a.done:
        return 1.0
    if not a.in_progress:
        return 0.0
    assert a.remaining is not None and a.start_week is not None  # the actuals reader requires both in progress
    task = plan.tasks[plan.task_index()[a.task]]
    if task.workstream is not None:
        done, left = a.hours_to_date, remaining_range_hours(plan, a.remaining)[1]
    else:
        done, left = max(as_of - float(a.start_week), 0.0), remaining_range_weeks(plan, a.remaining)[1]
    return done / (done + left) if done + left > 0 else 0.0


def _progress(start: float, finish: float, week: float) -> float:
    if finish <= start:
        return 1.0 if week >= finish else 0.0
    return float(min(max((week - start) / (finish - start), 0.0), 1.0))


# ----------------------------------------------------------------------------- earned value


#: Columns of `earned_value_table`, in order: fields of `EarnedValue`, then its derived indices.
EARNED_VALUE_COLUMNS = (
    "week",
    "as_of_week",
    "planned_hours",
    "earned_hours",
    "actual_hours",
    "planned_cost",
    "earned_cost",
    "actual_cost",
    "spi",
    "cpi",
    "spi_hours",
    "cpi_hours",
    "actual_cost_basis",
    "budget_at_completion",
)


@dataclass(frozen=True)
class EarnedValue:
    """Earned value as of one week (hours and plan currency).

    SPI and CPI below 1 mean behind schedule and over cost. Cost SPI/CPI are NaN when
    there is nothing to divide by.
    """

    week: str | None
    as_of_week: float
    planned_hours: float
    earned_hours: float
    actual_hours: float
    planned_cost: float
    earned_cost: float
    actual_cost: float
    actual_cost_basis: str
    budget_at_completion: float

    @property
    def spi_hours(self) -> float:
        return _ratio(self.earned_hours, self.planned_hours)

    @property
    def cpi_hours(self) -> float:
        return _ratio(self.earned_hours, self.actual_hours)

    @property
    def spi(self) -> float:
        return _ratio(self.earned_cost, self.planned_cost)

    @property
    def cpi(self) -> float:
        return _ratio(self.earned_cost, self.actual_cost)

    def as_dict(self) -> dict:
        """One row of `earned_value_table` (fields and derived indices by `EARNED_VALUE_COLUMNS`)."""
        return {k: getattr(self, k) for k in EARNED_VALUE_COLUMNS}

    def __str__(self) -> str:
        return (
            f"earned value as of week {week_label(self.as_of_week)}: planned {self.planned_hours:.0f} h,"
            f" earned {self.earned_hours:.0f} h, actual {self.actual_hours:.0f} h;"
            f" SPI {self.spi:.2f}, CPI {self.cpi:.2f}"
        )


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def earned_value(plan: Plan, actuals: WeeklyActuals, baseline: pd.DataFrame | None = None) -> EarnedValue:
    """Planned, earned and actual hours and cost to the as-of week (see the module docstring)."""
    base = baseline_schedule(plan) if baseline is None else baseline
    n = float(actuals.as_of_week)
    rows = actuals.by_task()
    ws_index = plan.workstream_index()
    pv_h = {w: 0.0 for w in ws_index}
    ev_h = {w: 0.0 for w in ws_index}
    ac_h = {w: 0.0 for w in ws_index}
    total_h = {w: 0.0 for w in ws_index}
    for t in plan.tasks:
        if t.workstream is None:
            continue
        b = base.loc[t.id]
        hours = float(b["hours"])
        total_h[t.workstream] += hours
        pv_h[t.workstream] += hours * _progress(float(b["start_week"]), float(b["finish_week"]), n)
        a = rows.get(t.id)
        if a is not None:
            ev_h[t.workstream] += hours * share_complete(plan, a, n)
            ac_h[t.workstream] += a.hours_to_date
    spend = actuals.spend_by_cost()
    pv_c = ev_c = ac_c = bac = 0.0
    reported = estimated = 0
    plan_end = float(base["finish_week"].max()) if len(base) else 0.0
    for cost in plan.costs:
        if cost.per_hour is not None:
            rate = cost.per_hour.mode
            streams = cost.workstreams if cost.workstreams is not None else tuple(ws_index)
            pv_c += rate * sum(pv_h[w] for w in streams)
            ev_c += rate * sum(ev_h[w] for w in streams)
            bac += rate * sum(total_h[w] for w in streams)
            modeled_actual = rate * sum(ac_h[w] for w in streams)
        else:
            weekly = cost.rate.mode * 12.0 / 52.0  # per_month: per_hour is None
            since = float(base.loc[cost.from_task, "start_week"]) if cost.from_task else 0.0
            planned = weekly * max(min(n, plan_end) - since, 0.0)
            pv_c += planned
            ev_c += planned  # level of effort: earned as planned
            bac += weekly * max(plan_end - since, 0.0)
            actual_since = 0.0
            if cost.from_task:
                a = rows.get(cost.from_task)
                # a started row always has its start week (the actuals reader requires it)
                start = a.start_week if a is not None and a.started else None
                actual_since = float(start) if start is not None else math.inf
            modeled_actual = weekly * max(n - actual_since, 0.0) if math.isfinite(actual_since) else 0.0
        if cost.id in spend:
            ac_c += spend[cost.id]
            reported += 1
        else:
            ac_c += modeled_actual
            estimated += 1
    basis = "reported" if estimated == 0 else "estimated" if reported == 0 else "partly estimated"
    if not plan.costs:
        basis = "none"
    return EarnedValue(
        actuals.week, n, sum(pv_h.values()), sum(ev_h.values()), sum(ac_h.values()), pv_c, ev_c, ac_c, basis, bac
    )


def earned_value_table(plan: Plan, weeks: Sequence[WeeklyActuals]) -> pd.DataFrame:
    """One row per reported week: planned/earned/actual hours and cost, SPI and CPI.

    Columns: ``week, as_of_week, planned_hours, earned_hours, actual_hours, planned_cost,
    earned_cost, actual_cost, spi, cpi, spi_hours, cpi_hours, actual_cost_basis,
    budget_at_completion``.
    """
    base = baseline_schedule(plan)
    rows = [earned_value(plan, a, base).as_dict() for a in weeks]
    return pd.DataFrame(rows, columns=list(EARNED_VALUE_COLUMNS))
