"""Executing the report's notebooks: papermill, two at a time, each printed to PDF.

Each notebook runs in a warm kernel with the report's parameters and is printed by
`lekhok_forecast.report.pdf` in the report's one browser (started while the first
notebooks run); a failure is turned into one line naming the notebook, the
cell and the cause (a full disk is named as such).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_core.utils import run_sync

from lekhok_forecast.config import NOTEBOOKS_DIR
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.report.browser import Browser, BrowserError
from lekhok_forecast.report.pdf import notebook_to_pdf
from lekhok_forecast.report.staging import is_disk_full

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

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
        # None in sys.modules means "not importable" (the import system's documented
        # convention); typeshed types the values as modules only.
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


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

    def title(self, week: str, executed: Path | None = None) -> str:
        """The notebook's title plus the week: the PDF's title.

        The title is the first ``# `` heading the executed notebook shows (a notebook builds
        its title from the plan, in a Markdown output), else the first in its own Markdown
        cells, else its name.
        """
        heading = self.name.replace("_", " ").capitalize()
        found = _first_heading(executed, outputs=True) if executed is not None else None
        heading = found or _first_heading(self.path, outputs=False) or heading
        return f"{heading} ({week})"


def _first_heading(path: Path, *, outputs: bool) -> str | None:
    """The first ``# `` line of a notebook's Markdown cells, or (`outputs`) of its Markdown outputs."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return None
    for cell in cells:
        if outputs:
            texts = [o.get("data", {}).get("text/markdown", "") for o in cell.get("outputs", [])]
        elif cell.get("cell_type") == "markdown":
            texts = [cell.get("source", "")]
        else:
            continue
        for text in texts:
            lines = ("".join(text) if isinstance(text, list) else text).splitlines()
            found = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("# ")), None)
            if found:
                return found
    return None


def report_notebooks(folder: str | Path = NOTEBOOKS_DIR) -> list[ReportNotebook]:
    """The folder's notebooks in the order they are handed to the kernels.

    The weekly status first (the one PDF a manager reads), then the largest stored notebook
    first: a notebook's stored size (its figures and tables) follows its run time, and
    starting the long ones first lets the two kernels finish together (Lekhok at 100,000
    trials: the 130 kB schedule-risk notebook runs 3.2 s, the 34 kB buffers one 1.1 s).

    Raises
    ------
    ForecastInputError
        If the folder has no ``weekly_status.ipynb``.
    """
    folder = Path(folder)
    paths = sorted(p for p in folder.glob("*.ipynb") if not p.name.endswith(".failed.ipynb"))
    if not any(p.stem == MAIN_NOTEBOOK for p in paths):
        raise ForecastInputError(f"no {MAIN_NOTEBOOK}.ipynb in the notebooks folder", file=str(folder))
    paths.sort(key=lambda p: (p.stem != MAIN_NOTEBOOK, -p.stat().st_size, p.name))
    return [ReportNotebook(p) for p in paths]


@dataclass
class NotebookOutcome:
    """What happened to one notebook: timings, or the error."""

    notebook: ReportNotebook
    execute_seconds: float = 0.0
    pdf_seconds: float = 0.0
    error: str | None = None


def _describe_failure(exc: BaseException, nb: ReportNotebook, kept: Path | None, staging: Path) -> str:
    """One line: which notebook, which cell, which exception, where the evidence is.

    A full disk is named as such, whichever part of the run ran into it.
    """
    if is_disk_full(f"{exc} {getattr(exc, 'evalue', '')}") or _disk_full(staging):
        return f"notebook {nb.path.name} failed: no space left on the device: free some space and run the report again"
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
        if type(exc).__name__ == "DeadKernelError":  # nbclient's: the kernel process ended mid-cell
            what = "its kernel died (killed, or out of memory); run the report again"
    what = " ".join(what.split())
    tail = f"; executed notebook kept at {kept}" if kept else ""
    return f"notebook {nb.path.name} failed{where}: {what}{tail}"


