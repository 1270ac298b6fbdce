"""Re-forecasting from actuals and calibration from evidence."""

from __future__ import annotations

import dataclasses
import math

import matplotlib
import numpy as np
import pytest
from conftest import K_SE, assert_close, mean_tolerance
from test_actuals import HEADER, MINI

from lekhok_forecast.analysis.headline import headline_numbers
from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.core.distributions import Dist, Range
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.core.plan import Plan, Task, Workstream, plan_from_text
from lekhok_forecast.sources.actuals_file import (
    Status,
    TaskActual,
    WeeklyActuals,
    actuals_from_text,
    no_actuals,
    read_weeks,
)
from lekhok_forecast.tracking.reforecast import (
    MIN_DONE_FOR_CALIBRATION,
    Calibration,
    calibration_from_actuals,
    reforecast,
    reforecast_plan,
    weekly_update,
)

matplotlib.use("Agg")
ARRAYS = (
    "finish_weeks",
    "task_criticality",
    "milestone_weeks",
    "phase_end_weeks",
    "cost_by_item",
    "hours_by_workstream",
    "sample_start_weeks",
    "sample_finish_weeks",
)


@pytest.fixture(scope="module")
def mini() -> Plan:
    return plan_from_text(MINI, "mini.yaml")


def state(plan, body: str, as_of: float, spend: str | None = None) -> WeeklyActuals:
    return actuals_from_text(HEADER + body, plan, as_of=as_of, path="wk.csv", spend_text=spend)


def assert_bitwise_equal(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), name


# ----------------------------------------------------------------------------- edge cases


def test_no_actuals_is_the_plans_forecast_bitwise(mini, lekhok_plan):
    for plan in (mini, lekhok_plan):
        base = simulate(plan, 5000, 7)
        assert_bitwise_equal(reforecast(plan, None, 5000, 7), base)
        assert_bitwise_equal(reforecast(plan, no_actuals(), 5000, 7), base)
        assert reforecast_plan(plan, no_actuals()) is plan
        # evidence that is too thin changes nothing either
        assert_bitwise_equal(reforecast(plan, None, 5000, 7, calibration=Calibration(ratios=(2.0,))), base)


def test_nothing_started_shifts_the_whole_schedule_to_the_as_of_week(mini):
    # Same plan structure, same random numbers: every task waits for week 3, so with a fixed
    # capacity the schedule moves by exactly 3 weeks.
    base = simulate(mini, 4096, 3)
    later = reforecast(mini, no_actuals(3.0), 4096, 3)
    np.testing.assert_allclose(later.finish_weeks, base.finish_weeks + 3.0, atol=1e-5)
    assert later.sample_start_weeks.min() >= 3.0


def test_every_task_done_gives_the_actual_finish_exactly(mini):
    body = "a,done,44,0,1.1,,,,\nc,done,,1.1,1.7,,,,\nb,done,30,1.1,1.93,,,,\nd,done,25,1.93,2.67,,,,\n"
    spend = "cost,spent_to_date\neng,4950\ncloud,210.5\n"
    r = reforecast(mini, state(mini, body, 3.0, spend), 3000, 1)
    assert r.finish_weeks.dtype == np.float64
    assert np.all(r.finish_weeks == 2.67)
    s = headline_numbers(r)
    assert s["p50"] == s["p80"] == 2.67 and s["p_by_4"] == 1.0
    # costs: exactly what was spent (nothing left to simulate)
    np.testing.assert_allclose(r.cost_by_item, [[4950.0] * 3000, [210.5] * 3000], rtol=1e-12)
    # done tasks are fixed at their actual dates
    index = r.plan.task_index()
    assert r.sample_start_weeks[index["d"]].min() == np.float32(1.93)
    assert np.all(r.sample_finish_weeks[index["b"]] == np.float32(1.93))


