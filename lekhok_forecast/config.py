"""Project paths, limits and default trial counts: the one place each is spelled out, resolved and shown."""

from __future__ import annotations

from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJ_ROOT / "data"
PLANS_DIR = DATA_DIR / "plans"
SCENARIOS_DIR = DATA_DIR / "scenarios"
ACTUALS_DIR = DATA_DIR / "actuals"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
REPORTS_DIR = PROJ_ROOT / "reports"
DEFAULT_PLAN = PLANS_DIR / "lekhok_deployment.yaml"

#: Largest trial count the CLI and engine accept.
MAX_TRIALS = 100_000_000
#: Trials of ``lekhok-forecast simulate`` and of the weekly report (the same, so they agree).
SIMULATE_TRIALS = 100_000
REPORT_TRIALS = SIMULATE_TRIALS
#: Trials of every evaluation of ``lekhok-forecast solve`` (a solve runs about ten).
SOLVE_TRIALS = 50_000


def resolve_path(path: str | Path) -> Path:
    """An absolute path: relative paths are taken from the project root (not the kernel's cwd)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJ_ROOT / p


def display_path(path: str | Path) -> str:
    """A path as shown in outputs: relative to the project root, else just the file name.

    Outputs are committed and printed, so they never carry this machine's absolute paths.
    """
    p = resolve_path(path).resolve()
    try:
        return p.relative_to(PROJ_ROOT.resolve()).as_posix()
    except ValueError:
        return p.name
