"""A history of finished tasks for the backtest: one CSV row per task, estimate and actual.

Format (see ``docs/tracking.md``, "Backtest")::

    # comment lines start with '#'
    estimate,actual,person,project,finish
    4,5.5,ana,billing,2024-03-01
    8,6,ben,billing,2024-03-04

* ``estimate``, ``actual`` (required): the task's most likely estimate and its actual effort,
  in one unit for the whole file (hours, minutes: the scores do not depend on it); both
  numbers > 0.
* ``finish`` (optional): the day the task finished, ``YYYY-MM-DD``; when given, tasks are
  replayed in finish order (ties in file order), else in file order.
* Any other column is a text label (``person``, ``project``, ``workstream`` ...) that
  ``--by`` can group by; grouped cells must not be empty.

Reading is strict: a wrong cell count, a bad or non-positive number, a bad date, a blank
line, a duplicate or missing column is one `ForecastInputError` naming the file and line.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lekhok_forecast.errors import ForecastInputError, did_you_mean
from lekhok_forecast.sources.atomic import atomic_write_text

REQUIRED = ("estimate", "actual")
FINISH = "finish"


@dataclass(frozen=True)
class TaskHistory:
    """Finished tasks as read, in file order.

    Attributes
    ----------
    file : str
    estimates, actuals : ndarray of float
        Per task, in the file's unit (> 0).
    labels : dict of str to tuple of str
        Every text column, one cell per task.
    finish : tuple of datetime.date or None
        Finish day per task when the file has a ``finish`` column.
    lines : tuple of int
        The file line of each task (1-based).
    """

    file: str
    estimates: np.ndarray
    actuals: np.ndarray
    labels: dict[str, tuple[str, ...]]
    finish: tuple[_dt.date, ...] | None
    lines: tuple[int, ...]

    def __len__(self) -> int:
        return int(self.estimates.size)

    def order(self) -> np.ndarray:
        """Task indices in replay order: by finish day (ties in file order), else file order."""
        if self.finish is None:
            return np.arange(len(self))
        return np.array(sorted(range(len(self)), key=lambda i: (self.finish[i], i)), dtype=int)  # type: ignore[index]


def _number(cell: str, file: str, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise ForecastInputError(f"expected a number, got {cell!r}", file=file, line=line, field=column) from None
    if not math.isfinite(value) or value <= 0:
        raise ForecastInputError(
            f"must be a number > 0, got {cell!r} (leave out tasks without an estimate or actual)",
            file=file,
            line=line,
            field=column,
        )
    return value


def _date(cell: str, file: str, line: int) -> _dt.date:
    try:
        return _dt.date.fromisoformat(cell)
    except ValueError:
        raise ForecastInputError(
            f"expected a date YYYY-MM-DD, got {cell!r}", file=file, line=line, field=FINISH
        ) from None


def task_history_from_text(text: str, file: str, *, by: str | None = None) -> TaskHistory:
    """Parse a task history (see the module docstring).

    Parameters
    ----------
    text : str
        The file's content.
    file : str
        Its name, for error messages.
    by : str, optional
        A label column that must exist with no empty cell (the backtest groups by it).

    Raises
    ------
    ForecastInputError
        One line, ``file:line: column: what is wrong``.
    """
    lines = text.splitlines()
    header_at = next((i for i, s in enumerate(lines) if s.strip() and not s.lstrip().startswith("#")), None)
    if header_at is None:
        raise ForecastInputError("no header line; the first line names the columns (estimate,actual,...)", file=file)
    header = [c.strip() for c in next(csv.reader([lines[header_at]]))]
    hline = header_at + 1
    for c in header:
        if not c:
            raise ForecastInputError("empty column name in the header", file=file, line=hline)
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise ForecastInputError(f"column {dup[0]!r} appears twice in the header", file=file, line=hline)
    for c in REQUIRED:
        if c not in header:
            guess = did_you_mean(c, [h for h in header if h not in REQUIRED])
            raise ForecastInputError(f"missing column {c!r}{guess}; required: estimate, actual", file=file, line=hline)
    if by is not None and (by not in header or by in REQUIRED or by == FINISH):
        raise ForecastInputError(
            f"no label column {by!r} to group by{did_you_mean(by, header)}; label columns:"
            f" {', '.join(c for c in header if c not in REQUIRED and c != FINISH) or 'none'}",
            file=file,
            line=hline,
        )
    est, act, where = [], [], []
    labels: dict[str, list[str]] = {c: [] for c in header if c not in REQUIRED and c != FINISH}
    finish: list[_dt.date] = []
    body = lines[header_at + 1 :]
    for offset, raw in enumerate(body):
        n = hline + 1 + offset
        if raw.lstrip().startswith("#"):
            continue
        if not raw.strip():
            raise ForecastInputError("blank line; delete it and run again", file=file, line=n)
        cells = [c.strip() for c in next(csv.reader(io.StringIO(raw)))]
        if len(cells) != len(header):
            raise ForecastInputError(
                f"{len(cells)} cells, the header has {len(header)} ({','.join(header)})", file=file, line=n
            )
        row = dict(zip(header, cells, strict=True))
        est.append(_number(row["estimate"], file, n, "estimate"))
        act.append(_number(row["actual"], file, n, "actual"))
        if FINISH in row:
            finish.append(_date(row[FINISH], file, n))
        for c in labels:
            labels[c].append(row[c])
        if by is not None and not row[by]:
            raise ForecastInputError(f"empty {by!r} cell (grouping by it)", file=file, line=n, field=by)
        where.append(n)
    if not est:
        raise ForecastInputError("no tasks: the file has a header but no rows", file=file)
    return TaskHistory(
        file,
        np.asarray(est, dtype=float),
        np.asarray(act, dtype=float),
        {c: tuple(v) for c, v in labels.items()},
        tuple(finish) if FINISH in header else None,
        tuple(where),
    )


def read_task_history(path: str | Path, *, by: str | None = None) -> TaskHistory:
    """Read a task history file (UTF-8 CSV); see `task_history_from_text`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ForecastInputError("no such file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ForecastInputError(f"cannot read the file ({exc.__class__.__name__})", file=str(path)) from None
    return task_history_from_text(text, str(path), by=by)


def task_history_text(history: TaskHistory) -> str:
    """The task history as the CSV text `task_history_from_text` reads back unchanged.

    Columns: ``estimate,actual``, then the label columns in the history's order, then
    ``finish`` when the history has finish days. Numbers are written with ``repr`` (they
    read back bit-identical); label cells are quoted by the csv module where needed.

    Parameters
    ----------
    history : TaskHistory
        At least one task (a file with no rows is not a valid history).

    Raises
    ------
    ValueError
        For a history without tasks.
    """
    if len(history) == 0:
        raise ValueError("a task history file needs at least one task")
    names = list(history.labels)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*REQUIRED, *names, *([FINISH] if history.finish is not None else [])])
    for i in range(len(history)):
        cells = [repr(float(history.estimates[i])), repr(float(history.actuals[i]))]
        cells += [history.labels[c][i] for c in names]
        if history.finish is not None:
            cells.append(history.finish[i].isoformat())
        w.writerow(cells)
    return buf.getvalue()


def write_task_history(path: str | Path, history: TaskHistory) -> None:
    """Write `history` to `path` atomically (`task_history_text`; a failure leaves the old file)."""
    atomic_write_text(path, task_history_text(history))