def test_task_in_progress_past_its_pessimistic_estimate(mini):
    # a: planned 4-8 days (32-64 h) at 40 h/week; 70 h already worked, 1/2/3 days left.
    a = state(mini, "a,in_progress,70,0,,1,2,3,\n", 2.0)
    r = reforecast(mini, a, 20_000, 5)
    i = r.plan.task_index()["a"]
    fin = r.sample_finish_weeks[i].astype(float)
    # 1-3 days of 8 h at 40 h/week = 0.2-0.6 week from week 2, PERT mean (1+8+3)/6 = 2 days
    assert fin.min() >= 2.2 - 1e-6 and fin.max() <= 2.6 + 1e-6
    assert_close(fin.mean(), 2.4, mean_tolerance(0.2**2 / 36 * 4, fin.size), "mean finish of a")
    assert np.all(r.sample_start_weeks[i] == 2.0)
    hours = r.hours_by_workstream[0]
    assert hours.min() >= 70 + 8 + 3 * 8 + 2 * 8 - 1e-3  # spent + remaining + b + d lows
    # risks no longer apply to the task in progress; the plan's risk still hits b and d
    assert r.plan.risks[0].tasks == ("b", "d")


def test_risks_only_for_tasks_not_started(lekhok_plan):
    a = read_weeks(ACTUALS_DIR, lekhok_plan, up_to="2025-W06")[-1]
    rp = reforecast_plan(lekhok_plan, a)
    listed = {t for r in rp.risks for t in r.tasks}
    assert "docker_backend" not in listed  # in progress
    assert "docker_frontend" in listed  # not started


def test_started_work_comes_first_in_its_workstream():
    # x and y share a workstream; the team started y (listed second) before x.
    plan = Plan(
        name="order",
        start=None,
        units="hours",
        tasks=(Task("x", "x", None, "w", Range.fixed(10.0), None), Task("y", "y", None, "w", Range.fixed(20.0), None)),
        workstreams=(Workstream("w", "w", hours_per_week=Range.fixed(10.0)),),
    )
    a = WeeklyActuals(as_of_week=1.0, tasks=(TaskActual("y", Status.IN_PROGRESS, 10.0, 0.0, None, (5.0, 5.0, 5.0)),))
    r = reforecast(plan, a, 100, 1)
    index = r.plan.task_index()
    assert [t.id for t in r.plan.tasks] == ["y", "x"]
    assert np.all(r.sample_start_weeks[index["y"]] == 1.0)
    assert np.all(r.sample_finish_weeks[index["y"]] == 1.5)  # 5 h left at 10 h/week
    assert np.all(r.sample_finish_weeks[index["x"]] == 2.5)  # then x: 10 h
    assert np.all(r.hours_by_workstream[0] == 25.0)  # 10 spent + 5 + 10


def test_re_estimated_task_not_started_uses_the_new_range(mini):
    a = state(mini, "a,done,40,0,1,,,,\nd,not_started,,,,10,10,10,\n", 1.0)
    rp = reforecast_plan(mini, a)
    d = rp.tasks[rp.task_index()["d"]]
    assert d.effort_hours == Range.fixed(80.0) and not d.calibrate
    cal = Calibration(tasks=("p", "q", "r"), estimated_hours=(1, 1, 1), actual_hours=(2, 2, 2), ratios=(2.0, 2.0, 2.0))
    rp = reforecast_plan(mini, a, cal)
    assert {t.id for t in rp.tasks if t.calibrate} == {"b"}  # not a (done), c (duration), d (re-estimated)


def test_spend_replaces_the_simulated_cost_to_date(mini):
    a = state(
        mini,
        "a,done,44,0,1.1,,,,\nb,in_progress,10,1.1,,1,2,3,\n",
        2.0,
        spend="cost,spent_to_date\neng,2000\ncloud,150\n",
    )
    plain = reforecast(mini, dataclasses.replace(a, spend=()), 4096, 2)
    r = reforecast(mini, a, 4096, 2)
    np.testing.assert_array_equal(r.finish_weeks, plain.finish_weeks)
    future_hours = plain.hours_by_workstream[0].astype(float) - 54.0
    np.testing.assert_allclose(r.cost_by_item[0], 2000.0 + 50.0 * future_hours, rtol=1e-6)
    # cloud: $300/month from b's actual start (1.1); from week 2 on it is simulated
    np.testing.assert_allclose(r.cost_by_item[1], 150.0 + 300 * 12 / 52 * (plain.finish_weeks - 2.0), rtol=1e-6)


