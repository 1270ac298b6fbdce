"""Scenario runs: the plan as written and each scenario on its own, with the same trials and seed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.sources.scenario_file import Scenario, load_scenario, plan_with_scenarios
from lekhok_forecast.sources.yamlsource import Source, load_yaml

#: Label of the unchanged plan in comparisons.
BASELINE = "Plan as written"


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
    plans: Mapping[str, Plan], trials: int, seed: int, *, known: Mapping[str, SimulationResult] | None = None
) -> dict[str, SimulationResult]:
    """Simulate each plan with the same trials and seed; `known` results are used as they are."""
    known = known or {}
    return {name: known[name] if name in known else simulate(plan, trials, seed) for name, plan in plans.items()}
