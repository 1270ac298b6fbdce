"""Scenarios: small YAML overlays that change a plan without copying it.

A scenario file is applied to the *raw* plan document (the parsed YAML, before
validation), so the plan is then validated as usual, and an error in a value that a
scenario put there names the scenario file and line, not the plan's::

    name: Hire a DevOps consultant          # required: the label in tables and charts
    description: one or two sentences       # optional
    set:                                    # change values
      team_hours_per_week: 30               #   top-level keys: replaced, mappings merged
      tasks:                                #   list sections: patched by id
        terraform_iac: {workstream: devops}
    add:                                    # append items
      workstreams: {devops: {name: DevOps consultant, hours_per_week: {low: 10, high: 15}}}
      costs: [{id: consultant, per_hour: 120, workstreams: [devops]}]
    remove:                                 # drop items by id
      tasks: [usage_redis]

The rules of ``set``, ``add`` and ``remove`` are in `lekhok_forecast.sources.overlay`.

Everything here works on plain data; `load_plan_with_scenarios` is the entry point used
by the CLI (``--scenario``), the notebooks and the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from lekhok_forecast.config import SCENARIOS_DIR
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.errors import did_you_mean
from lekhok_forecast.sources.fields import kind_of
from lekhok_forecast.sources.located import OverlaySource
from lekhok_forecast.sources.overlay import LIST_SECTIONS, SINGULAR, apply_overlays
from lekhok_forecast.sources.plan_file import plan_from_source
from lekhok_forecast.sources.yamlsource import Source, load_yaml, parse_yaml

SCENARIO_KEYS = ("name", "description", "set", "add", "remove")


# -------------------------------------------------------------------------- scenario


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario overlay.

    Attributes
    ----------
    name : str
        Label for tables and charts.
    description : str
    path : str
        The file it came from (used in error messages).
    source : Source
        The parsed file, with the line of every field.
    """

    name: str
    description: str
    path: str
    source: Source

    @property
    def operations(self) -> dict:
        """The ``set``/``add``/``remove`` mappings of the file (empty ones left out)."""
        return {k: self.source.data[k] for k in ("set", "add", "remove") if self.source.data.get(k)}

    def __str__(self) -> str:
        return f"Scenario({self.name!r} from {self.path})"


def scenario_from_source(src: Source) -> Scenario:
    """Check a scenario document's shape and build a `Scenario`.

    Only the shape is checked here (known keys, a mapping or list where one is needed);
    the values are checked when the overlay is applied and the plan validated.
    """
    data = src.data
    if not isinstance(data, dict):
        raise src.error("", f"expected a mapping with keys {', '.join(SCENARIO_KEYS)}, got {kind_of(data)}")
    for key in data:
        if key not in SCENARIO_KEYS:
            raise src.error(
                str(key),
                f"unknown key '{key}'{did_you_mean(str(key), SCENARIO_KEYS)};"
                f" expected one of: {', '.join(SCENARIO_KEYS)}",
            )
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise src.error(
            "name" if "name" in data else "",
            "missing required key 'name' (a short label)" if "name" not in data else "expected text",
        )
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise src.error("description", f"expected text, got {kind_of(description)}")
    for op in ("set", "add", "remove"):
        value = data.get(op)
        if value is not None and not isinstance(value, dict):
            raise src.error(op, f"expected a mapping of plan keys, got {kind_of(value)}")
    for section, ids in (data.get("remove") or {}).items():
        if section not in LIST_SECTIONS and section != "workstreams":
            allowed = (*LIST_SECTIONS, "workstreams")
            raise src.error(
                f"remove.{section}",
                f"cannot remove from '{section}'{did_you_mean(section, allowed)};"
                f" expected one of: {', '.join(allowed)}",
            )
        if not isinstance(ids, list) or not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in ids):
            raise src.error(f"remove.{section}", f"expected a list of {SINGULAR[section]} ids, got {kind_of(ids)}")
    return Scenario(data["name"].strip(), " ".join(description.split()), src.path, src)


def load_scenario(path: str | Path, folder: str | Path | None = SCENARIOS_DIR) -> Scenario:
    """Read a scenario file.

    A bare name (``thirty_hours``) is looked up in `folder` (the plan's scenario folder,
    `lekhok_forecast.sources.plan_folders`; default ``data/scenarios/``) as ``<name>.yaml``.

    Raises
    ------
    ForecastInputError
        For a missing file, bad YAML or a badly shaped scenario (file, line and field).
    """
    return scenario_from_source(load_yaml(resolve_scenario_path(path, folder)))


def resolve_scenario_path(path: str | Path, folder: str | Path | None = SCENARIOS_DIR) -> Path:
    """A scenario path as given, or ``<folder>/<name>.yaml`` for a bare name found there."""
    p = Path(path)
    if folder is not None and not p.exists() and p.suffix == "" and len(p.parts) == 1:
        candidate = Path(folder) / f"{p.name}.yaml"
        if candidate.exists():
            return candidate
    return p


def scenario_paths(folder: str | Path = SCENARIOS_DIR) -> list[Path]:
    """The scenario files of a folder, sorted by file name."""
    return sorted(Path(folder).glob("*.yaml"))


def apply_scenarios(plan_src: Source, scenarios: list[Scenario]) -> OverlaySource:
    """Apply scenario overlays, in order, to a parsed plan document.

    Returns the changed document (`lekhok_forecast.sources.overlay.apply_overlays`), ready
    for `lekhok_forecast.sources.plan_file.plan_from_source`.
    """
    return apply_overlays(plan_src, [s.source for s in scenarios])


def load_plan_with_scenarios(path: str | Path, scenario_paths: Sequence[str | Path] = ()) -> Plan:
    """Read a plan, apply scenario overlays in order, and validate the result.

    Parameters
    ----------
    path : str or Path
        The plan YAML file.
    scenario_paths : list of str or Path
        Scenario files (or bare names of files in ``data/scenarios/``), applied in order.

    Returns
    -------
    Plan

    Raises
    ------
    ForecastInputError
        One line naming the file (plan or scenario), line and field of the first problem.

    Examples
    --------
    >>> plan = load_plan_with_scenarios("data/plans/lekhok_deployment.yaml", ["thirty_hours"])  # doctest: +SKIP
    >>> plan.team_hours_per_week.low
    30.0
    """
    scenarios = [load_scenario(p) for p in scenario_paths]
    return plan_with_scenarios(load_yaml(path), scenarios)


def plan_with_scenarios(plan_src: Source, scenarios: list[Scenario]) -> Plan:
    """Apply already-loaded scenarios to an already-parsed plan and validate (no file reads)."""
    if not scenarios:
        return plan_from_source(plan_src)
    return plan_from_source(apply_scenarios(plan_src, scenarios))


def scenario_from_dict(data: dict, name: str = "<scenario>") -> Scenario:
    """A scenario built in code (e.g. by the explorer's controls) instead of read from a file."""
    return scenario_from_source(parse_yaml(yaml.safe_dump(data, sort_keys=False), name))
