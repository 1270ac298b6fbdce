"""The order in which the report hands its notebooks to the kernels."""

from __future__ import annotations

import json

import pytest

from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.report.notebooks import notebook_imports, report_notebooks


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


def test_the_kernels_preload_the_notebooks_own_imports(tmp_path):
    def notebook(name: str, *sources: str) -> None:
        cells = [{"cell_type": "markdown", "source": "import not_code"}]
        cells += [{"cell_type": "code", "source": s} for s in sources]
        (tmp_path / f"{name}.ipynb").write_text(json.dumps({"cells": cells}))

    notebook("weekly_status", "import numpy as np\nfrom lekhok_forecast.present import figures\nx = 1", "%time 1")
    notebook("other", ["from lekhok_forecast.present import figures\n", "if x:\n    import json\n"], "from . import y")
    assert notebook_imports(report_notebooks(tmp_path)).splitlines() == [
        "import numpy as np",
        "from lekhok_forecast.present import figures",
    ]  # once each; not inside blocks, not relative, not from magics or Markdown
    real = notebook_imports(report_notebooks())
    assert "from lekhok_forecast.present import calibration_text" in real  # the honesty cell's own
