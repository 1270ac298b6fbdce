"""The forecast history: ``reports/forecast_history.csv``, one row per reported week.

Recording a week replaces that week's row and leaves every other row exactly as it was
(other rows are carried over as text, never re-parsed and re-formatted). The file is
written with `lekhok_forecast.sources.atomic.atomic_write_text` (a temporary file beside it,
moved into place), so a reader never sees half a file and a failure leaves the old file intact.
The rows themselves are made by `lekhok_forecast.tracking.history.history_row`.
Reading is strict (`check_history_text`): a truncated line, a merge-conflict marker, a
row with the wrong number of cells or a cell of the wrong type, or a week twice is one
`ForecastInputError` naming the file and line, never a row carried forward.

Columns (see ``docs/tracking.md``): ``week`` (ISO week, the key), ``as_of_week``,
``as_of_date`` (last working day of the week), ``trials``, ``seed``, ``calibrated`` (is the headline calibrated?),
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
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lekhok_forecast.config import REPORTS_DIR
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.atomic import atomic_write_text
from lekhok_forecast.sources.weeks import iso_week_monday

HISTORY_FILE = "forecast_history.csv"
KEY = "week"
#: The type of each column's cells, as `_cell` writes them (see `column_kind`).
COLUMN_KINDS = {
    KEY: "week",
    "as_of_date": "date",
    "fever_zone": "text",
    "trials": "int",
    "seed": "int",
    "done_tasks": "int",
    "calibrated": "bool",
    **dict.fromkeys(
        (
            "as_of_week",
            "calibration_ratio",
            "mean",
            "p_within_buffer",
            "cost_p50",
            "cost_p80",
            "cost_p90",
            "p_within_budget",
            "p50_uncalibrated",
            "p80_uncalibrated",
            "actual_finish_week",
            "chain_complete",
            "buffer_consumed",
            "spi",
            "cpi",
        ),
        "number",
    ),
}
#: Never empty: the key, and the plan week each row is drawn at. Any other cell may be empty: the
#: writer writes empty for a value it does not have (no calibration yet, no costs, not finished) and
#: for the columns a row was recorded without (columns added later).
REQUIRED_COLUMNS = (KEY, "as_of_week")
#: Read as text, not typed as numbers, by `read_history`.
TEXT_COLUMNS = tuple(c for c, kind in COLUMN_KINDS.items() if kind in ("week", "date", "text"))
#: Digits kept for floats (far below Monte Carlo error; keeps the file readable).
DIGITS = 6

_NUMBER_COLUMN = re.compile(r"p\d+|p_by_.+")  # headline percentiles and deadline columns
_KIND_PATTERNS = {
    "number": re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"),  # no nan, inf, blanks or 1_000
    "int": re.compile(r"-?\d+"),
    "bool": re.compile(r"true|false"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
}
_KIND_WORDS = {
    "week": "an ISO week like 2025-W07",
    "date": "a date like 2025-02-09",
    "int": "a whole number",
    "bool": "true or false",
    "number": "a number",
    "text": "text",
}
#: A line git writes around the two sides of a conflict (``<<<<<<< HEAD``, ``=======``, ...).
_CONFLICT_MARKER = re.compile(r"(<{7}|={7}|>{7}|\|{7})(\s|$)")
_FIX_ROW = "fix the row, or delete it (the next report recomputes a missing week from its actuals)"


def default_history_path() -> Path:
    """``reports/forecast_history.csv`` under the project root."""
    return REPORTS_DIR / HISTORY_FILE


def _cell(value: Any) -> str:
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


def _cell_as_read(value: Any) -> str:
    """Text of a value read from the file: like `_cell` but floats unrounded (repr round-trips)."""
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return repr(x) if math.isfinite(x) else ""
    return _cell(value)


def _read_text_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows as text cells) of the history file, checked strictly (`check_history_text`)."""
    if not path.exists():
        return [], []
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: a byte-order mark (Excel) is not part of 'week'
    except (OSError, UnicodeDecodeError) as exc:
        raise ForecastInputError(f"cannot read the forecast history: {exc}", file=str(path)) from None
    return check_history_text(text, str(path))


