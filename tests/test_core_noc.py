"""XY routing and multicast trees on the mesh: every destination is reached, no link is used twice."""
from __future__ import annotations

import numpy as np

from accelsim.hw.noc import Mesh


def test_xy_path_goes_x_first():
    m = Mesh(3, 2)
    # core 0 (0,0) -> core 5 (2,1): +x from (0,0), +x from (1,0), +y from (2,0)
    assert m.path(0, 5) == [4 * 0 + 0, 4 * 1 + 0, 4 * 2 + 2]
    assert m.path(5, 0) == [4 * 5 + 1, 4 * 4 + 1, 4 * 3 + 3]
    assert m.path(4, 4) == [] and m.hops(0, 5) == 3
    assert m.link_name(4 * 1 + 0) == "link:x1y0->x2y0"


def _reached(m: Mesh, src: int, links: list[int]) -> set[int]:
    """Nodes reachable from ``src`` over the directed ``links``."""
    step = {0: (1, 0), 1: (-1, 0), 2: (0, 1), 3: (0, -1)}
    seen, todo = {src}, [src]
    while todo:
        n = todo.pop()
        for link in links:
            node, d = divmod(link, 4)
            if node == n:
                x, y = m.coord(n)
                nxt = m.node(x + step[d][0], y + step[d][1])
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
    return seen


def test_multicast_tree_reaches_every_destination_once():
    rng = np.random.default_rng(0)
    for _ in range(200):
        m = Mesh(int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        src = int(rng.integers(m.nodes))
        dests = sorted(set(rng.integers(m.nodes, size=int(rng.integers(1, m.nodes + 1))).tolist()))
        tree, depth = m.multicast(src, dests)
        assert len(tree) == len(set(tree))                       # a packet crosses each link once
        assert set(dests) <= _reached(m, src, tree)              # delivered everywhere
        assert set(tree) == {l for d in dests for l in m.path(src, d)}
        assert len(tree) <= sum(m.hops(src, d) for d in dests)   # multicast never costs more than unicasts
        assert depth == max(m.hops(src, d) for d in dests)
        # every link of the tree leaves a node inside the mesh and lands inside it
        for link in tree:
            node, d = divmod(link, 4)
            x, y = m.coord(node)
            dx, dy = {0: (1, 0), 1: (-1, 0), 2: (0, 1), 3: (0, -1)}[d]
            assert 0 <= x + dx < m.x and 0 <= y + dy < m.y
