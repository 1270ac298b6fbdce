"""Compiling a plan (and its as-of state) into the index arrays the engine works on.

`compile_plan` resolves every random quantity to a row of the per-block uint16 draw and
an inverse-CDF table (`lekhok_forecast.core.distributions`), and the forward pass to one
`_Step` per task in topological order.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import numpy as np

from lekhok_forecast.core.asof import AsOf, TaskState
from lekhok_forecast.core.distributions import Range, preloaded, quantile_table
from lekhok_forecast.core.graph import topological_order
from lekhok_forecast.core.plan import Plan, scheduling_edges
from lekhok_forecast.core.ratios import NORMAL_SHAPE


@dataclass(frozen=True)
class _Var:
    """One random quantity: value = offset + scale * table[u]."""

    table: np.ndarray | None  # None: fixed at `offset`
    offset: float
    scale: float


def _var(r: Range) -> _Var:
    key, offset, scale = r.affine()
    if key[0] == "fixed":
        return _Var(None, offset, 0.0)
    return _Var(quantile_table(key), offset, scale)


@dataclass(frozen=True)
class Model:
    """A plan compiled to index arrays for the engine (built by `compile_plan`)."""

    plan: Plan
    states: tuple[TaskState, ...]  # the as-of state of each task, in `plan.tasks` order
    order: tuple[int, ...]
    preds: tuple[tuple[int, ...], ...]
    succs: tuple[tuple[int, ...], ...]
    random_vars: tuple[_Var, ...]  # rows of the per-block uint16 draw
    task_var: tuple[_Var, ...]
    task_row: tuple[int, ...]  # row in the draw, -1 if fixed
    task_ws: tuple[int, ...]  # workstream index, -1 for duration tasks
    ws_row: tuple[int, ...]
    ws_var: tuple[_Var | None, ...]  # None: share of team
    ws_share: tuple[float, ...]
    team_row: int
    team_var: _Var | None
    risk_prob: np.ndarray
    risk_rows: tuple[tuple[int, int], ...]  # (effort row, duration row)
    risk_vars: tuple[tuple[_Var | None, _Var | None], ...]
    task_risks: tuple[tuple[int, ...], ...]  # risks that hit each task
    cost_row: tuple[int, ...]
    cost_var: tuple[_Var, ...]
    calib_rows: tuple[int, ...]  # per task, row of its ratio pick or -1
    calib_ratios: np.ndarray
    calib_scales: tuple[float, ...]  # per task, its calibration scale (1: none)
    factor_rows: tuple[int, ...]  # per common factor, the row of its per-trial draw
    factor_sigmas: tuple[float, ...]  # per common factor, its log-scale spread
    factor_names: tuple[str, ...]  # per common factor: overrun, group<k> (1-based) or calibration
    task_factors: tuple[tuple[int, ...], ...]  # per task, the common factors scaling it
    n_rows: int
    steps: tuple = ()  # the forward pass, resolved (see `_steps`)


def shape_keys(plan: Plan, as_of: AsOf | None = None) -> set[tuple]:
    """The shape keys of every quantile table simulating `plan` as of `as_of` uses."""
    states = (as_of or AsOf()).states(plan)
    ranges = [plan.team_hours_per_week] + [w.hours_per_week for w in plan.workstreams]
    ranges += [t.estimate for t, s in zip(plan.tasks, states) if not s.done]
    ranges += [r.effort_hours for r in plan.risks] + [r.duration_weeks for r in plan.risks]
    ranges += [c.rate for c in plan.costs]
    keys = {r.affine()[0] for r in ranges if r is not None and r.is_random}
    if not plan.correlation.is_empty or (as_of is not None and as_of.calibration_sigma > 0):
        keys.add(NORMAL_SHAPE)  # the common factors' normal quantiles
    return keys


def _build_tables(plan: Plan, as_of: AsOf | None) -> None:
    """Build the quantile tables of every shape in `plan` (cached by shape), on several
    threads when there are many: SciPy's betainc releases the GIL, and at ~2 ms a shape
    a 1,000-task plan with hundreds of distinct shapes compiles twice as fast on 2 cores."""
    keys = shape_keys(plan, as_of) - _BUILT_SHAPES
    build = keys - preloaded(keys)  # tables read from the cache are not built (nor threads started)
    threads = min(4, os.cpu_count() or 1)
    if len(build) >= 16 and threads >= 2:  # else built one by one as compile_plan meets them
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(quantile_table, sorted(build)))
    _BUILT_SHAPES.update(keys)


_BUILT_SHAPES: set = set()  # shapes whose tables `_build_tables` has had built (and cached)


def compile_plan(plan: Plan, as_of: AsOf | None = None) -> Model:
    """Compile a validated `Plan`, as of `as_of` (None: as written), into the arrays the
    engine works on."""
    states = (as_of or AsOf()).states(plan)
    _build_tables(plan, as_of)
    preds = scheduling_edges(plan.tasks)
    order = topological_order(preds)
    succs: list[list[int]] = [[] for _ in plan.tasks]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    rows: list[_Var] = []

    def add(v: _Var) -> int:
        if v.table is None:
            return -1
        rows.append(v)
        return len(rows) - 1

    team_var = _var(plan.team_hours_per_week) if plan.team_hours_per_week is not None else None
    team_row = add(team_var) if team_var is not None else -1
    ws_index = plan.workstream_index()
    ws_var: list[_Var | None] = []
    ws_row: list[int] = []
    ws_share: list[float] = []
    for w in plan.workstreams:
        if w.share is not None:
            ws_var.append(None)
            ws_row.append(-1)
            ws_share.append(w.share)
        else:
            assert w.hours_per_week is not None  # a workstream has exactly one of hours_per_week and share
            v = _var(w.hours_per_week)
            ws_var.append(v)
            ws_row.append(add(v))
            ws_share.append(0.0)
    task_var, task_row, task_ws = [], [], []
    for t, state in zip(plan.tasks, states):
        v = _var(t.estimate) if not state.done else _Var(None, 0.0, 0.0)
        task_var.append(v)
        task_row.append(add(v))
        task_ws.append(ws_index[t.workstream] if t.workstream is not None else -1)
    tindex = plan.task_index()
    task_risks: list[list[int]] = [[] for _ in plan.tasks]
    risk_rows, risk_vars = [], []
    for k, risk in enumerate(plan.risks):
        ev = _var(risk.effort_hours) if risk.effort_hours is not None else None
        dv = _var(risk.duration_weeks) if risk.duration_weeks is not None else None
        risk_vars.append((ev, dv))
        risk_rows.append((add(ev) if ev else -1, add(dv) if dv else -1))
        for tid in risk.tasks:
            if not states[tindex[tid]].done:
                task_risks[tindex[tid]].append(k)
    cost_var, cost_row = [], []
    for c in plan.costs:
        v = _var(c.rate)
        cost_var.append(v)
        cost_row.append(add(v))
    ratios = np.asarray(as_of.calibration_ratios if as_of is not None else (), dtype=np.float32)
    calib_rows = []
    for state in states:
        if state.calibrate and ratios.size and not state.done:
            rows.append(_Var(None, 0.0, 0.0))  # placeholder row: a raw uint16 pick
            calib_rows.append(len(rows) - 1)
        else:
            calib_rows.append(-1)
    factor_sigmas, factor_members, factor_names = _factors(plan, states, calib_rows, as_of)
    factor_rows = []
    task_factors: list[list[int]] = [[] for _ in plan.tasks]
    for f, members in enumerate(factor_members):
        rows.append(_Var(None, 0.0, 0.0))  # placeholder row: the factor's per-trial draw
        factor_rows.append(len(rows) - 1)
        for member in members:
            task_factors[member].append(f)
    model = Model(
        plan=plan,
        states=states,
        order=tuple(order),
        preds=tuple(preds),
        succs=tuple(tuple(s) for s in succs),
        random_vars=tuple(rows),
        task_var=tuple(task_var),
        task_row=tuple(task_row),
        task_ws=tuple(task_ws),
        ws_row=tuple(ws_row),
        ws_var=tuple(ws_var),
        ws_share=tuple(ws_share),
        team_row=team_row,
        team_var=team_var,
        risk_prob=np.asarray([r.probability for r in plan.risks], dtype=float),
        risk_rows=tuple(risk_rows),
        risk_vars=tuple(risk_vars),
        task_risks=tuple(tuple(x) for x in task_risks),
        cost_row=tuple(cost_row),
        cost_var=tuple(cost_var),
        calib_rows=tuple(calib_rows),
        calib_ratios=ratios,
        calib_scales=tuple(s.calibration_scale if c >= 0 else 1.0 for s, c in zip(states, calib_rows)),
        factor_rows=tuple(factor_rows),
        factor_sigmas=tuple(factor_sigmas),
        factor_names=tuple(factor_names),
        task_factors=tuple(tuple(x) for x in task_factors),
        n_rows=len(rows),
    )
    return dataclasses.replace(model, steps=_steps(model))


def _factors(
    plan: Plan, states: tuple[TaskState, ...], calib_rows: list[int], as_of: AsOf | None
) -> tuple[list[float], list[list[int]], list[str]]:
    """The common factors (log-scale spread, member task indices, name) in row order: the
    plan's ``correlation:`` (plan-wide overrun, then each group) on open tasks that are not
    calibrated, then the calibration's on the calibrated ones. Factors with a zero spread
    or no member take no row, so a plan without correlation draws what it always drew.
    Names: ``overrun``, ``group<k>`` (the plan's k-th group, from 1), ``calibration``."""
    tindex = plan.task_index()
    free = [t for t, s in enumerate(states) if not s.done and calib_rows[t] < 0]
    corr = plan.correlation
    spec: list[tuple[float, list[int], str]] = [(corr.overrun, free, "overrun")]
    for k, g in enumerate(corr.groups, start=1):
        members = {tindex[x] for x in g.tasks}
        spec.append((g.sigma, [t for t in free if t in members], f"group{k}"))
    sigma = as_of.calibration_sigma if as_of is not None else 0.0
    spec.append((sigma, [t for t, c in enumerate(calib_rows) if c >= 0], "calibration"))
    kept = [(s, m, name) for s, m, name in spec if s > 0 and m]
    return [s for s, _, _ in kept], [m for _, m, _ in kept], [name for _, _, name in kept]


@dataclass(frozen=True)
class _Step:
    """What the forward pass does for one task, resolved once per simulation."""

    task: int
    done: tuple[float, float] | None  # (start, finish) of a finished task
    table: np.ndarray | None
    scale: np.float32
    offset: np.float32 | None  # None: no offset to add
    fixed: float
    row: int
    calib_row: int
    calib_scale: np.float32 | None  # None: 1
    factors: tuple[int, ...]  # common factors (indices) scaling the task's estimate
    ws: int
    risks: tuple[int, ...]
    preds: tuple[int, ...]
    not_before: np.float32 | None  # None: 0, and every predecessor finishes at >= +0.0
    not_before_week: float
    phase: int


def _steps(model: Model) -> tuple[_Step, ...]:
    plan = model.plan
    phase_of = {name: p for p, name in enumerate(plan.phase_names())}
    steps = []
    f32 = np.float32
    states = model.states
    for t in model.order:
        task, state = plan.tasks[t], states[t]
        done = state.done_weeks
        var = model.task_var[t]
        preds = model.preds[t]
        # max(finish, 0) is finish itself when every predecessor is simulated: their
        # finishes are sums of non-negative float32 terms, never negative or -0.0.
        skip_zero = state.not_before_week == 0 and all(not states[p].done for p in preds)
        steps.append(
            _Step(
                task=t,
                done=done,
                table=var.table,
                scale=f32(var.scale),
                offset=f32(var.offset) if var.offset else None,
                fixed=var.offset,
                row=model.task_row[t],
                calib_row=model.calib_rows[t],
                calib_scale=f32(model.calib_scales[t]) if model.calib_scales[t] != 1.0 else None,
                factors=model.task_factors[t],
                ws=model.task_ws[t],
                risks=model.task_risks[t],
                preds=preds,
                not_before=None if skip_zero else f32(state.not_before_week),
                not_before_week=state.not_before_week,
                phase=phase_of.get(task.phase, -1) if task.phase else -1,
            )
        )
    return tuple(steps)
