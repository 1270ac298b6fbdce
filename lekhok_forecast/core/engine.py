"""The vectorised Monte Carlo engine.

Trials are the last axis of every array. The engine never loops over trials in Python:
it loops over *tasks* (in topological order) and over fixed-size random-number *blocks*.

Randomness
    Trial ``j`` belongs to block ``j // BLOCK_TRIALS``. Block ``b`` draws all of its random
    numbers from its own generator, ``PCG64(SeedSequence(seed, spawn_key=(b,)))``, in one
    call. So the numbers of a trial depend only on the seed, the plan and the trial's
    index: never on the chunk size, the number of workers or the total trial count.

Memory
    Trials are processed in chunks of whole blocks; only per-trial outputs (finish week,
    cost, milestone weeks, phase ends, hours worked) are kept for every trial, plus the
    full task schedule for the first `sample_trials` trials (for sensitivity and the burn
    chart). Criticality is counted per chunk.

Sampling
    Every random quantity is a 16-bit uniform integer looked up in an inverse-CDF table
    (see `lekhok_forecast.core.distributions`), then scaled: one draw and one gather per value.
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lekhok_forecast.config import MAX_TRIALS
from lekhok_forecast.core.distributions import TABLE_SIZE, Range, quantile_table
from lekhok_forecast.core.graph import topological_order
from lekhok_forecast.core.plan import Plan, scheduling_edges

#: Trials per random-number block. Part of the definition of a seed's numbers: changing
#: it changes every result, so it is a constant, not an option.
BLOCK_TRIALS = 4096
#: Default number of trials whose full schedule is kept (sensitivity, burn chart).
SAMPLE_TRIALS = 20_000
_CHUNK_CELLS = 1 << 24  # tasks x trials per chunk: bounds the per-chunk arrays
_LARGE_OUTPUT_BYTES = 512 << 20
_PLAIN_PAGES_BYTES = 32 << 20  # result arrays this large are mapped without huge pages

ProgressFn = Callable[[int, int], None]


# ----------------------------------------------------------------------------- model


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
    n_rows: int
    steps: tuple = ()  # the forward pass, resolved (see `_steps`)


def _build_tables(plan: Plan) -> None:
    """Build the quantile tables of every shape in `plan` (cached by shape), on several
    threads when there are many: SciPy's betainc releases the GIL, and at ~2 ms a shape
    a 1,000-task plan with hundreds of distinct shapes compiles twice as fast on 2 cores."""
    ranges = [plan.team_hours_per_week] + [w.hours_per_week for w in plan.workstreams]
    ranges += [t.estimate for t in plan.tasks if t.done_finish_week is None]
    ranges += [r.effort_hours for r in plan.risks] + [r.duration_weeks for r in plan.risks]
    ranges += [c.per_month if c.per_month is not None else c.per_hour for c in plan.costs]
    keys = {r.affine()[0] for r in ranges if r is not None and r.is_random} - _BUILT_SHAPES
    threads = min(4, os.cpu_count() or 1)
    if len(keys) >= 16 and threads >= 2:  # else built one by one as compile_plan meets them
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(quantile_table, sorted(keys)))
    _BUILT_SHAPES.update(keys)


_BUILT_SHAPES: set = set()  # shapes whose tables `_build_tables` has had built (and cached)


def compile_plan(plan: Plan) -> Model:
    """Compile a validated `Plan` into the arrays the engine works on."""
    _build_tables(plan)
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
    ws_var, ws_row, ws_share = [], [], []
    for w in plan.workstreams:
        if w.share is not None:
            ws_var.append(None)
            ws_row.append(-1)
            ws_share.append(w.share)
        else:
            v = _var(w.hours_per_week)
            ws_var.append(v)
            ws_row.append(add(v))
            ws_share.append(0.0)
    task_var, task_row, task_ws = [], [], []
    for t in plan.tasks:
        v = _var(t.estimate) if t.done_finish_week is None else _Var(None, 0.0, 0.0)
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
            if plan.tasks[tindex[tid]].done_finish_week is None:
                task_risks[tindex[tid]].append(k)
    cost_var, cost_row = [], []
    for c in plan.costs:
        v = _var(c.per_month if c.per_month is not None else c.per_hour)
        cost_var.append(v)
        cost_row.append(add(v))
    ratios = np.asarray(plan.calibration_ratios, dtype=np.float32)
    calib_rows = []
    for t in plan.tasks:
        if t.calibrate and ratios.size and t.done_finish_week is None:
            rows.append(_Var(None, 0.0, 0.0))  # placeholder row: a raw uint16 pick
            calib_rows.append(len(rows) - 1)
        else:
            calib_rows.append(-1)
    model = Model(
        plan=plan,
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
        n_rows=len(rows),
    )
    return dataclasses.replace(model, steps=_steps(model))


# ---------------------------------------------------------------------------- result


@dataclass(frozen=True)
class SimulationResult:
    """Per-trial outputs of `simulate`. Arrays have trials on the last axis.

    Attributes
    ----------
    plan : Plan
    trials, seed : int
    finish_weeks : ndarray (trials,)
        Project finish in weeks from start.
    task_criticality : ndarray (tasks,)
        Share of trials in which each task lies on a longest (binding) path.
    milestone_weeks : ndarray (milestones, trials)
    phase_end_weeks : ndarray (phases, trials)
        Latest finish of each phase's tasks, phases in `Plan.phase_names` order.
    cost_by_item : ndarray (costs, trials)
        Total of each cost item, in the plan's currency.
    hours_by_workstream : ndarray (workstreams, trials)
        Effort hours worked per workstream (hours already spent included).
    sample_start_weeks, sample_finish_weeks : ndarray (tasks, sample)
        Full schedule of the first ``sample`` trials.
    sample_capacity : ndarray (workstreams, sample)
        Hours per week of each workstream in those trials.
    sample_cost_rates : ndarray (costs, sample)
        Monthly amount or hourly rate of each cost item in those trials.
    """

    plan: Plan
    trials: int
    seed: int
    finish_weeks: np.ndarray
    task_criticality: np.ndarray
    milestone_weeks: np.ndarray
    phase_end_weeks: np.ndarray
    cost_by_item: np.ndarray
    hours_by_workstream: np.ndarray
    sample_start_weeks: np.ndarray
    sample_finish_weeks: np.ndarray
    sample_capacity: np.ndarray
    sample_cost_rates: np.ndarray

    @property
    def cost_total(self) -> np.ndarray:
        """Total cost per trial (zeros when the plan has no costs)."""
        return self.cost_by_item.sum(axis=0)

    @property
    def sample_duration_weeks(self) -> np.ndarray:
        """Task durations (weeks) in the sampled trials."""
        return self.sample_finish_weeks - self.sample_start_weeks

    @property
    def sample_trials(self) -> int:
        return self.sample_finish_weeks.shape[1]

    def __str__(self) -> str:
        f = self.finish_weeks
        return (
            f"SimulationResult({self.plan.name!r}: {self.trials:,} trials, seed {self.seed}, "
            f"finish P50 {np.percentile(f, 50):.2f} / P80 {np.percentile(f, 80):.2f} weeks)"
        )


# ---------------------------------------------------------------------------- engine


@dataclass
class _Chunk:
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


def _buffer(ws: dict | None, name: str, rows: int, width: int, dtype) -> np.ndarray:
    """A (rows, width) work array, reused from `ws` across the chunks of one simulation
    (fresh pages cost more to fault in than the arithmetic done on them)."""
    if ws is None:
        return np.empty((rows, width), dtype=dtype)
    a = ws.get(name)
    if a is None or a.shape[0] != rows or a.shape[1] < width:
        a = ws[name] = _work_array((rows, width), dtype)
    return a[:, :width]


def _work_array(shape, dtype) -> np.ndarray:
    """An uninitialised work array. Those of 1 MB or more are mapped privately without
    transparent huge pages (see `_outputs`) and not inherited by forked processes: worker
    processes have their own, and sharing these copy-on-write would make this process
    copy every page it then writes (~25 ms a parallel call on the 100-task network)."""
    import mmap

    count = math.prod(shape)
    nbytes = count * np.dtype(dtype).itemsize
    if nbytes < _WORK_MAP_BYTES or not hasattr(mmap, "MAP_PRIVATE"):
        return np.empty(shape, dtype=dtype)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_DONTFORK"):
        buf.madvise(mmap.MADV_DONTFORK)
    return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)


_WORK_MAP_BYTES = 1 << 20


def _draw(model: Model, seed: int, first_block: int, n_blocks: int, n_trials: int, ws: dict | None = None):
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
    for t in model.order:
        task = plan.tasks[t]
        done = None
        if task.done_finish_week is not None:
            done = (
                task.done_start_week if task.done_start_week is not None else task.done_finish_week,
                task.done_finish_week,
            )
        var = model.task_var[t]
        preds = model.preds[t]
        # max(finish, 0) is finish itself when every predecessor is simulated: their
        # finishes are sums of non-negative float32 terms, never negative or -0.0.
        skip_zero = task.not_before_week == 0 and all(plan.tasks[p].done_finish_week is None for p in preds)
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
                ws=model.task_ws[t],
                risks=model.task_risks[t],
                preds=preds,
                not_before=None if skip_zero else f32(task.not_before_week),
                not_before_week=task.not_before_week,
                phase=phase_of.get(task.phase, -1) if task.phase else -1,
            )
        )
    return tuple(steps)


def _prefetch_tables(model: Model, n: int) -> bool:
    """Whether to stream each task's table (times its scale) into a cache-resident scratch
    table before the gather: a gather from a table that is not in cache costs several
    times a streamed copy of it. Tables are cold when the plan has many distinct ones."""
    if _PREFETCH is not None:
        return _PREFETCH
    distinct = len({id(v.table) for v in model.task_var if v.table is not None})
    return distinct * TABLE_SIZE * 4 > _HOT_TABLE_BYTES or n >= TABLE_SIZE


#: Tables (bytes) that stay in cache across a chunk; more than this and the engine
#: streams each table into a scratch table before gathering from it.
_HOT_TABLE_BYTES = 1 << 20
_PREFETCH: bool | None = None  # benchmarks: force prefetching on or off
_CRITICALITY = True  # benchmarks: False skips the criticality pass (to time it)


def _run_chunk(
    model: Model,
    seed: int,
    first_block: int,
    n_blocks: int,
    n: int,
    first_trial: int,
    sample_trials: int,
    ws: dict | None = None,
) -> _Chunk:
    """Simulate trials ``first_trial .. first_trial + n`` (blocks ``first_block ..``).

    `ws` holds work arrays reused across chunks; the sample arrays returned may be views
    into it, valid until the next call with the same `ws`.
    """
    plan = model.plan
    T = len(plan.tasks)
    tindex = plan.task_index()
    u, fired = _draw(model, seed, first_block, n_blocks, n, ws)
    f32 = np.float32
    team = _value(model.team_var, model.team_row, u, n) if model.team_var is not None else None
    caps = []
    for w, v in enumerate(model.ws_var):
        caps.append(_value(v, model.ws_row[w], u, n) if v is not None else team * f32(model.ws_share[w]))
    inv_caps = [np.reciprocal(c) for c in caps]
    hours = np.zeros((len(caps), n), dtype=np.float32)
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
    since_tasks = {tindex[c.from_task] for c in plan.costs if c.from_task}
    since_rows: dict[int, np.ndarray] = {}
    ratios = model.calib_ratios
    steps = model.steps or _steps(model)
    prefetch = _prefetch_tables(model, n)
    scratch = _buffer(ws, "scratch", 1, TABLE_SIZE, np.float32)[0] if prefetch else None
    # Project finish and phase ends are running maxima over the tasks, taken while each
    # task's finish is still in cache (max is exact, so the order does not matter).
    project = np.empty(n, dtype=np.float32)
    phase_names = plan.phase_names()
    phases = np.full((len(phase_names), n), np.nan, dtype=np.float32)
    phase_started = [False] * len(phase_names)
    first = True
    maximum, take, multiply = np.maximum, np.take, np.multiply
    for step in steps:
        t = step.task
        ft = finish[t]
        if step.done is not None:
            ft.fill(step.done[1])
            st = _start_into(step, finish, st_buf)
        else:
            table = step.table
            if table is None:
                ft.fill(step.fixed)
            elif prefetch:
                multiply(table, step.scale, out=scratch)
                take(scratch, u[step.row], out=ft, mode="wrap")
            else:
                take(table, u[step.row], out=ft, mode="wrap")
                multiply(ft, step.scale, out=ft)
            if step.offset is not None and table is not None:
                ft += step.offset
            if step.calib_row >= 0:
                pick = (u[step.calib_row].astype(np.uint32) * np.uint32(ratios.size)) >> np.uint32(16)
                ft *= ratios[pick]
            w = step.ws
            for k in step.risks:
                ft += risk_effort[k] if w >= 0 else risk_duration[k]
            if w >= 0:
                hours[w] += ft
                ft *= inv_caps[w]
            st = _start_into(step, finish, st_buf)
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
    for t, task in enumerate(plan.tasks):
        if task.hours_spent and model.task_ws[t] >= 0:
            hours[model.task_ws[t]] += f32(task.hours_spent)

    milestones = np.empty((len(plan.milestones), n), dtype=np.float32)
    for m, ms in enumerate(plan.milestones):
        idx = [tindex[x] for x in ms.tasks]
        if len(idx) == 1:
            np.copyto(milestones[m], finish[idx[0]])
        else:
            maximum(finish[idx[0]], finish[idx[1]], out=milestones[m])
            for i in idx[2:]:
                maximum(milestones[m], finish[i], out=milestones[m])

    project64 = project.astype(np.float64)
    costs = np.empty((len(plan.costs), n), dtype=np.float64)
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
    # Last: the uniform draws are no longer needed, so criticality may reuse their memory.
    crit_counts = _criticality(steps, finish, project, ws) if _CRITICALITY else np.zeros(T, dtype=np.int64)
    return _Chunk(
        project64, crit_counts, milestones, phases, costs, hours, s_start, finish[:, :s], cap_arr[:, :s], rates[:, :s]
    )


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


def default_chunk_trials(n_tasks: int) -> int:
    """Trials per chunk: whole blocks, bounding tasks x trials per chunk to about 16M cells."""
    blocks = max(1, min(16, _CHUNK_CELLS // (max(n_tasks, 1) * BLOCK_TRIALS)))
    return blocks * BLOCK_TRIALS


#: Work arrays up to this size stay allocated between `simulate` calls (per thread), so
#: repeated runs (the explorer) do not fault in fresh pages every time; not after a run
#: whose outputs are large (`_LARGE_OUTPUT_BYTES`), which needs the memory back.
_KEEP_WORKSPACE_BYTES = 128 << 20
_workspaces = threading.local()


def _workspace() -> dict:
    ws = getattr(_workspaces, "ws", None)
    if ws is None:
        ws = _workspaces.ws = {}
    return ws


def _forget_workspace_after_fork() -> None:
    # The kept work arrays are not mapped in a forked child (MADV_DONTFORK): drop them.
    _workspaces.ws = {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workspace_after_fork)


def _release_workspace(ws: dict, large_output: bool = False) -> None:
    if large_output or sum(a.nbytes for a in ws.values()) > _KEEP_WORKSPACE_BYTES:
        ws.clear()


def _large_output(plan: Plan, trials: int) -> bool:
    """Whether the per-trial outputs alone are large (10^7 trials of a big plan)."""
    per_trial = 8 + 4 * (len(plan.milestones) + len(plan.phase_names()) + len(plan.workstreams)) + 8 * len(plan.costs)
    return trials * per_trial > _LARGE_OUTPUT_BYTES


def _chunk_trials(plan: Plan, trials: int) -> int:
    """`simulate`'s chunk: `default_chunk_trials`, a quarter smaller when the per-trial
    outputs alone are large, to leave them the memory."""
    chunk = default_chunk_trials(len(plan.tasks))
    if _large_output(plan, trials) and chunk >= 4 * BLOCK_TRIALS:
        chunk = chunk * 3 // 4 // BLOCK_TRIALS * BLOCK_TRIALS
    return chunk


# Worker processes inherit the compiled model (and its quantile tables) through fork.
_WORKER_MODEL: Model | None = None
_WORKER_OUT: _Chunk | None = None
_WORKER_WS: dict = {}


def _worker_run(args):
    """Run one chunk in a worker process and write its outputs straight into the shared
    output arrays; only the criticality counts travel back."""
    ch = _run_chunk(_WORKER_MODEL, *args, ws=_WORKER_WS)
    _place(_WORKER_OUT, args[4], ch)
    return ch.crit_counts, ch.finish.size


def _outputs(plan: Plan, trials: int, sample: int, shared: bool) -> _Chunk:
    """The result arrays, allocated once and filled chunk by chunk (no concatenation,
    which would hold every trial's outputs twice).

    `shared`: in anonymous shared memory, which processes forked afterwards write to
    directly. Large arrays are mapped privately otherwise: NumPy asks for transparent
    huge pages on big arrays, and where the kernel must compact memory to find them,
    first touching fresh ones cost 1.5-2.5 ms/MB here against 0.4 for plain pages (the
    outputs of 10^7 trials are ~650 MB, written once, front to back).
    """
    import mmap

    def empty(shape, dtype):
        count = math.prod(shape)
        nbytes = count * np.dtype(dtype).itemsize
        if shared and count:
            buf = mmap.mmap(-1, nbytes)
        elif nbytes >= _PLAIN_PAGES_BYTES and hasattr(mmap, "MAP_PRIVATE"):
            buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        else:
            return np.empty(shape, dtype=dtype)
        return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)

    T, W, C = len(plan.tasks), len(plan.workstreams), len(plan.costs)
    f32 = np.float32
    return _Chunk(
        finish=empty((trials,), np.float64),
        crit_counts=np.zeros(T, dtype=np.int64),
        milestones=empty((len(plan.milestones), trials), f32),
        phases=empty((len(plan.phase_names()), trials), f32),
        costs=empty((C, trials), np.float64),
        hours=empty((W, trials), f32),
        s_start=empty((T, sample), f32),
        s_finish=empty((T, sample), f32),
        s_cap=empty((W, sample), f32),
        s_rates=empty((C, sample), f32),
    )


def _place(out: _Chunk, first_trial: int, ch: _Chunk) -> None:
    """Copy a chunk's per-trial outputs into the result arrays at `first_trial`."""
    a, b = first_trial, first_trial + ch.finish.size
    out.finish[a:b] = ch.finish
    for name in ("milestones", "phases", "costs", "hours"):
        getattr(out, name)[:, a:b] = getattr(ch, name)
    s = ch.s_start.shape[1]
    if s:
        for name in ("s_start", "s_finish", "s_cap", "s_rates"):
            getattr(out, name)[:, a : a + s] = getattr(ch, name)


def simulate(
    plan: Plan,
    trials: int = 20_000,
    seed: int = 1,
    *,
    chunk_trials: int | None = None,
    workers: int = 1,
    sample_trials: int | None = None,
    progress: ProgressFn | None = None,
) -> SimulationResult:
    """Run the Monte Carlo simulation of a plan.

    Parameters
    ----------
    plan : Plan
        A validated plan (see `lekhok_forecast.core.plan.load_plan`).
    trials : int
        Number of trials (>= 1).
    seed : int
        Seed (>= 0). The same seed gives the same numbers whatever `chunk_trials` and
        `workers` are.
    chunk_trials : int, optional
        Trials per chunk, rounded up to whole blocks of `BLOCK_TRIALS`; bounds memory.
    workers : int
        Processes to use (1: this process). Results do not depend on it.
    sample_trials : int, optional
        Trials whose full schedule is kept for sensitivity and burn analyses (default
        ``SAMPLE_TRIALS``, fewer for very large networks to bound memory).
    progress : callable, optional
        Called as ``progress(trials_done, trials)`` after each chunk.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from lekhok_forecast.core.plan import plan_from_text
    >>> plan = plan_from_text("name: demo\\ntasks:\\n- {id: a, duration: {low: 1, high: 3}, units: weeks}")  # doctest: +SKIP
    """
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or not 1 <= trials <= MAX_TRIALS:
        raise ValueError(f"trials must be an integer in [1, {MAX_TRIALS:,}], got {trials!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    trials, seed = int(trials), int(seed)
    model = compile_plan(plan)
    T = len(plan.tasks)
    if sample_trials is None:
        sample_trials = min(SAMPLE_TRIALS, max(2_000, 10_000_000 // max(T, 1)))
    sample_trials = min(int(sample_trials), trials)
    chunk = _chunk_trials(plan, trials) if chunk_trials is None else int(chunk_trials)
    if chunk < 1:
        raise ValueError(f"chunk_trials must be positive, got {chunk_trials!r}")
    blocks_per_chunk = max(1, math.ceil(chunk / BLOCK_TRIALS))
    n_blocks = math.ceil(trials / BLOCK_TRIALS)
    jobs = []
    for b in range(0, n_blocks, blocks_per_chunk):
        nb = min(blocks_per_chunk, n_blocks - b)
        first = b * BLOCK_TRIALS
        jobs.append((seed, b, nb, min(nb * BLOCK_TRIALS, trials - first), first, sample_trials))

    parallel = workers > 1 and len(jobs) > 1
    out = _outputs(plan, trials, max(sample_trials, 0), shared=parallel)
    state = {"done": 0}

    def account(crit_counts: np.ndarray, n: int) -> None:
        out.crit_counts += crit_counts
        state["done"] += n
        if progress:
            progress(state["done"], trials)

    def collect(job, ch: _Chunk) -> None:
        _place(out, job[4], ch)
        account(ch.crit_counts, ch.finish.size)

    if parallel:
        import concurrent.futures as cf
        import multiprocessing as mp
        from collections import deque

        global _WORKER_MODEL, _WORKER_OUT
        _WORKER_MODEL, _WORKER_OUT = model, out
        # This process works too: `workers` processes in all take chunks from one queue,
        # each child with one chunk queued ahead so it never waits for this process.
        pending = deque(jobs)
        children = min(workers, len(jobs)) - 1
        ws = _workspace()
        try:
            ctx = mp.get_context("fork")
            pool = cf.ProcessPoolExecutor(max_workers=children, mp_context=ctx)
            try:
                running: dict = {}
                while pending or running:
                    while pending and len(running) < 2 * children:
                        job = pending.popleft()
                        running[pool.submit(_worker_run, job)] = job
                    if pending:
                        job = pending.popleft()
                        collect(job, _run_chunk(model, *job, ws=ws))
                        finished = [f for f in running if f.done()]
                    else:
                        finished = cf.wait(running, return_when=cf.FIRST_COMPLETED).done
                    for f in finished:
                        running.pop(f)
                        account(*f.result())
            finally:
                # (wait=False would save the children's exit, ~20 ms, but leaves CPython's
                # exit handler writing to a closed pipe: "Bad file descriptor" on stderr.)
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            _WORKER_MODEL = _WORKER_OUT = None
            _release_workspace(ws, _large_output(plan, trials))
    else:
        ws = _workspace()
        try:
            for job in jobs:
                collect(job, _run_chunk(model, *job, ws=ws))
        finally:
            _release_workspace(ws, _large_output(plan, trials))

    return SimulationResult(
        plan=plan,
        trials=trials,
        seed=seed,
        finish_weeks=out.finish,
        task_criticality=out.crit_counts / trials,
        milestone_weeks=out.milestones,
        phase_end_weeks=out.phases,
        cost_by_item=out.costs,
        hours_by_workstream=out.hours,
        sample_start_weeks=out.s_start,
        sample_finish_weeks=out.s_finish,
        sample_capacity=out.s_cap,
        sample_cost_rates=out.s_rates,
    )


def sampler_calls(plan: Plan, trials: int, seed: int = 1, chunk_trials: int | None = None) -> int:
    """Number of generator calls `simulate` makes: blocks x (1 or 2). A regression guard.

    It depends on the trial count only through the number of blocks, never per trial.
    """
    model = compile_plan(plan)
    per_block = int(model.n_rows > 0) + int(len(model.risk_prob) > 0)
    return math.ceil(trials / BLOCK_TRIALS) * per_block


def modal_capacities(plan: Plan) -> list[float]:
    """Each workstream's most likely hours per week (a share of the team's mode for shares)."""
    team = plan.team_hours_per_week.mode if plan.team_hours_per_week is not None else 0.0
    return [w.hours_per_week.mode if w.hours_per_week is not None else w.share * team for w in plan.workstreams]


def deterministic_schedule(plan: Plan, which: str = "mode") -> tuple[np.ndarray, np.ndarray]:
    """Start and finish weeks of each task with every quantity at its mode (or `low`/`high`).

    Capacity is taken at its mode (midpoint for uniform ranges) whatever `which` is;
    risks are left out. Used for the critical chain and its root-square-error buffer.
    """
    if which not in ("low", "mode", "high"):
        raise ValueError(f"which must be low, mode or high, got {which!r}")
    T = len(plan.tasks)
    preds = scheduling_edges(plan.tasks)
    order = topological_order(preds)
    ws_index = plan.workstream_index()
    caps = modal_capacities(plan)
    start, finish = np.zeros(T), np.zeros(T)
    for t in order:
        task = plan.tasks[t]
        if task.done_finish_week is not None:
            start[t] = task.done_start_week if task.done_start_week is not None else task.done_finish_week
            finish[t] = task.done_finish_week
            continue
        est = getattr(task.estimate, which)
        if task.workstream is not None:
            est = est / caps[ws_index[task.workstream]]
        start[t] = max([task.not_before_week] + [finish[p] for p in preds[t]])
        finish[t] = start[t] + est
    return start, finish
