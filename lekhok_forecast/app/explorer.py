"""The interactive scenario explorer (ipywidgets) of the scenarios notebook.

Controls: team hours a week (a range), buffer %, the DevOps consultant on/off and scope
toggles. Every change builds scenario overlays (`lekhok_forecast.sources.scenario_file`) for the
settings, re-simulates the plan from where the project stands (a
`lekhok_forecast.app.scenarios.Standing`: the week's actuals and calibration, or the plan's
start) and redraws a comparison with the unchanged plan from the same standing.

The settings-to-overlays step (`settings_scenarios`) and one update without widgets
(`ExplorerModel.evaluate`) are plain functions, so they are tested and timed without a
browser; `ScenarioExplorer` only wires them to widgets.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lekhok_forecast.analysis.compare import scenario_table
from lekhok_forecast.analysis.schedule import cdf_curve, cdf_median
from lekhok_forecast.analysis.solve import Solution
from lekhok_forecast.app.scenarios import SOLVE_TRIALS, Standing, capacity_answers
from lekhok_forecast.config import SCENARIOS_DIR, resolve_path
from lekhok_forecast.core.engine import SimulationResult
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.present.display import HtmlTable
from lekhok_forecast.present.plots import scenario_cdfs
from lekhok_forecast.present.scenario_text import scenario_display
from lekhok_forecast.present.solve_text import solve_sentence
from lekhok_forecast.sources.scenario_file import (
    Scenario,
    load_scenario,
    plan_with_scenarios,
    scenario_from_dict,
)
from lekhok_forecast.sources.yamlsource import load_yaml

#: The consultant overlay the checkbox switches on.
CONSULTANT_SCENARIO = SCENARIOS_DIR / "devops_consultant.yaml"
#: Scope toggles: label -> scenario file, or the task ids that leave scope when unticked.
DEFAULT_SCOPE = {
    "Usage tracking at launch": SCENARIOS_DIR / "defer_usage_tracking.yaml",
    "Redis caching at launch": ("redis_caching",),
    "Load balancer at launch": ("load_balancing",),
}


@dataclass(frozen=True)
class Settings:
    """One position of the explorer's controls.

    Attributes
    ----------
    team_hours : tuple of (low, high)
        Team capacity range in hours per week (low == high: a fixed number).
    buffer : float
        Planned buffer as a fraction of the baseline.
    consultant : bool
    deferred : tuple of str
        Labels of the scope toggles that are off (their work moves past launch).
    """

    team_hours: tuple[float, float]
    buffer: float
    consultant: bool = False
    deferred: tuple[str, ...] = ()


def _scope_scenario(label: str, what) -> Scenario:
    if isinstance(what, (str, Path)):
        return load_scenario(what)
    return scenario_from_dict({"name": label, "remove": {"tasks": list(what)}}, f"<scope: {label}>")


def settings_scenarios(
    settings: Settings, scope: dict | None = None, consultant: str | Path = CONSULTANT_SCENARIO
) -> list[Scenario]:
    """The overlays that turn the plan into `settings`, in the order they are applied.

    The consultant comes first (it reassigns tasks that scope toggles may then remove),
    then the deferred scope, then hours and buffer.
    """
    scope = DEFAULT_SCOPE if scope is None else scope
    out = []
    if settings.consultant:
        out.append(load_scenario(consultant))
    for label in settings.deferred:
        out.append(_scope_scenario(label, scope[label]))
    low, high = (float(x) for x in settings.team_hours)
    hours = low if low == high else {"low": low, "high": high}
    out.append(
        scenario_from_dict(
            {"name": "explorer settings", "set": {"team_hours_per_week": hours, "buffer": float(settings.buffer)}},
            "<explorer settings>",
        )
    )
    return out


@dataclass
class ExplorerModel:
    """The plan parsed once, the unchanged plan simulated once, and one update per setting.

    Parameters
    ----------
    plan_path : str or Path
        Plan YAML (relative paths from the project root).
    trials, seed : int
        Trials per update (10,000 keeps an update well under a second) and the seed.
    standing : Standing
        Where the project stands (`lekhok_forecast.app.scenarios.standing_of` of the
        week's status); every setting is simulated from it. Default: the plan's start.
    """

    plan_path: str | Path
    trials: int = 10_000
    seed: int = 1
    scope: dict = field(default_factory=lambda: dict(DEFAULT_SCOPE))
    consultant: str | Path = CONSULTANT_SCENARIO
    standing: Standing = field(default_factory=Standing)

    def __post_init__(self):
        self.source = load_yaml(resolve_path(self.plan_path))
        self.plan = plan_with_scenarios(self.source, [])
        self.baseline = self.standing.simulate(self.plan, self.trials, self.seed)
        self._answers: tuple[Solution, ...] | None = None
        # Offer only the controls that apply to this plan.
        self.available_scope = {}
        for label, what in self.scope.items():
            try:
                plan_with_scenarios(self.source, [_scope_scenario(label, what)])
            except ForecastInputError:
                continue
            self.available_scope[label] = what
        try:
            plan_with_scenarios(self.source, [load_scenario(self.consultant)])
            self.consultant_available = True
        except ForecastInputError:
            self.consultant_available = False

    def default_settings(self) -> Settings:
        """The controls' starting position: the plan as written."""
        team = self.plan.team_hours_per_week
        hours = (team.low, team.high) if team is not None else (0.0, 0.0)
        return Settings(hours, self.plan.buffer)

    @property
    def answers(self) -> tuple[Solution, ...]:
        """What would it take for the unchanged plan, from the standing (solved once, on first use)."""
        if self._answers is None:
            self._answers = capacity_answers(self.baseline, min(self.trials, SOLVE_TRIALS), self.seed)
        return self._answers

    @property
    def baseline_label(self) -> str:
        """Label of the unchanged plan (``Plan as written`` or ``Plan now (2025-W11)``)."""
        return self.standing.label

    def evaluate(self, settings: Settings) -> tuple[SimulationResult, pd.DataFrame, float]:
        """Simulate `settings` from the standing; return the result, a comparison with the
        unchanged plan, seconds taken.

        Raises
        ------
        ForecastInputError
            If the settings make an invalid plan (the message says which control).
        """
        t0 = time.perf_counter()
        plan = plan_with_scenarios(self.source, settings_scenarios(settings, self.available_scope, self.consultant))
        result = self.standing.simulate(plan, self.trials, self.seed)
        table = scenario_table({self.baseline_label: self.baseline, "Your settings": result})
        return result, table, time.perf_counter() - t0


class ScenarioExplorer:
    """ipywidgets controls and live output over an `ExplorerModel`.

    Display it (last expression of a cell) in JupyterLab; moving a control re-simulates
    (sliders update when released). The line under the chart says how long the update took.
    """

    def __init__(self, plan_path: str | Path, trials: int = 10_000, seed: int = 1, standing: Standing | None = None):
        import ipywidgets as w

        self.model = ExplorerModel(plan_path, trials, seed, standing=standing or Standing())
        start = self.model.default_settings()
        style = {"description_width": "150px"}
        layout = w.Layout(width="480px")
        self.hours = w.IntRangeSlider(
            value=(int(start.team_hours[0]), int(start.team_hours[1])),
            min=5,
            max=60,
            step=1,
            description="Team hours / week",
            continuous_update=False,
            style=style,
            layout=layout,
            disabled=self.model.plan.team_hours_per_week is None,
        )
        self.buffer = w.IntSlider(
            value=round(100 * start.buffer),
            min=0,
            max=100,
            step=5,
            description="Buffer (%)",
            continuous_update=False,
            style=style,
            layout=layout,
        )
        self.consultant = w.Checkbox(
            value=False,
            description="Hire the DevOps consultant",
            disabled=not self.model.consultant_available,
            indent=False,
        )
        self.scope = {
            label: w.Checkbox(value=True, description=label, indent=False) for label in self.model.available_scope
        }
        self.status = w.HTML()
        # one small line: the solver's answer for the plan's latest deadline, from the standing
        last = self.model.answers[-1:] if self.model.answers else ()
        self.answer = w.HTML("".join(f"<i>What would it take: {html.escape(solve_sentence(a))}</i>" for a in last))
        self.table = w.HTML()
        self.chart = w.Output()
        for control in (self.hours, self.buffer, self.consultant, *self.scope.values()):
            control.observe(self.update, names="value")
        scope_box = w.VBox([w.HTML("<b>In scope at launch</b>"), *self.scope.values()])
        # a control that does not apply to this plan (no consultant overlay) is left out
        shown = [self.hours, self.buffer] + ([self.consultant] if self.model.consultant_available else [])
        controls = w.HBox([w.VBox(shown), scope_box])
        self.widget = w.VBox([controls, self.answer, self.status, w.HBox([self.table, self.chart])])
        self.last_seconds: float | None = None
        self.update()

    def settings(self) -> Settings:
        """The current position of the controls."""
        return Settings(
            (float(self.hours.value[0]), float(self.hours.value[1])),
            self.buffer.value / 100,
            self.consultant.value,
            tuple(label for label, box in self.scope.items() if not box.value),
        )

    def update(self, change=None) -> None:
        """Re-simulate for the current controls and redraw (called on every change)."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        t0 = time.perf_counter()
        try:
            result, table, _ = self.model.evaluate(self.settings())
        except ForecastInputError as exc:
            self.status.value = f"<span style='color:#b3261e'>These settings make an invalid plan: {exc}</span>"
            return
        shown = scenario_display(table, self.model.plan.currency).frame.T
        self.table.value = HtmlTable(shown)._repr_html_()
        with self.chart:
            self.chart.clear_output(wait=True)
            cdfs = {self.model.baseline_label: cdf_curve(self.model.baseline), "Your settings": cdf_curve(result)}
            fig, _ = scenario_cdfs(
                cdfs,
                medians={name: cdf_median(cdf) for name, cdf in cdfs.items()},
                deadlines=self.model.plan.deadlines,
                title=None,
            )
            fig.set_size_inches(5.2, 3.4)
            display(fig)
            plt.close(fig)
        self.last_seconds = time.perf_counter() - t0
        self.status.value = (
            f"<i>Updated in {self.last_seconds:.2f} s ({self.model.trials:,} trials, seed {self.model.seed}).</i>"
        )

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
