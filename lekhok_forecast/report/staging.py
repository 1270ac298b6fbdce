"""The report's output folder: checked before anything runs, locked, staged, published.

A report writes nothing in place. Everything goes into a hidden staging folder inside the
output folder (the same file system, so publishing is a rename) and is moved into
``<out>/<week>/`` only after every notebook and PDF succeeded. A lock file in the output
folder keeps two reports from writing into it at once; the run that holds it removes the
staging folders that killed runs left behind.

Failures of the file system are turned into one line that names the real cause and what
to do (`OutputError`): a full disk is a full disk, a folder the user cannot write is named.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lekhok_forecast.errors import ForecastInputError

#: Lock file in the output folder, held (flock) while a report writes into that folder.
LOCK_FILE = ".lekhok-report.lock"
#: Prefix of staging folders: ``.<week>.staging-XXXX``.
STAGING_PREFIX = "."
STAGING_MARK = ".staging-"
#: Bytes a report needs in its output folder besides the bundle: five PDFs, five executed
#: notebooks with retina figures, the PNG figures and summary.json (measured: 6-9 MB).
REPORT_BYTES = 24 << 20


class OutputError(RuntimeError):
    """The output folder cannot take the report (one line: the cause and what to do)."""


def describe_os_error(exc: OSError, doing: str) -> str:
    """One line for a file-system failure while `doing` something, naming the real cause."""
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return f"no space left on the device while {doing}{where}: free some space and run the report again"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied while {doing}{where}: choose another --out folder or fix its permissions"
    if exc.errno == errno.EROFS:
        return f"read-only file system while {doing}{where}: choose another --out folder"
    return f"{exc.strerror or exc} while {doing}{where}"


def is_disk_full(text: str) -> bool:
    """Whether an error text (e.g. from a kernel) says the device is full."""
    return "No space left on device" in text or "[Errno 28]" in text or "Disk quota exceeded" in text


def output_folder(out: str | os.PathLike[str]) -> Path:
    """`out` as an absolute path, if it can name an output folder (it need not exist yet).

    Raises
    ------
    ForecastInputError
        If `out` is empty (e.g. an unset variable in a crontab) or names a file.
    """
    if not str(out).strip():
        raise ForecastInputError("--out is empty: name the output folder (e.g. --out reports)")
    path = Path(out).expanduser().resolve()
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ForecastInputError(f"--out {out}: {existing.name} is a file, not a folder: choose another --out folder")
    return path


def check_output_folder(path: Path, needed_bytes: int) -> None:
    """Check that the folder `path` (from `output_folder`) can take a report; create it.

    The first existing folder on its path must be writable with `needed_bytes` free.

    Raises
    ------
    OutputError
        One line naming the folder and what to do.
    """
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {existing} (permission denied): choose another --out folder")
    free = shutil.disk_usage(existing).free
    if free < needed_bytes:
        raise OutputError(
            f"{existing}: {free / 2**20:.1f} MB free on its device, a report needs about "
            f"{needed_bytes / 2**20:.0f} MB: free some space or choose another --out folder"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise OutputError(describe_os_error(exc, f"creating files in {path}")) from None


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the output folder's lock; refuse at once if another report holds it.

    Raises
    ------
    OutputError
        When another report is writing into the folder.
    """
    lock_path = folder / LOCK_FILE
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, "creating the report's lock file")) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise OutputError(
                f"another report is writing into {folder}{who}: run this one again when it has finished"
            ) from None
        with contextlib.suppress(OSError):  # who holds it, for the message above; not essential
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_stale_staging(folder: Path) -> list[Path]:
    """Remove staging folders of killed runs (call with the lock held: no live run owns one)."""
    stale = [p for p in folder.glob(f"{STAGING_PREFIX}*{STAGING_MARK}*") if p.is_dir()]
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale


def new_staging(folder: Path, week: str) -> Path:
    """A fresh staging folder for `week` inside the output folder."""
    try:
        return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{week}{STAGING_MARK}", dir=folder))
    except OSError as exc:
        raise OutputError(describe_os_error(exc, "creating the staging folder")) from None


def publish(staging: Path, week_dir: Path, names: list[str], skip: tuple[str, ...] = ()) -> None:
    """Move every staged file into the week's folder (each move atomic), PDFs last.

    Files and folders named in `skip` (relative to `staging`) stay behind.
    """
    week_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(
        (p for p in staging.rglob("*") if p.is_file() and p.relative_to(staging).parts[0] not in skip),
        key=lambda p: (p.suffix == ".pdf", str(p)),
    )
    for src in files:
        dest = week_dir / src.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
    for name in names:  # a success supersedes an earlier failure
        (week_dir / f"{name}.failed.ipynb").unlink(missing_ok=True)
