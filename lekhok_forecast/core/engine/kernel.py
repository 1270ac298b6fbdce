"""The engine's inner loop: draws, the forward pass over tasks, and criticality.

Trials are the last axis of every array; the loops here are over *tasks* (in
topological order) and over random-number *blocks*, never over trials.

Randomness
    Trial ``j`` belongs to block ``j // BLOCK_TRIALS``. Block ``b`` draws all of its random
    numbers from its own generator, ``PCG64(SeedSequence(seed, spawn_key=(b,)))``, in one
    call. So the numbers of a trial depend only on the seed, the plan and the trial's
    index: never on the chunk size, the number of workers or the total trial count.

Sampling
    Every random quantity is a 16-bit uniform integer looked up in an inverse-CDF table
    (see `lekhok_forecast.core.distributions`), then scaled: one draw and one gather per value.
    A calibrated task is then multiplied by its resampled ratio and scale, and a task in
    a common factor (the plan's ``correlation:``, the calibration's level) by the
    factor's one draw of the trial (`lekhok_forecast.core.ratios`); those draws are rows
    after every other, so a plan without them draws exactly what it drew before.
"""

from __future__ import annotations

import math
import mmap
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from lekhok_forecast.core.availability import finish_after, gaps
from lekhok_forecast.core.distributions import TABLE_SIZE
from lekhok_forecast.core.engine.model import Model, _Step, _steps, _Var
from lekhok_forecast.core.ratios import lognormal_factor, resampled_ratios

#: Trials per random-number block. Part of the definition of a seed's numbers: changing
#: it changes every result, so it is a constant, not an option.
BLOCK_TRIALS = 4096


@dataclass
class _Chunk:
    """The outputs of a chunk of trials (also the result arrays `run._outputs` allocates)."""

    finish: np.ndarray
    crit_counts: np.ndarray
    milestones: np.ndarray
    phases: np.ndarray
    costs: np.ndarray
    hours: np.ndarray
    s_start: np.ndarray
    s_finish: np.ndarray
    s_cap: np.ndarray
    s_rates: np.ndarray
    s_est: np.ndarray
    s_fired: np.ndarray
    s_risk: np.ndarray
    s_factor: np.ndarray


def _place(out: _Chunk, first_trial: int, ch: _Chunk, per_trial: bool = True) -> None:
    """Copy a chunk's outputs into the result arrays at `first_trial`: its sample and, with
    `per_trial`, its per-trial outputs (a chunk run ``into=out`` wrote those in place)."""
    a, b = first_trial, first_trial + ch.finish.size
    if per_trial:
        out.finish[a:b] = ch.finish
        for name in ("milestones", "phases", "costs", "hours"):
            getattr(out, name)[:, a:b] = getattr(ch, name)
    s = ch.s_start.shape[1]
    if s:
        for name in ("s_start", "s_finish", "s_cap", "s_rates"):
            getattr(out, name)[:, a : a + s] = getattr(ch, name)
        if ch.s_est.shape[1]:
            for name in ("s_est", "s_fired", "s_risk", "s_factor"):
                getattr(out, name)[:, a : a + s] = getattr(ch, name)


def _buffer(ws: dict | None, name: str, rows: int, width: int, dtype: DTypeLike) -> np.ndarray:
    """A (rows, width) work array, reused from `ws` across the chunks of one simulation
    (fresh pages cost more to fault in than the arithmetic done on them)."""
    if ws is None:
        return np.empty((rows, width), dtype=dtype)
    a = ws.get(name)
    if a is None or a.shape[0] != rows or a.shape[1] < width:
        a = ws[name] = _work_array((rows, width), dtype)
    return a[:, :width]


