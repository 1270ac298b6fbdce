"""Earned value, the buffer fever chart, and what changed since last week.

Earned value (`earned_value`, `earned_value_table`)
    The *baseline* is the plan's modal schedule (`engine.deterministic_schedule`: every
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

Fever chart (`fever_point`, `fever_table`)
    Critical-chain buffer management. The chain is the plan's modal critical chain
    (`buffers.critical_chain`), its length L weeks. The project buffer is the plan's
    ``buffer`` fraction of L (the report's "add 20% to all estimates"); with no buffer in
    the plan, the RSEM buffer. As of week N:

    * chain complete = the chain's baseline duration already done (in-progress tasks by
      their share complete) / L;
    * buffer consumed = (projected finish - L) / buffer, where the projected finish is the
      modal schedule of the re-forecast plan (done tasks at their actual dates, tasks in
      progress with their remaining most likely effort, nothing before week N).

    Zones: green below the line from (0 %, 10 %) to (100 %, 70 %) of buffer consumed, red
    above the line from (0 %, 30 %) to (100 %, 90 %), yellow between (`ZONE_LINES`).

What changed (`what_changed`)
    The P80 of last week's forecast is moved to this week's in steps, each a full
    re-forecast with the same trials and seed:

    1. every task whose row changed (started, finished, re-estimated), one at a time in
       dependency order, as of last week, except that a task in progress continues from
       this week (its remaining effort is as of this week, so its step measures the news:
       the remaining effort now against last week's minus a week of work);
    2. the week elapsing: work not started, and tasks in progress with no update, cannot
       continue before this week;
    3. the calibration update (new evidence from newly done tasks), when the ratios changed.

    The steps add up exactly to the change in P80. Steps smaller than the Monte Carlo error
    of P80 (a few hundredths of a week at 20,000 trials) are noise; changing one task also
    reshuffles which random numbers the other tasks get, which adds the same noise.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lekhok_forecast.analysis.buffers import critical_chain, rsem_buffer_weeks
from lekhok_forecast.core.engine import deterministic_schedule
from lekhok_forecast.core.graph import topological_order
from lekhok_forecast.core.plan import Plan, scheduling_edges, unit_hours, week_label
from lekhok_forecast.sources.actuals_file import (
    TaskActual,
    WeeklyActuals,
    no_actuals,
    remaining_range_hours,
    remaining_range_weeks,
)
from lekhok_forecast.tracking.reforecast import (
    MIN_DONE_FOR_CALIBRATION,
    calibration_from_actuals,
    reforecast,
    reforecast_plan,
)

#: Fever-chart zone boundaries: (buffer consumed at 0 % chain complete, at 100 %).
ZONE_LINES = {"green_yellow": (0.10, 0.70), "yellow_red": (0.30, 0.90)}
#: Columns of the `what_changed` table.
WHAT_CHANGED_COLUMNS = ("task", "name", "change", "detail", "p80_before", "p80_after", "p80_effect_weeks")


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
            "hours": [t.effort_hours.mode if t.workstream is not None else 0.0 for t in plan.tasks],
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
        d = {
            k: getattr(self, k)
            for k in (
                "week",
                "as_of_week",
                "planned_hours",
                "earned_hours",
                "actual_hours",
                "planned_cost",
                "earned_cost",
                "actual_cost",
            )
        }
        d.update(
            spi=self.spi,
            cpi=self.cpi,
            spi_hours=self.spi_hours,
            cpi_hours=self.cpi_hours,
            actual_cost_basis=self.actual_cost_basis,
            budget_at_completion=self.budget_at_completion,
        )
        return d

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
            weekly = cost.per_month.mode * 12.0 / 52.0
            since = float(base.loc[cost.from_task, "start_week"]) if cost.from_task else 0.0
            planned = weekly * max(min(n, plan_end) - since, 0.0)
            pv_c += planned
            ev_c += planned  # level of effort: earned as planned
            bac += weekly * max(plan_end - since, 0.0)
            actual_since = 0.0
            if cost.from_task:
                a = rows.get(cost.from_task)
                actual_since = float(a.start_week) if a is not None and a.started else math.inf
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
    cols = [
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
    ]
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------- fever chart


def fever_zone(chain_complete: float, buffer_consumed: float, lines: dict | None = None) -> str:
    """``green``, ``yellow`` or ``red`` for a point of the fever chart (fractions, not %)."""
    lines = ZONE_LINES if lines is None else lines
    x = min(max(float(chain_complete), 0.0), 1.0)
    (g0, g1), (r0, r1) = lines["green_yellow"], lines["yellow_red"]
    if buffer_consumed >= r0 + (r1 - r0) * x:
        return "red"
    if buffer_consumed >= g0 + (g1 - g0) * x:
        return "yellow"
    return "green"


@dataclass(frozen=True)
class ChainBuffer:
    """The critical chain and project buffer the fever chart is measured against."""

    chain: tuple[str, ...]
    chain_weeks: float
    buffer_weeks: float
    durations: dict  # chain task -> baseline duration (weeks)

    @property
    def buffered_end_week(self) -> float:
        return self.chain_weeks + self.buffer_weeks


def chain_buffer(plan: Plan, buffer_weeks: float | None = None) -> ChainBuffer:
    """The plan's modal critical chain and its project buffer (see the module docstring)."""
    chain, length = critical_chain(plan)
    start, finish = deterministic_schedule(plan, "mode")
    index = plan.task_index()
    durations = {tid: float(finish[index[tid]] - start[index[tid]]) for tid in chain}
    if buffer_weeks is None:
        buffer_weeks = plan.buffer * length if plan.buffer > 0 else rsem_buffer_weeks(plan)[0]
    if not buffer_weeks > 0:
        raise ValueError("the project buffer must be > 0 weeks for a fever chart")
    return ChainBuffer(chain, float(length), float(buffer_weeks), durations)


