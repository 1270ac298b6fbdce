"""The forecast history's rows and the forecast cone, computed from forecasts.

`history_row` makes one week's row of ``forecast_history.csv`` (reading and writing the
file is `lekhok_forecast.sources.history_file`); `cone_frame` turns the history into the
data of the forecast cone chart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lekhok_forecast.analysis.headline import headline_numbers
from lekhok_forecast.core.actuals import WeeklyActuals
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.sources.history_file import KEY
from lekhok_forecast.tracking.calibration import Calibration
from lekhok_forecast.tracking.reforecast import actual_finish_week


def history_row(
    plan: Plan,
    actuals: WeeklyActuals,
    headline: SimulationResult,
    uncalibrated: SimulationResult,
    calibration: Calibration,
    trials: int,
    seed: int,
    earned_value: pd.DataFrame | None = None,
    fever: pd.DataFrame | None = None,
) -> dict:
    """One week's row (values not yet formatted).

    Parameters
    ----------
    plan : Plan
        The original plan.
    actuals : WeeklyActuals
    headline, uncalibrated : SimulationResult
    calibration : Calibration
    trials, seed : int
    earned_value, fever : DataFrame, optional
        Tables with a ``week`` column; this week's SPI/CPI and fever point are copied.
    """
    nums = headline_numbers(headline)
    unc = headline_numbers(uncalibrated)
    as_of_date = plan.date_of_week(actuals.as_of_week)  # the as-of week's last working day
    row: dict = {
        KEY: actuals.week,
        "as_of_week": actuals.as_of_week,
        "as_of_date": as_of_date.isoformat() if as_of_date else None,
        "trials": int(trials),
        "seed": int(seed),
        "calibrated": calibration.applied,
        "done_tasks": sum(a.done for a in actuals.tasks),
        "calibration_ratio": calibration.mean_ratio if calibration.n_done else None,
    }
    row.update(nums)
    row["p50_uncalibrated"] = unc["p50"]
    row["p80_uncalibrated"] = unc["p80"]
    row["actual_finish_week"] = actual_finish_week(plan, actuals)
    for table, cols in ((fever, ("chain_complete", "buffer_consumed", "zone")), (earned_value, ("spi", "cpi"))):
        if table is None or not len(table):
            continue
        match = table[table["week"] == actuals.week]
        for col in cols:
            name = "fever_zone" if col == "zone" else col
            row[name] = match[col].iloc[0] if len(match) and col in match else None
    return row


def cone_frame(
    history: pd.DataFrame, baseline: SimulationResult | None = None, up_to_week: float | None = None
) -> pd.DataFrame:
    """The data of the forecast cone: the plan at week 0 and each recorded week.

    Columns: ``week, as_of_week, p10, p50, p80, p90, p50_uncalibrated, p80_uncalibrated,
    actual_finish_week`` plus the ``p_by_*`` columns, sorted by ``as_of_week``; rows after `up_to_week` are left out.
    """
    cols = [
        "week",
        "as_of_week",
        "p10",
        "p50",
        "p80",
        "p90",
        "p50_uncalibrated",
        "p80_uncalibrated",
        "actual_finish_week",
    ]
    frames = []
    if baseline is not None:
        row = {"week": "plan", "as_of_week": 0.0, "actual_finish_week": np.nan}
        row.update(headline_numbers(baseline))
        row["p50_uncalibrated"], row["p80_uncalibrated"] = row["p50"], row["p80"]
        frames.append(pd.DataFrame([row]))
    if len(history):
        h = history.copy()
        if up_to_week is not None:
            h = h[h["as_of_week"] <= up_to_week + 1e-9]
        frames.append(h)
    if not frames:
        return pd.DataFrame(columns=cols)
    df = pd.concat(frames, ignore_index=True)
    keep = [c for c in cols if c in df] + [c for c in df if c.startswith("p_by_")]
    df = df[keep].sort_values("as_of_week", kind="stable").reset_index(drop=True)
    if "actual_finish_week" not in df:
        df["actual_finish_week"] = np.nan
    return df
