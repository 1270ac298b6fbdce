"""Running a simulation: chunks of whole blocks, work memory, worker processes (`pool`), the result.

Memory
    Trials are processed in chunks of whole blocks; only per-trial outputs (finish week,
    cost, milestone weeks, phase ends, hours worked) are kept for every trial, plus the
    full task schedule for the first `sample_trials` trials (for sensitivity and the burn
    chart). Criticality is counted per chunk.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import mmap
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from lekhok_forecast.config import MAX_TRIALS
from lekhok_forecast.core.asof import AsOf
from lekhok_forecast.core.engine.kernel import BLOCK_TRIALS, _Chunk, _inherited, _place, _run_chunk
from lekhok_forecast.core.engine.model import compile_plan
from lekhok_forecast.core.engine.pool import Job, SharedArrays, pool_available, run_parallel, shared_arrays
from lekhok_forecast.core.plan import Plan

#: Default number of trials whose full schedule is kept (sensitivity, burn chart).
SAMPLE_TRIALS = 20_000
_CHUNK_CELLS = 1 << 24  # tasks x trials per chunk: bounds the per-chunk arrays
#: Trials x tasks from which `simulate(workers=K>1)` uses worker processes; below it one
#: process is faster whatever K (measured: benchmarks/workers.py).
PARALLEL_MIN_CELLS = 8_000_000
_SHARE_OF_LEFT = 2  # a parallel chunk is at most 1 / (this x workers) of the blocks left
_MIN_SPLIT_BLOCKS = 4
_LARGE_OUTPUT_BYTES = 512 << 20
_PLAIN_PAGES_BYTES = 32 << 20  # result arrays this large are mapped without huge pages

ProgressFn = Callable[[int, int], None]


# ---------------------------------------------------------------------------- result


@dataclass(frozen=True)
class SimulationResult:
    """Per-trial outputs of `simulate`. Arrays have trials on the last axis.

    Attributes
    ----------
    plan : Plan
    trials, seed : int
    as_of : AsOf
        The as-of state the plan was simulated from (`AsOf()`: the plan as written).
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
    sample_estimates : ndarray (tasks, sample)
        Each task's own draw in those trials, before common factors and risk impacts
        (its calibration ratio included): effort hours, or duration weeks; 0 for a done task.
    sample_risk_fired : ndarray (risks, sample), bool
        Whether each risk fired in those trials.
    sample_risk_hours : ndarray (risks, sample)
        Each risk's impact in hours (effort hours plus duration weeks at
        ``hours_per_day x 5`` hours a week), 0 where it did not fire.
    sample_factors : ndarray (factors, sample)
        Each common factor's multiplier in those trials (the plan's ``correlation:``,
        the calibration's level), in the order of `factor_names`.
    factor_names : tuple of str
        ``overrun``, ``group<k>`` (the plan's k-th correlation group, from 1) or
        ``calibration``, one per common factor the simulation drew.
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
    sample_estimates: np.ndarray
    sample_risk_fired: np.ndarray
    sample_risk_hours: np.ndarray
    sample_factors: np.ndarray
    as_of: AsOf = AsOf()
    factor_names: tuple[str, ...] = ()

    @functools.cached_property
    def cost_total(self) -> np.ndarray:
        """Total cost per trial (zeros when the plan has no costs); read-only, computed once."""
        return _read_only(self.cost_by_item.sum(axis=0))

    @functools.cached_property
    def sorted_finish_weeks(self) -> np.ndarray:
        """`finish_weeks` in ascending order (read-only, sorted once): every percentile of
        the finish is read from it (`np.percentile` of a sorted array gives the same
        numbers, several times faster than partitioning the trials for each call)."""
        return _read_only(np.sort(self.finish_weeks))

    @functools.cached_property
    def sorted_cost_total(self) -> np.ndarray:
        """`cost_total` in ascending order (read-only, sorted once), for its percentiles."""
        return _read_only(np.sort(self.cost_total))

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


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


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


def _outputs(
    plan: Plan, trials: int, sample: int, shared: bool, drivers: bool = True, factors: int = 0
) -> tuple[_Chunk, SharedArrays | None]:
    """The result arrays, allocated once and filled chunk by chunk (no concatenation,
    which would hold every trial's outputs twice).

    `shared`: in one shared memory file that the warm worker processes map and write to
    directly (`lekhok_forecast.core.engine.pool.shared_arrays`; returned too). Large
    arrays are mapped privately otherwise: NumPy asks for transparent huge pages on big
    arrays, and where the kernel must compact memory to find them, first touching fresh
    ones cost 1.5-2.5 ms/MB here against 0.4 for plain pages (the outputs of 10^7 trials
    are ~650 MB, written once, front to back).
    """

    def empty(shape: tuple[int, ...], dtype: DTypeLike) -> np.ndarray:
        count = math.prod(shape)
        nbytes = count * np.dtype(dtype).itemsize
        if nbytes >= _PLAIN_PAGES_BYTES and hasattr(mmap, "MAP_PRIVATE"):
            buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)
        return np.empty(shape, dtype=dtype)

    T, W, C, R = len(plan.tasks), len(plan.workstreams), len(plan.costs), len(plan.risks)
    f32 = np.float32
    specs = [
        ("finish", (trials,), np.float64),
        ("milestones", (len(plan.milestones), trials), f32),
        ("phases", (len(plan.phase_names()), trials), f32),
        ("costs", (C, trials), np.float64),
        ("hours", (W, trials), f32),
        ("s_start", (T, sample), f32),
        ("s_finish", (T, sample), f32),
        ("s_cap", (W, sample), f32),
        ("s_rates", (C, sample), f32),
        ("s_est", (T, sample if drivers else 0), f32),
        ("s_fired", (R, sample if drivers else 0), np.bool_),
        ("s_risk", (R, sample if drivers else 0), f32),
        ("s_factor", (factors, sample if drivers else 0), f32),
    ]
    block = shared_arrays(specs) if shared else None
    arrays = block.arrays if block is not None else {name: empty(shape, dt) for name, shape, dt in specs}
    return _Chunk(crit_counts=np.zeros(T, dtype=np.int64), **arrays), block


