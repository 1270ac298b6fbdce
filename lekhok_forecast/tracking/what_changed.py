"""What changed since last week, and how much each change moved the P80 finish.

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
from typing import Any

import numpy as np
import pandas as pd

from lekhok_forecast.core.actuals import TaskActual, WeeklyActuals, no_actuals
from lekhok_forecast.core.graph import topological_order
from lekhok_forecast.core.plan import Plan, Task, scheduling_edges, unit_hours, week_label
from lekhok_forecast.tracking.calibration import MIN_DONE_FOR_CALIBRATION, Calibration, calibration_from_actuals
from lekhok_forecast.tracking.reforecast import reforecast

#: Columns of the `what_changed` table.
WHAT_CHANGED_COLUMNS = ("task", "name", "change", "detail", "p80_before", "p80_after", "p80_effect_weeks")


def _describe(plan: Plan, task: Task, old: TaskActual, new: TaskActual) -> tuple[str, str]:
    unit = plan.units

    def rem(a: TaskActual) -> str:
        assert a.remaining is not None  # asked only of rows in progress or re-estimated
        lo, mo, hi = a.remaining
        return f"{lo:g}/{mo:g}/{hi:g} {unit}"

    if new.done:
        assert new.start_week is not None and new.finish_week is not None  # the actuals reader requires both
        change = "corrected" if old.done else "finished" if old.started else "started and finished"
        if task.workstream is not None:
            f = unit_hours(plan.units, plan.hours_per_day, plan.calendar.days_per_week)
            mode = task.estimate.mode  # an effort task's estimate is its effort_hours
            mode_units = mode / f
            took = new.hours_to_date / f
            detail = (
                f"took {took:.2f} {unit} ({new.hours_to_date:g} h) against {mode_units:.2f} most likely"
                f" (x{new.hours_to_date / mode:.2f}); finished week {week_label(new.finish_week)}"
            )
        else:
            detail = f"took weeks {week_label(new.start_week)}-{week_label(new.finish_week)}"
        return change, detail
    if new.in_progress:
        assert new.start_week is not None  # the actuals reader requires it in progress
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
    memo: dict | None = None,
    **simulate_args: Any,
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
    memo : dict, optional
        Passed to `reforecast`: simulations shared with the rest of the weekly update.

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

    def cal(state: WeeklyActuals) -> Calibration:
        return calibration_from_actuals(plan, state, min_done=min_done, enabled=calibrate)

    def p80(state: WeeklyActuals, calibration: Calibration) -> float:
        r = reforecast(plan, state, trials, seed, calibration=calibration, memo=memo, **simulate_args)
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
            assert new.start_week is not None  # the actuals reader requires it in progress
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
