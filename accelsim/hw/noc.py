"""2-D mesh network-on-chip carrying AER spike packets.

Core ``k`` sits at mesh node ``(k % mesh_x, k // mesh_x)``. Packets follow XY
(dimension-ordered) routing: first along x to the destination column, then along
y. A spike whose fan-out spans several cores is sent once as a multicast: the
packet is replicated where the XY paths to its destinations part, so it crosses
each link of the union of those paths (an XY multicast tree) exactly once.

Every node has four directed output links, numbered ``4 * node + dir`` with
``dir`` 0 = +x, 1 = -x, 2 = +y, 3 = -y: links ``l`` with ``l % 4 < 2`` run east-west,
the others north-south (:data:`EW_DIRS`).

Energy of one packet of ``F`` flits of ``w`` bits over a tree of ``h`` links:
``F*w*h`` link bits and ``F*w*(h+1)`` router bits (every node of the tree, the
injecting one included); a packet whose only destination is its own core does
not enter the network.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

_DIRS = ((1, 0), (-1, 0), (0, 1), (0, -1))
EW_DIRS = (0, 1)   # the east-west link directions (x); 2 and 3 are north-south (y)


@dataclass(frozen=True)
class Mesh:
    x: int
    y: int

    @property
    def nodes(self) -> int:
        return self.x * self.y

    @property
    def links(self) -> int:
        return 4 * self.nodes

    def coord(self, core: int) -> tuple[int, int]:
        return core % self.x, core // self.x

    def node(self, cx: int, cy: int) -> int:
        return cy * self.x + cx

    def link_name(self, link: int) -> str:
        node, d = divmod(link, 4)
        cx, cy = self.coord(node)
        dx, dy = _DIRS[d]
        return f"link:x{cx}y{cy}->x{cx + dx}y{cy + dy}"

    def path(self, src: int, dst: int) -> list[int]:
        """Directed links of the XY route from ``src`` to ``dst`` (empty when equal)."""
        (sx, sy), (dx, dy) = self.coord(src), self.coord(dst)
        links = []
        while sx != dx:
            d = 0 if dx > sx else 1
            links.append(4 * self.node(sx, sy) + d)
            sx += 1 if d == 0 else -1
        while sy != dy:
            d = 2 if dy > sy else 3
            links.append(4 * self.node(sx, sy) + d)
            sy += 1 if d == 2 else -1
        return links

    def hops(self, src: int, dst: int) -> int:
        (sx, sy), (dx, dy) = self.coord(src), self.coord(dst)
        return abs(sx - dx) + abs(sy - dy)

    def reach(self, src: int, dests: Iterable[int]) -> list[int]:
        """Per east-west distance ``k`` (0 .. x-1), the largest north-south distance from ``src`` of a
        destination ``k`` columns away (-1: none). The farthest-hop latency of any weighting of the two
        directions is a maximum over this frontier."""
        sx, sy = self.coord(src)
        far = [-1] * self.x
        for d in dests:
            dx, dy = self.coord(d)
            k = abs(sx - dx)
            far[k] = max(far[k], abs(sy - dy))
        return far

    def multicast(self, src: int, dests: Iterable[int]) -> tuple[list[int], int]:
        """(sorted links of the XY multicast tree from ``src`` to ``dests``, its depth in hops)."""
        tree: set[int] = set()
        depth = 0
        for d in dests:
            if d == src:
                continue
            tree.update(self.path(src, d))
            depth = max(depth, self.hops(src, d))
        return sorted(tree), depth
