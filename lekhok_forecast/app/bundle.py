"""The week's forecast bundle: every result the report's notebooks show, computed once.

The report parses the plan once, reads every input file once and simulates each variant
once (the plan as written, the week's re-forecasts, each scenario); `save_bundle` writes
the results into its staging folder (`lekhok_forecast.sources.bundle_file`) and every
notebook gets the folder as the papermill parameter ``bundle_path``. A notebook opened by
hand has ``bundle_path`` empty and computes its part itself (`plan_forecast`,
`week_forecast`, `scenario_runs`), with the same functions, so the numbers are the same.

Parts: ``plan`` (a `Forecast` of the plan as written), ``weekly`` (the week's `Forecast`,
whose ``status`` holds the tracking results) and ``scenarios`` (a `ScenarioRuns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lekhok_forecast.analysis.summary import summary_dict
from lekhok_forecast.app.forecast import Forecast, run_forecast, run_weekly_forecast, weekly_summary
from lekhok_forecast.app.scenarios import BASELINE, run_scenarios, scenario_plans, simulate_plans
from lekhok_forecast.config import resolve_path
from lekhok_forecast.core.actuals import WeeklyActuals
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.sources.bundle_file import read_bundle, write_bundle
from lekhok_forecast.sources.scenario_file import Scenario, load_scenario, scenario_paths
from lekhok_forecast.sources.yamlsource import Source
from lekhok_forecast.tracking.status import ReportWeek, weekly_status_from

PARTS = ("plan", "weekly", "scenarios")
#: Where the report puts the bundle in its staging folder (not published with the report).
BUNDLE_FOLDER = "bundle"


@dataclass(frozen=True)
class ScenarioRuns:
    """The scenarios of a folder, each simulated alone beside the plan as written.

    Attributes
    ----------
    scenarios : tuple of Scenario
        As loaded, in file-name order.
    results : dict
        Label -> `SimulationResult`: the plan as written first (`BASELINE`), then each
        scenario under its ``name``.
    """

    scenarios: tuple[Scenario, ...]
    results: dict[str, SimulationResult]

    @property
    def plan(self) -> Plan:
        """The plan as written."""
        return self.results[BASELINE].plan


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
        ``{"plan": Forecast, "weekly": Forecast, "scenarios": ScenarioRuns}``. The plan-as-written
        forecast is the week-0 forecast the weekly status holds, and the scenarios' baseline.

    Raises
    ------
    ForecastInputError
        For a scenario that does not fit the plan (every scenario is applied, and so
        validated, before anything is simulated).
    """
    plans = scenario_plans(source, scenarios, plan=plan)  # every scenario checked before any simulation
    status = weekly_status_from(plan, report, reported, history, trials, seed)
    base = status.plan_forecast
    results = simulate_plans(plans, trials, seed, known={BASELINE: base})
    plan_summary = summary_dict(base)
    plan_summary["plan_file"] = plan_file
    return {
        "plan": Forecast(plan, base, plan_summary, plan_file),
        "weekly": Forecast(plan, status.headline, weekly_summary(status, plan_file), plan_file, status=status),
        "scenarios": ScenarioRuns(tuple(scenarios), results),
    }


def save_bundle(folder: str | Path, parts: dict[str, Any]) -> Path:
    """Write `parts` (from `build_bundle`) into `folder`; returns the folder."""
    return write_bundle(folder, parts)


def _part(bundle_path: str | Path, name: str) -> Any:
    return read_bundle(bundle_path, name)[name]


# ------------------------------------------------------------ what the notebooks call


def plan_forecast(bundle_path: str, plan_path: str | Path, trials: int, seed: int) -> Forecast:
    """The plan as written: from the report's bundle, or (`bundle_path` empty) `run_forecast`."""
    return _part(bundle_path, "plan") if bundle_path else run_forecast(plan_path, trials, seed)


def week_forecast(
    bundle_path: str,
    plan_path: str | Path,
    trials: int,
    seed: int,
    week: str,
    actuals_dir: str | Path | None,
    history_path: str | Path | None,
) -> Forecast:
    """The week's forecast: from the report's bundle, or (`bundle_path` empty) `run_weekly_forecast`."""
    if bundle_path:
        return _part(bundle_path, "weekly")
    return run_weekly_forecast(plan_path, trials, seed, week, actuals_dir, history_path)


def scenario_runs(
    bundle_path: str, plan_path: str | Path, scenario_dir: str | Path, trials: int, seed: int
) -> ScenarioRuns:
    """The scenarios beside the plan as written: from the report's bundle, or computed here."""
    if bundle_path:
        return _part(bundle_path, "scenarios")
    files: Sequence[Path] = scenario_paths(resolve_path(scenario_dir))
    results = run_scenarios(resolve_path(plan_path), list(files), trials, seed)
    return ScenarioRuns(tuple(load_scenario(p) for p in files), results)
