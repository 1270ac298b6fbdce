"""Page one of the weekly status: every number comes from the forecast, formatted one way."""

from __future__ import annotations

from lekhok_forecast.app.forecast import run_weekly_forecast
from lekhok_forecast.config import PROJ_ROOT
from lekhok_forecast.present import budget_text, buffer_text, schedule_text, tracking_text
from lekhok_forecast.present.format import money, pct, weeks
from lekhok_forecast.present.status_text import headline, headline_table
from lekhok_forecast.tracking.fever import chain_buffer


def test_headline_numbers_come_from_the_summary(plan_forecast):
    fc = plan_forecast
    s = fc.summary
    text = headline(fc, "2025-W09").text
    assert text.startswith("- **Launch odds.**")  # the answer first, then the basis
    assert "Status for **2025-W09**" in text
    for d, p in s["p_finish_by"].items():
        assert f"**{pct(p)}** by week {d}" in text
    assert f"week {weeks(s['finish_weeks']['p80'])} ({s['finish_dates']['p80']})" in text
    assert pct(s["buffer"]["p_within_buffer"]) in text
    assert money(s["cost"]["p50"]).replace("$", "\\$") in text  # "$" escaped for Markdown
    for mid, m in s["milestones"].items():
        assert f"{mid} {m['status']} ({pct(m['p_on_time'])} on time" in text


def test_headline_table(plan_forecast):
    fc = plan_forecast
    table = headline_table(fc)
    values = dict(zip(table.frame.index, table.frame["value"]))
    s = fc.summary
    assert values["P(launch by week 12), 2025-04-25"] == pct(s["p_finish_by"]["12"])
    assert values["P80 launch"] == f"week {weeks(s['finish_weeks']['p80'])} ({s['finish_dates']['p80']})"
    html = table._repr_html_()
    assert html.count("<tr") == len(table.frame) + 1  # one header row
    assert "tex2jax_ignore" in html


def test_no_absolute_paths_in_any_text(plan_forecast):
    fc = plan_forecast
    texts = [
        headline(fc, "2025-W06").text,
        schedule_text.schedule_sentences(fc).text,
        buffer_text.buffer_sentences(fc).text,
        budget_text.cost_sentences(fc).text,
        fc.plan_file,
    ]
    assert not any(str(PROJ_ROOT) in t for t in texts)


def test_weekly_headline_states_basis_and_movement(weekly_forecast):
    weekly = weekly_forecast
    text = headline(weekly, "2025-W11").text
    assert (
        "**Basis.** Re-forecast from this week's actuals (`data/actuals/2025-W11.csv`) as of the end of plan"
        " week 6 (Fri 2025-03-14)" in text
    )
    assert weekly.status.update.calibration.message in text
    assert "**illustrative demo data**" in text
    assert "**Since 2025-W10.** The 80% confidence date moved from week" in text
    assert "M1 reached late (week 2.1, target 2)" in text and "M2 reached on time (week 3.5, target 4)" in text
    assert str(PROJ_ROOT) not in text


def test_side_by_side_table_marks_the_headline_and_aligns_right(weekly_forecast):
    weekly = weekly_forecast
    table = headline_table(weekly)
    assert list(table.frame.columns) == [
        "plan (week 0)",
        "re-forecast, uncalibrated",
        "re-forecast, calibrated (headline)",
    ]
    s = weekly.summary
    assert (
        table.frame.loc["P80 launch", "re-forecast, calibrated (headline)"]
        == f"week {weeks(s['finish_weeks']['p80'])} ({s['finish_dates']['p80']})"
    )
    html = table._repr_html_()
    assert html.count('style="text-align: right"') == 3 * (len(table.frame) + 1)  # every value cell and header


def test_stale_and_missing_actuals_are_said_plainly(tmp_path):
    stale = run_weekly_forecast("data/plans/lekhok_deployment.yaml", 2_048, 2, "2025-W14")
    text = headline(stale, "2025-W14").text
    assert (
        "**No actuals for 2025-W14.** The latest are from **2025-W11** (`data/actuals/2025-W11.csv`), 3 weeks"
        " earlier." in text
    )
    assert "No actuals have been reported since 2025-W11." in tracking_text.history_sentences(stale.status).text
    none = run_weekly_forecast("data/plans/lekhok_deployment.yaml", 2_048, 2, "2025-W11", "")
    text = headline(none, "2025-W11").text
    assert "**Basis: the plan alone.** No actuals were given" in text and "Since" not in text
    for section in (
        tracking_text.history_sentences,
        tracking_text.what_changed_sentences,
        tracking_text.earned_value_sentences,
    ):
        assert "No actuals yet" in section(none.status).text
    assert "No actuals yet" in tracking_text.fever_sentences(none.status, chain_buffer(none.plan)).text
    assert none.summary["forecasts"].keys() == {"plan"}
    assert list(headline_table(none).frame.columns) == ["value"]
