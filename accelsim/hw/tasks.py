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
    delayed_sources: tuple[int, ...] = ()  # layers whose step t-1 tasks produce this layer's step-t input
                                          # (a recurrent connection: the spikes of the previous step)
    update_sources: tuple[int, ...] = ()  # layers whose step-t tasks must be done before this layer's
                                          # step-t core tasks (a recurrent current merged into its neurons)
    input_steps: int = 0                  # steps per input: the delayed sources are not waited for at a
                                          # step t with t % input_steps == 0 (a new input starts from
                                          # zero state); 0: the schedule is one input (only t = 0)

    def delayed_at(self, t: int, T: int) -> bool:
        """Whether step ``t`` (of ``T``) waits for its delayed sources' step ``t - 1``."""
        return bool(self.delayed_sources) and t % (self.input_steps or T) != 0
