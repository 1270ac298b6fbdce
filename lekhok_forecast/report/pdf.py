"""Turn executed notebooks into print-ready A4 PDF reports.

The route is two steps, both local and offline:

1. nbconvert renders the executed notebook to one self-contained HTML file,
   with all code and prompts hidden and a light print stylesheet (A4 pages,
   compact zebra tables, sharp figures) in place of the JupyterLab CSS.
2. Debian's headless Chromium prints that HTML file to PDF, with its own
   header/footer (date, file URL) switched off.

The PDF is first written under a temporary name next to the target and then
moved onto it with :func:`os.replace`, so an earlier PDF survives any failure.

nbconvert/nbformat are imported lazily: importing this module is cheap, and
:func:`find_chromium` works without them.
"""

from __future__ import annotations

import html
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

__all__ = [
    "CHROMIUM_ENV",
    "PRINT_CSS",
    "PdfError",
    "find_chromium",
    "notebook_to_html",
    "notebook_to_pdf",
    "notebooks_to_pdfs",
]

#: Environment variable that names the browser to use (a path or a command on PATH).
CHROMIUM_ENV = "LEKHOK_CHROMIUM"

#: Browser commands looked for on PATH, in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")

#: Flags for every print. Networking, sync, updates and first-run UI are off, and
#: every host name fails to resolve at once, so a print never waits on (or phones)
#: the network, even if a notebook output links a remote image or script; headers
#: and footers are off, so no dates or file:// URLs end up on the pages;
#: --disable-dev-shm-usage avoids crashes in containers with a small /dev/shm.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-pdf-header-footer",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

#: Print stylesheet injected into every HTML page (replaces the JupyterLab CSS).
PRINT_CSS = """
@page { size: A4; margin: 14mm 12mm; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0; background: #fff; color: #1b1f24;
  font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif;
  font-size: 10pt; line-height: 1.4;
}
/* the printed width of A4 minus margins; also on screen so the table-fitting
   script measures what will be printed */
@media screen { main { width: 186mm; } }

/* headings: never the last thing on a page */
h1, h2, h3, h4, h5, h6 {
  color: #0f2940; line-height: 1.25; margin: 1.1em 0 0.45em;
  break-after: avoid; page-break-after: avoid; break-inside: avoid;
}
h1 { font-size: 19pt; margin-top: 0; padding-bottom: 4pt; border-bottom: 2px solid #0f2940; }
h2 { font-size: 14pt; padding-bottom: 2pt; border-bottom: 1px solid #c8d1db; }
h3 { font-size: 12pt; }
h4, h5, h6 { font-size: 10.5pt; }
a.anchor-link { display: none; }
a { color: #1d5fa8; text-decoration: none; }
p, li { orphans: 3; widows: 3; }
p { margin: 0 0 0.6em; }
ul, ol { margin: 0 0 0.6em; padding-left: 1.6em; }
blockquote { margin: 0.6em 0; padding: 0.2em 0.9em; border-left: 3px solid #c8d1db; color: #444; }
hr { border: 0; border-top: 1px solid #c8d1db; margin: 1em 0; }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.9em; }

/* notebook chrome: no prompts, collapsers, padding or empty cells */
.jp-Collapser, .jp-InputPrompt, .jp-OutputPrompt, .jp-InputArea-editor { display: none; }
.jp-Cell, .jp-Cell-inputWrapper, .jp-Cell-outputWrapper, .jp-InputArea,
.jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output { margin: 0; padding: 0; border: 0; }
.jp-CodeCell.jp-mod-noInput.jp-mod-noOutputs { display: none; }
.jp-OutputArea-child { margin: 0.3em 0 0.7em; }

/* figures: whole, scaled to the page, never upscaled */
.jp-RenderedImage, .jp-RenderedSVG { break-inside: avoid; page-break-inside: avoid; text-align: center; }
img, svg { max-width: 100%; height: auto; }

/* plain-text output (print(), reprs) */
.jp-RenderedText pre {
  margin: 0; padding: 4pt 6pt; background: #f6f8fa; border-left: 3px solid #c8d1db;
  font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8.5pt; line-height: 1.35;
  white-space: pre-wrap; overflow-wrap: anywhere;
}
.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"] pre {
  background: #fff8e6; border-left-color: #e0b04a; color: #5c4300; font-size: 7.5pt;
}
.ansi-bold { font-weight: bold; }
.ansi-red-fg { color: #b3261e; } .ansi-green-fg { color: #1e7b34; }
.ansi-yellow-fg { color: #8a6100; } .ansi-blue-fg { color: #1d5fa8; }
.ansi-cyan-fg { color: #0b7285; } .ansi-magenta-fg { color: #8e3a9d; }

/* tables (pandas DataFrames, Styler output, markdown tables) */
table {
  border-collapse: collapse; border-spacing: 0; margin: 0.2em 0 0.6em;
  font-size: 8pt; line-height: 1.25; font-variant-numeric: tabular-nums;
  width: auto; max-width: 100%;
}
th, td { border: 1px solid #d0d7de; padding: 2pt 5pt; vertical-align: top; }
td { text-align: right; }
th { text-align: right; font-weight: bold; }
thead th { background: #e8edf3; color: #0f2940; vertical-align: bottom; }
tbody th { background: transparent; text-align: left; }
tbody tr:nth-child(even) { background: #f3f6f9; }
thead { display: table-header-group; }   /* header row repeats on every page */
tr, img, svg { break-inside: avoid; page-break-inside: avoid; }
.jp-RenderedMarkdown table td, .jp-RenderedMarkdown table th { text-align: left; }
td, th { overflow-wrap: break-word; }
main table td.lekhok-text, main table th.lekhok-text { text-align: left; }
table.lekhok-wide { font-size: 7pt; }
table.lekhok-squeeze th { overflow-wrap: anywhere; }
table.lekhok-wide th, table.lekhok-wide td { padding: 0.15em 0.4em; }
"""

