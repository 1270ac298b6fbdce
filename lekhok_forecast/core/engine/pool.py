"""Worker processes kept warm across `simulate` calls, and the shared memory they write into.

A process pool used to be forked for every parallel call, which cost more than two
workers won below a million trials. This pool is forked once per process, on first
use, and kept until exit (`atexit`); every later parallel call only sends each child
the plan (a few kB), the quantile tables it does not have yet, and a file descriptor of
the call's output memory (a ``memfd``: the children write their chunks' outputs
straight into the arrays the caller gets back). Only criticality counts travel back.

Numbers do not depend on any of this: each chunk is a pure function of (model, seed,
block), whichever process runs it.

After a ``fork`` of the owning process the child forgets the pool (it is not its
own; it makes one if it needs one). Any error or interrupt during a call discards the
pool (its children may be in the middle of a chunk); the next call forks a fresh one.
"""

from __future__ import annotations

import atexit
import math
import mmap
import os
import signal
import tempfile
import threading
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lekhok_forecast.core.asof import AsOf
from lekhok_forecast.core.distributions import preload_tables, quantile_table
from lekhok_forecast.core.engine.kernel import _Chunk, _place, _run_chunk
from lekhok_forecast.core.engine.model import _BUILT_SHAPES, compile_plan, shape_keys
from lekhok_forecast.core.plan import Plan

if TYPE_CHECKING:
    from multiprocessing import connection

# multiprocessing is imported by the functions that use it: a one-process run (every
# `simulate` below `PARALLEL_MIN_CELLS`, and `simulate --json` by default) never needs it,
# and importing it (sockets, pickling) was a few per cent of a 10^4-trial process.

#: One chunk's arguments of `_run_chunk`: (seed, first block, blocks, trials, first trial, sample trials).
Job = tuple[int, int, int, int, int, int]
Layout = tuple[tuple[str, tuple[int, ...], str, int], ...]  # (name, shape, dtype, byte offset)
_ALIGN = 64  # bytes: each array starts on a cache line

# ---------------------------------------------------------------------------- shared memory


@dataclass
class SharedArrays:
    """Arrays in one shared memory file that worker processes map by its descriptor."""

    fd: int
    size: int
    layout: Layout
    arrays: dict[str, np.ndarray]

    def close_fd(self) -> None:
        """Close the descriptor (the arrays stay mapped)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _memory_file(size: int) -> int:
    """A descriptor of `size` bytes of anonymous shared memory (a tmpfs file without a name elsewhere)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("lekhok-outputs", getattr(os, "MFD_CLOEXEC", 0))
    else:
        fd, path = tempfile.mkstemp(prefix="lekhok-outputs-")
        os.unlink(path)
    os.ftruncate(fd, size)
    return fd


def _views(buf: mmap.mmap, layout: Layout) -> dict[str, np.ndarray]:
    return {
        name: np.frombuffer(buf, dtype=dtype, count=math.prod(shape), offset=offset).reshape(shape)
        for name, shape, dtype, offset in layout
    }


