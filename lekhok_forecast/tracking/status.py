"""The weekly report's week: which actuals it rests on, and its headline forecast.

`report_week` picks the latest actuals file at or before the report's ISO week;
`weekly_status` runs `lekhok_forecast.tracking.weekly.weekly_update` on it (without
writing the history) or, with no actuals, the plan's own forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.core.actuals import WeeklyActuals
from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.actuals_file import actuals_file, list_weeks, read_weeks
from lekhok_forecast.sources.history_file import KEY, read_history
from lekhok_forecast.sources.weeks import as_of_week, iso_week_monday, week_name
from lekhok_forecast.tracking.calibration import MIN_DONE_FOR_CALIBRATION
from lekhok_forecast.tracking.earned_value import earned_value_table
from lekhok_forecast.tracking.fever import fever_table
from lekhok_forecast.tracking.history import cone_frame
from lekhok_forecast.tracking.weekly import WeeklyUpdate, weekly_update_from
from lekhok_forecast.tracking.what_changed import WHAT_CHANGED_COLUMNS


@dataclass(frozen=True)
class ReportWeek:
    """Which actuals a report for ISO week `week` rests on: the latest file at or before it.

    Attributes
    ----------
    week : str
        The report's ISO week (``2025-W11``).
    as_of_week : float or None
        Weeks since the plan's start at the end of `week` (None: the plan has no `start`).
    actuals_dir : Path or None
        The actuals folder (None: the report uses the plan alone).
    actuals_week : str or None
        The latest actuals week at or before `week` (None: there is none).
    weeks_stale : int
        ISO weeks from `actuals_week` to `week` (0: the report's own week has actuals).
    available : tuple of str
        Every actuals week in the folder, oldest first.
    """

    week: str
    as_of_week: float | None
    actuals_dir: Path | None
    actuals_week: str | None
    weeks_stale: int = 0
    available: tuple[str, ...] = ()

    @property
    def has_actuals(self) -> bool:
        return self.actuals_dir is not None and self.actuals_week is not None

    @property
    def stale(self) -> bool:
        """True when the report's week has no actuals file of its own but an earlier week has."""
        return self.has_actuals and self.weeks_stale > 0

    @property
    def actuals_path(self) -> Path | None:
        """The task file the forecast rests on."""
        if self.actuals_dir is None or self.actuals_week is None:  # not `has_actuals`
            return None
        return actuals_file(self.actuals_dir, self.actuals_week)


def report_week(plan: Plan, week: str, actuals_dir: str | Path | None = ACTUALS_DIR) -> ReportWeek:
    """The actuals a report for ISO week `week` uses: the latest file at or before `week`.

    Parameters
    ----------
    plan : Plan
    week : str
        ISO week ``YYYY-Www``.
    actuals_dir : str or Path or None
        Folder of ``YYYY-Www.csv`` files; None: no actuals (the plan's own forecast).

    Raises
    ------
    ForecastInputError
        If `week` is not an ISO week, ends before the plan starts, or the folder is
        missing or holds a misnamed file.
    """
    monday = iso_week_monday(week)
    as_of = None
    if plan.start is not None:
        as_of = as_of_week(week, plan)
        if as_of <= 0:
            raise ForecastInputError(
                f"week {week} ends before the plan starts on {plan.start:%a %Y-%m-%d};"
                f" the plan's first week is {week_name(1.0, plan)}"
            )
    if actuals_dir is None:
        return ReportWeek(week, as_of, None, None)
    available = tuple(list_weeks(actuals_dir))
    earlier = [w for w in available if w <= week]
    if not earlier:
        return ReportWeek(week, as_of, Path(actuals_dir), None, 0, available)
    latest = earlier[-1]
    stale = (monday - iso_week_monday(latest)).days // 7
    return ReportWeek(week, as_of, Path(actuals_dir), latest, stale, available)


@dataclass(frozen=True)
class WeeklyStatus:
    """What the weekly report states for one ISO week: the headline forecast and its basis.

    With actuals at or before the report's week the headline is the re-forecast of the
    latest of them (`WeeklyUpdate.forecast`: calibrated when there is enough evidence);
    without any it is the plan's own forecast.

    Attributes
    ----------
    report : ReportWeek
        The report's week and the actuals it rests on.
    plan : Plan
        The original plan.
    plan_forecast : SimulationResult
        The plan alone, as of week 0 (same trials and seed).
    update : WeeklyUpdate or None
        The re-forecast, history, earned value, fever chart and what changed (None
        without actuals).
    """

    report: ReportWeek
    plan: Plan
    plan_forecast: SimulationResult
    update: WeeklyUpdate | None

    @property
    def headline(self) -> SimulationResult:
        """The forecast page one states."""
        return self.update.forecast if self.update is not None else self.plan_forecast

    @property
    def as_of_week(self) -> float:
        """Weeks since the plan's start that the headline is as of (0: the plan's start)."""
        return float(self.update.as_of_week) if self.update is not None else 0.0

    @property
    def calibrated(self) -> bool:
        return self.update is not None and self.update.calibration.applied

    @property
    def history_rows(self) -> tuple[dict, ...]:
        """Rows for ``forecast_history.csv`` (none without actuals)."""
        return self.update.rows if self.update is not None else ()

    @property
    def milestones_reached(self) -> dict[str, float]:
        """Milestone id -> the week it was reached (every task of it done), per the actuals."""
        if self.update is None:
            return {}
        # a done row always has its finish week (the actuals reader requires it)
        finish = {a.task: a.finish_week for a in self.update.actuals.tasks if a.done and a.finish_week is not None}
        return {
            m.id: max(float(finish[t]) for t in m.tasks)
            for m in self.plan.milestones
            if m.tasks and all(t in finish for t in m.tasks)
        }

    @property
    def forecasts(self) -> dict[str, SimulationResult]:
        """The forecasts side by side: ``plan``, ``uncalibrated`` and ``calibrated`` (those that exist)."""
        out = {"plan": self.plan_forecast}
        if self.update is not None:
            out["uncalibrated"] = self.update.uncalibrated
            if self.update.calibrated is not None:
                out["calibrated"] = self.update.calibrated
        return out

    @property
    def headline_key(self) -> str:
        """Which of `forecasts` is the headline."""
        if self.update is None:
            return "plan"
        return "calibrated" if self.update.calibrated is not None else "uncalibrated"

    @property
    def cone(self) -> pd.DataFrame:
        """Forecast cone data: the plan at week 0 and each recorded week up to this one."""
        if self.update is not None:
            return self.update.cone
        return cone_frame(pd.DataFrame(columns=["week"]), self.plan_forecast)

    @property
    def fever(self) -> pd.DataFrame:
        """Fever chart points (the plan's point alone without actuals)."""
        if self.update is not None:
            return self.update.fever
        return fever_table(self.plan, [])

    @property
    def earned_value(self) -> pd.DataFrame:
        """Earned value per reported week (empty without actuals)."""
        if self.update is not None:
            return self.update.earned_value
        return earned_value_table(self.plan, [])

    @property
    def what_changed(self) -> pd.DataFrame:
        """Changes since the previous actuals and their effect on P80 (empty without actuals)."""
        if self.update is not None:
            return self.update.what_changed
        return pd.DataFrame(columns=list(WHAT_CHANGED_COLUMNS))

    def __str__(self) -> str:
        r = self.report
        if self.update is None:
            return f"{r.week}: no actuals; the plan's own forecast"
        stale = f", {r.weeks_stale} week{'s' if r.weeks_stale != 1 else ''} old" if r.stale else ""
        return f"{r.week}: actuals of {r.actuals_week}{stale}; {self.update}"


def weekly_status(
    plan: Plan,
    week: str,
    actuals_dir: str | Path | None = ACTUALS_DIR,
    trials: int = 20_000,
    seed: int = 1,
    *,
    history_path: str | Path | None = None,
    changes: bool = True,
    backfill: bool = True,
    calibrate: bool = True,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    **simulate_args: Any,
) -> WeeklyStatus:
    """The weekly report's forecast for ISO week `week`; reads, validates, writes nothing.

    The actuals used are those of the latest file at or before `week` (`report_week`);
    every file up to it is validated first (bad input raises `ForecastInputError`).
    The history rows to record are in `WeeklyStatus.history_rows`: the caller writes
    them (`lekhok_forecast.sources.history_file.record_weeks`) once its report succeeded.

    Parameters
    ----------
    plan : Plan
        The original plan.
    week : str
        The report's ISO week ``YYYY-Www``.
    actuals_dir : str or Path or None
        Folder of weekly actuals; None: the plan's own forecast.
    trials, seed : int
    history_path : str or Path, optional
        The forecast history to read (earlier weeks' rows are kept as recorded, missing
        ones are computed); None: no file, every earlier week is computed.
    changes : bool
        False: skip the what-changed table (it costs one re-forecast per changed task).
    backfill : bool
        False: no history rows for earlier weeks missing from the history (the headline
        and its summary do not depend on them).
    calibrate, min_done
        As in `weekly_update`.

    Returns
    -------
    WeeklyStatus
    """
    rw = report_week(plan, week, actuals_dir)
    reported: list[WeeklyActuals] = []
    if rw.actuals_dir is not None and rw.actuals_week is not None:  # rw.has_actuals
        reported = read_weeks(rw.actuals_dir, plan, up_to=rw.actuals_week)
    history = read_history(history_path) if history_path is not None else pd.DataFrame(columns=[KEY])
    return weekly_status_from(
        plan,
        rw,
        reported,
        history,
        trials,
        seed,
        changes=changes,
        backfill=backfill,
        calibrate=calibrate,
        min_done=min_done,
        **simulate_args,
    )


def weekly_status_from(
    plan: Plan,
    report: ReportWeek,
    reported: Sequence[WeeklyActuals],
    history: pd.DataFrame,
    trials: int = 20_000,
    seed: int = 1,
    *,
    changes: bool = True,
    backfill: bool = True,
    calibrate: bool = True,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    **simulate_args: Any,
) -> WeeklyStatus:
    """The weekly status from loaded inputs (`weekly_status` reads them); reads and writes no file.

    Parameters
    ----------
    plan : Plan
    report : ReportWeek
        From `report_week`.
    reported : sequence of WeeklyActuals
        Every actuals file up to ``report.actuals_week``, in week order (empty without actuals).
    history : DataFrame
        The forecast history recorded so far (``sources.history_file.read_history``).
    trials, seed, changes, backfill, calibrate, min_done
        As in `weekly_status`.
    """
    if not report.has_actuals:
        return WeeklyStatus(report, plan, simulate(plan, trials, seed, **simulate_args), None)
    update = weekly_update_from(
        plan,
        reported,
        history,
        trials,
        seed,
        calibrate=calibrate,
        min_done=min_done,
        changes=changes,
        backfill=backfill,
        **simulate_args,
    )
    return WeeklyStatus(report, plan, update.baseline, update)
