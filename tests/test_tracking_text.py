"""The weekly report's tracking sections: history, what changed, earned value, fever chart."""

from __future__ import annotations

import pytest

from lekhok_forecast.present.tracking_text import (
    earned_value_display,
    earned_value_sentences,
    fever_sentences,
    history_display,
    what_changed_display,
)
from lekhok_forecast.tracking.fever import chain_buffer


def test_tracking_tables(weekly_forecast):
    st = weekly_forecast.status
    h = history_display(st.cone)
    assert list(h.frame.index) == ["plan"] + [f"2025-W{w:02d}" for w in range(6, 12)]
    assert list(h.frame.columns)[:3] == ["as of week", "P50", "P80"] and "P(≤ 16)" in h.frame
    w = what_changed_display(st.what_changed)
    assert list(w.frame["what"])[-2:] == ["a week passes", "calibration"]
    assert sum(float(x) for x in w.frame["P80 effect (weeks)"]) == pytest.approx(
        st.what_changed["p80_effect_weeks"].sum(), abs=0.01
    )
    e = earned_value_display(st.earned_value, "$")
    assert list(e.frame.columns) == [
        "as of week",
        "planned h",
        "earned h",
        "actual h",
        "planned cost",
        "earned cost",
        "actual cost",
        "SPI",
        "CPI",
    ]
    ev = st.earned_value.iloc[-1]
    assert f"**SPI {ev['spi']:.2f}**" in earned_value_sentences(st).text
    fever = fever_sentences(st, chain_buffer(st.plan)).text
    assert f"Zone **{st.fever['zone'].iloc[-1]}**" in fever and "2.7 weeks" in fever
