"""Safe YAML reading with the line of every field."""

import datetime as dt

import pytest

from lekhok_forecast.errors import ForecastInputError
from lekhok_forecast.sources.yamlsource import is_date, load_yaml, parse_yaml, read_text

DOC = """\
name: demo
tasks:
  - id: a
    effort:
      low: 1
      high: 2
  - {id: b, duration: 3}
"""


def test_lines_of_nested_fields():
    src = parse_yaml(DOC, "p.yaml")
    assert src.data["tasks"][1] == {"id": "b", "duration": 3}
    assert src.lines["name"] == 1
    assert src.lines["tasks"] == 2
    assert src.lines["tasks[0]"] == 3
    assert src.lines["tasks[0].effort"] == 4
    assert src.lines["tasks[0].effort.high"] == 6
    assert src.lines["tasks[1].duration"] == 7


def test_line_falls_back_to_enclosing_field():
    src = parse_yaml(DOC, "p.yaml")
    assert src.line("tasks[0].effort.mode") == 4  # missing key: its mapping's line
    assert src.line("tasks[1].after[0]") == 7
    assert src.line("nothing.here") == 1  # the document itself


def test_error_carries_file_line_field():
    src = parse_yaml(DOC, "p.yaml")
    e = src.error("tasks[0].effort.high", "must be >= 3")
    assert str(e) == "p.yaml:6: tasks[0].effort.high: must be >= 3"


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("name: x\ntasks: [a, b\n", 3, "YAML syntax error"),
        ("name: x\ntasks: [a, b\nrisks: []\n", 3, "the list '[' opened on line 2 is not closed: add ']'"),
        ("name: 'x\ntasks: []\n", 3, "the quoted text opened on line 1 is not closed: add its closing quote"),
        ("name: x\n  bad: : indent\n", 2, "YAML syntax error"),
        ("name: x\n\ttasks: []\n", 2, "YAML syntax error"),
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("? [1, 2]\n: x\n", 1, "keys must be text"),
        ("name: !!python/object:os.system x\n", 1, "YAML error"),
        ("start: 2025-02-30\n", 1, "invalid value '2025-02-30'"),
    ],
)
def test_bad_yaml_is_one_located_error(text, line, words):
    with pytest.raises(ForecastInputError) as info:
        parse_yaml(text, "p.yaml")
    msg = str(info.value)
    assert msg.startswith(f"p.yaml:{line}: "), msg
    assert words in msg
    assert "\n" not in msg


PLAIN = {
    "indented less": (
        "name: x\ntasks:\n  - id: a\n    name: b\n   effort: 3\n",
        "p.yaml:5: YAML syntax error: this line does not line up with the block started on line 3: the keys of"
        " one mapping, and the '- ' items of one list, must start in the same column (indent with spaces)",
    ),
    "key after a list item": (  # PyYAML: "expected <block end>, but found '?'"
        "name: x\ntasks:\n  - id: a\n  name: b\n",
        "p.yaml:4: YAML syntax error: this line does not line up with the block started on line 3: the keys of"
        " one mapping, and the '- ' items of one list, must start in the same column (indent with spaces)",
    ),
    "indented more": (
        "name: x\nunits: days\n  start: 2025-02-03\n",
        "p.yaml:3: YAML syntax error: unexpected ':' on this line: it is indented deeper than the key above it"
        " (line up the keys of one mapping), or a value contains ': ' (put that value in quotes)",
    ),
    "tab": (
        "name: x\ntasks:\n\t- id: a\n",
        "p.yaml:3: YAML syntax error: a tab character: YAML indents with spaces only; replace the tab with spaces",
    ),
    "no colon": (
        "name: x\nunits\nstart: 2025-01-01\n",
        "p.yaml:2: YAML syntax error: this line is neither 'key: value' nor a '- ' list item;"
        " add the ':' after the key",
    ),
    "unclosed brace": (
        "name: x\neffort: {low: 1, high: 2\nunits: days\n",
        "p.yaml:3: YAML syntax error: the mapping '{' opened on line 2 is not closed: add '}'"
        " (or the ',' between two items)",
    ),
}


@pytest.mark.parametrize("case", PLAIN)
def test_yaml_structure_errors_in_plain_words(case):
    text, message = PLAIN[case]
    with pytest.raises(ForecastInputError) as info:
        parse_yaml(text, "p.yaml")
    assert str(info.value) == message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_document(text):
    with pytest.raises(ForecastInputError, match="file is empty"):
        parse_yaml(text, "p.yaml")


def test_dates_are_dates_and_datetimes_are_not():
    src = parse_yaml("a: 2025-02-03\nb: 2025-02-03 10:00:00\n", "p.yaml")
    assert is_date(src.data["a"]) and src.data["a"] == dt.date(2025, 2, 3)
    assert not is_date(src.data["b"])
    assert not is_date("2025-02-03")


def test_read_text_errors(tmp_path):
    with pytest.raises(ForecastInputError, match="file not found") as info:
        read_text(tmp_path / "missing.yaml")
    assert str(info.value).startswith(str(tmp_path / "missing.yaml"))
    with pytest.raises(ForecastInputError, match="is a directory"):
        read_text(tmp_path)
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"name: ok\nnote: caf\xe9\n")
    with pytest.raises(ForecastInputError) as info:
        read_text(bad)
    assert str(info.value) == f"{bad}:2: not valid UTF-8 (byte 0xe9 at offset 18)"


def test_load_yaml_round_trip(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(DOC, encoding="utf-8")
    src = load_yaml(p)
    assert src.path == str(p) and src.data["name"] == "demo"


def test_nested_aliases_are_refused_quickly():
    """A "billion laughs" document is an error, not an exponential expansion."""
    rows = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdef", "bcdefg"):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(ForecastInputError, match="aliases"):
        parse_yaml("\n".join(rows), "laughs.yaml")


def test_scalar_alias_is_fine():
    src = parse_yaml("a: &x 3\nb: *x\n", "ok.yaml")
    assert src.data == {"a": 3, "b": 3}


def test_libyaml_and_pure_python_give_the_same_source():
    """The fast composer keeps every field's line: both loaders give the same data and lines."""
    import yaml

    from lekhok_forecast.config import DEFAULT_PLAN, SCENARIOS_DIR
    from lekhok_forecast.sources import yamlsource

    if yamlsource.FAST_LOADER is yaml.SafeLoader:
        pytest.skip("PyYAML here was built without libyaml")
    for path in [DEFAULT_PLAN, *sorted(SCENARIOS_DIR.glob("*.yaml"))]:
        text = path.read_text(encoding="utf-8")
        fast = yamlsource._parse(text, path.name, yamlsource.FAST_LOADER)
        slow = yamlsource._parse(text, path.name, yaml.SafeLoader)
        assert fast.data == slow.data and fast.lines == slow.lines, path.name
