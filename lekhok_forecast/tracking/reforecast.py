"""Re-forecasting from weekly actuals, and calibration from the evidence of done tasks.

Re-forecast as of week N (`reforecast_plan`, `reforecast`)
    * A done task is fixed at its actual start and finish; it is not sampled and its risks
      no longer apply. Its hours count toward cost.
    * A task in progress continues from week N with the team's remaining-effort range
      (``remaining_low/mode/high`` in the plan's units, converted to hours, or to weeks for
      a duration task). The hours already worked count toward cost. Risks no longer apply
      to it: the team's remaining range is made with what they now know.
    * A task not started is simulated as planned (or with the team's re-estimate, if the
      file gives one), but cannot start before week N. Its risks still apply.
    * Within a workstream, done tasks come first, then tasks in progress, then the rest,
      each group in file order: the team finishes what it has started before picking up
      new work.
    * With no actuals the forecast is the plan's own forecast (the same numbers for the
      same seed); with every task done it is the actual finish, exactly.
    * When a spend file is given, each reported cost item's forecast is the amount spent
      to date plus the simulated cost from week N on.

Calibration ratios come from `lekhok_forecast.tracking.calibration`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from lekhok_forecast.core.actuals import WeeklyActuals, remaining_range_hours, remaining_range_weeks
from lekhok_forecast.core.asof import AsOf, TaskState
from lekhok_forecast.core.distributions import Dist, Range
from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.core.graph import find_cycle
from lekhok_forecast.core.plan import Plan, Task, scheduling_edges
from lekhok_forecast.tracking.calibration import Calibration


def _range(triple: tuple[float, float, float]) -> Range:
    lo, mo, hi = (float(x) for x in triple)
    if lo == hi:
        return Range.fixed(lo)
    return Range(Dist.PERT, lo, mo, hi)


def is_untouched(plan: Plan, actuals: WeeklyActuals | None, ratios: Sequence[float] = ()) -> bool:
    """True when `actuals` change nothing: the re-forecast is the plan's own forecast."""
    if ratios:
        return False
    if actuals is None:
        return True
    return actuals.as_of_week == 0 and not any(a.started or a.re_estimated for a in actuals.tasks)


def reforecast_plan(
    plan: Plan, actuals: WeeklyActuals | None, calibration: Calibration | tuple[float, ...] | None = None
) -> tuple[Plan, AsOf]:
    """The plan as of `actuals.as_of_week`, for the engine (see the module docstring).

    Parameters
    ----------
    plan : Plan
        The original plan.
    actuals : WeeklyActuals or None
        None: the plan itself.
    calibration : Calibration or tuple of ratios, optional
        How to scale not-started tasks: a `Calibration` (its method's draws, per-task
        scales and common factor; one that is not applied gives none) or plain ratios to
        resample.

    Returns
    -------
    (Plan, AsOf)
        The plan to simulate (fresh ranges for re-estimated tasks, tasks reordered within
        workstreams, risks only on open tasks) and its as-of state (done tasks,
        not-before weeks, hours spent, calibration). Untouched: ``(plan, AsOf())``.
    """
    cal = calibration if isinstance(calibration, Calibration) else None
    if isinstance(calibration, Calibration):
        ratios, sigma = calibration.engine_ratios, calibration.engine_sigma
    else:
        ratios, sigma = tuple(calibration or ()), 0.0
    if is_untouched(plan, actuals, ratios):
        return plan, AsOf()
    n = float(actuals.as_of_week) if actuals is not None else 0.0
    rows = actuals.by_task() if actuals is not None else {}
    tasks: list[Task] = []
    states: list[TaskState] = []
    groups: list[int] = []
    open_tasks: set[str] = set()  # risks still apply to these
    for t in plan.tasks:
        a = rows.get(t.id)
        effort = t.workstream is not None
        if a is not None and a.done:
            assert a.start_week is not None and a.finish_week is not None  # the actuals reader requires both
            tasks.append(t)
            states.append(
                TaskState(
                    t.id,
                    done_start_week=float(a.start_week),
                    done_finish_week=float(a.finish_week),
                    hours_spent=float(a.hours_to_date) if effort else 0.0,
                )
            )
            groups.append(0)
        elif a is not None and a.in_progress:
            assert a.remaining is not None  # the actuals reader requires it in progress
            tasks.append(_fresh_estimate(plan, t, a.remaining))
            states.append(
                TaskState(
                    t.id,
                    not_before_week=max(n, float(a.start_week or 0.0)),
                    hours_spent=float(a.hours_to_date) if effort else 0.0,
                )
            )
            groups.append(1)
        else:
            remaining = a.remaining if a is not None else None
            re_est = remaining is not None
            tasks.append(_fresh_estimate(plan, t, remaining) if remaining is not None else t)
            calibrate = bool(ratios) and effort and not re_est
            scale = (
                cal.task_scale(t.effort_hours.mode, t.workstream)
                if calibrate and cal is not None and t.effort_hours
                else 1.0
            )
            states.append(TaskState(t.id, not_before_week=n, calibrate=calibrate, calibration_scale=scale))
            groups.append(2)
            open_tasks.add(t.id)
    order = sorted(range(len(tasks)), key=lambda i: groups[i])  # stable: file order within a group
    ordered = [tasks[i] for i in order]
    if find_cycle(scheduling_edges(ordered)) is not None:
        # Only possible for inconsistent states (a started task waiting on one not started
        # in its own workstream); file order is always acyclic.
        ordered = tasks
    risks = []
    for r in plan.risks:
        listed = tuple(x for x in r.tasks if x in open_tasks)
        if listed:
            risks.append(r if listed == r.tasks else dataclasses.replace(r, tasks=listed))
    return plan.with_changes(tasks=tuple(ordered), risks=tuple(risks)), AsOf(tuple(states), tuple(ratios), sigma)


