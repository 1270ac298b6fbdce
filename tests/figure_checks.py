"""Checks every figure must pass: text artists shown, readable at A4 width, none overlapping."""

from __future__ import annotations

import itertools

from matplotlib.backends.backend_agg import FigureCanvasAgg

from lekhok_forecast.present.style import FULL_WIDTH


def shown_texts(fig):
    """Text artists that a drawn figure shows, with their window extents.

    Tick labels count only for ticks inside the view (matplotlib keeps, but does not
    draw, labels of ticks outside it).
    """
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    shown = []
    axes = list(fig.axes)
    for ax in fig.axes:
        axes.extend(ax.child_axes)
    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_visible():
                continue
            for tick in axis._update_ticks():
                shown.extend(lbl for lbl in (tick.label1, tick.label2) if lbl.get_visible())
            shown.append(axis.label)
        shown.extend(ax.texts)
        shown.extend([ax.title, ax._left_title, ax._right_title])
        legend = ax.get_legend()
        if legend is not None:
            shown.extend(legend.get_texts())
    shown.extend(fig.texts)
    if fig._suptitle is not None:
        shown.append(fig._suptitle)
    unique = list({id(t): t for t in shown}.values())
    return [(t, t.get_window_extent(renderer)) for t in unique if t.get_visible() and t.get_text().strip()]


def assert_readable_at_a4_width(name, fig):
    assert fig.get_figwidth() <= FULL_WIDTH + 1e-9, name
    for t, _ in shown_texts(fig):
        assert t.get_fontsize() >= 7.5, f"{name}: {t.get_text()!r} at {t.get_fontsize()} pt"


def assert_no_overlapping_labels(name, fig):
    """No two text labels of a figure overlap, and none sticks out of the figure."""
    texts = shown_texts(fig)
    fig_box = fig.bbox
    for t, box in texts:
        assert box.x0 >= fig_box.x0 - 1 and box.x1 <= fig_box.x1 + 1, f"{name}: {t.get_text()!r} cut off"
        assert box.y0 >= fig_box.y0 - 1 and box.y1 <= fig_box.y1 + 1, f"{name}: {t.get_text()!r} cut off"
    for (t1, b1), (t2, b2) in itertools.combinations(texts, 2):
        overlap_w = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
        overlap_h = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
        assert not (overlap_w > 1 and overlap_h > 1), f"{name}: {t1.get_text()!r} overlaps {t2.get_text()!r}"
