"""The weekly report's failure paths: every one ends with one clear line, a non-zero exit,
no traceback, and last week's outputs byte-identical.

Classes covered: bad --out (empty, a file), a folder that cannot be written (a real read-only
folder: root without CAP_DAC_OVERRIDE, or a plain user), too little room (a small tmpfs,
where the machine allows mounting one), a disk that fills during the run, a second report
into the same folder (lock), a report killed with SIGKILL (and the next run cleaning up),
and the permissions of what is written (the user's umask).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import weekly_status_with_cell

from lekhok_forecast.app.bundle import BUNDLE_FOLDER
from lekhok_forecast.config import NOTEBOOKS_DIR
from lekhok_forecast.report import run as report_run
from lekhok_forecast.report.staging import LOCK_FILE, locked
from lekhok_forecast.sources.bundle_file import STRUCTURE_FILE

WEEK = "2025-W10"
TRIALS = "2000"

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (the PDF route)")


def _cmd(*args) -> list[str]:
    return [sys.executable, "-m", "lekhok_forecast.cli", "report", *map(str, args)]


def report(*args, cwd=None, prefix=(), env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *_cmd(*args)], capture_output=True, text=True, timeout=600, cwd=cwd, env=env)


def _one_line(proc: subprocess.CompletedProcess) -> str:
    """The last stderr line, after checking that nothing looks like a traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines, proc
    return lines[-1]


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes (the lock file aside: it records who last held it)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LOCK_FILE
    }


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> Path:
    """Only the weekly status: the failure paths do not depend on the other notebooks."""
    folder = tmp_path_factory.mktemp("nb")
    shutil.copy(NOTEBOOKS_DIR / "weekly_status.ipynb", folder)
    return folder


@pytest.fixture(scope="module")
def last_week(tmp_path_factory, notebooks) -> Path:
    """A finished report folder (PDF, notebook, summary, history) to compare against."""
    out = tmp_path_factory.mktemp("last") / "reports"
    proc = report("--week", WEEK, "--trials", TRIALS, "--out", out, "--notebooks", notebooks)
    assert proc.returncode == 0, proc.stderr
    assert (out / WEEK / "weekly-status.pdf").exists() and (out / "forecast_history.csv").exists()
    return out


@pytest.fixture
def reports(last_week, tmp_path) -> Path:
    out = tmp_path / "reports"
    shutil.copytree(last_week, out)
    (out / LOCK_FILE).unlink(missing_ok=True)
    return out


def test_empty_out_is_bad_input(notebooks, tmp_path):
    proc = report("--week", WEEK, "--out", "", "--notebooks", notebooks, cwd=tmp_path)
    assert proc.returncode == 2
    assert _one_line(proc) == "--out is empty: name the output folder (e.g. --out reports)"
    assert list(tmp_path.iterdir()) == []


def test_out_naming_a_file_is_bad_input(notebooks, tmp_path):
    target = tmp_path / "summary.txt"
    target.write_text("keep me")
    proc = report("--week", WEEK, "--out", target, "--notebooks", notebooks)
    assert proc.returncode == 2
    assert _one_line(proc) == f"--out {target}: summary.txt is a file, not a folder: choose another --out folder"
    assert target.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["summary.txt"]


