"""Sentences and display tables: every number comes from the forecast, formatted one way."""

from __future__ import annotations

import json

import pytest

from lekhok_forecast.analysis import schedule
from lekhok_forecast.analysis.summary import summary_dict
from lekhok_forecast.config import DEFAULT_PLAN, PROJ_ROOT
from lekhok_forecast.present import text as nv


@pytest.fixture(scope="module")
def fc():
    return nv.run_forecast("data/plans/lekhok_deployment.yaml", 8_192, 2)


@pytest.mark.parametrize(
    "p, text",
    [
        (0.0, "0%"),
        (1.0, "100%"),
        (0.0004, "<0.1%"),
        (0.0081, "0.8%"),
        (0.01, "1%"),
        (0.1625, "16%"),
        (0.4928, "49%"),
        (0.99, "99%"),
        (0.9951, "99.5%"),
        (0.99995, ">99.9%"),
        (float("nan"), "n/a"),
    ],
)
def test_pct(p, text):
    assert nv.pct(p) == text


def test_money_and_weeks():
    assert nv.money(15781.34) == "$15,781"
    assert nv.money(1200, "€") == "€1,200"
    assert nv.weeks(12.0) == "12" and nv.weeks(16.046) == "16.0" and nv.weeks(18.26) == "18.3"


def test_paths_resolve_from_the_project_root_and_display_relative():
    assert nv.resolve_path("data/plans/lekhok_deployment.yaml") == DEFAULT_PLAN
    assert nv.display_path(DEFAULT_PLAN) == "data/plans/lekhok_deployment.yaml"
    assert nv.display_path("/somewhere/else/plan.yaml") == "plan.yaml"  # never this machine's path


def test_forecast_summary_is_simulate_json(fc, run_cli):
    rc, out, _ = run_cli("simulate", str(DEFAULT_PLAN), "--trials", "8192", "--seed", "2", "--json")
    assert rc == 0
    cli = json.loads(out)
    assert {k: v for k, v in cli.items() if k != "plan_file"} == {
        k: v for k, v in fc.summary.items() if k != "plan_file"
    }
    assert fc.summary == dict(summary_dict(fc.result), plan_file="data/plans/lekhok_deployment.yaml")


def test_headline_numbers_come_from_the_summary(fc):
    s = fc.summary
    text = nv.headline(fc, "2025-W09").text
    assert text.startswith("Status for **2025-W09**")
    for d, p in s["p_finish_by"].items():
        assert f"**{nv.pct(p)}** by week {d}" in text
    assert f"week {nv.weeks(s['finish_weeks']['p80'])} ({s['finish_dates']['p80']})" in text
    assert nv.pct(s["buffer"]["p_within_buffer"]) in text
    assert nv.money(s["cost"]["p50"]).replace("$", "\\$") in text  # "$" escaped for Markdown
    for mid, m in s["milestones"].items():
        assert f"{mid} {m['status']} ({nv.pct(m['p_on_time'])} on time" in text


def test_headline_table(fc):
    table = nv.headline_table(fc)
    values = dict(zip(table.frame.index, table.frame["value"]))
    s = fc.summary
    assert values["P(launch by week 12), 2025-04-28"] == nv.pct(s["p_finish_by"]["12"])
    assert values["P80 launch"] == f"week {nv.weeks(s['finish_weeks']['p80'])} ({s['finish_dates']['p80']})"
    html = table._repr_html_()
    assert html.count("<tr") == len(table.frame) + 1  # one header row
    assert "tex2jax_ignore" in html


def test_milestone_display_colours_status_and_escapes_text(fc):
    table = nv.milestone_display(schedule.milestone_table(fc.result), fc.plan)
    html = table._repr_html_()
    assert "&#9679;" in html and "color:" in html
    assert "`" not in html
    plain = repr(table)
    assert "<span" not in plain and "M4" in plain


def test_html_table_escapes_cells():
    import pandas as pd

    html = nv.HtmlTable(pd.DataFrame({"task": ["a <200 ms & b"]}))._repr_html_()
    assert "a &lt;200 ms &amp; b" in html


def test_markdown_repr_is_its_text():
    m = nv.Markdown("**x**")
    assert repr(m) == str(m) == m._repr_markdown_() == "**x**"


def test_iso_week_monday():
    assert str(nv.iso_week_monday("2025-W06")) == "2025-02-03"
    with pytest.raises(ValueError):
        nv.iso_week_monday("2025-6")


def test_scenario_sentences_say_same_when_unchanged():
    import pandas as pd

    table = pd.DataFrame(
        {
            "P80 week": [18.2, 18.2, 14.5],
            "cost P50": [15781.0, 15781.0, 15469.0],
            "buffer confidence": [0.23, 0.008, 0.77],
        },
        index=pd.Index(["Plan as written", "No buffer", "30 h"], name="scenario"),
    )
    text = nv.scenario_sentences(table, "Plan as written").text
    assert "the same as the plan as written" in text and "the same;" in text
    assert "3.7 weeks earlier" in text and "\\$312 less" in text
    assert "buffer is enough in 0.8% of trials (plan as written: 23%)" in text


def test_no_absolute_paths_in_any_text(fc):
    texts = [
        nv.headline(fc, "2025-W06").text,
        nv.schedule_sentences(fc).text,
        nv.buffer_sentences(fc).text,
        nv.cost_sentences(fc).text,
        fc.plan_file,
    ]
    assert not any(str(PROJ_ROOT) in t for t in texts)


