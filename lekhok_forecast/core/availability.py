"""Weeks in which a workstream does not work: effort pauses there and resumes after.

A workstream's ``unavailable`` weeks are plan week numbers: week 5 is the fifth week,
plan weeks 4.0 to 5.0. Its effort tasks pause during those weeks, so a task needing
``d`` weeks of the workstream's capacity that starts at ``s`` finishes at the point where
``d`` weeks of *available* time have passed since ``s``. One function serves the engine
(float32 arrays of trials) and the modal schedule (floats).
"""

from __future__ import annotations

import numpy as np


def gaps(weeks: tuple[int, ...]) -> tuple[tuple[float, float], ...]:
    """Unavailable week numbers as sorted, merged intervals ``(from, to)`` in plan weeks.

    ``(5, 6, 9)`` -> ``((4.0, 6.0), (8.0, 9.0))``.
    """
    out: list[list[float]] = []
    for w in sorted(set(weeks)):
        if out and out[-1][1] == w - 1:
            out[-1][1] = float(w)
        else:
            out.append([float(w - 1), float(w)])
    return tuple((a, b) for a, b in out)


def finish_after(start: np.ndarray, work: np.ndarray, intervals: tuple[tuple[float, float], ...]) -> np.ndarray:
    """The week at which `work` weeks of available time, begun at `start`, are done.

    Parameters
    ----------
    start, work : ndarray
        Start weeks and the weeks of work at full capacity (effort hours / hours per week),
        one per trial (float32 in the engine, float64 in the modal schedule).
    intervals : tuple of (from, to)
        Unavailable intervals from `gaps` (sorted, disjoint).

    Returns
    -------
    ndarray
        ``start + work`` plus every unavailable interval the work runs into; never before `start`.
    """
    start_a = np.asarray(start)
    dtype = np.result_type(start_a, np.asarray(work))
    # available time from week 0 to `start`, then the work's end on that time scale
    target = start_a.astype(dtype, copy=True)
    for a, b in intervals:
        target -= np.clip(start_a - a, 0.0, b - a).astype(dtype)
    target += work
    finish = target.copy()
    passed = 0.0  # unavailable time before the interval a..b
    for a, b in intervals:
        # the work runs into this interval when it is not done by the interval's start
        finish += np.where(target > a - passed, b - a, 0.0).astype(dtype)
        passed += b - a
    return np.maximum(finish, start_a)