def _unprivileged() -> tuple[str, ...]:
    """A command prefix under which a 0555 folder really is read-only, or skip."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("capsh") is None:
        pytest.skip("root bypasses folder permissions and capsh (libcap2-bin) is missing to drop that")
    return ("capsh", "--drop=cap_dac_override,cap_dac_read_search", "--")


def test_read_only_folder_is_one_line_and_changes_nothing(reports, notebooks):
    prefix = _unprivileged()
    before = _snapshot(reports)
    for p in (reports, reports / WEEK):
        p.chmod(0o555)
    try:
        args = " ".join(
            f"'{a}'" for a in _cmd("--week", WEEK, "--trials", TRIALS, "--out", reports, "--notebooks", notebooks)
        )
        proc = (
            report(prefix=(*prefix, "-c", args))
            if prefix
            else report("--week", WEEK, "--trials", TRIALS, "--out", reports, "--notebooks", notebooks)
        )
    finally:
        for p in (reports, reports / WEEK):
            p.chmod(0o755)
    assert proc.returncode == 1, proc.stderr
    assert _one_line(proc) == (
        f"lekhok-forecast report: cannot write to {reports} (permission denied): choose another --out folder"
    )
    assert _snapshot(reports) == before


def _tmpfs(folder: Path, size: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")


@pytest.fixture
def small_disk(tmp_path):
    mounts = []

    def make(size: str) -> Path:
        folder = tmp_path / f"disk{len(mounts)}"
        _tmpfs(folder, size)
        mounts.append(folder)
        return folder

    yield make
    for m in mounts:
        subprocess.run(["umount", "-l", str(m)], check=False)


def test_too_little_room_is_refused_before_anything_runs(small_disk, last_week, notebooks):
    disk = small_disk("4m")
    shutil.copytree(last_week, disk / "reports")
    before = _snapshot(disk / "reports")
    proc = report("--week", WEEK, "--trials", TRIALS, "--out", disk / "reports", "--notebooks", notebooks)
    assert proc.returncode == 1
    line = _one_line(proc)
    assert line.startswith(f"lekhok-forecast report: {disk / 'reports'}: ") and "MB free on its device" in line
    assert line.endswith("free some space or choose another --out folder")
    assert _snapshot(disk / "reports") == before


def test_disk_filling_during_the_run_is_named_and_changes_nothing(
    small_disk, last_week, notebooks, monkeypatch, capsys
):
    used = sum(len(b) for b in _snapshot(last_week).values())
    disk = small_disk(f"{used + (256 << 10)}")  # last week's report plus 256 KB: this one cannot fit
    out = disk / "reports"
    shutil.copytree(last_week, out)
    before = _snapshot(out)
    monkeypatch.setattr(report_run, "REPORT_BYTES", 0)  # let it start, as an estimate that was too low would
    from lekhok_forecast.cli import main

    rc = main(["report", "--week", WEEK, "--trials", TRIALS, "--out", str(out), "--notebooks", str(notebooks)])
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "Traceback" not in err
    assert "no space left on the device" in err and "free some space" in err, err
    assert "empty or invalid PDF" not in err and "executed notebook kept" not in err
    assert _snapshot(out) == before  # no 0-byte or partial file anywhere, last week byte-identical
    assert not list(out.glob(".*staging*"))


def test_a_second_report_into_the_same_folder_is_refused(reports, notebooks):
    before = _snapshot(reports)
    with locked(reports):
        proc = report("--week", WEEK, "--trials", TRIALS, "--out", reports, "--notebooks", notebooks)
    assert proc.returncode == 1
    assert _one_line(proc) == (
        f"lekhok-forecast report: another report is writing into {reports} (process {os.getpid()}):"
        " run this one again when it has finished"
    )
    assert _snapshot(reports) == before


def _start(out: Path, notebooks: Path) -> subprocess.Popen:
    return subprocess.Popen(
        _cmd("--week", WEEK, "--trials", TRIALS, "--out", out, "--notebooks", notebooks),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_staging(out: Path, proc: subprocess.Popen) -> Path:
    """The report's staging folder, once its bundle is written (the notebooks start next)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = [p for p in out.glob(f".{WEEK}.staging-*") if (p / BUNDLE_FOLDER / STRUCTURE_FILE).exists()]
        if found:
            return found[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the report never started a notebook")


def test_concurrent_reports_one_runs_the_other_is_refused(reports, notebooks):
    first = _start(reports, notebooks)
    _wait_for_staging(reports, first)
    second = report("--week", WEEK, "--trials", TRIALS, "--out", reports, "--notebooks", notebooks)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 1 and "another report is writing into" in _one_line(second)


def test_killed_report_keeps_last_week_and_the_next_run_cleans_up(reports, notebooks):
    before = _snapshot(reports)
    proc = _start(reports, notebooks)
    staging = _wait_for_staging(reports, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    time.sleep(0.5)  # kernels and helpers of the killed group go too
    assert staging.exists()  # a kill -9 cannot clean up...
    after = {k: v for k, v in _snapshot(reports).items() if not k.startswith(".")}
    assert after == {k: v for k, v in before.items() if not k.startswith(".")}  # ...but it changed nothing
    nxt = report("--week", WEEK, "--trials", TRIALS, "--out", reports, "--notebooks", notebooks)
    assert nxt.returncode == 0, nxt.stderr
    assert f"removed {staging.name}/, left behind by a report that was stopped" in nxt.stderr
    assert not list(reports.glob(".*staging*"))


def test_written_files_follow_the_umask(tmp_path, notebooks):
    out = tmp_path / "reports"
    proc = subprocess.run(
        [
            "sh",
            "-c",
            'umask 022 && exec "$@"',
            "sh",
            *_cmd("--week", WEEK, "--trials", TRIALS, "--out", out, "--notebooks", notebooks),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    for p in [out / "forecast_history.csv", *(out / WEEK).rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o755 if p.is_dir() else 0o644), f"{p.name}: {oct(mode)}"
    summary = json.loads((out / WEEK / "summary.json").read_text())
    assert summary["week"] == WEEK


def test_a_kernel_killed_mid_notebook_is_one_line_and_changes_nothing(reports, tmp_path):
    """The kernel dies (SIGKILL from inside a cell): the report names the notebook and keeps last week."""
    folder = weekly_status_with_cell(
        tmp_path / "dying", "die", ["import os, signal\n", "os.kill(os.getpid(), signal.SIGKILL)"]
    )
    before = _snapshot(reports)
    proc = report("--week", WEEK, "--trials", TRIALS, "--out", reports, "--notebooks", folder)
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("lekhok-forecast report: notebook")]
    assert len(errors) == 1 and "weekly_status.ipynb failed: its kernel died (killed, or out of memory)" in errors[0]
    assert "Traceback" not in proc.stderr
    assert _one_line(proc).endswith("were left as they were")
    after = _snapshot(reports)
    kept = {k for k in after if k.endswith(".failed.ipynb")}
    assert {k: v for k, v in after.items() if k not in kept} == before  # last week byte-identical
    assert not list(reports.glob(".*staging*"))


def test_notebooks_sharing_a_kernel_do_not_see_each_others_variables(tmp_path):
    """One warm kernel runs both notebooks (one worker); the second must not find the first's `plan`."""
    from lekhok_forecast.report.run import run_report

    folder = tmp_path / "nb"
    folder.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "weekly_status.ipynb", folder)
    leak = {
        "cells": [
            {"cell_type": "markdown", "id": "t", "metadata": {}, "source": ["# Leak check"]},
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "p",
                "metadata": {"tags": ["parameters"]},
                "outputs": [],
                "source": ['week: str = "2025-W10"  # ISO week'],
            },
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "x",
                "metadata": {},
                "outputs": [],
                "source": ["print(plan.name)"],
            },
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (folder / "zz_leak.ipynb").write_text(json.dumps(leak), encoding="utf-8")
    result = run_report(WEEK, trials=int(TRIALS), out_dir=tmp_path / "out", notebooks_dir=folder, workers=1)
    errors = {o.notebook.name: o.error for o in result.outcomes}
    assert errors["weekly_status"] is None
    assert errors["zz_leak"] is not None and "NameError" in errors["zz_leak"], errors
