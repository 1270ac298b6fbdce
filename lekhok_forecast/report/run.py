"""``lekhok-forecast report``: run the report notebooks and write the week's PDFs.

For an ISO week (default: the current one) every notebook in ``notebooks/`` is executed
with papermill (two at a time), converted to an A4 PDF with the code hidden
(`lekhok_forecast.report.pdf`), and the results land in ``reports/<week>/``:

* ``weekly-status.pdf`` (the one a manager reads) and one PDF per other notebook;
* the executed notebooks (``weekly_status.ipynb`` ...), for anyone who wants the details;
* ``summary.json``: the headline numbers with the keys of ``simulate --json``, computed
  with the same plan, actuals, trials and seed as the notebooks, so the numbers agree:
  the re-forecast from the latest actuals at or before the week when there are any
  (`lekhok_forecast.tracking.status.weekly_status`), else the plan's own forecast; plus
  ``as_of_week``, ``actuals_week``, ``actuals_file``, ``weeks_stale``, ``calibrated`` and
  the plan / uncalibrated / calibrated forecasts side by side (``forecasts``);
* ``figures/``: the figures as PNG files;

and the week's row (plus any earlier week's missing row) in ``<out>/forecast_history.csv``
(`lekhok_forecast.sources.history_file`; re-running a week replaces its row, other rows stay as they are).

Everything is first written to a staging folder and moved into place only when every
notebook and PDF succeeded, so a failure leaves the week's earlier outputs untouched;
the failed executed notebook is kept as ``<name>.failed.ipynb`` for debugging, and the
history file is written last, only after a success. The plan, the week and every actuals
file up to the week are validated before anything runs (bad input: one line, exit status
2, nothing written).

Where the time goes (2-core build machine; the progress lines give each notebook's
execution and PDF time): 16-18 s for the whole report at 100,000 trials. Per notebook,
about 1.3 s of kernel start, 1.3 s of imports and simulation, 0.1-0.8 s per figure, and
1-2 s for Chromium's print; two notebooks at a time roughly halve the total.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lekhok_forecast.config import ACTUALS_DIR, DEFAULT_PLAN, NOTEBOOKS_DIR, REPORTS_DIR
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.weeks import check_week, current_week

#: Trials per simulation in the weekly report (the same default as ``simulate``).
REPORT_TRIALS = 100_000
#: The notebook whose PDF is the weekly status report; it runs first.
MAIN_NOTEBOOK = "weekly_status"
#: Notebooks executed at a time. The machine has two cores; a kernel is one process.
WORKERS = 2
#: Seconds a single cell may run before the notebook counts as failed.
CELL_TIMEOUT = 600


def fast_notebook_imports() -> None:
    """Make importing nbformat (via papermill/nbconvert) cheap in this process.

    With jupyterlab installed, jsonschema imports ``rfc3987_syntax``, which builds a lark
    grammar at import time (0.7 s warm, several seconds cold) only to check the "iri"
    string format. The notebook schema never uses that format, so the module is marked
    absent; jsonschema then skips that one checker. Call before importing nbformat.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


# ------------------------------------------------------------------- notebooks