def shared_arrays(specs: Sequence[tuple[str, tuple[int, ...], Any]]) -> SharedArrays:
    """Allocate ``(name, shape, dtype)`` arrays in one shared memory file (contents undefined)."""
    entries, offset = [], 0
    for name, shape, dtype in specs:
        dt = np.dtype(dtype)
        entries.append((name, tuple(int(s) for s in shape), dt.str, offset))
        offset += -(-math.prod(shape) * dt.itemsize // _ALIGN) * _ALIGN
    size = max(offset, mmap.PAGESIZE)
    fd = _memory_file(size)
    layout = tuple(entries)
    return SharedArrays(fd, size, layout, _views(mmap.mmap(fd, size), layout))


# ---------------------------------------------------------------------------- the children


def _child_main(conn: connection.Connection) -> None:
    """A worker's loop: ``setup`` (plan, tables, output memory), ``job``s, ``end``, until ``stop``."""
    from multiprocessing import reduction

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    ws: dict = {}
    run: Callable[..., _Chunk] | None = None
    out: _Chunk | None = None
    failed: BaseException | None = None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        kind = msg[0]
        if kind == "stop":
            return
        if kind == "setup":
            _, plan, as_of, options, size, layout, tables = msg
            fd = reduction.recv_handle(conn)
            try:
                preload_tables(tables)
                _BUILT_SHAPES.update(tables)
                run = _bind(compile_plan(plan, as_of), options)
                out = _Chunk(crit_counts=np.zeros(0, np.int64), **_views(mmap.mmap(fd, size), layout))
                failed = None
            except BaseException as exc:  # reported with the first job
                failed = exc
            finally:
                os.close(fd)
        elif kind == "job":
            job = msg[1]
            try:
                if failed is not None:
                    raise failed
                assert run is not None and out is not None
                ch = run(job, ws, out)
                _place(out, job[4], ch, per_trial=False)
                conn.send(("ok", ch.crit_counts, ch.finish.size))
            except BaseException as exc:
                conn.send(("error", _picklable(exc)))
        elif kind == "end":
            run, out = None, None  # unmaps the call's output memory
            if msg[1]:
                ws.clear()


def _bind(model: Any, options: dict) -> Callable[..., _Chunk]:
    def run(job: Job, ws: dict, into: _Chunk) -> _Chunk:
        return _run_chunk(model, *job, ws=ws, into=into, **options)

    return run


def _picklable(exc: BaseException) -> BaseException:
    from multiprocessing import reduction

    text = "".join(traceback.format_exception(exc))
    try:
        reduction.ForkingPickler.dumps(exc)
    except Exception:
        return RuntimeError(f"a worker process failed:\n{text}")
    return exc


@dataclass
class _Child:
    process: Any
    conn: connection.Connection
    known: set = field(default_factory=set)  # shape keys whose tables the child has
    busy: int = 0  # jobs sent, not yet answered


class _Pool:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.children: list[_Child] = []

    def grow(self, n: int) -> list[_Child]:
        """At least `n` live children; the first `n`."""
        self.children = [c for c in self.children if c.process.is_alive()]
        from multiprocessing import get_context

        ctx = get_context("fork")
        while len(self.children) < n:
            mine, theirs = ctx.Pipe(duplex=True)
            known = set(_BUILT_SHAPES)  # built before the fork: the child has them too
            p = ctx.Process(target=_child_main, args=(theirs,), daemon=True, name="lekhok-worker")
            p.start()
            theirs.close()
            self.children.append(_Child(p, mine, known))
        return self.children[:n]

    def close(self) -> None:
        for c in self.children:
            try:
                c.conn.send(("stop",))
            except OSError:
                pass
        for c in self.children:
            c.process.join(timeout=2)
            if c.process.is_alive():
                c.process.terminate()
                c.process.join(timeout=2)
            c.conn.close()
        self.children = []

    def kill(self) -> None:
        for c in self.children:
            if c.process.is_alive():
                c.process.terminate()
        for c in self.children:
            c.process.join(timeout=2)
            c.conn.close()
        self.children = []


_POOL: _Pool | None = None
_LOCK = threading.Lock()  # one parallel call at a time; another thread meanwhile runs serially


def _shutdown() -> None:
    global _POOL
    if _POOL is not None and _POOL.pid == os.getpid():
        _POOL.close()
    _POOL = None


def _forget_after_fork() -> None:
    # The pool's children are the parent's: close the inherited ends, never signal them.
    global _POOL
    if _POOL is not None:
        for c in _POOL.children:
            c.conn.close()
    _POOL = None


atexit.register(_shutdown)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def pool_available() -> bool:
    """Whether this process can fork the pool (a platform with fork, not itself a daemonic
    worker such as a Dask worker's) and no other thread is using it now."""
    from multiprocessing import current_process, reduction

    return (
        hasattr(os, "fork")
        and hasattr(reduction, "send_handle")
        and not current_process().daemon
        and not _LOCK.locked()
    )


def run_parallel(
    plan: Plan,
    as_of: AsOf,
    options: dict,
    out: SharedArrays,
    jobs: Sequence[Job],
    workers: int,
    local: Callable[[Job], None],
    account: Callable[[np.ndarray, int], None],
    forget_workspace: bool,
) -> bool:
    """Run `jobs` on `workers` processes: this one (`local(job)`) and ``workers - 1`` warm children.

    Each child gets the plan, its missing quantile tables and `out`'s descriptor once,
    then jobs, with one queued ahead (while enough are left) so it never waits for this
    process; it writes each
    chunk into `out` and answers its criticality counts, passed to `account(counts, n)`.
    `forget_workspace`: the children drop their work arrays after the call.

    Returns
    -------
    bool
        False, with nothing run, when another thread is using the pool: run the jobs here.

    Raises
    ------
    RuntimeError
        If a child died; a child's own exception is re-raised as it is.
    """
    global _POOL
    if not _LOCK.acquire(blocking=False):
        return False
    try:
        if _POOL is None:
            _POOL = _Pool()
        children = _POOL.grow(workers - 1)
        try:
            _run(children, plan, as_of, options, out, jobs, local, account, forget_workspace)
        except BaseException:
            _POOL.kill()  # children may be mid-chunk, with answers queued: start afresh next time
            _POOL = None
            raise
    finally:
        _LOCK.release()
    return True


def _run(
    children: list[_Child],
    plan: Plan,
    as_of: AsOf,
    options: dict,
    out: SharedArrays,
    jobs: Sequence[Job],
    local: Callable[[Job], None],
    account: Callable[[np.ndarray, int], None],
    forget_workspace: bool,
) -> None:
    from multiprocessing import connection, reduction

    def send(c: _Child, msg: tuple, fd: int | None = None) -> None:
        try:
            c.conn.send(msg)
            if fd is not None:
                reduction.send_handle(c.conn, fd, c.process.pid)
        except OSError:  # BrokenPipeError: not the reader of our output going away
            raise RuntimeError(f"worker process {c.process.pid} died before a simulation") from None

    keys = shape_keys(plan, as_of)
    for c in children:
        tables = {k: quantile_table(k) for k in keys - c.known}
        send(c, ("setup", plan, as_of, options, out.size, out.layout, tables), out.fd)
        c.known |= keys
    by_conn = {c.conn: c for c in children}

    def answer(c: _Child) -> None:
        try:
            reply = c.conn.recv()
        except (EOFError, OSError):
            raise RuntimeError(f"worker process {c.process.pid} died during a simulation") from None
        c.busy -= 1
        if reply[0] == "error":
            raise reply[1]
        account(reply[1], reply[2])

    pending = deque(jobs)
    while pending or any(c.busy for c in children):
        for c in children:
            # one job queued ahead while enough are left for this process to take its share
            while pending and c.busy < (2 if len(pending) > len(children) + 1 else 1):
                send(c, ("job", pending.popleft()))
                c.busy += 1
        if pending:
            local(pending.popleft())
            ready = [c for c in children if c.busy and c.conn.poll()]
        else:
            ready = [by_conn[r] for r in connection.wait([c.conn for c in children if c.busy])]  # type: ignore[index]
        for c in ready:
            answer(c)
            while c.busy and c.conn.poll():
                answer(c)
    for c in children:
        send(c, ("end", forget_workspace))
