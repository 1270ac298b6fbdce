"""The buffer fever chart of critical-chain buffer management.

Fever chart (`fever_point`, `fever_table`)
    Critical-chain buffer management. The chain is the plan's modal critical chain
    (`modal.critical_chain`), its length L weeks. The project buffer is the plan's
    ``buffer`` fraction of L (the report's "add 20% to all estimates"); with no buffer in
    the plan, the RSEM buffer. With neither (no ``buffer``, fixed estimates) there is no
    fever chart: `fever_table` has no rows and the report says why. As of week N:

    * chain complete = the chain's baseline duration already done (in-progress tasks by
      their share complete) / L;
    * buffer consumed = (projected finish - L) / buffer, where the projected finish is the
      modal schedule of the re-forecast plan (done tasks at their actual dates, tasks in
      progress with their remaining most likely effort, nothing before week N).

    Zones: green below the line from (0 %, 10 %) to (100 %, 70 %) of buffer consumed, red
    above the line from (0 %, 30 %) to (100 %, 90 %), yellow between (`ZONE_LINES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from lekhok_forecast.core.actuals import WeeklyActuals, no_actuals
from lekhok_forecast.core.modal import critical_chain, deterministic_schedule, rsem_buffer_weeks
from lekhok_forecast.core.plan import Plan, week_label
from lekhok_forecast.tracking.earned_value import share_complete
from lekhok_forecast.tracking.reforecast import reforecast_plan

#: Fever-chart zone boundaries: (buffer consumed at 0 % chain complete, at 100 %).
ZONE_LINES = {"green_yellow": (0.10, 0.70), "yellow_red": (0.30, 0.90)}


def fever_zone(chain_complete: float, buffer_consumed: float, lines: dict | None = None) -> str:
    """``green``, ``yellow`` or ``red`` for a point of the fever chart (fractions, not %)."""
    lines = ZONE_LINES if lines is None else lines
    x = min(max(float(chain_complete), 0.0), 1.0)
    (g0, g1), (r0, r1) = lines["green_yellow"], lines["yellow_red"]
    if buffer_consumed >= r0 + (r1 - r0) * x:
        return "red"
    if buffer_consumed >= g0 + (g1 - g0) * x:
        return "yellow"
    return "green"


@dataclass(frozen=True)
class ChainBuffer:
    """The critical chain and project buffer the fever chart is measured against."""

    chain: tuple[str, ...]
    chain_weeks: float
    buffer_weeks: float
    durations: dict  # chain task -> baseline duration (weeks)

    @property
    def buffered_end_week(self) -> float:
        return self.chain_weeks + self.buffer_weeks

    @property
    def has_buffer(self) -> bool:
        """False when the buffer is 0 weeks (no ``buffer`` and fixed estimates): no fever chart."""
        return self.buffer_weeks > 0


def chain_buffer(plan: Plan, buffer_weeks: float | None = None) -> ChainBuffer:
    """The plan's modal critical chain and its project buffer (see the module docstring).

    A plan with no ``buffer`` whose chain estimates are fixed has an RSEM buffer of 0 weeks:
    the result then has ``has_buffer`` False, and `fever_table` has no points.
    """
    chain, length = critical_chain(plan)
    start, finish = deterministic_schedule(plan, "mode")
    index = plan.task_index()
    durations = {tid: float(finish[index[tid]] - start[index[tid]]) for tid in chain}
    if buffer_weeks is None:
        buffer_weeks = plan.buffer * length if plan.buffer > 0 else rsem_buffer_weeks(plan)[0]
    return ChainBuffer(chain, float(length), float(buffer_weeks), durations)


@dataclass(frozen=True)
class FeverPoint:
    """One week on the fever chart (fractions: 0.5 = 50 %)."""

    week: str | None
    as_of_week: float
    chain_complete: float
    buffer_consumed: float
    zone: str
    projected_finish_week: float
    buffer_weeks: float

    def __str__(self) -> str:
        return (
            f"week {week_label(self.as_of_week)}: chain {self.chain_complete:.0%} complete,"
            f" buffer {self.buffer_consumed:.0%} consumed ({self.zone})"
        )


def fever_point(plan: Plan, actuals: WeeklyActuals, buffer: ChainBuffer | None = None) -> FeverPoint:
    """Chain complete and buffer consumed as of `actuals` (see the module docstring)."""
    cb = chain_buffer(plan) if buffer is None else buffer
    if not cb.has_buffer:
        raise ValueError("the project buffer is 0 weeks (no buffer, fixed estimates): no fever point to place")
    rows = actuals.by_task()
    done_weeks = 0.0
    for tid, dur in cb.durations.items():
        a = rows.get(tid)
        if a is not None:
            done_weeks += dur * share_complete(plan, a, actuals.as_of_week)
    total = sum(cb.durations.values())
    complete = done_weeks / total if total > 0 else 0.0
    rplan, as_of = reforecast_plan(plan, actuals)
    _, finish = deterministic_schedule(rplan, "mode", as_of)
    projected = float(finish.max())
    consumed = (projected - cb.chain_weeks) / cb.buffer_weeks
    return FeverPoint(
        actuals.week,
        float(actuals.as_of_week),
        complete,
        consumed,
        fever_zone(complete, consumed),
        projected,
        cb.buffer_weeks,
    )


def fever_table(
    plan: Plan, weeks: Sequence[WeeklyActuals], *, include_start: bool = True, buffer_weeks: float | None = None
) -> pd.DataFrame:
    """Fever chart points: the plan at week 0 (optional) and one per reported week.

    Columns: ``week, as_of_week, chain_complete, buffer_consumed, zone,
    projected_finish_week, buffer_weeks`` (fractions, not %). No rows when the project
    buffer is 0 weeks (`ChainBuffer.has_buffer` False): there is nothing to consume.
    """
    cb = chain_buffer(plan, buffer_weeks)
    cols = ["week", "as_of_week", "chain_complete", "buffer_consumed", "zone", "projected_finish_week", "buffer_weeks"]
    if not cb.has_buffer:
        return pd.DataFrame(columns=cols)
    points = []
    if include_start:
        p = fever_point(plan, no_actuals(), cb)
        points.append(dict(p.__dict__, week="plan"))
    for a in weeks:
        points.append(dict(fever_point(plan, a, cb).__dict__))
    return pd.DataFrame(points, columns=cols)
