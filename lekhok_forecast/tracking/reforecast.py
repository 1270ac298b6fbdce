"""Re-forecasting from weekly actuals, and calibration from the evidence of done tasks.

Re-forecast as of week N (`reforecast_plan`, `reforecast`)
    * A done task is fixed at its actual start and finish; it is not sampled and its risks
      no longer apply. Its hours count toward cost.
    * A task in progress continues from week N with the team's remaining-effort range
      (``remaining_low/mode/high`` in the plan's units, converted to hours, or to weeks for
      a duration task). The hours already worked count toward cost. Risks no longer apply
      to it: the team's remaining range is made with what they now know.
    * A task not started is simulated as planned (or with the team's re-estimate, if the
      file gives one), but cannot start before week N. Its risks still apply.
    * Within a workstream, done tasks come first, then tasks in progress, then the rest,
      each group in file order: the team finishes what it has started before picking up
      new work.
    * With no actuals the forecast is the plan's own forecast (the same numbers for the
      same seed); with every task done it is the actual finish, exactly.
    * When a spend file is given, each reported cost item's forecast is the amount spent
      to date plus the simulated cost from week N on.

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

`weekly_update` is the one call the weekly report makes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lekhok_forecast.analysis.headline import headline_numbers
from lekhok_forecast.config import ACTUALS_DIR
from lekhok_forecast.core.distributions import Dist, Range
from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.core.graph import find_cycle
from lekhok_forecast.core.plan import Plan, Task, scheduling_edges, week_label
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.actuals_file import (
    WeeklyActuals,
    actuals_file,
    list_weeks,
    no_actuals,
    read_weeks,
    remaining_range_hours,
    remaining_range_weeks,
    week_name,
)

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
        if a is None or not a.done or t.workstream is None:
            continue
        mode = t.effort_hours.mode
        if mode <= 0:
            continue
        tasks.append(t.id)
        est.append(float(mode))
        act.append(float(a.hours_to_date))
        ratios.append(float(a.hours_to_date) / float(mode))
    return Calibration(tuple(tasks), tuple(est), tuple(act), tuple(ratios), int(min_done), bool(enabled))


# ----------------------------------------------------------------------------- re-forecast plan


def _range(triple: tuple[float, float, float]) -> Range:
    lo, mo, hi = (float(x) for x in triple)
    if lo == hi:
        return Range.fixed(lo)
    return Range(Dist.PERT, lo, mo, hi)


def is_untouched(plan: Plan, actuals: WeeklyActuals | None, ratios=()) -> bool:
    """True when `actuals` change nothing: the re-forecast is the plan's own forecast."""
    if ratios:
        return False
    if actuals is None:
        return True
    return actuals.as_of_week == 0 and not any(a.started or a.re_estimated for a in actuals.tasks)


