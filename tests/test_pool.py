"""`lekhok_forecast.core.engine.pool`: the warm worker pool of `simulate(workers=K)`.

The size threshold is set to 0 here (`force_parallel`) so that small simulations take
the parallel path; every check compares bitwise with one worker.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_engine import assert_same_result

from lekhok_forecast.core.engine import BLOCK_TRIALS, simulate
from lekhok_forecast.core.engine import pool as pool_module
from lekhok_forecast.core.engine import run as run_module
from lekhok_forecast.core.engine.pool import shared_arrays
from lekhok_forecast.core.plan import with_capacity_scaled

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 5 * BLOCK_TRIALS + 17


@pytest.fixture
def force_parallel(monkeypatch):
    monkeypatch.setattr(run_module, "PARALLEL_MIN_CELLS", 0)


def _children() -> list[int]:
    pool = pool_module._POOL
    return [c.process.pid for c in pool.children] if pool is not None else []


def test_two_workers_are_bit_identical_and_the_pool_stays(lekhok_plan, force_parallel):
    one = simulate(lekhok_plan, TRIALS, seed=4, chunk_trials=BLOCK_TRIALS)
    two = simulate(lekhok_plan, TRIALS, seed=4, chunk_trials=BLOCK_TRIALS, workers=2)
    assert_same_result(one, two)
    pids = _children()
    assert len(pids) == 1 and all(os.path.exists(f"/proc/{p}") for p in pids if os.path.isdir("/proc"))
    # later calls reuse the same children, with another plan (new tables) and options too
    faster = with_capacity_scaled(lekhok_plan, 1.3)
    for kwargs in (dict(), dict(criticality=False), dict(sample_trials=0), dict(prefetch=True)):
        ref = simulate(faster, TRIALS, seed=9, chunk_trials=BLOCK_TRIALS, **kwargs)
        got = simulate(faster, TRIALS, seed=9, chunk_trials=BLOCK_TRIALS, workers=2, **kwargs)
        assert_same_result(ref, got)
        assert _children() == pids
    # three workers: the pool grows, keeping the first child
    assert_same_result(one, simulate(lekhok_plan, TRIALS, seed=4, chunk_trials=BLOCK_TRIALS, workers=3))
    assert _children()[:1] == pids and len(_children()) == 2


def test_progress_counts_every_trial(lekhok_plan, force_parallel):
    seen = []
    simulate(lekhok_plan, TRIALS, seed=4, chunk_trials=BLOCK_TRIALS, workers=2, progress=lambda d, t: seen.append(d))
    assert seen[-1] == TRIALS and seen == sorted(seen) and len(seen) == 6


def test_below_the_threshold_one_process_does_it(lekhok_plan, monkeypatch):
    pool_module._shutdown()
    monkeypatch.setattr(run_module, "PARALLEL_MIN_CELLS", 10**12)
    two = simulate(lekhok_plan, TRIALS, seed=4, chunk_trials=BLOCK_TRIALS, workers=2)
    assert pool_module._POOL is None
    assert_same_result(simulate(lekhok_plan, TRIALS, seed=4, chunk_trials=BLOCK_TRIALS), two)


def test_a_dead_child_is_replaced(lekhok_plan, force_parallel):
    ref = simulate(lekhok_plan, TRIALS, seed=2, chunk_trials=BLOCK_TRIALS)
    simulate(lekhok_plan, TRIALS, seed=2, chunk_trials=BLOCK_TRIALS, workers=2)
    (pid,) = _children()
    os.kill(pid, signal.SIGKILL)
    pool_module._POOL.children[0].process.join(timeout=10)
    assert_same_result(ref, simulate(lekhok_plan, TRIALS, seed=2, chunk_trials=BLOCK_TRIALS, workers=2))
    assert _children() != [pid]


def test_an_error_in_a_child_reaches_the_caller_and_the_pool_restarts(lekhok_plan, force_parallel, monkeypatch):
    def broken(model, *args, **kwargs):
        raise ZeroDivisionError("in a worker")

    pool_module._shutdown()
    monkeypatch.setattr(pool_module, "_run_chunk", broken)  # children forked from now on inherit it
    with pytest.raises(ZeroDivisionError, match="in a worker"):
        simulate(lekhok_plan, TRIALS, seed=2, chunk_trials=BLOCK_TRIALS, workers=2)
    assert pool_module._POOL is None  # discarded: the next call forks afresh
    monkeypatch.undo()
    monkeypatch.setattr(run_module, "PARALLEL_MIN_CELLS", 0)
    ref = simulate(lekhok_plan, TRIALS, seed=2, chunk_trials=BLOCK_TRIALS)
    assert_same_result(ref, simulate(lekhok_plan, TRIALS, seed=2, chunk_trials=BLOCK_TRIALS, workers=2))


def _digest_in_forked_child(plan, conn) -> None:
    run_module.PARALLEL_MIN_CELLS = 0
    assert pool_module._POOL is None  # the parent's pool is not the child's
    r = simulate(plan, TRIALS, seed=6, chunk_trials=BLOCK_TRIALS, workers=2)
    conn.send(r.finish_weeks.tobytes() + r.task_criticality.tobytes())
    conn.close()


def test_a_forked_process_makes_its_own_pool(lekhok_plan, force_parallel):
    simulate(lekhok_plan, TRIALS, seed=6, chunk_trials=BLOCK_TRIALS, workers=2)  # the parent has a pool
    pids = _children()
    ctx = mp.get_context("fork")
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=_digest_in_forked_child, args=(lekhok_plan, theirs))
    child.start()
    theirs.close()
    digest = mine.recv()
    child.join(timeout=60)
    assert child.exitcode == 0
    ref = simulate(lekhok_plan, TRIALS, seed=6, chunk_trials=BLOCK_TRIALS)
    assert digest == ref.finish_weeks.tobytes() + ref.task_criticality.tobytes()
    assert _children() == pids  # and the parent's pool is untouched


def test_the_process_exits_cleanly_with_a_warm_pool(lekhok_path):
    code = (
        "from lekhok_forecast.core.engine import run, simulate\n"
        "from lekhok_forecast.sources.plan_file import load_plan\n"
        "run.PARALLEL_MIN_CELLS = 0\n"
        f"plan = load_plan({lekhok_path!r})\n"
        "for _ in range(3): simulate(plan, 20_000, 1, workers=2, chunk_trials=4096)\n"
        "print('done')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and proc.stdout == "done\n" and proc.stderr == ""


def test_shared_arrays_are_laid_out_apart():
    block = shared_arrays([("a", (3,), np.float64), ("b", (2, 5), np.float32), ("c", (0, 4), np.float32)])
    try:
        a, b = block.arrays["a"], block.arrays["b"]
        a[:] = 1.5
        b[:] = 2.5
        assert a.tolist() == [1.5] * 3 and (b == 2.5).all() and block.arrays["c"].shape == (0, 4)
        assert [offset % 64 for *_, offset in block.layout] == [0, 0, 0]
    finally:
        block.close_fd()
