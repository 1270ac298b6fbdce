"""Running a sweep (`lekhok_forecast.analysis.sweep`): in this process or on a Dask cluster.

The jobs are plain frozen dataclasses of the plan types (they pickle), so a Dask worker
needs only this package installed, never the plan's files: the files are read here, once.
Each job is simulated with its quantile tables read from and kept in the table cache of
the machine it runs on (`lekhok_forecast.sources.table_cache`), which changes no number.

Dask is an optional extra (``pip install 'lekhok-forecast[dask]'``): it is imported only
when a cluster is asked for.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from lekhok_forecast.analysis.sweep import Labels, SweepJob, assemble_rows, evaluate_job, parse_vary, sweep_jobs
from lekhok_forecast.app.scenarios import scenario_plans
from lekhok_forecast.config import SOLVE_TRIALS, display_path
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.present.sweep_text import sweep_table
from lekhok_forecast.sources.plan_file import plan_from_source
from lekhok_forecast.sources.scenario_file import load_scenario
from lekhok_forecast.sources.table_cache import cached_tables
from lekhok_forecast.sources.yamlsource import load_yaml

#: What `run_sweep` prints when Dask is not installed.
NEEDS_DASK = "sweep --cluster needs the dask extra: pip install 'lekhok-forecast[dask]'"
#: Seconds to wait for a Dask scheduler at an address before giving up.
CONNECT_TIMEOUT_S = 10

Progress = Callable[[int, int], None]


def base_plans(
    plan_paths: Sequence[str | Path], scenario_paths: Sequence[str | Path] = ()
) -> list[tuple[Labels, Plan]]:
    """The labelled plans of a sweep: each plan file, and with scenarios each plan as written and under each scenario.

    Labels: ``("plan", file)`` when there are several plan files, ``("scenario", name)``
    when there are scenario files (the plan as written is ``"Plan as written"``). Every
    file is read and validated here, before anything is simulated.
    """
    scenarios = [load_scenario(p) for p in scenario_paths]
    out: list[tuple[Labels, Plan]] = []
    for path in plan_paths:
        src = load_yaml(path)
        plan = plan_from_source(src)
        file_label: Labels = (("plan", display_path(path)),) if len(plan_paths) > 1 else ()
        if not scenarios:
            out.append((file_label, plan))
            continue
        for name, variant in scenario_plans(src, scenarios, plan=plan).items():
            out.append((file_label + (("scenario", name),), variant))
    return out


def sweep_cli(args: Any) -> int:
    """``lekhok-forecast sweep`` (`args` from its parser): print the rows as JSON or a table; progress on a terminal's stderr."""

    def show(done: int, total: int) -> None:
        sys.stderr.write(f"\rsweep: {done:,}/{total:,} points" + ("\n" if done >= total else ""))

    rows = sweep(
        [args.plan, *args.plans],
        args.vary,
        args.scenario_files,
        args.by_week,
        args.trials,
        args.seed,
        args.cluster,
        args.workers,
        show if sys.stderr.isatty() else None,
    )
    print(
        json.dumps({"rows": rows, "trials": args.trials, "seed": args.seed}, indent=1)
        if args.json
        else sweep_table(rows)
    )
    return 0


def sweep(
    plan_paths: Sequence[str | Path],
    vary: Sequence[str] = (),
    scenario_paths: Sequence[str | Path] = (),
    by_week: float | None = None,
    trials: int = SOLVE_TRIALS,
    seed: int = 1,
    cluster: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """``lekhok-forecast sweep``: read the files, check the grid, evaluate it (see `run_sweep`), return the rows.

    Parameters
    ----------
    plan_paths : sequence of str or Path
        One plan file, or several (an axis of plans).
    vary : sequence of str
        ``NAME=START:STOP:STEP`` specs (`lekhok_forecast.analysis.sweep.parse_vary`).
    scenario_paths : sequence of str or Path
        Scenario files (an axis: the plan as written, then each applied alone).
    by_week : float, optional
        Weeks from the start for ``p_by`` (default: each plan's latest deadline).
    trials, seed : int
        Of every point.
    cluster, workers, progress
        As `run_sweep`.

    Raises
    ------
    ForecastInputError
        One line: a bad spec, file, value or cluster, before anything is simulated.
    """
    if cluster is not None and cluster != "local" and "://" not in cluster:
        raise ForecastInputError(
            f"expected 'local' or a scheduler address such as tcp://HOST:PORT, got {cluster!r}", field="--cluster"
        )
    if workers is not None and cluster != "local":
        raise ForecastInputError("--workers is the size of --cluster local; give --cluster local too")
    try:
        axes = [parse_vary(spec) for spec in vary]
    except ValueError as exc:
        raise ForecastInputError(str(exc)) from None
    bases = base_plans(plan_paths, scenario_paths)
    try:
        jobs = sweep_jobs(bases, axes, by_week, trials, seed)
    except ValueError as exc:  # a value that does not fit a plan, a knob twice, no deadline
        raise ForecastInputError(str(exc)) from None
    return run_sweep(jobs, cluster, workers, progress)


def evaluate_cached(job: SweepJob) -> list[dict[str, Any]]:
    """`evaluate_job` with the job's quantile tables from the table cache of the machine it runs on."""
    with cached_tables(job.plan):
        return evaluate_job(job)


def run_sweep(
    jobs: Sequence[SweepJob],
    cluster: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Evaluate every job and return the rows in grid order; the rows do not depend on where.

    Parameters
    ----------
    jobs : sequence of SweepJob
        From `lekhok_forecast.analysis.sweep.sweep_jobs`.
    cluster : str, optional
        None: in this process, one job after another. ``"local"``: a
        ``dask.distributed.LocalCluster`` of `workers` processes (one thread each),
        started and stopped here. An address (``tcp://HOST:PORT``): the Dask scheduler
        of an existing cluster, whose workers have this package installed.
    workers : int, optional
        Processes of the local cluster (default: the machine's cores).
    progress : callable, optional
        ``progress(rows_done, rows)`` after each job.

    Raises
    ------
    ForecastInputError
        Dask is not installed, or no scheduler answers at the address.
    """
    total = sum(len(j.rows) for j in jobs)
    if cluster is None:
        results = []
        for job in jobs:
            results.append(evaluate_cached(job))
            if progress:
                progress(sum(len(r) for r in results), total)
        return assemble_rows(jobs, results)
    with _dask_client(cluster, workers) as client:
        from distributed import as_completed

        futures = client.map(evaluate_cached, list(jobs), pure=False)
        done = 0
        for future in as_completed(futures):
            done += len(future.result())
            if progress:
                progress(done, total)
        results = client.gather(futures)
    return assemble_rows(jobs, results)


@contextlib.contextmanager
def _dask_client(cluster: str, workers: int | None) -> Iterator[Any]:
    """A ``distributed.Client`` of a new local cluster (``"local"``) or of the scheduler at an address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ForecastInputError(NEEDS_DASK) from None
    if cluster == "local":
        # processes, one thread each: the engine is NumPy-bound and holds the GIL in between
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
            Client(lc) as client,
        ):
            yield client
        return
    try:
        client = Client(cluster, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ForecastInputError(f"cannot reach a Dask scheduler at {cluster}: {reason}", field="--cluster") from None
    with client:
        yield client
