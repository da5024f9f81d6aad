"""The validated, typed workload graph that the engine runs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from accelsim.workload.ops import OpSpec, Shape
from accelsim.workload.spec import InputSpec, ReadoutSpec, WorkloadSpec


@dataclass(frozen=True)
class Node:
    """One node: ``inputs`` name graph values or tensors; one ``output`` value."""

    name: str
    op: str
    spec: type[OpSpec]
    inputs: tuple[str, ...]
    output: str
    attrs: Any
    index: int  # position in the workload file's node list (for messages)

    @property
    def kind(self) -> str:
        return self.spec.kind


@dataclass(frozen=True)
class Samples:
    """Inputs ``x`` [N, *input] (direct) or [N, T, *input] (sequence), labels ``y`` [N] or None."""

    x: np.ndarray
    y: Optional[np.ndarray]
    source: str

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def rows(self, a: int, b: int) -> "Samples":
        """Samples ``a .. b - 1`` (views)."""
        return Samples(self.x[a:b], None if self.y is None else self.y[a:b], self.source)

    def head(self, n: int) -> "Samples":
        return self.rows(0, n)


@dataclass(frozen=True)
class Binding:
    """ANN value ``value`` overwrites state ``state`` of SNN neuron node ``neuron`` at every ANN step."""

    value: str
    neuron: str
    state: str
    index: int  # position in ann.bindings (for messages)


@dataclass(frozen=True)
class AnnPart:
    """The ANN of a hybrid ANN-SNN: its own graph (same input, stateless nodes), run every
    ``every`` steps; ``bindings`` name the SNN states its outputs overwrite."""

    graph: "Graph"
    every: int
    accumulate: str
    bindings: tuple[Binding, ...]
    initialisers: frozenset[str]
    window: int = 0  # frames the ANN input covers (0: every)

    @property
    def frames(self) -> int:
        return self.window or self.every

    def runs(self, T: int) -> list[int]:
        """The SNN steps at which the ANN runs: 0, K, 2K, ... < T."""
        return list(range(0, T, self.every))


@dataclass(frozen=True)
class Graph:
    name: str
    source: str
    timesteps: int
    input: InputSpec
    nodes: tuple[Node, ...]  # topological order
    outputs: tuple[str, ...]
    readout: ReadoutSpec
    tensors: dict[str, np.ndarray]
    shapes: dict[str, Shape]  # per-sample shape of every graph value
    samples: Optional[Samples]
    weight_bits: Optional[int]
    spec: WorkloadSpec
    _consumers: dict[str, tuple[Node, ...]] = field(default_factory=dict, repr=False)
    ann: Optional[AnnPart] = None       # the ANN part of a hybrid ANN-SNN, if any
    step_s: Optional[float] = None      # real time of one time step (s), if declared
    # recurrent connections: (node name, input index) of every input that reads the previous step's
    # value of its source, a neuron node's output (workload/cycles.py; empty for a feed-forward graph)
    delayed: frozenset[tuple[str, int]] = frozenset()

    def producer(self, value: str) -> Optional[Node]:
        for n in self.nodes:
            if n.output == value:
                return n
        return None

    def consumers(self, value: str) -> tuple[Node, ...]:
        return self._consumers.get(value, ())

    def value_inputs(self, node: Node) -> list[str]:
        return [i for i in node.inputs if i in self.shapes]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def delayed_inputs(self, node: Node) -> tuple[int, ...]:
        """Indices of ``node``'s inputs that read the previous step's value (a recurrent connection)."""
        return tuple(j for j in range(len(node.inputs)) if (node.name, j) in self.delayed)

    @property
    def recurrent(self) -> bool:
        """The graph has cycles (recurrent connections through neurons)."""
        return bool(self.delayed)

    @property
    def delayed_values(self) -> tuple[str, ...]:
        """The values read one step late (outputs of neuron nodes on cycles), in graph order."""
        names = {self.node(n).inputs[j] for n, j in self.delayed}
        return tuple(n.output for n in self.nodes if n.output in names)

    @property
    def num_classes(self) -> int:
        return int(np.prod(self.shapes[self.readout.output]))
