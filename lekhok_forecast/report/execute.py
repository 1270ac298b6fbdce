"""Executing the report's notebooks: papermill, two at a time, each printed to PDF.

Each notebook runs in a warm kernel (a `Lane`: one kernel, one thread, one connected
client) with the report's parameters; the report's own thread prints each executed
notebook (`lekhok_forecast.report.pdf`, in the report's one browser, started while the
forecasts are computed) while the lanes go on with the next ones. A failure is turned into
one line naming the notebook, the cell and the cause (a full disk is named as such).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from jupyter_core.utils import run_sync

from lekhok_forecast.report.browser import Browser, BrowserError
from lekhok_forecast.report.lane_engine import execute_on
from lekhok_forecast.report.notebooks import ReportNotebook, notebook_imports
from lekhok_forecast.report.pdf import notebook_to_pdf, warm_html_exporter
from lekhok_forecast.report.staging import is_disk_full

if TYPE_CHECKING:
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

T = TypeVar("T")

#: Notebooks executed at a time. The machine has two cores; a kernel is one process.
WORKERS = 2
#: Seconds a single cell may run before the notebook counts as failed.
CELL_TIMEOUT = 600


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


#: Arguments for each kernel: its own log (e.g. ipykernel's notice that local TCP is
#: unencrypted) would interleave with the progress lines; cell errors still reach us.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


#: Run in each kernel as soon as it has started, before the notebooks' own imports
#: (`lekhok_forecast.report.notebooks.notebook_imports`), while the report is still computing
#: its forecasts: the first notebook then finds the package, pandas and matplotlib imported.
#: (``%reset -f`` between notebooks clears names, not imported modules.)
PRELOAD = "import IPython.display, lekhok_forecast.app.bundle, lekhok_forecast.present.figures"


class Lane:
    """One warm kernel and the one thread that drives it, started as soon as the lane is made.

    A lane runs its notebooks one after another in one kernel, so the kernel start and the
    imports (about 1.5 s) are paid once per lane, not once per notebook, and in the
    background: the lane's thread starts the kernel, connects one client and runs `PRELOAD`
    and `preload` (the notebooks' imports) when the lane is made, while the report computes its forecasts. Every later call runs
    on that same thread, so the client (whose sockets belong to that thread's event loop)
    is connected and waited for once: a new client costs 0.2 s or more of waiting for the
    kernel's output channel before its first message, twice per notebook when papermill
    and the reset each made their own. Before each notebook the kernel's namespace is
    cleared (``%reset -f``), so no notebook sees another's variables; the stored notebooks
    also run alone under nbval, so a notebook that relied on another's state would fail
    there. A kernel that died, failed to start or whose notebook failed is shut down and
    replaced by a fresh one for the next notebook.
    """

    def __init__(self, cwd: Path, name: str = "kernel", preload: str = ""):
        self.cwd = cwd
        self.preload = PRELOAD + "\n" + preload
        self.km: AsyncKernelManager | None = None
        self.kc: AsyncKernelClient | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._started = self._thread.submit(self._start_quietly)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn(*args)`` on the lane's thread (after everything submitted before)."""
        return self._thread.submit(fn, *args)

    def _start_quietly(self) -> None:
        with contextlib.suppress(Exception):  # a failed start is retried by the first notebook, and reported
            self._start()

    def _start(self) -> None:
        # nbclient's own kind of manager: its clients poll without blocking, so a kernel that
        # dies mid-cell is noticed (a blocking client would wait for its reply for ever)
        from jupyter_client.manager import AsyncKernelManager  # late, as papermill

        self.km = AsyncKernelManager(kernel_name="python3")
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=str(self.cwd))
        kc = self.km.client()
        kc.start_channels()
        self.kc = kc
        run_sync(kc.wait_for_ready)(timeout=60)
        kc.allow_stdin = False  # as nbclient sets it on the clients it makes itself
        with contextlib.suppress(Exception):  # an import that fails is reported by the notebook itself
            self._run(self.preload)

    def _run(self, code: str) -> None:
        assert self.kc is not None
        run_sync(self.kc.execute_interactive)(code, timeout=120, output_hook=lambda msg: None)

    def _alive(self) -> bool:
        return self.km is not None and self.kc is not None and bool(run_sync(self.km.is_alive)())

    def _stop(self) -> None:
        kc, km, self.kc, self.km = self.kc, self.km, None, None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is not None and km.has_kernel:
            with contextlib.suppress(Exception):  # already dead, or dying: do not wait on it
                run_sync(km.shutdown_kernel)(now=True)

    @contextlib.contextmanager
    def kernel(self) -> Iterator[tuple[AsyncKernelManager, AsyncKernelClient]]:
        """The warm kernel and its client with an empty namespace, for one notebook.

        Call on the lane's thread (from a function given to `submit`).
        """
        self._started.result()  # never raises: a failed start leaves no kernel, started again here
        healthy = False
        try:
            if self._alive():
                with contextlib.suppress(Exception):  # a kernel that cannot reset is replaced below
                    self._run("%reset -f")
                    healthy = True
            if not healthy:
                self._stop()
                self._start()
            assert self.km is not None and self.kc is not None
            healthy = False
            yield self.km, self.kc
            healthy = self._alive()
        finally:
            if not healthy:
                self._stop()

    def close(self) -> None:
        """Shut the kernel down (after whatever the lane is still doing)."""
        self._thread.submit(self._stop)
        self._thread.shutdown(wait=True)


class KernelPool:
    """`size` lanes (`Lane`), each a warm kernel driven by one thread of its own."""

    def __init__(self, size: int, cwd: Path, preload: str = ""):
        self.cwd = cwd
        self.lanes = [Lane(cwd, f"kernel-{k}", preload) for k in range(max(1, size))]

    def close(self) -> None:
        for lane in self.lanes:
            lane.close()


class Workers:
    """The report's warm kernels and its one browser, started together before the forecasts.

    Made (as a context manager) as soon as the inputs are read, so that the kernels start
    and import, and the browser starts, while the report computes its forecasts; closed
    (kernels shut down, browser ended) when the report is done or has failed.
    """

    def __init__(self, notebooks: list[ReportNotebook], workers: int, chromium: str):
        self.workers = max(1, min(workers, len(notebooks)))
        cwd = notebooks[0].path.parent if notebooks else Path(".")
        self.pool = KernelPool(self.workers, cwd, notebook_imports(notebooks))
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


def run_notebooks(
    notebooks: list[ReportNotebook],
    parameters: dict[str, Any],
    staging: Path,
    week_dir: Path,
    shown_dir: Path,
    workers: Workers,
    say: Callable[[str], None],
    later: Callable[[], None] | None = None,
    waits: Callable[[ReportNotebook], bool] = lambda nb: False,
) -> list[NotebookOutcome]:
    """Execute and print every notebook into `staging`, in `workers`' kernels and browser.

    The lanes execute; this thread first runs `later` (work the notebooks for which `waits`
    is true need, e.g. a bundle part: they start only once it has returned), then prints
    each executed notebook as soon as it is ready, so a lane's kernel starts its next
    notebook while the browser prints the last one. A failed notebook's executed copy is
    kept in `week_dir` (shown as `shown_dir`). An exception from `later` is raised once the
    lanes are done (the notebooks that waited for it fail first).
    """
    total = len(notebooks)
    todo: queue.Queue[tuple[int, ReportNotebook]] = queue.Queue()
    for item in enumerate(notebooks, 1):
        todo.put(item)
    outcomes: dict[int, NotebookOutcome] = {}
    # (k, outcome, executed notebook) to print, or None: a lane has no more notebooks
    to_print: queue.Queue[tuple[int, NotebookOutcome, Path] | None] = queue.Queue()

    later_done = threading.Event()

    def execute(lane: Lane, k: int, nb: ReportNotebook) -> None:
        outcome = outcomes[k] = NotebookOutcome(nb)
        executed = staging / f"{nb.name}.ipynb"
        if waits(nb):
            later_done.wait()
        t = time.perf_counter()
        try:
            with lane.kernel() as (km, kc):
                execute_on(km, kc, nb.path, executed, parameters, lane.cwd, CELL_TIMEOUT)
        except Exception as exc:  # a failing cell, a dead kernel: report it, keep going
            outcome.execute_seconds = time.perf_counter() - t
            kept = _keep_failed(executed, week_dir / f"{nb.name}.failed.ipynb")
            outcome.error = _describe_failure(exc, nb, shown_dir / kept.name if kept else None, staging)
            say(f"[{k}/{total}] {nb.name}: FAILED after {outcome.execute_seconds:.1f} s")
            return
        outcome.execute_seconds = time.perf_counter() - t
        to_print.put((k, outcome, executed))

    def print_pdf(k: int, outcome: NotebookOutcome, executed: Path) -> None:
        nb = outcome.notebook
        t = time.perf_counter()
        try:
            title = nb.title(parameters["week"], executed)
            notebook_to_pdf(executed, staging / nb.pdf_name, title, browser=workers.browser)
        except Exception as exc:
            reason = "no space left on the device" if _disk_full(staging) else str(exc)
            outcome.error = f"PDF of {nb.path.name} failed: {reason}"
            say(f"[{k}/{total}] {nb.name}: PDF FAILED")
            return
        outcome.pdf_seconds = time.perf_counter() - t
        say(f"[{k}/{total}] {nb.name}: executed in {outcome.execute_seconds:.1f} s, PDF in {outcome.pdf_seconds:.1f} s")

    def lane_loop(lane: Lane) -> None:
        # each lane takes the next notebook in order as soon as it is free
        try:
            while True:
                try:
                    k, nb = todo.get_nowait()
                except queue.Empty:
                    return
                execute(lane, k, nb)
        finally:
            to_print.put(None)

    lanes = workers.pool.lanes[: max(1, min(len(workers.pool.lanes), total))]
    running = [lane.submit(lane_loop, lane) for lane in lanes]
    failed_later: BaseException | None = None
    try:
        if later is not None:
            later()
    except BaseException as exc:  # raised below, once the lanes are done
        failed_later = exc
    finally:
        later_done.set()
    with contextlib.suppress(Exception):  # a failure here is met again, and reported, by the first PDF
        warm_html_exporter()  # while the first notebooks run: this thread would only wait
    busy = len(running)
    while busy:
        job = to_print.get()
        if job is None:
            busy -= 1
        else:
            print_pdf(*job)
    for done in running:
        done.result()
    if failed_later is not None:
        raise failed_later
    return [outcomes[k] for k in sorted(outcomes)]


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
