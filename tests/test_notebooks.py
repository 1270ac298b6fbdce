"""The stored notebooks: house rules, documented parameters, deterministic refresh, the explorer cell."""

from __future__ import annotations

import json
import shutil

import pytest

from lekhok_forecast.cli import main
from lekhok_forecast.config import NOTEBOOKS_DIR
from lekhok_forecast.report.stored import check_notebook, refresh_notebook, stored_notebooks

NOTEBOOKS = ["budget_burn", "buffers", "calibration", "scenarios", "schedule_risk", "weekly_status"]
REQUIRED_PARAMETERS = {"plan_path": "str", "trials": "int", "seed": "int", "week": "str", "output_dir": "str"}


def test_the_notebook_set():
    assert [p.stem for p in stored_notebooks()] == NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_house_rules(name):
    assert check_notebook(NOTEBOOKS_DIR / f"{name}.ipynb") == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_are_documented_for_papermill(name):
    import papermill

    params = papermill.inspect_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"))
    for key, kind in REQUIRED_PARAMETERS.items():
        assert params[key]["inferred_type_name"] == kind, (name, key)
        assert params[key]["help"], (name, key)  # the trailing comment is the documentation
    assert params["trials"]["default"] == "20_000"  # modest: the stored outputs run in seconds
    assert params["plan_path"]["default"] == '"data/plans/lekhok_deployment.yaml"'  # relative, no machine path


def test_scenarios_notebook_is_static_by_default():
    params = __import__("papermill").inspect_notebook(str(NOTEBOOKS_DIR / "scenarios.ipynb"))
    assert params["interactive"]["default"] == "False"


def _write(tmp_path, cells):
    for i, cell in enumerate(cells):
        cell.setdefault("id", f"cell-{i}")
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _code(src, tags=(), outputs=(), count=1):
    return {
        "cell_type": "code",
        "source": src,
        "metadata": {"tags": list(tags)},
        "outputs": list(outputs),
        "execution_count": count,
    }


def test_check_catches_broken_rules(tmp_path):
    path = _write(
        tmp_path,
        [
            _code("trials = 10"),
            _code("def helper():\n    return 1"),
            _code("x = 1", count=None),
            _code(
                "print(path)",
                outputs=[{"output_type": "stream", "name": "stdout", "text": "/home/alex/project/data/x\n"}],
            ),
        ],
    )
    problems = "\n".join(check_notebook(path))
    assert "first cell is not a markdown title" in problems
    assert "not tagged 'parameters'" in problems
    assert "defines a function or class" in problems
    assert "has not been executed" in problems
    assert "absolute path: /home/alex/project/data/x" in problems
    assert "NBVAL_CHECK_OUTPUT" in problems


def test_check_catches_untyped_or_derived_parameters(tmp_path):
    path = _write(
        tmp_path,
        [
            {"cell_type": "markdown", "source": "# Title", "metadata": {}},
            _code("trials = 1000  # no type\nseed: int = trials + 1  # derived\n", tags=["parameters"]),
            _code("# NBVAL_CHECK_OUTPUT\n1"),
        ],
    )
    problems = check_notebook(path)
    assert any("not 'name: type = value  # comment'" in p for p in problems)
    assert any("seed is not a literal" in p for p in problems)


def test_refresh_reproduces_the_stored_notebook_byte_for_byte(tmp_path):
    """Stored outputs are deterministic: re-executing gives the same file (so refreshes diff cleanly)."""
    copy = tmp_path / "buffers.ipynb"
    shutil.copy(NOTEBOOKS_DIR / "buffers.ipynb", copy)
    refresh_notebook(copy)
    assert copy.read_bytes() == (NOTEBOOKS_DIR / "buffers.ipynb").read_bytes()


def test_refresh_leaves_the_notebook_alone_when_a_cell_fails(tmp_path):
    path = _write(
        tmp_path,
        [{"cell_type": "markdown", "source": "# T", "metadata": {}}, _code("raise ValueError('no')", count=None)],
    )
    before = path.read_bytes()
    with pytest.raises(Exception, match="no"):
        refresh_notebook(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.ipynb"]  # no temp file left


def test_check_command(capsys):
    assert main(["notebooks", "check"]) == 0
    assert capsys.readouterr().out == ""


def test_check_command_unknown_notebook_is_one_line(capsys):
    assert main(["notebooks", "check", "no_such_notebook"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "no stored notebook 'no_such_notebook'" in err and "weekly_status" in err


def test_explorer_cell_runs_in_a_kernel(tmp_path):
    """With interactive=True the scenarios notebook builds the widget explorer (what JupyterLab shows)."""
    import papermill

    from lekhok_forecast.report.execute import KERNEL_ARGUMENTS
    from lekhok_forecast.report.lane_engine import fast_notebook_imports

    fast_notebook_imports()
    out = tmp_path / "scenarios.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / "scenarios.ipynb"),
        str(out),
        kernel_name="python3",
        parameters={"interactive": True, "trials": 2_000, "explorer_trials": 2_000},
        progress_bar=False,
        extra_arguments=KERNEL_ARGUMENTS,
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    last = [c for c in nb["cells"] if c["cell_type"] == "code"][-1]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in last["outputs"])


def test_notebook_inputs_follow_the_plan(tmp_path):
    """Opened by hand, a notebook finds the plan's own folders and week as the report does."""
    from lekhok_forecast.app.bundle import PLAN_FOLDER, notebook_inputs
    from lekhok_forecast.config import DATA_DIR

    office = DATA_DIR / "examples" / "office_move" / "plan.yaml"
    week, actuals, scenarios = notebook_inputs("", office, "", PLAN_FOLDER, PLAN_FOLDER)
    assert week == "2026-W13"  # the latest actuals (older than 4 weeks: the report's default rule)
    assert actuals.endswith("office_move/actuals") and scenarios.endswith("office_move/scenarios")
    assert notebook_inputs("", office, "2026-W11", "", "") == ("2026-W11", "", "")  # empty: none
    lekhok = notebook_inputs("", DATA_DIR / "plans" / "lekhok_deployment.yaml", "", PLAN_FOLDER, PLAN_FOLDER)
    assert lekhok[0] == "2025-W11" and lekhok[1].endswith("data/actuals") and lekhok[2].endswith("data/scenarios")
    # with the report's bundle, the report's own choices stand
    assert notebook_inputs("bundle", office, "2026-W12", "x", "y") == ("2026-W12", "x", "y")


def test_scenarios_notebook_for_another_plan_needs_only_its_path(tmp_path):
    """plan_path alone: the office move's own scenarios and actuals, none of Lekhok's."""
    import papermill

    from lekhok_forecast.config import DATA_DIR
    from lekhok_forecast.report.execute import KERNEL_ARGUMENTS

    out = tmp_path / "scenarios.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / "scenarios.ipynb"),
        str(out),
        kernel_name="python3",
        parameters={"plan_path": str(DATA_DIR / "examples" / "office_move" / "plan.yaml"), "trials": 2_000},
        progress_bar=False,
        extra_arguments=KERNEL_ARGUMENTS,
    )
    text = out.read_text(encoding="utf-8")
    assert "Movers pack" in text and "2026-W13" in text
    assert "DevOps consultant" not in text and "Lekhok" not in text
