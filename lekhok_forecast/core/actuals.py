"""Weekly actuals as frozen data: where each task stands at the end of a week.

Read them with `lekhok_forecast.sources.actuals_file` (the file format is in
``docs/tracking.md``). Weeks are elapsed weeks since the plan's start, on the same scale as
every forecast: ``0`` is the plan's start, ``1`` the end of the first week, ``1.4`` two
working days into the second week (one working day is 0.2 week).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lekhok_forecast.core.plan import Plan, unit_hours, unit_weeks, week_label


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


def remaining_range_hours(plan: Plan, remaining: tuple[float, float, float]) -> tuple[float, float, float]:
    """A remaining-effort triple in the plan's units, converted to hours."""
    f = unit_hours(plan.units, plan.hours_per_day, plan.calendar.days_per_week)
    low, mode, high = remaining
    return (low * f, mode * f, high * f)


def remaining_range_weeks(plan: Plan, remaining: tuple[float, float, float]) -> tuple[float, float, float]:
    """A remaining-duration triple in the plan's units, converted to weeks."""
    f = unit_weeks(plan.units, plan.hours_per_day, plan.calendar.days_per_week)
    low, mode, high = remaining
    return (low * f, mode * f, high * f)
