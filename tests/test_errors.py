"""`ForecastInputError` formatting and the did-you-mean hint."""

from lekhok_forecast.errors import ForecastInputError, did_you_mean


def test_full_location_is_file_line_field_message():
    e = ForecastInputError("must be >= mode (4), got 2", file="plan.yaml", line=41, field="tasks[3].effort.high")
    assert str(e) == "plan.yaml:41: tasks[3].effort.high: must be >= mode (4), got 2"
    assert (e.file, e.line, e.field) == ("plan.yaml", 41, "tasks[3].effort.high")


def test_partial_locations():
    assert str(ForecastInputError("file not found", file="x.yaml")) == "x.yaml: file not found"
    assert str(ForecastInputError("bad", field="seed")) == "seed: bad"
    assert str(ForecastInputError("bad")) == "bad"


def test_message_is_always_one_line():
    e = ForecastInputError("first line\nsecond   line\n\tthird", file="p.yaml", line=3)
    assert "\n" not in str(e)
    assert str(e) == "p.yaml:3: first line second line third"


def test_is_a_value_error():
    assert isinstance(ForecastInputError("x"), ValueError)


def test_did_you_mean_suggests_closest():
    assert did_you_mean("efort", ["id", "effort", "duration"]) == " (did you mean 'effort'?)"
    assert did_you_mean("deadline", ["deadlines", "budget"]) == " (did you mean 'deadlines'?)"


def test_did_you_mean_is_silent_when_nothing_is_close():
    assert did_you_mean("zzzz", ["effort", "duration"]) == ""
    assert did_you_mean("x", []) == ""
