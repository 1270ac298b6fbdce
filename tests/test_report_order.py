"""The order in which the report hands its notebooks to the kernels."""

from __future__ import annotations

import pytest

from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.report.notebooks import report_notebooks


def test_weekly_status_first_then_the_largest_first(tmp_path):
    sizes = {"weekly_status": 10, "small": 100, "large": 5000, "medium": 900, "also_medium": 900}
    for name, size in sizes.items():
        (tmp_path / f"{name}.ipynb").write_text("x" * size)
    (tmp_path / "broken.failed.ipynb").write_text("x" * 10_000)  # a kept failure is not a report notebook
    names = [nb.name for nb in report_notebooks(tmp_path)]
    assert names == ["weekly_status", "large", "also_medium", "medium", "small"]


def test_no_weekly_status_is_an_error(tmp_path):
    (tmp_path / "other.ipynb").write_text("{}")
    with pytest.raises(ForecastInputError, match="no weekly_status.ipynb"):
        report_notebooks(tmp_path)
