"""Schedule analyses: the finish distribution, deadlines, phases and milestones."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lekhok_forecast.analysis.ranks import sorted_percentiles
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import week_label

if TYPE_CHECKING:
    import pandas as pd

PERCENTILES = (10, 50, 80, 90, 95)


def mc_standard_error(p: float, trials: int) -> float:
    """Binomial standard error of a probability estimated from `trials` trials."""
    return float(np.sqrt(max(p * (1 - p), 0.0) / trials))


def p_finish_by(result: SimulationResult, week: float) -> float:
    """Probability that the project finishes by `week` (weeks from start)."""
    return float(np.mean(result.finish_weeks <= week))


def finish_percentiles(result: SimulationResult, percentiles: Sequence[int] = PERCENTILES) -> dict[int, float]:
    """Exact empirical percentiles (linear interpolation) of the finish week."""
    values = sorted_percentiles(result.sorted_finish_weeks, percentiles)
    return {int(p): float(v) for p, v in zip(percentiles, values)}


@dataclass(frozen=True)
class FinishSummary:
    """The finish-date distribution in numbers.

    Attributes
    ----------
    mean_weeks, std_weeks : float
    percentiles_weeks : dict
        Percentile (10, 50, 80, 90, 95) -> finish week.
    percentile_dates : dict
        Percentile -> calendar date (empty without a plan start date).
    p_finish_by : dict
        Deadline label ("12") -> P(finish <= deadline).
    p_between : dict
        ``"14-16"`` style label -> P(a <= finish <= b) for consecutive deadline pairs.
    trials : int
    """

    mean_weeks: float
    std_weeks: float
    percentiles_weeks: dict[int, float]
    percentile_dates: dict[int, _dt.date | None]
    p_finish_by: dict[str, float]
    p_between: dict[str, float]
    trials: int

    def __str__(self) -> str:
        ps = ", ".join(f"P{p} {w:.1f}" for p, w in self.percentiles_weeks.items())
        by = ", ".join(f"P(<= {k} wk) {v:.0%}" for k, v in self.p_finish_by.items())
        return f"finish: mean {self.mean_weeks:.1f} +/- {self.std_weeks:.1f} weeks; {ps}; {by}"


def finish_summary(result: SimulationResult, deadlines: Iterable[float] | None = None) -> FinishSummary:
    """Summarise the finish distribution.

    Parameters
    ----------
    result : SimulationResult
    deadlines : sequence of float, optional
        Weeks to report P(finish <= week) for (default: the plan's deadlines).
    """
    plan = result.plan
    deadlines = plan.deadlines if deadlines is None else tuple(deadlines)
    f = result.finish_weeks
    pct = finish_percentiles(result)
    dates = {p: plan.date_of_week(w) for p, w in pct.items()} if plan.start else {}
    by = {week_label(d): p_finish_by(result, d) for d in deadlines}
    ds = sorted(deadlines)
    between = {f"{week_label(a)}-{week_label(b)}": float(np.mean((f >= a) & (f <= b))) for a, b in zip(ds, ds[1:])}
    return FinishSummary(
        float(f.mean()), float(f.std(ddof=1)) if f.size > 1 else 0.0, pct, dates, by, between, result.trials
    )


def percentile_table(result: SimulationResult, percentiles: Sequence[int] = PERCENTILES) -> pd.DataFrame:
    """Finish percentiles as a table: week and (with a start date) calendar date."""
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    pct = finish_percentiles(result, percentiles)
    rows = []
    for p, w in pct.items():
        row = {"percentile": f"P{p}", "finish_week": w}
        if result.plan.start:
            row["date"] = result.plan.date_of_week(w)
        rows.append(row)
    return pd.DataFrame(rows).set_index("percentile")


def deadline_table(result: SimulationResult, deadlines: Iterable[float] | None = None) -> pd.DataFrame:
    """P(finish <= week) for each deadline with its Monte Carlo standard error."""
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    plan = result.plan
    deadlines = plan.deadlines if deadlines is None else tuple(deadlines)
    rows = []
    for d in deadlines:
        p = p_finish_by(result, d)
        row: dict[str, Any] = {"deadline_week": d, "p_finish_by": p, "mc_error": mc_standard_error(p, result.trials)}
        if plan.start:
            row["date"] = plan.date_of_week(d)
        rows.append(row)
    return pd.DataFrame(rows)


def cdf_curve(result: SimulationResult, points: int = 200) -> pd.DataFrame:
    """The empirical CDF of the finish week on an even grid (for plots)."""
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    f = np.sort(result.finish_weeks)
    grid = np.linspace(f[0], f[-1], points)
    return pd.DataFrame({"week": grid, "p_finish_by": np.searchsorted(f, grid, side="right") / f.size})


def cdf_median(cdf: pd.DataFrame) -> float:
    """The median finish week read off a `cdf_curve` (linear interpolation at 0.5), in weeks."""
    return float(np.interp(0.5, cdf["p_finish_by"], cdf["week"]))


def phase_table(result: SimulationResult) -> pd.DataFrame:
    """Each phase's simulated P50/P80 end beside the report's original and realistic ends.

    Columns: ``original_end_week``, ``p_by_original`` (confidence of that end),
    ``realistic_end_week``, ``p_by_realistic``, ``p50_week``, ``p80_week``.
    """
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    plan = result.plan
    names = plan.phase_names()
    declared = {p.name: p for p in plan.phases}
    rows = []
    for i, name in enumerate(names):
        ends = result.phase_end_weeks[i]
        ph = declared.get(name)
        row: dict[str, Any] = {"phase": name}
        for key in ("original_end_week", "realistic_end_week"):
            week = getattr(ph, key) if ph else None
            row[key] = week
            row["p_by_" + key.split("_")[0]] = float(np.mean(ends <= week)) if week is not None else np.nan
        row["p50_week"], row["p80_week"] = (float(x) for x in np.percentile(ends, [50, 80]))
        rows.append(row)
    columns = [
        "phase",
        "original_end_week",
        "p_by_original",
        "realistic_end_week",
        "p_by_realistic",
        "p50_week",
        "p80_week",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("phase")


def traffic_light(p: float) -> str:
    """``green`` (>= 80%), ``amber`` (>= 50%) or ``red`` for a probability of being on time."""
    return "green" if p >= 0.8 else "amber" if p >= 0.5 else "red"


def milestone_rows(result: SimulationResult) -> list[dict[str, Any]]:
    """Milestone odds, one dict per milestone: ``milestone, name, target_week, p_on_time,
    p50_week, p80_week, status`` (a traffic light) and, with a start date, ``p80_date``."""
    plan = result.plan
    rows = []
    for i, m in enumerate(plan.milestones):
        w = result.milestone_weeks[i]
        p = float(np.mean(w <= m.target_week))
        # sorting once, then reading both percentiles off it, is faster than np.percentile
        p50, p80 = (float(x) for x in sorted_percentiles(np.sort(w), (50, 80)))
        row: dict[str, Any] = {
            "milestone": m.id,
            "name": m.name,
            "target_week": m.target_week,
            "p_on_time": p,
            "p50_week": p50,
            "p80_week": p80,
            "status": traffic_light(p),
        }
        if plan.start:
            row["p80_date"] = plan.date_of_week(row["p80_week"])
        rows.append(row)
    return rows


def milestone_table(result: SimulationResult) -> pd.DataFrame:
    """Milestone odds (`milestone_rows`) as a table indexed by milestone id."""
    import pandas as pd  # only for tables: `simulate --json` does not import pandas

    rows = milestone_rows(result)
    return pd.DataFrame(rows).set_index("milestone") if rows else pd.DataFrame()


def milestone_reached_on_time(reached_week: float, target_week: float) -> bool:
    """Whether a milestone reached in `reached_week` met its `target_week` (weeks from start).

    The one rule for "reached on time" / "reached late": on time up to and including the
    target week.
    """
    return float(reached_week) <= float(target_week)


#: Status words of a reached milestone (an open one has its `traffic_light`): the same in the
#: PDFs and in ``summary.json``.
REACHED_ON_TIME, REACHED_LATE = "reached on time", "reached late"


def reached_status(reached_week: float, target_week: float) -> str:
    """``reached on time`` or ``reached late`` (`milestone_reached_on_time`)."""
    return REACHED_ON_TIME if milestone_reached_on_time(reached_week, target_week) else REACHED_LATE
