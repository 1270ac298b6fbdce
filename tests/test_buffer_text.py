"""The buffers notebook's tables: columns a plan has no data for are left out."""

from __future__ import annotations

from lekhok_forecast.config import DATA_DIR, DEFAULT_PLAN
from lekhok_forecast.core import modal
from lekhok_forecast.present.buffer_text import chain_display
from lekhok_forecast.sources.plan_file import load_plan


def test_chain_table_has_a_phase_column_only_for_a_plan_with_phases():
    with_phases = load_plan(DEFAULT_PLAN)
    without = load_plan(DATA_DIR / "examples/office_move/plan.yaml")
    assert with_phases.phases and not without.phases
    table = chain_display(with_phases, modal.critical_chain(with_phases)[0]).frame
    assert list(table.columns) == ["task", "workstream", "phase"]
    assert all(table["phase"] != "")
    table = chain_display(without, modal.critical_chain(without)[0]).frame
    assert list(table.columns) == ["task", "workstream"]
    assert len(table) > 0
