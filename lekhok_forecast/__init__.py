"""lekhok-forecast: Monte Carlo schedule, cost and buffer forecasting from a plan file."""

__version__ = "0.1.0"
