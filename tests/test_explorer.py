"""The scenario explorer: settings -> overlays -> one fast update; the widget wiring."""

from __future__ import annotations

import time

import pytest

from lekhok_forecast.app.explorer import DEFAULT_SCOPE, ExplorerModel, Settings, settings_scenarios
from lekhok_forecast.app.scenarios import BASELINE
from lekhok_forecast.config import DEFAULT_PLAN


@pytest.fixture(scope="module")
def model():
    return ExplorerModel(DEFAULT_PLAN, trials=10_000, seed=1)


def test_default_settings_reproduce_the_plan(model):
    _, table, _ = model.evaluate(model.default_settings())
    assert (table.loc[BASELINE] == table.loc["Your settings"]).all()


def test_controls_move_the_forecast(model):
    base = model.evaluate(model.default_settings())[1].loc["Your settings"]
    more = model.evaluate(Settings((30, 30), 0.2))[1].loc["Your settings"]
    assert more["P80 week"] < base["P80 week"]
    buffered = model.evaluate(Settings((20, 30), 0.5))[1].loc["Your settings"]
    assert buffered["P80 week"] == base["P80 week"] and buffered["buffer confidence"] > base["buffer confidence"]
    lean = model.evaluate(Settings((20, 30), 0.2, deferred=("Usage tracking at launch",)))[1].loc["Your settings"]
    assert lean["P80 week"] < base["P80 week"]
    hired = model.evaluate(Settings((20, 30), 0.2, consultant=True))[1].loc["Your settings"]
    assert hired["cost P50"] > base["cost P50"]


def test_all_controls_at_once_compose(model):
    settings = Settings((25, 35), 0.3, consultant=True, deferred=tuple(DEFAULT_SCOPE))
    names = [s.name for s in settings_scenarios(settings)]
    assert names[0] == "DevOps consultant" and names[-1] == "explorer settings"
    model.evaluate(settings)  # the consultant's reassignments and the removals do not clash


def test_controls_offered_only_when_they_apply(model, tmp_path):
    assert set(model.available_scope) == set(DEFAULT_SCOPE) and model.consultant_available
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(
        "name: tiny\nteam_hours_per_week: {low: 10, high: 20}\nbuffer: 0\nbaseline_weeks: 2\n"
        "workstreams: {dev: {share: 1}}\ntasks:\n  - {id: a, workstream: dev, effort: 2}\n",
        encoding="utf-8",
    )
    small = ExplorerModel(tiny, trials=1_000)
    assert small.available_scope == {} and not small.consultant_available


def test_one_update_is_fast(model):
    t0 = time.perf_counter()
    model.evaluate(Settings((22, 28), 0.25))
    assert time.perf_counter() - t0 < 2.0  # about 0.01 s here; 2 s leaves room for slow CI


def test_widget_updates_on_change():
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    from lekhok_forecast.app.explorer import ScenarioExplorer

    ex = ScenarioExplorer(DEFAULT_PLAN, trials=2_000)
    first = ex.table.value
    assert "Your settings" in first and "Updated in" in ex.status.value
    ex.hours.value = (30, 30)  # observe() fires update()
    assert ex.table.value != first
    assert ex.last_seconds is not None and ex.last_seconds < 5
