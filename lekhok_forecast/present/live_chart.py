"""The explorer's finish-curve chart, kept between updates (drawing only).

`plots.scenario_cdfs` draws a new figure; the explorer redraws its chart on every move
of a control, and building and rendering a figure (ticks, labels, legend) was most of
an update. `LiveCdfChart` draws the figure once, with the moving curves left out of a
saved background; an update moves those curves (``set_data``), draws them onto the
background and encodes the result as a PNG. The whole figure is drawn again only when
the curves no longer fit its x-range, or one moves to or from "not drawn to scale"
(`lekhok_forecast.present.figures.cdf_layout`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from lekhok_forecast.present.figures import cdf_layout
from lekhok_forecast.present.plots import scenario_cdfs


class LiveCdfChart:
    """`plots.scenario_cdfs` of a fixed set of scenario names, re-rendered cheaply.

    Parameters
    ----------
    size : (width, height)
        Inches.
    dpi : float
        Pixels per inch of the PNG.
    slack : float
        On a full redraw the x-range is widened by this share of its width on each side,
        so that the next settings' curve usually fits without one.
    """

    def __init__(self, size: tuple[float, float] = (5.2, 3.4), dpi: float = 100, slack: float = 0.1) -> None:
        self.size, self.dpi, self.slack = size, dpi, slack
        self.redraws = 0  # full redraws so far (the rest were curve moves)
        self._fig = None
        self._moving: dict = {}  # scenario name -> its line (every scenario but the first)
        self._far: tuple[str, ...] = ()
        self._xlim = (0.0, 0.0)

    def png(self, cdfs: Mapping[str, pd.DataFrame], medians: Mapping[str, float], deadlines: Sequence[float]) -> bytes:
        """The chart of these curves (names as in the first call) as PNG bytes."""
        far, span = cdf_layout(cdfs, medians, deadlines)
        if self._fig is None or far != self._far or not self._fits(span):
            self._redraw(cdfs, medians, deadlines, far, span)
        else:
            for name, line in self._moving.items():
                line.set_data(cdfs[name]["week"], cdfs[name]["p_finish_by"])
        canvas = self._canvas
        canvas.restore_region(self._background)
        for line in self._moving.values():
            self._ax.draw_artist(line)
        rows, cols = self._crop
        rgba = np.asarray(canvas.buffer_rgba())[rows, cols]
        buf = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buf, format="PNG", compress_level=1)  # speed over bytes
        return buf.getvalue()

    def _fits(self, span: tuple[float, float] | None) -> bool:
        """Whether the curves fit the current x-range without leaving most of it empty."""
        if span is None:
            return False
        lo, hi = self._xlim
        return lo <= span[0] and span[1] <= hi and (hi - lo) <= 1.6 * (span[1] - span[0])

    def _redraw(self, cdfs, medians, deadlines, far, span) -> None:
        fig, ax = scenario_cdfs(cdfs, medians=medians, deadlines=deadlines, title=None)
        # out of pyplot's figures: a notebook's inline backend would otherwise show it below the
        # explorer when the cell ends, and redraw it on a canvas of its own (not the one updated here)
        plt.close(fig)
        fig.set_size_inches(*self.size)
        fig.set_dpi(self.dpi)
        if span is not None:
            pad = self.slack * (span[1] - span[0])
            self._xlim = (span[0] - pad, span[1] + pad)
            ax.set_xlim(*self._xlim)
        self._canvas = FigureCanvasAgg(fig)  # its own canvas: never shown by pyplot or a notebook backend
        names = set(list(cdfs)[1:]) - set(far)
        self._moving = {ln.get_label(): ln for ln in ax.get_lines() if ln.get_label() in names}
        for line in self._moving.values():
            line.set_animated(True)  # left out of the background
        self._canvas.draw()
        self._background = self._canvas.copy_from_bbox(fig.bbox)
        box = fig.get_tightbbox(self._canvas.get_renderer()).padded(0.05)
        height = int(round(fig.bbox.height))
        x0, x1 = (max(0, int(v * self.dpi)) for v in (box.x0, box.x1))
        y0, y1 = (max(0, int(v * self.dpi)) for v in (box.y0, box.y1))
        self._crop = (slice(max(0, height - y1), height - y0), slice(x0, x1))
        self._fig, self._ax, self._far = fig, ax, far
        self.redraws += 1