def reforecast_plan(
    plan: Plan, actuals: WeeklyActuals | None, calibration: Calibration | tuple[float, ...] | None = None
) -> Plan:
    """The plan as of `actuals.as_of_week`, for the engine (see the module docstring).

    Parameters
    ----------
    plan : Plan
        The original plan.
    actuals : WeeklyActuals or None
        None: the plan itself.
    calibration : Calibration or tuple of ratios, optional
        Ratios to scale not-started tasks by (a `Calibration` that is not applied gives none).

    Returns
    -------
    Plan
        A plan with the engine's re-forecast fields set (`Task.done_finish_week`,
        `not_before_week`, `hours_spent`, `calibrate`, `Plan.calibration_ratios`).
    """
    ratios = calibration.engine_ratios if isinstance(calibration, Calibration) else tuple(calibration or ())
    if is_untouched(plan, actuals, ratios):
        return plan
    n = float(actuals.as_of_week) if actuals is not None else 0.0
    rows = actuals.by_task() if actuals is not None else {}
    tasks: list[Task] = []
    groups: list[int] = []
    open_tasks: set[str] = set()  # risks still apply to these
    for t in plan.tasks:
        a = rows.get(t.id)
        effort = t.workstream is not None
        if a is not None and a.done:
            tasks.append(
                dataclasses.replace(
                    t,
                    done_start_week=float(a.start_week),
                    done_finish_week=float(a.finish_week),
                    hours_spent=float(a.hours_to_date) if effort else 0.0,
                    not_before_week=0.0,
                    calibrate=False,
                )
            )
            groups.append(0)
        elif a is not None and a.in_progress:
            new = _fresh_estimate(plan, t, a.remaining)
            tasks.append(
                dataclasses.replace(
                    new,
                    not_before_week=max(n, float(a.start_week or 0.0)),
                    hours_spent=float(a.hours_to_date) if effort else 0.0,
                    calibrate=False,
                )
            )
            groups.append(1)
        else:
            re_est = a is not None and a.remaining is not None
            new = _fresh_estimate(plan, t, a.remaining) if re_est else t
            tasks.append(dataclasses.replace(new, not_before_week=n, calibrate=bool(ratios) and effort and not re_est))
            groups.append(2)
            open_tasks.add(t.id)
    order = sorted(range(len(tasks)), key=lambda i: groups[i])  # stable: file order within a group
    ordered = [tasks[i] for i in order]
    if find_cycle(scheduling_edges(ordered)) is not None:
        # Only possible for inconsistent states (a started task waiting on one not started
        # in its own workstream); file order is always acyclic.
        ordered = tasks
    risks = []
    for r in plan.risks:
        listed = tuple(x for x in r.tasks if x in open_tasks)
        if listed:
            risks.append(r if listed == r.tasks else dataclasses.replace(r, tasks=listed))
    return plan.with_changes(tasks=tuple(ordered), risks=tuple(risks), calibration_ratios=tuple(ratios))


def _fresh_estimate(plan: Plan, task: Task, remaining: tuple[float, float, float]) -> Task:
    if task.workstream is not None:
        return dataclasses.replace(task, effort_hours=_range(remaining_range_hours(plan, remaining)))
    return dataclasses.replace(task, duration_weeks=_range(remaining_range_weeks(plan, remaining)))


def all_done(plan: Plan, actuals: WeeklyActuals | None) -> bool:
    """True when every task of the plan is done."""
    if actuals is None:
        return False
    rows = actuals.by_task()
    return all(t.id in rows and rows[t.id].done for t in plan.tasks)


def actual_finish_week(plan: Plan, actuals: WeeklyActuals | None) -> float | None:
    """The project's actual finish (latest task finish) once every task is done, else None."""
    if not all_done(plan, actuals):
        return None
    return max(float(a.finish_week) for a in actuals.tasks if a.done)


def reforecast(
    plan: Plan,
    actuals: WeeklyActuals | None,
    trials: int = 20_000,
    seed: int = 1,
    *,
    calibration: Calibration | tuple[float, ...] | None = None,
    **simulate_args,
) -> SimulationResult:
    """Simulate the plan as of `actuals` (see the module docstring).

    Parameters
    ----------
    plan : Plan
        The original plan.
    actuals : WeeklyActuals or None
        None (or nothing started as of week 0): exactly ``simulate(plan, trials, seed)``.
    trials, seed : int
    calibration : Calibration or tuple of float, optional
    **simulate_args
        Passed to `lekhok_forecast.core.engine.simulate` (``workers``, ``chunk_trials``, ...).

    Returns
    -------
    SimulationResult
        Its `plan` is the re-forecast plan (tasks possibly reordered within workstreams).
        With every task done, `finish_weeks` is the actual finish in every trial, exactly.
        With a spend file, `cost_by_item` of each reported item is spend to date plus the
        simulated cost after week N.
    """
    rplan = reforecast_plan(plan, actuals, calibration)
    result = simulate(rplan, trials, seed, **simulate_args)
    if rplan is plan:
        return result
    finish = actual_finish_week(plan, actuals)
    if finish is not None:
        # The engine keeps weeks in float32; the finish is history, so give it exactly.
        result = dataclasses.replace(result, finish_weeks=np.full(result.trials, finish, dtype=np.float64))
    if actuals is not None and actuals.spend:
        result = dataclasses.replace(result, cost_by_item=cost_with_spend(result, actuals))
    return result


