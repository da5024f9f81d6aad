"""What a scheduler returns: :class:`Schedule` (makespan, spans, busy times, timeline rows) and its
timeline as CSV (:func:`timeline_csv`, header :data:`TIMELINE_HEADER`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

TIMELINE_HEADER = ("resource", "layer", "step", "start_ns", "end_ns", "kind")
# the timeline's ``kind`` column: the first layer's synaptic task on a PIM macro or on a core, a core
# task of any layer, a NoC transfer on one link, a weight transfer on the DRAM port
KINDS = ("pim", "first_layer", "core", "noc", "dram")


@dataclass
class Schedule:
    makespan_ns: float
    layer_start_ns: dict[str, float]
    layer_end_ns: dict[str, float]
    busy_ns: dict[str, float]                 # per resource
    layer_core_busy_ns: dict[str, float]      # per layer: core-task time summed over cores
    rows: Sequence[tuple] = field(default_factory=list)  # timeline rows (TIMELINE_HEADER), by start

    def utilization(self) -> dict[str, float]:
        span = self.makespan_ns or 1.0
        return {r: b / span for r, b in sorted(self.busy_ns.items())}

    def layer_latency_ns(self, name: str) -> float:
        if name not in self.layer_start_ns:
            return 0.0
        return self.layer_end_ns[name] - self.layer_start_ns[name]


def row_order(row: tuple) -> tuple:
    """The order of the timeline rows: ``(start, end, resource, layer, step)``."""
    return row[3], row[4], row[0], row[1], row[2]


class TimelineRows(Sequence):
    """Timeline rows held as columns (resource and layer as indices into ``names``/``layers``, ``kind``
    as an index into :data:`KINDS`), in :func:`row_order`; sorted and made into tuples only when read
    (a sweep only asks for their number)."""

    def __init__(self, names: list[str], layers: list[str], res: np.ndarray, layer: np.ndarray, t: np.ndarray,
                 start: np.ndarray, end: np.ndarray, kind: np.ndarray):
        self._cols = (names, layers, res, layer, t, start, end, kind)
        self._rows: Optional[list[tuple]] = None

    def _list(self) -> list[tuple]:
        if self._rows is None:
            names, layers, res, layer, t, start, end, kind = self._cols
            rank = {n: k for k, n in enumerate(sorted(set(names)))}
            lrank = {n: k for k, n in enumerate(sorted(set(layers)))}
            res_rank = np.array([rank[n] for n in names], np.int64)
            layer_rank = np.array([lrank[n] for n in layers], np.int64)
            # np.lexsort is stable, as sorted() is: equal keys keep the recording order
            order = np.lexsort((t, layer_rank[layer], res_rank[res], end, start))
            self._rows = [(names[r], layers[i], s, a, b, KINDS[k]) for r, i, s, a, b, k in
                          zip(res[order].tolist(), layer[order].tolist(), t[order].tolist(), start[order].tolist(),
                              end[order].tolist(), kind[order].tolist())]
        return self._rows

    def __len__(self) -> int:
        return len(self._cols[2])

    def __getitem__(self, k):
        return self._list()[k]

    def __iter__(self):
        return iter(self._list())

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and self._list() == list(other)

    def __repr__(self) -> str:
        return repr(self._list())


def timeline_csv(sched: Schedule) -> str:
    """The timeline as CSV text (header :data:`TIMELINE_HEADER`), one row per scheduled task."""
    lines = [",".join(TIMELINE_HEADER)]
    for res, layer, t, s, e, kind in sched.rows:
        lines.append(f"{res},{layer},{t},{s:.6f},{e:.6f},{kind}")
    return "\n".join(lines) + "\n"
