"""Working-day calendars: plan weeks <-> dates, against cases worked out by hand."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from conftest import make_plan

from lekhok_forecast.core.workdays import DEFAULT_CALENDAR, WorkCalendar
from lekhok_forecast.present.format import last_day
from lekhok_forecast.sources.weeks import as_of_week, week_name

MON = dt.date(2025, 2, 3)  # Monday of ISO week 2025-W06
WED = dt.date(2025, 2, 5)


def d(month: int, day: int) -> dt.date:
    return dt.date(2025, month, day)


def test_monday_start():
    cal = DEFAULT_CALENDAR
    assert cal.date_of_week(MON, 0) == MON  # week 0 is the start
    assert cal.date_of_week(MON, 0.2) == MON  # one working day: done on the first day
    assert cal.date_of_week(MON, 0.21) == d(2, 4)  # a little more: into Tuesday
    assert cal.date_of_week(MON, 1) == d(2, 7)  # the last day of the first week: Friday
    assert cal.date_of_week(MON, 2) == d(2, 14)
    # week 3.5 = 17.5 working days: day 18, the Wednesday in the middle of the fourth week
    assert cal.date_of_week(MON, 3.5) == d(2, 26)
    assert cal.date_of_week(MON, 12) == d(4, 25)


def test_wednesday_start():
    cal = DEFAULT_CALENDAR
    # day 1 Wed 5, 2 Thu 6, 3 Fri 7, 4 Mon 10, 5 Tue 11: a plan week ends on a Tuesday
    assert cal.date_of_week(WED, 0) == WED
    assert cal.date_of_week(WED, 0.6) == d(2, 7)
    assert cal.date_of_week(WED, 0.61) == d(2, 10)  # over the weekend
    assert cal.date_of_week(WED, 1) == d(2, 11)
    assert cal.date_of_week(WED, 2) == d(2, 18)
    assert cal.week_of_date(WED, d(2, 9)) == pytest.approx(0.6)  # Sunday: Wed, Thu, Fri worked


def test_holiday_inside_the_week():
    cal = WorkCalendar(holidays=frozenset({d(2, 5)}))  # Wednesday off
    # day 1 Mon 3, 2 Tue 4, 3 Thu 6, 4 Fri 7, 5 Mon 10
    assert cal.date_of_week(MON, 0.5) == d(2, 6)
    assert cal.date_of_week(MON, 0.8) == d(2, 7)
    assert cal.date_of_week(MON, 1) == d(2, 10)  # the fifth working day is the next Monday
    assert cal.week_of_date(MON, d(2, 9)) == pytest.approx(0.8)  # that calendar week holds 4/5 of a plan week
    assert not cal.is_workday(d(2, 5)) and cal.next_workday(d(2, 5)) == d(2, 6)


def test_week_of_a_date():
    cal = DEFAULT_CALENDAR
    assert cal.week_of_date(MON, d(2, 3)) == pytest.approx(0.2)  # the end of the first day
    assert cal.week_of_date(MON, d(2, 5)) == pytest.approx(0.6)
    assert cal.week_of_date(MON, d(2, 7)) == 1.0
    assert cal.week_of_date(MON, d(2, 8)) == cal.week_of_date(MON, d(2, 9)) == 1.0  # the weekend adds nothing
    assert cal.week_of_date(MON, d(2, 2)) == 0.0  # before the start
    assert cal.week_of_date(MON, dt.date(2026, 1, 4)) == 48.0  # across the year


def test_a_four_day_week_and_a_saturday_holiday():
    cal = WorkCalendar(workdays=(0, 1, 2, 3), holidays=frozenset({d(2, 8)}))  # Mon-Thu; a Saturday "holiday"
    assert cal.days_per_week == 4
    assert cal.date_of_week(MON, 1) == d(2, 6)  # Thursday
    assert cal.date_of_week(MON, 1.25) == d(2, 10)
    assert cal.week_of_date(MON, d(2, 9)) == 1.0  # the Saturday changes nothing


def test_dates_against_walking_day_by_day():
    rng = random.Random(7)
    holidays = frozenset(MON + dt.timedelta(days=rng.randrange(400)) for _ in range(25))
    for workdays in ((0, 1, 2, 3, 4), (0, 2, 4), (1, 2, 3, 4, 5)):
        cal = WorkCalendar(workdays, holidays)
        start = cal.next_workday(MON + dt.timedelta(days=rng.randrange(7)))
        worked, day = [], start
        while len(worked) < 200:
            if day.weekday() in workdays and day not in holidays:
                worked.append(day)
            day += dt.timedelta(days=1)
        for n, expected in enumerate(worked, start=1):
            assert cal.nth_workday(start, n) == expected
            assert cal.workdays_through(start, expected) == n
            assert cal.date_of_week(start, n / cal.days_per_week) == expected
            assert cal.week_of_date(start, expected) == n / cal.days_per_week


PLAN = """
    name: cal
    start: 2025-02-03
    units: days
    calendar:
      workdays: [mon, tue, wed, thu, fri]
      holidays: [2025-02-05, 2025-02-21]
    tasks:
      - {id: a, duration: {low: 3, high: 5}}
"""


def test_a_plans_calendar_moves_its_dates_and_as_of_weeks():
    plan = make_plan(PLAN)
    assert plan.calendar.holidays == {d(2, 5), d(2, 21)}
    assert plan.date_of_week(1) == d(2, 10)
    assert plan.week_of_date(d(2, 9)) == pytest.approx(0.8)
    assert as_of_week("2025-W06", plan) == pytest.approx(0.8)
    assert as_of_week("2025-W08", plan) == pytest.approx(2.6)  # W07 whole, W08 without its Friday
    assert week_name(0.8, plan) == "2025-W06" and week_name(2.6, plan) == "2025-W08"
    assert last_day(plan, 2.6) == "Thu 2025-02-20"  # Friday 21 is a holiday
    assert last_day(make_plan(PLAN.replace("holidays: [2025-02-05, 2025-02-21]", "holidays: []")), 6) == (
        "Fri 2025-03-14"
    )
    # no date falls on a non-working day
    for k in range(0, 400):
        day = plan.date_of_week(k / 20)
        assert plan.calendar.is_workday(day), (k, day)


def test_weekday_names_and_units_follow_the_calendar():
    plan = make_plan(PLAN.replace("[mon, tue, wed, thu, fri]", "[Monday, tue, wed, thu]"))
    assert plan.calendar.workdays == (0, 1, 2, 3)
    assert plan.tasks[0].duration_weeks.low == 0.75  # 3 days of a 4-day week
    # day 1 Mon 3, 2 Tue 4, 3 Thu 6 (Wed 5 is a holiday), 4 Mon 10: week 1 ends on Monday the 10th
    assert plan.date_of_week(1) == d(2, 10)


def test_default_calendar_without_section():
    plan = make_plan(
        PLAN.replace("    calendar:\n      workdays: [mon, tue, wed, thu, fri]\n", "").replace(
            "      holidays: [2025-02-05, 2025-02-21]\n", ""
        )
    )
    assert plan.calendar == DEFAULT_CALENDAR