# ------------------------------------------------------------------ weekly tracking


@pytest.fixture(scope="module")
def weekly():
    return nv.run_weekly_forecast("data/plans/lekhok_deployment.yaml", 4_096, 2, "2025-W11")


def test_weekly_forecast_headline_is_the_re_forecast(weekly):
    st, s = weekly.status, weekly.summary
    assert weekly.result is st.update.calibrated and weekly.plan is st.plan  # the original plan, for dates
    assert s == dict(s, **{k: v for k, v in summary_dict(weekly.result).items() if k not in ("tasks", "milestones")})
    assert list(s["tasks"]) == [t.id for t in weekly.plan.tasks]  # plan order, not the re-forecast's
    assert (s["as_of_week"], s["actuals_week"], s["actuals_file"]) == (6.0, "2025-W11", "data/actuals/2025-W11.csv")
    assert s["calibrated"] and s["headline"] == "calibrated" and s["done_tasks"] == 15
    assert s["milestones"]["M1"]["reached_week"] == 2.1 and "reached_week" not in s["milestones"]["M4"]
    assert s["forecasts"]["plan"]["finish_weeks"]["p80"] == summary_dict(st.plan_forecast)["finish_weeks"]["p80"]
    json.dumps(s, allow_nan=False)  # strict JSON


def test_weekly_headline_states_basis_and_movement(weekly):
    text = nv.headline(weekly, "2025-W11").text
    assert (
        "**Basis.** Re-forecast from this week's actuals (`data/actuals/2025-W11.csv`) as of the end of plan"
        " week 6 (Sun 2025-03-16)" in text
    )
    assert weekly.status.update.calibration.message in text
    assert "**illustrative demo data**" in text
    assert "**Since 2025-W10.** The 80% confidence date moved from week" in text
    assert "M1 reached late (week 2.1, target 2)" in text and "M2 reached on time (week 3.5, target 4)" in text
    assert str(PROJ_ROOT) not in text


def test_side_by_side_table_marks_the_headline_and_aligns_right(weekly):
    table = nv.headline_table(weekly)
    assert list(table.frame.columns) == [
        "plan (week 0)",
        "re-forecast, uncalibrated",
        "re-forecast, calibrated (headline)",
    ]
    s = weekly.summary
    assert (
        table.frame.loc["P80 launch", "re-forecast, calibrated (headline)"]
        == f"week {nv.weeks(s['finish_weeks']['p80'])} ({s['finish_dates']['p80']})"
    )
    html = table._repr_html_()
    assert html.count('style="text-align: right"') == 3 * (len(table.frame) + 1)  # every value cell and header


def test_stale_and_missing_actuals_are_said_plainly(tmp_path):
    stale = nv.run_weekly_forecast("data/plans/lekhok_deployment.yaml", 2_048, 2, "2025-W14")
    text = nv.headline(stale, "2025-W14").text
    assert (
        "**No actuals for 2025-W14.** The latest are from **2025-W11** (`data/actuals/2025-W11.csv`), 3 weeks"
        " earlier." in text
    )
    assert "No actuals have been reported since 2025-W11." in nv.history_sentences(stale.status).text
    none = nv.run_weekly_forecast("data/plans/lekhok_deployment.yaml", 2_048, 2, "2025-W11", "")
    text = nv.headline(none, "2025-W11").text
    assert "**Basis: the plan alone.** No actuals were given" in text and "Since" not in text
    for section in (nv.history_sentences, nv.what_changed_sentences, nv.earned_value_sentences, nv.fever_sentences):
        assert "No actuals yet" in section(none.status).text
    assert none.summary["forecasts"].keys() == {"plan"}
    assert list(nv.headline_table(none).frame.columns) == ["value"]


def test_tracking_tables(weekly):
    st = weekly.status
    h = nv.history_display(st.cone)
    assert list(h.frame.index) == ["plan"] + [f"2025-W{w:02d}" for w in range(6, 12)]
    assert list(h.frame.columns)[:3] == ["as of week", "P50", "P80"] and "P(≤ 16)" in h.frame
    w = nv.what_changed_display(st.what_changed)
    assert list(w.frame["what"])[-2:] == ["a week passes", "calibration"]
    assert sum(float(x) for x in w.frame["P80 effect (weeks)"]) == pytest.approx(
        st.what_changed["p80_effect_weeks"].sum(), abs=0.01
    )
    e = nv.earned_value_display(st.earned_value, "$")
    assert list(e.frame.columns) == [
        "as of week",
        "planned h",
        "earned h",
        "actual h",
        "planned cost",
        "earned cost",
        "actual cost",
        "SPI",
        "CPI",
    ]
    ev = st.earned_value.iloc[-1]
    assert f"**SPI {ev['spi']:.2f}**" in nv.earned_value_sentences(st).text
    fever = nv.fever_sentences(st).text
    assert f"Zone **{st.fever['zone'].iloc[-1]}**" in fever and "2.7 weeks" in fever
    table = nv.milestone_display(schedule.milestone_table(weekly.result), weekly.plan, st.milestones_reached)
    assert table.frame.loc["M1", "on time"] == "no" and table.frame.loc["M2", "on time"] == "yes"
    assert table.frame.loc["M1", "P80"].startswith("reached week 2.1")
