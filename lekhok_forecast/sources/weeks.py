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
from collections.abc import Sequence
from dataclasses import dataclass
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


#: ``--week current``: the current ISO week, however old the actuals are (the scheduled run).
CURRENT = "current"
#: Without ``--week``, a report whose latest actuals are more than this many weeks older than
#: the current week reports the latest actuals' week instead (a clone with old demo data).
STALE_DEFAULT_WEEKS = 4


@dataclass(frozen=True)
class WeekChoice:
    """The week a report is for, and the rule that chose it.

    Attributes
    ----------
    week : str
        ISO week ``YYYY-Www``.
    rule : str
        ``"given"`` (``--week YYYY-Www``), ``"current"`` (``--week current``, or no ``--week``
        and actuals at most `STALE_DEFAULT_WEEKS` old, or none) or ``"latest-actuals"`` (no
        ``--week`` and the latest actuals are older than that: their week is reported).
    note : str
        One sentence saying why, for ``"latest-actuals"``; empty otherwise.
    """

    week: str
    rule: str
    note: str = ""


def weeks_between(earlier: str, later: str) -> int:
    """Whole weeks from ISO week `earlier` to `later` (negative when `later` is earlier)."""
    return (iso_week_monday(later) - iso_week_monday(earlier)).days // 7


def choose_week(requested: str | None, actuals_weeks: Sequence[str], today: _dt.date | None = None) -> WeekChoice:
    """The report's week: ``--week`` as given, the current week, or the latest actuals' week.

    Parameters
    ----------
    requested : str or None
        ``--week``: an ISO week ``YYYY-Www``, `CURRENT`, or None (not given).
    actuals_weeks : sequence of str
        The ISO weeks of the plan's actuals files (any order; empty: none).
    today : date, optional
        Default: today.

    Returns
    -------
    WeekChoice
        Without ``--week``: the current week, unless the latest actuals are more than
        `STALE_DEFAULT_WEEKS` weeks older than it, in which case their week (so a fresh
        clone's first report is a real report of its demo data, and says so).

    Raises
    ------
    ForecastInputError
        ``--week: ...`` for a week that is neither ``YYYY-Www`` nor ``current``.
    """
    now = current_week(today)
    if requested is not None and requested.strip().lower() == CURRENT:
        return WeekChoice(now, "current")
    if requested is not None:
        return WeekChoice(check_week(requested), "given")
    if actuals_weeks:
        latest = max(actuals_weeks)
        behind = weeks_between(latest, now)
        if behind > STALE_DEFAULT_WEEKS:
            return WeekChoice(
                latest,
                "latest-actuals",
                f"no --week: the latest actuals ({latest}) are {behind} weeks older than the current week"
                f" {now}, so this is the report of {latest}; --week current (the scheduled run) reports {now}",
            )
    return WeekChoice(now, "current")