# Fits tables that are wider than the page: header labels may break after "_", "."
# or "/", then the font shrinks step by step down to 5 pt, and as a last resort the
# table is zoomed out, so a table is never cut off at the right edge. Runs inline
# before the load event, i.e. before Chromium prints; the measurements are right
# because <main> has the printed width (186 mm) on screen too (see PRINT_CSS).
_FIT_TABLES_JS = r"""
(function () {
  var main = document.querySelector("main");
  if (!main) return;
  var avail = main.clientWidth;
  function addBreaks(cell) {
    var walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), nodes = [], n;
    while ((n = walker.nextNode())) nodes.push(n);
    nodes.forEach(function (node) {
      var parts = node.nodeValue.split(/(?<=[_.\/])(?=.)/);
      if (parts.length < 2) return;
      var frag = document.createDocumentFragment();
      parts.forEach(function (part, i) {
        if (i) frag.appendChild(document.createElement("wbr"));
        frag.appendChild(document.createTextNode(part));
      });
      node.parentNode.replaceChild(frag, node);
    });
  }
  // a table fits when its narrowest layout (min-content: text wrapped at every
  // opportunity) leaves 3 % slack, as print font metrics differ a little from screen
  var limit = 0.97 * avail;
  function minWidth(t) {
    var w = t.style.width, m = t.style.maxWidth;
    t.style.width = "min-content"; t.style.maxWidth = "none";
    var r = t.getBoundingClientRect().width;
    t.style.width = w; t.style.maxWidth = m;
    return r;
  }
  function fits(t) { return minWidth(t) <= limit; }
  function shrink(t, floor) {
    var size = parseFloat(t.getAttribute("data-pt") || "8");
    for (var k = 0; k < 8 && !fits(t) && size > floor; k++) {
      size = Math.max(floor, size * limit / minWidth(t));
      t.style.fontSize = size.toFixed(2) + "pt";
    }
    t.setAttribute("data-pt", size.toFixed(2));
  }
  var numeric = /^[\s(]*[-+\u2212]?[$\u20ac\u00a3]?[-+\u2212]?(\d[\d,\u2009 ]*(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*[%)kKMB]?\)?\s*$|^\s*(nan|NaN|<NA>|NaT|None|inf|-inf|\u2014|-|)\s*$/;
  var tables = main.querySelectorAll("table");
  for (var i = 0; i < tables.length; i++) {
    var t = tables[i];
    // numbers right, text left, cell by cell; a header over an all-text column too
    var allText = {};
    t.querySelectorAll("td").forEach(function (td) {
      var isText = !numeric.test(td.textContent);
      if (isText) td.classList.add("lekhok-text");
      allText[td.cellIndex] = (allText[td.cellIndex] !== false) && isText;
    });
    var heads = t.tHead ? t.tHead.rows : [];
    if (heads.length === 1 && !t.querySelector("[rowspan],[colspan]")) {
      for (var c = 0; c < heads[0].cells.length; c++)
        if (allText[c]) heads[0].cells[c].classList.add("lekhok-text");
    }
    if (fits(t)) continue;
    // 1: smaller font, tighter cells, header labels may break after _ . /
    t.classList.add("lekhok-wide");
    t.setAttribute("data-pt", "7");
    t.querySelectorAll("th").forEach(addBreaks);
    shrink(t, 6);
    // 2: header labels may break anywhere; then down to 5 pt
    if (!fits(t)) { t.classList.add("lekhok-squeeze"); shrink(t, 5); }
    // 3: last resort, zoom out: never cut off at the right edge
    var zoom = 1;
    for (var z = 0; z < 5 && !fits(t); z++) {
      zoom = Math.floor(zoom * limit / minWidth(t) * 1000) / 1000;
      t.style.zoom = String(zoom);
    }
    t.setAttribute("data-lekhok-fit",
                   t.getAttribute("data-pt") + "pt zoom " + (t.style.zoom || "1"));
  }
})();
"""

