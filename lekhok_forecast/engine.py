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
    (see `lekhok_forecast.distributions`), then scaled: one draw and one gather per value.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .config import MAX_TRIALS
from .distributions import TABLE_SIZE, Range, quantile_table
from .graph import topological_order
from .plan import Plan, scheduling_edges

#: Trials per random-number block. Part of the definition of a seed's numbers: changing
#: it changes every result, so it is a constant, not an option.
BLOCK_TRIALS = 4096
#: Default number of trials whose full schedule is kept (sensitivity, burn chart).
SAMPLE_TRIALS = 20_000
_CHUNK_CELLS = 1 << 24  # tasks x trials per chunk: bounds the per-chunk arrays

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


def compile_plan(plan: Plan) -> Model:
    """Compile a validated `Plan` into the arrays the engine works on."""
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
    return Model(plan=plan, order=tuple(order), preds=tuple(preds), succs=tuple(tuple(s) for s in succs),
                 random_vars=tuple(rows), task_var=tuple(task_var), task_row=tuple(task_row),
                 task_ws=tuple(task_ws), ws_row=tuple(ws_row), ws_var=tuple(ws_var),
                 ws_share=tuple(ws_share), team_row=team_row, team_var=team_var,
                 risk_prob=np.asarray([r.probability for r in plan.risks], dtype=float),
                 risk_rows=tuple(risk_rows), risk_vars=tuple(risk_vars),
                 task_risks=tuple(tuple(x) for x in task_risks), cost_row=tuple(cost_row),
                 cost_var=tuple(cost_var), calib_rows=tuple(calib_rows), calib_ratios=ratios,
                 n_rows=len(rows))


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
        return (f"SimulationResult({self.plan.name!r}: {self.trials:,} trials, seed {self.seed}, "
                f"finish P50 {np.percentile(f, 50):.2f} / P80 {np.percentile(f, 80):.2f} weeks)")


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


def _draw(model: Model, seed: int, first_block: int, n_blocks: int, n_trials: int):
    """Uniform uint16 draws (rows x trials) and risk firings (risks x trials) for whole blocks."""
    width = n_blocks * BLOCK_TRIALS
    u = np.empty((model.n_rows, width), dtype=np.uint16)
    fired = np.empty((len(model.risk_prob), width), dtype=bool)
    p = model.risk_prob[:, None]
    for k in range(n_blocks):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(first_block + k,))))
        sl = slice(k * BLOCK_TRIALS, (k + 1) * BLOCK_TRIALS)
        if model.n_rows:
            u[:, sl] = rng.integers(0, TABLE_SIZE, size=(model.n_rows, BLOCK_TRIALS), dtype=np.uint16)
        if fired.shape[0]:
            fired[:, sl] = rng.random((fired.shape[0], BLOCK_TRIALS)) < p
    return u[:, :n_trials], fired[:, :n_trials]