@dataclass(frozen=True)
class FeverPoint:
    """One week on the fever chart (fractions: 0.5 = 50 %)."""

    week: str | None
    as_of_week: float
    chain_complete: float
    buffer_consumed: float
    zone: str
    projected_finish_week: float
    buffer_weeks: float

    def __str__(self) -> str:
        return (
            f"week {week_label(self.as_of_week)}: chain {self.chain_complete:.0%} complete,"
            f" buffer {self.buffer_consumed:.0%} consumed ({self.zone})"
        )


def fever_point(plan: Plan, actuals: WeeklyActuals, buffer: ChainBuffer | None = None) -> FeverPoint:
    """Chain complete and buffer consumed as of `actuals` (see the module docstring)."""
    cb = chain_buffer(plan) if buffer is None else buffer
    rows = actuals.by_task()
    done_weeks = 0.0
    for tid, dur in cb.durations.items():
        a = rows.get(tid)
        if a is not None:
            done_weeks += dur * share_complete(plan, a, actuals.as_of_week)
    total = sum(cb.durations.values())
    complete = done_weeks / total if total > 0 else 0.0
    _, finish = deterministic_schedule(reforecast_plan(plan, actuals), "mode")
    projected = float(finish.max())
    consumed = (projected - cb.chain_weeks) / cb.buffer_weeks
    return FeverPoint(
        actuals.week,
        float(actuals.as_of_week),
        complete,
        consumed,
        fever_zone(complete, consumed),
        projected,
        cb.buffer_weeks,
    )


def fever_table(
    plan: Plan, weeks: Sequence[WeeklyActuals], *, include_start: bool = True, buffer_weeks: float | None = None
) -> pd.DataFrame:
    """Fever chart points: the plan at week 0 (optional) and one per reported week.

    Columns: ``week, as_of_week, chain_complete, buffer_consumed, zone,
    projected_finish_week, buffer_weeks`` (fractions, not %).
    """
    cb = chain_buffer(plan, buffer_weeks)
    points = []
    if include_start:
        p = fever_point(plan, no_actuals(), cb)
        points.append(dict(p.__dict__, week="plan"))
    for a in weeks:
        points.append(dict(fever_point(plan, a, cb).__dict__))
    cols = ["week", "as_of_week", "chain_complete", "buffer_consumed", "zone", "projected_finish_week", "buffer_weeks"]
    return pd.DataFrame(points, columns=cols)


# ----------------------------------------------------------------------------- what changed


def _describe(plan: Plan, task, old: TaskActual, new: TaskActual) -> tuple[str, str]:
    unit = plan.units
    f = unit_hours(plan.units, plan.hours_per_day) if task.workstream is not None else None

    def rem(a: TaskActual) -> str:
        lo, mo, hi = a.remaining
        return f"{lo:g}/{mo:g}/{hi:g} {unit}"

    if new.done:
        change = "corrected" if old.done else "finished" if old.started else "started and finished"
        if task.workstream is not None:
            mode_units = task.effort_hours.mode / f
            took = new.hours_to_date / f
            detail = (
                f"took {took:.2f} {unit} ({new.hours_to_date:g} h) against {mode_units:.2f} most likely"
                f" (x{new.hours_to_date / task.effort_hours.mode:.2f}); finished week {week_label(new.finish_week)}"
            )
        else:
            detail = f"took weeks {week_label(new.start_week)}-{week_label(new.finish_week)}"
        return change, detail
    if new.in_progress:
        if not old.started:
            return "started", f"started week {week_label(new.start_week)}; remaining {rem(new)}"
        if old.done:
            return "reopened", f"reopened; remaining {rem(new)}"
        if old.remaining != new.remaining:
            return "re-estimated", f"remaining {rem(old)} -> {rem(new)} ({new.hours_to_date:g} h worked)"
        return "no progress", f"remaining {rem(new)} unchanged ({new.hours_to_date:g} h worked)"
    if old.started:
        return "reset", "back to not started"
    if new.remaining != old.remaining:
        before = rem(old) if old.remaining is not None else "the plan's estimate"
        after = rem(new) if new.remaining is not None else "the plan's estimate"
        return "re-estimated", f"{before} -> {after} (not started)"
    return "updated", ""