# Extends nbconvert's "lab" cell markup but replaces the whole <head>: no JupyterLab
# CSS (dark theme, prompt gutters, paddings), no CDN scripts (require.js, MathJax,
# mermaid) that a closed network would make chromium wait on.
_TEMPLATE_NAME = "lekhok_print.html.j2"
_TEMPLATE = """{%- extends 'base.html.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ resources.lekhok_title }}</title>
<style type="text/css">{{ resources.lekhok_css }}</style>
</head>
{%- endblock header -%}
{%- block body_header -%}
<body>
<main>
{%- endblock body_header -%}
{%- block body_footer -%}
</main>
<script>{{ resources.lekhok_js }}</script>
</body>
{%- endblock body_footer -%}
{%- block footer -%}
{{ super() }}
</html>
{%- endblock footer -%}
"""


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
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    path = Path(nb_path)
    if not path.is_file():
        raise FileNotFoundError(f"notebook not found: {path}")
    nb = nbformat.read(path, as_version=4)
    exporter = HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    resources = {
        "metadata": {"name": path.stem, "path": str(path.parent.resolve())},
        "lekhok_title": html.escape(title),
        "lekhok_css": PRINT_CSS,
        "lekhok_js": _FIT_TABLES_JS,
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the browser's process group, twice: helpers forked mid-kill survive the first."""
    for _ in range(2):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        time.sleep(0.05)


def _remove_tree(path: Path) -> None:
    """Remove a temp folder; retry once, as exiting Chromium helpers may still write to it."""
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():
        time.sleep(0.5)
        shutil.rmtree(path, ignore_errors=True)


def _run_chromium(chromium: str, html_path: Path, pdf_tmp: Path, workdir: Path, timeout: float) -> str | None:
    """Print `html_path` to `pdf_tmp`; return ``None`` on success, else a short reason."""
    profile = workdir / "profile"
    env = dict(os.environ)
    # Chromium's crash-report database and dconf cache ignore --user-data-dir and
    # would land in ~/.config/chromium and ~/.cache; keep them in the temp dir too.
    env["XDG_CONFIG_HOME"] = str(workdir / "config")
    env["XDG_CACHE_HOME"] = str(workdir / "cache")
    cmd = [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--print-to-pdf={pdf_tmp}",
        html_path.as_uri(),
    ]
    log_path = workdir / "chromium.log"
    # Output goes to a file, not a pipe: Chromium's crashpad handler daemonizes
    # (own session, outside our process group) and could hold a pipe open.
    with open(log_path, "wb") as log:
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,  # own process group: a timeout kills all helpers
            )
        except OSError as exc:
            return f"cannot start {chromium}: {exc}"
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return f"timed out after {timeout:g} s"
        except BaseException:  # e.g. Ctrl-C: the browser is in its own session, so end it
            _kill_group(proc)
            raise
    if proc.returncode != 0:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        detail = f": {lines[-1][:200]}" if lines else ""
        return f"exit status {proc.returncode}{detail}"
    try:
        with open(pdf_tmp, "rb") as fh:
            head = fh.read(5)
    except OSError:
        return "no PDF written"
    if head != b"%PDF-":
        return "empty or invalid PDF written"
    return None