def _value(var: _Var, row: int, u: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Sample a variable for all trials of the chunk (float32)."""
    if var.table is None:
        if out is None:
            return np.full(n, var.offset, dtype=np.float32)
        out.fill(var.offset)
        return out
    x = np.take(var.table, u[row], out=out)
    x *= np.float32(var.scale)
    if var.offset:
        x += np.float32(var.offset)
    return x


def _run_chunk(model: Model, seed: int, first_block: int, n_blocks: int, n: int, first_trial: int,
               sample_trials: int) -> _Chunk:
    plan = model.plan
    T = len(plan.tasks)
    u, fired = _draw(model, seed, first_block, n_blocks, n)
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
    start = np.empty((T, n), dtype=np.float32)
    finish = np.empty((T, n), dtype=np.float32)
    ratios = model.calib_ratios
    for t in model.order:
        task = plan.tasks[t]
        st = start[t]
        if task.done_finish_week is not None:
            st.fill(task.done_start_week if task.done_start_week is not None else task.done_finish_week)
            finish[t].fill(task.done_finish_week)
            continue
        est = _value(model.task_var[t], model.task_row[t], u, n, out=finish[t])
        if model.calib_rows[t] >= 0:
            pick = (u[model.calib_rows[t]].astype(np.uint32) * np.uint32(ratios.size)) >> np.uint32(16)
            est *= ratios[pick]
        w = model.task_ws[t]
        for k in model.task_risks[t]:
            est += risk_effort[k] if w >= 0 else risk_duration[k]
        if w >= 0:
            hours[w] += est
            est *= inv_caps[w]
        preds = model.preds[t]
        if preds:
            np.maximum(finish[preds[0]], f32(task.not_before_week), out=st)
            for p in preds[1:]:
                np.maximum(st, finish[p], out=st)
        else:
            st.fill(task.not_before_week)
        est += st  # finish[t] = start + duration, in place
    for t, task in enumerate(plan.tasks):
        if task.hours_spent and model.task_ws[t] >= 0:
            hours[model.task_ws[t]] += f32(task.hours_spent)
    project = finish.max(axis=0)

    # Criticality: one backward pass. A task is critical if it ends the project or if a
    # critical successor's start is exactly its finish (it is the binding predecessor).
    crit = np.empty((T, n), dtype=bool)
    for t in reversed(model.order):
        c = crit[t]
        np.greater_equal(finish[t], project, out=c)
        ft = finish[t]
        for s in model.succs[t]:
            c |= crit[s] & (start[s] == ft)
    crit_counts = crit.sum(axis=1, dtype=np.int64)

    tindex = plan.task_index()
    milestones = np.empty((len(plan.milestones), n), dtype=np.float32)
    for m, ms in enumerate(plan.milestones):
        np.max(finish[[tindex[x] for x in ms.tasks]], axis=0, out=milestones[m])
    phase_names = plan.phase_names()
    phases = np.full((len(phase_names), n), np.nan, dtype=np.float32)
    for p, name in enumerate(phase_names):
        members = [i for i, t in enumerate(plan.tasks) if t.phase == name]
        if members:
            np.max(finish[members], axis=0, out=phases[p])

    project64 = project.astype(np.float64)
    costs = np.empty((len(plan.costs), n), dtype=np.float64)
    rates = np.empty((len(plan.costs), n), dtype=np.float32)
    ws_index = plan.workstream_index()
    for c, cost in enumerate(plan.costs):
        rate = _value(model.cost_var[c], model.cost_row[c], u, n)
        rates[c] = rate
        if cost.per_month is not None:
            since = start[tindex[cost.from_task]] if cost.from_task else f32(0)
            costs[c] = rate * (12.0 / 52.0) * np.maximum(project64 - since, 0.0)
        else:
            streams = cost.workstreams if cost.workstreams is not None else tuple(ws_index)
            worked = np.zeros(n, dtype=np.float64)
            for wid in streams:
                worked += hours[ws_index[wid]]
            costs[c] = rate * worked
    s = max(0, min(n, sample_trials - first_trial))
    cap_arr = np.stack(caps) if caps else np.empty((0, n), dtype=np.float32)
    return _Chunk(project64, crit_counts, milestones, phases, costs, hours,
                  start[:, :s].copy(), finish[:, :s].copy(), cap_arr[:, :s].copy(), rates[:, :s].copy())


def default_chunk_trials(n_tasks: int) -> int:
    """Trials per chunk: whole blocks, bounding tasks x trials per chunk to about 16M cells."""
    blocks = max(1, min(16, _CHUNK_CELLS // (max(n_tasks, 1) * BLOCK_TRIALS)))
    return blocks * BLOCK_TRIALS


# Worker processes inherit the compiled model (and its quantile tables) through fork.
_WORKER_MODEL: Model | None = None


def _worker_run(args):
    seed, first_block, n_blocks, n, first_trial, sample_trials = args
    return _run_chunk(_WORKER_MODEL, seed, first_block, n_blocks, n, first_trial, sample_trials)


def simulate(plan: Plan, trials: int = 20_000, seed: int = 1, *, chunk_trials: int | None = None,
             workers: int = 1, sample_trials: int | None = None,
             progress: ProgressFn | None = None) -> SimulationResult:
    """Run the Monte Carlo simulation of a plan.

    Parameters
    ----------
    plan : Plan
        A validated plan (see `lekhok_forecast.plan.load_plan`).
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
    >>> from lekhok_forecast.plan import plan_from_text
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
    chunk = default_chunk_trials(T) if chunk_trials is None else int(chunk_trials)
    if chunk < 1:
        raise ValueError(f"chunk_trials must be positive, got {chunk_trials!r}")
    blocks_per_chunk = max(1, math.ceil(chunk / BLOCK_TRIALS))
    n_blocks = math.ceil(trials / BLOCK_TRIALS)
    jobs = []
    for b in range(0, n_blocks, blocks_per_chunk):
        nb = min(blocks_per_chunk, n_blocks - b)
        first = b * BLOCK_TRIALS
        jobs.append((seed, b, nb, min(nb * BLOCK_TRIALS, trials - first), first, sample_trials))

    chunks: list[_Chunk] = []
    done = 0
    if workers > 1 and len(jobs) > 1:
        import concurrent.futures as cf
        import multiprocessing as mp

        global _WORKER_MODEL
        _WORKER_MODEL = model
        try:
            ctx = mp.get_context("fork")
            with cf.ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
                for ch in pool.map(_worker_run, jobs):
                    chunks.append(ch)
                    done += ch.finish.size
                    if progress:
                        progress(done, trials)
        finally:
            _WORKER_MODEL = None
    else:
        for job in jobs:
            ch = _run_chunk(model, *job)
            chunks.append(ch)
            done += ch.finish.size
            if progress:
                progress(done, trials)

    def cat(name, axis=-1):
        return np.concatenate([getattr(c, name) for c in chunks], axis=axis)

    crit = np.sum([c.crit_counts for c in chunks], axis=0) / trials
    return SimulationResult(plan=plan, trials=trials, seed=seed, finish_weeks=cat("finish"),
                            task_criticality=crit, milestone_weeks=cat("milestones"),
                            phase_end_weeks=cat("phases"), cost_by_item=cat("costs"),
                            hours_by_workstream=cat("hours"), sample_start_weeks=cat("s_start"),
                            sample_finish_weeks=cat("s_finish"), sample_capacity=cat("s_cap"),
                            sample_cost_rates=cat("s_rates"))


def sampler_calls(plan: Plan, trials: int, seed: int = 1, chunk_trials: int | None = None) -> int:
    """Number of generator calls `simulate` makes: blocks x (1 or 2). A regression guard.

    It depends on the trial count only through the number of blocks, never per trial.
    """
    model = compile_plan(plan)
    per_block = int(model.n_rows > 0) + int(len(model.risk_prob) > 0)
    return math.ceil(trials / BLOCK_TRIALS) * per_block


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
    team = plan.team_hours_per_week.mode if plan.team_hours_per_week is not None else 0.0
    caps = [w.hours_per_week.mode if w.hours_per_week is not None else w.share * team
            for w in plan.workstreams]
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
