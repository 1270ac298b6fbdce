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
    f = table.frame
    # one kind of value per column: status words, reached weeks, chances, forecast weeks
    assert "reached late" in f.loc["M1", "status"] and "reached on time" in f.loc["M2", "status"]
    assert f.loc["M1", "reached"].startswith("week 2.1") and f.loc["M1", "chance on time"] == ""
    assert f.loc["M1", "P80 forecast"] == "" and f.loc["M3", "reached"] == ""
    assert f.loc["M3", "chance on time"].endswith("%") and f.loc["M3", "P80 forecast"].startswith("week ")
    assert weekly.summary["milestones"]["M1"]["status"] == "reached late"  # the same word as summary.json
