"""`lekhok_forecast.analysis.sweep`, `lekhok_forecast.app.sweep` and ``lekhok-forecast sweep``.

Every row is checked against a simulation of its own point with the same seed and trials,
and the rows are the same serially, on a local Dask cluster of two processes and on a
Dask scheduler at a tcp:// address started here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lekhok_forecast.analysis.solve import finish_result
from lekhok_forecast.analysis.sweep import evaluate_job, parse_vary, sweep_jobs
from lekhok_forecast.app.sweep import NEEDS_DASK, base_plans, run_sweep, sweep
from lekhok_forecast.core.plan import with_capacity_scaled, without_tasks
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.present.sweep_text import sweep_table

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 4096
SEED = 5


# ------------------------------------------------------------------ the grid


def test_grid_is_exact_in_decimal_with_both_ends():
    name, values = parse_vary("capacity=0.8:1.6:0.1")
    assert name == "capacity" and len(values) == 9
    assert values == (0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6)  # the floats of the decimals, not 0.7999...
    assert parse_vary("buffer=0.1:0.4:0.05")[1] == (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
    assert parse_vary("scope=0:3:1")[1] == (0.0, 1.0, 2.0, 3.0)
    assert parse_vary("capacity=1:1:0.5")[1] == (1.0,)
    assert parse_vary("capacity=1:2:0.3")[1] == (1.0, 1.3, 1.6, 1.9)  # STOP off the grid: not passed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("capacity=0.8:1.6", "--vary capacity=0.8:1.6: expected NAME=START:STOP:STEP"),
        ("capacity", "--vary capacity: expected NAME=START:STOP:STEP"),
        ("capacity=a:b:c", "--vary capacity=a:b:c: expected NAME=START:STOP:STEP"),
        ("=1:2:1", "--vary =1:2:1: expected NAME=START:STOP:STEP"),
        ("speed=1:2:1", "unknown knob 'speed'"),
        ("capacity=1:2:0", "STEP must be > 0"),
        ("capacity=2:1:0.1", "STOP must be >= START"),
        ("capacity=0:1e9:1", "at most 10,000"),
        ("capacity=1:nan:1", "finite"),
    ],
)
def test_bad_spec_is_one_line(spec, message):
    with pytest.raises(ValueError) as exc:
        parse_vary(spec)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_values_that_do_not_fit_the_plan(lekhok_plan):
    bases = [((), lekhok_plan)]
    for spec, message in [
        ("capacity=0:1:0.5", "must be > 0"),
        ("scope=0:9:1", "from 0 to 4"),
        ("scope=0:1:0.5", "whole number"),
    ]:
        with pytest.raises(ValueError, match=message):
            sweep_jobs(bases, [parse_vary(spec)], 14, 10, 1)
    with pytest.raises(ValueError, match="given twice"):
        sweep_jobs(bases, [parse_vary("buffer=0:1:1"), parse_vary("buffer=0:1:1")], 14, 10, 1)
    no_baseline = lekhok_plan.with_changes(baseline_weeks=None, buffer=0.0)
    with pytest.raises(ValueError, match="no baseline_weeks"):
        sweep_jobs([((), no_baseline)], [parse_vary("buffer=0:1:1")], 14, 10, 1)
    with pytest.raises(ValueError, match="no deadlines"):
        sweep_jobs([((), lekhok_plan.with_changes(deadlines=()))], [], None, 10, 1)


# ------------------------------------------------------------------ the rows


def _rows(plan, specs, by_week=14.0):
    jobs = sweep_jobs([((), plan)], [parse_vary(s) for s in specs], by_week, TRIALS, SEED)
    return jobs, run_sweep(jobs)


def test_each_row_is_its_own_simulation(lekhok_plan):
    jobs, rows = _rows(lekhok_plan, ["capacity=0.8:1.6:0.2"])
    assert [r["capacity"] for r in rows] == [0.8, 1.0, 1.2, 1.4, 1.6] and len(jobs) == 5
    for r in rows:
        f = finish_result(with_capacity_scaled(lekhok_plan, r["capacity"]), TRIALS, SEED).finish_weeks
        assert r["p_by"] == float(np.mean(f <= 14))
        assert r["p50"] == float(np.percentile(f, 50)) and r["p80"] == float(np.percentile(f, 80))
        assert r["by_week"] == 14.0 and r["cost_p50"] > 0
    # common random numbers: trial by trial the finish falls as capacity grows (see solve_capacity)
    assert all(a["p_by"] <= b["p_by"] and a["p80"] >= b["p80"] for a, b in zip(rows, rows[1:]))
    assert rows[0]["p_by"] < rows[-1]["p_by"]


def test_buffer_points_share_a_simulation_and_keep_grid_order(lekhok_plan):
    jobs, rows = _rows(lekhok_plan, ["buffer=0.1:0.3:0.1", "capacity=1:1.2:0.2"])
    assert len(jobs) == 2 and len(rows) == 6  # one simulation per capacity
    assert [(r["buffer"], r["capacity"]) for r in rows] == [
        (b, c) for b in (0.1, 0.2, 0.3) for c in (1.0, 1.2)
    ]  # the product in the order of --vary, columns in KNOBS order
    assert list(rows[0])[:2] == ["capacity", "buffer"]
    for r in rows:
        f = finish_result(with_capacity_scaled(lekhok_plan, r["capacity"]), TRIALS, SEED).finish_weeks
        weeks = lekhok_plan.baseline_weeks * (1 + r["buffer"])
        assert r["buffered_weeks"] == weeks and r["p_within_buffer"] == float(np.mean(f <= weeks))


def test_scope_defers_the_first_optional_tasks(lekhok_plan):
    optional = [t.id for t in lekhok_plan.tasks if t.optional]
    _, rows = _rows(lekhok_plan, ["scope=0:2:1"])
    assert [r["scope"] for r in rows] == [0, 1, 2]
    for r in rows:
        plan = without_tasks(lekhok_plan, optional[: r["scope"]]) if r["scope"] else lekhok_plan
        assert r["p_by"] == float(np.mean(finish_result(plan, TRIALS, SEED).finish_weeks <= 14))


def test_scenarios_and_plans_are_labelled_axes(lekhok_path, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(
        Path(lekhok_path).read_text(encoding="utf-8").replace("deadlines: [12, 14, 16]", "deadlines: [20]")
    )
    assert "deadlines: [20]" in other.read_text()
    scen = str(ROOT / "data/scenarios/thirty_hours.yaml")
    bases = base_plans([lekhok_path, str(other)], [scen])
    labels = [dict(lab) for lab, _ in bases]
    assert [lab["scenario"] for lab in labels] == ["Plan as written", labels[1]["scenario"]] * 2
    assert labels[0]["plan"] != labels[2]["plan"]
    rows = sweep([lekhok_path, str(other)], ["capacity=1:1.1:0.1"], [scen], trials=TRIALS, seed=SEED)
    assert len(rows) == 8 and [r["by_week"] for r in rows] == [16.0] * 4 + [20.0] * 4  # each plan's latest deadline
    assert list(rows[0])[:3] == ["plan", "scenario", "capacity"]
    thirty = base_plans([lekhok_path], [scen])[1][1]
    f = finish_result(thirty, TRIALS, SEED).finish_weeks
    assert rows[2]["capacity"] == 1.0 and rows[2]["p_by"] == float(np.mean(f <= 16))
    assert rows[0]["p_by"] != rows[2]["p_by"]  # the scenario changes the answer


def test_table_has_a_line_per_row(lekhok_plan):
    _, rows = _rows(lekhok_plan, ["capacity=1:1.2:0.1"])
    text = sweep_table(rows)
    lines = text.splitlines()
    assert lines[0] == "P(by) is P(finish <= week 14)" and len(lines) == 5
    assert lines[1].split() == ["capacity", "P(by)", "P50", "wk", "P80", "wk", "cost", "P50"]
    assert lines[2].split()[0] == "1x" and f"{rows[0]['p80']:.1f}" in lines[2]


# ------------------------------------------------------------------ where the points run


def _grid(lekhok_plan):
    specs = ["capacity=0.9:1.2:0.1", "buffer=0.1:0.2:0.1"]
    return sweep_jobs([((), lekhok_plan)], [parse_vary(s) for s in specs], 14.0, 2048, SEED)


def test_local_cluster_of_two_processes_gives_the_serial_rows(lekhok_plan):
    jobs = _grid(lekhok_plan)
    serial = run_sweep(jobs)
    seen = []
    rows = run_sweep(jobs, "local", workers=2, progress=lambda done, total: seen.append((done, total)))
    assert rows == serial and json.dumps(rows) == json.dumps(serial)
    assert seen[-1] == (8, 8) and len(seen) == len(jobs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scheduler_at_an_address_gives_the_serial_rows(lekhok_plan):
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)]
        + ["--dashboard-address", ":0", "--no-show"],
        **quiet,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1"]
        + ["--no-dashboard"],
        **quiet,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # the scheduler takes a moment to listen
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(1, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline or scheduler.poll() is not None:
                    raise
                time.sleep(0.5)
        jobs = _grid(lekhok_plan)
        assert run_sweep(jobs, address) == run_sweep(jobs)
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_without_dask_the_error_says_how_to_install(lekhok_plan, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ForecastInputError) as exc:
        run_sweep(_grid(lekhok_plan), "local")
    assert str(exc.value) == NEEDS_DASK


# ------------------------------------------------------------------ the command


def test_cli_json_and_text(run_cli, lekhok_path):
    rc, out, err = run_cli("sweep", lekhok_path, "--vary", "capacity=0.8:1.6:0.1", "--trials", "2048", "--json")
    assert rc == 0 and err == ""
    doc = json.loads(out)
    assert [r["capacity"] for r in doc["rows"]] == list(parse_vary("capacity=0.8:1.6:0.1")[1])
    assert set(doc["rows"][0]) == {"capacity", "by_week", "p_by", "p50", "p80", "cost_p50"}
    assert doc["trials"] == 2048 and doc["seed"] == 1 and doc["rows"][0]["by_week"] == 16.0
    job = sweep_jobs(base_plans([lekhok_path]), [("capacity", (1.2,))], None, 2048, 1)[0]
    assert evaluate_job(job)[0] == doc["rows"][4]
    rc, out, _ = run_cli("sweep", lekhok_path, "--vary", "capacity=0.8:1.6:0.1", "--trials", "2048")
    assert rc == 0 and len(out.splitlines()) == 11


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "capacity=0.8:1.6"], "--vary capacity=0.8:1.6: expected NAME=START:STOP:STEP"),
        (["--vary", "buffer=0:1:1", "--vary", "buffer=0:2:1"], "--vary buffer: given twice"),
        (["--cluster", "somewhere"], "--cluster: expected 'local' or a scheduler address"),
        (["--workers", "2"], "--workers is the size of --cluster local"),
        (["--scenario-files", "no_such_scenario.yaml"], "no_such_scenario"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(run_cli, lekhok_path, args, message):
    rc, out, err = run_cli("sweep", lekhok_path, *args)
    assert rc == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert message in err
