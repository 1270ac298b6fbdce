"""The weekly update: one week's re-forecasts, earned value, fever chart, what changed, history.

`weekly_update` is the one call the weekly report makes for a week with actuals. It reads
its inputs first (the actuals files up to the week, validated, and the forecast history
through `lekhok_forecast.sources`), computes, and writes the history last (or not at all).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lekhok_forecast.analysis.headline import headline_numbers
from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.core.actuals import WeeklyActuals, no_actuals
from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.core.plan import Plan, week_label
from lekhok_forecast.core.ratios import DEFAULT_RATIO_METHOD
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources import history_file
from lekhok_forecast.sources.actuals_file import actuals_file, list_weeks, read_weeks
from lekhok_forecast.tracking.calibration import MIN_DONE_FOR_CALIBRATION, Calibration, calibration_from_actuals
from lekhok_forecast.tracking.earned_value import earned_value_table
from lekhok_forecast.tracking.fever import fever_table
from lekhok_forecast.tracking.history import cone_frame, history_row
from lekhok_forecast.tracking.reforecast import reforecast
from lekhok_forecast.tracking.what_changed import WHAT_CHANGED_COLUMNS, what_changed


def forecast_columns_table(columns: dict[str, SimulationResult | None]) -> pd.DataFrame:
    """Headline numbers side by side, one column per forecast (e.g. plan / uncalibrated / calibrated).

    Rows are the keys of `lekhok_forecast.analysis.headline.headline_numbers` (raw floats);
    forecasts given as None are left out.
    """
    data = {name: headline_numbers(r) for name, r in columns.items() if r is not None}
    return pd.DataFrame(data)


@dataclass(frozen=True)
class WeeklyUpdate:
    """Everything the weekly report shows about tracking, for one week.

    Attributes
    ----------
    week : str
        ISO week of the actuals (``2025-W08``).
    as_of_week : float
        Weeks since the plan's start at the end of that week.
    actuals, previous : WeeklyActuals
        This week's and last reported week's actuals (`previous` is the plan's starting
        point in the first week).
    forecast : SimulationResult
        The headline re-forecast: calibrated when `calibration.applied`, else uncalibrated.
    uncalibrated : SimulationResult
        The re-forecast with the plan's estimates for tasks not yet started.
    calibrated : SimulationResult or None
        The calibrated re-forecast (None when there is too little evidence).
    calibration : Calibration
    baseline : SimulationResult
        The plan's own forecast as of week 0 (same trials and seed).
    comparison : DataFrame
        Headline numbers of plan / uncalibrated / calibrated, side by side.
    earned_value : DataFrame
        One row per reported week (see `lekhok_forecast.tracking.earned_value.earned_value_table`).
    fever : DataFrame
        Fever chart points, week 0 and one per reported week (`lekhok_forecast.tracking.fever.fever_table`).
    what_changed : DataFrame
        Changes since `previous` and their effect on P80 (`lekhok_forecast.tracking.what_changed.what_changed`).
    history : DataFrame
        ``forecast_history.csv`` after this week's row was recorded (all weeks).
    cone : DataFrame
        The plan (week 0) and the history rows up to this week, for the cone chart.
    history_path : Path or None
        Where the history was written (None when not written).
    rows : tuple of dict
        The history rows this update records (backfilled weeks first, this week last),
        for a caller that writes them later with `lekhok_forecast.sources.history_file.record_weeks`.
    """

    week: str
    as_of_week: float
    actuals: WeeklyActuals
    previous: WeeklyActuals
    forecast: SimulationResult
    uncalibrated: SimulationResult
    calibrated: SimulationResult | None
    calibration: Calibration
    baseline: SimulationResult
    comparison: pd.DataFrame
    earned_value: pd.DataFrame
    fever: pd.DataFrame
    what_changed: pd.DataFrame
    history: pd.DataFrame
    cone: pd.DataFrame
    history_path: Path | None
    rows: tuple = ()

    @property
    def numbers(self) -> dict:
        """Headline numbers of the headline forecast."""
        return headline_numbers(self.forecast)

    def __str__(self) -> str:
        h = self.numbers
        by = ", ".join(f"P(<= {k[5:]}) {v:.0%}" for k, v in h.items() if k.startswith("p_by_"))
        delta = float(self.what_changed["p80_effect_weeks"].sum()) if len(self.what_changed) else 0.0
        return (
            f"{self.week} (as of week {week_label(self.as_of_week)}): P50 {h['p50']:.1f}, "
            f"P80 {h['p80']:.1f} weeks ({delta:+.1f} since {self.previous.label}); {by}. "
            f"{self.calibration.message}"
        )


def forecasts_for(
    plan: Plan,
    actuals: WeeklyActuals,
    trials: int,
    seed: int,
    *,
    calibrate: bool = True,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    memo: dict | None = None,
    method: str = DEFAULT_RATIO_METHOD,
    **simulate_args: Any,
) -> tuple[SimulationResult, SimulationResult, SimulationResult | None, Calibration]:
    """(headline, uncalibrated, calibrated or None, calibration) for one week's actuals.

    `memo` is passed to `reforecast` (simulations shared within one weekly update);
    `method` is the calibration method (`lekhok_forecast.core.ratios.RATIO_METHODS`).
    """
    cal = calibration_from_actuals(plan, actuals, min_done=min_done, enabled=calibrate, method=method)
    unc = reforecast(plan, actuals, trials, seed, memo=memo, **simulate_args)
    calibrated = (
        reforecast(plan, actuals, trials, seed, calibration=cal, memo=memo, **simulate_args) if cal.applied else None
    )
    return (calibrated if calibrated is not None else unc), unc, calibrated, cal


def weekly_update_from(
    plan: Plan,
    reported: Sequence[WeeklyActuals],
    history: pd.DataFrame,
    trials: int = 20_000,
    seed: int = 1,
    *,
    backfill: bool = True,
    calibrate: bool = True,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    changes: bool = True,
    **simulate_args: Any,
) -> WeeklyUpdate:
    """The weekly update of the last of `reported`, from loaded inputs; reads and writes no file.

    Parameters
    ----------
    plan : Plan
        The original plan.
    reported : sequence of WeeklyActuals
        Every reported week up to the one to update, oldest first (not empty).
    history : DataFrame
        The forecast history recorded so far (`lekhok_forecast.sources.history_file.read_history`;
        an empty frame with a ``week`` column for none).
    trials, seed, backfill, calibrate, min_done, changes
        As in `weekly_update`.

    Returns
    -------
    WeeklyUpdate
        `history` is `history` with this update's `rows` merged in, typed as the file would
        be; `history_path` is None (nothing was written).
    """
    current = reported[-1]
    previous = reported[-2] if len(reported) > 1 else no_actuals()
    memo: dict = {}  # each re-forecast once: what changed and the backfill ask for some twice
    headline, unc, cal_result, cal = forecasts_for(
        plan, current, trials, seed, calibrate=calibrate, min_done=min_done, memo=memo, **simulate_args
    )
    baseline = simulate(plan, trials, seed, **simulate_args)
    ev = earned_value_table(plan, reported)
    fever = fever_table(plan, reported)
    if changes:
        changed = what_changed(
            plan, previous, current, trials, seed, calibrate=calibrate, min_done=min_done, memo=memo, **simulate_args
        )
    else:
        changed = pd.DataFrame(columns=WHAT_CHANGED_COLUMNS)

    rows = []
    if backfill:
        have = set(history[history_file.KEY]) if len(history) else set()
        for a in reported[:-1]:
            if a.week in have:
                continue
            h, u, _, c = forecasts_for(
                plan, a, trials, seed, calibrate=calibrate, min_done=min_done, memo=memo, **simulate_args
            )
            rows.append(history_row(plan, a, h, u, c, trials, seed, ev, fever))
    rows.append(history_row(plan, current, headline, unc, cal, trials, seed, ev, fever))
    frame = history_file.merge_rows(history, rows)
    cone = cone_frame(frame, baseline, up_to_week=current.as_of_week)
    comparison = forecast_columns_table({"plan (week 0)": baseline, "uncalibrated": unc, "calibrated": cal_result})
    return WeeklyUpdate(
        week=str(current.week),
        as_of_week=current.as_of_week,
        actuals=current,
        previous=previous,
        forecast=headline,
        uncalibrated=unc,
        calibrated=cal_result,
        calibration=cal,
        baseline=baseline,
        comparison=comparison,
        earned_value=ev,
        fever=fever,
        what_changed=changed,
        history=frame,
        cone=cone,
        history_path=None,
        rows=tuple(rows),
    )


def weekly_update(
    plan: Plan,
    actuals_dir: str | Path = ACTUALS_DIR,
    week: str | None = None,
    trials: int = 20_000,
    seed: int = 1,
    *,
    history_path: str | Path | None = None,
    write_history: bool = True,
    read_history: bool = True,
    backfill: bool = True,
    calibrate: bool = True,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    changes: bool = True,
    **simulate_args: Any,
) -> WeeklyUpdate:
    """Re-forecast one week from its actuals and record it in the forecast history.

    Reads the inputs (every actuals file up to `week`, validated first: on bad input a
    `ForecastInputError` is raised and nothing is written; the history file), computes
    with `weekly_update_from`, then records the rows in the history file.

    Parameters
    ----------
    plan : Plan
        The original plan.
    actuals_dir : str or Path
        Folder of ``YYYY-Www.csv`` files (default ``data/actuals``).
    week : str, optional
        ISO week to report (default: the latest file in `actuals_dir`). Its file must exist.
    trials, seed : int
        Monte Carlo trials and seed of every forecast.
    history_path : str or Path, optional
        Default ``reports/forecast_history.csv`` (`lekhok_forecast.sources.history_file.default_history_path`).
    write_history : bool
        False: compute the history frame in memory only (`WeeklyUpdate.rows` holds the
        rows, to be recorded later).
    read_history : bool
        False: start from an empty history instead of the file (every earlier week is
        backfilled in memory); use with ``write_history=False``.
    backfill : bool
        Also record earlier weeks that have actuals but no history row (rows already there
        are left alone), so the first run shows the whole history.
    calibrate : bool
        False: never calibrate (the evidence is still reported).
    min_done : int
        Done effort tasks needed to calibrate.
    changes : bool
        False: skip the what-changed steps (one re-forecast per changed task);
        `WeeklyUpdate.what_changed` is then empty.

    Returns
    -------
    WeeklyUpdate
    """
    # Files in: every actuals file up to `week` (validated) and the history recorded so far.
    weeks = list_weeks(actuals_dir)
    if not weeks:
        raise ForecastInputError("no actuals files (YYYY-Www.csv) in the folder", file=str(actuals_dir))
    if week is None:
        week = weeks[-1]
    if week not in weeks:
        raise ForecastInputError(
            f"no actuals for week {week}; available weeks: {', '.join(weeks)}",
            file=str(actuals_file(actuals_dir, week)),
        )
    reported = read_weeks(actuals_dir, plan, up_to=week)  # validates every file before any work
    path = Path(history_path) if history_path is not None else history_file.default_history_path()
    existing = history_file.read_history(path) if read_history else pd.DataFrame(columns=[history_file.KEY])

    update = weekly_update_from(
        plan,
        reported,
        existing,
        trials,
        seed,
        backfill=backfill,
        calibrate=calibrate,
        min_done=min_done,
        changes=changes,
        **simulate_args,
    )

    # File out: this week's rows (and backfilled ones) into the history.
    if read_history and write_history:
        history_file.record_weeks(list(update.rows), path)
    return dataclasses.replace(update, history_path=path if write_history else None)