def _work_array(shape: tuple[int, ...], dtype: DTypeLike) -> np.ndarray:
    """An uninitialised work array. Those of 1 MB or more are mapped privately without
    transparent huge pages (see `run._outputs`) and not inherited by forked processes: worker
    processes have their own, and sharing these copy-on-write would make this process
    copy every page it then writes (~25 ms a parallel call on the 100-task network)."""
    count = math.prod(shape)
    nbytes = count * np.dtype(dtype).itemsize
    if nbytes < _WORK_MAP_BYTES or not hasattr(mmap, "MAP_PRIVATE"):
        return np.empty(shape, dtype=dtype)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_DONTFORK"):
        buf.madvise(mmap.MADV_DONTFORK)
    return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)


_WORK_MAP_BYTES = 1 << 20


def _inherited(a: np.ndarray) -> np.ndarray:
    """`a`, its memory made inheritable by forked processes again: for a work array that
    leaves the workspace to become part of a result (see `_work_array`)."""
    base: object = a
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):  # np.frombuffer's base: a view of the mapping
        base = base.obj
    if isinstance(base, mmap.mmap) and hasattr(mmap, "MADV_DOFORK"):
        base.madvise(mmap.MADV_DOFORK)
    return a


def _draw(
    model: Model, seed: int, first_block: int, n_blocks: int, n_trials: int, ws: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform uint16 draws (rows x trials) and risk firings (risks x trials) for whole blocks.

    The uint16 draws are the numbers ``rng.integers(0, 65536, (rows, BLOCK_TRIALS),
    dtype=np.uint16)`` gives, read straight from the bit generator: NumPy fills uint16
    from ``next_uint32`` (low half first) and PCG64 splits ``next_uint64`` the same way,
    so the stream is the little-endian uint16 view of ``random_raw`` (about half the
    cost). The count is a multiple of 4, so the generator ends in the same state.
    """
    width = n_blocks * BLOCK_TRIALS
    rows = model.n_rows
    u = _buffer(ws, "u", rows, width, np.uint16)
    fired = _buffer(ws, "fired", len(model.risk_prob), width, bool)
    p = model.risk_prob[:, None]
    words = rows * BLOCK_TRIALS // 4
    for k in range(n_blocks):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(first_block + k,))))
        sl = slice(k * BLOCK_TRIALS, (k + 1) * BLOCK_TRIALS)
        if rows:
            raw = rng.bit_generator.random_raw(words).astype("<u8", copy=False)
            u[:, sl] = raw.view("<u2").reshape(rows, BLOCK_TRIALS)
        if fired.shape[0]:
            np.less(rng.random((fired.shape[0], BLOCK_TRIALS)), p, out=fired[:, sl])
    return u[:, :n_trials], fired[:, :n_trials]


def _value(var: _Var, row: int, u: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Sample a variable for all trials of the chunk (float32)."""
    if var.table is None:
        if out is None:
            return np.full(n, var.offset, dtype=np.float32)
        out.fill(var.offset)
        return out
    x = np.take(var.table, u[row], out=out, mode="wrap")  # uint16 indices are always in range
    x *= np.float32(var.scale)
    if var.offset:
        x += np.float32(var.offset)
    return x


def _prefetch_tables(model: Model, n: int, force: bool | None = None) -> bool:
    """Whether to stream each task's table (times its scale) into a cache-resident scratch
    table before the gather: a gather from a table that is not in cache costs several
    times a streamed copy of it. Tables are cold when the plan has many distinct ones.
    `force` (True/False) overrides the choice (benchmarks time both ways)."""
    if force is not None:
        return force
    distinct = len({id(v.table) for v in model.task_var if v.table is not None})
    return distinct * TABLE_SIZE * 4 > _HOT_TABLE_BYTES or n >= TABLE_SIZE


#: Tables (bytes) that stay in cache across a chunk; more than this and the engine
#: streams each table into a scratch table before gathering from it.
_HOT_TABLE_BYTES = 1 << 20


def _run_chunk(
    model: Model,
    seed: int,
    first_block: int,
    n_blocks: int,
    n: int,
    first_trial: int,
    sample_trials: int,
    ws: dict | None = None,
    *,
    prefetch: bool | None = None,
    criticality: bool = True,
    drivers: bool = True,
    into: _Chunk | None = None,
) -> _Chunk:
    """Simulate trials ``first_trial .. first_trial + n`` (blocks ``first_block ..``).

    `ws` holds work arrays reused across chunks; the sample arrays returned may be views
    into it, valid until the next call with the same `ws`. `prefetch` forces table
    prefetching on or off (None: `_prefetch_tables` decides); ``criticality=False``
    skips the criticality pass (its counts are zeros); ``drivers=False`` keeps no
    driver samples (own estimates, risk firings and impacts, common factors: zero columns).
    `into`: the result arrays; the per-trial outputs (finish, milestones, phases, costs,
    hours) are then written straight into their columns of this chunk, and the returned
    chunk's per-trial arrays are those views (copying them afterwards was ~5% of a run).
    """
    plan = model.plan
    T = len(plan.tasks)
    tindex = plan.task_index()
    u, fired = _draw(model, seed, first_block, n_blocks, n, ws)
    f32 = np.float32
    team = _value(model.team_var, model.team_row, u, n) if model.team_var is not None else None
    caps = []
    for w, v in enumerate(model.ws_var):
        if v is not None:
            caps.append(_value(v, model.ws_row[w], u, n))
        else:
            assert team is not None  # a share workstream needs team_hours_per_week (plan parser)
            caps.append(team * f32(model.ws_share[w]))
    inv_caps = [np.reciprocal(c) for c in caps]
    off = [gaps(w.unavailable) for w in plan.workstreams]
    cols = slice(first_trial, first_trial + n)
    hours = into.hours[:, cols] if into is not None else np.empty((len(caps), n), dtype=np.float32)
    hours.fill(0)
    risk_effort, risk_duration = [], []
    for k, (ev, dv) in enumerate(model.risk_vars):
        rows = model.risk_rows[k]
        risk_effort.append(np.where(fired[k], _value(ev, rows[0], u, n), f32(0)) if ev else None)
        risk_duration.append(np.where(fired[k], _value(dv, rows[1], u, n), f32(0)) if dv else None)
    finish = _buffer(ws, "finish", T, n, np.float32)
    st_buf = _buffer(ws, "start_row", 1, n, np.float32)[0]
    # Starts are not stored for every task (criticality recomputes them); only those of
    # the sampled trials and of the tasks that start a monthly cost are kept.
    s = max(0, min(n, sample_trials - first_trial))
    s_start = np.empty((T, s), dtype=np.float32)
    # Each task's own draw (before risk impacts) in the sampled trials, for the drivers.
    s_est = np.empty((T, s if drivers else 0), dtype=np.float32)
    since_tasks = {tindex[c.from_task] for c in plan.costs if c.from_task}
    since_rows: dict[int, np.ndarray] = {}
    ratios = model.calib_ratios
    # One multiplier per common factor and trial, shared by the factor's tasks.
    factors = [lognormal_factor(sig, u[row]) for sig, row in zip(model.factor_sigmas, model.factor_rows)]
    steps = model.steps or _steps(model)
    prefetch = _prefetch_tables(model, n, prefetch)
    scratch = _buffer(ws, "scratch", 1, TABLE_SIZE, np.float32)[0] if prefetch else None
    # Project finish and phase ends are running maxima over the tasks, taken while each
    # task's finish is still in cache (max is exact, so the order does not matter).
    project = np.empty(n, dtype=np.float32)
    phase_names = plan.phase_names()
    phases = into.phases[:, cols] if into is not None else np.empty((len(phase_names), n), dtype=np.float32)
    phases.fill(np.nan)
    phase_started = [False] * len(phase_names)
    first = True
    maximum, take, multiply = np.maximum, np.take, np.multiply
    for step in steps:
        t = step.task
        ft = finish[t]
        if step.done is not None:
            ft.fill(step.done[1])
            st = _start_into(step, finish, st_buf)
            if drivers and s:
                s_est[t] = 0.0  # a done task has no draw of its own
        else:
            table = step.table
            if table is None:
                ft.fill(step.fixed)
            elif scratch is not None:  # prefetching
                multiply(table, step.scale, out=scratch)
                take(scratch, u[step.row], out=ft, mode="wrap")
            else:
                take(table, u[step.row], out=ft, mode="wrap")
                multiply(ft, step.scale, out=ft)
            if step.offset is not None and table is not None:
                ft += step.offset
            if step.calib_row >= 0:
                ft *= resampled_ratios(ratios, u[step.calib_row])
                if step.calib_scale is not None:
                    ft *= step.calib_scale
            if drivers and s:  # the task's own draw: before the shared factors and risks
                s_est[t] = ft[:s]
            for k in step.factors:
                ft *= factors[k]
            w = step.ws
            for k in step.risks:
                ft += risk_effort[k] if w >= 0 else risk_duration[k]
            if w >= 0:
                hours[w] += ft
                ft *= inv_caps[w]
            st = _start_into(step, finish, st_buf)
            if w >= 0 and off[w]:  # the workstream pauses in its unavailable weeks
                np.copyto(ft, finish_after(st, ft, off[w]))
            else:
                ft += st  # finish = start + duration, in place
        if s:
            s_start[t] = st[:s]
        if t in since_tasks:
            since_rows[t] = st.copy()
        if first:
            np.copyto(project, ft)
            first = False
        else:
            maximum(project, ft, out=project)
        ph = step.phase
        if ph >= 0:
            if phase_started[ph]:
                maximum(phases[ph], ft, out=phases[ph])
            else:
                np.copyto(phases[ph], ft)
                phase_started[ph] = True
    for t, state in enumerate(model.states):
        if state.hours_spent and model.task_ws[t] >= 0:
            hours[model.task_ws[t]] += f32(state.hours_spent)

    milestones = into.milestones[:, cols] if into is not None else np.empty((len(plan.milestones), n), np.float32)
    for m, ms in enumerate(plan.milestones):
        idx = [tindex[x] for x in ms.tasks]
        if len(idx) == 1:
            np.copyto(milestones[m], finish[idx[0]])
        else:
            maximum(finish[idx[0]], finish[idx[1]], out=milestones[m])
            for i in idx[2:]:
                maximum(milestones[m], finish[i], out=milestones[m])

    project64 = into.finish[cols] if into is not None else np.empty(n, dtype=np.float64)
    np.copyto(project64, project)  # float32 to float64: exact
    costs = into.costs[:, cols] if into is not None else np.empty((len(plan.costs), n), dtype=np.float64)
    rates = np.empty((len(plan.costs), n), dtype=np.float32)
    ws_index = plan.workstream_index()
    for c, cost in enumerate(plan.costs):
        rate = _value(model.cost_var[c], model.cost_row[c], u, n)
        rates[c] = rate
        if cost.per_month is not None:
            since = since_rows[tindex[cost.from_task]] if cost.from_task else f32(0)
            costs[c] = rate * (12.0 / 52.0) * np.maximum(project64 - since, 0.0)
        else:
            streams = cost.workstreams if cost.workstreams is not None else tuple(ws_index)
            worked = np.zeros(n, dtype=np.float64)
            for wid in streams:
                worked += hours[ws_index[wid]]
            costs[c] = rate * worked
    cap_arr = np.stack(caps) if caps else np.empty((0, n), dtype=np.float32)
    s_fired, s_risk = _risk_samples(model, fired, risk_effort, risk_duration, s if drivers else 0)
    s_factor = np.empty((len(factors), s if drivers else 0), dtype=np.float32)
    for k, factor in enumerate(factors):
        s_factor[k] = factor[: s_factor.shape[1]]
    # Last: the uniform draws are no longer needed, so criticality may reuse their memory.
    crit_counts = _criticality(steps, finish, project, ws) if criticality else np.zeros(T, dtype=np.int64)
    return _Chunk(
        project64,
        crit_counts,
        milestones,
        phases,
        costs,
        hours,
        s_start,
        finish[:, :s],
        cap_arr[:, :s],
        rates[:, :s],
        s_est,
        s_fired,
        s_risk,
        s_factor,
    )


def _risk_samples(
    model: Model, fired: np.ndarray, effort: list, duration: list, s: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each risk's firing and impact in the first `s` trials of the chunk.

    The impact is in hours: the effort draw plus the duration draw at the plan's
    ``hours_per_day x 5`` hours a week, 0 where the risk did not fire.
    """
    R = len(model.risk_vars)
    hours_per_week = np.float32(model.plan.hours_per_day * 5)
    impact = np.zeros((R, s), dtype=np.float32)
    for k in range(R):
        if effort[k] is not None:
            impact[k] += effort[k][:s]
        if duration[k] is not None:
            impact[k] += duration[k][:s] * hours_per_week
    return fired[:, :s].copy(), impact


def _start_into(step: _Step, finish: np.ndarray, out: np.ndarray) -> np.ndarray:
    """A task's start in every trial: the latest finish of its predecessors (and its
    not-before week). Returns the predecessor's own finish row when that is the start
    (one predecessor, nothing to wait for besides), else fills and returns `out`."""
    if step.done is not None:
        out.fill(step.done[0])
        return out
    preds = step.preds
    if not preds:
        out.fill(step.not_before_week)
    elif step.not_before is None:
        if len(preds) == 1:
            return finish[preds[0]]
        np.maximum(finish[preds[0]], finish[preds[1]], out=out)
        for p in preds[2:]:
            np.maximum(out, finish[p], out=out)
    else:
        np.maximum(finish[preds[0]], step.not_before, out=out)
        for p in preds[1:]:
            np.maximum(out, finish[p], out=out)
    return out


def _criticality(
    steps: tuple[_Step, ...], finish: np.ndarray, project: np.ndarray, ws: dict | None = None
) -> np.ndarray:
    """Trials (count per task) in which each task lies on a longest path.

    One backward pass: a task is critical if it ends the project or if a critical
    successor starts exactly at its finish (it is that successor's binding predecessor).
    Each task, once its own criticality is known, pushes it to its predecessors; its
    start is recomputed from their finishes (not stored: that halves the chunk's memory).
    Tasks critical in no trial of the chunk push nothing; for those critical in every
    trial the mask is not applied; a lone predecessor with nothing else to wait for is
    binding in every trial.
    """
    T, n = finish.shape
    spent = ws.get("u") if ws is not None else None
    if spent is not None and spent.nbytes >= T * n:  # the chunk's uniform draws, used up
        crit = spent.reshape(-1).view(np.uint8)[: T * n].view(bool).reshape(T, n)
    else:
        crit = _buffer(ws, "crit", T, n, bool)
    tmp = _buffer(ws, "crit_tmp", 1, n, bool)[0]
    st_buf = _buffer(ws, "crit_start", 1, n, np.float32)[0]
    counts = np.zeros(T, dtype=np.int64)
    pushed = [False] * T
    equal, logical_and, logical_or, greater_equal = np.equal, np.logical_and, np.logical_or, np.greater_equal
    for step in reversed(steps):
        s = step.task
        c = crit[s]
        if pushed[s]:
            logical_or(c, greater_equal(finish[s], project, out=tmp), out=c)
        else:
            greater_equal(finish[s], project, out=c)
        k = np.count_nonzero(c)
        counts[s] = k
        preds = step.preds
        if k == 0 or not preds:
            continue
        st = _start_into(step, finish, st_buf)
        lone = step.done is None and step.not_before is None and len(preds) == 1
        for p in preds:
            cp = crit[p]
            if lone:  # start == finish[p] in every trial
                if pushed[p]:
                    logical_or(cp, c, out=cp)
                else:
                    np.copyto(cp, c)
            elif pushed[p]:
                equal(st, finish[p], out=tmp)
                if k < n:
                    logical_and(tmp, c, out=tmp)
                logical_or(cp, tmp, out=cp)
            else:
                equal(st, finish[p], out=cp)
                if k < n:
                    logical_and(cp, c, out=cp)
            pushed[p] = True
    return counts
