"""A plan simulated for the notebooks and the report: the plan, the result and its summary.

A notebook calls `run_forecast` (or, for the weekly status, `run_weekly_forecast`) once and
hands the `Forecast` to the sentence and table functions of `lekhok_forecast.present`.
The summary holds the same numbers (and keys) as ``lekhok-forecast simulate --json`` and the
report's ``summary.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lekhok_forecast.analysis.headline import HEADLINE_PERCENTILES
from lekhok_forecast.analysis.summary import summary_dict
from lekhok_forecast.config import ACTUALS_DIR, display_path, resolve_path
from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.sources.plan_file import load_plan
from lekhok_forecast.sources.scenario_file import load_plan_with_scenarios, resolve_scenario_path
from lekhok_forecast.tracking.status import WeeklyStatus, weekly_status


@dataclass(frozen=True)
class Forecast:
    """One plan, simulated: the plan, the raw result and the headline numbers.

    Attributes
    ----------
    plan : Plan
    result : SimulationResult
    summary : dict
        `lekhok_forecast.analysis.summary.summary_dict` plus ``plan_file``: the same numbers (and
        keys) as ``lekhok-forecast simulate --json`` and the report's ``summary.json``.
    plan_file : str
        The plan path as shown in outputs.
    status : lekhok_forecast.tracking.status.WeeklyStatus or None
        Set by `run_weekly_forecast`: the actuals the forecast rests on, the history,
        earned value, fever chart and what changed. `plan` is then the original plan and
        `result` the headline forecast (the re-forecast when there are actuals).
    """

    plan: Plan
    result: SimulationResult
    summary: dict
    plan_file: str
    status: WeeklyStatus | None = None  # the weekly report only (run_weekly_forecast)

    def __str__(self) -> str:
        return f"Forecast({self.plan.name!r}, {self.result.trials:,} trials, seed {self.result.seed})"


def run_forecast(plan_path: str | Path, trials: int, seed: int, scenarios: Sequence[str | Path] = ()) -> Forecast:
    """Load (and validate) a plan, apply scenario overlays, simulate and summarise.

    Parameters
    ----------
    plan_path : str or Path
        Plan YAML; a relative path is taken from the project root.
    trials, seed : int
        Monte Carlo trials and seed. The same values give the same numbers as
        ``lekhok-forecast simulate PLAN --trials N --seed S``.
    scenarios : sequence of str or Path
        Scenario overlays applied in order (file paths or names in ``data/scenarios/``).
    """
    path = resolve_path(plan_path)
    scen = [resolve_scenario_path(s) if Path(s).suffix == "" else resolve_path(s) for s in scenarios]
    plan = load_plan_with_scenarios(path, scen)
    result = simulate(plan, trials, seed)
    summary = summary_dict(result)
    shown = display_path(path)
    summary["plan_file"] = shown
    return Forecast(plan, result, summary, shown)


def run_weekly_forecast(
    plan_path: str | Path,
    trials: int,
    seed: int,
    week: str,
    actuals_dir: str | Path | None = ACTUALS_DIR,
    history_path: str | Path | None = None,
    *,
    changes: bool = True,
) -> Forecast:
    """The weekly report's forecast: re-forecast from the latest actuals at or before `week`.

    Reads and validates; writes nothing (`Forecast.status.history_rows` are for the caller
    to record). The summary is what ``summary.json`` holds and what page one states.

    Parameters
    ----------
    plan_path : str or Path
        Plan YAML; a relative path is taken from the project root.
    trials, seed : int
    week : str
        The report's ISO week ``YYYY-Www``.
    actuals_dir : str or Path or None
        Folder of weekly actuals (relative: from the project root); None or empty: the
        plan's own forecast.
    history_path : str or Path or None
        Forecast history to read for earlier weeks; None or empty: compute them all.
    changes : bool
        False: skip the what-changed table (the report's own summary does not need it).

    Returns
    -------
    Forecast
        `plan` the original plan, `result` the headline forecast, `status` the
        `lekhok_forecast.tracking.status.WeeklyStatus`, `summary` the keys of ``simulate --json``
        plus ``as_of_week, actuals_week, actuals_file, weeks_stale, calibrated, done_tasks,
        calibration_ratio, headline`` and ``forecasts`` (plan / uncalibrated / calibrated).

    Raises
    ------
    ForecastInputError
        For a bad plan, week, actuals file or history file.
    """
    path = resolve_path(plan_path)
    plan = load_plan(path)
    folder = resolve_path(actuals_dir) if actuals_dir else None
    history = resolve_path(history_path) if history_path else None
    st = weekly_status(plan, week, folder, trials, seed, history_path=history, changes=changes)
    shown = display_path(path)
    return Forecast(plan, st.headline, weekly_summary(st, shown), shown, status=st)


def weekly_summary(st: WeeklyStatus, plan_file: str) -> dict:
    """``summary.json`` of a weekly report: the headline forecast's `summary_dict` and its basis.

    Parameters
    ----------
    st : lekhok_forecast.tracking.status.WeeklyStatus
    plan_file : str
        The plan path as shown.
    """
    s = summary_dict(st.headline)
    s["tasks"] = {t.id: s["tasks"][t.id] for t in st.plan.tasks if t.id in s["tasks"]}  # plan order
    s["plan_file"] = plan_file
    r = st.report
    s["as_of_week"] = st.as_of_week
    s["actuals_week"] = r.actuals_week
    s["actuals_file"] = display_path(r.actuals_path) if r.actuals_path is not None else None
    s["weeks_stale"] = r.weeks_stale
    s["calibrated"] = st.calibrated
    cal = st.update.calibration if st.update is not None else None
    s["done_tasks"] = sum(a.done for a in st.update.actuals.tasks) if st.update is not None else 0
    s["calibration_ratio"] = round(cal.mean_ratio, 6) if cal is not None and cal.n_done else None
    for mid, w in st.milestones_reached.items():
        if mid in s.get("milestones", {}):
            s["milestones"][mid]["reached_week"] = w
    s["headline"] = st.headline_key
    s["forecasts"] = {
        key: _compact(s if key == st.headline_key else summary_dict(result)) for key, result in st.forecasts.items()
    }
    return s


def _compact(s: dict) -> dict:
    """The numbers of page one's comparison table, from a `summary_dict`.

    The summary's numbers come from `lekhok_forecast.analysis.headline.headline_numbers`
    (rounded as ``simulate --json`` rounds them); this picks the headline finish
    percentiles and the rest of the table's rows.
    """
    out = {"finish_weeks": {f"p{p}": s["finish_weeks"][f"p{p}"] for p in HEADLINE_PERCENTILES}}
    if "finish_dates" in s:
        out["finish_dates"] = {k: s["finish_dates"][k] for k in ("p50", "p80")}
    out["p_finish_by"] = dict(s["p_finish_by"])
    if "buffer" in s:
        out["buffer"] = {k: s["buffer"][k] for k in ("buffer", "buffered_weeks", "p_within_buffer", "needed_for_p80")}
    if "cost" in s:
        out["cost"] = {
            k: s["cost"][k] for k in ("currency", "p50", "p90", "budget", "p_within_budget") if k in s["cost"]
        }
    return out