def cost_with_spend(result: SimulationResult, actuals: WeeklyActuals) -> np.ndarray:
    """Cost per item and trial: reported spend to date + the simulated cost after week N.

    The simulated cost of a ``per_hour`` item covers the hours already spent (at the
    trial's rate); its share ``spent hours / all hours`` is replaced by the reported
    spend. A ``per_month`` item accrues from its start to the finish; the part before
    week N is replaced. Items not reported keep their simulated cost.
    """
    plan = result.plan
    n = float(actuals.as_of_week)
    spend = actuals.spend_by_cost()
    out = result.cost_by_item.astype(np.float64, copy=True)
    index = plan.task_index()
    ws_index = plan.workstream_index()
    project = result.finish_weeks.astype(np.float64)
    for c, cost in enumerate(plan.costs):
        if cost.id not in spend:
            continue
        simulated = out[c]
        if cost.per_hour is not None:
            streams = set(cost.workstreams) if cost.workstreams is not None else set(ws_index)
            worked = sum(result.hours_by_workstream[ws_index[w]].astype(np.float64) for w in streams)
            spent = sum(t.hours_spent for t in plan.tasks if t.workstream in streams)
            with np.errstate(invalid="ignore", divide="ignore"):
                future = np.where(worked > 0, simulated * np.clip(1.0 - spent / worked, 0.0, 1.0), 0.0)
        else:
            since = 0.0
            if cost.from_task is not None:
                t = plan.tasks[index[cost.from_task]]
                since = t.done_start_week if t.done_finish_week is not None else math.inf
            if since >= n:  # accrual starts at or after week N in every trial: all of it is future
                future = simulated
            else:
                span = project - since
                with np.errstate(invalid="ignore", divide="ignore"):
                    future = np.where(span > 0, simulated * np.clip(project - n, 0.0, None) / span, 0.0)
        out[c] = spend[cost.id] + future
    return out


# ----------------------------------------------------------------------------- headline numbers


def comparison_table(columns: dict[str, SimulationResult]) -> pd.DataFrame:
    """Headline numbers side by side, one column per forecast (e.g. plan / uncalibrated / calibrated)."""
    data = {name: headline_numbers(r) for name, r in columns.items() if r is not None}
    return pd.DataFrame(data)


# ----------------------------------------------------------------------------- weekly update


