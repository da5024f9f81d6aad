"""What the whole-run cost model returns: the layers' costs, the delay and the schedule."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from accelsim.hw.result import LayerCost
from accelsim.schedule import Schedule


@dataclass
class CostResult:
    model: str
    note: str
    layers: list[LayerCost]
    makespan_ns: Optional[float] = None         # delay from a schedule; None: layers run one after another
    schedule: Optional[Schedule] = None         # the discrete-event schedule (timeline), if any
    static_input: Optional[str] = None          # the first layer's static-input policy applied (None: no first layer)
    mapping: dict = field(default_factory=dict)  # the engines' mapping figures (report's "mapping" block)
    timing: dict = field(default_factory=dict)   # the schedule's figures (report's "timing" block)
    pipeline: Optional[dict] = None              # inputs streamed back to back (report's "pipeline" block)

    @property
    def energy_pj(self) -> float:
        return float(sum(l.total_pj for l in self.layers))

    @property
    def latency_ns(self) -> float:
        """Delay per inference: the schedule's makespan, else the sum of the layers' latencies."""
        if self.makespan_ns is not None:
            return float(self.makespan_ns)
        return float(sum(l.latency_ns for l in self.layers))

    def breakdown(self) -> dict[str, float]:
        """Energy per component over all layers (sums to :attr:`energy_pj`)."""
        out: dict[str, float] = {}
        for layer in self.layers:
            for k, v in layer.energy_pj.items():
                out[k] = out.get(k, 0.0) + v
        return dict(sorted(out.items()))
