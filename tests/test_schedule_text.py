"""Schedule sentences and tables: milestone traffic lights, reached milestones."""

from __future__ import annotations

from lekhok_forecast.analysis import schedule
from lekhok_forecast.present.schedule_text import milestone_display


def test_milestone_display_colours_status_and_escapes_text(plan_forecast):
    fc = plan_forecast
    table = milestone_display(schedule.milestone_table(fc.result), fc.plan)
    html = table._repr_html_()
    assert "&#9679;" in html and "color:" in html
    assert "`" not in html
    plain = repr(table)
    assert "<span" not in plain and "M4" in plain


def test_reached_milestones_say_so_instead_of_odds(weekly_forecast):
    weekly = weekly_forecast
    st = weekly.status
    table = milestone_display(schedule.milestone_table(weekly.result), weekly.plan, st.milestones_reached)
    assert table.frame.loc["M1", "on time"] == "no" and table.frame.loc["M2", "on time"] == "yes"
    assert table.frame.loc["M1", "P80"].startswith("reached week 2.1")
