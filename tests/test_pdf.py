"""Tests for lekhok_forecast.report.pdf: notebook -> HTML (nbconvert) -> PDF (headless Chromium).

Tests that really print need Chromium and are skipped only when it is not
installed; the HTML and failure-path tests run everywhere.
"""

from __future__ import annotations

import base64
import io
import os
import stat
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lekhok_forecast.report import pdf

TITLE = "Lekhok & Co weekly forecast"
HEADING = "Weekly forecast test report"
CODE_MARKER = "secret_code_marker_42"
N_ROWS = 120


def _png_bytes() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1, 2, 3], [1, 3, 2, 4])
    ax.set_title("finish week")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _table_html() -> str:
    import pandas as pd

    df = pd.DataFrame(
        {
            "task": [f"task-{i:03d}" for i in range(N_ROWS)],
            "p50": [1000 + i for i in range(N_ROWS)],
            "p80": [5000 + i for i in range(N_ROWS)],
        }
    )
    return df.to_html()


def _wide_table_html() -> str:
    import pandas as pd

    cols = [f"workstream_{i}_cost" for i in range(24)]
    df = pd.DataFrame([[10_000 * r + c for c in range(24)] for r in range(4)], columns=cols)
    df.iloc[0, -1] = 987654  # the last column must be on the page, not cut off
    return df.to_html()


def _write_notebook(path: Path) -> Path:
    nb = new_notebook(
        cells=[
            new_markdown_cell(f"# {HEADING}\n\nA short introduction."),
            new_code_cell(
                f"{CODE_MARKER} = plot()",
                execution_count=1,
                outputs=[
                    new_output(
                        "display_data",
                        data={
                            "image/png": base64.b64encode(_png_bytes()).decode("ascii"),
                            "text/plain": "<Figure size 600x300>",
                        },
                    )
                ],
            ),
            new_markdown_cell("## Task table"),
            new_code_cell(
                f"df  # {CODE_MARKER}",
                execution_count=2,
                outputs=[
                    new_output(
                        "execute_result",
                        execution_count=2,
                        data={"text/html": _table_html(), "text/plain": "df"},
                    )
                ],
            ),
            new_markdown_cell("## Wide table"),
            new_code_cell(
                "wide",
                execution_count=3,
                outputs=[
                    new_output(
                        "execute_result",
                        execution_count=3,
                        data={"text/html": _wide_table_html(), "text/plain": "wide"},
                    )
                ],
            ),
        ]
    )
    nbformat.write(nb, path)
    return path


#: A fake browser that speaks the DevTools pipe protocol (fds 3 and 4, NUL-ended JSON) and
#: answers Page.printToPDF with base64 of something that is not a PDF, or with an error.
_FAKE_PROTOCOL = """
import base64, json, os, sys
buf = b""
while True:
    chunk = os.read(3, 65536)
    if not chunk:
        break
    buf += chunk
    while b"\\0" in buf:
        line, _, buf = buf.partition(b"\\0")
        msg = json.loads(line)
        reply = {"id": msg["id"], "result": {}}
        if msg["method"] == "Target.createTarget":
            reply["result"] = {"targetId": "t"}
        elif msg["method"] == "Target.attachToTarget":
            reply["result"] = {"sessionId": "s"}
        elif msg["method"] == "Page.navigate":
            os.write(4, json.dumps({"method": "Page.loadEventFired", "sessionId": "s"}).encode() + b"\\0")
        elif msg["method"] == "Page.printToPDF":
            if sys.argv[1] == "error":
                reply = {"id": msg["id"], "error": {"message": "Printing failed"}}
            else:
                reply["result"] = {"data": base64.b64encode(b"<html>").decode()}
        elif msg["method"] == "Browser.close":
            sys.exit(0)
        os.write(4, json.dumps(reply).encode() + b"\\0")
"""


def _fake_browser(folder: Path, body: str) -> Path:
    script = folder / "fake-chromium"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def _chromium_or_skip() -> str:
    try:
        return pdf.find_chromium()
    except pdf.PdfError as exc:
        if os.environ.get(pdf.CHROMIUM_ENV):
            raise  # a broken override is an error, not a reason to skip
        pytest.skip(f"Chromium not installed: {exc}")


