"""`lekhok-forecast report` with a corrupted forecast history: one line, exit 2, nothing written.

The history is read strictly (`lekhok_forecast.sources.history_file`) before any notebook
runs; the other cases (conflict markers, too few or many cells, bad cells, duplicate weeks)
are in ``tests/test_history_file.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from lekhok_forecast.config import ACTUALS_DIR, NOTEBOOKS_DIR
from lekhok_forecast.tracking.weekly import weekly_update


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file's bytes and every folder (None) under `folder`, by relative path."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def test_report_refuses_a_truncated_history_and_writes_nothing(lekhok_plan, tmp_path):
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "weekly_status.ipynb", notebooks)
    out = tmp_path / "reports"
    history = out / "forecast_history.csv"
    weekly_update(lekhok_plan, ACTUALS_DIR, "2025-W09", trials=500, seed=1, history_path=history, changes=False)
    (out / "2025-W09").mkdir()
    (out / "2025-W09" / "weekly-status.pdf").write_bytes(b"%PDF-1.4 last week's report\n")
    # a write cut off inside the last row's last number: every cell is there, the line end is not
    text = history.read_text(encoding="utf-8")
    assert text.count("\n") == 5 and text.endswith("\n")  # header and weeks 6-9
    history.write_text(text[:-3], encoding="utf-8")
    before = _snapshot(out)

    proc = subprocess.run(
        [sys.executable, "-m", "lekhok_forecast.cli", "report", "--week", "2025-W10", "--trials", "2000"]
        + ["--out", str(out), "--notebooks", str(notebooks)],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"{history}:5: the last line has no line break at its end: the file looks cut off"
        " (a truncated line?); restore it (e.g. from git) or, if that row is complete, end it with a line break"
    ]
    assert _snapshot(out) == before
