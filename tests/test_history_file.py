"""The forecast history file: one row per week, idempotent, atomic."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from conftest import history_row as row

from lekhok_forecast.config import REPORTS_DIR
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources import atomic
from lekhok_forecast.sources import history_file as history
from lekhok_forecast.sources.history_file import read_history, record_weeks

TRIALS = 4096


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


# ------------------------------------------------------------------ strict reading

FIX = "fix the row, or delete it (the next report recomputes a missing week from its actuals)"


@pytest.fixture
def written(tmp_path):
    """A history file as the writer writes it: the header and three weeks (lines 2-4)."""
    path = tmp_path / "forecast_history.csv"
    record_weeks([row("2025-W06", 1.0, 18.0), row("2025-W07", 2.0, 19.0), row("2025-W08", 3.0, 20.0)], path)
    assert lines(path)[0] == "week,as_of_week,trials,seed,calibrated,p50,p80,p10,p90,actual_finish_week"
    assert lines(path)[3] == "2025-W08,3.0,100,1,false,18.0,20.0,16.0,21.0,"
    assert path.read_text(encoding="utf-8").endswith("\n")  # the writer always ends the last row
    return path


def _refused(path, text: str) -> str:
    """The one-line message for a history file holding `text` (reading and recording both refuse it)."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ForecastInputError) as err:
        read_history(path)
    with pytest.raises(ForecastInputError) as again:
        record_weeks([row("2025-W09", 4.0, 21.0)], path)
    assert str(again.value) == str(err.value) and "\n" not in str(err.value)
    assert path.read_text(encoding="utf-8") == text  # nothing rewritten
    return str(err.value)


def _with_line(good: list[str], n: int, new: list[str]) -> str:
    """The text of the lines `good` with line `n` (1-based) replaced by the lines `new`."""
    return "\n".join(good[: n - 1] + new + good[n:]) + "\n"


def test_truncated_last_line_is_refused(written):
    text = written.read_text(encoding="utf-8")
    # cut inside the last number: every cell is there and parses, only the line end is missing
    cut = text[: text.rindex("21.0") + 2]
    assert cut.endswith("2025-W08,3.0,100,1,false,18.0,20.0,16.0,21")
    assert _refused(written, cut) == (
        f"{written}:4: the last line has no line break at its end: the file looks cut off (a truncated line?);"
        " restore it (e.g. from git) or, if that row is complete, end it with a line break"
    )
    # cut earlier: the same message (the missing line end is found first)
    assert _refused(written, text[: text.rindex("false")]).startswith(f"{written}:4: the last line has no line break")


def test_a_cut_line_in_the_middle_has_too_few_cells(written):
    good = lines(written)
    text = _with_line(good, 3, ["2025-W07,2.0,100,1,fa"])
    assert _refused(written, text) == f"{written}:3: row has 5 cells, the header has 10 (a truncated line?); {FIX}"


def test_too_many_cells(written):
    good = lines(written)
    text = _with_line(good, 2, [good[1] + ",18.5"])
    assert _refused(written, text) == (
        f"{written}:2: row has 11 cells, the header has 10 (a comma in a value must be quoted); {FIX}"
    )


def test_merge_conflict_markers(written):
    good = lines(written)
    w07 = good[2]
    text = _with_line(good, 3, ["<<<<<<< HEAD", w07, "=======", w07.replace("19.0", "19.5"), ">>>>>>> weekly"])
    assert _refused(written, text) == (
        f"{written}:3: merge-conflict marker '<<<<<<< HEAD': resolve the conflict (keep one row per week) and run again"
    )
    # a marker anywhere, also one the CSV reader would take as a one-cell row
    text = _with_line(good, 3, [good[2], "======="])
    assert _refused(written, text) == (
        f"{written}:4: merge-conflict marker '=======': resolve the conflict (keep one row per week) and run again"
    )


def test_a_non_number_in_a_number_column(written):
    good = lines(written)
    text = _with_line(good, 3, [good[2].replace(",19.0,", ",19.0x,")])
    assert _refused(written, text) == f"{written}:3: p80: expected a number, got '19.0x'; {FIX}"
    for bad, column, expected in (
        ("nan", "p80", "a number"),
        ("1_9", "p80", "a number"),
        ("100.0", "trials", "a whole number"),
        ("False", "calibrated", "true or false"),
    ):
        cells = good[2].split(",")
        cells[good[0].split(",").index(column)] = bad
        text = _with_line(good, 3, [",".join(cells)])
        assert _refused(written, text) == f"{written}:3: {column}: expected {expected}, got '{bad}'; {FIX}"


def test_empty_only_where_the_writer_writes_empty(written):
    good = lines(written)
    # the key and the plan week are never empty; other cells may be (values not known, newer columns)
    text = _with_line(good, 3, [good[2].replace("2025-W07,2.0,", "2025-W07,,")])
    assert _refused(written, text) == f"{written}:3: as_of_week: expected a number, got an empty cell; {FIX}"
    text = _with_line(good, 3, [",,,,,,,,,"])  # a spreadsheet's blank row
    assert _refused(written, text) == (
        f"{written}:3: week: expected an ISO week like 2025-W07, got an empty cell; {FIX}"
    )
    text = _with_line(good, 3, [good[2], ""])
    assert _refused(written, text) == f"{written}:4: blank line (the history has none); delete it and run again"
    text = _with_line(good, 3, ["2025-W07,2.0,,,,,19.0,,,"])
    written.write_text(text, encoding="utf-8")
    assert read_history(written)["p80"].tolist() == [18.0, 19.0, 20.0]


def test_duplicate_weeks(written):
    good = lines(written)
    text = _with_line(good, 4, [good[3], good[3].replace(",20.0,", ",20.5,")])
    assert _refused(written, text) == (
        f"{written}:5: week: week 2025-W08 appears twice (first on line 4); keep one row per week"
    )


def test_a_bad_week_name(written):
    good = lines(written)
    text = _with_line(good, 3, [good[2].replace("2025-W07", "2025-W7")])
    assert _refused(written, text) == f"{written}:3: week: expected an ISO week like 2025-W07, got '2025-W7'; {FIX}"
    text = _with_line(good, 3, [good[2].replace("2025-W07", "2025-W53")])
    assert _refused(written, text) == f"{written}:3: week: '2025-W53' is not a week of year 2025; {FIX}"


def test_bad_headers_and_empty_files(written):
    text = written.read_text(encoding="utf-8")
    assert _refused(written, text.replace("p10", "p80", 1)) == (
        f"{written}:1: column 'p80' appears twice in the header (cells 7 and 8); keep one of them"
    )
    assert _refused(written, "") == (
        f"{written}: the file is empty (no header); restore it (e.g. from git) or delete it to start a new history"
    )
    assert _refused(written, text.replace("2025-W07,", '"2025-W07,', 1)).startswith(
        f"{written}:3: not a CSV row (unexpected end of data); "
    )


def test_crlf_and_byte_order_mark_are_read(written):
    frame = read_history(written)
    written.write_bytes(b"\xef\xbb\xbf" + written.read_bytes().replace(b"\n", b"\r\n"))
    pd.testing.assert_frame_equal(read_history(written), frame)
