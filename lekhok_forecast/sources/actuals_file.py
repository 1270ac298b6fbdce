"""Weekly actuals: read and validate ``data/actuals/YYYY-Www.csv`` (and ``YYYY-Www.spend.csv``).

One file per ISO week holds the state of every task *as of the end of that week*; the
format is documented in ``docs/tracking.md`` and ``data/actuals/README.md``. This is the
only module that reads actuals files. What it returns is the frozen data of
`lekhok_forecast.core.actuals`; bad input raises `ForecastInputError` with
``file:line: column: message`` where *line* is the CSV line (the header is line 1).

Weeks
    A *week number* in a file (``start_week``, ``finish_week``) is elapsed weeks since the
    plan's start, on the same scale as every forecast: ``0`` is the plan's start
    (Monday 2025-02-03 morning for Lekhok), ``1`` the end of the first week, ``1.4`` two
    working days into the second week (one working day is 0.2 week).

    A file named after ISO week ``YYYY-Www`` is *as of the end of that week*
    (`lekhok_forecast.sources.weeks.as_of_week`). For Lekhok (start 2025-02-03, a Monday
    of ISO week 2025-W06) ``2025-W06.csv`` is as of week 1, ``2025-W07.csv`` as of week 2,
    and so on.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

from lekhok_forecast.core.actuals import STATUSES, Status, TaskActual, WeeklyActuals
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.errors import ForecastInputError, did_you_mean
from lekhok_forecast.sources.fields import fmt_number
from lekhok_forecast.sources.weeks import WEEK_TEXT, WeekChoice, as_of_week, choose_week, iso_week_monday, week_name
from lekhok_forecast.sources.yamlsource import read_text

TASK_FILE = re.compile(rf"^({WEEK_TEXT})\.csv$")
SPEND_FILE = re.compile(rf"^({WEEK_TEXT})\.spend\.csv$")
#: Header-only files to copy for a new week (``lekhok-forecast init`` writes them); not weeks themselves.
TEMPLATE_FILES = ("template.csv", "template.spend.csv")

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


# ----------------------------------------------------------------------------- files


def actuals_file(actuals_dir: str | Path, week: str) -> Path:
    """Path of the task file of `week`."""
    return Path(actuals_dir) / f"{week}.csv"


def list_weeks(actuals_dir: str | Path) -> list[str]:
    """ISO week names of the task files in `actuals_dir`, oldest first.

    Raises
    ------
    ForecastInputError
        If the folder is missing, or holds a ``.csv`` file whose name is neither
        ``YYYY-Www.csv`` nor ``YYYY-Www.spend.csv`` nor one of `TEMPLATE_FILES` (a
        misnamed week must not be skipped silently), or a spend file without its task file.
    """
    folder = Path(actuals_dir)
    if not folder.is_dir():
        raise ForecastInputError("actuals folder not found", file=str(folder))
    weeks, spends = [], []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() != ".csv" or p.name.lower() in TEMPLATE_FILES:
            continue
        if m := TASK_FILE.match(p.name):
            weeks.append(m.group(1))
        elif m := SPEND_FILE.match(p.name):
            spends.append((m.group(1), p))
        else:
            raise ForecastInputError(
                "file name must be YYYY-Www.csv (tasks) or YYYY-Www.spend.csv (spend), e.g. 2025-W07.csv"
                " (template.csv and template.spend.csv are the blank forms to copy)",
                file=str(p),
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

    def _check_header(
        self, cells: list[str], line: int, columns: tuple[str, ...], required: tuple[str, ...]
    ) -> list[str]:
        seen: set[str] = set()
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
            raise self.fail(line, column, f"must be >= {fmt_number(minimum)}{what}, got {text}")
        return x


def report_week_choice(requested: str | None, actuals_dir: str | Path | None) -> WeekChoice:
    """The report's week (`lekhok_forecast.sources.weeks.choose_week`) over the weeks of an
    actuals folder (None: no actuals): the one rule of ``report``, ``simulate --actuals`` and
    a notebook opened by hand."""
    return choose_week(requested, list_weeks(actuals_dir) if actuals_dir is not None else ())


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
                f"week {fmt_number(value)} is after the as-of week {fmt_number(as_of)} (the file describes the end of its week)",
            )
    given = [v is not None for v in rem]
    remaining = None
    if any(given):
        lo, mo, hi = rem
        if lo is None or mo is None or hi is None:
            missing = REMAINING_COLUMNS[given.index(False)]
            raise table.fail(line, missing, "give remaining_low, remaining_mode and remaining_high together")
        if mo < lo:
            raise table.fail(
                line, "remaining_mode", f"must be >= remaining_low ({fmt_number(lo)}), got {fmt_number(mo)}"
            )
        if hi < mo:
            raise table.fail(
                line, "remaining_high", f"must be >= remaining_mode ({fmt_number(mo)}), got {fmt_number(hi)}"
            )
        remaining = (lo, mo, hi)
    effort_task = task.workstream is not None
    if status is Status.NOT_STARTED:
        if hours:
            raise table.fail(
                line,
                "hours_to_date",
                f"task '{tid}' is not_started but has {fmt_number(hours)} hours; set its status to in_progress or done",
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
                f"task '{tid}' finished at week {fmt_number(finish)}, before it started (week {fmt_number(start)})",
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
            if a.done and a.finish_week is not None and p.finish_week is not None and a.finish_week < p.finish_week:
                raise table.fail(
                    a.line,
                    "finish_week",
                    f"task '{a.task}' finished at week {fmt_number(a.finish_week)},"
                    f" before its predecessor '{pid}' (week {fmt_number(p.finish_week)})",
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
            assert plan.start is not None  # as_of_week needs it
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
