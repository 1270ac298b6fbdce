"""Small graph utilities on predecessor lists (task i waits for preds[i])."""

from __future__ import annotations


def topological_order(preds: list[tuple[int, ...]]) -> list[int]:
    """Indices ordered so that every task follows its predecessors (stable: file order first).

    Raises
    ------
    ValueError
        If the graph has a cycle.
    """
    n = len(preds)
    remaining = [len(p) for p in preds]
    succs: list[list[int]] = [[] for _ in range(n)]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    import heapq

    ready = [i for i in range(n) if remaining[i] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for s in succs[i]:
            remaining[s] -= 1
            if remaining[s] == 0:
                heapq.heappush(ready, s)
    if len(order) != n:
        raise ValueError("graph has a cycle")
    return order


def find_cycle(preds: list[tuple[int, ...]]) -> list[int] | None:
    """One cycle as a list of indices ``[a, b, ..., z]`` where a waits for b, ..., z for a; or None."""
    n = len(preds)
    state = [0] * n  # 0 new, 1 on stack, 2 done
    for root in range(n):
        if state[root]:
            continue
        stack = [(root, iter(preds[root]))]
        path = [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state[nxt] == 1:
                return path[path.index(nxt) :]
            if state[nxt] == 0:
                state[nxt] = 1
                stack.append((nxt, iter(preds[nxt])))
                path.append(nxt)
    return None
