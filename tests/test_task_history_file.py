"""The backtest's task history file: format and strict reading."""

from __future__ import annotations

import datetime as dt

import pytest

from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.task_history_file import read_task_history, task_history_from_text

GOOD = """\
# a comment
estimate,actual,person,finish
4,5.5,ana,2024-03-04
8,6,ben,2024-03-01
2,2,ana,2024-03-01
"""


def test_reads_columns_and_orders_by_finish():
    h = task_history_from_text(GOOD, "h.csv", by="person")
    assert len(h) == 3 and h.estimates.tolist() == [4, 8, 2] and h.actuals.tolist() == [5.5, 6, 2]
    assert h.labels == {"person": ("ana", "ben", "ana")}
    assert h.finish == (dt.date(2024, 3, 4), dt.date(2024, 3, 1), dt.date(2024, 3, 1))
    assert h.order().tolist() == [1, 2, 0]  # by finish day, ties in file order
    assert h.lines == (3, 4, 5)
    plain = task_history_from_text("estimate,actual\n1,2\n3,4\n", "p.csv")
    assert plain.finish is None and plain.order().tolist() == [0, 1] and plain.labels == {}


@pytest.mark.parametrize(
    ("text", "by", "message"),
    [
        ("", None, "h.csv: no header line"),
        ("estimat,actual\n1,2\n", None, "h.csv:1: missing column 'estimate' (did you mean 'estimat'?)"),
        ("estimate,actual,actual\n1,2,3\n", None, "h.csv:1: column 'actual' appears twice"),
        ("estimate,actual\n", None, "h.csv: no tasks"),
        ("estimate,actual\n1,2,3\n", None, "h.csv:2: 3 cells, the header has 2"),
        ("estimate,actual\n1,x\n", None, "h.csv:2: actual: expected a number, got 'x'"),
        ("estimate,actual\n0,1\n", None, "h.csv:2: estimate: must be a number > 0"),
        ("estimate,actual\n1,nan\n", None, "h.csv:2: actual: must be a number > 0"),
        ("estimate,actual\n1,2\n\n3,4\n", None, "h.csv:3: blank line"),
        ("estimate,actual,finish\n1,2,03/04/2024\n", None, "h.csv:2: finish: expected a date YYYY-MM-DD"),
        ("estimate,actual,person\n1,2,\n", "person", "h.csv:2: person: empty 'person' cell"),
        (
            "estimate,actual,person\n1,2,a\n",
            "persn",
            "h.csv:1: no label column 'persn' to group by (did you mean 'person'?)",
        ),
    ],
)
def test_bad_files_are_one_line(text, by, message):
    with pytest.raises(ForecastInputError) as err:
        task_history_from_text(text, "h.csv", by=by)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ForecastInputError, match="no such file"):
        read_task_history(tmp_path / "nope.csv")
