"""Write a benchmark network (`networks.py`) as a plan file, for whole-process benchmarks.

    python benchmarks/plan_yaml.py net100 net100.yaml

`plan_text(plan)` gives the plan file (units hours; durations per range in weeks); reading
it back with `lekhok_forecast.sources.plan_file.load_plan` gives the same tasks, ranges,
workstreams, risks, milestones and costs (`same_plan` checks it, and `write` refuses a
file that does not read back as the network it was made from).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import networks  # noqa: E402

from lekhok_forecast.core.distributions import Dist, Range  # noqa: E402
from lekhok_forecast.core.plan import Plan  # noqa: E402
from lekhok_forecast.sources.plan_file import load_plan  # noqa: E402


def _range(r: Range, unit: str | None = None) -> Any:
    if not r.is_random:
        value: Any = float(r.low)
        return {"low": value, "high": value, "unit": unit} if unit else value
    if r.dist in (Dist.PERT, Dist.TRIANGULAR):
        out: dict[str, Any] = {"low": r.low, "mode": r.mode, "high": r.high}
        if r.dist is Dist.TRIANGULAR:
            out["dist"] = "triangular"
    else:
        out = {"low": r.low, "high": r.high}
        if r.dist is Dist.LOGNORMAL:
            out["dist"] = "lognormal"
    if unit:
        out["unit"] = unit
    return out


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The plan file's content (a mapping ready for ``yaml.safe_dump``)."""
    d: dict[str, Any] = {"name": plan.name, "units": "hours", "hours_per_day": plan.hours_per_day}
    if plan.deadlines:
        d["deadlines"] = list(plan.deadlines)
    if plan.team_hours_per_week is not None:
        d["team_hours_per_week"] = _range(plan.team_hours_per_week)
    if plan.phases:
        d["phases"] = [{"name": p.name} for p in plan.phases]
    d["workstreams"] = {
        w.id: {
            "name": w.name,
            **({"share": w.share} if w.share is not None else {"hours_per_week": _range(w.hours_per_week)}),
        }  # type: ignore[arg-type]
        for w in plan.workstreams
    }
    tasks = []
    for t in plan.tasks:
        row: dict[str, Any] = {"id": t.id, "name": t.name}
        if t.phase:
            row["phase"] = t.phase
        if t.workstream:
            row["workstream"] = t.workstream
            row["effort"] = _range(t.effort_hours)  # type: ignore[arg-type]
        else:
            row["duration"] = _range(t.duration_weeks, "weeks")  # type: ignore[arg-type]
        row["after"] = list(t.after)
        tasks.append(row)
    d["tasks"] = tasks
    risks = []
    for r in plan.risks:
        row = {"id": r.id, "name": r.name, "probability": r.probability, "tasks": list(r.tasks)}
        if r.effort_hours is not None:
            row["effort"] = _range(r.effort_hours)
        if r.duration_weeks is not None:
            row["duration"] = _range(r.duration_weeks, "weeks")
        risks.append(row)
    if risks:
        d["risks"] = risks
    if plan.milestones:
        d["milestones"] = [
            {"id": m.id, "name": m.name, "tasks": list(m.tasks), "target_week": m.target_week} for m in plan.milestones
        ]
    costs = []
    for c in plan.costs:
        row = {"id": c.id, "name": c.name}
        if c.per_month is not None:
            row["per_month"] = _range(c.per_month)
        else:
            row["per_hour"] = _range(c.per_hour)  # type: ignore[arg-type]
        if c.from_task:
            row["from_task"] = c.from_task
        if c.workstreams:
            row["workstreams"] = list(c.workstreams)
        costs.append(row)
    if costs:
        d["costs"] = costs
    return d


def plan_text(plan: Plan) -> str:
    """The plan as a plan file's text."""
    return yaml.safe_dump(plan_dict(plan), sort_keys=False, width=200)


def same_plan(a: Plan, b: Plan) -> bool:
    """The same plan but for its source file name and units (ranges are compared in hours/weeks)."""
    keep = ("tasks", "workstreams", "risks", "milestones", "costs", "team_hours_per_week", "deadlines", "phases")
    return all(_close(getattr(a, k), getattr(b, k)) for k in keep)


def _num_close(p: float, q: float) -> bool:
    return abs(float(p) - float(q)) <= 1e-9 * max(1.0, abs(float(p)))


def _close(x: Any, y: Any) -> bool:
    if isinstance(x, Range) and isinstance(y, Range):
        if x.is_random != y.is_random:
            return False
        if not x.is_random:
            return _num_close(x.low, y.low)
        with_mode = x.dist in (Dist.PERT, Dist.TRIANGULAR)
        pairs = [(x.low, y.low), (x.high, y.high)] + ([(x.mode, y.mode)] if with_mode else [])
        return x.dist is y.dist and all(_num_close(p, q) for p, q in pairs)
    if dataclasses.is_dataclass(x) and dataclasses.is_dataclass(y) and type(x) is type(y):
        return all(_close(getattr(x, f.name), getattr(y, f.name)) for f in dataclasses.fields(x) if f.name != "notes")
    if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
        return len(x) == len(y) and all(_close(p, q) for p, q in zip(x, y))
    if isinstance(x, float) and isinstance(y, (int, float)):
        return _num_close(x, y)
    return bool(x == y)


def write(name: str, path: str | Path) -> Path:
    """Write network `name` to `path`; raise if the file does not read back as the network."""
    plan = networks.build(name)
    p = Path(path)
    p.write_text(plan_text(plan), encoding="utf-8")
    if not same_plan(plan, load_plan(p)):
        raise SystemExit(f"{p}: the plan file does not read back as network {name!r}")
    return p


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python benchmarks/plan_yaml.py NETWORK OUT.yaml")
    print(write(sys.argv[1], sys.argv[2]))
