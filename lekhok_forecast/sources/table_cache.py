"""The engine's quantile tables, kept between processes in the user's cache folder.

Building a table costs about 1 ms per distinct shape, plus importing SciPy (0.3 s) for
the first PERT or lognormal one, in every process. Tables depend only on their shape key
and the table format (`core.distributions.TABLE_FORMAT`), so they are stored by a hash of
those (content-addressed): ``<cache>/lekhok-forecast/tables-<format>/<sha256>.npy``, one
256 KiB file each, read by mapping it read-only (no copy: the pages are the page cache's).
The folder is ``$LEKHOK_CACHE_DIR`` if set (empty or ``off``: no cache), else
``$XDG_CACHE_HOME/lekhok-forecast`` or ``~/.cache/lekhok-forecast``.

Safe under concurrent writers (each file is written atomically; two processes writing the
same table write the same bytes), bounded in size (`MAX_BYTES`: the least recently used
files go first), and never trusted blindly: a file of the wrong size or header is removed
and the table rebuilt. Files are only ever replaced whole (renamed into place), never
rewritten in place, so a mapped table never changes under a running simulation. A cache
that cannot be read or written is skipped: it only saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import mmap
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from lekhok_forecast.core.asof import AsOf
from lekhok_forecast.core.distributions import TABLE_FORMAT, TABLE_SIZE, preload_tables, quantile_table
from lekhok_forecast.core.engine.model import shape_keys
from lekhok_forecast.core.plan import Plan
from lekhok_forecast.sources.atomic import atomic_write_bytes

ENV = "LEKHOK_CACHE_DIR"
#: Largest size of the table folder; past it the least recently used tables are removed.
MAX_BYTES = 256 << 20


def cache_folder() -> Path | None:
    """The folder of stored tables, or None when caching is off."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        if chosen.strip() in ("", "off"):
            return None
        base = Path(chosen).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "lekhok-forecast"
    return base / f"tables-{TABLE_FORMAT}"


def table_file(folder: Path, key: tuple) -> Path:
    """Where the table of shape `key` is stored (its name hashes the key and the format)."""
    digest = hashlib.sha256(f"{TABLE_FORMAT}|{key!r}".encode()).hexdigest()[:40]
    return folder / f"{digest}.npy"


def _npy_bytes(table: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, table, allow_pickle=False)
    return buf.getvalue()


#: The ``.npy`` header of every stored table (float32, ``(TABLE_SIZE,)``): a file is a table
#: if and only if it starts with these bytes and holds exactly one table after them.
_HEADER = _npy_bytes(np.zeros(TABLE_SIZE, dtype=np.float32))[: -TABLE_SIZE * 4]
_FILE_BYTES = len(_HEADER) + TABLE_SIZE * 4


def _mapped_table(path: Path) -> np.ndarray | None:
    """The table stored at `path`, mapped read-only (its pages come straight from the page
    cache: reading hundreds of 256 KiB files into fresh memory cost more than building
    some of them); None if there is none; raises ValueError for a file that is not a table."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        if os.fstat(fd).st_size != _FILE_BYTES or os.pread(fd, len(_HEADER), 0) != _HEADER:
            raise ValueError(f"{path.name} is not a stored table")
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)  # every page is used: map them all now
        buf = mmap.mmap(fd, _FILE_BYTES, flags=flags, prot=mmap.PROT_READ)
    finally:
        os.close(fd)
    return np.frombuffer(buf, dtype=np.float32, count=TABLE_SIZE, offset=len(_HEADER))


def load_tables(keys: Iterable[tuple], folder: Path | None = None) -> dict[tuple, np.ndarray]:
    """The stored tables of `keys` (those that are stored and whole), read-only."""
    folder = folder if folder is not None else cache_folder()
    out: dict[tuple, np.ndarray] = {}
    if folder is None:
        return out
    for key in keys:
        path = table_file(folder, key)
        try:
            table = _mapped_table(path)
        except (OSError, ValueError):  # cut short or not a table: drop it, it is built again
            path.unlink(missing_ok=True)
            continue
        if table is None:
            continue
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept longest
        out[key] = table
    return out


def store_tables(keys: Iterable[tuple], folder: Path | None = None, max_bytes: int = MAX_BYTES) -> int:
    """Store the tables of `keys` that are not stored yet; return how many were written."""
    folder = folder if folder is not None else cache_folder()
    if folder is None:
        return 0
    written = 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for key in keys:
            path = table_file(folder, key)
            if path.exists():
                continue
            atomic_write_bytes(path, _npy_bytes(quantile_table(key)))
            written += 1
        if written:
            _evict(folder, max_bytes)
    except OSError:  # a full or read-only cache only costs time
        pass
    return written


def _evict(folder: Path, max_bytes: int) -> None:
    files = []
    for p in folder.glob("*.npy"):
        with contextlib.suppress(OSError):
            st = p.stat()
            files.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in files)
    for _, size, p in sorted(files):  # oldest use first
        if total <= max_bytes:
            break
        p.unlink(missing_ok=True)
        total -= size


@contextlib.contextmanager
def cached_tables(plan: Plan, as_of: AsOf | None = None) -> Iterator[None]:
    """Simulate `plan` (as of `as_of`) inside this block with its tables read from and kept in the cache."""
    folder = cache_folder()
    keys = shape_keys(plan, as_of)
    preload_tables(load_tables(keys, folder))
    yield
    store_tables(keys, folder)
