"""Weekly actuals: read and validate ``data/actuals/YYYY-Www.csv`` (and ``YYYY-Www.spend.csv``).

One file per ISO week holds the state of every task *as of the end of that week*; the
format is documented in ``docs/tracking.md`` and ``data/actuals/README.md``. This is the
only module that reads actuals files. Everything it returns is frozen; bad input raises
`ForecastInputError` with ``file:line: column: message`` where *line* is the CSV line
(the header is line 1).

Weeks
    A *week number* in a file (``start_week``, ``finish_week``) is elapsed weeks since the
    plan's start, on the same scale as every forecast: ``0`` is the plan's start
    (Monday 2025-02-03 morning for Lekhok), ``1`` the end of the first week, ``1.4`` two
    working days into the second week (one working day is 0.2 week).

    A file named after ISO week ``YYYY-Www`` is *as of the end of that week*: its as-of
    week is ``(Monday of YYYY-Www + 7 days - plan.start) / 7 days``. For Lekhok
    (start 2025-02-03, a Monday of ISO week 2025-W06) ``2025-W06.csv`` is as of week 1,
    ``2025-W07.csv`` as of week 2, and so on.
"""

from __future__ import annotations

import csv
import datetime as _dt
import enum
import io
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from lekhok_forecast.core.plan import Plan, unit_hours, unit_weeks, week_label
from lekhok_forecast.errors import ForecastInputError, did_you_mean
from lekhok_forecast.sources.yamlsource import read_text

WEEK_NAME = re.compile(r"^(\d{4})-W(\d{2})$")
TASK_FILE = re.compile(r"^(\d{4}-W\d{2})\.csv$")
SPEND_FILE = re.compile(r"^(\d{4}-W\d{2})\.spend\.csv$")

TASK_COLUMNS = (
    "task",
    "status",
    "hours_to_date",
    "start_week",
    "finish_week",
    "remaining_low",
    "remaining_mode",
    "remaining_high",
    "notes",
)
TASK_REQUIRED = ("task", "status")
REMAINING_COLUMNS = ("remaining_low", "remaining_mode", "remaining_high")
SPEND_COLUMNS = ("cost", "spent_to_date", "notes")
SPEND_REQUIRED = ("cost", "spent_to_date")