def test_same_seed_same_numbers(lekhok_plan):
    a = read_weeks(ACTUALS_DIR, lekhok_plan)[-1]
    cal = calibration_from_actuals(lekhok_plan, a)
    assert_bitwise_equal(
        reforecast(lekhok_plan, a, 5000, 11, calibration=cal), reforecast(lekhok_plan, a, 5000, 11, calibration=cal)
    )


# ----------------------------------------------------------------------------- calibration


def test_too_little_evidence_means_no_calibration(mini):
    a = state(mini, "a,done,60,0,1.5,,,,\nb,done,48,1.5,2.7,,,,\n", 3.0)
    cal = calibration_from_actuals(mini, a)
    assert cal.n_done == 2 < MIN_DONE_FOR_CALIBRATION and not cal.applied
    assert cal.ratios == (1.5, 1.5) and cal.engine_ratios == ()
    assert cal.message.startswith("Not calibrated: 2 done tasks with an effort estimate are too little evidence")
    assert_bitwise_equal(reforecast(mini, a, 4096, 1, calibration=cal), reforecast(mini, a, 4096, 1))
    assert not calibration_from_actuals(mini, a, min_done=2, enabled=False).applied
    assert calibration_from_actuals(mini, a, min_done=2).applied


def chain_plan(n_tasks: int, capacity: float) -> Plan:
    """n effort tasks in a chain on one workstream with a fixed capacity (hours/week)."""
    rng = np.random.default_rng(2024)
    tasks = []
    for i in range(n_tasks):
        mode = float(rng.uniform(4, 12))
        tasks.append(
            Task(
                f"t{i}",
                f"t{i}",
                None,
                "w",
                Range(Dist.PERT, 0.7 * mode, mode, 1.8 * mode),
                None,
                after=(f"t{i - 1}",) if i else (),
            )
        )
    return Plan(
        name="chain",
        tasks=tuple(tasks),
        units="hours",
        hours_per_day=8.0,
        workstreams=(Workstream("w", "w", hours_per_week=Range.fixed(capacity)),),
    )


def test_calibration_recovers_a_known_bias_within_monte_carlo_error():
    """32 done tasks took a lognormal multiple (median 1.5, sigma 0.25) of their mode.

    The evidence must recover that bias (within its sampling error), and the calibrated
    forecast of the 10 remaining tasks must match the analytic expectation
    N + mean(ratios) x sum(PERT means) / capacity within Monte Carlo error.
    """
    done, left, cap, n_week = 32, 10, 10.0, 40.0
    plan = chain_plan(done + left, cap)
    rng = np.random.default_rng(99)
    sigma = 0.25
    bias = rng.lognormal(math.log(1.5), sigma, size=done)
    rows, week = [], 0.0
    for t, r in zip(plan.tasks[:done], bias):
        hours = r * t.effort_hours.mode
        rows.append(TaskActual(t.id, Status.DONE, float(hours), week, week + hours / cap))
        week += hours / cap
    assert week <= n_week
    a = WeeklyActuals(as_of_week=n_week, tasks=tuple(rows))
    cal = calibration_from_actuals(plan, a)
    assert cal.applied and cal.n_done == done
    np.testing.assert_allclose(cal.ratios, bias, rtol=1e-12)
    # the evidence recovers the bias: E[ratio] = 1.5 exp(sigma^2 / 2)
    true_mean = 1.5 * math.exp(sigma**2 / 2)
    ratio_var = (math.exp(sigma**2) - 1) * true_mean**2
    assert_close(cal.mean_ratio, true_mean, mean_tolerance(ratio_var, done), "mean ratio")

    trials = 200_000
    unc = reforecast(plan, a, trials, 3)
    calibrated = reforecast(plan, a, trials, 3, calibration=cal)
    remaining_means = sum(t.effort_hours.mean for t in plan.tasks[done:])
    for result, factor, what in ((unc, 1.0, "uncalibrated"), (calibrated, cal.mean_ratio, "calibrated")):
        f = result.finish_weeks
        expected = n_week + factor * remaining_means / cap
        assert_close(f.mean(), expected, K_SE * f.std() / math.sqrt(trials) + 1e-5, f"{what} mean finish")
    # and the calibrated forecast sits the recovered bias above the uncalibrated one
    assert (calibrated.finish_weeks.mean() - n_week) / (unc.finish_weeks.mean() - n_week) == pytest.approx(
        cal.mean_ratio, rel=5e-3
    )


