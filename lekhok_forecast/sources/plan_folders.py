"""Where a plan's scenarios and actuals are: the one rule, used by ``validate``, ``simulate`` and ``report``.

`validate_plan` is ``lekhok-forecast validate``: the plan with everything found for it.

For each of the two folders (``scenarios``, ``actuals``), the first that applies wins:

1. the command line's flag (``--scenarios DIR``, ``--actuals DIR``), as written (relative to
   the current folder);
2. the plan's own top-level key (``scenarios: ../scenarios``), relative to the folder of
   the plan file;
3. a folder of that name beside the plan file (``plan.yaml`` + ``scenarios/``), the layout
   ``lekhok-forecast init`` writes;
4. none: no scenarios to compare, no actuals (the plan's own forecast).

A folder named by a flag or by the plan must exist (one line naming the flag, or the
plan's file, line and key); a folder beside the plan is used only when it is there.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.fields import kind_of
from lekhok_forecast.sources.scenario_file import load_scenario, plan_with_scenarios, scenario_paths
from lekhok_forecast.sources.yamlsource import Source, load_yaml

#: The plan's top-level keys that name its folders, which are also the folder names looked for beside it.
FOLDER_KEYS = ("scenarios", "actuals")


class _FromPlan(enum.Enum):
    FOLDER = "the plan's own folder"


#: A caller's "no folder named: use the plan's own" (`plan_folders`), distinct from None ("none").
FROM_PLAN = _FromPlan.FOLDER
#: A folder as a caller chooses it: a path, None (no folder), or `FROM_PLAN`.
FolderChoice: TypeAlias = str | Path | None | _FromPlan


@dataclass(frozen=True)
class PlanFolders:
    """A plan's scenario and actuals folders, as resolved by `plan_folders`.

    Attributes
    ----------
    scenarios, actuals : Path or None
        The folder (as a path relative to the current folder when the plan's path was
        relative), or None when the plan has none.
    scenarios_from, actuals_from : str
        Which rule gave it: ``"flag"``, ``"plan"``, ``"beside"`` or ``"none"``.
    """

    scenarios: Path | None
    actuals: Path | None
    scenarios_from: str = "none"
    actuals_from: str = "none"


def plan_folders(
    source: Source, *, scenarios: str | Path | None = None, actuals: str | Path | None = None
) -> PlanFolders:
    """Resolve the plan's scenario and actuals folders (see the module docstring for the rule).

    Parameters
    ----------
    source : Source
        The parsed plan file (its ``path`` locates the folders beside it; its ``scenarios``
        and ``actuals`` keys name folders relative to it).
    scenarios, actuals : str or Path, optional
        The command line's ``--scenarios`` / ``--actuals`` folder, which wins.

    Raises
    ------
    ForecastInputError
        ``--scenarios DIR: folder not found`` for a flag's missing folder; the plan's
        ``file:line: scenarios: ...`` for a key that is not text or names a missing folder.
    """
    found = {key: _folder(source, key, flag) for key, flag in (("scenarios", scenarios), ("actuals", actuals))}
    return PlanFolders(
        found["scenarios"][0],
        found["actuals"][0],
        scenarios_from=found["scenarios"][1],
        actuals_from=found["actuals"][1],
    )


def _folder(source: Source, key: str, flag: str | Path | None) -> tuple[Path | None, str]:
    if flag is not None:
        if not str(flag).strip():
            raise ForecastInputError(f"--{key} is empty: name the folder (e.g. --{key} {key})")
        path = Path(flag).expanduser()
        if not path.is_dir():
            what = "is a file, not a folder" if path.exists() else "folder not found"
            raise ForecastInputError(f"--{key} {flag}: {what}")
        return path, "flag"
    here = Path(os.path.normpath(Path(source.path).parent))  # lexical: `plans/../scenarios` reads `scenarios`
    data = source.data if isinstance(source.data, dict) else {}
    if data.get(key) is not None:
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise source.error(key, f"expected a folder path relative to the plan file, got {kind_of(value)}")
        path = Path(os.path.normpath(here / Path(value.strip()).expanduser()))
        if not path.is_dir():
            what = "is a file, not a folder" if path.exists() else "folder not found"
            raise source.error(key, f"{value.strip()!r} ({path}): {what} (the path is relative to the plan file)")
        return path, "plan"
    beside = here / key
    if beside.is_dir():
        return beside, "beside"
    return None, "none"


def chosen_folder(choice: FolderChoice, resolved: Path | None) -> Path | None:
    """The folder a caller's `choice` names: `resolved` (from `plan_folders`) unless it is None (none)."""
    if choice is None:
        return None
    return resolved


def validate_plan(
    plan_path: str | Path,
    overlays: Sequence[str | Path] = (),
    *,
    scenarios: str | Path | None = None,
    actuals: str | Path | None = None,
) -> list[str]:
    """``lekhok-forecast validate``: check a plan, its scenarios and its actuals; the lines to print.

    Every file is checked before a line is returned: the plan as written, then with the
    `overlays` (``--scenario``, bare names looked up in its scenario folder), then each
    scenario of its folder applied alone to the plan as written (as the report applies
    them), then each weekly actuals file of its folder against the plan with the overlays.

    Parameters
    ----------
    plan_path : str or Path
    overlays : sequence of str or Path
        ``--scenario`` files, applied in order.
    scenarios, actuals : str or Path, optional
        ``--scenarios`` / ``--actuals``: folders instead of the plan's own (`plan_folders`).

    Returns
    -------
    list of str
        ``<file>: OK: ...``: one line for the plan, one per scenario, one per week (or
        ``<folder>: OK: no ... files yet`` for an empty folder).

    Raises
    ------
    ForecastInputError
        For the first problem, naming its file (plan, scenario or actuals), line and field.
    """
    source = load_yaml(plan_path)
    plan = plan_with_scenarios(source, [])  # the plan as written first: its errors come before its folders'
    folders = plan_folders(source, scenarios=scenarios, actuals=actuals)
    if overlays:
        plan = plan_with_scenarios(source, [load_scenario(s, folders.scenarios) for s in overlays])
    found = [load_scenario(p) for p in scenario_paths(folders.scenarios)] if folders.scenarios is not None else []
    fitted = [(scen, plan_with_scenarios(source, [scen])) for scen in found]  # a misfit names the scenario's line
    weeks = read_weeks(folders.actuals, plan) if folders.actuals is not None else []
    n_effort = sum(t.workstream is not None for t in plan.tasks)
    lines = [
        f"{plan_path}: OK: '{plan.name}', {len(plan.tasks)} tasks ({n_effort} effort, "
        f"{len(plan.tasks) - n_effort} duration), {len(plan.workstreams)} workstreams, "
        f"{len(plan.risks)} risks, {len(plan.milestones)} milestones, {len(plan.costs)} costs"
    ]
    lines += [f"{scen.path}: OK: scenario '{scen.name}' fits the plan ({len(p.tasks)} tasks)" for scen, p in fitted]
    if folders.scenarios is not None and not found:
        lines.append(f"{folders.scenarios}: OK: no scenario files yet")
    lines += [f"{a.path}: OK: {a}" for a in weeks]
    if folders.actuals is not None and not weeks:
        lines.append(f"{folders.actuals}: OK: no actuals files yet")
    return lines
