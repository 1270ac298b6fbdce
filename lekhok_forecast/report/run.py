"""``lekhok-forecast report``: the week's forecast, computed once, shown by every notebook as a PDF.

For an ISO week (`lekhok_forecast.sources.weeks.choose_week`: ``--week``, else the current
one, else the latest actuals' week when those are far older) the report

1. reads every input once, as the user named it: the plan (parsed once), every actuals
   file up to the week, the forecast history, the scenario files, from the plan's own
   folders (`lekhok_forecast.sources.plan_folders`) unless a flag names others (bad
   input: one line naming the file, line and field, exit status 2, nothing written);
2. computes the week's forecast bundle once (`lekhok_forecast.app.bundle`): the plan as
   written, the re-forecast from the latest actuals at or before the week (else the plan's
   own forecast), the tracking results and each scenario, each variant simulated once (the
   scenarios while the first notebooks run: only the notebooks that show them wait for them);
3. checks the output folder (writable, room for a report), takes its lock and removes
   staging folders left by killed runs (`lekhok_forecast.report.staging`);
4. writes the bundle into a staging folder and executes every notebook in ``notebooks/``
   with papermill (two at a time) with ``bundle_path`` pointing at it, so the notebooks only
   render; each is printed to an A4 PDF with the code hidden (`lekhok_forecast.report.pdf`);
5. only when every notebook and PDF succeeded, moves into ``<out>/<week>/``:
   ``weekly-status.pdf`` (the one a manager reads) and one PDF per other notebook, the
   executed notebooks, ``figures/`` and ``summary.json`` (the keys of ``simulate --json``
   plus ``as_of_week``, ``actuals_week``, ``actuals_file``, ``weeks_stale``, ``calibrated``
   and the plan / uncalibrated / calibrated forecasts side by side), then records the
   week's row (plus any earlier week's missing row) in ``<out>/forecast_history.csv``.

A failure leaves the week's earlier outputs and the history untouched; a failed notebook's
executed copy is kept as ``<name>.failed.ipynb`` when it is a whole notebook. Every failure
ends in one line that names the cause (`OutputError`, `PdfError`, a notebook's cell).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lekhok_forecast.analysis.summary import strict_json
from lekhok_forecast.app.bundle import BUNDLE_FOLDER, SCENARIOS, build_week_parts, save_bundle
from lekhok_forecast.app.forecast import week_basis
from lekhok_forecast.config import DEFAULT_PLAN, NOTEBOOKS_DIR, REPORT_TRIALS, REPORTS_DIR, display_path
from lekhok_forecast.report.execute import (
    WORKERS,
    NotebookOutcome,
    Workers,
    run_notebooks,
)
from lekhok_forecast.report.lane_engine import declared_parameters, fast_notebook_imports
from lekhok_forecast.report.notebooks import report_notebooks
from lekhok_forecast.report.pdf import PdfError, find_chromium
from lekhok_forecast.report.staging import (
    REPORT_BYTES,
    OutputError,
    check_output_folder,
    describe_os_error,
    locked,
    new_staging,
    output_folder,
    publish,
    remove_stale_staging,
)
from lekhok_forecast.sources.actuals_file import report_week_choice
from lekhok_forecast.sources.history_file import HISTORY_FILE, read_history, record_weeks
from lekhok_forecast.sources.plan_file import plan_from_source
from lekhok_forecast.sources.plan_folders import FROM_PLAN, FolderChoice, chosen_folder, plan_folders
from lekhok_forecast.sources.scenario_file import load_scenario, scenario_paths
from lekhok_forecast.sources.table_cache import cached_tables
from lekhok_forecast.sources.weeks import choose_week
from lekhok_forecast.sources.yamlsource import load_yaml
from lekhok_forecast.tracking.status import WeeklyStatus


@dataclass
class ReportResult:
    """The outcome of `run_report`."""

    week: str
    week_dir: Path  # the week's folder (absolute)
    shown_dir: Path  # the week's folder as the user named it, for messages
    outcomes: list[NotebookOutcome] = field(default_factory=list)
    summary: dict | None = None
    seconds: float = 0.0
    history_file: Path | None = None  # the forecast history written (None: not written)
    week_rule: str = "given"  # how the week was chosen (`lekhok_forecast.sources.weeks.WeekChoice.rule`)

    @property
    def ok(self) -> bool:
        return all(o.error is None for o in self.outcomes) and self.summary is not None


def run_report(
    week: str | None,
    plan_path: str | Path = DEFAULT_PLAN,
    trials: int = REPORT_TRIALS,
    seed: int = 1,
    out_dir: str | Path = REPORTS_DIR,
    notebooks_dir: str | Path = NOTEBOOKS_DIR,
    actuals_dir: FolderChoice = FROM_PLAN,
    workers: int = WORKERS,
    progress: Callable[[str], None] | None = None,
    scenario_dir: FolderChoice = FROM_PLAN,
) -> ReportResult:
    """Execute the report notebooks for `week` and write PDFs, notebooks and summary.json.

    Parameters
    ----------
    week : str or None
        ISO week ``YYYY-Www``, ``"current"``, or None for the default rule
        (`lekhok_forecast.sources.weeks.choose_week`); outputs go to ``out_dir/<week>/``.
    plan_path : str or Path
        Plan YAML (relative to the current folder).
    trials, seed : int
        Passed to every notebook and used for summary.json.
    out_dir, notebooks_dir : str or Path
    actuals_dir : str or Path or None or FROM_PLAN
        Folder of weekly actuals (default `FROM_PLAN`: the plan's own folder,
        `lekhok_forecast.sources.plan_folders`); the report uses the latest file at or
        before the week. None: no actuals, the plan's own forecast. Passed as
        ``actuals_dir`` (and ``<out_dir>/forecast_history.csv`` as ``history_path``) to
        notebooks that declare those parameters.
    workers : int
        Notebooks executed (and printed) at a time.
    scenario_dir : str or Path or None or FROM_PLAN
        Folder of scenario files the scenarios notebook compares (default: the plan's own
        folder; None: none); each is checked against the plan before any notebook runs.
    progress : callable, optional
        Called with one line of text per step.

    Returns
    -------
    ReportResult
        ``ok`` is False if any notebook or PDF failed; then nothing of this run replaced
        an earlier output, and failed notebooks are kept as ``<name>.failed.ipynb``.

    Raises
    ------
    ForecastInputError
        For a bad week, plan, actuals file, history file or notebooks folder (before
        anything is written).
    OutputError
        When the output folder cannot take the report (not writable, full, locked by
        another report); nothing earlier in it was changed.
    PdfError
        When no browser is found (before anything is written).
    """
    t0 = time.perf_counter()
    say = progress or (lambda line: None)
    if week is not None:
        choose_week(week, ())  # a bad --week is reported before the plan is read
    # Every input is read once, as the user named it (so errors name the files as written),
    # and everything is computed before anything is written: bad input leaves no trace.
    source = load_yaml(plan_path)
    plan = plan_from_source(source)
    folders = plan_folders(
        source,
        scenarios=scenario_dir if isinstance(scenario_dir, (str, Path)) else None,
        actuals=actuals_dir if isinstance(actuals_dir, (str, Path)) else None,
    )
    actuals_dir = chosen_folder(actuals_dir, folders.actuals)
    scenario_dir = chosen_folder(scenario_dir, folders.scenarios)
    choice = report_week_choice(week, actuals_dir)
    week = choice.week
    if choice.note:
        say(choice.note)
    report, reported = week_basis(plan, week, actuals_dir)  # the folder comes back absolute
    notebooks = report_notebooks(Path(notebooks_dir).resolve())
    shown_dir = Path(out_dir) / week  # as the user wrote it, for messages
    out = output_folder(out_dir)  # absolute: worker threads must not depend on the cwd
    history_file = out / HISTORY_FILE
    history = read_history(Path(out_dir) / HISTORY_FILE)  # named as the user wrote it in errors
    scenario_files = scenario_paths(scenario_dir) if scenario_dir is not None else []
    scenarios = [load_scenario(p) for p in scenario_files]
    plan_file = Path(plan_path).resolve()
    chromium = find_chromium()
    fast_notebook_imports()
    # The kernels start (and import) and the browser starts while the forecasts are computed.
    with Workers(notebooks, workers, chromium) as warm:
        with cached_tables(plan):
            week_parts = build_week_parts(
                source, plan, display_path(plan_file), report, reported, history, scenarios, trials, seed
            )
        weekly = week_parts.parts["weekly"]
        check_output_folder(out, REPORT_BYTES)  # the bundle checks its own room when it is written
        say(
            f"report {week}: {len(notebooks)} notebook{'s' if len(notebooks) != 1 else ''}, plan"
            f" {weekly.plan_file}, {_basis_note(week_parts.status)}, {len(scenarios)} scenarios, {trials:,} trials,"
            f" seed {seed} -> {shown_dir}/"
        )
        result = ReportResult(week, out / week, shown_dir, week_rule=choice.rule)
        with locked(out):
            for stale in remove_stale_staging(out):
                say(f"removed {stale.name}/, left behind by a report that was stopped")
            staging = new_staging(out, week)
            try:
                bundle = save_bundle(staging / BUNDLE_FOLDER, week_parts.parts)

                def scenarios_part() -> None:
                    # computed and written while the first notebooks run; the notebooks that
                    # show scenarios (they declare `scenario_dir`) start only once it is written
                    with cached_tables(plan):
                        runs = week_parts.scenario_runs()
                    save_bundle(bundle, {SCENARIOS: runs}, piece=SCENARIOS)

                parameters = {
                    "bundle_path": str(bundle),
                    "plan_path": str(plan_file),
                    "trials": trials,
                    "seed": seed,
                    "week": week,
                    "output_dir": str(staging),
                    "figure_format": "retina",
                    "actuals_dir": str(report.actuals_dir) if report.actuals_dir is not None else "",
                    "history_path": str(history_file),
                    "scenario_dir": str(Path(scenario_dir).resolve()) if scenario_dir is not None else "",
                }
                result.outcomes = run_notebooks(
                    notebooks,
                    parameters,
                    staging,
                    result.week_dir,
                    shown_dir,
                    warm,
                    say,
                    later=scenarios_part,
                    waits=lambda nb: "scenario_dir" in declared_parameters(nb.path),
                )
                result.summary = dict(weekly.summary, week=week, week_rule=choice.rule)
                if all(o.error is None for o in result.outcomes):
                    (staging / "summary.json").write_text(
                        json.dumps(strict_json(result.summary), indent=1) + "\n", encoding="utf-8"
                    )
                    publish(staging, result.week_dir, [nb.name for nb in notebooks], skip=(BUNDLE_FOLDER,))
                    rows = week_parts.status.history_rows
                    if rows:  # last: only a report that succeeded is recorded
                        record_weeks(list(rows), history_file)
                        result.history_file = history_file
            except OSError as exc:
                raise OutputError(describe_os_error(exc, f"writing the report into {Path(out_dir)}")) from None
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - t0
    return result


def _basis_note(status: WeeklyStatus) -> str:
    """``actuals 2025-W11``, ``actuals 2025-W11 (89 weeks old)`` or ``no actuals``."""
    r = status.report
    if not r.has_actuals:
        return "no actuals (the plan's forecast)"
    return f"actuals {r.actuals_week}" + (
        f" ({r.weeks_stale} week{'s' if r.weeks_stale != 1 else ''} old)" if r.stale else ""
    )


# ------------------------------------------------------------------------- CLI


def run_report_cli(args: argparse.Namespace) -> int:
    """``lekhok-forecast report``: returns the exit status (0 ok, 1 a notebook/PDF failed).

    Bad input (week, plan, notebooks folder) raises `ForecastInputError`, which the CLI
    prints as one line with exit status 2.
    """

    def say(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    try:
        actuals: FolderChoice = None if getattr(args, "no_actuals", False) else args.actuals or FROM_PLAN
        result = run_report(
            args.week,
            args.plan,
            args.trials or REPORT_TRIALS,
            args.seed,
            args.out,
            getattr(args, "notebooks", None) or NOTEBOOKS_DIR,
            actuals,
            progress=say,
            scenario_dir=getattr(args, "scenarios", None) or FROM_PLAN,
        )
    except (PdfError, OutputError) as exc:
        say(f"lekhok-forecast report: {exc}")
        return 1
    failures = [o.error for o in result.outcomes if o.error]
    for line in failures:
        say(f"lekhok-forecast report: {line}")
    if failures:
        say(
            f"lekhok-forecast report: {len(failures)} of {len(result.outcomes)} notebook(s) failed;"
            f" earlier outputs in {result.shown_dir}/ were left as they were"
        )
        return 1
    written = result.history_file
    history = f", {Path(args.out) / written.name}" if written is not None else ""
    say(
        f"wrote {result.shown_dir / 'weekly-status.pdf'} (+{len(result.outcomes) - 1} PDFs, executed notebooks,"
        f" summary.json{history}) in {result.seconds:.1f} s"
    )
    return 0