@dataclass(frozen=True)
class WeeklyUpdate:
    """Everything the weekly report shows about tracking, for one week.

    Attributes
    ----------
    week : str
        ISO week of the actuals (``2025-W08``).
    as_of_week : float
        Weeks since the plan's start at the end of that week.
    actuals, previous : WeeklyActuals
        This week's and last reported week's actuals (`previous` is the plan's starting
        point in the first week).
    forecast : SimulationResult
        The headline re-forecast: calibrated when `calibration.applied`, else uncalibrated.
    uncalibrated : SimulationResult
        The re-forecast with the plan's estimates for tasks not yet started.
    calibrated : SimulationResult or None
        The calibrated re-forecast (None when there is too little evidence).
    calibration : Calibration
    baseline : SimulationResult
        The plan's own forecast as of week 0 (same trials and seed).
    comparison : DataFrame
        Headline numbers of plan / uncalibrated / calibrated, side by side.
    earned_value : DataFrame
        One row per reported week (see `lekhok_forecast.tracking.earned_value.earned_value_table`).
    fever : DataFrame
        Fever chart points, week 0 and one per reported week (`lekhok_forecast.tracking.earned_value.fever_table`).
    what_changed : DataFrame
        Changes since `previous` and their effect on P80 (`lekhok_forecast.tracking.earned_value.what_changed`).
    history : DataFrame
        ``forecast_history.csv`` after this week's row was recorded (all weeks).
    cone : DataFrame
        The plan (week 0) and the history rows up to this week, for the cone chart.
    history_path : Path or None
        Where the history was written (None when not written).
    rows : tuple of dict
        The history rows this update records (backfilled weeks first, this week last),
        for a caller that writes them later with `lekhok_forecast.sources.history_file.record_weeks`.
    """

    week: str
    as_of_week: float
    actuals: WeeklyActuals
    previous: WeeklyActuals
    forecast: SimulationResult
    uncalibrated: SimulationResult
    calibrated: SimulationResult | None
    calibration: Calibration
    baseline: SimulationResult
    comparison: pd.DataFrame
    earned_value: pd.DataFrame
    fever: pd.DataFrame
    what_changed: pd.DataFrame
    history: pd.DataFrame
    cone: pd.DataFrame
    history_path: Path | None
    rows: tuple = ()

    @property
    def numbers(self) -> dict:
        """Headline numbers of the headline forecast."""
        return headline_numbers(self.forecast)

    def __str__(self) -> str:
        h = self.numbers
        by = ", ".join(f"P(<= {k[5:]}) {v:.0%}" for k, v in h.items() if k.startswith("p_by_"))
        delta = float(self.what_changed["p80_effect_weeks"].sum()) if len(self.what_changed) else 0.0
        return (
            f"{self.week} (as of week {week_label(self.as_of_week)}): P50 {h['p50']:.1f}, "
            f"P80 {h['p80']:.1f} weeks ({delta:+.1f} since {self.previous.label}); {by}. "
            f"{self.calibration.message}"
        )


def forecasts_for(
    plan: Plan,
    actuals: WeeklyActuals,
    trials: int,
    seed: int,
    *,
    calibrate: bool = True,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    **simulate_args,
):
    """(headline, uncalibrated, calibrated or None, calibration) for one week's actuals."""
    cal = calibration_from_actuals(plan, actuals, min_done=min_done, enabled=calibrate)
    unc = reforecast(plan, actuals, trials, seed, **simulate_args)
    calibrated = reforecast(plan, actuals, trials, seed, calibration=cal, **simulate_args) if cal.applied else None
    return (calibrated if calibrated is not None else unc), unc, calibrated, cal


