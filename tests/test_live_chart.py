"""The explorer's chart kept between updates: curve moves without a full redraw, exact restores."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

matplotlib.use("Agg")

from lekhok_forecast.present.figures import cdf_layout  # noqa: E402
from lekhok_forecast.present.live_chart import LiveCdfChart  # noqa: E402


def curve(lo: float, hi: float) -> pd.DataFrame:
    week = np.linspace(lo, hi, 200)
    return pd.DataFrame({"week": week, "p_finish_by": (week - lo) / (hi - lo)})


def cdfs(lo: float, hi: float) -> dict:
    return {"Plan": curve(10, 20), "Your settings": curve(lo, hi)}


def medians(c: dict) -> dict:
    return {k: float(np.interp(0.5, v["p_finish_by"], v["week"])) for k, v in c.items()}


def test_layout_names_far_scenarios_and_spans_the_rest_and_the_deadlines():
    c = {"a": curve(10, 20), "b": curve(11, 19), "c": curve(40, 60)}
    far, span = cdf_layout(c, medians(c), deadlines=(8, 14))
    assert far == ("c",)
    assert span == pytest.approx((7.5, 20.5))
    assert cdf_layout({"a": curve(10, 20)}, {"a": float("nan")})[1] is None  # NaN median: not to scale


def test_moving_a_curve_redraws_only_it_and_restores_exactly():
    chart = LiveCdfChart()
    first = chart.png(cdfs(9, 19), medians(cdfs(9, 19)), deadlines=(12, 14))
    moved = chart.png(cdfs(10, 19.5), medians(cdfs(10, 19.5)), deadlines=(12, 14))
    back = chart.png(cdfs(9, 19), medians(cdfs(9, 19)), deadlines=(12, 14))
    assert chart.redraws == 1
    assert moved != first and back == first  # the background is restored, not drawn over
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG" and 300 < image.width <= 520 and 200 < image.height <= 340


def test_a_curve_out_of_range_or_far_away_redraws_the_figure():
    chart = LiveCdfChart()
    chart.png(cdfs(9, 19), medians(cdfs(9, 19)), deadlines=(12,))
    chart.png(cdfs(5, 30), medians(cdfs(5, 30)), deadlines=(12,))  # wider than the x-range
    assert chart.redraws == 2
    far = cdfs(40, 70)
    chart.png(far, medians(far), deadlines=(12,))  # not drawn to scale: named instead
    assert chart.redraws == 3 and chart._moving == {}
