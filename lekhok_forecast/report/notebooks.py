"""The report's notebooks: which they are, in which order they run, what their PDFs are called.

Cheap to import (no Jupyter package), for the tests as much as for the report.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from lekhok_forecast.config import NOTEBOOKS_DIR
from lekhok_forecast.errors import ForecastInputError

#: The notebook whose PDF is the weekly status report; it runs first.
MAIN_NOTEBOOK = "weekly_status"


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


def notebook_imports(notebooks: list[ReportNotebook]) -> str:
    """Every top-level import statement of the notebooks' code cells, once each, as code.

    The report runs them in each kernel as it starts (while it computes the forecasts), so
    the notebooks find their modules imported. A cell that is not plain Python (a magic)
    is skipped; the statements keep the notebooks' order.
    """
    found: dict[str, None] = {}
    for nb in notebooks:
        try:
            cells = json.loads(nb.path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            try:
                tree = ast.parse("".join(source) if isinstance(source, list) else source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                    found[ast.unparse(node)] = None
    return "\n".join(found)
