"""What a hardware engine's cost function returns for one layer: energy by component and
latency per inference, model-specific figures, and the per-step duration of its own task."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class LayerCost:
    name: str
    engine: str                                 # "pim" or "core"
    energy_pj: dict[str, float]                 # "<engine>.<component>" -> pJ per inference
    latency_ns: float                           # per inference
    info: dict = field(default_factory=dict)    # model-specific figures (tiles, evaluations, ...)
    step_ns: Optional[list[float]] = None       # duration of the layer's task at each time step (ns);
                                                # what a timing model schedules; sums to latency_ns

    @property
    def total_pj(self) -> float:
        return float(sum(self.energy_pj.values()))