def what_changed(
    plan: Plan,
    previous: WeeklyActuals | None,
    current: WeeklyActuals,
    trials: int = 20_000,
    seed: int = 1,
    *,
    calibrate: bool = True,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    **simulate_args,
) -> pd.DataFrame:
    """What changed since `previous` and how each change moved the P80 finish (weeks).

    Parameters
    ----------
    plan : Plan
        The original plan.
    previous : WeeklyActuals or None
        Last reported week (None: the plan's starting point, week 0).
    current : WeeklyActuals
    trials, seed : int
        As for the headline forecasts, so the first ``p80_before`` is last week's P80 and the
        last ``p80_after`` this week's.
    calibrate, min_done
        As in `tracking.weekly_update`; the calibration in force last week is kept for the
        task steps and the update to this week's is a step of its own.

    Returns
    -------
    DataFrame
        Columns ``task, name, change, detail, p80_before, p80_after, p80_effect_weeks``; one
        row per changed task (dependency order), then ``(week elapsed)`` and, when the
        calibration ratios changed, ``(calibration)``.
    """
    prev = previous if previous is not None else no_actuals()
    old_rows = prev.by_task()
    order = topological_order(scheduling_edges(plan.tasks))
    changed = []
    for i in order:
        t = plan.tasks[i]
        old, new = prev.get(t.id), current.get(t.id)
        if not old.same_facts(new):
            changed.append((t, old, new))

    def cal(state: WeeklyActuals):
        return calibration_from_actuals(plan, state, min_done=min_done, enabled=calibrate)

    def p80(state: WeeklyActuals, calibration) -> float:
        r = reforecast(plan, state, trials, seed, calibration=calibration, **simulate_args)
        return float(np.percentile(r.finish_weeks, 80))

    prev_cal = cal(prev)
    state_rows = dict(old_rows)
    state = prev
    before = p80(state, prev_cal)
    out = []
    for t, old, new in changed:
        change, detail = _describe(plan, t, old, new)
        if new.in_progress:
            # Its remaining effort is as of this week: continue it from this week, or the
            # step would credit a week of work for free and the clock step take it back.
            state_rows[t.id] = dataclasses.replace(new, start_week=max(float(new.start_week), current.as_of_week))
        elif new.started or new.remaining is not None:
            state_rows[t.id] = new
        else:
            state_rows.pop(t.id, None)
        state = WeeklyActuals(
            as_of_week=prev.as_of_week, tasks=tuple(state_rows.values()), spend=prev.spend, week=prev.week
        )
        after = p80(state, prev_cal)
        out.append(
            {
                "task": t.id,
                "name": t.name,
                "change": change,
                "detail": detail,
                "p80_before": before,
                "p80_after": after,
                "p80_effect_weeks": after - before,
            }
        )
        before = after
    moved = WeeklyActuals(as_of_week=current.as_of_week, tasks=current.tasks, spend=current.spend, week=current.week)
    after = p80(moved, prev_cal)
    out.append(
        {
            "task": "(week elapsed)",
            "name": "",
            "change": "time",
            "detail": f"as of week {week_label(prev.as_of_week)} -> {week_label(current.as_of_week)}:"
            " work not started, and tasks with no update, cannot continue before this week",
            "p80_before": before,
            "p80_after": after,
            "p80_effect_weeks": after - before,
        }
    )
    before = after
    new_cal = cal(current)
    if new_cal.engine_ratios != prev_cal.engine_ratios:
        after = p80(current, new_cal)
        if new_cal.applied and not prev_cal.applied:
            detail = f"calibration starts: {new_cal.n_done} done tasks, mean ratio x{new_cal.mean_ratio:.2f}"
        elif new_cal.applied:
            detail = (
                f"ratios from {prev_cal.n_done} -> {new_cal.n_done} done tasks, mean"
                f" x{prev_cal.mean_ratio:.2f} -> x{new_cal.mean_ratio:.2f}"
            )
        else:
            detail = "calibration switched off"
        out.append(
            {
                "task": "(calibration)",
                "name": "",
                "change": "calibration",
                "detail": detail,
                "p80_before": before,
                "p80_after": after,
                "p80_effect_weeks": after - before,
            }
        )
    return pd.DataFrame(out, columns=list(WHAT_CHANGED_COLUMNS))
