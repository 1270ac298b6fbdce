"""The week's forecast bundle: every result the report's notebooks show, computed once.

One forecast per week, everywhere: every notebook, ``summary.json`` and the explorer start
from the week's as-of forecast (the re-forecast from the latest actuals at or before the
week, calibrated where the evidence allows, or the plan as written when there are none).

The report parses the plan once, reads every input file once and simulates each variant
once (the plan as written at week 0, the week's re-forecasts, each scenario from where the
project stands); `save_bundle` writes the results into its staging folder
(`lekhok_forecast.sources.bundle_file`) and every notebook gets the folder as the papermill
parameter ``bundle_path``. A notebook opened by hand has ``bundle_path`` empty and computes
its part itself (`week_forecast`, `scenario_runs`), with the same functions, so the numbers
are the same.

Parts: ``plan`` (a `Forecast` of the plan as written, week 0), ``weekly`` (the week's
`Forecast`, whose ``status`` holds the tracking results) and ``scenarios`` (a `ScenarioRuns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lekhok_forecast.analysis.solve import Solution
from lekhok_forecast.analysis.summary import summary_dict
from lekhok_forecast.app.forecast import Forecast, run_forecast, run_weekly_forecast, weekly_summary
from lekhok_forecast.app.scenarios import (
    PLAN_AT_START,
    SOLVE_TRIALS,
    Standing,
    capacity_answers,
    scenario_plans,
    simulate_plans,
    standing_of,
)
from lekhok_forecast.config import resolve_path
from lekhok_forecast.core.actuals import WeeklyActuals
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.sources.actuals_file import report_week_choice
from lekhok_forecast.sources.bundle_file import read_bundle, write_bundle
from lekhok_forecast.sources.plan_folders import plan_folders
from lekhok_forecast.sources.scenario_file import Scenario, load_scenario, scenario_paths
from lekhok_forecast.sources.yamlsource import Source, load_yaml
from lekhok_forecast.tracking.status import ReportWeek, WeeklyStatus, weekly_status_from

PARTS = ("plan", "weekly", "scenarios")
#: The part only the scenarios notebook reads; the report writes it after the others.
SCENARIOS = "scenarios"
#: Where the report puts the bundle in its staging folder (not published with the report).
BUNDLE_FOLDER = "bundle"


@dataclass(frozen=True)
class ScenarioRuns:
    """The scenarios of a folder, each simulated alone from where the project stands.

    Attributes
    ----------
    scenarios : tuple of Scenario
        As loaded, in file-name order.
    results : dict
        Label -> `SimulationResult`: the unchanged plan from `standing` first (labelled
        ``standing.label``: `BASELINE` without actuals), then each scenario under its
        ``name``, applied to the plan as written and simulated from `standing`.
    plan : Plan
        The plan as written.
    standing : Standing
        The actuals and calibration every result is simulated from.
    plan_at_start : SimulationResult or None
        The plan as written at week 0, when `standing` has actuals (None otherwise).
    answers : tuple of Solution
        What would it take, from the same standing: the capacity multiplier that gives 80%
        by each deadline (`lekhok_forecast.app.scenarios.capacity_answers`).
    """

    scenarios: tuple[Scenario, ...]
    results: dict[str, SimulationResult]
    plan: Plan
    standing: Standing
    plan_at_start: SimulationResult | None = None
    answers: tuple[Solution, ...] = ()

    @property
    def baseline(self) -> str:
        """Label of the unchanged plan in `results`."""
        return next(iter(self.results))

    @property
    def reference(self) -> str:
        """How sentences name the unchanged plan: ``the plan as written`` or ``the plan now``."""
        return "the plan as written" if self.standing.is_start else "the plan now"

    @property
    def table_results(self) -> dict[str, SimulationResult]:
        """`results`, after the plan at week 0 when there are actuals ("plan at week 0 -> now").

        The first entry is the comparison's reference (deadlines and budget), which is the
        plan's in either case.
        """
        if self.plan_at_start is None:
            return dict(self.results)
        return {PLAN_AT_START: self.plan_at_start, **self.results}


def scenario_runs_from(
    plans: dict[str, Plan],
    scenarios: Sequence[Scenario],
    status: WeeklyStatus,
    trials: int,
    seed: int,
) -> ScenarioRuns:
    """Each plan of `plans` (from `scenario_plans`: the plan as written first) from the week's standing.

    The unchanged plan's result is the week's headline forecast (not simulated again).
    """
    standing = standing_of(status)
    named = dict(plans)
    plan = named.pop(next(iter(named)))
    ordered = {standing.label: plan, **named}
    results = simulate_plans(ordered, trials, seed, known={standing.label: status.headline}, standing=standing)
    at_start = None if standing.is_start else status.plan_forecast
    answers = capacity_answers(status.headline, min(trials, SOLVE_TRIALS), seed)
    return ScenarioRuns(tuple(scenarios), results, status.plan, standing, at_start, answers)


def build_bundle(
    source: Source,
    plan: Plan,
    plan_file: str,
    report: ReportWeek,
    reported: Sequence[WeeklyActuals],
    history: pd.DataFrame,
    scenarios: Sequence[Scenario],
    trials: int,
    seed: int,
) -> dict[str, Any]:
    """Every part of the week's report from loaded inputs; each variant simulated once.

    Parameters
    ----------
    source, plan : Source, Plan
        The plan file, parsed once (`sources.yamlsource.load_yaml`, `sources.plan_file.plan_from_source`).
    plan_file : str
        The plan's path as shown in outputs.
    report : ReportWeek
        The report's week and the actuals it rests on (`tracking.status.report_week`).
    reported : sequence of WeeklyActuals
        Every actuals file up to ``report.actuals_week`` (`sources.actuals_file.read_weeks`).
    history : DataFrame
        The forecast history so far (`sources.history_file.read_history`).
    scenarios : sequence of Scenario
        The scenario files to compare (`sources.scenario_file.load_scenario`).
    trials, seed : int

    Returns
    -------
    dict
        ``{"plan": Forecast, "weekly": Forecast, "scenarios": ScenarioRuns}``. ``weekly`` is
        the week's as-of forecast every notebook shows; ``plan`` the plan as written at week 0
        (the weekly status's ``plan_forecast``); the scenarios start from the week's standing.

    Raises
    ------
    ForecastInputError
        For a scenario that does not fit the plan (every scenario is applied, and so
        validated, before anything is simulated).
    """
    week = build_week_parts(source, plan, plan_file, report, reported, history, scenarios, trials, seed)
    return {**week.parts, SCENARIOS: week.scenario_runs()}


@dataclass(frozen=True)
class WeekParts:
    """`build_bundle`'s first step: the ``plan`` and ``weekly`` parts, and what the scenarios need.

    `scenario_runs` is the second step (the ``scenarios`` part), which the report computes
    while the first notebooks run.
    """

    parts: dict[str, Forecast]
    plans: dict[str, Plan]
    scenarios: tuple[Scenario, ...]
    trials: int
    seed: int

    @property
    def status(self) -> WeeklyStatus:
        """The week's tracking results (the ``weekly`` part's)."""
        status = self.parts["weekly"].status
        assert status is not None  # build_week_parts always sets it
        return status

    def scenario_runs(self) -> ScenarioRuns:
        """The ``scenarios`` part: each scenario from the week's standing (`scenario_runs_from`)."""
        return scenario_runs_from(self.plans, self.scenarios, self.status, self.trials, self.seed)


