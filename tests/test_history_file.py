"""The forecast history file: one row per week, idempotent, atomic."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from lekhok_forecast.config import REPORTS_DIR
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources import atomic
from lekhok_forecast.sources import history_file as history
from lekhok_forecast.sources.history_file import read_history, record_weeks

TRIALS = 4096


def row(week: str, as_of: float, p80: float, **extra) -> dict:
    r = {
        "week": week,
        "as_of_week": as_of,
        "trials": 100,
        "seed": 1,
        "calibrated": False,
        "p50": p80 - 2.0,
        "p80": p80,
        "p10": p80 - 4,
        "p90": p80 + 1,
        "actual_finish_week": None,
    }
    r.update(extra)
    return r


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_default_path_is_under_reports():
    assert history.default_history_path() == REPORTS_DIR / "forecast_history.csv"


def test_record_replaces_only_its_week(tmp_path):
    path = tmp_path / "h.csv"
    record_weeks([row("2025-W06", 1.0, 18.123456789), row("2025-W07", 2.0, 19.5), row("2025-W08", 3.0, 20.0)], path)
    before = lines(path)
    assert before[0].startswith("week,as_of_week,trials,seed,calibrated,p50,p80")
    assert before[1].startswith("2025-W06,1.0,100,1,false,16.123457,18.123457")  # 6 digits
    frame = record_weeks([row("2025-W07", 2.0, 25.25)], path)
    after = lines(path)
    assert after[0] == before[0] and after[1] == before[1] and after[3] == before[3]
    assert after[2] != before[2] and ",25.25," in after[2]
    assert list(frame["week"]) == ["2025-W06", "2025-W07", "2025-W08"]
    assert frame.set_index("week").loc["2025-W07", "p80"] == 25.25
    assert frame["calibrated"].tolist() == [False, False, False]


def test_recording_the_same_row_twice_changes_no_byte(tmp_path):
    path = tmp_path / "h.csv"
    record_weeks([row("2025-W06", 1.0, 18.1), row("2025-W07", 2.0, 19.2)], path)
    first = path.read_bytes()
    record_weeks([row("2025-W07", 2.0, 19.2)], path)
    assert path.read_bytes() == first


def test_other_rows_are_kept_as_text_even_if_hand_edited(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("week,as_of_week,p80,note\n2025-W06,1,18.10000,by hand\n", encoding="utf-8")
    record_weeks([row("2025-W07", 2.0, 19.2)], path)
    text = lines(path)
    assert text[0] == "week,as_of_week,p80,note,trials,seed,calibrated,p50,p10,p90,actual_finish_week"
    assert text[1] == "2025-W06,1,18.10000,by hand,,,,,,,"  # untouched values, new columns empty
    frame = read_history(path)
    assert frame["p80"].tolist() == [18.1, 19.2]
    assert frame["as_of_week"].tolist() == [1.0, 2.0]


def test_new_week_inserted_in_order(tmp_path):
    path = tmp_path / "h.csv"
    record_weeks([row("2025-W06", 1.0, 18.0), row("2025-W08", 3.0, 20.0)], path)
    record_weeks([row("2025-W07", 2.0, 19.0)], path)
    assert [ln.split(",")[0] for ln in lines(path)[1:]] == ["2025-W06", "2025-W07", "2025-W08"]


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "h.csv"
    record_weeks([row("2025-W06", 1.0, 18.0)], path)
    good = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        record_weeks([row("2025-W07", 2.0, 19.0)], path)
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["h.csv"]


def test_write_false_touches_nothing(tmp_path):
    path = tmp_path / "h.csv"
    frame = record_weeks([row("2025-W06", 1.0, 18.0)], path, write=False)
    assert not path.exists() and len(frame) == 1


def test_bad_history_files(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("when,p80\nx,1\n", encoding="utf-8")
    with pytest.raises(ForecastInputError, match=r"h.csv:1: not a forecast history: no 'week' column"):
        read_history(path)
    path.write_text("week,p80\n2025-W06,1\n2025-W06,2\n", encoding="utf-8")
    with pytest.raises(ForecastInputError, match=r"h.csv:3: week: week 2025-W06 appears twice \(first on line 2\)"):
        record_weeks([row("2025-W07", 2.0, 1.0)], path)
    assert read_history(tmp_path / "missing.csv").columns.tolist() == ["week"]


def test_rows_frame_types_like_the_file(tmp_path):
    rows = [row("2025-W07", 2.0, 18.5), row("2025-W06", 1.0, 18.0, calibrated=True)]
    path = tmp_path / "h.csv"
    from_file = record_weeks(rows, path)
    in_memory = history.rows_frame(rows)
    pd.testing.assert_frame_equal(in_memory, from_file)
    assert list(in_memory["week"]) == ["2025-W06", "2025-W07"]


def test_merge_rows_types_like_recording_into_the_file(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(
        "week,as_of_week,p80,note,calibrated\n2025-W06,1,18.1234567,by hand,true\n2025-W08,3,20.5,,\n",
        encoding="utf-8",
    )
    read = read_history(path)
    rows = [row("2025-W07", 2.0, 19.2), row("2025-W08", 3.0, 21.0, calibrated=True)]
    in_memory = history.merge_rows(read, rows)
    pd.testing.assert_frame_equal(in_memory, record_weeks(rows, path))
    assert in_memory["p80"].tolist() == [18.1234567, 19.2, 21.0]
    empty = pd.DataFrame(columns=["week"])
    pd.testing.assert_frame_equal(history.merge_rows(empty, rows), history.rows_frame(rows))
