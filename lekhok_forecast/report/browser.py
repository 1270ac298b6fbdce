"""One headless Chromium for all of a report's PDFs, driven over the DevTools protocol.

Starting Chromium costs about as much as printing a page (0.6 s against 0.2-0.4 s here),
and a report prints five notebooks. So the report starts one browser and prints every
page in it: `Browser` launches Chromium with ``--remote-debugging-pipe`` (the DevTools
protocol over two pipes, file descriptors 3 and 4 of the browser; no port is opened) and
asks for each page with ``Page.navigate`` then ``Page.printToPDF``. The print settings are
those of ``--print-to-pdf``: the page size from the CSS ``@page`` rule, backgrounds
printed, no header or footer, so a page comes out the same either way.

Messages are JSON, each ended by a NUL byte. A browser that dies, hangs or sends no PDF
becomes a one-line reason (``exit status 1: <its last log line>``, ``timed out after
120 s``, ``empty or invalid PDF written``); a timed-out browser's whole process group is
killed. The browser's profile, crash database and caches live in a temporary folder that
`Browser.close` removes.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["CHROMIUM_FLAGS", "Browser", "BrowserError"]

#: Flags for every browser. Networking, sync, updates and first-run UI are off, and every
#: host name fails to resolve at once, so a print never waits on (or phones) the network,
#: even if a notebook output links a remote image or script; --disable-dev-shm-usage
#: avoids crashes in containers with a small /dev/shm.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)

#: ``Page.printToPDF`` settings equal to ``--print-to-pdf``'s (checked: same pages, same text).
PRINT_OPTIONS = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False}


class BrowserError(RuntimeError):
    """The browser could not start, died, hung or sent no PDF; the message is one line."""


class Browser:
    """A headless Chromium that prints HTML files to PDF, one page at a time.

    Parameters
    ----------
    chromium : str
        The browser executable (`lekhok_forecast.report.pdf.find_chromium`).

    The browser starts on first use (or `start`) and stays up until `close`; calls from
    several threads are taken one at a time. Use it as a context manager.
    """

    def __init__(self, chromium: str) -> None:
        self.chromium = chromium
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._workdir: Path | None = None
        self._cmd: int | None = None  # we write commands here (the browser's fd 3)
        self._events: int | None = None  # the browser writes here (its fd 4)
        self._buffer = b""
        self._next_id = 0
        self._session: str | None = None

    # ----------------------------------------------------------------- life cycle

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def start(self, timeout: float = 60) -> None:
        """Launch the browser and open its one tab (a no-op if it runs already)."""
        with self._lock:
            self._ensure(time.monotonic() + timeout, timeout)

    def close(self) -> None:
        """Ask the browser to quit, kill what is left of it, remove its temporary folder."""
        with self._lock:
            self._shutdown(polite=True)

    def print_pdf(self, html_path: str | Path, timeout: float = 120) -> bytes:
        """The PDF of one HTML file, as bytes; raises `BrowserError` (one line) on failure.

        A failure ends the browser; the next call starts a new one.
        """
        uri = Path(html_path).resolve().as_uri()
        with self._lock:
            deadline = time.monotonic() + timeout
            try:
                self._ensure(deadline, timeout)
                self._call("Page.navigate", {"url": uri}, deadline, timeout, wait_event="Page.loadEventFired")
                data = self._call("Page.printToPDF", PRINT_OPTIONS, deadline, timeout).get("data", "")
            except BaseException:
                self._shutdown(polite=False)
                raise
        pdf = base64.b64decode(data) if data else b""
        if not pdf.startswith(b"%PDF-"):
            raise BrowserError("empty or invalid PDF written")
        return pdf

    # ------------------------------------------------------------------ internals

    def _ensure(self, deadline: float, timeout: float) -> None:
        if self._pid is not None:
            return
        self._workdir = Path(tempfile.mkdtemp(prefix="lekhok-browser-"))
        cmd_r, self._cmd = os.pipe()
        self._events, ev_w = os.pipe()
        # The browser's ends must become exactly fds 3 and 4. Moved to 10 and above first,
        # so that no dup2 below overwrites the other pipe's end.
        high_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
        high_w = fcntl.fcntl(ev_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(cmd_r)
        os.close(ev_w)
        env = dict(os.environ)
        # Chromium's crash-report database and dconf cache ignore --user-data-dir and
        # would land in ~/.config/chromium and ~/.cache; keep them in the temp dir too.
        env["XDG_CONFIG_HOME"] = str(self._workdir / "config")
        env["XDG_CACHE_HOME"] = str(self._workdir / "cache")
        argv = [self.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={self._workdir / 'profile'}", "about:blank"]
        log = str(self._workdir / "chromium.log")
        try:
            self._pid = os.posix_spawn(
                self.chromium,
                argv,
                env,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    # output to a file, not a pipe: the crashpad handler daemonizes and could hold a pipe open
                    (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                    (os.POSIX_SPAWN_DUP2, 1, 2),
                    (os.POSIX_SPAWN_DUP2, high_r, 3),
                    (os.POSIX_SPAWN_DUP2, high_w, 4),
                ],
                setsid=True,  # own process group: a timeout kills all of its helpers
            )
        except OSError as exc:
            self._shutdown(polite=False)
            raise BrowserError(f"cannot start {self.chromium}: {exc}") from None
        finally:
            os.close(high_r)
            os.close(high_w)
        target = self._call("Target.createTarget", {"url": "about:blank"}, deadline, timeout, session=False)
        attached = self._call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, deadline, timeout, session=False
        )
        self._session = attached["sessionId"]
        self._call("Page.enable", {}, deadline, timeout)

    def _call(
        self,
        method: str,
        params: dict[str, Any],
        deadline: float,
        timeout: float,
        session: bool = True,
        wait_event: str | None = None,
    ) -> dict[str, Any]:
        """Send one command; return its result once it (and `wait_event`, if named) arrived."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        self._send(json.dumps(message).encode("utf-8") + b"\0", deadline, timeout)
        result: dict[str, Any] | None = None
        seen = wait_event is None
        while result is None or not seen:
            reply = self._receive(deadline, timeout)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    error = reply["error"]
                    raise BrowserError(f"{method} failed: {error.get('message', error)}")
                result = reply.get("result", {})
            elif wait_event is not None and reply.get("method") == wait_event:
                seen = True
        return result

    def _send(self, data: bytes, deadline: float, timeout: float) -> None:
        assert self._cmd is not None
        view = memoryview(data)
        while view:
            self._wait(self._cmd, "write", deadline, timeout)
            try:
                view = view[os.write(self._cmd, view) :]
            except BrokenPipeError:
                raise BrowserError(self._death()) from None

    def _receive(self, deadline: float, timeout: float) -> dict[str, Any]:
        assert self._events is not None
        while b"\0" not in self._buffer:
            self._wait(self._events, "read", deadline, timeout)
            chunk = os.read(self._events, 1 << 20)
            if not chunk:
                raise BrowserError(self._death())
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        reply: dict[str, Any] = json.loads(message)
        return reply

    def _wait(self, fd: int, how: str, deadline: float, timeout: float) -> None:
        left = deadline - time.monotonic()
        ready = (
            select.select([fd], [], [], max(left, 0)) if how == "read" else select.select([], [fd], [], max(left, 0))
        )
        if not any(ready):
            raise BrowserError(f"timed out after {timeout:g} s")

    def _death(self) -> str:
        """Why the browser stopped talking: its exit status and last log line."""
        status = self._reap(wait=5)
        detail = ""
        if self._workdir is not None:
            with contextlib.suppress(OSError):
                text = (self._workdir / "chromium.log").read_text(encoding="utf-8", errors="replace")
                lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
                detail = f": {lines[-1][:200]}" if lines else ""
        return f"exit status {status}{detail}" if status is not None else f"the browser stopped answering{detail}"

    def _reap(self, wait: float) -> int | None:
        """Wait up to `wait` seconds for the browser to exit; its exit status, or None."""
        if self._pid is None:
            return None
        end = time.monotonic() + wait
        while True:
            pid, status = os.waitpid(self._pid, os.WNOHANG)
            if pid:
                self._pid = None
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() >= end:
                return None
            time.sleep(0.02)

    def _shutdown(self, polite: bool) -> None:
        if self._pid is not None and polite and self._cmd is not None:
            with contextlib.suppress(BrowserError, OSError, ValueError):
                self._send(b'{"id": 0, "method": "Browser.close", "params": {}}\0', time.monotonic() + 2, 2)
                self._reap(wait=5)
        if self._pid is not None:
            # SIGKILL the browser's process group, twice: helpers forked mid-kill survive the first.
            for _ in range(2):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self._pid, signal.SIGKILL)
                time.sleep(0.05)
            self._reap(wait=5)
            self._pid = None
        for fd in (self._cmd, self._events):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._cmd = self._events = None
        self._buffer = b""
        self._session = None
        if self._workdir is not None:
            # exiting Chromium helpers may still write to it: retry once
            shutil.rmtree(self._workdir, ignore_errors=True)
            if self._workdir.exists():
                time.sleep(0.5)
                shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
