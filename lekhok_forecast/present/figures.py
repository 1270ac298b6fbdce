"""What every figure shares: the report style, a figure of its own or the caller's axes, titles, saving.

Figures are sized for an A4 page (`FULL_WIDTH` inches wide, the printable width) with
fonts that stay readable when printed at that size; `use_report_style` sets them.
"""

from __future__ import annotations

import io
import textwrap
from binascii import b2a_base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image

from lekhok_forecast.present.style import FULL_WIDTH, HEIGHT, STYLE

if TYPE_CHECKING:
    import pandas as pd


def use_report_style(inline_format: str | None = "retina") -> None:
    """Set the report's matplotlib style (fonts, sizes, grid) for the current process.

    Parameters
    ----------
    inline_format : str or None
        In a Jupyter kernel, how figures are embedded: ``"retina"`` (PNG at twice the
        resolution: sharp in a printed PDF) or ``"png"`` (screen resolution, reduced to a
        64-colour palette: about a third of the bytes, for the notebooks stored in git).
        None leaves the kernel's setting alone.
    """
    matplotlib.rcParams.update(STYLE)  # type: ignore[arg-type]  # the stubs key rcParams by Literal names
    if inline_format is None:
        return
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not in IPython
        return
    ip = get_ipython()
    if ip is None:
        return
    if inline_format not in ("png", "retina"):
        raise ValueError(f"inline_format must be 'png' or 'retina', got {inline_format!r}")
    set_matplotlib_formats(inline_format)
    formatter = ip.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, small_png if inline_format == "png" else saved_or_retina_png)


def small_png(fig: Figure) -> bytes:
    """`fig` as compact PNG bytes: screen resolution, 64-colour palette (deterministic bytes)."""
    raw = io.BytesIO()
    fig.canvas.print_figure(raw, format="png", dpi=fig.dpi, bbox_inches="tight", facecolor="white")
    raw.seek(0)
    image = Image.open(raw).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()


def saved_or_retina_png(fig: Figure) -> tuple[str, dict[str, int]] | None:
    """`fig` as a pixel-doubled PNG for a notebook (base64) and its display size in pixels.

    A figure `save_figure` saved is shown from the saved file's bytes (the same 200 dpi,
    twice the figure's 100 dpi): a figure is rendered once, not once for the file and again
    for the notebook (0.1 s a figure). Any other figure is rendered as IPython's
    ``retina`` format renders it (tight box). None for an empty figure (nothing is shown).
    """
    png = getattr(fig, "_lekhok_png", None)
    if png is None:
        if not fig.axes and not fig.lines:
            return None
        raw = io.BytesIO()
        fig.canvas.print_figure(
            raw,
            format="png",
            dpi=2 * fig.dpi,
            bbox_inches="tight",
            facecolor=fig.get_facecolor(),
            edgecolor=fig.get_edgecolor(),
        )
        png = raw.getvalue()
    width, height = Image.open(io.BytesIO(png)).size
    return b2a_base64(png, newline=False).decode("ascii"), {"width": width // 2, "height": height // 2}


def figure_and_axes(
    ax: Axes | None, height: float = HEIGHT, width: float = FULL_WIDTH, *, layout: str | None = None
) -> tuple[Figure, Axes]:
    """The ``ax=None -> (fig, ax)`` rule of every plot: the caller's axes and their figure, or
    new axes on a figure of their own, `width` x `height` inches (`layout`: matplotlib's)."""
    if ax is not None:
        return cast(Figure, ax.figure), ax  # the plots draw on axes of a figure, never of a subfigure
    fig, ax = plt.subplots(figsize=(width, height), layout=layout)
    fig._lekhok_own = True  # type: ignore[attr-defined]  # a figure of its own: the title goes at its left edge
    return fig, ax


def new_axes(height: float = HEIGHT, width: float = FULL_WIDTH) -> Axes:
    """Axes on a figure of their own, `height` inches tall (e.g. a compact chart for page one).

    Pass the result as ``ax=`` to any plot function.
    """
    return figure_and_axes(None, height=height, width=width)[1]


def set_title(fig: Figure, ax: Axes, title: str | None) -> None:
    """Title at the figure's left edge (own figure) or above the axes (caller's axes)."""
    if not title:
        return
    if getattr(fig, "_lekhok_own", False) and len(fig.axes) <= 2:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    else:
        ax.set_title(title, loc="left")


def wrap_label(label: str, width: int = 42) -> str:
    """`label` wrapped to lines of at most `width` characters (tick labels)."""
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def save_figure(fig: Figure, output_dir: str | None, name: str) -> None:
    """Save `fig` as ``<output_dir>/figures/<name>.png`` (200 dpi, cropped to what is drawn); do nothing without a folder.

    The saved bytes stay with the figure: a notebook in the ``retina`` format shows them
    (`saved_or_retina_png`), so call this after the last change to the figure (as the
    notebooks do, last in the cell). Returns None on purpose: as the last line of a
    notebook cell it prints nothing (a returned path would land in the PDF).
    """
    if not output_dir:
        return
    folder = Path(output_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=200, bbox_inches="tight", metadata={"Software": None})
    (folder / f"{name}.png").write_bytes(png.getvalue())
    fig._lekhok_png = png.getvalue()  # type: ignore[attr-defined]  # shown by saved_or_retina_png


#: A scenario whose median is more than this times the reference's is not drawn to scale.
FAR_FACTOR = 1.6


def cdf_layout(
    cdfs: Mapping[str, pd.DataFrame],
    medians: Mapping[str, float],
    deadlines: Sequence[float] = (),
    far_factor: float = FAR_FACTOR,
) -> tuple[tuple[str, ...], tuple[float, float] | None]:
    """The scenarios not drawn to scale (median over `far_factor` times the first one's),
    and the x-range in weeks that shows every other curve and the deadlines (None: no
    curve to scale)."""
    ref = medians[next(iter(cdfs))] if cdfs else 0.0
    far = tuple(k for k in cdfs if not medians[k] <= far_factor * ref)
    near = [v for k, v in cdfs.items() if k not in far]
    if not near:
        return far, None
    xmin = min(float(v["week"].min()) for v in near)
    xmax = max(float(v["week"].max()) for v in near)
    return far, (min([xmin, *deadlines]) - 0.5, max([xmax, *deadlines]) + 0.5)
