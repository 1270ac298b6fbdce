"""The ``lekhok-forecast`` command line.

Heavy libraries are imported inside the commands that use them so that ``--help`` and
``validate`` start fast. Bad input prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from lekhok_forecast.config import (
    DEFAULT_PLAN,
    MAX_TRIALS,
    REPORT_TRIALS,
    SIMULATE_TRIALS,
    SOLVE_TRIALS,
)
from lekhok_forecast.errors import ForecastInputError

if TYPE_CHECKING:  # the plan module pulls in NumPy/SciPy: only the commands that need it import it
    from lekhok_forecast.core.plan import Plan

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:  # noqa: D401 - argparse API
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(limit: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be between 1 and {limit:,}, got {text}")
        return value

    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _week(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of weeks, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of weeks > 0, got {text}")
    return value


def _confidence(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.8 (or 80%), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text}")
    return value


def _scenario_option(p: argparse.ArgumentParser, text: str = "apply a scenario overlay (repeatable, in order)") -> None:
    p.add_argument("--scenario", action="append", default=[], metavar="YAML", help=text)


def _trials_and_seed(p: argparse.ArgumentParser, trials: int, of: str = "") -> None:
    p.add_argument(
        "--trials", type=_positive_int(MAX_TRIALS), default=trials, help=f"Monte Carlo trials{of} (default {trials})"
    )
    p.add_argument("--seed", type=_seed, default=1, help=f"random seed{of} (default 1)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    parser = _Parser(
        prog="lekhok-forecast", description="Monte Carlo schedule, cost and buffer forecasts from a plan file."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "validate", help="check a plan file, its scenarios and its weekly actuals and report the first problem"
    )
    p.add_argument("plan", help="plan YAML file")
    _scenario_option(p)
    p.add_argument(
        "--actuals",
        default=None,
        metavar="DIR",
        help="check every weekly actuals file in DIR (YYYY-Www.csv, YYYY-Www.spend.csv) against the plan"
        " (default: the plan's own actuals folder, if it has one)",
    )
    p.add_argument(
        "--scenarios",
        default=None,
        metavar="DIR",
        help="apply every scenario in DIR to the plan (default: the plan's own scenarios folder, if it has one)",
    )

    p = sub.add_parser("simulate", help="simulate a plan and print the forecast")
    p.add_argument("plan", help="plan YAML file")
    _trials_and_seed(p, SIMULATE_TRIALS)
    p.add_argument(
        "--deadline",
        type=_week,
        action="append",
        default=[],
        metavar="WEEK",
        help="also report P(finish <= WEEK); repeatable",
    )
    p.add_argument("--workers", type=_positive_int(64), default=1, help="processes (results do not depend on it)")
    _scenario_option(p)
    p.add_argument(
        "--actuals",
        default=None,
        metavar="DIR",
        help="re-forecast from the latest weekly actuals in DIR at or before --week, as the weekly report does",
    )
    p.add_argument(
        "--week",
        default=None,
        metavar="YYYY-Www",
        help="the report's ISO week or 'current', with --actuals (default: as the report chooses it)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    p = sub.add_parser("backtest", help="replay a history of finished tasks and score the calibrated forecasts")
    p.add_argument("history_file", metavar="HISTORY.csv", help="finished tasks: estimate,actual[,finish][,labels...]")
    p.add_argument("--by", default=None, metavar="COLUMN", help="replay each value of this label column separately")
    p.add_argument(
        "--within", default=None, metavar="COLUMN", help="groups inside a window for --method workstream (e.g. person)"
    )
    p.add_argument(
        "--history", type=_positive_int(100_000), default=10, metavar="K", help="done tasks per forecast (default 10)"
    )
    p.add_argument("--horizon", type=_positive_int(100_000), default=5, metavar="M", help="tasks forecast (default 5)")
    p.add_argument(
        "--method",
        default=None,
        metavar="NAME",
        help="calibration method: resample, level, size, size-smooth, size-prior or workstream (default: the"
        " weekly re-forecast's)",
    )
    p.add_argument(
        "--trials", type=_positive_int(100_000), default=2000, help="Monte Carlo trials per window (default 2000)"
    )
    p.add_argument("--seed", type=_seed, default=1, help="random seed (default 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    p = sub.add_parser("task-history", help="write a plan's done work as the history file backtest reads")
    p.add_argument("plan", help="plan YAML file")
    p.add_argument("--actuals", default=None, metavar="DIR", help="weekly actuals (default: the plan's own folder)")
    p.add_argument("--week", default=None, metavar="YYYY-Www", help="use the latest actuals at or before this week")
    p.add_argument("--out", default=None, metavar="FILE", help="write the CSV here, atomically (default: print it)")

    p = sub.add_parser("solve", help="find the smallest change that reaches a confidence by a week")
    p.add_argument("plan", help="plan YAML file")
    p.add_argument(
        "--vary",
        required=True,
        choices=("capacity", "buffer", "scope"),
        help="capacity: multiplier of every workstream's hours per week; buffer: fraction of the"
        " baseline; scope: which optional tasks to defer",
    )
    p.add_argument(
        "--by-week",
        type=_week,
        default=None,
        metavar="W",
        help="the week to finish by (default: the plan's latest deadline; not with --vary buffer)",
    )
    p.add_argument(
        "--confidence", type=_confidence, required=True, metavar="C", help="P(finish <= W) to reach, e.g. 0.8"
    )
    _trials_and_seed(p, SOLVE_TRIALS, " of every evaluation")
    _scenario_option(p, "apply a scenario overlay first (repeatable, in order)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a sentence")

    p = sub.add_parser("sweep", help="evaluate a grid of capacities, buffers, scopes, scenarios or plans")
    p.add_argument("plan", help="plan YAML file")
    p.add_argument("--vary", action="append", default=[], metavar="NAME=START:STOP:STEP", help="a grid axis")
    p.add_argument("--by-week", type=_week, metavar="W", help="P(finish <= W) per point (default: latest deadline)")
    p.add_argument("--scenario-files", nargs="+", default=[], metavar="YAML", help="an axis of scenario files")
    p.add_argument("--plans", nargs="+", default=[], metavar="PLAN", help="more plan files: an axis of plans")
    p.add_argument("--cluster", metavar="local|tcp://HOST:PORT", help="run the points on Dask")
    p.add_argument("--workers", type=_positive_int(256), help="processes of --cluster local")
    _trials_and_seed(p, SOLVE_TRIALS, " of every point")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    p = sub.add_parser("report", help="run the report notebooks and write the weekly PDFs")
    p.add_argument(
        "--week",
        default=None,
        metavar="YYYY-Www",
        help="ISO week, or 'current' (default: the current week, or the latest actuals' week when those are"
        " more than 4 weeks older)",
    )
    p.add_argument("--plan", default=str(DEFAULT_PLAN), help="plan YAML file (default: the Lekhok plan in data/plans/)")
    p.add_argument(
        "--trials",
        type=_positive_int(MAX_TRIALS),
        default=None,
        help=f"Monte Carlo trials (default {REPORT_TRIALS}, as simulate)",
    )
    p.add_argument("--seed", type=_seed, default=1, help="random seed (default 1)")
    p.add_argument("--out", default="reports", metavar="DIR", help="output folder (default reports/)")
    actuals = p.add_mutually_exclusive_group()
    actuals.add_argument(
        "--actuals",
        default=None,
        metavar="DIR",
        help="folder of weekly actuals; the report re-forecasts from the latest file at or before"
        " the week (default: the plan's own actuals folder: its `actuals:` key, else actuals/ beside it)",
    )
    actuals.add_argument("--no-actuals", action="store_true", help="ignore actuals: report the plan's own forecast")
    p.add_argument("--notebooks", default=None, metavar="DIR", help="folder of report notebooks (default notebooks/)")
    p.add_argument(
        "--scenarios",
        default=None,
        metavar="DIR",
        help="folder of scenario files the scenarios PDF compares, each checked against the plan before any"
        " notebook runs (default: the plan's own: its `scenarios:` key, else scenarios/ beside it)",
    )

    p = sub.add_parser("init", help="write a starter project: plan.yaml, scenarios/, actuals/, reports/, README.md")
    p.add_argument("folder", metavar="DIR", help="the new project's folder (must not exist, or be empty)")
    p.add_argument("--name", default=None, help="the project's name (default: the folder's name)")

    p = sub.add_parser("notebooks", help="refresh or check the stored notebooks in notebooks/")
    nsub = p.add_subparsers(dest="notebooks_command", metavar="ACTION", required=True, parser_class=_Parser)
    for name, text in (
        ("refresh", "re-execute stored notebooks in place with their default parameters (the nbval baselines)"),
        ("check", "report notebooks that break the house rules (one line per problem; exit 1 if any)"),
    ):
        q = nsub.add_parser(name, help=text)
        q.add_argument("names", nargs="*", metavar="NAME", help="notebook names or paths (default: all)")
    return parser


def _version() -> str:
    from lekhok_forecast import __version__

    return __version__


def _load(path: str, scenarios: list[str]) -> Plan:
    """The plan with its ``--scenario`` overlays; a bare name is looked up in the plan's scenario folder."""
    if not scenarios:  # the overlay and plan-folder modules are imported only for scenarios
        from lekhok_forecast.sources.plan_file import load_plan

        return load_plan(path)
    from lekhok_forecast.sources.plan_folders import plan_folders
    from lekhok_forecast.sources.scenario_file import load_scenario, plan_with_scenarios
    from lekhok_forecast.sources.yamlsource import load_yaml

    source = load_yaml(path)
    folder = plan_folders(source).scenarios
    return plan_with_scenarios(source, [load_scenario(s, folder) for s in scenarios])


