"""Scenario runs: the plan as written and each scenario on its own, with the same trials and seed."""

from __future__ import annotations

from pathlib import Path

from lekhok_forecast.core.engine import SimulationResult, simulate
from lekhok_forecast.sources.scenario_file import load_scenario, plan_with_scenarios
from lekhok_forecast.sources.yamlsource import load_yaml

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
    plan_src = load_yaml(plan_path)
    loaded = [load_scenario(p) for p in scenarios]
    out = {baseline: simulate(plan_with_scenarios(plan_src, []), trials, seed)}
    for scen in loaded:
        name = scen.name if scen.name not in out else f"{scen.name} ({Path(scen.path).stem})"
        out[name] = simulate(plan_with_scenarios(plan_src, [scen]), trials, seed)
    return out
