"""``lekhok-forecast init DIR``: a new project folder, written whole or not at all.

The starter project is the package data in ``sources/templates/workspace/``: a commented
``plan.yaml``, ``scenarios/`` with one overlay, ``actuals/`` with the blank forms
``template.csv`` and ``template.spend.csv``, an empty ``reports/`` and a README of the
weekly routine. Three tokens in the templates are filled in: ``__NAME__`` (the project's
name), ``__START__`` (week 0: this week's Monday, or an earlier one if that is a holiday) and ``__HOLIDAYS__``
(the usual new-year public holidays in the plan's first year, as an example to replace).

Before anything is written, the plan is validated and every scenario applied to it, so a
name that does not fit the plan (or a broken template) is reported and nothing is made.
The files are written into a hidden staging folder beside `DIR` and renamed onto it in
one step.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
from pathlib import Path

from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.atomic import umask
from lekhok_forecast.sources.plan_file import plan_from_source
from lekhok_forecast.sources.scenario_file import plan_with_scenarios, scenario_from_source
from lekhok_forecast.sources.yamlsource import parse_yaml

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "workspace"
#: Folders of a project (``reports/`` starts empty).
FOLDERS = ("scenarios", "actuals", "reports")
#: Example holidays (month, day) written into a new plan's calendar, in its first year.
EXAMPLE_HOLIDAYS = ((1, 1), (12, 24), (12, 25), (12, 26), (12, 31))


def template_files() -> dict[str, str]:
    """The starter project's files: relative path -> text, tokens not yet filled in."""
    return {
        p.relative_to(TEMPLATE_DIR).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(TEMPLATE_DIR.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def starter_files(name: str, today: _dt.date | None = None) -> dict[str, str]:
    """The starter project's files for project `name`, checked: relative path -> text.

    Parameters
    ----------
    name : str
        The project's name (the plan's ``name`` and the README's title).
    today : date, optional
        Week 0 is the Monday of `today`'s week (default: today; `first_monday_and_holidays`).

    Raises
    ------
    ForecastInputError
        ``--name: ...`` if the plan written with `name` does not validate, or a scenario
        does not fit it.
    """
    if not name.strip() or "\n" in name:
        raise ForecastInputError(f"--name: expected a one-line project name, got {name!r}")
    start, holidays = first_monday_and_holidays(today or _dt.date.today())
    tokens = {
        "__NAME__": json.dumps(name.strip(), ensure_ascii=False),  # a JSON string is a YAML double-quoted scalar
        "__START__": start.isoformat(),
        "__HOLIDAYS__": "[" + ", ".join(h.isoformat() for h in holidays) + "]",
    }
    files = {}
    for rel, text in template_files().items():
        for token, value in tokens.items():
            # the README's title is plain text, not YAML
            text = text.replace(token, name.strip() if rel.endswith(".md") and token == "__NAME__" else value)
        files[rel] = text
    try:
        plan_src = parse_yaml(files["plan.yaml"], "plan.yaml")
        plan = plan_from_source(plan_src)
        for rel in (r for r in files if r.startswith("scenarios/")):
            plan_with_scenarios(plan_src, [scenario_from_source(parse_yaml(files[rel], rel))])
    except ForecastInputError as exc:
        raise ForecastInputError(f"--name: the starter plan with this name does not validate: {exc}") from None
    if plan.name != name.strip():
        raise ForecastInputError(f"--name: {name!r} does not survive as the plan's name (got {plan.name!r})")
    return files


def first_monday_and_holidays(today: _dt.date) -> tuple[_dt.date, list[_dt.date]]:
    """Week 0 of a new plan and its example holidays.

    Week 0 is this week's Monday (the latest Monday on or before `today` that is no
    holiday), so that the first ``report`` (the current week) is a week of the plan. The
    holidays are `EXAMPLE_HOLIDAYS` in the year from week 0 on, oldest first.
    """
    start = today - _dt.timedelta(days=today.weekday())
    while True:
        end = start + _dt.timedelta(days=365)
        holidays = sorted(
            d
            for year in (start.year, start.year + 1)
            for d in (_dt.date(year, m, day) for m, day in EXAMPLE_HOLIDAYS)
            if start <= d < end
        )
        if start not in holidays:
            return start, holidays
        start -= _dt.timedelta(days=7)


def write_workspace(folder: str | Path, name: str | None = None, today: _dt.date | None = None) -> list[Path]:
    """Write a new project into `folder` (which must not exist or be empty).

    Parameters
    ----------
    folder : str or Path
        The project folder; its parents are created when missing.
    name : str, optional
        The project's name (default: the folder's name).
    today : date, optional
        Week 0 of the plan is the Monday of its week (default: today).

    Returns
    -------
    list of Path
        The files written, inside `folder`, in path order.

    Raises
    ------
    ForecastInputError
        If `folder` is a file or a folder with anything in it (``DIR: ...`` one line), or
        `name` does not make a valid plan; nothing is written then.
    OSError
        If the folder cannot be written; nothing is left behind then.
    """
    target = Path(folder).expanduser()
    if target.exists() and not target.is_dir():
        raise ForecastInputError("is a file; init writes a new project folder", file=str(folder))
    if target.is_dir() and any(target.iterdir()):
        raise ForecastInputError(
            "is not empty; init writes a new project only into a new or empty folder", file=str(folder)
        )
    files = starter_files(name if name is not None else target.resolve().name, today)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=target.parent))
    try:
        for sub in FOLDERS:
            (staging / sub).mkdir()
        for rel, text in files.items():
            (staging / rel).write_text(text, encoding="utf-8")
        for d in (staging, *(staging / sub for sub in FOLDERS)):
            os.chmod(d, 0o777 & ~umask())  # mkdtemp makes 0700: the team should see the project as a mkdir would
        # one step: an empty folder is replaced, a missing one created; a folder filled meanwhile is refused
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(target / rel for rel in files)
