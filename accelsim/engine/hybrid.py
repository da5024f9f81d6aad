"""Hybrid ANN-SNN (Aydin et al. 2023): the ANN that re-initialises SNN states every K steps.

The functional engine (:func:`accelsim.engine.functional.simulate`) calls
:meth:`AnnInitialiser.before_step` at the start of every time step, before the
SNN graph is evaluated. Order inside a step ``t`` of a hybrid workload:

1. if ``t % K == 0`` (steps 0, K, 2K, ...): the ANN input is formed from the
   frames since the ANN's last run, steps ``max(0, t-W+1) .. t`` with ``W`` = the
   ``window`` (default K) (``accumulate``:
   their sum, their mean, or frame ``t`` only; a direct-encoded input is the same
   frame at every step); the ANN graph is evaluated once (exact float64, dense);
2. each binding overwrites its SNN state (``v``, or another state array of the
   neuron kind) with the ANN value, reshaped to the neuron layout: the bound
   state is the SNN's state at the end of step ``t-1``;
3. the SNN step runs as usual (synaptic ops integrate into neurons, neurons
   leak, fire and reset), starting from the overwritten state;
4. counts are taken and the readout accumulates.

Counts (exact integers summed over samples, one entry per step, zero at steps
without an ANN run): per ANN layer its non-zero inputs, its dense MACs and its
non-zero outputs (:class:`~accelsim.engine.trace.LayerCounts`); per binding the
state elements written (``state_writes``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from accelsim.engine.execute import Executor, make_executor
from accelsim.engine.interpret import interpret
from accelsim.engine.lower import Layer, lower
from accelsim.engine.trace import LayerCounts
from accelsim.workload.graph import AnnPart, Binding

ENGINE = "ann"  # the hardware engine that runs the ANN's layers (accelsim.hw.ann)


@dataclass
class AnnTrace:
    """What the ANN part did in one functional run (counts summed over samples, per step)."""

    every: int
    runs: list[int]                      # steps at which the ANN ran
    layers: list[Layer]                  # the ANN's lowered layers (engine "ann"), in topological order
    counts: list[LayerCounts]            # per ANN layer; synaptic_ops are its dense MACs
    bindings: tuple[Binding, ...]
    state_writes: list[np.ndarray]       # per binding: [T] state elements written
    initialisers: frozenset[str]         # ANN layers that are state initialisers

    def macs(self, initialisers: bool) -> int:
        """Dense MACs over the run (all samples) of the initialiser layers, or of the others."""
        return int(sum(c.synaptic_ops.sum() for l, c in zip(self.layers, self.counts)
                       if (l.name in self.initialisers) == initialisers))


def ann_input(x: np.ndarray, t: int, window: int, accumulate: str, per_step_input: bool) -> np.ndarray:
    """The ANN's input at step ``t``: frames ``max(0, t-W+1) .. t`` (``W = window``) summed, averaged,
    or frame ``t`` (``x``: the batch, [N, T, ...] for a sequence, [N, ...] for a direct input)."""
    lo = max(0, t - window + 1)
    if not per_step_input:
        return x * float(t - lo + 1) if accumulate == "sum" else x
    if accumulate == "last":
        return x[:, t]
    frames = x[:, lo:t + 1]
    return frames.sum(axis=1) if accumulate == "sum" else frames.mean(axis=1)


class AnnInitialiser:
    """Runs the ANN part at steps 0, K, 2K, ... and writes its outputs into the SNN's states."""

    def __init__(self, ann: AnnPart, T: int, backend: str, build=make_executor):
        self.ann, self.T = ann, T
        g = ann.graph
        self.execs: dict[str, Executor] = {n.name: build(g, n, backend) for n in g.nodes}
        self.layers = [replace(l, engine=ENGINE) for l in lower(g)]
        self.counts = [LayerCounts.zeros(T) for _ in self.layers]
        self.writes = [np.zeros(T, dtype=np.int64) for _ in ann.bindings]

    def before_step(self, t: int, x: np.ndarray, per_step_input: bool, snn_execs: dict[str, Executor]) -> None:
        """Step 1 and 2 of the module's order, for the batch ``x``."""
        ann = self.ann
        if t % ann.every:
            return
        nb = x.shape[0]
        xin = ann_input(x, t, ann.frames, ann.accumulate, per_step_input)
        vals = interpret(ann.graph, {ann.graph.input.name: xin}, self.execs)
        for layer, cnt in zip(self.layers, self.counts):
            cnt.events_in[t] += int(np.count_nonzero(vals[layer.data_input]))
            cnt.synaptic_ops[t] += layer.macs * nb
            cnt.nonzero_out[t] += int(np.count_nonzero(vals[layer.synapse.output]))
        for b, w in zip(ann.bindings, self.writes):
            ex = snn_execs[b.neuron]
            ex.write_state(b.state, vals[b.value])   # the executor's own state format (float, or fixed point)
            w[t] += ex.state[b.state].size

    def trace(self) -> AnnTrace:
        for layer, cnt in zip(self.layers, self.counts):
            cnt.activity = getattr(self.execs[layer.synapse.name], "activity", None)
        return AnnTrace(self.ann.every, self.ann.runs(self.T), self.layers, self.counts, self.ann.bindings,
                        self.writes, self.ann.initialisers)
