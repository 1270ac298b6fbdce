"""The weekly update: re-forecasts, history, cone, fever chart, what changed."""

from __future__ import annotations

import matplotlib
import pytest
from test_actuals import HEADER

from lekhok_forecast.analysis.headline import headline_numbers
from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.tracking.weekly import weekly_update

matplotlib.use("Agg")


# ----------------------------------------------------------------------------- weekly update


def test_weekly_update_for_a_demo_week(lekhok_plan, tmp_path):
    path = tmp_path / "history.csv"
    u = weekly_update(lekhok_plan, ACTUALS_DIR, "2025-W09", trials=4096, seed=1, history_path=path)
    assert u.week == "2025-W09" and u.as_of_week == 4.0 and u.previous.week == "2025-W08"
    assert u.calibration.applied and u.forecast is u.calibrated
    # history: backfilled weeks 1-3 plus this one, nothing later
    assert list(u.history["week"]) == ["2025-W06", "2025-W07", "2025-W08", "2025-W09"]
    assert list(u.cone["week"]) == ["plan", "2025-W06", "2025-W07", "2025-W08", "2025-W09"]
    assert list(u.fever["week"]) == ["plan", "2025-W06", "2025-W07", "2025-W08", "2025-W09"]
    assert len(u.earned_value) == 4
    row = u.history.set_index("week").loc["2025-W09"]
    assert row["p80"] == pytest.approx(headline_numbers(u.forecast)["p80"], abs=1e-6)
    assert row["p80_uncalibrated"] == pytest.approx(headline_numbers(u.uncalibrated)["p80"], abs=1e-6)
    # what changed adds up to the move of P80 since last week
    last = u.history.set_index("week").loc["2025-W08", "p80"]
    assert u.what_changed["p80_before"].iloc[0] == pytest.approx(last, abs=1e-6)
    assert u.what_changed["p80_effect_weeks"].sum() == pytest.approx(row["p80"] - last, abs=1e-6)
    assert list(u.comparison.columns) == ["plan (week 0)", "uncalibrated", "calibrated"]
    assert "2025-W09 (as of week 4)" in str(u)


def test_weekly_update_errors_write_nothing(lekhok_plan, tmp_path):
    folder = tmp_path / "actuals"
    folder.mkdir()
    (folder / "2025-W06.csv").write_text(HEADER + "docker_cloud_learning,done,15,0,0.85,,,,\n")
    (folder / "2025-W07.csv").write_text(
        HEADER + "docker_cloud_learning,done,15,0,0.85,,,,\ndocker_backend,done,-4,0.85,1.2,,,,\n"
    )
    path = tmp_path / "history.csv"
    with pytest.raises(Exception, match=r"2025-W07.csv:3: hours_to_date: must be >= 0"):
        weekly_update(lekhok_plan, folder, "2025-W07", trials=1000, history_path=path)
    assert not path.exists()
    with pytest.raises(Exception, match="no actuals for week 2025-W09; available weeks: 2025-W06, 2025-W07"):
        weekly_update(lekhok_plan, folder, "2025-W09", trials=1000, history_path=path)
    assert not path.exists()


def test_tracking_plots_return_fig_and_ax(lekhok_plan, tmp_path):
    import matplotlib.pyplot as plt

    from lekhok_forecast.present.tracking_plots import plot_fever_chart, plot_forecast_cone

    u = weekly_update(lekhok_plan, ACTUALS_DIR, "2025-W08", trials=2048, seed=1, history_path=tmp_path / "h.csv")
    fig, ax = plot_forecast_cone(u.cone, lekhok_plan.deadlines)
    assert ax.figure is fig and ax.get_ylabel().startswith("finish")
    plt.close(fig)
    fig, ax = plt.subplots()
    fig2, ax2 = plot_fever_chart(u.fever, ax=ax)
    assert (fig2, ax2) == (fig, ax) and len(ax.collections) >= 4
    plt.close(fig)
