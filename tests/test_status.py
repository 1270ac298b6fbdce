"""The weekly report's week and its status."""

from __future__ import annotations

import matplotlib
import pytest
from test_actuals import HEADER
from test_reforecast import assert_bitwise_equal

from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.core.engine import simulate

matplotlib.use("Agg")


# ----------------------------------------------------------------------------- the report's week


def _folder(tmp_path, weeks):
    folder = tmp_path / "actuals"
    folder.mkdir()
    for w in weeks:
        (folder / f"{w}.csv").write_text(HEADER + "docker_cloud_learning,done,15,0,0.85,,,,\n")
    return folder


def test_report_week_takes_the_latest_actuals_at_or_before_it(lekhok_plan, tmp_path):
    from lekhok_forecast.tracking.status import report_week

    folder = _folder(tmp_path, ["2025-W06", "2025-W08"])
    r = report_week(lekhok_plan, "2025-W08", folder)
    assert (r.actuals_week, r.weeks_stale, r.stale, r.as_of_week) == ("2025-W08", 0, False, 3.0)
    r = report_week(lekhok_plan, "2025-W07", folder)  # a week without its own file
    assert (r.actuals_week, r.weeks_stale, r.stale) == ("2025-W06", 1, True)
    r = report_week(lekhok_plan, "2026-W02", folder)  # across a year boundary (2025 has 52 ISO weeks)
    assert (r.actuals_week, r.weeks_stale) == ("2025-W08", 46)
    assert r.actuals_path == folder / "2025-W08.csv"
    (tmp_path / "b").mkdir()
    r = report_week(lekhok_plan, "2025-W06", _folder(tmp_path / "b", []))
    assert not r.has_actuals and r.available == ()
    assert not report_week(lekhok_plan, "2025-W06", None).has_actuals


def test_report_week_before_the_plan_start_is_an_error(lekhok_plan):
    from lekhok_forecast.errors import ForecastInputError
    from lekhok_forecast.tracking.status import report_week

    with pytest.raises(
        ForecastInputError,
        match=r"^week 2025-W05 ends before the plan starts on Mon 2025-02-03;"
        r" the plan's first week is 2025-W06$",
    ):
        report_week(lekhok_plan, "2025-W05", ACTUALS_DIR)


def test_weekly_status_without_actuals_is_the_plan(lekhok_plan, tmp_path):
    from lekhok_forecast.tracking.status import weekly_status

    st = weekly_status(lekhok_plan, "2025-W11", None, trials=2048, seed=4)
    assert st.update is None and st.headline_key == "plan" and st.as_of_week == 0.0 and not st.calibrated
    assert_bitwise_equal(st.headline, simulate(lekhok_plan, 2048, 4))
    assert st.history_rows == () and st.milestones_reached == {}
    assert list(st.cone["week"]) == ["plan"] and list(st.fever["week"]) == ["plan"]
    assert len(st.earned_value) == 0 and len(st.what_changed) == 0


def test_weekly_status_reads_but_never_writes_the_history(lekhok_plan, tmp_path):
    from lekhok_forecast.sources.history_file import read_history, record_weeks
    from lekhok_forecast.tracking.status import weekly_status

    path = tmp_path / "history.csv"
    st = weekly_status(lekhok_plan, "2025-W09", ACTUALS_DIR, trials=2048, seed=1, history_path=path, changes=False)
    assert not path.exists()
    assert [r["week"] for r in st.history_rows] == ["2025-W06", "2025-W07", "2025-W08", "2025-W09"]
    assert len(st.what_changed) == 0  # changes=False
    assert st.milestones_reached == {"M1": 2.1, "M2": 3.5}
    record_weeks(list(st.history_rows), path)
    # the next week reads the file: earlier rows are kept as recorded, only its own is new
    nxt = weekly_status(lekhok_plan, "2025-W10", ACTUALS_DIR, trials=2048, seed=1, history_path=path)
    assert [r["week"] for r in nxt.history_rows] == ["2025-W10"]
    assert list(nxt.cone["week"]) == ["plan", "2025-W06", "2025-W07", "2025-W08", "2025-W09", "2025-W10"]
    assert list(read_history(path)["week"]) == ["2025-W06", "2025-W07", "2025-W08", "2025-W09"]
    # without a history file every earlier week is computed, with the same numbers
    fresh = weekly_status(lekhok_plan, "2025-W10", ACTUALS_DIR, trials=2048, seed=1)
    assert fresh.cone["p80"].tolist() == pytest.approx(nxt.cone["p80"].tolist(), abs=1e-6)
