"""Turn executed notebooks into print-ready A4 PDF reports.

The route is two steps, both local and offline:

1. nbconvert renders the executed notebook to one self-contained HTML file,
   with all code and prompts hidden and a light print stylesheet (A4 pages,
   compact zebra tables, sharp figures) in place of the JupyterLab CSS.
2. Debian's headless Chromium prints that HTML file to PDF, with its own
   header/footer (date, file URL) switched off (`lekhok_forecast.report.browser`: one
   browser prints all of a report's notebooks).

The PDF is written atomically (`lekhok_forecast.sources.atomic`), so an earlier PDF
survives any failure.

nbconvert/nbformat are imported lazily: importing this module is cheap, and
:func:`find_chromium` works without them.
"""

from __future__ import annotations

import functools
import html
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from lekhok_forecast.report.browser import Browser, BrowserError
from lekhok_forecast.sources.atomic import atomic_write_bytes

__all__ = [
    "CHROMIUM_ENV",
    "PRINT_CSS",
    "PdfError",
    "find_chromium",
    "notebook_to_html",
    "notebook_to_pdf",
    "warm_html_exporter",
]

#: Environment variable that names the browser to use (a path or a command on PATH).
CHROMIUM_ENV = "LEKHOK_CHROMIUM"
#: Markdown cells with this tag (a notebook's plain title, for JupyterLab) are left out of the PDF.
TITLE_CELL_TAG = "notebook-title"

#: Browser commands looked for on PATH, in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")

#: The print stylesheet, the table-fitting script and the nbconvert template are package
#: data files beside this module (``templates/``), read when this module is imported.
TEMPLATES = Path(__file__).resolve().parent / "templates"
_TEMPLATE_NAME = "lekhok_print.html.j2"


def _template_text(name: str) -> str:
    """The text of one file of ``templates/``."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


#: Print stylesheet injected into every HTML page (replaces the JupyterLab CSS).
PRINT_CSS = _template_text("print.css")
#: Fits tables wider than the page (see the comment at the top of the file).
FIT_TABLES_JS = _template_text("fit_tables.js")


class PdfError(RuntimeError):
    """A notebook could not be turned into a PDF (browser missing or failed)."""


def find_chromium() -> str:
    """Locate a Chromium/Chrome executable for headless printing.

    The environment variable ``LEKHOK_CHROMIUM`` (a path, or a command name on
    ``PATH``) wins; otherwise ``chromium``, ``chromium-browser`` and
    ``google-chrome`` are looked for on ``PATH``, in that order.

    Returns
    -------
    str
        Absolute path of the browser executable.

    Raises
    ------
    PdfError
        If ``LEKHOK_CHROMIUM`` names something that is not executable, or no
        browser is found on ``PATH``.
    """
    override = os.environ.get(CHROMIUM_ENV, "").strip()
    if override:
        found = shutil.which(override)
        if found is None:
            raise PdfError(f"{CHROMIUM_ENV}={override!r} is not an executable file or a command on PATH")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise PdfError(
        "no Chromium found to print PDFs (looked for "
        + ", ".join(CHROMIUM_NAMES)
        + " on PATH); install it with 'apt-get install chromium' "
        f"or set {CHROMIUM_ENV} to the browser's path"
    )


def notebook_to_html(nb_path: str | os.PathLike[str], title: str) -> str:
    """Render an executed notebook as one self-contained, print-styled HTML page.

    Code cells' source and all ``In``/``Out`` prompts are left out; outputs
    (figures, tables, text) and markdown cells are kept. Images are embedded
    (``data:`` URIs, markdown images relative to the notebook included), and
    no external script or stylesheet is referenced.

    Parameters
    ----------
    nb_path : str or os.PathLike
        Path of the executed ``.ipynb`` file.
    title : str
        Document title: the HTML ``<title>``, which Chromium also stores as the
        PDF's title.

    Returns
    -------
    str
        The complete HTML document.

    Raises
    ------
    FileNotFoundError
        If `nb_path` does not exist.
    """
    import nbformat  # lazy: see module docstring and docs/pdf-route.md

    path = Path(nb_path)
    if not path.is_file():
        raise FileNotFoundError(f"notebook not found: {path}")
    nb = nbformat.read(path, as_version=4)
    # A notebook's own title cell is for JupyterLab; the PDF shows the title the notebook
    # builds from the plan instead (one heading, not two).
    nb.cells = [c for c in nb.cells if TITLE_CELL_TAG not in c.get("metadata", {}).get("tags", [])]
    resources = {
        "metadata": {"name": path.stem, "path": str(path.parent.resolve())},
        "lekhok_title": html.escape(title),
        "lekhok_css": PRINT_CSS,
        "lekhok_js": FIT_TABLES_JS,
    }
    with _EXPORTER_LOCK:
        body, _ = html_exporter().from_notebook_node(nb, resources=resources)
    return body


_EXPORTER_LOCK = threading.Lock()


@functools.cache
def html_exporter() -> Any:
    """The one nbconvert ``HTMLExporter`` of this process (code and prompts hidden, images embedded).

    Made once: a new exporter compiles its templates again (0.1 s a notebook), and the
    first one imports nbconvert (0.5 s), which the report does while its first notebooks
    run. Use it under `_EXPORTER_LOCK` (an exporter keeps state while it converts).
    """
    from jinja2 import FileSystemLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE_NAME,
        extra_loaders=[FileSystemLoader(str(TEMPLATES))],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def warm_html_exporter() -> None:
    """Import nbconvert and compile the print template now, so the first PDF does not wait for it."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("warm-up")])
    with _EXPORTER_LOCK:
        html_exporter().from_notebook_node(nb, resources={"lekhok_title": "", "lekhok_css": "", "lekhok_js": ""})