def test_calibration_table_and_message(lekhok_plan):
    a = read_weeks(ACTUALS_DIR, lekhok_plan, up_to="2025-W07")[-1]
    cal = calibration_from_actuals(lekhok_plan, a)
    t = cal.table()
    assert list(t.index) == [
        "docker_cloud_learning",
        "docker_backend",
        "docker_frontend",
        "docker_compose",
        "env_config",
    ]
    assert t.loc["docker_backend", "ratio"] == pytest.approx(4.5 / (0.75 * 3.5))
    assert "Calibrated on the 5 done tasks" in str(cal)


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


# ----------------------------------------------------------------------------- the report's week


def _folder(tmp_path, weeks):
    folder = tmp_path / "actuals"
    folder.mkdir()
    for w in weeks:
        (folder / f"{w}.csv").write_text(HEADER + "docker_cloud_learning,done,15,0,0.85,,,,\n")
    return folder


def test_report_week_takes_the_latest_actuals_at_or_before_it(lekhok_plan, tmp_path):
    from lekhok_forecast.tracking.reforecast import report_week

    folder = _folder(tmp_path, ["2025-W06", "2025-W08"])
    r = report_week(lekhok_plan, "2025-W08", folder)
    assert (r.actuals_week, r.weeks_stale, r.stale, r.as_of_week) == ("2025-W08", 0, False, 3.0)
    r = report_week(lekhok_plan, "2025-W07", folder)  # a week without its own file
    assert (r.actuals_week, r.weeks_stale, r.stale, r.later_weeks) == ("2025-W06", 1, True, ("2025-W08",))
    r = report_week(lekhok_plan, "2026-W02", folder)  # across a year boundary (2025 has 52 ISO weeks)
    assert (r.actuals_week, r.weeks_stale) == ("2025-W08", 46)
    assert r.actuals_path == folder / "2025-W08.csv"
    (tmp_path / "b").mkdir()
    r = report_week(lekhok_plan, "2025-W06", _folder(tmp_path / "b", []))
    assert not r.has_actuals and r.available == ()
    assert not report_week(lekhok_plan, "2025-W06", None).has_actuals


def test_report_week_before_the_plan_start_is_an_error(lekhok_plan):
    from lekhok_forecast.errors import ForecastInputError
    from lekhok_forecast.tracking.reforecast import report_week

    with pytest.raises(
        ForecastInputError,
        match=r"^week 2025-W05 ends before the plan starts on Mon 2025-02-03;"
        r" the plan's first week is 2025-W06$",
    ):
        report_week(lekhok_plan, "2025-W05", ACTUALS_DIR)


def test_weekly_status_without_actuals_is_the_plan(lekhok_plan, tmp_path):
    from lekhok_forecast.tracking.reforecast import weekly_status

    st = weekly_status(lekhok_plan, "2025-W11", None, trials=2048, seed=4)
    assert st.update is None and st.headline_key == "plan" and st.as_of_week == 0.0 and not st.calibrated
    assert_bitwise_equal(st.headline, simulate(lekhok_plan, 2048, 4))
    assert st.history_rows == () and st.milestones_reached == {}
    assert list(st.cone["week"]) == ["plan"] and list(st.fever["week"]) == ["plan"]
    assert len(st.earned_value) == 0 and len(st.what_changed) == 0


def test_weekly_status_reads_but_never_writes_the_history(lekhok_plan, tmp_path):
    from lekhok_forecast.sources.history_file import read_history, record_weeks
    from lekhok_forecast.tracking.reforecast import weekly_status

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
