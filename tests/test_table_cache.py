"""Quantile tables kept between processes: same numbers, bounded, robust to bad files and to other writers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np

from lekhok_forecast.config import DEFAULT_PLAN
from lekhok_forecast.core.distributions import TABLE_SIZE, quantile_table
from lekhok_forecast.core.engine import simulate
from lekhok_forecast.core.engine.model import shape_keys
from lekhok_forecast.sources.plan_file import load_plan
from lekhok_forecast.sources.table_cache import (
    ENV,
    cache_folder,
    cached_tables,
    load_tables,
    store_tables,
    table_file,
)

PLAN = load_plan(DEFAULT_PLAN)
KEYS = sorted(shape_keys(PLAN))


def test_stored_tables_are_the_built_ones(tmp_path):
    assert store_tables(KEYS, tmp_path) == len(KEYS) > 0
    assert store_tables(KEYS, tmp_path) == 0  # already there
    loaded = load_tables(KEYS, tmp_path)
    assert sorted(loaded) == KEYS
    for key in KEYS:
        assert loaded[key].tobytes() == quantile_table(key).tobytes()


def test_numbers_are_identical_with_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path))
    plain = simulate(PLAN, 3_000, 7)
    with cached_tables(PLAN):
        first = simulate(PLAN, 3_000, 7)
    with cached_tables(PLAN):
        again = simulate(PLAN, 3_000, 7)
    for r in (first, again):
        assert r.finish_weeks.tobytes() == plain.finish_weeks.tobytes()
        assert r.cost_by_item.tobytes() == plain.cost_by_item.tobytes()
    assert len(list(cache_folder().glob("*.npy"))) == len(KEYS)


def test_a_bad_file_is_dropped_and_built_again(tmp_path):
    store_tables(KEYS, tmp_path)
    cut, wrong = table_file(tmp_path, KEYS[0]), table_file(tmp_path, KEYS[1])
    cut.write_bytes(cut.read_bytes()[:1000])
    np.save(wrong, np.zeros(10, dtype=np.float64))
    loaded = load_tables(KEYS, tmp_path)
    assert KEYS[0] not in loaded and KEYS[1] not in loaded and len(loaded) == len(KEYS) - 2
    assert not cut.exists() and not wrong.exists()
    assert store_tables(KEYS, tmp_path) == 2
    assert len(load_tables(KEYS, tmp_path)) == len(KEYS)


def test_the_folder_is_bounded_least_recently_used_first(tmp_path):
    store_tables(KEYS[:3], tmp_path)
    for i, key in enumerate(KEYS[:3]):  # key 0 used longest ago
        os.utime(table_file(tmp_path, key), (1_000_000 + i, 1_000_000 + i))
    one = table_file(tmp_path, KEYS[0]).stat().st_size
    store_tables(KEYS[3:4], tmp_path, max_bytes=3 * one)
    assert not table_file(tmp_path, KEYS[0]).exists()
    assert all(table_file(tmp_path, k).exists() for k in KEYS[1:4])


def test_concurrent_writers_leave_whole_tables(tmp_path):
    threads = [threading.Thread(target=store_tables, args=(KEYS, tmp_path)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(load_tables(KEYS, tmp_path)) == KEYS
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".npy"]  # no temporary files left


def test_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "off")
    assert cache_folder() is None
    with cached_tables(PLAN):
        simulate(PLAN, 100, 1)
    assert store_tables(KEYS) == 0


def test_a_warm_simulate_json_imports_neither_scipy_nor_pandas(tmp_path):
    env = dict(os.environ, **{ENV: str(tmp_path)})
    code = (
        "import sys, io, contextlib\n"
        "from lekhok_forecast.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['simulate', {str(DEFAULT_PLAN)!r}, '--trials', '2000', '--json'])\n"
        "print(sorted(m for m in ('scipy', 'pandas') if m in sys.modules))\n"
    )
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert "scipy" in cold.stdout  # the first run builds the PERT tables
    assert warm.stdout.strip() == "[]", warm.stdout
    assert TABLE_SIZE == 1 << 16