@pytest.fixture(scope="module")
def notebook(tmp_path_factory) -> Path:
    return _write_notebook(tmp_path_factory.mktemp("nb") / "weekly.ipynb")


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Point tempfile at an empty folder, to check that nothing is left behind."""
    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture(scope="module")
def printed(notebook, tmp_path_factory):
    """The test notebook printed once (module scope: one Chromium run)."""
    from pypdf import PdfReader

    _chromium_or_skip()
    out = tmp_path_factory.mktemp("pdf") / "report" / "weekly.pdf"  # folder is created
    result = pdf.notebook_to_pdf(notebook, out, TITLE)
    reader = PdfReader(result)
    text = "\n".join(page.extract_text() for page in reader.pages)
    return result, reader, text


# --- HTML ---------------------------------------------------------------------------


def test_html_is_self_contained_print_page(notebook):
    html = pdf.notebook_to_html(notebook, TITLE)
    assert "<title>Lekhok &amp; Co weekly forecast</title>" in html
    assert "@page { size: A4; margin: 14mm 12mm; }" in html
    assert "break-inside: avoid" in html
    assert HEADING in html
    assert "task-119" in html
    assert CODE_MARKER not in html  # code hidden
    assert "In&nbsp;[" not in html and "Out[" not in html  # prompts hidden
    assert "data:image/png;base64," in html  # figure embedded
    assert "<script src" not in html and "<link" not in html  # nothing fetched
    assert "theme-dark" not in html and "jp-needs-dark" not in html


def test_html_missing_notebook(tmp_path):
    with pytest.raises(FileNotFoundError):
        pdf.notebook_to_html(tmp_path / "nope.ipynb", "x")


# --- finding the browser ----------------------------------------------------------------


def test_find_chromium_missing_names_the_package(tmp_path, monkeypatch):
    monkeypatch.delenv(pdf.CHROMIUM_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder
    with pytest.raises(pdf.PdfError, match="apt-get install chromium"):
        pdf.find_chromium()


def test_find_chromium_env_override(tmp_path, monkeypatch):
    script = _fake_browser(tmp_path, "exit 0")
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(script))
    assert pdf.find_chromium() == str(script)
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(tmp_path / "no-such-browser"))
    with pytest.raises(pdf.PdfError, match=pdf.CHROMIUM_ENV):
        pdf.find_chromium()


# --- the printed PDF ----------------------------------------------------------------------


def test_pdf_is_a4_with_title(printed):
    path, reader, _ = printed
    assert path.is_file() and path.read_bytes().startswith(b"%PDF-")
    assert reader.metadata.title == TITLE  # the given title, not the file name
    for page in reader.pages:
        assert abs(float(page.mediabox.width) - 595) <= 2
        assert abs(float(page.mediabox.height) - 842) <= 2


def test_pdf_text_has_content_but_no_code(printed):
    _, _, text = printed
    assert HEADING in text
    assert "task-000" in text and "task-119" in text
    assert "1119" in text and "5119" in text  # last row's values
    assert CODE_MARKER not in text
    assert "weekly.ipynb" not in text and "file://" not in text  # no header/footer


def test_long_table_spans_pages(printed):
    _, reader, _ = printed
    assert len(reader.pages) > 1
    # the table's header row repeats on the next page
    assert "p80" in reader.pages[1].extract_text()


def test_wide_table_is_not_cut_off(printed):
    _, _, text = printed
    assert "987654" in text  # last column of a 24-column table


def test_no_leftovers_after_success(notebook, tmp_path, private_tmp):
    _chromium_or_skip()
    out = tmp_path / "out" / "weekly.pdf"
    pdf.notebook_to_pdf(notebook, out, TITLE)
    assert [p.name for p in out.parent.iterdir()] == ["weekly.pdf"]
    assert list(private_tmp.iterdir()) == []  # HTML and Chromium profile removed


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("echo 'boom: renderer crashed' >&2; exit 1", "exit status 1: boom: renderer crashed"),
        ("exit 0", "exit status 0"),  # quits without a word
        (f"exec {sys.executable} -c '{_FAKE_PROTOCOL}' not-a-pdf", "empty or invalid PDF"),
        (f"exec {sys.executable} -c '{_FAKE_PROTOCOL}' error", "Page.printToPDF failed: Printing failed"),
    ],
)
def test_browser_failure_keeps_old_pdf(notebook, tmp_path, private_tmp, monkeypatch, body, message):
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(_fake_browser(tmp_path, body)))
    target = tmp_path / "reports" / "weekly.pdf"
    target.parent.mkdir()
    old = b"%PDF-1.4 earlier report\n%%EOF\n"
    target.write_bytes(old)
    with pytest.raises(pdf.PdfError) as info:
        pdf.notebook_to_pdf(notebook, target, TITLE)
    msg = str(info.value)
    assert "weekly.ipynb" in msg and message in msg and "\n" not in msg
    assert target.read_bytes() == old
    assert [p.name for p in target.parent.iterdir()] == ["weekly.pdf"]  # no temp file left
    assert list(private_tmp.iterdir()) == []


def test_browser_timeout_is_killed(notebook, tmp_path, monkeypatch):
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(_fake_browser(tmp_path, "sleep 30 & sleep 30")))
    target = tmp_path / "weekly.pdf"
    start = time.monotonic()
    with pytest.raises(pdf.PdfError, match=r"weekly\.ipynb.*timed out after 1 s"):
        pdf.notebook_to_pdf(notebook, target, TITLE, timeout=1)
    assert time.monotonic() - start < 10  # the background child did not keep us waiting
    assert not target.exists()
