"""The headline numbers as one JSON-ready dict, shared by `simulate --json` and reports."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from lekhok_forecast.analysis.budget import cost_summary
from lekhok_forecast.analysis.buffers import buffer_summary
from lekhok_forecast.analysis.drivers import risk_drivers, spearman_sensitivity
from lekhok_forecast.analysis.headline import headline_numbers
from lekhok_forecast.analysis.schedule import PERCENTILES, finish_summary, milestone_rows
from lekhok_forecast.core.engine import SimulationResult


def _r(x: float, digits: int = 6) -> float:
    return float(round(float(x), digits))


def summary_dict(result: SimulationResult, deadlines: Iterable[float] | None = None) -> dict[str, Any]:
    """Headline numbers with the keys documented for ``simulate --json``.

    Sections the plan has no data for (milestones, buffer, cost) are omitted. Keys of
    ``p_finish_by`` and ``joint_p_by`` are the deadline weeks as written ("12", "1.5").
    """
    plan = result.plan
    deadlines = plan.deadlines if deadlines is None else tuple(deadlines)
    fs = finish_summary(result, deadlines)
    h = headline_numbers(result, deadlines, PERCENTILES)
    out: dict[str, Any] = {"plan": plan.name, "trials": result.trials, "seed": result.seed}
    fw = {"mean": _r(h["mean"]), "std": _r(fs.std_weeks)}
    fw.update({f"p{p}": _r(h[f"p{p}"]) for p in PERCENTILES})
    out["finish_weeks"] = fw
    if plan.start:
        out["start"] = plan.start.isoformat()
        # (a date is None only for a non-finite week, which finite finish weeks never give)
        out["finish_dates"] = {
            f"p{p}": d.isoformat() if d is not None else None for p, d in fs.percentile_dates.items()
        }
    out["p_finish_by"] = {k[len("p_by_") :]: _r(v) for k, v in h.items() if k.startswith("p_by_")}
    if fs.p_between:
        out["p_between"] = {k: _r(v) for k, v in fs.p_between.items()}
    if plan.milestones:
        out["milestones"] = {
            row["milestone"]: {
                "target_week": row["target_week"],
                "p_on_time": _r(row["p_on_time"]),
                "p50_week": _r(row["p50_week"]),
                "p80_week": _r(row["p80_week"]),
                "status": row["status"],
            }
            for row in milestone_rows(result)
        }
    sens = spearman_sensitivity(result)
    out["tasks"] = {
        t.id: {"criticality": _r(result.task_criticality[i]), "sensitivity": _r(sens[i])}
        for i, t in enumerate(plan.tasks)
    }
    rd = risk_drivers(result)
    if rd.ids:
        out["risks"] = {
            rid: {
                "sensitivity": _r(rd.sensitivity[i]),
                "fire_rate": _r(rd.fire_rate[i]),
                "mean_delay_weeks": _r(rd.mean_delay_weeks[i]) if math.isfinite(rd.mean_delay_weeks[i]) else None,
            }
            for i, rid in enumerate(rd.ids)
        }
    if plan.baseline_weeks is not None:
        b = buffer_summary(result)
        out["buffer"] = {
            "baseline_weeks": b.baseline_weeks,
            "buffer": b.buffer,
            "buffered_weeks": _r(b.buffered_weeks),
            "p_within_buffer": _r(h["p_within_buffer"]),
            "needed_for_p80": _r(b.needed_for_p80),
            "needed_for_p90": _r(b.needed_for_p90),
            "rsem_weeks": _r(b.rsem_weeks),
        }
    if plan.costs:
        c = cost_summary(result, deadlines)
        cost = {
            "currency": plan.currency,
            "mean": _r(c.mean, 2),
            "p50": _r(c.p50, 2),
            "p80": _r(c.p80, 2),
            "p90": _r(c.p90, 2),
        }
        if c.p_within_budget is not None:  # the plan has a budget
            cost.update(
                {
                    "budget": plan.budget,
                    "p_within_budget": _r(c.p_within_budget),
                    "joint_p_by": {k: _r(v) for k, v in c.joint_p_by.items()},
                }
            )
        out["cost"] = cost
    return out


def strict_json(value: Any) -> Any:
    """`value` with NaN and infinities as None, so that it prints as strict JSON
    (``summary.json`` and ``simulate --json`` print the same)."""
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