class Status(str, enum.Enum):
    """Where a task stands at the end of a week."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"


STATUSES = tuple(s.value for s in Status)


@dataclass(frozen=True)
class TaskActual:
    """One row of an actuals file.

    Attributes
    ----------
    task : str
        Task id in the plan.
    status : Status
    hours_to_date : float
        Effort hours worked on the task so far (0 when not given).
    start_week, finish_week : float or None
        Weeks since the plan's start (see the module docstring).
    remaining : (low, mode, high) or None
        Remaining effort (duration for duration tasks), in the plan's `units`. Required for
        tasks in progress; on a task not started it is a re-estimate of the whole task.
    notes : str
    line : int or None
        CSV line of the row, for messages.
    """

    task: str
    status: Status
    hours_to_date: float = 0.0
    start_week: float | None = None
    finish_week: float | None = None
    remaining: tuple[float, float, float] | None = None
    notes: str = ""
    line: int | None = None

    @property
    def done(self) -> bool:
        return self.status is Status.DONE

    @property
    def in_progress(self) -> bool:
        return self.status is Status.IN_PROGRESS

    @property
    def started(self) -> bool:
        return self.status is not Status.NOT_STARTED

    @property
    def re_estimated(self) -> bool:
        """A task not started yet with a fresh estimate from the team."""
        return self.status is Status.NOT_STARTED and self.remaining is not None

    def same_facts(self, other: TaskActual) -> bool:
        """True when both rows say the same thing (ignoring notes and line)."""
        return (self.status, self.hours_to_date, self.start_week, self.finish_week, self.remaining) == (
            other.status,
            other.hours_to_date,
            other.start_week,
            other.finish_week,
            other.remaining,
        )


@dataclass(frozen=True)
class WeeklyActuals:
    """The validated state of the project as of the end of one week.

    Tasks not listed have not started. Build it with `read_actuals` (or `no_actuals` for
    the plan's own starting point).

    Attributes
    ----------
    as_of_week : float
        Weeks since the plan's start at the end of the file's week.
    tasks : tuple of TaskActual
        Listed tasks, in file order.
    spend : tuple of (cost id, spent to date)
        From the spend file, in the plan's currency; empty without one.
    week : str or None
        ISO week name such as ``2025-W07``.
    path, spend_path : str or None
        Files the data came from.
    comments : tuple of str
        The task file's comment lines (``# ...``), without the ``#``.
    """

    as_of_week: float
    tasks: tuple[TaskActual, ...] = ()
    spend: tuple[tuple[str, float], ...] = ()
    week: str | None = None
    path: str | None = None
    spend_path: str | None = None
    comments: tuple[str, ...] = ()

    def by_task(self) -> dict[str, TaskActual]:
        """Task id -> its row (listed tasks only)."""
        return {a.task: a for a in self.tasks}

    def get(self, task_id: str) -> TaskActual:
        """The row of `task_id`, or a `not_started` row when the task is not listed."""
        for a in self.tasks:
            if a.task == task_id:
                return a
        return TaskActual(task_id, Status.NOT_STARTED)

    def spend_by_cost(self) -> dict[str, float]:
        """Cost id -> amount spent to date (reported items only)."""
        return dict(self.spend)

    def count(self, status: Status) -> int:
        return sum(a.status is status for a in self.tasks)

    @property
    def illustrative(self) -> bool:
        """True when a comment line of the file calls its data illustrative (demo data)."""
        return any("illustrative" in c.lower() for c in self.comments)

    @property
    def label(self) -> str:
        """The week name, or ``week <n>``."""
        return self.week or f"week {week_label(self.as_of_week)}"

    def __str__(self) -> str:
        return (
            f"actuals {self.label} (as of week {week_label(self.as_of_week)}): "
            f"{self.count(Status.DONE)} done, {self.count(Status.IN_PROGRESS)} in progress, "
            f"{len(self.spend)} cost items reported"
        )


def no_actuals(as_of_week: float = 0.0) -> WeeklyActuals:
    """Nothing started yet: the plan's own starting point."""
    return WeeklyActuals(as_of_week=float(as_of_week))


# ----------------------------------------------------------------------------- weeks


def iso_week_monday(week: str) -> _dt.date:
    """Monday of ISO week ``YYYY-Www``.

    Raises
    ------
    ForecastInputError
        If `week` is not a valid ISO week name.
    """
    m = WEEK_NAME.match(str(week).strip())
    if not m:
        raise ForecastInputError(f"expected an ISO week like 2025-W07, got {week!r}")
    try:
        return _dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ForecastInputError(f"{week!r} is not a week of year {m.group(1)}") from None


def as_of_week(week: str, plan: Plan) -> float:
    """Weeks since the plan's start at the end of ISO week `week` (Sunday night).

    Examples
    --------
    For a plan starting Monday 2025-02-03: ``as_of_week("2025-W06", plan) == 1.0``.
    """
    if plan.start is None:
        raise ForecastInputError(
            "the plan has no `start` date, so ISO week names cannot be mapped to plan weeks; add `start:` to the plan",
            file=plan.source,
        )
    end = iso_week_monday(week) + _dt.timedelta(days=7)
    return (end - plan.start).days / 7.0


def week_name(as_of: float, plan: Plan) -> str:
    """The ISO week whose end is `as_of` weeks after the plan's start (inverse of `as_of_week`)."""
    if plan.start is None:
        raise ForecastInputError("the plan has no `start` date", file=plan.source)
    day = plan.start + _dt.timedelta(days=round(as_of * 7) - 1)
    year, wk, _ = day.isocalendar()
    return f"{year}-W{wk:02d}"


def actuals_file(actuals_dir: str | Path, week: str) -> Path:
    """Path of the task file of `week`."""
    return Path(actuals_dir) / f"{week}.csv"


def spend_file(actuals_dir: str | Path, week: str) -> Path:
    """Path of the spend file of `week` (optional)."""
    return Path(actuals_dir) / f"{week}.spend.csv"


def list_weeks(actuals_dir: str | Path) -> list[str]:
    """ISO week names of the task files in `actuals_dir`, oldest first.

    Raises
    ------
    ForecastInputError
        If the folder is missing, or holds a ``.csv`` file whose name is neither
        ``YYYY-Www.csv`` nor ``YYYY-Www.spend.csv`` (a misnamed week must not be skipped
        silently), or a spend file without its task file.
    """
    folder = Path(actuals_dir)
    if not folder.is_dir():
        raise ForecastInputError("actuals folder not found", file=str(folder))
    weeks, spends = [], []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() != ".csv":
            continue
        if m := TASK_FILE.match(p.name):
            weeks.append(m.group(1))
        elif m := SPEND_FILE.match(p.name):
            spends.append((m.group(1), p))
        else:
            raise ForecastInputError(
                "file name must be YYYY-Www.csv (tasks) or YYYY-Www.spend.csv (spend), e.g. 2025-W07.csv", file=str(p)
            )
    for w, p in spends:
        if w not in weeks:
            raise ForecastInputError(f"spend file without its task file {w}.csv", file=str(p))
    for w in weeks:
        iso_week_monday(w)  # a valid week
    return sorted(weeks)


# ----------------------------------------------------------------------------- CSV


class _Table:
    """Rows of a small CSV file with their line numbers, for one-line errors."""

    def __init__(self, text: str, path: str, columns: tuple[str, ...], required: tuple[str, ...]):
        self.path = path
        if text.startswith("\ufeff"):
            text = text[1:]
        reader = csv.reader(io.StringIO(text, newline=""))
        self.header: list[str] | None = None
        self.header_line = 1
        self.rows: list[tuple[int, dict[str, str]]] = []
        try:
            for cells in reader:
                line = reader.line_num
                if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                    continue
                cells = [c.strip() for c in cells]
                if self.header is None:
                    self.header, self.header_line = self._check_header(cells, line, columns, required), line
                    continue
                if len(cells) > len(self.header):
                    extra = cells[len(self.header) :]
                    if any(extra):
                        raise self.fail(
                            line,
                            None,
                            f"row has {len(cells)} cells but the header has"
                            f" {len(self.header)} (a comma inside a value needs quotes)",
                        )
                    cells = cells[: len(self.header)]
                cells += [""] * (len(self.header) - len(cells))
                self.rows.append((line, dict(zip(self.header, cells))))
        except csv.Error as exc:
            raise self.fail(reader.line_num, None, f"CSV syntax error: {exc}") from None
        if self.header is None:
            raise ForecastInputError(f"file is empty, expected a header line: {','.join(columns)}", file=path)

    def _check_header(self, cells, line, columns, required) -> list[str]:
        seen = set()
        for c in cells:
            if c not in columns:
                raise self.fail(
                    line,
                    c or "(empty)",
                    f"unknown column '{c}'{did_you_mean(c, columns)}; expected columns: {', '.join(columns)}",
                )
            if c in seen:
                raise self.fail(line, c, f"column '{c}' appears twice in the header")
            seen.add(c)
        for c in required:
            if c not in seen:
                raise self.fail(
                    line, None, f"missing required column '{c}' in the header (columns: {', '.join(columns)})"
                )
        return cells

    def fail(self, line: int | None, column: str | None, message: str) -> ForecastInputError:
        return ForecastInputError(message, file=self.path, line=line, field=column)

    def number(self, row: dict, line: int, column: str, *, minimum: float | None = 0.0, what: str = "") -> float | None:
        text = row.get(column, "")
        if text == "":
            return None
        try:
            x = float(text)
        except ValueError:
            raise self.fail(line, column, f"expected a number, got {text!r}") from None
        if not math.isfinite(x):
            raise self.fail(line, column, f"must be a finite number, got {text!r}")
        if minimum is not None and x < minimum:
            raise self.fail(line, column, f"must be >= {week_label(minimum)}{what}, got {text}")
        return x


def _fmt(x: float) -> str:
    return week_label(x)


def actuals_from_text(
    text: str,
    plan: Plan,
    *,
    as_of: float,
    path: str = "<actuals>",
    spend_text: str | None = None,
    spend_path: str = "<spend>",
    week: str | None = None,
) -> WeeklyActuals:
    """Parse and validate the text of an actuals file (and optionally its spend file).

    Parameters
    ----------
    text : str
        CSV text of the task file.
    plan : Plan
        The plan the actuals belong to (task ids, units, predecessors, cost ids).
    as_of : float
        Weeks since the plan's start at the end of the file's week (> 0).
    path, spend_path : str
        Names used in error messages.
    spend_text : str, optional
        CSV text of the spend file.
    week : str, optional
        ISO week name stored in the result.

    Raises
    ------
    ForecastInputError
        At the first problem, as ``file:line: column: message``.
    """
    as_of = float(as_of)
    if not math.isfinite(as_of) or as_of <= 0:
        raise ForecastInputError(f"the as-of week must be after the plan's start, got {as_of:g}", file=path)
    table = _Table(text, path, TASK_COLUMNS, TASK_REQUIRED)
    index = plan.task_index()
    rows: dict[str, TaskActual] = {}
    for line, row in table.rows:
        rows_task = _task_row(table, plan, index, line, row, as_of)
        if rows_task.task in rows:
            raise table.fail(
                line, "task", f"task '{rows_task.task}' is listed twice (first on line {rows[rows_task.task].line})"
            )
        rows[rows_task.task] = rows_task
    _check_predecessors(table, plan, rows)
    spend: tuple[tuple[str, float], ...] = ()
    if spend_text is not None:
        spend = _spend_rows(spend_text, spend_path, plan)
    comments = tuple(ln.strip().lstrip("#").strip() for ln in text.splitlines() if ln.strip().startswith("#"))
    return WeeklyActuals(
        as_of_week=as_of,
        tasks=tuple(rows.values()),
        spend=spend,
        week=week,
        path=path,
        spend_path=spend_path if spend_text is not None else None,
        comments=comments,
    )


def _task_row(table: _Table, plan: Plan, index: dict, line: int, row: dict, as_of: float) -> TaskActual:
    tid = row["task"]
    if not tid:
        raise table.fail(line, "task", "missing task id")
    if tid not in index:
        raise table.fail(line, "task", f"unknown task '{tid}'{did_you_mean(tid, index)}")
    task = plan.tasks[index[tid]]
    status_text = row["status"]
    if status_text not in STATUSES:
        raise table.fail(
            line,
            "status",
            f"expected one of {', '.join(STATUSES)}, got {status_text!r}{did_you_mean(status_text, STATUSES)}",
        )
    status = Status(status_text)
    hours = table.number(row, line, "hours_to_date", what=" (hours cannot be negative)")
    start = table.number(row, line, "start_week", what=" (week 0 is the plan's start)")
    finish = table.number(row, line, "finish_week", what=" (week 0 is the plan's start)")
    rem = [table.number(row, line, c, what=f" (remaining effort in {plan.units})") for c in REMAINING_COLUMNS]
    for col, value in (("start_week", start), ("finish_week", finish)):
        if value is not None and value > as_of + 1e-9:
            raise table.fail(
                line,
                col,
                f"week {_fmt(value)} is after the as-of week {_fmt(as_of)} (the file describes the end of its week)",
            )
    given = [v is not None for v in rem]
    remaining = None
    if any(given):
        if not all(given):
            missing = REMAINING_COLUMNS[given.index(False)]
            raise table.fail(line, missing, "give remaining_low, remaining_mode and remaining_high together")
        lo, mo, hi = rem
        if mo < lo:
            raise table.fail(line, "remaining_mode", f"must be >= remaining_low ({_fmt(lo)}), got {_fmt(mo)}")
        if hi < mo:
            raise table.fail(line, "remaining_high", f"must be >= remaining_mode ({_fmt(mo)}), got {_fmt(hi)}")
        remaining = (lo, mo, hi)
    effort_task = task.workstream is not None
    if status is Status.NOT_STARTED:
        if hours:
            raise table.fail(
                line,
                "hours_to_date",
                f"task '{tid}' is not_started but has {_fmt(hours)} hours; set its status to in_progress or done",
            )
        for col, value in (("start_week", start), ("finish_week", finish)):
            if value is not None:
                raise table.fail(line, col, f"task '{tid}' is not_started, so it has no {col}")
    elif status is Status.IN_PROGRESS:
        if start is None:
            raise table.fail(line, "start_week", f"task '{tid}' is in_progress: give the week it started")
        if finish is not None:
            raise table.fail(
                line, "finish_week", f"task '{tid}' is in_progress, so it has no finish_week (set status to done)"
            )
        if remaining is None:
            raise table.fail(
                line,
                "remaining_low",
                f"task '{tid}' is in_progress: give its remaining effort"
                f" as remaining_low, remaining_mode, remaining_high (in {plan.units})",
            )
    else:
        if start is None:
            raise table.fail(line, "start_week", f"task '{tid}' is done: give the week it started")
        if finish is None:
            raise table.fail(line, "finish_week", f"task '{tid}' is done but has no finish_week")
        if finish < start:
            raise table.fail(
                line,
                "finish_week",
                f"task '{tid}' finished at week {_fmt(finish)}, before it started (week {_fmt(start)})",
            )
        if remaining is not None:
            raise table.fail(
                line, "remaining_low", f"task '{tid}' is done, so it has no remaining effort; leave remaining_* empty"
            )
        if effort_task and not hours:
            raise table.fail(
                line,
                "hours_to_date",
                f"task '{tid}' is done: give the effort hours it took"
                " (they are the evidence for calibration and earned value)",
            )
    return TaskActual(tid, status, hours or 0.0, start, finish, remaining, row.get("notes", ""), line)


def _check_predecessors(table: _Table, plan: Plan, rows: dict[str, TaskActual]) -> None:
    """A done task needs its predecessors done (and finished no later); a task in progress
    needs its predecessors started."""
    index = plan.task_index()
    for a in rows.values():
        if not a.started:
            continue
        for pid in plan.tasks[index[a.task]].after:
            p = rows.get(pid) or TaskActual(pid, Status.NOT_STARTED)
            if a.done and not p.done:
                raise table.fail(
                    a.line, "status", f"task '{a.task}' is done but its predecessor '{pid}' is {p.status.value}"
                )
            if a.in_progress and not p.started:
                raise table.fail(
                    a.line, "status", f"task '{a.task}' is in_progress but its predecessor '{pid}' has not started"
                )
            if a.done and p.finish_week is not None and a.finish_week < p.finish_week:
                raise table.fail(
                    a.line,
                    "finish_week",
                    f"task '{a.task}' finished at week {_fmt(a.finish_week)},"
                    f" before its predecessor '{pid}' (week {_fmt(p.finish_week)})",
                )


def _spend_rows(text: str, path: str, plan: Plan) -> tuple[tuple[str, float], ...]:
    table = _Table(text, path, SPEND_COLUMNS, SPEND_REQUIRED)
    ids = [c.id for c in plan.costs]
    seen: dict[str, int] = {}
    out = []
    for line, row in table.rows:
        cid = row["cost"]
        if not cid:
            raise table.fail(line, "cost", "missing cost id")
        if cid not in ids:
            known = f"; the plan's cost items: {', '.join(ids)}" if ids else "; the plan has no costs"
            raise table.fail(line, "cost", f"unknown cost id '{cid}'{did_you_mean(cid, ids)}{known}")
        if cid in seen:
            raise table.fail(line, "cost", f"cost '{cid}' is listed twice (first on line {seen[cid]})")
        seen[cid] = line
        amount = table.number(row, line, "spent_to_date", what=" (spend cannot be negative)")
        if amount is None:
            raise table.fail(line, "spent_to_date", f"missing amount spent on '{cid}'")
        out.append((cid, amount))
    return tuple(out)


def read_actuals(path: str | Path, plan: Plan, *, as_of: float | None = None) -> WeeklyActuals:
    """Read and validate one week's task file, plus its ``.spend.csv`` beside it if present.

    Parameters
    ----------
    path : str or Path
        ``.../YYYY-Www.csv``.
    plan : Plan
    as_of : float, optional
        Override the as-of week (default: from the file name, see `as_of_week`).

    Raises
    ------
    ForecastInputError
    """
    p = Path(path)
    m = TASK_FILE.match(p.name)
    week = m.group(1) if m else None
    if as_of is None:
        if week is None:
            raise ForecastInputError("cannot tell the week from the file name; name it YYYY-Www.csv", file=str(path))
        try:
            as_of = as_of_week(week, plan)
        except ForecastInputError as exc:
            raise ForecastInputError(exc.message, file=str(path)) from None
        if as_of <= 0:
            raise ForecastInputError(
                f"week {week} ends before the plan starts ({plan.start.isoformat()});"
                f" the first week is {week_name(1.0, plan)}",
                file=str(path),
            )
    text = read_text(p)
    sp = p.with_name(f"{week}.spend.csv") if week else None
    spend_text = read_text(sp) if sp is not None and sp.exists() else None
    return actuals_from_text(
        text,
        plan,
        as_of=as_of,
        path=str(path),
        spend_text=spend_text,
        spend_path=str(sp) if sp is not None else "<spend>",
        week=week,
    )


def read_weeks(actuals_dir: str | Path, plan: Plan, up_to: str | None = None) -> list[WeeklyActuals]:
    """Read and validate every week in `actuals_dir` (up to and including `up_to`), oldest first.

    All files are validated before anything is returned, so a caller can read first and
    write nothing when one of them is bad.
    """
    weeks = list_weeks(actuals_dir)
    if up_to is not None:
        iso_week_monday(up_to)
        weeks = [w for w in weeks if w <= up_to]
    return [read_actuals(actuals_file(actuals_dir, w), plan) for w in weeks]


# ----------------------------------------------------------------------------- units


def remaining_range_hours(plan: Plan, remaining: tuple[float, float, float]) -> tuple[float, float, float]:
    """A remaining-effort triple in the plan's units, converted to hours."""
    f = unit_hours(plan.units, plan.hours_per_day)
    return tuple(x * f for x in remaining)


def remaining_range_weeks(plan: Plan, remaining: tuple[float, float, float]) -> tuple[float, float, float]:
    """A remaining-duration triple in the plan's units, converted to weeks."""
    f = unit_weeks(plan.units, plan.hours_per_day)
    return tuple(x * f for x in remaining)


# ----------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """``python -m lekhok_forecast.sources.actuals_file [--plan PLAN] [DIR]``: validate every week in DIR.

    Prints one line per week, or one error line on stderr with exit status 2.
    """
    import argparse

    from lekhok_forecast.config import ACTUALS_DIR, DEFAULT_PLAN
    from lekhok_forecast.core.plan import load_plan

    parser = argparse.ArgumentParser(
        prog="python -m lekhok_forecast.sources.actuals_file",
        description="Validate weekly actuals files against a plan.",
    )
    parser.add_argument("folder", nargs="?", default=str(ACTUALS_DIR), help="actuals folder")
    parser.add_argument("--plan", default=str(DEFAULT_PLAN), help="plan YAML file")
    args = parser.parse_args(argv)
    try:
        plan = load_plan(args.plan)
        for a in read_weeks(args.folder, plan):
            print(f"{a.path}: OK: {a}")
    except ForecastInputError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
