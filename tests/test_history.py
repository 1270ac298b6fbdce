"""The forecast history's rows and the forecast cone, through `weekly_update`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import history_row as row

from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.sources.history_file import column_kind, record_weeks
from lekhok_forecast.tracking.history import cone_frame
from lekhok_forecast.tracking.weekly import weekly_update

TRIALS = 4096


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_cone_frame_stops_at_the_reported_week(tmp_path):
    frame = record_weeks(
        [row("2025-W06", 1.0, 18.0), row("2025-W07", 2.0, 19.0), row("2025-W08", 3.0, 20.0)], tmp_path / "h.csv"
    )
    cone = cone_frame(frame, None, up_to_week=2.0)
    assert cone["week"].tolist() == ["2025-W06", "2025-W07"]
    assert np.isnan(cone["actual_finish_week"]).all()


# ----------------------------------------------------------------------------- through weekly_update


def test_rerunning_a_week_is_idempotent_and_leaves_other_rows(lekhok_plan, tmp_path):
    path = tmp_path / "forecast_history.csv"
    weekly_update(lekhok_plan, ACTUALS_DIR, "2025-W11", trials=TRIALS, seed=1, history_path=path)
    first = path.read_bytes()
    rows = lines(path)
    assert [ln.split(",")[0] for ln in rows[1:]] == [f"2025-W{w:02d}" for w in range(6, 12)]
    # the same week again: one row for it, identical numbers, no other change
    u = weekly_update(lekhok_plan, ACTUALS_DIR, "2025-W11", trials=TRIALS, seed=1, history_path=path)
    assert path.read_bytes() == first
    assert (u.history["week"] == "2025-W11").sum() == 1
    # an earlier week with other settings: only its row changes
    weekly_update(lekhok_plan, ACTUALS_DIR, "2025-W08", trials=2 * TRIALS, seed=5, history_path=path)
    again = lines(path)
    changed = [i for i, (a, b) in enumerate(zip(rows, again)) if a != b]
    assert len(again) == len(rows) and changed == [3]
    assert again[3].startswith(f"2025-W08,3.0,2025-02-21,{2 * TRIALS},5,")


def test_history_rows_match_the_forecasts(lekhok_plan, tmp_path):
    path = tmp_path / "h.csv"
    u = weekly_update(lekhok_plan, ACTUALS_DIR, "2025-W07", trials=TRIALS, seed=2, history_path=path)
    h = pd.read_csv(path, dtype={"week": str}).set_index("week")
    assert h.loc["2025-W06", "calibrated"] == False  # noqa: E712 - one done effort task only
    assert h.loc["2025-W07", "calibrated"] == True  # noqa: E712
    assert h.loc["2025-W07", "p80"] == pytest.approx(np.percentile(u.forecast.finish_weeks, 80), abs=1e-6)
    assert h.loc["2025-W07", "p_by_16"] == pytest.approx(np.mean(u.forecast.finish_weeks <= 16), abs=1e-6)
    assert h.loc["2025-W07", "as_of_date"] == "2025-02-14"  # the last working day (Friday) of ISO week 7
    for col in (
        "p_by_12",
        "p_by_14",
        "p_within_buffer",
        "cost_p50",
        "cost_p90",
        "chain_complete",
        "buffer_consumed",
        "fever_zone",
        "spi",
        "cpi",
        "p50_uncalibrated",
    ):
        assert col in h.columns
    # every column the writer writes has a declared type, so the strict reader checks it
    assert [c for c in h.columns if column_kind(c) == "text"] == ["fever_zone"]
