"""ISO weeks ``YYYY-Www``: the one parser of week names, and their mapping to plan weeks.

A file or report named after ISO week ``YYYY-Www`` is *as of the end of that week*
(Sunday night): its as-of week is the working days from the plan's start through that
Sunday, divided by the working days of a plan week (`lekhok_forecast.core.workdays`).
For a plan starting Monday 2025-02-03 (ISO week 2025-W06) with the default calendar
``2025-W06`` is as of week 1, ``2025-W07`` as of week 2, and so on; a holiday in a week
makes that week 0.8 of a plan week.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import TYPE_CHECKING

from lekhok_forecast.errors import ForecastInputError

if TYPE_CHECKING:  # only for annotations: the CLI imports this module and must start without NumPy
    from lekhok_forecast.core.plan import Plan

#: An ISO week name inside a larger pattern (file names), without anchors.
WEEK_TEXT = r"\d{4}-W\d{2}"
#: A whole ISO week name, with the year and the week as groups.
WEEK_NAME = re.compile(r"^(\d{4})-W(\d{2})$")


def _monday(year: int, week: int) -> _dt.date | None:
    """Monday of ISO week `week` of `year`, or None when the year has no such week."""
    try:
        return _dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        return None


def week_of(day: _dt.date) -> str:
    """The ISO week name ``YYYY-Www`` of the week holding `day`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def iso_week_monday(week: str) -> _dt.date:
    """Monday of ISO week ``YYYY-Www`` (surrounding blanks are ignored).

    Raises
    ------
    ForecastInputError
        If `week` is not a valid ISO week name.
    """
    m = WEEK_NAME.match(str(week).strip())
    if not m:
        raise ForecastInputError(f"expected an ISO week like 2025-W07, got {week!r}")
    monday = _monday(int(m.group(1)), int(m.group(2)))
    if monday is None:
        raise ForecastInputError(f"{week!r} is not a week of year {m.group(1)}")
    return monday


def check_week(week: str) -> str:
    """Return `week` if it is a valid ISO week ``YYYY-Www`` (the ``--week`` argument).

    Raises
    ------
    ForecastInputError
        Otherwise, naming the argument.
    """
    m = WEEK_NAME.match(str(week))
    if m and _monday(int(m.group(1)), int(m.group(2))) is not None:
        return week
    raise ForecastInputError(f"--week: expected an ISO week like 2025-W06, got {week!r}")


def current_week(today: _dt.date | None = None) -> str:
    """The ISO week of `today` (default: today) as ``YYYY-Www``."""
    return week_of(today or _dt.date.today())


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
    sunday = iso_week_monday(week) + _dt.timedelta(days=6)
    return plan.calendar.week_of_date(plan.start, sunday)


def week_name(as_of: float, plan: Plan) -> str:
    """The ISO week whose end is `as_of` weeks after the plan's start (inverse of `as_of_week`).

    The week holding the working day on which plan week `as_of` falls; a week without
    working days (all holidays) has the as-of week of the week before it, which wins.
    """
    if plan.start is None:
        raise ForecastInputError("the plan has no `start` date", file=plan.source)
    return week_of(plan.calendar.date_of_week(plan.start, as_of))