@dataclass(frozen=True)
class ReportNotebook:
    """One notebook of the report and where its outputs go."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def pdf_name(self) -> str:
        """``weekly_status`` -> ``weekly-status.pdf``."""
        return self.name.replace("_", "-") + ".pdf"

    def title(self, week: str) -> str:
        """The notebook's first Markdown heading plus the week: the PDF's title."""
        heading = self.name.replace("_", " ").capitalize()
        cells = json.loads(self.path.read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") != "markdown":
                continue
            source = cell.get("source", "")
            lines = ("".join(source) if isinstance(source, list) else source).splitlines()
            found = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("# ")), None)
            if found:
                heading = found
                break
        return f"{heading} ({week})"


def report_notebooks(folder: str | Path = NOTEBOOKS_DIR) -> list[ReportNotebook]:
    """The folder's notebooks, the weekly status first, then by name.

    Raises
    ------
    ForecastInputError
        If the folder has no ``weekly_status.ipynb``.
    """
    folder = Path(folder)
    paths = sorted(p for p in folder.glob("*.ipynb") if not p.name.endswith(".failed.ipynb"))
    if not any(p.stem == MAIN_NOTEBOOK for p in paths):
        raise ForecastInputError(f"no {MAIN_NOTEBOOK}.ipynb in the notebooks folder", file=str(folder))
    paths.sort(key=lambda p: (p.stem != MAIN_NOTEBOOK, p.name))
    return [ReportNotebook(p) for p in paths]


@dataclass
class NotebookOutcome:
    """What happened to one notebook: timings, or the error."""

    notebook: ReportNotebook
    execute_seconds: float = 0.0
    pdf_seconds: float = 0.0
    error: str | None = None


@dataclass
class ReportResult:
    """The outcome of `run_report`."""

    week: str
    week_dir: Path
    outcomes: list = field(default_factory=list)
    shown_dir: Path | None = None
    summary: dict | None = None
    seconds: float = 0.0
    history_file: Path | None = None  # the forecast history written (None: not written)

    @property
    def ok(self) -> bool:
        return all(o.error is None for o in self.outcomes) and self.summary is not None


def _describe_failure(exc: BaseException, nb: ReportNotebook, kept: Path | None) -> str:
    """One line: which notebook, which cell, which exception, where the evidence is."""
    where = ""
    cell = getattr(exc, "cell_index", None)
    if cell is not None:
        count = getattr(exc, "exec_count", None)
        source = (getattr(exc, "source", "") or "").strip().splitlines()
        first = next((ln for ln in source if ln.strip() and not ln.lstrip().startswith("#")), "")
        where = f" in cell {cell}" + (f" (In [{count}])" if count else "")
        if first:
            where += f" `{first[:70]}`"
        what = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', '')}".strip()
    else:
        what = f"{type(exc).__name__}: {exc}"
    what = " ".join(what.split())
    tail = f"; executed notebook kept at {kept}" if kept else ""
    return f"notebook {nb.path.name} failed{where}: {what}{tail}"


def _declared_parameters(path: Path) -> set:
    import papermill

    return set(papermill.inspect_notebook(str(path)))


#: Arguments for each kernel: its own log (e.g. ipykernel's notice that local TCP is
#: unencrypted) would interleave with the progress lines; cell errors still reach us.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


def _execute(nb: ReportNotebook, out_path: Path, parameters: dict, cwd: Path) -> None:
    import papermill

    declared = _declared_parameters(nb.path)
    # The kernel's folder goes in `resources`: papermill's own `cwd` option calls
    # os.chdir, which is process-wide and breaks the other threads' relative paths.
    papermill.execute_notebook(
        str(nb.path),
        str(out_path),
        parameters={k: v for k, v in parameters.items() if k in declared},
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        execution_timeout=CELL_TIMEOUT,
        extra_arguments=KERNEL_ARGUMENTS,
        resources={"metadata": {"path": str(cwd)}},
    )


def run_report(
    week: str,
    plan_path: str | Path = DEFAULT_PLAN,
    trials: int = REPORT_TRIALS,
    seed: int = 1,
    out_dir: str | Path = REPORTS_DIR,
    notebooks_dir: str | Path = NOTEBOOKS_DIR,
    actuals_dir: str | Path | None = ACTUALS_DIR,
    workers: int = WORKERS,
    progress=None,
) -> ReportResult:
    """Execute the report notebooks for `week` and write PDFs, notebooks and summary.json.

    Parameters
    ----------
    week : str
        ISO week ``YYYY-Www``; outputs go to ``out_dir/week/``.
    plan_path : str or Path
        Plan YAML (relative to the current folder).
    trials, seed : int
        Passed to every notebook and used for summary.json.
    out_dir, notebooks_dir : str or Path
    actuals_dir : str or Path or None
        Folder of weekly actuals (default ``data/actuals``); the report uses the latest
        file at or before `week`. None: no actuals, the plan's own forecast. Passed as
        ``actuals_dir`` (and ``<out_dir>/forecast_history.csv`` as ``history_path``) to
        notebooks that declare those parameters.
    workers : int
        Notebooks executed (and printed) at a time.
    progress : callable, optional
        Called with one line of text per step.

    Returns
    -------
    ReportResult
        ``ok`` is False if any notebook or PDF failed; then nothing of this run replaced
        an earlier output, and failed notebooks are kept as ``<name>.failed.ipynb``.

    Raises
    ------
    ForecastInputError
        For a bad week, plan, actuals file, history file or notebooks folder (before
        anything is written).
    """
    t0 = time.perf_counter()
    say = progress or (lambda line: None)
    check_week(week)
    from lekhok_forecast.app.forecast import run_weekly_forecast
    from lekhok_forecast.sources.history_file import HISTORY_FILE
    from lekhok_forecast.sources.plan_file import load_plan

    plan = load_plan(plan_path)  # first, so that an error names the plan as the user wrote it
    validate_actuals(plan, week, actuals_dir)  # likewise: errors name the files as the user wrote them
    plan_file = Path(plan_path).resolve()  # the notebooks' kernels run elsewhere
    actuals = Path(actuals_dir).resolve() if actuals_dir is not None else None
    history_file = Path(out_dir).resolve() / HISTORY_FILE
    forecast = run_weekly_forecast(plan_file, trials, seed, week, actuals, history_file, changes=False)
    notebooks_dir = Path(notebooks_dir).resolve()
    notebooks = report_notebooks(notebooks_dir)
    fast_notebook_imports()
    from lekhok_forecast.report.pdf import find_chromium, notebook_to_pdf

    chromium = find_chromium()
    shown_dir = Path(out_dir) / week  # as the user wrote it, for messages
    out_dir = Path(out_dir).resolve()  # absolute: worker threads must not depend on the cwd
    week_dir = out_dir / week
    say(
        f"report {week}: {len(notebooks)} notebook{'s' if len(notebooks) != 1 else ''}, plan {forecast.plan_file},"
        f" {_basis_note(forecast.status)}, {trials:,} trials, seed {seed} -> {shown_dir}/"
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{week}.staging-", dir=out_dir))
    parameters = {
        "plan_path": str(plan_file),
        "trials": trials,
        "seed": seed,
        "week": week,
        "output_dir": str(staging),
        "figure_format": "retina",
        "actuals_dir": str(actuals) if actuals is not None else "",
        "history_path": str(history_file),
    }
    result = ReportResult(week, week_dir, shown_dir=shown_dir)
    total = len(notebooks)

    def one(k_nb):
        k, nb = k_nb
        outcome = NotebookOutcome(nb)
        executed = staging / f"{nb.name}.ipynb"
        t = time.perf_counter()
        try:
            _execute(nb, executed, parameters, notebooks_dir)
        except Exception as exc:  # a failing cell, a dead kernel: report it, keep going
            outcome.execute_seconds = time.perf_counter() - t
            kept = None
            if executed.exists():
                week_dir.mkdir(parents=True, exist_ok=True)
                os.replace(executed, week_dir / f"{nb.name}.failed.ipynb")
                kept = shown_dir / f"{nb.name}.failed.ipynb"
            outcome.error = _describe_failure(exc, nb, kept)
            say(f"[{k}/{total}] {nb.name}: FAILED after {outcome.execute_seconds:.1f} s")
            return outcome
        outcome.execute_seconds = time.perf_counter() - t
        t = time.perf_counter()
        try:
            notebook_to_pdf(executed, staging / nb.pdf_name, nb.title(week), chromium=chromium)
        except Exception as exc:
            outcome.error = f"PDF of {nb.path.name} failed: {exc}"
            say(f"[{k}/{total}] {nb.name}: PDF FAILED")
            return outcome
        outcome.pdf_seconds = time.perf_counter() - t
        say(f"[{k}/{total}] {nb.name}: executed in {outcome.execute_seconds:.1f} s, PDF in {outcome.pdf_seconds:.1f} s")
        return outcome

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(one, item) for item in enumerate(notebooks, 1)]
            result.outcomes = [f.result() for f in futures]
        result.summary = dict(forecast.summary, week=week)
        if all(o.error is None for o in result.outcomes):
            (staging / "summary.json").write_text(
                json.dumps(_finite(result.summary), indent=1) + "\n", encoding="utf-8"
            )
            _publish(staging, week_dir, [nb.name for nb in notebooks])
            rows = forecast.status.history_rows
            if rows:  # last: only a report that succeeded is recorded
                from lekhok_forecast.sources.history_file import record_weeks

                record_weeks(list(rows), history_file)
                result.history_file = history_file
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - t0
    return result


def validate_actuals(plan, week: str, actuals_dir: str | Path | None) -> None:
    """Check the week against the plan and read every actuals file up to it.

    Raises
    ------
    ForecastInputError
        ``--week: ...`` for a week that ends before the plan starts; ``file:line: column:
        message`` for a bad actuals file (named as given).
    """
    from lekhok_forecast.sources.actuals_file import read_weeks
    from lekhok_forecast.tracking.status import report_week

    try:
        rw = report_week(plan, week, actuals_dir)
    except ForecastInputError as exc:
        if exc.file is None:
            raise ForecastInputError(f"--week: {exc.message}") from None
        raise
    if rw.has_actuals:
        read_weeks(actuals_dir, plan, up_to=rw.actuals_week)


def _finite(value):
    """`value` with NaN and infinities as None: summary.json stays strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _basis_note(status) -> str:
    """``actuals 2025-W11``, ``actuals 2025-W11 (89 weeks old)`` or ``no actuals``."""
    r = status.report
    if not r.has_actuals:
        return "no actuals (the plan's forecast)"
    return f"actuals {r.actuals_week}" + (
        f" ({r.weeks_stale} week{'s' if r.weeks_stale != 1 else ''} old)" if r.stale else ""
    )