def _progress_printer(enabled: bool) -> Callable[[int, int], None] | None:
    if not enabled:
        return None
    state = {"last": -1}

    def show(done: int, total: int) -> None:
        pct = int(100 * done / total)
        if pct != state["last"]:
            state["last"] = pct
            sys.stderr.write(f"\rsimulating: {done:,}/{total:,} trials ({pct}%)")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return show


def _cmd_validate(args: argparse.Namespace) -> int:
    from lekhok_forecast.sources.plan_folders import validate_plan

    for line in validate_plan(args.plan, args.scenario, scenarios=args.scenarios, actuals=args.actuals):
        print(line)
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    if args.actuals is not None:
        return _simulate_as_of(args)
    if args.week is not None:
        raise ForecastInputError("--week needs --actuals DIR (the weekly actuals to re-forecast from)")
    plan = _load(args.plan, args.scenario)
    deadlines = _deadlines(plan, args.deadline)
    from lekhok_forecast.analysis.summary import summary_dict
    from lekhok_forecast.core.engine import simulate
    from lekhok_forecast.present.simulate_text import summary_text
    from lekhok_forecast.sources.table_cache import cached_tables

    show = _progress_printer(sys.stderr.isatty() and args.trials >= 1_000_000)
    with cached_tables(plan):  # tables built by earlier runs are read, not built again
        result = simulate(plan, args.trials, args.seed, workers=args.workers, progress=show)
    summary = summary_dict(result, deadlines)
    summary["plan_file"] = args.plan
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(summary_text(summary))
    return 0


