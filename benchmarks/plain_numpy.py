"""The plain NumPy forecast a user would write, as the start-up baseline of benchmarks/startup.py.

    python benchmarks/plain_numpy.py PLAN.yaml TRIALS

yaml.safe_load, one rng.beta (PERT) or rng.uniform call per task and workstream, a forward
pass over the dependencies, percentiles, one JSON line. It ignores what a quick script
would ignore (workstreams doing one task at a time, risks, costs, calibration), so it is a
floor for the start-up and the per-task work, not an equal forecast.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import yaml


def pert(rng: np.random.Generator, low: float, mode: float, high: float, n: int) -> np.ndarray:
    if high <= low:
        return np.full(n, float(low))
    a = 1 + 4 * (mode - low) / (high - low)
    b = 1 + 4 * (high - mode) / (high - low)
    return low + (high - low) * rng.beta(a, b, n)


def draw(rng: np.random.Generator, r, n: int) -> np.ndarray:
    if not isinstance(r, dict):
        return np.full(n, float(r))
    low, high = float(r["low"]), float(r["high"])
    if "mode" in r:
        return pert(rng, low, float(r["mode"]), high, n)
    return rng.uniform(low, high, n)


def main() -> None:
    path, trials = sys.argv[1], int(float(sys.argv[2]))
    plan = yaml.safe_load(open(path, encoding="utf-8"))
    rng = np.random.default_rng(1)
    hours_per_day = float(plan.get("hours_per_day", 8))
    team = plan.get("team_hours_per_week")
    capacity = {}
    for wid, w in (plan.get("workstreams") or {}).items():
        if "share" in w:
            capacity[wid] = draw(rng, team, trials) * float(w["share"])
        else:
            capacity[wid] = draw(rng, w["hours_per_week"], trials)
    finish: dict[str, np.ndarray] = {}
    for t in plan["tasks"]:  # file order is a topological order in these plans
        start = np.zeros(trials)
        for p in t.get("after") or []:
            start = np.maximum(start, finish[p])
        if t.get("workstream"):
            effort = draw(rng, t["effort"], trials)
            unit = t["effort"].get("unit", plan.get("units", "days")) if isinstance(t["effort"], dict) else "days"
            hours = effort * {"hours": 1.0, "days": hours_per_day, "weeks": 5 * hours_per_day}[unit]
            weeks = hours / capacity[t["workstream"]]
        else:
            weeks = draw(rng, t["duration"], trials) / 5.0
        finish[t["id"]] = start + weeks
    end = np.max(np.vstack(list(finish.values())), axis=0)
    p = np.percentile(end, [10, 50, 80, 90])
    print(json.dumps({"p10": p[0], "p50": p[1], "p80": p[2], "p90": p[3]}))


if __name__ == "__main__":
    main()
