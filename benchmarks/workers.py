"""`simulate(..., workers=K)`: one worker against two, over repeated calls in one process.

    python benchmarks/workers.py [--network net100] [--trials 1e4 1e5 1e6] [--calls 7] [--threshold CELLS]

For each trial count, `--calls` calls of `simulate` with one worker and with two
alternate in one process (after one untimed call of each, which builds the quantile
tables and, with two workers, starts the warm pool). The table gives each one's median
wall seconds, their ratio (one worker / two: above 1 is a speed-up), and the CPU seconds
of the two-worker call in this process and in the child, whose larger one against the
one-worker call's CPU seconds is the speed-up two free cores would give ("CPU ratio": on
a shared machine the wall ratio also measures the other load). The first two-worker call
of the process (the pool closed before it, so it pays the pool's start) is a column too. The engine runs one
process below its size threshold (`lekhok_forecast.core.engine.run.PARALLEL_MIN_CELLS`,
trials x tasks), so there two workers cost what one does; `--threshold 0` measures the
pool at every size (how the threshold was chosen).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import networks  # noqa: E402

from lekhok_forecast.core.engine import pool, run, simulate  # noqa: E402


def _child_cpu() -> float:
    """CPU seconds of the warm pool's children so far (Linux /proc)."""
    # schedstat's first field: nanoseconds on a CPU (the children are single-threaded)
    children = pool._POOL.children if pool._POOL is not None else []
    return sum(int(Path(f"/proc/{c.process.pid}/schedstat").read_text().split()[0]) for c in children) / 1e9


def _same(a, b) -> bool:
    names = ("finish_weeks", "task_criticality", "milestone_weeks", "cost_by_item", "sample_finish_weeks")
    return all(getattr(a, n).tobytes() == getattr(b, n).tobytes() for n in names)


def compare(plan, trials: int, calls: int, seed: int = 1) -> dict:
    """One worker against two for `trials` trials of `plan`, `calls` alternating calls each
    (medians): wall and CPU seconds, the first two-worker call (pool start included), and
    whether the two give identical arrays."""
    one = simulate(plan, trials, seed, workers=1)
    pool._shutdown()  # the first two-worker call of a process forks the pool
    t = time.perf_counter()
    two = simulate(plan, trials, seed, workers=2)
    first = time.perf_counter() - t
    wall: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[str, list[float]] = {"1": [], "2": [], "child": []}
    for _ in range(calls):
        for w in (1, 2):
            c0, k0, t0 = time.process_time(), _child_cpu(), time.perf_counter()
            simulate(plan, trials, seed, workers=w)
            wall[w].append(time.perf_counter() - t0)
            cpu[str(w)].append(time.process_time() - c0)
            if w == 2:
                cpu["child"].append(_child_cpu() - k0)
    med = {k: statistics.median(v) for k, v in cpu.items()}
    m1, m2 = statistics.median(wall[1]), statistics.median(wall[2])
    return {
        "trials": trials,
        "one_s": m1,
        "two_s": m2,
        "first_two_s": first,
        "speedup": m1 / m2,
        "cpu": med,
        "cpu_ratio": med["1"] / max(med["2"], med["child"]),
        "identical": _same(one, two),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", default="net100", choices=sorted(networks.NETWORKS))
    ap.add_argument("--trials", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    ap.add_argument("--calls", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threshold", type=int, default=None, help="override PARALLEL_MIN_CELLS")
    args = ap.parse_args()
    if args.threshold is not None:
        run.PARALLEL_MIN_CELLS = args.threshold
    plan = networks.build(args.network)
    T = len(plan.tasks)
    rows = []
    for trials in (int(t) for t in args.trials):
        c = compare(plan, trials, args.calls, args.seed)
        med = c["cpu"]
        rows.append(
            f"| {trials:,} | {trials * T / 1e6:,.1f}M | {c['one_s']:.3f} | {c['two_s']:.3f} | {c['first_two_s']:.3f} |"
            f" {c['speedup']:.2f} | {med['1']:.3f} | {med['2']:.3f} | {med['child']:.3f} | {c['cpu_ratio']:.2f} |"
            f" {'yes' if c['identical'] else 'NO'} |"
        )
    print(f"network {args.network} ({T} tasks), {args.calls} calls each, medians in seconds")
    print(f"threshold {run.PARALLEL_MIN_CELLS:,} trials x tasks; load average {os.getloadavg()[0]:.1f} at the end")
    print()
    print(
        "| trials | x tasks | 1 worker | 2 workers | 2 workers, first call | wall ratio | CPU 1 worker |"
        " CPU 2: here | CPU 2: child | CPU ratio | identical |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