def check_history_text(text: str, file: str) -> tuple[list[str], list[dict[str, str]]]:
    """Parse the text of a history file strictly into (header, rows of text cells).

    The file must be exactly what `record_weeks` writes (or a careful hand edit of it): a
    header with a ``week`` column and unique column names; every row with exactly the
    header's number of cells, each cell of its column's type (`COLUMN_KINDS`; columns this
    module does not know are text), never empty in `REQUIRED_COLUMNS`; no two rows of the
    same week; no git merge-conflict markers; no blank lines; and a line break after the
    last row (the writer always writes one, so a file without it was cut off while being
    written; its last row may even look complete, with a chopped last number). CRLF line
    ends are read as LF.

    Raises
    ------
    ForecastInputError
        At the first problem: `file`, its line, what is wrong and what to do.
    """
    lines = text.splitlines()
    for n, line in enumerate(lines, 1):
        if _CONFLICT_MARKER.match(line):
            raise ForecastInputError(
                f"merge-conflict marker '{line.strip()[:40]}': resolve the conflict (keep one row per week) and run again",
                file=file,
                line=n,
            )
    if not text.strip():
        raise ForecastInputError(
            "the file is empty (no header); restore it (e.g. from git) or delete it to start a new history", file=file
        )
    if not text.endswith(("\n", "\r")):
        raise ForecastInputError(
            "the last line has no line break at its end: the file looks cut off (a truncated line?);"
            " restore it (e.g. from git) or, if that row is complete, end it with a line break",
            file=file,
            line=len(lines),
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    table: list[tuple[int, list[str]]] = []  # (line of the row's end, cells)
    try:
        for cells in reader:
            table.append((reader.line_num, cells))
    except csv.Error as exc:  # an unclosed quote (named at the line it opens on), a NUL byte
        start = table[-1][0] + 1 if table else 1
        raise ForecastInputError(f"not a CSV row ({exc}); {_FIX_ROW}", file=file, line=start) from None
    header = table[0][1]
    _check_header(header, file)
    rows: list[dict[str, str]] = []
    seen: dict[str, int] = {}  # week -> line it is first on
    for n, cells in table[1:]:
        if not cells:
            raise ForecastInputError("blank line (the history has none); delete it and run again", file=file, line=n)
        if len(cells) != len(header):
            hint = "a truncated line?" if len(cells) < len(header) else "a comma in a value must be quoted"
            raise ForecastInputError(
                f"row has {len(cells)} cells, the header has {len(header)} ({hint}); {_FIX_ROW}", file=file, line=n
            )
        row = dict(zip(header, cells))
        for col, value in row.items():
            problem = _cell_problem(col, value)
            if problem:
                raise ForecastInputError(f"{problem}; {_FIX_ROW}", file=file, line=n, field=col)
        week = row[KEY]
        if week in seen:
            raise ForecastInputError(
                f"week {week} appears twice (first on line {seen[week]}); keep one row per week",
                file=file,
                line=n,
                field=KEY,
            )
        seen[week] = n
        rows.append(row)
    return header, rows


def _check_header(header: list[str], file: str) -> None:
    if KEY not in header:
        raise ForecastInputError(f"not a forecast history: no '{KEY}' column in the header", file=file, line=1)
    for i, name in enumerate(header):
        if not name.strip():
            raise ForecastInputError(
                f"header cell {i + 1} is empty (a stray comma?); every column needs a name", file=file, line=1
            )
        if name in header[:i]:
            raise ForecastInputError(
                f"column '{name}' appears twice in the header (cells {header.index(name) + 1} and {i + 1});"
                " keep one of them",
                file=file,
                line=1,
            )


def column_kind(name: str) -> str:
    """The type of a history column's cells: one of ``week, date, int, bool, number, text``.

    Columns not in `COLUMN_KINDS` are ``number`` when named like a percentile (``p85``)
    or a deadline (``p_by_13``), ``text`` otherwise (a column added by hand).
    """
    if name in COLUMN_KINDS:
        return COLUMN_KINDS[name]
    return "number" if _NUMBER_COLUMN.match(name) else "text"


def _cell_problem(col: str, value: str) -> str | None:
    """What is wrong with one cell of column `col` (None: nothing)."""
    kind = column_kind(col)
    if value == "":
        return f"expected {_KIND_WORDS[kind]}, got an empty cell" if col in REQUIRED_COLUMNS else None
    if kind == "week":
        if value != value.strip():
            return f"expected an ISO week like 2025-W07, got {value!r}"
        try:
            iso_week_monday(value)
        except ForecastInputError as exc:
            return exc.message
        return None
    pattern = _KIND_PATTERNS.get(kind)
    ok = pattern is None or pattern.fullmatch(value) is not None
    if ok and kind == "date":
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            ok = False
    return None if ok else f"expected {_KIND_WORDS[kind]}, got {value!r}"


def _column(values: list[str]) -> np.ndarray | list[Any]:
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
        data[col] = values if col in TEXT_COLUMNS else _column(values)
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


def _merge(
    header: list[str], old: list[dict[str, str]], rows: list[dict]
) -> tuple[list[str], list[dict[str, str]], str]:
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
