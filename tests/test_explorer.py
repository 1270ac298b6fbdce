"""The scenario explorer: settings -> overlays -> one fast update; the widget wiring."""

from __future__ import annotations

import time

import pytest

from lekhok_forecast.app.explorer import ExplorerModel, Settings, settings_scenarios
from lekhok_forecast.app.scenarios import BASELINE
from lekhok_forecast.config import DATA_DIR, DEFAULT_PLAN, SCENARIOS_DIR
from lekhok_forecast.sources.scenario_file import load_scenario, scenario_paths

OFFICE = DATA_DIR / "examples" / "office_move"


def _scenarios(folder):
    return tuple(load_scenario(p) for p in scenario_paths(folder))


@pytest.fixture(scope="module")
def model():
    return ExplorerModel(DEFAULT_PLAN, trials=10_000, seed=1, scenarios=_scenarios(SCENARIOS_DIR))


def test_default_settings_reproduce_the_plan(model):
    _, table, _ = model.evaluate(model.default_settings())
    assert (table.loc[BASELINE] == table.loc["Your settings"]).all()


def test_controls_move_the_forecast(model):
    base = model.evaluate(model.default_settings())[1].loc["Your settings"]
    more = model.evaluate(Settings((30, 30), 0.2))[1].loc["Your settings"]
    assert more["P80 week"] < base["P80 week"]
    buffered = model.evaluate(Settings((20, 30), 0.5))[1].loc["Your settings"]
    assert buffered["P80 week"] == base["P80 week"] and buffered["buffer confidence"] > base["buffer confidence"]
    lean = model.evaluate(Settings((20, 30), 0.2, deferred=tuple(model.optional)))[1].loc["Your settings"]
    assert lean["P80 week"] < base["P80 week"]
    hired = model.evaluate(Settings((20, 30), 0.2, switched_on=("DevOps consultant",)))[1].loc["Your settings"]
    assert hired["cost P50"] > base["cost P50"]


def test_all_controls_at_once_compose(model):
    on = ("DevOps consultant", "Defer usage tracking")
    settings = Settings((25, 35), 0.3, switched_on=on, deferred=tuple(model.optional))
    names = [s.name for s in settings_scenarios(settings, model.switches)]
    # the usage-tracking switch already removes every optional task: no second removal
    assert names == ["Defer usage tracking", "DevOps consultant", "explorer settings"]
    model.evaluate(settings)
    hired_lean = Settings((25, 35), 0.3, switched_on=("DevOps consultant",), deferred=tuple(model.optional))
    names = [s.name for s in settings_scenarios(hired_lean, model.switches)]
    assert names == ["DevOps consultant", "deferred scope", "explorer settings"]
    model.evaluate(hired_lean)  # the consultant's reassignments and the removals do not clash


def test_the_sliders_win_over_a_switch(model):
    """A switch's own hours give way to the slider: the slider is what the user sees."""
    plain = model.evaluate(Settings((20, 30), 0.2))[1].loc["Your settings"]
    eight = model.evaluate(Settings((20, 30), 0.2, switched_on=("8-hour days",)))[1].loc["Your settings"]
    assert eight["P80 week"] > plain["P80 week"]  # 8-hour days: more hours of work for the same hours a week


def test_controls_come_from_the_plan_and_its_scenarios(model, tmp_path):
    # slider-only scenarios (30 hours a week, no buffer) are not switches; the others are
    assert [s.name for s in model.switches] == ["Defer usage tracking", "DevOps consultant", "8-hour days"]
    assert set(model.optional) == {t.id for t in model.plan.tasks if t.optional} and model.optional
    office = ExplorerModel(OFFICE / "plan.yaml", trials=1_000, scenarios=_scenarios(OFFICE / "scenarios"))
    assert [s.name for s in office.switches] == ["AV installer", "Leave after the move", "Movers pack"]
    # a switch that does not fit the plan (the Lekhok consultant on the office move) is not offered
    foreign = ExplorerModel(OFFICE / "plan.yaml", trials=1_000, scenarios=_scenarios(SCENARIOS_DIR))
    assert "DevOps consultant" not in [s.name for s in foreign.switches]
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(
        "name: tiny\nteam_hours_per_week: {low: 10, high: 20}\nbuffer: 0\nbaseline_weeks: 2\n"
        "workstreams: {dev: {share: 1}}\ntasks:\n  - {id: a, workstream: dev, effort: 2}\n",
        encoding="utf-8",
    )
    small = ExplorerModel(tiny, trials=1_000)
    assert small.optional == {} and small.switches == ()


def test_one_update_is_fast(model):
    t0 = time.perf_counter()
    model.evaluate(Settings((22, 28), 0.25))
    assert time.perf_counter() - t0 < 2.0  # about 0.01 s here; 2 s leaves room for slow CI


def test_widget_updates_on_change():
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lekhok_forecast.app.explorer import ScenarioExplorer

    plt.close("all")
    ex = ScenarioExplorer(DEFAULT_PLAN, trials=2_000)
    # the chart is the widget's own PNG: no pyplot figure left for a notebook backend to show below it
    assert plt.get_fignums() == []
    first = ex.table.value
    assert "Your settings" in first and "Updated in" in ex.status.value
    chart = ex.chart.value
    assert chart[:8] == b"\x89PNG\r\n\x1a\n"
    ex.hours.value = (30, 30)  # observe() fires update()
    assert ex.table.value != first
    assert ex.chart.value != chart and ex.chart.value[:8] == chart[:8]
    assert plt.get_fignums() == []
    assert ex.last_seconds is not None and ex.last_seconds < 5
