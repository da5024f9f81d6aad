"""Evaluators of graph nodes on a batch: one small class per operator, and one
(:class:`NeuronExec`) for every neuron kind.

Each executor is built once per node (weights laid out for its kernel), reset
per batch (stateful neurons), and called once per time step with the node's
inputs (batched graph values, or tensors). ``backend`` picks the numba
event-driven kernels or the numpy references.
"""
from __future__ import annotations

from typing import ClassVar, Optional

import numpy as np

from accelsim.engine.lower import conv_window, pool_window
from accelsim.kernels import conv, dense, pool
from accelsim.kernels.events import StepStats
from accelsim.kernels.gemm import ConvPlan, DensePlan
from accelsim.workload.graph import Graph, Node

EXECUTORS: dict[str, type["Executor"]] = {}


def executor(*ops: str):
    def deco(cls):
        for op in ops:
            EXECUTORS[op] = cls
        return cls
    return deco


class Executor:
    stateful: ClassVar[bool] = False  # keeps state across time steps (reset per batch)

    def __init__(self, graph: Graph, node: Node, backend: str):
        self.graph, self.node, self.backend = graph, node, backend
        self.out_shape = graph.shapes[node.output]

    def reset(self, batch: int) -> None:
        """Start a new batch of samples (clears state)."""

    def start(self, first_sample: int) -> None:
        """The run's samples are numbered from ``first_sample`` (a shard of a larger run): an
        executor that draws random numbers per sample keys them by this global index."""

    def __call__(self, ins: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def steady(self, ins: list[np.ndarray]) -> np.ndarray:
        """The output per step under an input held constant for ever (the ANN view of
        :mod:`accelsim.engine.ann`); a stateless node's output. Stateless: no state is touched."""
        return self(ins)


@executor("Conv")
class ConvExec(Executor):
    """A Conv node. ``stats``: the step's shared value statistics while a functional pass runs
    (:class:`accelsim.kernels.events.StepStats`, set by :func:`accelsim.engine.functional.simulate`):
    the plan's choice of kernel reads its input's record there, which the step's counts share."""

    stats: Optional[StepStats] = None

    def __init__(self, graph, node, backend):
        super().__init__(graph, node, backend)
        # the graph's tensors as they are when already float64 (read only here; a copy of a large
        # network's weights at every executor build costs page faults, docs/performance.md)
        self.w = np.asarray(graph.tensors[node.inputs[1]], dtype=np.float64)
        self.b = np.asarray(graph.tensors[node.inputs[2]], dtype=np.float64) if len(node.inputs) > 2 else None
        self.win = conv_window(graph, node)
        self.group = node.attrs.group
        self._plan: Optional[ConvPlan] = None

    def __call__(self, ins):
        if self.backend == "numba":   # scatter or GEMM, per call (kernels/gemm.py); built for the weights in use
            if self._plan is None or self._plan.w is not self.w:
                self._plan = ConvPlan(self.w, self.win, self.group)
            return self._plan(ins[0], self.b, None if self.stats is None else self.stats.of(ins[0]))
        return conv.conv_reference(ins[0], self.w, self.b, self.win, self.group)


@executor("Gemm", "MatMul")
class DenseExec(Executor):
    """A Gemm or MatMul node (``stats``: as :class:`ConvExec`'s)."""

    stats: Optional[StepStats] = None

    def __init__(self, graph, node, backend):
        super().__init__(graph, node, backend)
        w = np.asarray(graph.tensors[node.inputs[1]], dtype=np.float64)   # read only: see ConvExec
        alpha, beta = (node.attrs.alpha, node.attrs.beta) if node.op == "Gemm" else (1.0, 1.0)
        if node.op == "Gemm" and node.attrs.transB:
            w = w.T
        self.wt = np.ascontiguousarray(w if alpha == 1.0 else alpha * w)   # 1.0 * w: the same bits, no copy
        b = np.asarray(graph.tensors[node.inputs[2]], dtype=np.float64).reshape(-1) if len(node.inputs) > 2 else None
        self.b = None if b is None else beta * b
        self._plan: Optional[DensePlan] = None

    def __call__(self, ins):
        a = ins[0].reshape(ins[0].shape[0], -1)
        if self.backend == "numba":   # scatter or GEMM, per call (kernels/gemm.py)
            if self._plan is None or self._plan.source is not self.wt:
                self._plan = DensePlan(self.wt)
            return self._plan(a, self.b, None if self.stats is None else self.stats.of(ins[0]))
        return dense.dense_reference(a, self.wt, self.b)


@executor("AveragePool", "MaxPool")
class PoolExec(Executor):
    def __init__(self, graph, node, backend):
        super().__init__(graph, node, backend)
        self.win = pool_window(graph, node)

    def __call__(self, ins):
        if self.node.op == "MaxPool":
            return pool.max_pool(ins[0], self.win)
        return pool.avg_pool(ins[0], self.win, bool(self.node.attrs.count_include_pad))


@executor("SpikeMaxPool")
class SpikeMaxPoolExec(Executor):
    """The spiking max-pool (:class:`accelsim.workload.ops.pool.SpikeMaxPool`): running input
    totals and window maxima per sample, reset per batch."""

    stateful = True

    def __init__(self, graph, node, backend):
        super().__init__(graph, node, backend)
        self.win = pool_window(graph, node)
        self.in_shape = graph.shapes[node.inputs[0]]
        self.reset(0)

    def reset(self, batch):
        self.batch = batch
        self.totals = np.zeros((batch,) + self.in_shape)
        self.maxima = np.zeros((batch,) + self.out_shape)

    def __call__(self, ins):
        x = ins[0]
        if x.shape[0] != self.batch:  # called without a reset
            self.reset(x.shape[0])
        return pool.spike_max_pool_step(x, self.totals, self.maxima, self.win)

    def steady(self, ins):
        """A constant input x gives max over each window of x at every step."""
        return pool.max_pool(ins[0], self.win)


@executor("Flatten", "Reshape")
class ReshapeExec(Executor):
    def __call__(self, ins):
        return ins[0].reshape((ins[0].shape[0],) + self.out_shape)


@executor("Add")
class AddExec(Executor):
    def __call__(self, ins):
        return np.add(ins[0], ins[1])


@executor("Relu", "Clip")
class ActivationExec(Executor):
    """ANN activations (graphs before conversion): ReLU, or Clip to [min, max]."""

    def __call__(self, ins):
        if self.node.op == "Relu":
            return np.maximum(ins[0], 0.0)
        return np.clip(ins[0], self.node.attrs.min, self.node.attrs.max)


@executor("Concat")
class ConcatExec(Executor):
    def __call__(self, ins):
        rank = len(self.out_shape)
        ax = self.node.attrs.axis if self.node.attrs.axis > 0 else rank + 1 + self.node.attrs.axis
        return np.concatenate(ins, axis=ax)


def _per_neuron(graph: Graph, ref, shape: tuple[int, ...]) -> np.ndarray:
    """A neuron parameter (number or tensor name) expanded to [prod(shape)]."""
    arr = np.asarray(graph.tensors[ref] if isinstance(ref, str) else ref, dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] == shape[0] and len(shape) > 1:
        arr = arr.reshape((shape[0],) + (1,) * (len(shape) - 1))
    return np.ascontiguousarray(np.broadcast_to(arr, shape).reshape(-1))


def _expand(graph: Graph, ref, shape: tuple[int, ...]) -> np.ndarray:
    """A parameter expanded to [M], or a list of them (one per phase) to [K, M]."""
    if isinstance(ref, (list, tuple)):
        return np.ascontiguousarray(np.stack([_per_neuron(graph, r, shape) for r in ref]))
    return _per_neuron(graph, ref, shape)


class NeuronExec(Executor):
    """Every neuron node, whatever its kind (:mod:`accelsim.neurons`): the kind's parameters
    expanded to one value per neuron, its state arrays [batch, neurons] (reset per batch),
    and one call of the kind's ``step`` per time step. ``thr`` is the firing threshold
    (spiking kinds with a ``threshold`` parameter), which conversion may overwrite."""

    stateful = True

    def __init__(self, graph, node, backend):
        super().__init__(graph, node, backend)
        self.kind = node.spec.neuron
        self.m = int(np.prod(self.out_shape))
        per = {k: _expand(graph, getattr(node.attrs, k), self.out_shape) for k in self.kind.params
               if getattr(node.attrs, k, None) is not None}
        self.params = self.kind.prepare(node.attrs, per)
        self.reset(0)

    @property
    def spiking(self) -> bool:
        return self.kind.spiking

    @property
    def thr(self) -> np.ndarray:
        return self.params["threshold"]

    @thr.setter
    def thr(self, value: np.ndarray) -> None:
        self.params["threshold"] = value

    def reset(self, batch):
        self.batch = batch
        self.state = self.kind.initial_state(self.node.attrs, batch, self.m)

    def integrated(self, state: dict, current: np.ndarray) -> Optional[np.ndarray]:
        """The membrane after one step from ``state`` (a copy, advanced in place) with ``current``,
        before any reset: the kind's step replayed with an infinite threshold (what snnTorch
        keeps as its membrane; NeuroBench's MembraneUpdates counts its changes). None when the
        kind has no threshold."""
        if "threshold" not in self.params or "v" not in state or self.kind.graded:
            return None
        thr = self.params["threshold"]
        if getattr(self, "_no_fire", (None, None))[0] is not thr:   # built once per threshold array
            self._no_fire = (thr, {**self.params, "threshold": np.full(np.shape(thr), np.inf)})
        self.kind.step(state, current.reshape(current.shape[0], -1), self._no_fire[1], self.backend)
        return state["v"]

    def write_state(self, name: str, values: np.ndarray) -> None:
        """Overwrite state ``name`` [batch, neurons] from outside the step (a hybrid's ANN, engine/hybrid.py)."""
        st = self.state[name]
        st[...] = values.reshape(st.shape)

    def __call__(self, ins):
        i = ins[0].reshape(ins[0].shape[0], -1)
        if i.shape[0] != self.batch:  # called without a reset (e.g. the ANN pass)
            self.reset(i.shape[0])
        out = self.kind.step(self.state, i, self.params, self.backend)
        return out.reshape((out.shape[0],) + self.out_shape)


@executor("Mul")
class MulExec(Executor):
    def __call__(self, ins):
        return np.multiply(ins[0], ins[1])


def make_executor(graph: Graph, node: Node, backend: str) -> Executor:
    if node.kind == "neuron":
        return NeuronExec(graph, node, backend)
    return EXECUTORS[node.op](graph, node, backend)
