"""Calibration from the evidence of done tasks.

Calibration (`calibration_from_actuals`)
    The ratio actual hours / the plan's most likely hours of every *done effort task*
    (evidence-based scheduling). With at least `MIN_DONE_FOR_CALIBRATION` such tasks, each
    trial scales every not-started, not re-estimated effort task by a ratio drawn
    uniformly from that list (one draw per task per trial, by the engine). Tasks in
    progress and re-estimated tasks are not scaled: their ranges are fresh estimates
    made with the same evidence. Duration tasks (calendar waits) are not scaled.
    The ratios include whatever risks struck the done tasks, and the remaining tasks'
    own risks still fire, so a risk that hit done tasks is counted both in the ratios and
    in the risk list; that leans the calibrated forecast to the safe side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lekhok_forecast.core.actuals import WeeklyActuals
from lekhok_forecast.core.plan import Plan

#: Fewer done effort tasks than this: no calibration (too little evidence).
MIN_DONE_FOR_CALIBRATION = 3


# ----------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibration:
    """Evidence from done tasks: actual / most likely effort.

    Attributes
    ----------
    tasks : tuple of str
        Done effort tasks, in plan order.
    estimated_hours, actual_hours : tuple of float
        The plan's most likely effort (hours, risks not included) and the actual hours.
    ratios : tuple of float
        ``actual_hours / estimated_hours`` per task.
    min_done : int
        Evidence needed to calibrate.
    enabled : bool
        False when calibration was switched off by the caller.
    """

    tasks: tuple[str, ...] = ()
    estimated_hours: tuple[float, ...] = ()
    actual_hours: tuple[float, ...] = ()
    ratios: tuple[float, ...] = ()
    min_done: int = MIN_DONE_FOR_CALIBRATION
    enabled: bool = True

    @property
    def n_done(self) -> int:
        return len(self.ratios)

    @property
    def applied(self) -> bool:
        """True when the forecast is scaled by the ratios."""
        return self.enabled and self.n_done >= self.min_done

    @property
    def engine_ratios(self) -> tuple[float, ...]:
        """The ratios handed to the engine (empty when not applied)."""
        return self.ratios if self.applied else ()

    @property
    def mean_ratio(self) -> float:
        return float(np.mean(self.ratios)) if self.ratios else math.nan

    @property
    def median_ratio(self) -> float:
        return float(np.median(self.ratios)) if self.ratios else math.nan

    @property
    def message(self) -> str:
        """One sentence for the report."""
        if not self.enabled:
            return "Calibration is switched off; the forecast uses the plan's estimates."
        if not self.applied:
            return (
                f"Not calibrated: {self.n_done} done task{'s' if self.n_done != 1 else ''} with an effort"
                f" estimate {'is' if self.n_done == 1 else 'are'} too little evidence (calibration starts at {self.min_done}); the forecast"
                " uses the plan's estimates."
            )
        return (
            f"Calibrated on the {self.n_done} done tasks with effort estimates: they took {self.mean_ratio:.2f}x their most"
            f" likely effort on average (median {self.median_ratio:.2f}x, range"
            f" {min(self.ratios):.2f}-{max(self.ratios):.2f}x); each trial scales every task not yet"
            " started by one of these ratios drawn at random."
        )

    def table(self) -> pd.DataFrame:
        """One row per done effort task: estimated (mode) and actual hours, ratio."""
        return pd.DataFrame(
            {
                "task": list(self.tasks),
                "estimated_hours": list(self.estimated_hours),
                "actual_hours": list(self.actual_hours),
                "ratio": list(self.ratios),
            }
        ).set_index("task")

    def __str__(self) -> str:
        return self.message


def calibration_from_actuals(
    plan: Plan, actuals: WeeklyActuals | None, *, min_done: int = MIN_DONE_FOR_CALIBRATION, enabled: bool = True
) -> Calibration:
    """Actual / most likely effort of every done effort task (see the module docstring).

    Parameters
    ----------
    plan : Plan
        The original plan (its estimates are the reference).
    actuals : WeeklyActuals or None
    min_done : int
        Done effort tasks needed before the forecast is calibrated.
    enabled : bool
        False: report the evidence but never apply it.
    """
    tasks, est, act, ratios = [], [], [], []
    rows = actuals.by_task() if actuals is not None else {}
    for t in plan.tasks:
        a = rows.get(t.id)
        if a is None or not a.done or t.workstream is None or t.effort_hours is None:
            continue  # (an effort task, one with a workstream, always has effort_hours)
        mode = t.effort_hours.mode
        if mode <= 0:
            continue
        tasks.append(t.id)
        est.append(float(mode))
        act.append(float(a.hours_to_date))
        ratios.append(float(a.hours_to_date) / float(mode))
    return Calibration(tuple(tasks), tuple(est), tuple(act), tuple(ratios), int(min_done), bool(enabled))