def weekly_update(
    plan: Plan,
    actuals_dir: str | Path = ACTUALS_DIR,
    week: str | None = None,
    trials: int = 20_000,
    seed: int = 1,
    *,
    history_path: str | Path | None = None,
    write_history: bool = True,
    read_history: bool = True,
    backfill: bool = True,
    calibrate: bool = True,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    changes: bool = True,
    **simulate_args,
) -> WeeklyUpdate:
    """Re-forecast one week from its actuals and record it in the forecast history.

    Every actuals file up to `week` is read and validated first; on bad input a
    `ForecastInputError` is raised and nothing is written.

    Parameters
    ----------
    plan : Plan
        The original plan.
    actuals_dir : str or Path
        Folder of ``YYYY-Www.csv`` files (default ``data/actuals``).
    week : str, optional
        ISO week to report (default: the latest file in `actuals_dir`). Its file must exist.
    trials, seed : int
        Monte Carlo trials and seed of every forecast.
    history_path : str or Path, optional
        Default ``reports/forecast_history.csv`` (`lekhok_forecast.sources.history_file.default_history_path`).
    write_history : bool
        False: compute the history frame in memory only (`WeeklyUpdate.rows` holds the
        rows, to be recorded later).
    read_history : bool
        False: start from an empty history instead of the file (every earlier week is
        backfilled in memory); use with ``write_history=False``.
    backfill : bool
        Also record earlier weeks that have actuals but no history row (rows already there
        are left alone), so the first run shows the whole history.
    calibrate : bool
        False: never calibrate (the evidence is still reported).
    min_done : int
        Done effort tasks needed to calibrate.
    changes : bool
        False: skip the what-changed steps (one re-forecast per changed task);
        `WeeklyUpdate.what_changed` is then empty.

    Returns
    -------
    WeeklyUpdate
    """
    from lekhok_forecast.sources import history_file as hist
    from lekhok_forecast.tracking import earned_value as evm

    weeks = list_weeks(actuals_dir)
    if not weeks:
        raise ForecastInputError("no actuals files (YYYY-Www.csv) in the folder", file=str(actuals_dir))
    if week is None:
        week = weeks[-1]
    if week not in weeks:
        raise ForecastInputError(
            f"no actuals for week {week}; available weeks: {', '.join(weeks)}",
            file=str(actuals_file(actuals_dir, week)),
        )
    reported = read_weeks(actuals_dir, plan, up_to=week)  # validates every file before any work
    current = reported[-1]
    previous = reported[-2] if len(reported) > 1 else no_actuals()
    path = Path(history_path) if history_path is not None else hist.default_history_path()
    existing = hist.read_history(path) if read_history else pd.DataFrame(columns=[hist.KEY])

    headline, unc, cal_result, cal = forecasts_for(
        plan, current, trials, seed, calibrate=calibrate, min_done=min_done, **simulate_args
    )
    baseline = simulate(plan, trials, seed, **simulate_args)
    ev = evm.earned_value_table(plan, reported)
    fever = evm.fever_table(plan, reported)
    if changes:
        changed = evm.what_changed(
            plan, previous, current, trials, seed, calibrate=calibrate, min_done=min_done, **simulate_args
        )
    else:
        changed = pd.DataFrame(columns=evm.WHAT_CHANGED_COLUMNS)

    rows = []
    if backfill:
        have = set(existing["week"]) if len(existing) else set()
        for a in reported[:-1]:
            if a.week in have:
                continue
            h, u, _, c = forecasts_for(plan, a, trials, seed, calibrate=calibrate, min_done=min_done, **simulate_args)
            rows.append(hist.history_row(plan, a, h, u, c, trials, seed, ev, fever))
    rows.append(hist.history_row(plan, current, headline, unc, cal, trials, seed, ev, fever))
    frame = hist.record_weeks(rows, path, write=write_history) if read_history else hist.rows_frame(rows)
    cone = hist.cone_frame(frame, baseline, up_to_week=current.as_of_week)
    comparison = comparison_table({"plan (week 0)": baseline, "uncalibrated": unc, "calibrated": cal_result})
    return WeeklyUpdate(
        week=week,
        as_of_week=current.as_of_week,
        actuals=current,
        previous=previous,
        forecast=headline,
        uncalibrated=unc,
        calibrated=cal_result,
        calibration=cal,
        baseline=baseline,
        comparison=comparison,
        earned_value=ev,
        fever=fever,
        what_changed=changed,
        history=frame,
        cone=cone,
        history_path=path if write_history else None,
        rows=tuple(rows),
    )


# ----------------------------------------------------------------------------- the report's week


@dataclass(frozen=True)
class ReportWeek:
    """Which actuals a report for ISO week `week` rests on: the latest file at or before it.

    Attributes
    ----------
    week : str
        The report's ISO week (``2025-W11``).
    as_of_week : float or None
        Weeks since the plan's start at the end of `week` (None: the plan has no `start`).
    actuals_dir : Path or None
        The actuals folder (None: the report uses the plan alone).
    actuals_week : str or None
        The latest actuals week at or before `week` (None: there is none).
    weeks_stale : int
        ISO weeks from `actuals_week` to `week` (0: the report's own week has actuals).
    available : tuple of str
        Every actuals week in the folder, oldest first.
    """

    week: str
    as_of_week: float | None
    actuals_dir: Path | None
    actuals_week: str | None
    weeks_stale: int = 0
    available: tuple[str, ...] = ()

    @property
    def has_actuals(self) -> bool:
        return self.actuals_week is not None

    @property
    def stale(self) -> bool:
        """True when the report's week has no actuals file of its own but an earlier week has."""
        return self.has_actuals and self.weeks_stale > 0

    @property
    def actuals_path(self) -> Path | None:
        """The task file the forecast rests on."""
        return actuals_file(self.actuals_dir, self.actuals_week) if self.has_actuals else None

    @property
    def later_weeks(self) -> tuple[str, ...]:
        """Actuals weeks after the report's week (not used by this report)."""
        return tuple(w for w in self.available if w > self.week)