def _publish(staging: Path, week_dir: Path, names: list[str]) -> None:
    """Move every staged file into the week's folder (each move atomic), PDFs last."""
    week_dir.mkdir(parents=True, exist_ok=True)
    files = sorted((p for p in staging.rglob("*") if p.is_file()), key=lambda p: (p.suffix == ".pdf", str(p)))
    for src in files:
        dest = week_dir / src.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
    for name in names:  # a success supersedes an earlier failure
        (week_dir / f"{name}.failed.ipynb").unlink(missing_ok=True)


# ------------------------------------------------------------------------- CLI


def _same_file(a, b) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def run_report_cli(args) -> int:
    """``lekhok-forecast report``: returns the exit status (0 ok, 1 a notebook/PDF failed).

    Bad input (week, plan, notebooks folder) raises `ForecastInputError`, which the CLI
    prints as one line with exit status 2.
    """
    week = args.week or current_week()

    def say(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    from lekhok_forecast.report.pdf import PdfError

    try:
        actuals = getattr(args, "actuals", None)
        if actuals is None and not getattr(args, "no_actuals", False) and _same_file(args.plan, DEFAULT_PLAN):
            # data/actuals tracks the Lekhok plan; another plan has no actuals unless given.
            actuals = ACTUALS_DIR
        result = run_report(
            week,
            args.plan,
            args.trials or REPORT_TRIALS,
            args.seed,
            args.out,
            getattr(args, "notebooks", None) or NOTEBOOKS_DIR,
            actuals,
            progress=say,
        )
    except PdfError as exc:
        say(f"lekhok-forecast report: {exc}")
        return 1
    failures = [o.error for o in result.outcomes if o.error]
    for line in failures:
        say(f"lekhok-forecast report: {line}")
    if failures:
        say(
            f"lekhok-forecast report: {len(failures)} of {len(result.outcomes)} notebook(s) failed;"
            f" earlier outputs in {result.shown_dir}/ were left as they were"
        )
        return 1
    history = f", {Path(args.out) / result.history_file.name}" if result.history_file is not None else ""
    say(
        f"wrote {result.shown_dir / 'weekly-status.pdf'} (+{len(result.outcomes) - 1} PDFs, executed notebooks,"
        f" summary.json{history}) in {result.seconds:.1f} s"
    )
    return 0