def _print_one(html_text: str, nb_path: Path, pdf_path: Path, chromium: str, timeout: float) -> Path:
    """Print one rendered notebook atomically onto `pdf_path`."""
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{pdf_path.stem}.", suffix=".pdf.tmp", dir=pdf_path.parent)
    os.close(fd)
    pdf_tmp = Path(tmp_name)
    workdir = Path(tempfile.mkdtemp(prefix="lekhok-pdf-"))
    try:
        html_path = workdir / f"{nb_path.stem}.html"
        html_path.write_text(html_text, encoding="utf-8")
        pdf_tmp.unlink()  # chromium must create it: an empty leftover must not look like output
        reason = _run_chromium(chromium, html_path, pdf_tmp, workdir, timeout)
        if reason is not None:
            raise PdfError(f"chromium could not print {nb_path.name} to PDF: {reason}")
        os.replace(pdf_tmp, pdf_path)
    finally:
        pdf_tmp.unlink(missing_ok=True)
        _remove_tree(workdir)
    return pdf_path


def notebook_to_pdf(
    nb_path: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str],
    title: str,
    *,
    chromium: str | None = None,
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
        Browser executable; default :func:`find_chromium`.
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
    exe = chromium or find_chromium()
    html_text = notebook_to_html(nb, title)
    return _print_one(html_text, nb, Path(pdf_path), exe, timeout)


def notebooks_to_pdfs(
    pairs: Iterable[Sequence],
    max_workers: int = 2,
    *,
    chromium: str | None = None,
    timeout: float = 120,
) -> list[Path]:
    """Convert several notebooks to PDFs, running the browser prints concurrently.

    HTML rendering is done one notebook after the other in the calling thread
    (it is fast and keeps nbconvert single-threaded); the Chromium prints, which
    dominate the time, run in a pool of `max_workers` threads, one browser
    process each. Every PDF is written atomically, as in :func:`notebook_to_pdf`.

    Parameters
    ----------
    pairs : iterable of (nb_path, pdf_path, title)
        One triple per notebook.
    max_workers : int, default 2
        Browser processes at a time; match the number of CPU cores.
    chromium : str, optional
        Browser executable; default :func:`find_chromium`.
    timeout : float, default 120
        Seconds allowed for each single print.

    Returns
    -------
    list of pathlib.Path
        The PDF paths, in the order given.

    Raises
    ------
    PdfError
        If any conversion failed; all others are still attempted and written.
        The one-line message names every failed notebook.
    FileNotFoundError
        If a notebook does not exist (raised before anything is printed).
    """
    jobs = [(Path(nb), Path(pdf), str(title)) for nb, pdf, title in pairs]
    if not jobs:
        return []
    exe = chromium or find_chromium()
    rendered = [(notebook_to_html(nb, title), nb, pdf) for nb, pdf, title in jobs]
    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, int(max_workers))) as pool:
        futures = [pool.submit(_print_one, text, nb, pdf, exe, timeout) for text, nb, pdf in rendered]
        for fut in futures:
            try:
                fut.result()
            except PdfError as exc:
                errors.append(str(exc))
    if errors:
        raise PdfError(f"{len(errors)} of {len(jobs)} PDFs failed: " + "; ".join(errors))
    return [pdf for _, pdf, _ in jobs]