def report_week(plan: Plan, week: str, actuals_dir: str | Path | None = ACTUALS_DIR) -> ReportWeek:
    """The actuals a report for ISO week `week` uses: the latest file at or before `week`.

    Parameters
    ----------
    plan : Plan
    week : str
        ISO week ``YYYY-Www``.
    actuals_dir : str or Path or None
        Folder of ``YYYY-Www.csv`` files; None: no actuals (the plan's own forecast).

    Raises
    ------
    ForecastInputError
        If `week` is not an ISO week, ends before the plan starts, or the folder is
        missing or holds a misnamed file.
    """
    from lekhok_forecast.sources.actuals_file import as_of_week as _as_of
    from lekhok_forecast.sources.actuals_file import iso_week_monday

    monday = iso_week_monday(week)
    as_of = None
    if plan.start is not None:
        as_of = _as_of(week, plan)
        if as_of <= 0:
            raise ForecastInputError(
                f"week {week} ends before the plan starts on {plan.start:%a %Y-%m-%d};"
                f" the plan's first week is {week_name(1.0, plan)}"
            )
    if actuals_dir is None:
        return ReportWeek(week, as_of, None, None)
    available = tuple(list_weeks(actuals_dir))
    earlier = [w for w in available if w <= week]
    if not earlier:
        return ReportWeek(week, as_of, Path(actuals_dir), None, 0, available)
    latest = earlier[-1]
    stale = (monday - iso_week_monday(latest)).days // 7
    return ReportWeek(week, as_of, Path(actuals_dir), latest, stale, available)


@dataclass(frozen=True)
class WeeklyStatus:
    """What the weekly report states for one ISO week: the headline forecast and its basis.

    With actuals at or before the report's week the headline is the re-forecast of the
    latest of them (`WeeklyUpdate.forecast`: calibrated when there is enough evidence);
    without any it is the plan's own forecast.

    Attributes
    ----------
    report : ReportWeek
        The report's week and the actuals it rests on.
    plan : Plan
        The original plan.
    plan_forecast : SimulationResult
        The plan alone, as of week 0 (same trials and seed).
    update : WeeklyUpdate or None
        The re-forecast, history, earned value, fever chart and what changed (None
        without actuals).
    """

    report: ReportWeek
    plan: Plan
    plan_forecast: SimulationResult
    update: WeeklyUpdate | None

    @property
    def headline(self) -> SimulationResult:
        """The forecast page one states."""
        return self.update.forecast if self.update is not None else self.plan_forecast

    @property
    def as_of_week(self) -> float:
        """Weeks since the plan's start that the headline is as of (0: the plan's start)."""
        return float(self.update.as_of_week) if self.update is not None else 0.0

    @property
    def calibrated(self) -> bool:
        return self.update is not None and self.update.calibration.applied

    @property
    def history_rows(self) -> tuple[dict, ...]:
        """Rows for ``forecast_history.csv`` (none without actuals)."""
        return self.update.rows if self.update is not None else ()

    @property
    def milestones_reached(self) -> dict[str, float]:
        """Milestone id -> the week it was reached (every task of it done), per the actuals."""
        if self.update is None:
            return {}
        rows = self.update.actuals.by_task()
        return {
            m.id: max(float(rows[t].finish_week) for t in m.tasks)
            for m in self.plan.milestones
            if m.tasks and all(t in rows and rows[t].done for t in m.tasks)
        }

    @property
    def forecasts(self) -> dict[str, SimulationResult]:
        """The forecasts side by side: ``plan``, ``uncalibrated`` and ``calibrated`` (those that exist)."""
        out = {"plan": self.plan_forecast}
        if self.update is not None:
            out["uncalibrated"] = self.update.uncalibrated
            if self.update.calibrated is not None:
                out["calibrated"] = self.update.calibrated
        return out

    @property
    def headline_key(self) -> str:
        """Which of `forecasts` is the headline."""
        if self.update is None:
            return "plan"
        return "calibrated" if self.update.calibrated is not None else "uncalibrated"

    @property
    def cone(self) -> pd.DataFrame:
        """Forecast cone data: the plan at week 0 and each recorded week up to this one."""
        if self.update is not None:
            return self.update.cone
        from lekhok_forecast.sources.history_file import cone_frame

        return cone_frame(pd.DataFrame(columns=["week"]), self.plan_forecast)

    @property
    def fever(self) -> pd.DataFrame:
        """Fever chart points (the plan's point alone without actuals)."""
        if self.update is not None:
            return self.update.fever
        from lekhok_forecast.tracking.earned_value import fever_table

        return fever_table(self.plan, [])

    @property
    def earned_value(self) -> pd.DataFrame:
        """Earned value per reported week (empty without actuals)."""
        if self.update is not None:
            return self.update.earned_value
        from lekhok_forecast.tracking.earned_value import earned_value_table

        return earned_value_table(self.plan, [])

    @property
    def what_changed(self) -> pd.DataFrame:
        """Changes since the previous actuals and their effect on P80 (empty without actuals)."""
        if self.update is not None:
            return self.update.what_changed
        from lekhok_forecast.tracking.earned_value import WHAT_CHANGED_COLUMNS

        return pd.DataFrame(columns=list(WHAT_CHANGED_COLUMNS))

    def __str__(self) -> str:
        r = self.report
        if self.update is None:
            return f"{r.week}: no actuals; the plan's own forecast"
        stale = f", {r.weeks_stale} week{'s' if r.weeks_stale != 1 else ''} old" if r.stale else ""
        return f"{r.week}: actuals of {r.actuals_week}{stale}; {self.update}"