def _fresh_estimate(plan: Plan, task: Task, remaining: tuple[float, float, float]) -> Task:
    if task.workstream is not None:
        return dataclasses.replace(task, effort_hours=_range(remaining_range_hours(plan, remaining)))
    return dataclasses.replace(task, duration_weeks=_range(remaining_range_weeks(plan, remaining)))


def all_done(plan: Plan, actuals: WeeklyActuals | None) -> bool:
    """True when every task of the plan is done."""
    if actuals is None:
        return False
    rows = actuals.by_task()
    return all(t.id in rows and rows[t.id].done for t in plan.tasks)


def actual_finish_week(plan: Plan, actuals: WeeklyActuals | None) -> float | None:
    """The project's actual finish (latest task finish) once every task is done, else None."""
    if actuals is None or not all_done(plan, actuals):
        return None
    ids = {t.id for t in plan.tasks}  # a scenario may have removed tasks the actuals still report
    return max(float(a.finish_week) for a in actuals.tasks if a.task in ids and a.done and a.finish_week is not None)


def reforecast(
    plan: Plan,
    actuals: WeeklyActuals | None,
    trials: int = 20_000,
    seed: int = 1,
    *,
    calibration: Calibration | tuple[float, ...] | None = None,
    memo: dict | None = None,
    **simulate_args: Any,
) -> SimulationResult:
    """Simulate the plan as of `actuals` (see the module docstring).

    Parameters
    ----------
    plan : Plan
        The original plan.
    actuals : WeeklyActuals or None
        None (or nothing started as of week 0): exactly ``simulate(plan, trials, seed)``.
    trials, seed : int
    calibration : Calibration or tuple of float, optional
    memo : dict, optional
        Simulations already made, by engine input: a weekly update asks for the same
        re-forecast more than once (what changed ends where this week's forecast starts),
        and each is simulated once. Pass the same dict to every call of one update.
    **simulate_args
        Passed to `lekhok_forecast.core.engine.simulate` (``workers``, ``chunk_trials``, ...).

    Returns
    -------
    SimulationResult
        Its `plan` is the re-forecast plan (tasks possibly reordered within workstreams),
        its `as_of` that plan's as-of state.
        With every task done, `finish_weeks` is the actual finish in every trial, exactly.
        With a spend file, `cost_by_item` of each reported item is spend to date plus the
        simulated cost after week N.
    """
    rplan, as_of = reforecast_plan(plan, actuals, calibration)
    key = (rplan, as_of, trials, seed, tuple(sorted(simulate_args.items())))
    result = memo.get(key) if memo is not None else None
    if result is None:
        result = simulate(rplan, trials, seed, as_of=as_of, **simulate_args)
        if memo is not None:
            memo[key] = result
    if rplan is plan and as_of.is_empty:
        return result
    finish = actual_finish_week(plan, actuals)
    if finish is not None:
        # The engine keeps weeks in float32; the finish is history, so give it exactly.
        result = dataclasses.replace(result, finish_weeks=np.full(result.trials, finish, dtype=np.float64))
    if actuals is not None and actuals.spend:
        result = dataclasses.replace(result, cost_by_item=cost_with_spend(result, actuals))
    return result


def cost_with_spend(result: SimulationResult, actuals: WeeklyActuals) -> np.ndarray:
    """Cost per item and trial: reported spend to date + the simulated cost after week N.

    The simulated cost of a ``per_hour`` item covers the hours already spent (at the
    trial's rate); its share ``spent hours / all hours`` is replaced by the reported
    spend. A ``per_month`` item accrues from its start to the finish; the part before
    week N is replaced. Items not reported keep their simulated cost.
    """
    plan = result.plan
    states = result.as_of.states(plan)
    n = float(actuals.as_of_week)
    spend = actuals.spend_by_cost()
    out = result.cost_by_item.astype(np.float64, copy=True)
    index = plan.task_index()
    ws_index = plan.workstream_index()
    project = result.finish_weeks.astype(np.float64)
    for c, cost in enumerate(plan.costs):
        if cost.id not in spend:
            continue
        simulated = out[c]
        if cost.per_hour is not None:
            streams = set(cost.workstreams) if cost.workstreams is not None else set(ws_index)
            worked = sum(result.hours_by_workstream[ws_index[w]].astype(np.float64) for w in streams)
            spent = sum(s.hours_spent for t, s in zip(plan.tasks, states) if t.workstream in streams)
            with np.errstate(invalid="ignore", divide="ignore"):
                future = np.where(worked > 0, simulated * np.clip(1.0 - spent / worked, 0.0, 1.0), 0.0)
        else:
            since = 0.0
            if cost.from_task is not None:
                done = states[index[cost.from_task]].done_weeks
                since = done[0] if done is not None else math.inf
            if since >= n:  # accrual starts at or after week N in every trial: all of it is future
                future = simulated
            else:
                span = project - since
                with np.errstate(invalid="ignore", divide="ignore"):
                    future = np.where(span > 0, simulated * np.clip(project - n, 0.0, None) / span, 0.0)
        out[c] = spend[cost.id] + future
    return out
