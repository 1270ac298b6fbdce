"""The forecast bundle: values come back bit for bit, foreign classes are refused on both sides."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lekhok_forecast.config import DEFAULT_PLAN
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.bundle_file import STRUCTURE_FILE, BundleError, read_bundle, write_bundle
from lekhok_forecast.sources.plan_file import load_plan


def _roundtrip(tmp_path: Path, value, name: str = "x"):
    write_bundle(tmp_path / "b", {name: value})
    return read_bundle(tmp_path / "b", name)[name]


def _same_arrays(a, b) -> None:
    """Every array field of two dataclass instances is identical: dtype, shape and bytes."""
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), f.name
        else:
            assert type(x) is type(y), f.name


def test_simulation_result_comes_back_bit_for_bit(tmp_path):
    result = simulate(load_plan(DEFAULT_PLAN), 2_000, 3)
    back = _roundtrip(tmp_path, result)
    _same_arrays(result, back)
    assert back.plan == result.plan  # frozen dataclasses with tuples, enums and dates
    assert str(back) == str(result)


def test_a_str_enum_comes_back_as_its_member(tmp_path):
    """`core.actuals.Status` is a str enum: it must come back as the member, not as text
    (page one counts done tasks with ``status is Status.DONE``)."""
    from lekhok_forecast.core.actuals import Status, TaskActual, WeeklyActuals

    actuals = WeeklyActuals(1.0, (TaskActual("a", Status.DONE, 3.0, 0.0, 1.0),))
    back = _roundtrip(tmp_path, actuals)
    assert back.tasks[0].status is Status.DONE and back.count(Status.DONE) == 1
    assert back == actuals


def test_shared_objects_stay_shared(tmp_path):
    plan = load_plan(DEFAULT_PLAN)
    a, b = simulate(plan, 500, 1), simulate(plan, 500, 2)
    back = _roundtrip(tmp_path, {"a": a, "b": b, "plan": plan})
    assert back["a"].plan is back["b"].plan is back["plan"]


def test_a_result_in_two_parts_is_stored_once_and_read_back_in_each(tmp_path):
    """The week's forecast is in the weekly and the scenarios parts: its arrays are written once."""
    plan = load_plan(DEFAULT_PLAN)
    shared, other = simulate(plan, 500, 1), simulate(plan, 500, 2)
    write_bundle(tmp_path, {"weekly": shared, "scenarios": {"now": shared, "other": other}})
    with zipfile.ZipFile(tmp_path / "arrays.npz") as z:
        stored = sum(i.file_size for i in z.infolist())
    once = sum(v.nbytes for v in vars(shared).values() if isinstance(v, np.ndarray))
    assert stored < 2.05 * once  # `shared` and `other`, not `shared` twice
    back = read_bundle(tmp_path)
    _same_arrays(shared, back["weekly"])
    _same_arrays(shared, back["scenarios"]["now"])
    _same_arrays(other, back["scenarios"]["other"])
    alone = read_bundle(tmp_path, "scenarios")["scenarios"]
    _same_arrays(shared, alone["now"])


def test_a_later_piece_adds_parts_the_reader_finds(tmp_path):
    """The report writes the scenarios as a second piece while the first notebooks run."""
    plan = load_plan(DEFAULT_PLAN)
    first, later = simulate(plan, 500, 1), simulate(plan, 500, 2)
    write_bundle(tmp_path, {"weekly": first, "plan": plan})
    with pytest.raises(BundleError, match="no part 'scenarios'"):
        read_bundle(tmp_path, "scenarios")
    write_bundle(tmp_path, {"scenarios": {"now": later}}, piece="scenarios")
    assert (tmp_path / "bundle.scenarios.json").exists() and (tmp_path / "arrays.scenarios.npz").exists()
    _same_arrays(later, read_bundle(tmp_path, "scenarios")["scenarios"]["now"])
    both = read_bundle(tmp_path, "weekly", "scenarios")
    _same_arrays(first, both["weekly"])
    _same_arrays(later, both["scenarios"]["now"])
    assert list(read_bundle(tmp_path)) == ["weekly", "plan", "scenarios"]


def test_frames_keep_dtypes_index_and_values(tmp_path):
    df = pd.DataFrame(
        {
            "task": pd.Series(["a", "b", None], dtype=object),
            "name": ["x", "y", "z"],
            "p80": [1.5, math.nan, -0.0],
            "n": np.array([1, 2, 3], dtype=np.int32),
            "ok": [True, False, True],
            "when": [dt.date(2025, 1, 6), None, dt.date(2025, 2, 3)],
        },
        index=pd.Index(["r1", "r2", "r3"], name="row"),
    )
    df.attrs["note"] = "kept"
    back = _roundtrip(tmp_path, df)
    pd.testing.assert_frame_equal(back, df)
    assert list(back.dtypes.astype(str)) == list(df.dtypes.astype(str))
    assert math.copysign(1, back["p80"].iloc[2]) == -1 and back.attrs == {"note": "kept"}
    empty = pd.DataFrame(columns=["week", "p80"])
    pd.testing.assert_frame_equal(_roundtrip(tmp_path, empty), empty)
    s = pd.Series([0.25, 0.5], index=["capacity", "risk"], name="sensitivity")
    pd.testing.assert_series_equal(_roundtrip(tmp_path, s), s)


plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.dates().map(lambda d: d),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(plain)
def test_plain_values_round_trip(tmp_path_factory, value):
    folder = tmp_path_factory.mktemp("b")
    write_bundle(folder, {"v": value})
    assert read_bundle(folder, "v")["v"] == value


def test_numpy_scalars_keep_their_type(tmp_path):
    back = _roundtrip(tmp_path, (np.float64(0.1), np.int64(7), np.bool_(True)))
    assert [type(x) for x in back] == [np.float64, np.int64, np.bool_] and back[0] == 0.1


def test_foreign_classes_are_refused_when_writing(tmp_path):
    class Local:
        pass

    with pytest.raises(BundleError, match=r"x\[1\]: cannot store a .*Local"):
        write_bundle(tmp_path / "b", {"x": [1, Local()]})
    with pytest.raises(BundleError, match="not a class of lekhok_forecast"):
        write_bundle(tmp_path / "b", {"x": dataclasses.make_dataclass("D", ["a"])(1)})


def test_the_reader_builds_only_this_packages_classes(tmp_path):
    write_bundle(tmp_path / "b", {"x": ForecastInputError.__name__})
    path = tmp_path / "b" / STRUCTURE_FILE
    data = json.loads(path.read_text())
    for forged in ("os:system", "subprocess:Popen", "lekhok_forecast.errors:ForecastInputError"):
        data["parts"]["x"] = {"$id": 0, "$dc": forged, "f": {}}
        path.write_text(json.dumps(data))
        with pytest.raises(BundleError):
            read_bundle(tmp_path / "b", "x")


def test_missing_parts_and_folders_are_named(tmp_path):
    write_bundle(tmp_path / "b", {"plan": 1})
    with pytest.raises(BundleError, match="no part 'weekly' in the bundle \\(has plan\\)"):
        read_bundle(tmp_path / "b", "weekly")
    with pytest.raises(BundleError, match="not a readable forecast bundle"):
        read_bundle(tmp_path / "nothing")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["arrays.npz", "bundle.json"]  # no temp files


def test_dates_and_paths(tmp_path):
    value = {"start": dt.date(2025, 2, 3), "at": dt.datetime(2025, 2, 3, 9, 30), "file": Path("data/x.csv")}
    assert _roundtrip(tmp_path, value) == value
