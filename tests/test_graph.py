"""Topological order and cycle finding on predecessor lists."""

import pytest

from lekhok_forecast.core.graph import find_cycle, topological_order


def test_topological_order_respects_predecessors_and_file_order():
    preds = [(), (0,), (), (1, 2), ()]
    order = topological_order(preds)
    assert sorted(order) == list(range(5))
    pos = {t: i for i, t in enumerate(order)}
    for t, ps in enumerate(preds):
        assert all(pos[p] < pos[t] for p in ps)
    assert order == [0, 1, 2, 3, 4]  # stable: file order when nothing forces otherwise


def test_topological_order_reorders_forward_references():
    assert topological_order([(1,), ()]) == [1, 0]


def test_topological_order_rejects_cycles():
    with pytest.raises(ValueError, match="cycle"):
        topological_order([(1,), (0,)])


def test_find_cycle_none_on_dag():
    assert find_cycle([(), (0,), (0, 1)]) is None
    assert find_cycle([]) is None


@pytest.mark.parametrize(
    "preds",
    [
        [(0,)],  # self loop
        [(1,), (0,)],  # two
        [(), (3,), (1,), (2,)],  # three, not through node 0
        [(1,), (2,), (0,), (0,)],
    ],
)
def test_find_cycle_returns_a_real_cycle(preds):
    cycle = find_cycle(preds)
    assert cycle
    # each waits for the next, the last for the first
    for k, node in enumerate(cycle):
        assert cycle[(k + 1) % len(cycle)] in preds[node]
