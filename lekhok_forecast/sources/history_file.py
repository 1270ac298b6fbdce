"""The forecast history: ``reports/forecast_history.csv``, one row per reported week.

Recording a week replaces that week's row and leaves every other row exactly as it was
(other rows are carried over as text, never re-parsed and re-formatted). The file is
written with `lekhok_forecast.sources.atomic.atomic_write_text` (a temporary file beside it,
moved into place), so a reader never sees half a file and a failure leaves the old file intact.
The rows themselves are made by `lekhok_forecast.tracking.history.history_row`.

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
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from lekhok_forecast.config import REPORTS_DIR
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.atomic import atomic_write_text

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


def _cell_as_read(value) -> str:
    """Text of a value read from the file: like `_cell` but floats unrounded (repr round-trips)."""
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return repr(x) if math.isfinite(x) else ""
    return _cell(value)


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
    seen: dict[str, int]  # week -> line it is first on
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


def merge_rows(history: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """`history` (as `read_history` gives it) with `rows` inserted or replacing theirs; no file read or written.

    The frame is typed as `record_weeks` types the file after recording `rows`: the other
    rows are turned back into text cells that parse to exactly the values read.
    """
    header = [str(c) for c in history.columns]
    old = [
        {c: _cell_as_read(v) for c, v in zip(header, values)} for values in history.itertuples(index=False, name=None)
    ]
    header, merged, _ = _merge(header, old, rows)
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
