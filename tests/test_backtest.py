"""The backtest: windows, the re-forecast's own calibration rule, known answers, the command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lekhok_forecast.cli import main
from lekhok_forecast.core.ratios import resampled_ratios
from lekhok_forecast.tracking.backtest import DEFAULT_METHOD, METHODS, backtest, horizon_samples, windows
from lekhok_forecast.tracking.calibration import calibration_from_evidence


def iid_history(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Tasks whose log(actual / estimate) are independent N(0, 0.5): the old method's world."""
    rng = np.random.default_rng(seed)
    est = rng.uniform(1, 10, n)
    return est, est * np.exp(rng.normal(0, 0.5, n))


def shifted_history(groups: int, k: int, m: int, seed: int = 5):
    """One window per group; the future's level differs from the history's by N(0, 0.25) (log)."""
    rng = np.random.default_rng(seed)
    est, act, labels = [], [], []
    for g in range(groups):
        past = rng.normal(0, 0.3)
        future = past + rng.normal(0, 0.25)
        e = rng.uniform(1, 10, k + m)
        level = np.r_[np.full(k, past), np.full(m, future)]
        est += list(e)
        act += list(e * np.exp(level + rng.normal(0, 0.6, k + m)))
        labels += [f"g{g}"] * (k + m)
    return np.array(est), np.array(act), labels


def test_windows_step_by_the_horizon():
    w = windows([np.arange(12), np.arange(100, 103)], 5, 3)
    assert [(h.tolist(), f.tolist()) for h, f in w] == [
        ([0, 1, 2, 3, 4], [5, 6, 7]),
        ([3, 4, 5, 6, 7], [8, 9, 10]),
    ]  # the second group is too short


def test_resample_is_the_reforecast_rule():
    est, act = np.array([2.0, 4.0, 5.0, 0.0]), np.array([3.0, 2.0, 5.0, 1.0])
    future = np.array([1.0, 10.0])
    got = horizon_samples("resample", est, act, future, 500, np.random.default_rng(3))
    cal = calibration_from_evidence(["a", "b", "c", "d"], est, act, method="resample")
    assert cal.ratios == (1.5, 0.5, 1.0)  # the zero estimate gives no ratio
    u = np.random.default_rng(3).integers(0, 65536, (2, 500), dtype=np.uint16)
    want = future @ resampled_ratios(np.asarray(cal.engine_ratios, np.float32), u).astype(np.float64)
    np.testing.assert_array_equal(got, want)
    # too little evidence: the plain sum of estimates, as the re-forecast does
    for name in METHODS:
        assert horizon_samples(name, est[:2], act[:2], future, 10, np.random.default_rng(0)).tolist() == [11.0] * 10


def test_old_method_is_honest_on_independent_tasks():
    est, act = iid_history(8000)
    s = backtest(est, act, history=100, horizon=5, method="resample").scores
    assert s.windows == 1580
    assert all(c.honest for c in s.coverage), [c.covered for c in s.coverage]
    assert s.pit_chi_square < 16.9
    assert s.pinball < s.pinball_estimates


def test_old_method_fails_on_a_level_shift_and_the_shared_factor_holds():
    est, act, labels = shifted_history(600, 20, 10)
    old = backtest(est, act, labels=labels, history=20, horizon=10, method="resample").scores
    new = backtest(est, act, labels=labels, history=20, horizon=10, method="level").scores
    assert old.windows == new.windows == 600
    p50, p80, p90 = old.coverage
    assert p80.covered < p80.nominal_interval[0] and p90.covered < p90.nominal_interval[0]  # tails too thin
    assert old.pit_chi_square > 100
    assert all(c.honest for c in new.coverage), [c.covered for c in new.coverage]
    assert new.pit_chi_square < 16.9 and new.pinball < old.pinball