def simulate(
    plan: Plan,
    trials: int = 20_000,
    seed: int = 1,
    *,
    as_of: AsOf | None = None,
    chunk_trials: int | None = None,
    workers: int = 1,
    sample_trials: int | None = None,
    progress: ProgressFn | None = None,
    prefetch: bool | None = None,
    criticality: bool = True,
    drivers: bool = True,
) -> SimulationResult:
    """Run the Monte Carlo simulation of a plan.

    Parameters
    ----------
    plan : Plan
        A validated plan (see `lekhok_forecast.sources.plan_file.load_plan`).
    trials : int
        Number of trials (>= 1).
    seed : int
        Seed (>= 0). The same seed gives the same numbers whatever `chunk_trials` and
        `workers` are.
    as_of : AsOf, optional
        Where the work stands (done tasks, not-before weeks, hours spent, calibration;
        see `lekhok_forecast.core.asof`). None: the plan as written.
    chunk_trials : int, optional
        Trials per chunk, rounded up to whole blocks of `BLOCK_TRIALS`; bounds memory.
    workers : int
        Processes to use (1: this process). Results do not depend on it. Below
        `PARALLEL_MIN_CELLS` trials x tasks this process runs alone whatever `workers`
        is (it is faster there); above, the other ``workers - 1`` are the warm pool's
        (`lekhok_forecast.core.engine.pool`), forked on first use and kept.
    sample_trials : int, optional
        Trials whose full schedule is kept for sensitivity and burn analyses (default
        ``SAMPLE_TRIALS``, fewer for very large networks to bound memory).
    progress : callable, optional
        Called as ``progress(trials_done, trials)`` after each chunk.
    prefetch : bool, optional
        Force streaming each quantile table into a cache-resident scratch table before
        gathering from it (True) or never (False); None lets the engine choose. Timing
        only: the numbers are the same either way.
    criticality : bool
        False skips the criticality pass (`task_criticality` is then all zeros); for
        timing it.
    drivers : bool
        False keeps no driver samples (`sample_estimates`, `sample_risk_fired`,
        `sample_risk_hours`, `sample_factors` then have no columns); every other output
        is the same.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from lekhok_forecast.sources.plan_file import plan_from_text
    >>> plan = plan_from_text("name: demo\\ntasks:\\n- {id: a, duration: {low: 1, high: 3}, units: weeks}")  # doctest: +SKIP
    """
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or not 1 <= trials <= MAX_TRIALS:
        raise ValueError(f"trials must be an integer in [1, {MAX_TRIALS:,}], got {trials!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    trials, seed = int(trials), int(seed)
    as_of = as_of if as_of is not None else AsOf()
    model = compile_plan(plan, as_of)
    run = functools.partial(_run_chunk, model, prefetch=prefetch, criticality=criticality, drivers=drivers)
    T = len(plan.tasks)
    if sample_trials is None:
        sample_trials = min(SAMPLE_TRIALS, max(2_000, 10_000_000 // max(T, 1)))
    sample_trials = min(int(sample_trials), trials)
    n_blocks = math.ceil(trials / BLOCK_TRIALS)
    parallel = workers > 1 and n_blocks > 1 and trials * max(T, 1) >= PARALLEL_MIN_CELLS and pool_available()
    chunk = _chunk_trials(plan, trials) if chunk_trials is None else int(chunk_trials)
    if chunk < 1:
        raise ValueError(f"chunk_trials must be positive, got {chunk_trials!r}")
    blocks_per_chunk = max(1, math.ceil(chunk / BLOCK_TRIALS))
    jobs: list[Job] = []
    b = 0
    while b < n_blocks:
        left = n_blocks - b
        nb = min(blocks_per_chunk, left)
        if parallel and chunk_trials is None:
            # chunks shrink towards the end (each a share of what is left), so that no process
            # waits long for another's last one, but not below a few blocks: the per-chunk cost
            # (~3 ms for 100 tasks, whatever the trials) would dominate
            nb = min(nb, max(_MIN_SPLIT_BLOCKS, math.ceil(left / (_SHARE_OF_LEFT * workers))))
        first = b * BLOCK_TRIALS
        jobs.append((seed, b, nb, min(nb * BLOCK_TRIALS, trials - first), first, sample_trials))
        b += nb

    parallel = parallel and len(jobs) > 1
    ws = _workspace()
    large = _large_output(plan, trials)
    if len(jobs) == 1 and not parallel:
        # One chunk: its arrays are the result (copying them into result arrays cost as much
        # as simulating them at 10^4 trials of 1,000 tasks: fresh pages, written twice).
        try:
            out = _own(run(*jobs[0], ws=ws), ws)
        finally:
            _release_workspace(ws, large)
        if progress:
            progress(trials, trials)
        return _result(plan, trials, seed, as_of, model.factor_names, out)
    out, block = _outputs(
        plan, trials, max(sample_trials, 0), shared=parallel, drivers=drivers, factors=len(model.factor_rows)
    )
    state = {"done": 0}

    def account(crit_counts: np.ndarray, n: int) -> None:
        out.crit_counts += crit_counts
        state["done"] += n
        if progress:
            progress(state["done"], trials)

    def collect(job: Job) -> None:
        ch = run(*job, ws=ws, into=out)
        _place(out, job[4], ch, per_trial=False)
        account(ch.crit_counts, ch.finish.size)

    try:
        if block is not None:
            options = {"prefetch": prefetch, "criticality": criticality, "drivers": drivers}
            try:
                ran = run_parallel(plan, as_of, options, block, jobs, workers, collect, account, large)
            finally:
                block.close_fd()
            if not ran:  # another thread has the pool: here, one chunk after another
                for job in jobs:
                    collect(job)
        else:
            for job in jobs:
                collect(job)
    finally:
        _release_workspace(ws, large)

    return _result(plan, trials, seed, as_of, model.factor_names, out)


def _own(ch: _Chunk, ws: dict) -> _Chunk:
    """The chunk's arrays, none of them a view into the work arrays `ws` (which the next
    call reuses): the task finishes, whose sample is such a view, leave `ws` when the
    sample is all of them, else the sample is copied out; other views are made compact."""
    buffer = ws.get("finish")
    s_finish = ch.s_finish
    if buffer is not None and np.may_share_memory(s_finish, buffer):
        if s_finish.shape == buffer.shape:
            s_finish = _inherited(ws.pop("finish"))
        else:
            s_finish = s_finish.copy()
    return dataclasses.replace(
        ch,
        s_finish=s_finish,
        s_cap=np.ascontiguousarray(ch.s_cap),
        s_rates=np.ascontiguousarray(ch.s_rates),
    )


def _result(
    plan: Plan, trials: int, seed: int, as_of: AsOf, factor_names: tuple[str, ...], out: _Chunk
) -> SimulationResult:
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
        sample_estimates=out.s_est,
        sample_risk_fired=out.s_fired,
        sample_risk_hours=out.s_risk,
        sample_factors=out.s_factor,
        as_of=as_of,
        factor_names=factor_names,
    )