def _deadlines(plan: Plan, extra: list[float]) -> list[float]:
    """The plan's deadlines, then each `--deadline` week not among them."""
    return list(plan.deadlines) + [d for d in extra if d not in plan.deadlines]


def _simulate_as_of(args: argparse.Namespace) -> int:
    """``simulate --actuals DIR --week W``: the weekly report's as-of forecast of that week."""
    if args.scenario:
        raise ForecastInputError("--scenario does not apply with --actuals: the weekly forecast is the plan's")
    from pathlib import Path

    from lekhok_forecast.analysis.summary import strict_json
    from lekhok_forecast.app.forecast import as_of_forecast, week_basis
    from lekhok_forecast.config import display_path
    from lekhok_forecast.present.simulate_text import basis_line, summary_text
    from lekhok_forecast.sources.actuals_file import report_week_choice
    from lekhok_forecast.sources.plan_file import load_plan
    from lekhok_forecast.sources.table_cache import cached_tables
    from lekhok_forecast.sources.weeks import choose_week

    choose_week(args.week, ())  # a bad --week before the plan is read
    plan = load_plan(args.plan)
    choice = report_week_choice(args.week, args.actuals)
    week = choice.week
    if choice.note:
        sys.stderr.write(choice.note + "\n")
    deadlines = _deadlines(plan, args.deadline)
    basis, reported = week_basis(plan, week, args.actuals)  # every actuals file up to the week validated
    with cached_tables(plan):
        fc = as_of_forecast(
            plan,
            display_path(Path(args.plan).resolve()),
            basis,
            reported,
            args.trials,
            args.seed,
            deadlines,
            workers=args.workers,
        )
    summary = strict_json(dict(fc.summary, week=week, week_rule=choice.rule))
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(basis_line(summary))
        print(summary_text(summary))
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from lekhok_forecast.app.task_history import backtest_cli

    return backtest_cli(args)