def build_week_parts(
    source: Source,
    plan: Plan,
    plan_file: str,
    report: ReportWeek,
    reported: Sequence[WeeklyActuals],
    history: pd.DataFrame,
    scenarios: Sequence[Scenario],
    trials: int,
    seed: int,
) -> WeekParts:
    """The ``plan`` and ``weekly`` parts of `build_bundle` (same arguments), every scenario checked.

    Raises
    ------
    ForecastInputError
        For a scenario that does not fit the plan (every scenario is applied, and so
        validated, before anything is simulated).
    """
    plans = scenario_plans(source, scenarios, plan=plan)  # every scenario checked before any simulation
    status = weekly_status_from(plan, report, reported, history, trials, seed)
    base = status.plan_forecast
    plan_summary = summary_dict(base)
    plan_summary["plan_file"] = plan_file
    parts = {
        "plan": Forecast(plan, base, plan_summary, plan_file),
        "weekly": Forecast(plan, status.headline, weekly_summary(status, plan_file), plan_file, status=status),
    }
    return WeekParts(parts, plans, tuple(scenarios), trials, seed)


def save_bundle(folder: str | Path, parts: dict[str, Any], piece: str = "") -> Path:
    """Write `parts` (from `build_bundle`, or its steps) into `folder`; returns the folder.

    `piece` names a later piece of the same bundle (`lekhok_forecast.sources.bundle_file`):
    the report writes the ``scenarios`` part that way, after the others.
    """
    return write_bundle(folder, parts, piece)