def weekly_status(
    plan: Plan,
    week: str,
    actuals_dir: str | Path | None = ACTUALS_DIR,
    trials: int = 20_000,
    seed: int = 1,
    *,
    history_path: str | Path | None = None,
    changes: bool = True,
    calibrate: bool = True,
    min_done: int = MIN_DONE_FOR_CALIBRATION,
    **simulate_args,
) -> WeeklyStatus:
    """The weekly report's forecast for ISO week `week`; reads, validates, writes nothing.

    The actuals used are those of the latest file at or before `week` (`report_week`);
    every file up to it is validated first (bad input raises `ForecastInputError`).
    The history rows to record are in `WeeklyStatus.history_rows`: the caller writes
    them (`lekhok_forecast.sources.history_file.record_weeks`) once its report succeeded.

    Parameters
    ----------
    plan : Plan
        The original plan.
    week : str
        The report's ISO week ``YYYY-Www``.
    actuals_dir : str or Path or None
        Folder of weekly actuals; None: the plan's own forecast.
    trials, seed : int
    history_path : str or Path, optional
        The forecast history to read (earlier weeks' rows are kept as recorded, missing
        ones are computed); None: no file, every earlier week is computed.
    changes : bool
        False: skip the what-changed table (it costs one re-forecast per changed task).
    calibrate, min_done
        As in `weekly_update`.

    Returns
    -------
    WeeklyStatus
    """
    rw = report_week(plan, week, actuals_dir)
    if not rw.has_actuals:
        return WeeklyStatus(rw, plan, simulate(plan, trials, seed, **simulate_args), None)
    update = weekly_update(
        plan,
        rw.actuals_dir,
        rw.actuals_week,
        trials,
        seed,
        history_path=history_path,
        write_history=False,
        read_history=history_path is not None,
        calibrate=calibrate,
        min_done=min_done,
        changes=changes,
        **simulate_args,
    )
    return WeeklyStatus(rw, plan, update.baseline, update)


def week_of(plan: Plan, as_of: float) -> str:
    """ISO week name ending `as_of` weeks after the plan's start (re-exported for notebooks)."""
    return week_name(as_of, plan)
