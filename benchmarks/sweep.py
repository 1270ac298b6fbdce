"""What a sweep costs per point: in this process, and on a local Dask cluster of 1 and 2 workers.

    python benchmarks/sweep.py [--plan PLAN] [--vary capacity=0.8:1.6:0.1 ...] [--trials 50000] [--runs 3]

Each mode evaluates the same grid `--runs` times (after one untimed warm-up that fills the
quantile-table cache); the table gives the median seconds of the whole `run_sweep` call
(for a cluster: start, evaluate, stop), the median seconds of starting and stopping the
same cluster with no work, and from the two the seconds a point costs, with the rows
checked identical to the serial ones. Needs the dask extra (``pip install -e '.[dask]'``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tree this script is in, installed or not

from distributed import Client, LocalCluster  # noqa: E402

from lekhok_forecast.analysis.sweep import parse_vary, sweep_jobs  # noqa: E402
from lekhok_forecast.app.sweep import base_plans, run_sweep  # noqa: E402


def _median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _start_stop(workers: int) -> None:
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        client.wait_for_workers(workers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", default=str(ROOT / "data/plans/lekhok_deployment.yaml"))
    ap.add_argument("--vary", action="append", default=None)
    ap.add_argument("--trials", type=int, default=50_000)
    ap.add_argument("--by-week", type=float, default=14.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    specs = args.vary or ["capacity=0.8:1.6:0.1"]
    jobs = sweep_jobs(base_plans([args.plan]), [parse_vary(s) for s in specs], args.by_week, args.trials, 1)
    points = sum(len(j.rows) for j in jobs)
    serial = run_sweep(jobs)  # warm-up: imports, the table cache
    print(f"plan {Path(args.plan).name}, grid {' x '.join(specs)}: {points} points of {args.trials:,} trials")
    print(f"{len(jobs)} simulations, median of {args.runs} runs, seconds\n")
    print("| mode | whole sweep | cluster start + stop | per point | rows identical |")
    print("|---|---|---|---|---|")
    t = _median_seconds(lambda: run_sweep(jobs), args.runs)
    print(f"| in this process | {t:.2f} | - | {t / points:.3f} | yes |")
    for workers in (1, 2):
        rows = run_sweep(jobs, "local", workers)
        whole = _median_seconds(lambda w=workers: run_sweep(jobs, "local", w), args.runs)
        start = _median_seconds(lambda w=workers: _start_stop(w), args.runs)
        same = "yes" if rows == serial else "NO"
        per = (whole - start) / points
        print(
            f"| LocalCluster, {workers} worker{'s' if workers > 1 else ''} | {whole:.2f} | {start:.2f} | {per:.3f} | {same} |"
        )


if __name__ == "__main__":  # the local cluster's worker processes import this file again
    main()
