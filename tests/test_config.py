"""Project paths: resolved from the project root, shown without this machine's paths."""

from __future__ import annotations

from lekhok_forecast.config import DEFAULT_PLAN, display_path, resolve_path


def test_paths_resolve_from_the_project_root_and_display_relative():
    assert resolve_path("data/plans/lekhok_deployment.yaml") == DEFAULT_PLAN
    assert display_path(DEFAULT_PLAN) == "data/plans/lekhok_deployment.yaml"
    assert display_path("/somewhere/else/plan.yaml") == "plan.yaml"  # never this machine's path
