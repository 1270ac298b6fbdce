"""Scenario runs: the plan and each scenario on its own, from where the project stands, with the same trials and seed.

Where the project stands is a `Standing`: the week's actuals and calibration (or none: the
plan as written). A scenario is applied to the plan as written and then simulated from
that standing with the weekly re-forecast's own rule
(`lekhok_forecast.tracking.reforecast.reforecast`), so "what if" is asked from where we
stand now; the unchanged plan from the same standing is the week's headline forecast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lekhok_forecast.analysis.solve import GRID, Solution, solve_capacity
from lekhok_forecast.core.actuals import WeeklyActuals
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.core.plan import Plan, week_label
from lekhok_forecast.sources.scenario_file import Scenario, load_scenario, plan_with_scenarios
from lekhok_forecast.sources.yamlsource import Source, load_yaml
from lekhok_forecast.tracking.calibration import Calibration
from lekhok_forecast.tracking.reforecast import reforecast
from lekhok_forecast.tracking.status import WeeklyStatus

#: Label of the unchanged plan in comparisons without actuals.
BASELINE = "Plan as written"
#: Label of the plan as written at its start, beside a plan re-forecast from actuals.
PLAN_AT_START = "Plan at week 0"
#: The solver's answers in the scenarios notebook and the explorer: the confidence asked for
#: each deadline, and the trials of each evaluation (cheap: about ten evaluations a deadline).
SOLVE_CONFIDENCE = 0.8
SOLVE_TRIALS = 10_000


@dataclass(frozen=True)
class Standing:
    """Where the project stands: the actuals and calibration every variant is simulated from.

    Attributes
    ----------
    actuals : WeeklyActuals or None
        The week's latest actuals (None: the plan as written, at week 0).
    calibration : Calibration or None
        The week's calibration (from the plan as written and `actuals`; applied only when
        the evidence allows). Scenarios keep it: it measures the team, not the plan.
    """

    actuals: WeeklyActuals | None = None
    calibration: Calibration | None = None

    @property
    def is_start(self) -> bool:
        """True for the plan's start: no actuals, every variant is simulated as written."""
        return self.actuals is None

    @property
    def label(self) -> str:
        """Label of the unchanged plan from this standing (`BASELINE` at the start)."""
        if self.actuals is None:
            return BASELINE
        return f"Plan now ({self.actuals.label})"

    def simulate(self, plan: Plan, trials: int, seed: int) -> SimulationResult:
        """`plan` (the plan as written or a scenario of it) simulated from this standing.

        Tasks the plan does not have (a scenario removed them) lose their actuals; tasks it
        adds are not started. At the start this is exactly ``simulate(plan, trials, seed)``.
        """
        return reforecast(plan, self.actuals, trials, seed, calibration=self.calibration)


def standing_of(status: WeeklyStatus) -> Standing:
    """The standing of a week's status: its latest actuals and calibration (none without actuals)."""
    if status.update is None:
        return Standing()
    return Standing(status.update.actuals, status.update.calibration)


def standing_note(standing: Standing) -> str:
    """``as of week 5 (2025-W10)`` or ``as written (week 0)``, for labels and sentences."""
    a = standing.actuals
    if a is None:
        return "as written (week 0)"
    return f"as of week {week_label(a.as_of_week)} ({a.label})"


def run_scenarios(
    plan_path: str | Path,
    scenarios: list[str | Path] | tuple = (),
    trials: int = 20_000,
    seed: int = 1,
    baseline: str = BASELINE,
) -> dict[str, SimulationResult]:
    """Simulate the plan as written and each scenario on its own, with the same trials and seed.

    Parameters
    ----------
    plan_path : str or Path
    scenarios : list of str or Path
        Scenario files (or bare names in ``data/scenarios/``); each is applied alone.
    trials, seed : int
    baseline : str
        Label of the plan as written.

    Returns
    -------
    dict
        Label -> `SimulationResult`, the plan as written first, then the scenarios in the
        order given, each labelled by its ``name`` (plus its file name when two share one).
    """
    loaded = [load_scenario(p) for p in scenarios]
    return simulate_plans(scenario_plans(load_yaml(plan_path), loaded, label=baseline), trials, seed)


def scenario_plans(
    plan_src: Source, scenarios: Sequence[Scenario], *, plan: Plan | None = None, label: str = BASELINE
) -> dict[str, Plan]:
    """The plan as written (`label`) and each scenario applied alone to it, validated; nothing simulated.

    Parameters
    ----------
    plan_src : Source
        The parsed plan file.
    scenarios : sequence of Scenario
    plan : Plan, optional
        `plan_src` already validated (it is not validated again).
    label : str
        Label of the plan as written.

    Returns
    -------
    dict
        Label -> Plan: `label` first, then each scenario under its ``name`` (plus its file
        name when two share one).

    Raises
    ------
    ForecastInputError
        For the first scenario that does not fit the plan.
    """
    out = {label: plan if plan is not None else plan_with_scenarios(plan_src, [])}
    for scen in scenarios:
        name = scen.name if scen.name not in out else f"{scen.name} ({Path(scen.path).stem})"
        out[name] = plan_with_scenarios(plan_src, [scen])
    return out


def simulate_plans(
    plans: Mapping[str, Plan],
    trials: int,
    seed: int,
    *,
    known: Mapping[str, SimulationResult] | None = None,
    standing: Standing | None = None,
) -> dict[str, SimulationResult]:
    """Simulate each plan from `standing` (default: the start) with the same trials and seed.

    `known` results are used as they are (the report's headline is the unchanged plan's).
    """
    known = known or {}
    at = standing or Standing()
    return {name: known[name] if name in known else at.simulate(plan, trials, seed) for name, plan in plans.items()}


def capacity_answers(
    result: SimulationResult, trials: int = SOLVE_TRIALS, seed: int = 1, confidence: float = SOLVE_CONFIDENCE
) -> tuple[Solution, ...]:
    """What would it take, from where `result` stands: for each of its plan's deadlines, the
    smallest multiplier of today's hours with P(finish <= deadline) >= `confidence`.

    `result` is the week's forecast (its ``plan`` and ``as_of`` are the re-forecast's), so the
    answers start from the same standing as everything else. Empty for a plan without
    deadlines or effort tasks (capacity moves nothing). Each answer takes about ten
    simulations of `trials` trials (`lekhok_forecast.analysis.solve.solve_capacity`).
    """
    plan = result.plan
    if not plan.deadlines or not any(t.workstream is not None for t in plan.tasks):
        return ()
    # one simulation per multiplier for all deadlines; today's hours are `result` itself
    # when it has the solver's trials and seed (the same draws, so not simulated again)
    memo = {GRID: result.finish_weeks} if (result.trials, result.seed) == (trials, seed) else {}
    return tuple(
        solve_capacity(plan, d, confidence, trials, seed, as_of=result.as_of, finish_memo=memo) for d in plan.deadlines
    )
