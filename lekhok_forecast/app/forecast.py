"""A plan simulated for the notebooks and the report: the plan, the result and its summary.

A notebook calls `run_forecast` (or, for the weekly status, `run_weekly_forecast`) once and
hands the `Forecast` to the sentence and table functions of `lekhok_forecast.present`.
The summary holds the same numbers (and keys) as ``lekhok-forecast simulate --json`` and the
report's ``summary.json``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lekhok_forecast.analysis.headline import HEADLINE_PERCENTILES
from lekhok_forecast.analysis.schedule import reached_status
from lekhok_forecast.analysis.summary import summary_dict
from lekhok_forecast.config import ACTUALS_DIR, display_path, resolve_path
from lekhok_forecast.core.actuals import WeeklyActuals
from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.history_file import KEY
from lekhok_forecast.sources.plan_file import load_plan
from lekhok_forecast.sources.scenario_file import load_plan_with_scenarios, resolve_scenario_path
from lekhok_forecast.sources.weeks import check_week
from lekhok_forecast.tracking.status import ReportWeek, WeeklyStatus, report_week, weekly_status, weekly_status_from


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
    deadlines: Sequence[float] | None = None,
    **simulate_args: Any,
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
    deadlines : sequence of float, optional
        The weeks of ``p_finish_by`` (None: the plan's deadlines), as in `summary_dict`.
    **simulate_args
        Passed on to `weekly_status` (``backfill=False`` skips the history rows of earlier
        weeks; ``workers``); the summary's numbers do not depend on them.

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
    st = weekly_status(plan, week, folder, trials, seed, history_path=history, changes=changes, **simulate_args)
    shown = display_path(path)
    return Forecast(plan, st.headline, weekly_summary(st, shown, deadlines), shown, status=st)


def week_basis(plan: Plan, week: str, actuals_dir: str | Path | None) -> tuple[ReportWeek, tuple[WeeklyActuals, ...]]:
    """The actuals a forecast for ISO week `week` rests on, read and validated.

    The folder is read as the user named it, so that errors name its files that way; the
    returned `ReportWeek` holds it as an absolute path (notebook kernels run elsewhere).

    Parameters
    ----------
    plan : Plan
    week : str
        ISO week ``YYYY-Www`` (the ``--week`` option).
    actuals_dir : str or Path or None
        Folder of weekly actuals; None: none (the plan's own forecast).

    Returns
    -------
    (ReportWeek, tuple of WeeklyActuals)
        The week and its latest actuals at or before it (`tracking.status.report_week`),
        and every actuals file up to that one, oldest first (empty without actuals).

    Raises
    ------
    ForecastInputError
        ``--week: ...`` for a malformed week or one that ends before the plan starts;
        ``file:line: ...`` for a bad actuals folder or file.
    """
    check_week(week)
    try:
        basis = report_week(plan, week, actuals_dir)
    except ForecastInputError as exc:
        if exc.file is None:  # the week against the plan; file problems name their file
            raise ForecastInputError(f"--week: {exc.message}") from None
        raise
    if actuals_dir is None or basis.actuals_dir is None or basis.actuals_week is None:
        return basis, ()
    reported = tuple(read_weeks(actuals_dir, plan, up_to=basis.actuals_week))
    return dataclasses.replace(basis, actuals_dir=Path(basis.actuals_dir).resolve()), reported


def as_of_forecast(
    plan: Plan,
    plan_file: str,
    basis: ReportWeek,
    reported: Sequence[WeeklyActuals],
    trials: int,
    seed: int,
    deadlines: Sequence[float] | None = None,
    **simulate_args: Any,
) -> Forecast:
    """The weekly report's headline forecast of a week, without the report's tracking extras.

    The same `weekly_status_from` and `weekly_summary` the report's bundle uses, so the
    summary is the report's ``summary.json`` (less its ``week`` key) for the same week,
    trials and seed; the what-changed table and earlier weeks' history rows, which the
    summary does not use, are skipped (``lekhok-forecast simulate --actuals --week``).

    Parameters
    ----------
    plan : Plan
    plan_file : str
        The plan path as shown.
    basis, reported
        From `week_basis`.
    trials, seed : int
    deadlines : sequence of float, optional
        The weeks of ``p_finish_by`` (None: the plan's deadlines).
    **simulate_args
        Passed to the engine (``workers``); the numbers do not depend on them.
    """
    st = weekly_status_from(
        plan, basis, reported, pd.DataFrame(columns=[KEY]), trials, seed, changes=False, backfill=False, **simulate_args
    )
    return Forecast(plan, st.headline, weekly_summary(st, plan_file, deadlines), plan_file, status=st)


def weekly_summary(st: WeeklyStatus, plan_file: str, deadlines: Sequence[float] | None = None) -> dict:
    """``summary.json`` of a weekly report: the headline forecast's `summary_dict` and its basis.

    Parameters
    ----------
    st : lekhok_forecast.tracking.status.WeeklyStatus
    plan_file : str
        The plan path as shown.
    deadlines : sequence of float, optional
        The weeks of every ``p_finish_by`` (None: the plan's deadlines).
    """
    s = summary_dict(st.headline, deadlines)
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
            m = s["milestones"][mid]
            m["reached_week"] = w
            m["status"] = reached_status(w, m["target_week"])  # the word the PDF shows
    s["headline"] = st.headline_key
    s["forecasts"] = {
        key: _compact(s if key == st.headline_key else summary_dict(result, deadlines))
        for key, result in st.forecasts.items()
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
