"""Calibration from the evidence of done tasks.

Calibration (`calibration_from_actuals`, the rule itself in `calibration_from_evidence`)
    The ratio actual hours / the plan's most likely hours of every *done effort task*
    (evidence-based scheduling). With at least `MIN_DONE_FOR_CALIBRATION` such tasks,
    every not-started, not re-estimated effort task is scaled in each trial by the
    calibration method's draw (`lekhok_forecast.core.ratios`, `DEFAULT_RATIO_METHOD`
    unless told otherwise): ``resample``, the first rule, draws one of the ratios per
    task; ``size-prior``, the default, a size-aware ratio, ``exp(a + b log estimate)`` times a
    smoothed residual drawn per task, times one common factor per trial shared by all of them,
    with thin evidence shrunk toward the plan's estimates (``workstream`` also shrinks each
    workstream's level toward the pooled one). Tasks in
    progress and re-estimated tasks are not scaled: their ranges are fresh estimates
    made with the same evidence. Duration tasks (calendar waits) are not scaled.
    The ratios include whatever risks struck the done tasks, and the remaining tasks'
    own risks still fire, so a risk that hit done tasks is counted both in the ratios and
    in the risk list; that leans the calibrated forecast to the safe side.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lekhok_forecast.core.actuals import WeeklyActuals
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.core.ratios import DEFAULT_RATIO_METHOD, RatioModel, fit_ratio_model, task_scale

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
    method : str
        How the evidence scales the remaining tasks (a key of
        `lekhok_forecast.core.ratios.RATIO_METHODS`).
    groups : tuple of str
        The workstream of each done task (empty: not known); the ``workstream`` method
        shrinks each one's level toward the pooled one.
    """

    tasks: tuple[str, ...] = ()
    estimated_hours: tuple[float, ...] = ()
    actual_hours: tuple[float, ...] = ()
    ratios: tuple[float, ...] = ()
    min_done: int = MIN_DONE_FOR_CALIBRATION
    enabled: bool = True
    method: str = DEFAULT_RATIO_METHOD
    groups: tuple[str, ...] = ()

    @property
    def n_done(self) -> int:
        return len(self.ratios)

    @property
    def applied(self) -> bool:
        """True when the forecast is scaled by the ratios."""
        return self.enabled and self.n_done >= self.min_done

    @property
    def model(self) -> RatioModel | None:
        """The fitted ratio model the engine draws from (None when not applied)."""
        if not self.applied:
            return None
        return _fitted(self.method, self.estimated_hours, self.ratios, self.groups or None)

    @property
    def engine_ratios(self) -> tuple[float, ...]:
        """What each calibrated task draws one of (empty when not applied): the ratios
        themselves for ``resample``, the model's residual multipliers otherwise."""
        model = self.model
        return model.ratios if model is not None else ()

    @property
    def engine_sigma(self) -> float:
        """Log-scale spread of the common factor of the calibrated tasks (0 when not applied)."""
        model = self.model
        return model.sigma if model is not None else 0.0

    def task_scale(self, estimate_hours: float, workstream: str | None = None) -> float:
        """The multiplier of a calibrated task of this most likely effort (hours) and workstream, before its draws."""
        model = self.model
        if model is None or estimate_hours <= 0:  # (a zero estimate has no size to scale by)
            return 1.0
        return float(task_scale(model, [estimate_hours], None if workstream is None else [workstream])[0])

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
        head = (
            f"Calibrated on the {self.n_done} done tasks with effort estimates: they took {self.mean_ratio:.2f}x their most"
            f" likely effort on average (median {self.median_ratio:.2f}x, range"
            f" {min(self.ratios):.2f}-{max(self.ratios):.2f}x);"
        )
        model = self.model
        assert model is not None  # applied
        if model.method == "resample":
            return head + " each trial scales every task not yet started by one of these ratios drawn at random."
        how = " each trial scales every task not yet started by a ratio drawn for it"
        if model.scales_by_size:
            how += (
                " (larger for small tasks)" if model.slope < 0 else " (larger for big tasks)" if model.slope > 0 else ""
            )
        if model.group_offsets:
            levels = ", ".join(f"{g} x{math.exp(d):.2f}" for g, d in model.group_offsets)
            how += (
                f", by its workstream's level against all workstreams together ({levels}; shrunk toward"
                " x1 the fewer done tasks it has)"
            )
        if model.sigma > 0:
            how += (
                f" and by one factor shared by all of them (a spread of {model.sigma:.2f} on the log scale),"
                " as done work shows that overruns come together"
            )
        return head + how + "."

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
    plan: Plan,
    actuals: WeeklyActuals | None,
    *,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    enabled: bool = True,
    method: str = DEFAULT_RATIO_METHOD,
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
    method : str
        How the evidence scales the remaining tasks (`lekhok_forecast.core.ratios.RATIO_METHODS`).
    """
    tasks, est, act, groups = [], [], [], []
    rows = actuals.by_task() if actuals is not None else {}
    for t in plan.tasks:
        a = rows.get(t.id)
        if a is None or not a.done or t.workstream is None or t.effort_hours is None:
            continue  # (an effort task, one with a workstream, always has effort_hours)
        tasks.append(t.id)
        est.append(float(t.effort_hours.mode))
        act.append(float(a.hours_to_date))
        groups.append(t.workstream)
    return calibration_from_evidence(tasks, est, act, min_done=min_done, enabled=enabled, method=method, groups=groups)


def calibration_from_evidence(
    tasks: Sequence[str],
    estimated_hours: Sequence[float],
    actual_hours: Sequence[float],
    *,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    enabled: bool = True,
    method: str = DEFAULT_RATIO_METHOD,
    groups: Sequence[str] | None = None,
) -> Calibration:
    """The calibration rule on finished work: ``ratio = actual / estimated`` per task.

    The one home of the rule, called by `calibration_from_actuals` (the weekly re-forecast)
    and by the backtest (`lekhok_forecast.tracking.backtest`). A task estimated at zero hours
    or less gives no ratio and is left out.

    Parameters
    ----------
    tasks : sequence of str
        Task ids (labels only).
    estimated_hours, actual_hours : sequence of float
        Most likely estimate and actual effort of each done task (hours, or any one unit).
    min_done : int
        Ratios needed before the forecast is calibrated.
    enabled : bool
        False: report the evidence but never apply it.
    method : str
        A key of `lekhok_forecast.core.ratios.RATIO_METHODS`.
    groups : sequence of str, optional
        The group (workstream) of each done task, for the ``workstream`` method.
    """
    labels = [""] * len(tasks) if groups is None else list(groups)
    keep = [
        (t, float(e), float(a), g)
        for t, e, a, g in zip(tasks, estimated_hours, actual_hours, labels, strict=True)
        if e > 0
    ]
    return Calibration(
        tuple(k[0] for k in keep),
        tuple(k[1] for k in keep),
        tuple(k[2] for k in keep),
        tuple(k[2] / k[1] for k in keep),
        int(min_done),
        bool(enabled),
        method,
        tuple(k[3] for k in keep) if groups is not None else (),
    )


@functools.lru_cache(maxsize=64)
def _fitted(
    method: str, estimates: tuple[float, ...], ratios: tuple[float, ...], groups: tuple[str, ...] | None
) -> RatioModel:
    # A weekly update asks for the same calibration's model several times.
    return fit_ratio_model(method, estimates, ratios, groups)