def _print_one(html_text: str, nb_path: Path, pdf_path: Path, browser: Browser, timeout: float) -> Path:
    """Print one rendered notebook atomically onto `pdf_path`."""
    workdir = Path(tempfile.mkdtemp(prefix="lekhok-pdf-"))
    try:
        html_path = workdir / f"{nb_path.stem}.html"
        html_path.write_text(html_text, encoding="utf-8")
        try:
            data = browser.print_pdf(html_path, timeout=timeout)
        except BrowserError as exc:
            raise PdfError(f"chromium could not print {nb_path.name} to PDF: {exc}") from None
        atomic_write_bytes(pdf_path, data)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return pdf_path


def notebook_to_pdf(
    nb_path: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str],
    title: str,
    *,
    chromium: str | None = None,
    browser: Browser | None = None,
    timeout: float = 120,
) -> Path:
    """Convert an executed notebook to an A4 PDF with the code hidden.

    The PDF is written to a temporary file in the target folder and moved onto
    `pdf_path` only once Chromium succeeded, so an existing PDF at `pdf_path`
    is left untouched on any failure. Temporary files and the throw-away
    Chromium profile are always removed.

    Parameters
    ----------
    nb_path : str or os.PathLike
        Executed ``.ipynb`` file.
    pdf_path : str or os.PathLike
        Target PDF; its folder is created if needed.
    title : str
        Document title (HTML ``<title>`` and PDF metadata title).
    chromium : str, optional
        Browser executable; default :func:`find_chromium`. Used only without `browser`.
    browser : Browser, optional
        A running browser to print with (a report prints all its notebooks in one);
        default: one started for this PDF and closed after it.
    timeout : float, default 120
        Seconds to wait for Chromium before killing it.

    Returns
    -------
    pathlib.Path
        `pdf_path`.

    Raises
    ------
    PdfError
        If no browser is found, or Chromium exits non-zero, times out, or
        writes no PDF. The message is one line and names the notebook.
    FileNotFoundError
        If `nb_path` does not exist.
    """
    nb = Path(nb_path)
    html_text = notebook_to_html(nb, title)
    if browser is not None:
        return _print_one(html_text, nb, Path(pdf_path), browser, timeout)
    with Browser(chromium or find_chromium()) as own:
        return _print_one(html_text, nb, Path(pdf_path), own, timeout)