def test_same_seed_same_scores_and_every_method_runs():
    est, act = iid_history(300)
    a = backtest(est, act, history=10, horizon=5, seed=4)
    assert a.method == DEFAULT_METHOD == "size-prior"
    assert a == backtest(est, act, history=10, horizon=5, seed=4)
    for name in METHODS:
        s = backtest(est, act, history=10, horizon=5, method=name, trials=200).scores
        assert s.windows == 58 and np.isfinite(s.pinball)
    with pytest.raises(ValueError, match="unknown method"):
        backtest(est, act, method="nope")


def write_history(path, n=120):
    est, act = iid_history(n, seed=2)
    rows = [f"{e:.3f},{a:.3f},{'ab'[i % 2]},2024-01-{1 + i % 28:02d}" for i, (e, a) in enumerate(zip(est, act))]
    path.write_text("estimate,actual,person,finish\n" + "\n".join(rows) + "\n")
    return path


def test_command_text_and_json(tmp_path, capsys):
    f = write_history(tmp_path / "h.csv")
    assert main(["backtest", str(f), "--by", "person", "--history", "10", "--horizon", "5"]) == 0
    out = capsys.readouterr().out
    assert f"(by person): 10 done tasks forecast the total of the next 5; method {DEFAULT_METHOD}" in out
    assert "P80 covered" in out and "PIT chi-square against flat" in out and "Pinball loss" in out
    assert main(["backtest", str(f), "--by", "person", "--method", "level", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["method"] == "level" and d["by"] == "person" and d["history"] == 10 and d["horizon"] == 5
    assert set(d["coverage"]) == {"p50", "p80", "p90"} and len(d["pit_counts"]) == 10
    assert {"pit_chi_square", "pinball", "pinball_sum_of_estimates", "windows", "history_file"} <= set(d)
    # by person: windows of one person are alike, so the verdicts allow for it (and say so)
    assert "allowing for windows of one group alike, design effect" in out
    p80 = d["coverage"]["p80"]
    assert p80["design_effect"] >= 1 and {"clustered_interval", "honest_clustered"} <= set(p80)
    assert d["pit_chi_square_clustered"] == pytest.approx(d["pit_chi_square"] / d["pit_design_effect"])


def test_windows_of_one_group_share_a_cluster():
    """Each group drifts its own way, so all its windows miss alike: the design effect says so."""
    rng = np.random.default_rng(8)
    est, act, labels = [], [], []
    for g in range(60):
        e = rng.uniform(1, 10, 60)
        trend = rng.normal(0, 0.05)  # log ratio per task: every future of the group above (or below) its past
        est += list(e)
        act += list(e * np.exp(trend * np.arange(60) + rng.normal(0, 0.3, 60)))
        labels += [f"g{g}"] * 60
    est_a, act_a = np.array(est), np.array(act)
    r = backtest(est_a, act_a, labels=labels, history=10, horizon=5, method="resample", trials=300)
    assert r.scores.windows == 60 * 10 and r.scores.pit_design_effect > 2
    assert r.scores.pit_chi_square_clustered < r.scores.pit_chi_square
    iid = backtest(*iid_history(3000), labels=[f"g{i // 50}" for i in range(3000)], method="resample", trials=300)
    assert iid.scores.pit_design_effect < 1.3  # no shared drift: close to independent


def test_command_with_too_few_tasks_says_so(tmp_path, capsys):
    f = write_history(tmp_path / "h.csv", n=8)
    assert main(["backtest", str(f), "--history", "10"]) == 0
    assert "No window to score" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("estimate,actual\n1,x\n", [], "h.csv:2: actual: expected a number, got 'x'"),
        ("estimate,actual\n1,2\n", ["--by", "person"], "h.csv:1: no label column 'person' to group by"),
        ("estimate,actual\n1,2\n", ["--method", "levl"], "--method: unknown method 'levl' (did you mean 'level'?)"),
    ],
)
def test_command_bad_input_is_one_line_exit_2(tmp_path, capsys, text, args, message):
    f = tmp_path / "h.csv"
    f.write_text(text)
    assert main(["backtest", str(f), *args]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.count("\n") == 1 and message in cap.err
