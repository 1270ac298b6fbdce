"""ISO week names: parsing, the current week, and their mapping to plan weeks."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_plan

from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.weeks import as_of_week, check_week, current_week, iso_week_monday, week_name


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
