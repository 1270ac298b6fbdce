"""The stored notebooks in ``notebooks/``: refresh their outputs, check their shape.

``lekhok-forecast notebooks refresh [NAME ...]`` (``./run.sh refresh-notebooks``)
re-executes the stored notebooks in place with their default (small) parameters, after a
deliberate change of plan, library or notebook. Their outputs are the nbval baseline:
``python -m pytest`` re-runs them and compares the cells marked ``# NBVAL_CHECK_OUTPUT``.

``lekhok-forecast notebooks check`` reports notebooks that break the house
rules (a markdown title first, then one ``parameters`` cell of typed, commented literals;
no ``def``/``class``; stored outputs executed, small and free of this machine's paths).
"""

from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lekhok_forecast.config import NOTEBOOKS_DIR, PROJ_ROOT
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.report.execute import CELL_TIMEOUT, KERNEL_ARGUMENTS, WORKERS
from lekhok_forecast.report.lane_engine import fast_notebook_imports
from lekhok_forecast.sources.atomic import atomic_write_text

if TYPE_CHECKING:  # imported when a notebook is refreshed, after `fast_notebook_imports`
    import nbformat

#: Largest stored notebook, in bytes: stored outputs stay reviewable.
MAX_STORED_BYTES = 250_000
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def stored_notebooks(folder: str | Path = NOTEBOOKS_DIR) -> list[Path]:
    """The notebooks of a folder, by name (executed copies like ``*.failed.ipynb`` excluded)."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if ".failed." not in p.name)


def _normalise(nb: nbformat.NotebookNode) -> None:
    """Drop the volatile parts of an executed notebook, so a refresh diffs only real changes."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)


def refresh_notebook(path: str | Path, timeout: int = CELL_TIMEOUT) -> float:
    """Execute one notebook in place with its default parameters; return the seconds taken.

    The kernel runs in the notebook's folder. The file is replaced atomically, and only
    if every cell ran.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If a cell raises; the stored notebook is left as it was.
    """
    fast_notebook_imports()
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    t0 = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        extra_arguments=KERNEL_ARGUMENTS,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    _normalise(nb)
    text = nbformat.writes(nb)
    atomic_write_text(path, text if text.endswith("\n") else text + "\n")  # as nbformat.write lays it out
    return time.perf_counter() - t0


def refresh(paths: list[Path], workers: int = WORKERS, say: Callable[[str], None] = print) -> int:
    """Refresh several notebooks, `workers` at a time; return the number that failed."""

    def one(path: Path) -> tuple[Path, float | None, str | None]:
        try:
            seconds = refresh_notebook(path)
        except Exception as exc:  # report every failure, keep the others going
            first = str(exc).strip().splitlines()
            return path, None, " ".join(first[-1:]) or type(exc).__name__
        return path, seconds, None

    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for path, seconds, error in pool.map(one, paths):
            if error is None:
                say(
                    f"refreshed {path.relative_to(PROJ_ROOT) if path.is_relative_to(PROJ_ROOT) else path}"
                    f" in {seconds:.1f} s"
                )
            else:
                failed += 1
                say(f"FAILED {path.name}: {error} (stored notebook left unchanged)")
    return failed


# ------------------------------------------------------------------- house rules

_PARAM_LINE = re.compile(r"^(\w+)\s*:\s*(\w+)\s*=\s*(.+?)\s+#\s+\S")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:home|root|tmp|work|Users|var|opt)/[\w.\-/]+")


def check_notebook(path: str | Path) -> list[str]:
    """House-rule problems of one stored notebook (empty list: none).

    Rules: the first cell is markdown with a ``# `` title; the first code cell is tagged
    ``parameters`` and holds only ``name: type = literal  # comment`` lines; no code cell
    defines a function or class; every code cell has been executed; the file is smaller
    than `MAX_STORED_BYTES`; no output contains an absolute path of this machine; at least
    one cell is marked ``# NBVAL_CHECK_OUTPUT``.
    """
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    problems = []
    cells = nb.get("cells", [])

    def src(cell: dict[str, Any]) -> str:
        s = cell.get("source", "")
        return "".join(s) if isinstance(s, list) else s

    if not cells or cells[0].get("cell_type") != "markdown" or not src(cells[0]).lstrip().startswith("# "):
        problems.append("the first cell is not a markdown title ('# ...')")
    code = [c for c in cells if c.get("cell_type") == "code"]
    if not code or "parameters" not in code[0].get("metadata", {}).get("tags", []):
        problems.append("the first code cell is not tagged 'parameters'")
    else:
        for line in src(code[0]).splitlines():
            if not line.strip():
                continue
            m = _PARAM_LINE.match(line)
            if not m:
                problems.append(f"parameters: not 'name: type = value  # comment': {line!r}")
                continue
            try:
                ast.literal_eval(m.group(3))
            except (ValueError, SyntaxError):
                problems.append(f"parameters: {m.group(1)} is not a literal (papermill cannot override derived values)")
    for i, cell in enumerate(code):
        try:
            tree = ast.parse(src(cell))
        except SyntaxError:
            continue  # IPython syntax (magics); nothing to define there
        if any(
            isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)) for n in ast.walk(tree)
        ):
            problems.append(f"code cell {i} defines a function or class (move it into the package)")
        if cell.get("execution_count") is None and src(cell).strip():
            problems.append(f"code cell {i} has not been executed (run refresh)")
    if len(raw.encode("utf-8")) > MAX_STORED_BYTES:
        problems.append(f"stored notebook is {len(raw.encode('utf-8')):,} bytes (limit {MAX_STORED_BYTES:,})")
    for i, cell in enumerate(code):
        text = json.dumps(cell.get("outputs", []))
        text = re.sub(r'"image/png": "[^"]*"', "", text)
        hit = _ABSOLUTE_PATH.search(text)
        if hit:
            problems.append(f"code cell {i} output contains an absolute path: {hit.group(0)}")
    if not any(src(c).lstrip().startswith(CHECK_MARK) for c in code):
        problems.append(f"no cell is marked '{CHECK_MARK}' (nbval would compare nothing)")
    return problems


def choose_notebooks(names: list[str], folder: str | Path = NOTEBOOKS_DIR) -> list[Path]:
    """The stored notebooks named by `names` (stems or paths); all of them when `names` is empty.

    Raises
    ------
    ForecastInputError
        For a name that is neither a stored notebook nor an existing file.
    """
    paths = stored_notebooks(folder)
    if not names:
        return paths
    by_name = {p.stem: p for p in paths}
    chosen = []
    for n in names:
        p = by_name.get(Path(n).stem) or (Path(n) if Path(n).exists() else None)
        if p is None:
            raise ForecastInputError(f"no stored notebook {n!r} (have: {', '.join(by_name)})")
        chosen.append(Path(p).resolve())
    return chosen
