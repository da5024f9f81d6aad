"""The functional trace: what the network did, independent of any hardware cost.

Counts are exact integers summed over all simulated samples, one entry per time
step. The cost models turn a trace into energy and latency; a sweep over
cost-only parameters reuses one trace.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Optional

import numpy as np

from accelsim.engine.lower import Layer
from accelsim.workload.graph import Graph



@dataclass
class LayerCounts:
    """Per time step, summed over samples."""

    events_in: np.ndarray      # non-zero inputs to the synaptic op (spikes, or analog values)
    synaptic_ops: np.ndarray   # sum over non-zero inputs of their fan-out
    spikes_out: np.ndarray     # spikes emitted by the layer's neurons (0 for readout)
    nonzero_out: np.ndarray    # non-zero outputs of the layer (spikes, or readout values)
    aux_ops: np.ndarray        # pooling / residual-add operations done on events
    state_reads: np.ndarray    # words of pooling state read (spiking max-pool: input counters, window maxima)
    state_writes: np.ndarray   # words of pooling state written
    activity: Any = None       # what the layer's engine numerics recorded (e.g. the first layer's
                               # FirstLayerActivity), None when it ran as exact float
    membrane_updates: Optional[np.ndarray] = None  # spiking layers: neurons whose membrane changed in
                               # the step (every neuron at step 0; NeuroBench's MembraneUpdates)

    nonbinary_inputs: Optional[np.ndarray] = None  # samples whose input to the synaptic op held a value
                               # other than 0, 1, -1 in the step (none: NeuroBench counts ACs, else MACs)
    overflows: Optional[np.ndarray] = None  # fixed-point state overflow events (saturated or wrapped
                                            # membrane/current words); None: float64 neurons

    @classmethod
    def zeros(cls, T: int) -> "LayerCounts":
        z = lambda: np.zeros(T, dtype=np.int64)  # noqa: E731
        return cls(z(), z(), z(), z(), z(), z(), z(), membrane_updates=z(), nonbinary_inputs=z())


@dataclass
class AddressCounts:
    """Per-address spike counts of one layer, summed over samples: what the spike-core
    model routes through any mapping (a compact, mapping-independent record).

    ``by_input[t, e]``: non-zero values (events) at flattened input element ``e``
    ([C*D*H*W] of the synaptic node's input) at step ``t``; ``by_neuron[t, n]``:
    spikes of neuron ``n`` (None for a non-spiking layer); ``active_by_neuron[t, n]``:
    samples in which neuron ``n`` received a non-zero synaptic input at step ``t``
    (what the per-event core model prices as an active neuron update; None for a
    non-spiking layer). The dtype is the smallest unsigned type that holds the
    sample count (:func:`count_dtype`).
    """

    by_input: np.ndarray
    by_neuron: Optional[np.ndarray]
    active_by_neuron: Optional[np.ndarray] = None


def count_dtype(samples: int) -> np.dtype:
    """Smallest unsigned integer dtype holding a count of up to ``samples``."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if samples <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.uint64)


@dataclass
class Trace:
    workload: str
    samples: int
    timesteps: int
    layers: list[Layer]
    counts: list[LayerCounts]
    static_layers: frozenset[str]        # layers whose output is the same at every step (direct input)
    scores: np.ndarray                   # [N, classes] accumulated readout
    predictions: np.ndarray              # [N]
    labels: Optional[np.ndarray]
    correct_by_step: Optional[np.ndarray] = None  # [T]: correct predictions using steps 0..t
    addresses: list[AddressCounts] = field(default_factory=list)  # per layer (empty: not recorded)
    meta: dict = field(default_factory=dict)
    ann: Any = None                      # AnnTrace of a hybrid ANN-SNN (accelsim.engine.hybrid), else None
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    def derived(self, fn: Callable[..., Any], *params: Hashable) -> Any:
        """``fn(self, *params)``, computed once per trace and parameter values. The key is the
        function and its frozen parameter groups, so it covers everything ``fn`` can read."""
        key = (fn.__module__, fn.__qualname__, params)
        if key not in self._derived:
            self._derived[key] = fn(self, *params)
        return self._derived[key]

    def forget(self) -> None:
        """Drop every derived result (benchmarks: the next costing maps and routes from scratch)."""
        self._derived.clear()

    def __getstate__(self):  # derived results stay with the process that made them
        state = dict(self.__dict__)
        state["_derived"] = {}
        return state

    @property
    def accuracy(self) -> Optional[float]:
        if self.labels is None:
            return None
        return float(np.mean(self.predictions == self.labels))

    @property
    def accuracy_by_step(self) -> Optional[list[float]]:
        if self.correct_by_step is None:
            return None
        return [float(c) / self.samples for c in self.correct_by_step]


@dataclass(frozen=True, eq=False)
class GraphKey:
    """A graph as a memo key: equal only to itself (derived results of one graph object)."""

    graph: Graph = field(repr=False)

    def __hash__(self) -> int:
        return id(self.graph)

    def __eq__(self, other) -> bool:
        return isinstance(other, GraphKey) and other.graph is self.graph