def _declared_parameters(path: Path) -> set:
    import papermill

    return set(papermill.inspect_notebook(str(path)))


#: Arguments for each kernel: its own log (e.g. ipykernel's notice that local TCP is
#: unencrypted) would interleave with the progress lines; cell errors still reach us.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


#: Run in each kernel as soon as it has started, while the report is still computing its
#: forecasts: the first notebook then finds the package, pandas and matplotlib imported.
#: (``%reset -f`` between notebooks clears names, not imported modules.)
PRELOAD = "import IPython.display, lekhok_forecast.app.bundle, lekhok_forecast.present.figures"


class KernelPool:
    """Kernels kept warm across the report's notebooks, started as soon as the pool is made.

    Each worker runs its notebooks one after another in one kernel, so the kernel start and
    the imports (about 2.5 s a notebook) are paid once per worker, not once per notebook,
    and they are paid in the background: the pool starts its kernels (and runs `PRELOAD`
    in them) in threads of its own when it is made. Before each notebook the kernel's
    namespace is cleared (``%reset -f``), so no notebook sees another's variables; the
    stored notebooks also run alone under nbval, so a notebook that relied on another's
    state would fail there. A kernel that died, failed to start or whose notebook failed
    is shut down and replaced by a fresh one for the next notebook.
    """

    def __init__(self, size: int, cwd: Path):
        self.cwd = cwd
        self._free: queue.Queue[Future[AsyncKernelManager] | AsyncKernelManager | None] = queue.Queue()
        self._all: list[AsyncKernelManager] = []
        self._starter = ThreadPoolExecutor(max_workers=max(1, size), thread_name_prefix="kernel-start")
        for _ in range(max(1, size)):
            self._free.put(self._starter.submit(self._start))

    def _start(self) -> AsyncKernelManager:
        # nbclient's own kind of manager: its clients poll without blocking, so a kernel that
        # dies mid-cell is noticed (a blocking client would wait for its reply for ever)
        from jupyter_client.manager import AsyncKernelManager  # late, as papermill

        km = AsyncKernelManager(kernel_name="python3")
        self._all.append(km)
        run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=str(self.cwd))
        with contextlib.suppress(Exception):  # an import that fails is reported by the notebook itself
            self._run(km, PRELOAD)
        return km

    @staticmethod
    def _run(km: AsyncKernelManager, code: str) -> None:
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=60)
            run_sync(kc.execute_interactive)(code, timeout=120, output_hook=lambda msg: None)
        finally:
            kc.stop_channels()

    @contextlib.contextmanager
    def kernel(self) -> Iterator[AsyncKernelManager]:
        """A warm kernel with an empty namespace, for one notebook."""
        slot = self._free.get()
        km: AsyncKernelManager | None = None
        healthy = False
        try:
            if isinstance(slot, Future):
                with contextlib.suppress(Exception):  # a failed start is retried below, and reported if it fails again
                    km = slot.result()
                    self._run(km, "%reset -f")
            elif slot is not None:
                km = slot
                self._run(km, "%reset -f")
            if km is None or not run_sync(km.is_alive)():
                km = self._start()
            yield km
            healthy = bool(run_sync(km.is_alive)())
        finally:
            if not healthy and km is not None:
                with contextlib.suppress(Exception):  # already dead, or dying: do not wait on it
                    run_sync(km.shutdown_kernel)(now=True)
                km = None
            self._free.put(km)

    def close(self) -> None:
        self._starter.shutdown(wait=True)  # kernels still starting are shut down below, not left behind
        for km in self._all:
            if km.has_kernel:
                with contextlib.suppress(Exception):
                    run_sync(km.shutdown_kernel)(now=True)


