"""What the hardware engines hand to the schedule (:mod:`accelsim.schedule`): per layer, the
task cycles of every (step, core), the NoC link occupancy and the first layer's own task."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass
class LayerTasks:
    """What the timing model schedules for one layer (cycles per inference)."""

    index: int
    name: str
    core_cycles: np.ndarray               # [T, cores] (0: no task)
    dram_bits: np.ndarray                 # [T, cores] weight bits streamed by the task
    link_cycles: np.ndarray               # [T, links] occupancy of each link by this layer's input packets
    noc_latency_cycles: np.ndarray        # [T] router pipeline latency of the deepest packet
    sources: tuple[int, ...]              # layers whose step-t tasks produce this layer's step-t input
    first_layer_ns: Optional[list[float]] = None  # first layer: its synaptic task per step (PIM macros or cores)
    first_layer_resource: str = "pim"     # "pim" or "cores"
    info: dict = field(default_factory=dict)
