"""The forecast history: ``reports/forecast_history.csv``, one row per reported week.

Recording a week replaces that week's row and leaves every other row exactly as it was
(other rows are carried over as text, never re-parsed and re-formatted). The file is
written to a temporary file beside it and moved into place with `os.replace`, so a reader
never sees half a file and a failure leaves the old file intact.

Columns (see ``docs/tracking.md``): ``week`` (ISO week, the key), ``as_of_week``,
``as_of_date`` (last day of the week), ``trials``, ``seed``, ``calibrated`` (is the headline calibrated?),
``done_tasks``, ``calibration_ratio`` (mean actual/estimate of done tasks), the headline
``mean, p10, p50, p80, p90`` (finish, weeks since start), ``p_by_<deadline>`` for each plan
deadline, ``p_within_buffer``, ``cost_p50, cost_p80, cost_p90, p_within_budget``,
``p50_uncalibrated, p80_uncalibrated``, ``actual_finish_week`` (empty until every task is
done), ``chain_complete, buffer_consumed, fever_zone`` and ``spi, cpi``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from lekhok_forecast.config import REPORTS_DIR
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.actuals_file import WeeklyActuals

HISTORY_FILE = "forecast_history.csv"
KEY = "week"
#: Digits kept for floats (far below Monte Carlo error; keeps the file readable).
DIGITS = 6


def default_history_path() -> Path:
    """``reports/forecast_history.csv`` under the project root."""
    return REPORTS_DIR / HISTORY_FILE


def _cell(value) -> str:
    """Text of one value: floats rounded to `DIGITS` and written with repr (round-trips)."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if not math.isfinite(x):
            return ""
        x = round(x, DIGITS)
        return repr(x + 0.0)  # + 0.0: no "-0.0"
    return str(value)


def history_row(
    plan,
    actuals: WeeklyActuals,
    headline: SimulationResult,
    uncalibrated: SimulationResult,
    calibration,
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
    calibration : lekhok_forecast.tracking.reforecast.Calibration
    trials, seed : int
    earned_value, fever : DataFrame, optional
        Tables with a ``week`` column; this week's SPI/CPI and fever point are copied.
    """
    from lekhok_forecast.analysis.headline import headline_numbers
    from lekhok_forecast.tracking.reforecast import actual_finish_week

    nums = headline_numbers(headline)
    unc = headline_numbers(uncalibrated)
    end = plan.date_of_week(actuals.as_of_week)  # the Monday after: the as-of date is the day before
    as_of_date = end - _dt.timedelta(days=1) if end is not None else None
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


def _read_text_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.exists():
        return [], []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ForecastInputError(f"cannot read the forecast history: {exc}", file=str(path)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [])
    if not header:
        return [], []
    if KEY not in header:
        raise ForecastInputError(f"not a forecast history: no '{KEY}' column in the header", file=str(path), line=1)
    rows, seen = [], {}
    for row in reader:
        if None in row:
            raise ForecastInputError("row has more cells than the header", file=str(path), line=reader.line_num)
        week = row[KEY]
        if week in seen:
            raise ForecastInputError(
                f"week {week} appears twice (first on line {seen[week]})",
                file=str(path),
                line=reader.line_num,
                field=KEY,
            )
        seen[week] = reader.line_num
        rows.append({k: (v if v is not None else "") for k, v in row.items()})
    return header, rows


def _column(values: list[str]):
    """Typed column from text cells: bools, ints, floats (exact round trip) or text."""
    filled = [v for v in values if v != ""]
    if filled and all(v in ("true", "false") for v in filled):
        return [None if v == "" else v == "true" for v in values]
    try:
        if filled and all(str(int(v)) == v for v in filled) and len(filled) == len(values):
            return np.array([int(v) for v in values], dtype=np.int64)
    except ValueError:
        pass
    try:
        return np.array([float(v) if v != "" else np.nan for v in values], dtype=np.float64)
    except ValueError:
        return [v if v != "" else None for v in values]


def _frame(header: list[str], rows: list[dict[str, str]]) -> pd.DataFrame:
    if not header:
        return pd.DataFrame(columns=[KEY])
    data = {}
    for col in header:
        values = [r.get(col, "") or "" for r in rows]
        data[col] = values if col in (KEY, "as_of_date", "fever_zone") else _column(values)
    return pd.DataFrame(data, columns=header)


def read_history(path: str | Path | None = None) -> pd.DataFrame:
    """The history as a DataFrame (empty, with a ``week`` column, when the file does not exist)."""
    p = Path(path) if path is not None else default_history_path()
    return _frame(*_read_text_rows(p))


def record_weeks(rows: list[dict], path: str | Path | None = None, *, write: bool = True) -> pd.DataFrame:
    """Insert or replace the given weeks' rows; every other row stays byte-for-byte the same.

    Parameters
    ----------
    rows : list of dict
        Rows from `history_row` (keyed by ``week``).
    path : str or Path, optional
        Default `default_history_path`.
    write : bool
        False: return the resulting frame without touching the file.

    Returns
    -------
    DataFrame
        The whole history after the update, rows ordered by week.
    """
    p = Path(path) if path is not None else default_history_path()
    header, merged, text = _merge(*_read_text_rows(p), rows)
    if write:
        atomic_write_text(p, text)
    return _frame(header, merged)


def rows_frame(rows: list[dict]) -> pd.DataFrame:
    """The history frame of `rows` alone (no file read or written), as `record_weeks` would type it."""
    header, merged, _ = _merge([], [], rows)
    return _frame(header, merged)


def _merge(header: list[str], old: list[dict[str, str]], rows: list[dict]):
    """(header, rows sorted by week, CSV text): `old` text rows with `rows` inserted or replacing theirs."""
    header = list(header)
    new = {r[KEY]: {k: _cell(v) for k, v in r.items()} for r in rows}
    for r in rows:
        for k in r:
            if k not in header:
                header.append(k)
    kept = [r for r in old if r[KEY] not in new]
    merged = sorted(kept + list(new.values()), key=lambda r: r[KEY])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(merged)
    return header, merged, out.getvalue()


def record_week(row: dict, path: str | Path | None = None, *, write: bool = True) -> pd.DataFrame:
    """Insert or replace one week's row (see `record_weeks`)."""
    return record_weeks([row], path, write=write)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and `os.replace`."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def cone_frame(
    history: pd.DataFrame, baseline: SimulationResult | None = None, up_to_week: float | None = None
) -> pd.DataFrame:
    """The data of the forecast cone: the plan at week 0 and each recorded week.

    Columns: ``week, as_of_week, p10, p50, p80, p90, p50_uncalibrated, p80_uncalibrated,
    actual_finish_week`` plus the ``p_by_*`` columns, sorted by ``as_of_week``; rows after `up_to_week` are left out.
    """
    from lekhok_forecast.analysis.headline import headline_numbers

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