def _cmd_task_history(args: argparse.Namespace) -> int:
    from lekhok_forecast.app.task_history import task_history_cli

    return task_history_cli(args)


def _cmd_solve(args: argparse.Namespace) -> int:
    """Exit 0 when the target is reached, 1 when it is not (the output says the best found)."""
    plan = _load(args.plan, args.scenario)
    by_week = args.by_week
    if args.vary == "buffer":
        if by_week is not None:
            raise ForecastInputError(
                "--by-week does not apply to --vary buffer: the buffer is sized on the plan's baseline_weeks"
            )
    elif by_week is None:
        if not plan.deadlines:
            raise ForecastInputError("the plan has no deadlines; give the week with --by-week W", file=args.plan)
        by_week = max(plan.deadlines)
    from lekhok_forecast.analysis.solve import solve_capacity, solve_scope
    from lekhok_forecast.present.solve_text import solve_sentence

    try:
        if args.vary == "capacity":
            solution = solve_capacity(plan, by_week, args.confidence, args.trials, args.seed)
        elif args.vary == "buffer":
            from lekhok_forecast.analysis.solve_buffer import solve_buffer  # loads pandas: only here

            solution = solve_buffer(plan, args.confidence, args.trials, args.seed)
        else:
            solution = solve_scope(plan, by_week, args.confidence, args.trials, args.seed)
    except ValueError as exc:  # the plan cannot answer this question (no effort task, no optional task)
        raise ForecastInputError(str(exc), file=args.plan) from None
    if args.json:
        out = solution.as_dict()
        out["plan_file"] = args.plan
        print(json.dumps(out, indent=1))
    else:
        print(solve_sentence(solution))
    return 0 if solution.reached else 1


def _cmd_sweep(args: argparse.Namespace) -> int:
    from lekhok_forecast.app.sweep import sweep_cli

    return sweep_cli(args)


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from lekhok_forecast.report.stored import check_notebook, choose_notebooks, refresh

    paths = choose_notebooks(args.names)
    if args.notebooks_command == "refresh":
        return 1 if refresh(paths, say=lambda line: print(line, file=sys.stderr)) else 0
    problems = [f"{p.name}: {problem}" for p in paths for problem in check_notebook(p)]
    for line in problems:
        print(line)
    return 1 if problems else 0


def _cmd_init(args: argparse.Namespace) -> int:
    """Exit 0 when the project is written, 2 on bad input, 1 when the folder cannot be written."""
    from pathlib import Path

    from lekhok_forecast.sources.workspace import write_workspace

    folder = Path(args.folder)
    try:
        written = write_workspace(folder, args.name)
    except OSError as exc:
        sys.stderr.write(f"lekhok-forecast init: cannot write {folder}: {exc.strerror or exc}; nothing was written\n")
        return 1
    print(f"wrote {folder}/: {', '.join(p.relative_to(folder).as_posix() for p in written)}, reports/")
    print(f"next: cd {folder} && lekhok-forecast validate plan.yaml (the weekly routine is in README.md)")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from lekhok_forecast.report.run import run_report_cli

    return run_report_cli(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lekhok-forecast`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    handler = globals()[f"_cmd_{args.command.replace('-', '_')}"]  # subcommand NAME is handled by _cmd_NAME
    try:
        return handler(args)
    except ForecastInputError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("lekhok-forecast: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error of ours; silence the flush at exit.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