class Workers:
    """The report's warm kernels and its one browser, started together before the forecasts.

    Made (as a context manager) as soon as the inputs are read, so that the kernels start
    and import, and the browser starts, while the report computes its forecasts; closed
    (kernels shut down, browser ended) when the report is done or has failed.
    """

    def __init__(self, notebooks: list[ReportNotebook], workers: int, chromium: str):
        self.workers = max(1, min(workers, len(notebooks)))
        self.pool = KernelPool(self.workers, notebooks[0].path.parent if notebooks else Path("."))
        self.browser = Browser(chromium)
        # a failed start is retried (and reported, as that notebook's PDF failure) by the first print
        threading.Thread(target=_start_quietly, args=(self.browser,), daemon=True).start()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.browser.close()
        self.pool.close()


def _start_quietly(browser: Browser) -> None:
    with contextlib.suppress(BrowserError):
        browser.start()


def _execute(nb: ReportNotebook, out_path: Path, parameters: dict, km: AsyncKernelManager, cwd: Path) -> None:
    import papermill  # late: fast_notebook_imports() must run first

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
        resources={"metadata": {"path": str(cwd)}},
        km=km,  # the pool's warm kernel: papermill neither starts nor stops it
    )


def run_notebooks(
    notebooks: list[ReportNotebook],
    parameters: dict[str, Any],
    staging: Path,
    week_dir: Path,
    shown_dir: Path,
    workers: Workers,
    say: Callable[[str], None],
) -> list[NotebookOutcome]:
    """Execute and print every notebook into `staging`, in `workers`' kernels and browser.

    A failed notebook's executed copy is kept in `week_dir` (shown as `shown_dir`).
    """
    total = len(notebooks)

    def one(k_nb: tuple[int, ReportNotebook]) -> NotebookOutcome:
        k, nb = k_nb
        outcome = NotebookOutcome(nb)
        executed = staging / f"{nb.name}.ipynb"
        t = time.perf_counter()
        try:
            with workers.pool.kernel() as km:
                _execute(nb, executed, parameters, km, workers.pool.cwd)
        except Exception as exc:  # a failing cell, a dead kernel: report it, keep going
            outcome.execute_seconds = time.perf_counter() - t
            kept = _keep_failed(executed, week_dir / f"{nb.name}.failed.ipynb")
            outcome.error = _describe_failure(exc, nb, shown_dir / kept.name if kept else None, staging)
            say(f"[{k}/{total}] {nb.name}: FAILED after {outcome.execute_seconds:.1f} s")
            return outcome
        outcome.execute_seconds = time.perf_counter() - t
        t = time.perf_counter()
        try:
            title = nb.title(parameters["week"], executed)
            notebook_to_pdf(executed, staging / nb.pdf_name, title, browser=workers.browser)
        except Exception as exc:
            reason = "no space left on the device" if _disk_full(staging) else str(exc)
            outcome.error = f"PDF of {nb.path.name} failed: {reason}"
            say(f"[{k}/{total}] {nb.name}: PDF FAILED")
            return outcome
        outcome.pdf_seconds = time.perf_counter() - t
        say(f"[{k}/{total}] {nb.name}: executed in {outcome.execute_seconds:.1f} s, PDF in {outcome.pdf_seconds:.1f} s")
        return outcome

    with ThreadPoolExecutor(max_workers=workers.workers) as threads:
        return list(threads.map(one, enumerate(notebooks, 1)))


def _keep_failed(executed: Path, target: Path) -> Path | None:
    """Keep a failed notebook's executed copy for debugging, if it is a whole notebook."""
    try:
        json.loads(executed.read_text(encoding="utf-8"))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(executed, target)
    except (OSError, ValueError):  # not written, cut short (e.g. a full disk), or cannot be moved
        return None
    return target


def _disk_full(folder: Path) -> bool:
    """Whether `folder`'s device has no room left (a 1 MB probe cannot be written)."""
    try:
        with tempfile.TemporaryFile(dir=folder) as fh:
            fh.write(b"\0" * (1 << 20))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        return exc.errno == errno.ENOSPC
    return False
