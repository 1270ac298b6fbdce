"""The modal schedule: every quantity at one value, no Monte Carlo.

The critical chain, its root-square-error (RSEM) buffer and the earned-value baseline
are read off this schedule. Risks are left out throughout. Weeks are from the plan's
start; capacities in hours per week.
"""

from __future__ import annotations

import math

import numpy as np

from lekhok_forecast.core.asof import AsOf
from lekhok_forecast.core.availability import finish_after, gaps
from lekhok_forecast.core.graph import topological_order
from lekhok_forecast.core.plan import Plan, scheduling_edges


def modal_capacities(plan: Plan) -> list[float]:
    """Each workstream's most likely hours per week (a share of the team's mode for shares)."""
    team = plan.team_hours_per_week.mode if plan.team_hours_per_week is not None else 0.0
    caps = []
    for w in plan.workstreams:
        if w.hours_per_week is not None:
            caps.append(w.hours_per_week.mode)
        else:
            assert w.share is not None  # a workstream has exactly one of hours_per_week and share
            caps.append(w.share * team)
    return caps


def deterministic_schedule(plan: Plan, which: str = "mode", as_of: AsOf | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Start and finish weeks of each task with every quantity at its mode (or `low`/`high`).

    Capacity is taken at its mode (midpoint for uniform ranges) whatever `which` is;
    risks are left out. With `as_of`, done tasks sit at their actual weeks and the others
    start no earlier than their not-before week. Returns two arrays in `plan.tasks` order.
    """
    if which not in ("low", "mode", "high"):
        raise ValueError(f"which must be low, mode or high, got {which!r}")
    states = (as_of or AsOf()).states(plan)
    T = len(plan.tasks)
    preds = scheduling_edges(plan.tasks)
    order = topological_order(preds)
    ws_index = plan.workstream_index()
    caps = modal_capacities(plan)
    off = [gaps(w.unavailable) for w in plan.workstreams]
    start, finish = np.zeros(T), np.zeros(T)
    for t in order:
        task, state = plan.tasks[t], states[t]
        done = state.done_weeks
        if done is not None:
            start[t], finish[t] = done
            continue
        est = getattr(task.estimate, which)
        start[t] = max([state.not_before_week] + [finish[p] for p in preds[t]])
        if task.workstream is not None:
            w = ws_index[task.workstream]
            est = est / caps[w]
            if off[w]:  # the workstream pauses in its unavailable weeks
                finish[t] = finish_after(start[t : t + 1], np.array([est]), off[w])[0]
                continue
        finish[t] = start[t] + est
    return start, finish


def critical_chain(plan: Plan, as_of: AsOf | None = None) -> tuple[tuple[str, ...], float]:
    """The longest path of the modal schedule (risks left out): task ids and length in weeks.

    Resource links (a workstream's previous task) count as part of the chain, as in
    critical-chain scheduling.
    """
    start, finish = deterministic_schedule(plan, "mode", as_of)
    preds = scheduling_edges(plan.tasks)
    t = int(np.argmax(finish))
    chain = [t]
    while preds[t]:
        binding = [p for p in preds[t] if math.isclose(finish[p], start[t], abs_tol=1e-12)]
        if not binding:
            break
        t = max(binding, key=lambda p: finish[p])
        chain.append(t)
    chain.reverse()
    return tuple(plan.tasks[i].id for i in chain), float(finish.max())


def rsem_buffer_weeks(plan: Plan, as_of: AsOf | None = None) -> tuple[float, tuple[str, ...]]:
    """Root-square-error buffer (weeks) over the modal critical chain, and that chain.

    Each chain task not yet done contributes (high - mode) of its duration, effort tasks
    converted at their workstream's modal capacity. Risks are not included (RSEM has no
    notion of them), which is one reason it can undershoot a simulation that has risks.
    """
    chain, _ = critical_chain(plan, as_of)
    index = plan.task_index()
    states = (as_of or AsOf()).states(plan)
    ws_index = plan.workstream_index()
    caps = modal_capacities(plan)
    total = 0.0
    for tid in chain:
        i = index[tid]
        if states[i].done:
            continue
        task = plan.tasks[i]
        spread = task.estimate.high - task.estimate.mode
        if task.workstream is not None:
            spread /= caps[ws_index[task.workstream]]
        total += spread * spread
    return math.sqrt(total), chain
