"""The as-of state of a re-forecast: what has happened to each task by week N.

A plan says what is to be done; an `AsOf` says where the work stands. The engine, the
modal schedule and the analyses take both, so plan types carry no tracking state.
`AsOf()` (no task states, no calibration ratios) means "the plan as written".
Re-forecasting (`lekhok_forecast.tracking.reforecast.reforecast_plan`) builds one from
weekly actuals.
"""

from __future__ import annotations

from dataclasses import dataclass

from lekhok_forecast.core.plan import Plan


@dataclass(frozen=True)
class TaskState:
    """Where one task stands. Weeks are from the plan's start; hours are effort hours.

    Attributes
    ----------
    task : str
        The task's id.
    not_before_week : float
        An in-progress or pending task cannot start before this week.
    done_start_week, done_finish_week : float or None
        A done task's actual start and finish (`done_finish_week` set means done; a
        missing start is taken to be the finish).
    hours_spent : float
        Hours already worked; they count toward hours and cost.
    calibrate : bool
        The engine scales the task's estimate by a resampled calibration ratio (and by
        the calibration's common factor, instead of the plan's ``correlation:`` factors:
        the evidence measured the overrun the plan could only assume).
    calibration_scale : float
        A calibrated task's own multiplier (a size-aware calibration's
        ``exp(a + b log estimate)``, `lekhok_forecast.core.ratios.task_scale`; 1: none).
    """

    task: str
    not_before_week: float = 0.0
    done_start_week: float | None = None
    done_finish_week: float | None = None
    hours_spent: float = 0.0
    calibrate: bool = False
    calibration_scale: float = 1.0

    @property
    def done(self) -> bool:
        """True for a finished task (fixed at its actual dates, not sampled)."""
        return self.done_finish_week is not None

    @property
    def done_weeks(self) -> tuple[float, float] | None:
        """A done task's (start, finish) weeks, a missing start taken to be the finish; None if not done."""
        finish = self.done_finish_week
        if finish is None:
            return None
        return (self.done_start_week if self.done_start_week is not None else finish, finish)


@dataclass(frozen=True)
class AsOf:
    """The state of every tracked task, keyed by task id, and the calibration ratios.

    Attributes
    ----------
    tasks : tuple of TaskState
        At most one per task id; tasks not listed are as planned (`TaskState(id)`).
    calibration_ratios : tuple of float
        Actual / most likely effort of done tasks (or a calibration model's residual
        multipliers); each calibrated task's estimate is scaled by one drawn uniformly
        from these per trial (empty: no calibration).
    calibration_sigma : float
        Log-scale spread of the calibration's common factor: one lognormal multiplier
        per trial shared by every calibrated task (0: none).
    """

    tasks: tuple[TaskState, ...] = ()
    calibration_ratios: tuple[float, ...] = ()
    calibration_sigma: float = 0.0

    @property
    def is_empty(self) -> bool:
        """True for "the plan as written": no task state and no calibration."""
        return not self.tasks and not self.calibration_ratios

    def states(self, plan: Plan) -> tuple[TaskState, ...]:
        """One state per task of `plan`, in `plan.tasks` order (defaults for unlisted tasks).

        Raises
        ------
        ValueError
            If a state names a task the plan does not have, or a task twice.
        """
        by_id = {s.task: s for s in self.tasks}
        if len(by_id) != len(self.tasks):
            raise ValueError("as-of state lists a task more than once")
        unknown = set(by_id) - {t.id for t in plan.tasks}
        if unknown:
            raise ValueError(f"as-of state for tasks not in the plan: {', '.join(sorted(unknown))}")
        return tuple(by_id.get(t.id) or TaskState(t.id) for t in plan.tasks)