def _part(bundle_path: str | Path, name: str) -> Any:
    return read_bundle(bundle_path, name)[name]


# ------------------------------------------------------------ what the notebooks call


def plan_forecast(bundle_path: str, plan_path: str | Path, trials: int, seed: int) -> Forecast:
    """The plan as written at week 0: from the report's bundle, or (`bundle_path` empty) `run_forecast`."""
    return _part(bundle_path, "plan") if bundle_path else run_forecast(plan_path, trials, seed)


#: A notebook's folder parameter (``actuals_dir``, ``scenario_dir``) for "the plan's own
#: folder", found as the report finds it (`lekhok_forecast.sources.plan_folders`).
PLAN_FOLDER = "plan"


def notebook_inputs(
    bundle_path: str, plan_path: str | Path, week: str, actuals_dir: str, scenario_dir: str = ""
) -> tuple[str, str, str]:
    """A notebook's week and folders, chosen as ``lekhok-forecast report`` chooses them.

    With a bundle (the report ran), they are returned as the report passed them.

    Parameters
    ----------
    bundle_path : str
        The report's bundle folder, or empty (the notebook opened by hand).
    plan_path : str or Path
        Plan YAML (relative: from the project root).
    week : str
        ISO week ``YYYY-Www``, ``current``, or empty: the report's default week
        (`lekhok_forecast.sources.weeks.choose_week` without ``--week``).
    actuals_dir, scenario_dir : str
        A folder (relative: from the project root), `PLAN_FOLDER` for the plan's own
        (`lekhok_forecast.sources.plan_folders`), or empty for none.

    Returns
    -------
    (week, actuals_dir, scenario_dir) : tuple of str
        The ISO week, and each folder as an absolute path or empty (none).

    Raises
    ------
    ForecastInputError
        One line for a bad week, a plan folder key naming a missing folder, or a misnamed
        actuals file.
    """
    if bundle_path:
        return week, actuals_dir, scenario_dir
    folders = plan_folders(load_yaml(resolve_path(plan_path)))

    def chosen(value: str, own: Path | None) -> str:
        if value == PLAN_FOLDER:
            return str(resolve_path(own)) if own is not None else ""
        return str(resolve_path(value)) if value else ""

    actuals, scenarios = chosen(actuals_dir, folders.actuals), chosen(scenario_dir, folders.scenarios)
    choice = report_week_choice(week or None, actuals or None)
    return choice.week, actuals, scenarios


def week_forecast(
    bundle_path: str,
    plan_path: str | Path,
    trials: int,
    seed: int,
    week: str,
    actuals_dir: str | Path | None,
    history_path: str | Path | None,
    *,
    changes: bool = True,
) -> Forecast:
    """The week's as-of forecast, the one every notebook shows.

    From the report's bundle, or (`bundle_path` empty) `run_weekly_forecast`; `changes`
    False skips the what-changed table (only the weekly status shows it).
    """
    if bundle_path:
        return _part(bundle_path, "weekly")
    return run_weekly_forecast(plan_path, trials, seed, week, actuals_dir, history_path, changes=changes)


def scenario_runs(
    bundle_path: str,
    plan_path: str | Path,
    scenario_dir: str | Path,
    trials: int,
    seed: int,
    week: str,
    actuals_dir: str | Path | None,
    history_path: str | Path | None,
) -> ScenarioRuns:
    """The scenarios from the week's standing: from the report's bundle, or computed here.

    Computed here: the week's forecast as `week_forecast` makes it, then every scenario
    of `scenario_dir` (empty: none) applied to the plan and simulated from its standing.
    """
    if bundle_path:
        return _part(bundle_path, "scenarios")
    fc = week_forecast("", plan_path, trials, seed, week, actuals_dir, history_path, changes=False)
    assert fc.status is not None  # run_weekly_forecast always sets it
    files: Sequence[Path] = scenario_paths(resolve_path(scenario_dir)) if scenario_dir else []
    scenarios = [load_scenario(p) for p in files]
    plans = scenario_plans(load_yaml(resolve_path(plan_path)), scenarios, plan=fc.plan)
    return scenario_runs_from(plans, scenarios, fc.status, trials, seed)
