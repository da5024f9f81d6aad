"""What a hardware engine's cost function returns for one layer: energy by component and
latency per inference, model-specific figures, and the per-step duration of its own task."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class LayerCost:
    """One layer's cost per inference. The typed fields are what other parts read (the
    report, the schedule); ``info`` holds the model-specific figures that the report
    passes through as the layer's ``cost_details``."""

    name: str
    engine: str                                 # the engine that ran it ("pim", "core", ...)
    energy_pj: dict[str, float]                 # "<engine>.<component>" -> pJ per inference
    latency_ns: float                           # per inference
    info: dict = field(default_factory=dict)    # model-specific figures (tiles, ...): report only
    step_ns: Optional[list[float]] = None       # duration of the layer's own task at each time step (ns)
    evaluations: Optional[int] = None           # first layer: evaluations per inference (hold: 1)
    static_input: Optional[str] = None          # first layer: "hold" or "recompute" (the policy applied)

    @property
    def total_pj(self) -> float:
        return float(sum(self.energy_pj.values()))
