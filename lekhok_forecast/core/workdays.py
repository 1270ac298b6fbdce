"""Working-day calendars: plan weeks <-> dates through working days (pure, dates only).

A plan week is ``days_per_week`` working days (5 by default: Monday to Friday), counted
from the plan's start, which is working day 1. Holidays and non-working weekdays are
skipped, so a calendar week with a holiday holds only 4/5 of a plan week and every
workstream's weekly capacity shrinks pro rata in it, without the engine knowing.

The two conversions, with ``k = days_per_week``:

* week -> date: week ``w`` ends on working day ``ceil(w * k)`` (1-based; at least day 1).
  For a Monday start, week 1.0 is the first Friday, week 3.5 is working day 18, the
  Wednesday in the middle of the fourth week's working days, and week 0 is the start.
* date -> week: the end of day ``d`` is ``(working days from the start through d) / k``
  weeks (the end of ISO week ``YYYY-Www``, a Sunday, is the week of that Sunday).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

#: Weekday names as a plan writes them, Monday first (`datetime.date.weekday` order).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Float noise allowed when a week times `days_per_week` should be a whole number of days.
_EPS = 1e-9


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked: `workdays` (weekday numbers, Monday 0) minus `holidays`."""

    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: frozenset[_dt.date] = frozenset()

    @property
    def days_per_week(self) -> int:
        """Working days in one plan week (and in a calendar week without holidays)."""
        return len(self.workdays)

    def is_workday(self, day: _dt.date) -> bool:
        """True when `day` is a working weekday and not a holiday."""
        return day.weekday() in self.workdays and day not in self.holidays

    def next_workday(self, day: _dt.date) -> _dt.date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_workday(day):
            day += _dt.timedelta(days=1)
        return day

    def workdays_through(self, start: _dt.date, day: _dt.date) -> int:
        """Working days from `start` through `day`, both included (0 when `day` is before `start`)."""
        if day < start:
            return 0
        span = (day - start).days + 1
        full, rest = divmod(span, 7)
        count = full * self.days_per_week
        count += sum((start.weekday() + i) % 7 in self.workdays for i in range(rest))
        return count - sum(start <= h <= day and h.weekday() in self.workdays for h in self.holidays)

    def nth_workday(self, start: _dt.date, n: int) -> _dt.date:
        """Working day number `n` (1-based; `start` is day 1 when it is a working day)."""
        # jump close with whole weeks, then walk the last days (holidays push it later)
        day = start + _dt.timedelta(days=7 * max(0, (n - 1) // self.days_per_week - 1))
        count = self.workdays_through(start, day - _dt.timedelta(days=1))
        while True:
            if self.is_workday(day):
                count += 1
                if count >= n:
                    return day
            day += _dt.timedelta(days=1)

    def date_of_week(self, start: _dt.date, week: float) -> _dt.date:
        """The working day on which plan week `week` (weeks since `start`) falls.

        Week ``w`` is working day ``ceil(w * days_per_week)``, 1-based, at least day 1:
        a task finishing at week 1.0 finishes on the first week's last working day.
        """
        n = max(1, math.ceil(float(week) * self.days_per_week - _EPS))
        return self.nth_workday(start, n)

    def week_of_date(self, start: _dt.date, day: _dt.date) -> float:
        """Plan weeks from `start` to the end of `day`: working days through `day` / `days_per_week`."""
        return self.workdays_through(start, day) / self.days_per_week


#: Monday to Friday, no holidays (a plan without `calendar:`).
DEFAULT_CALENDAR = WorkCalendar()
