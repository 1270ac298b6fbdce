"""``lekhok-forecast task-history`` and ``backtest``: a project's done work as a task history, and its replay.

`task_history_cli` is the converter from a plan's own weekly actuals to the history file
``backtest`` reads (`lekhok_forecast.sources.task_history_file`): the done effort tasks of
the latest actuals at or before ``--week``, with the calibration's evidence (most likely
and actual hours; `lekhok_forecast.tracking.backtest.project_history`), in finish order.
The actuals folder is the plan's own unless ``--actuals`` names one
(`lekhok_forecast.sources.plan_folders`, the rule ``validate``, ``simulate`` and
``report`` use). `backtest_cli` replays such a file (`lekhok_forecast.tracking.backtest`).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from lekhok_forecast.errors import ForecastInputError, did_you_mean
from lekhok_forecast.present.backtest_text import backtest_text
from lekhok_forecast.sources.actuals_file import read_weeks
from lekhok_forecast.sources.plan_file import plan_from_source
from lekhok_forecast.sources.plan_folders import plan_folders
from lekhok_forecast.sources.task_history_file import (
    TaskHistory,
    read_task_history,
    task_history_text,
    write_task_history,
)
from lekhok_forecast.sources.weeks import choose_week
from lekhok_forecast.sources.yamlsource import load_yaml
from lekhok_forecast.tracking.backtest import DEFAULT_METHOD, METHODS, backtest, project_history


def plan_task_history(plan_path: str, actuals_dir: str | None = None, week: str | None = None) -> TaskHistory:
    """The done effort tasks of a plan's actuals, as a task history (module docstring).

    Parameters
    ----------
    plan_path : str
        The plan file.
    actuals_dir : str, optional
        ``--actuals``: a folder instead of the plan's own.
    week : str, optional
        ``--week``: an ISO week ``YYYY-Www`` or ``current``; the latest actuals file at or
        before it is used (default: the latest file).

    Raises
    ------
    ForecastInputError
        For a bad week, plan, folder or actuals file (naming it), a plan without an actuals
        folder, no actuals file up to the week, or no done effort task in it.
    """
    chosen = choose_week(week, ()).week if week is not None else None  # a bad --week before the plan
    source = load_yaml(plan_path)
    plan = plan_from_source(source)
    folder = plan_folders(source, actuals=actuals_dir).actuals
    if folder is None:
        raise ForecastInputError(
            "the plan has no actuals folder (no `actuals:` key, no actuals/ beside it); name one with --actuals DIR",
            file=plan_path,
        )
    weeks = read_weeks(folder, plan, up_to=chosen)  # every file up to the week validated
    if not weeks:
        upto = f" at or before {chosen}" if chosen is not None else ""
        raise ForecastInputError(f"no weekly actuals file (YYYY-Www.csv){upto}", file=str(folder))
    hist = project_history(plan, weeks[-1])
    if len(hist) == 0:
        raise ForecastInputError(
            f"no done effort task in {weeks[-1].week} yet: a task history needs at least one", file=str(weeks[-1].path)
        )
    return hist


def task_history_cli(args: Any) -> int:
    """``lekhok-forecast task-history`` (`args` from its parser): write or print the CSV; one line on stderr."""
    hist = plan_task_history(args.plan, args.actuals, args.week)
    if args.out is None:
        sys.stdout.write(task_history_text(hist))
        return 0
    try:
        write_task_history(args.out, hist)
    except OSError as exc:
        raise ForecastInputError(
            f"cannot write the file: {exc.strerror or exc}; nothing was written", file=args.out
        ) from None
    n = len(hist)
    print(f"wrote {args.out}: {n} done effort task{'s' if n != 1 else ''} of {hist.file}", file=sys.stderr)
    return 0


def backtest_cli(args: Any) -> int:
    """``lekhok-forecast backtest`` (`args` from its parser): print the scores as text or JSON."""
    method = args.method if args.method is not None else DEFAULT_METHOD
    if method not in METHODS:
        raise ForecastInputError(
            f"unknown method {method!r}{did_you_mean(method, METHODS)}; one of {', '.join(METHODS)}",
            field="--method",
        )
    hist = read_task_history(args.history_file, by=args.by)
    if args.within is not None and args.within not in hist.labels:
        raise ForecastInputError(
            f"no label column {args.within!r}{did_you_mean(args.within, list(hist.labels))}; label columns:"
            f" {', '.join(hist.labels) or 'none'}",
            file=args.history_file,
            field="--within",
        )
    result = backtest(
        hist.estimates,
        hist.actuals,
        labels=hist.labels[args.by] if args.by else None,
        order=hist.order(),
        history=args.history,
        horizon=args.horizon,
        method=method,
        trials=args.trials,
        seed=args.seed,
        by=args.by,
        within=hist.labels[args.within] if args.within is not None else None,
    )
    if args.json:
        print(json.dumps({"history_file": args.history_file, **result.as_dict()}, indent=1))
    else:
        print(backtest_text(result, args.history_file))
    return 0
