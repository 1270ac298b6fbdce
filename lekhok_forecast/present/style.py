"""The one palette and figure style of the notebooks, the weekly PDF and the HTML tables.

Every figure and table takes its colours from here, so the same thing has the same colour
everywhere. Where a shade differs on purpose it is a named variant beside its base colour
(e.g. `COLORS["amber_text"]`: amber dark enough to read as text on white).
"""

from __future__ import annotations

#: Printable width of an A4 page with the report's margins, in inches.
FULL_WIDTH = 7.2
#: Default figure height, in inches.
HEIGHT = 3.1

COLORS = {
    "main": "#2f6690",  # simulated distribution
    "light": "#9ac1e0",
    "p50": "#1b7f3b",
    "p80": "#c2571a",
    "deadline": "#555555",
    "budget": "#b3261e",
    "plan": "#6c4f9c",  # planned buffer / plan values
    "positive": "#c2571a",  # makes the finish later
    "negative": "#2f6690",  # makes the finish earlier
    "capacity": "#7a9a01",
    "risk": "#7b3294",  # a risk's row among the drivers
    "factor": "#8c6d31",  # a common factor's row among the drivers
    "reference": "#9aa7b4",  # the first scenario's pale band under the others
    "ink": "#222222",  # target marks, annotations
    "green": "#2e9d4b",
    "amber": "#e8a317",  # bars and markers
    "amber_text": "#9a6a00",  # amber tick labels: readable on white
    "red": "#c62828",
    # the weekly tracking charts (forecast cone, fever chart)
    "cone": "#1f5f8b",  # the cone's band and P50
    "cone_p80": "#b35806",
}
#: Colours for scenario lines, in order.
SERIES = ("#2f6690", "#c2571a", "#1b7f3b", "#6c4f9c", "#b3261e", "#7a9a01", "#8c6d31", "#3a3a3a")

#: Traffic-light dots of the HTML tables (milestone status). Amber is darker than the
#: figures' so that the dot reads as text.
STATUS_COLORS = {"green": COLORS["green"], "amber": "#c98a00", "red": COLORS["red"]}
#: Fallback for a status without a colour.
UNKNOWN_STATUS_COLOR = "#777777"

#: Zones of the buffer fever chart (filled areas, points and their labels).
ZONE_COLORS = {"green": "#2e7d32", "yellow": "#f9a825", "red": COLORS["red"]}
#: The fever chart's "yellow" zone label: readable on the yellow fill.
ZONE_YELLOW_TEXT = "#8d6e00"

STYLE = {
    "figure.figsize": (FULL_WIDTH, HEIGHT),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.7,
    "axes.axisbelow": True,
    "font.family": "DejaVu Sans",
    "svg.hashsalt": "lekhok",
}
