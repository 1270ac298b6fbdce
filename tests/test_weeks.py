"""ISO week names: parsing, the current week, and their mapping to plan weeks."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_plan

from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.weeks import (
    STALE_DEFAULT_WEEKS,
    as_of_week,
    check_week,
    choose_week,
    current_week,
    iso_week_monday,
    week_name,
    weeks_between,
)


@pytest.fixture
def mini():
    """A plan starting on Monday 2025-02-03, the Monday of ISO week 2025-W06."""
    return make_plan("""
        name: mini
        start: 2025-02-03
        units: weeks
        tasks:
          - {id: a, duration: {low: 1, high: 2}}
    """)


def test_week_names_map_to_plan_weeks(mini):
    assert iso_week_monday("2025-W06").isoformat() == "2025-02-03"
    assert as_of_week("2025-W06", mini) == 1.0  # the plan starts on the Monday of W06
    assert as_of_week("2025-W07", mini) == 2.0
    assert as_of_week("2025-W05", mini) == 0.0
    assert as_of_week("2026-W01", mini) == 48.0  # across a year boundary (2025 has 52 ISO weeks)
    for n in (1, 2, 7, 48):
        assert as_of_week(week_name(n, mini), mini) == n
    with pytest.raises(ForecastInputError, match="2025-W7"):
        iso_week_monday("2025-W7")
    with pytest.raises(ValueError):  # a ForecastInputError is a ValueError
        iso_week_monday("2025-6")
    with pytest.raises(ForecastInputError, match="not a week of year 2025"):
        iso_week_monday("2025-W53")


def test_week_helpers():
    assert current_week(dt.date(2025, 2, 3)) == "2025-W06"
    assert current_week(dt.date(2024, 12, 30)) == "2025-W01"
    assert check_week("2026-W53") == "2026-W53"


@pytest.mark.parametrize("week", ["2025-W53", "2025-W00", "2025-7", " 2025-W07"])
def test_check_week_names_the_argument(week):
    with pytest.raises(ForecastInputError) as exc:
        check_week(week)
    assert str(exc.value) == f"--week: expected an ISO week like 2025-W06, got {week!r}"


def test_a_plan_without_start_cannot_map_week_names():
    plan = make_plan("name: x\nunits: weeks\ntasks:\n  - {id: a, duration: 1}\n", "x.yaml")
    with pytest.raises(ForecastInputError, match="x.yaml: the plan has no `start` date, so ISO week names"):
        as_of_week("2025-W06", plan)
    with pytest.raises(ForecastInputError, match="the plan has no `start` date"):
        week_name(1.0, plan)


# ------------------------------------------------------------- the report's default week

TODAY = dt.date(2026, 12, 1)  # a Tuesday of ISO week 2026-W49


def test_weeks_between():
    assert weeks_between("2025-W11", "2026-W49") == 90  # 2025 has 52 ISO weeks: 41 + 49
    assert weeks_between("2026-W49", "2026-W49") == 0
    assert weeks_between("2026-W49", "2026-W45") == -4
    assert weeks_between("2020-W53", "2021-W01") == 1  # across a 53-week year


@pytest.mark.parametrize(
    "requested, actuals, week, rule",
    [
        ("2025-W11", ["2025-W11"], "2025-W11", "given"),  # --week YYYY-Www: as given, whatever the actuals
        ("current", ["2025-W11"], "2026-W49", "current"),  # the scheduled run: this week however old the actuals
        ("Current", [], "2026-W49", "current"),
        (None, [], "2026-W49", "current"),  # no actuals: this week (the plan's own forecast)
        (None, ["2026-W45"], "2026-W49", "current"),  # 4 weeks old: still this week
        (None, ["2026-W44", "2026-W40"], "2026-W44", "latest-actuals"),  # 5 weeks old: their week
        (None, ["2025-W06", "2025-W11", "2025-W09"], "2025-W11", "latest-actuals"),  # the demo data
        (None, ["2027-W02"], "2026-W49", "current"),  # actuals ahead of today: this week
    ],
)
def test_choose_week(requested, actuals, week, rule):
    choice = choose_week(requested, actuals, TODAY)
    assert (choice.week, choice.rule) == (week, rule)
    assert bool(choice.note) == (rule == "latest-actuals")
    assert STALE_DEFAULT_WEEKS == 4


def test_choose_week_says_why():
    note = choose_week(None, ["2025-W11"], TODAY).note
    assert note == (
        "no --week: the latest actuals (2025-W11) are 90 weeks older than the current week 2026-W49,"
        " so this is the report of 2025-W11; --week current (the scheduled run) reports 2026-W49"
    )


@pytest.mark.parametrize("bad", ["2025-10", "2025-W54", "W10", "today", ""])
def test_choose_week_refuses_other_text(bad):
    with pytest.raises(ForecastInputError, match="^--week: expected an ISO week like 2025-W06, got"):
        choose_week(bad, [], TODAY)
