"""Sentences and display tables: every number comes from the forecast, formatted one way."""

from __future__ import annotations

import json

import pytest

from lekhok_forecast import narrative as nv
from lekhok_forecast import schedule
from lekhok_forecast.config import DEFAULT_PLAN, PROJ_ROOT
from lekhok_forecast.summary import summary_dict


@pytest.fixture(scope="module")
def fc():
    return nv.run_forecast("data/plans/lekhok_deployment.yaml", 8_192, 2)


@pytest.mark.parametrize("p, text", [
    (0.0, "0%"), (1.0, "100%"), (0.0004, "<0.1%"), (0.0081, "0.8%"), (0.01, "1%"), (0.1625, "16%"),
    (0.4928, "49%"), (0.99, "99%"), (0.9951, "99.5%"), (0.99995, ">99.9%"), (float("nan"), "n/a"),
])
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
        k: v for k, v in fc.summary.items() if k != "plan_file"}
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

    table = pd.DataFrame({"P80 week": [18.2, 18.2, 14.5], "cost P50": [15781.0, 15781.0, 15469.0],
                          "buffer confidence": [0.23, 0.008, 0.77]},
                         index=pd.Index(["Plan as written", "No buffer", "30 h"], name="scenario"))
    text = nv.scenario_sentences(table, "Plan as written").text
    assert "the same as the plan as written" in text and "the same;" in text
    assert "3.7 weeks earlier" in text and "\\$312 less" in text
    assert "buffer is enough in 0.8% of trials (plan as written: 23%)" in text


def test_no_absolute_paths_in_any_text(fc):
    texts = [nv.headline(fc, "2025-W06").text, nv.schedule_sentences(fc).text, nv.buffer_sentences(fc).text,
             nv.cost_sentences(fc).text, fc.plan_file]
    assert not any(str(PROJ_ROOT) in t for t in texts)
