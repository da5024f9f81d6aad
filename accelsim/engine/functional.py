"""Functional simulation of a workload over T time steps.

Order inside a time step (explicit, as in Brian2's schedule): the input for step
t is presented; every node is evaluated in topological order (one pass of
:func:`accelsim.engine.interpret.interpret`: synaptic ops integrate into
neurons, neurons leak/fire/reset); then counts are taken
(:class:`accelsim.engine.counting.StepCounter`: each value read once, its record
shared with the plans that chose the step's kernels) and the readout accumulates. Values that depend only on a direct-encoded input are
computed at step 0 and reused (they are identical at every step); the cost model
decides separately whether the hardware recomputes or holds them.

A recurrent graph (cycles through neurons, ``graph.delayed``) runs in the same
order: the topological order of the graph *without* its delayed edges. A
delayed input (a recurrent synaptic node reading a neuron's output) reads that
neuron's output of step t−1, kept per batch (zeros at t = 0, reset with every
batch), so at step t: the input is presented; the recurrent synapses integrate
the spikes of t−1 and the forward synapses those of t, in topological order,
into their neurons' currents; the neurons update and fire; the step's spikes
are kept for step t+1. A recurrent layer's counts at step t (events in, synaptic
ops = spikes of t−1 x fan-out) are those of the spikes it reads at t. A
recurrent path is never static (it passes through a neuron). Few-spikes
(graded) neurons and a hybrid's ANN part are refused in a recurrent graph.

Samples run in batches; every sample is independent, so results do not depend
on the batch size.
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional

import numba
import numpy as np

from accelsim.engine.counting import StepCounter
from accelsim.engine.execute import Executor, make_executor
from accelsim.engine.hybrid import AnnInitialiser
from accelsim.engine.interpret import interpret
from accelsim.engine.lower import Layer, lower, static_values
from accelsim.engine.phases import max_phases, phase_values, phased_values
from accelsim.engine.trace import Trace
from accelsim.errors import fail
from accelsim.util.mathx import cdiv
from accelsim.workload.graph import Graph, Node, Samples

# probe(layer, t, sample_offset, inputs, outputs): sees every layer's batch each step
Probe = Callable[[Layer, int, int, np.ndarray, np.ndarray], None]
# executors(graph, node, backend) -> the node's executor
ExecutorFactory = Callable[[Graph, Node, str], Executor]

BATCH_BYTES = 512 * 2**20   # the most a batch's values may hold (3 float64 copies of every value per sample)
TOUCH_BYTES = 192 * 2**20   # what a batch's values should hold: memory a batch touches is written fresh at
                            # its first use in a process (page faults, ~2 ms/MB on the project machine,
                            # docs/performance.md); hsi_hybrid's first pass took 0.5-0.8 s less CPU in
                            # batches of 6-12 samples than of 19 + 5 (the same in later passes)


def _batch_size(graph: Graph, n: int) -> int:
    """Samples per batch for ``n`` samples: values of at most :data:`TOUCH_BYTES` per batch, but at
    least one sample per numba thread (the neuron and scatter kernels run a batch's samples on the
    threads) and never beyond :data:`BATCH_BYTES`; the batches split ``n`` evenly (24 samples in
    at most 7 per batch run as 4 x 6, not 7 + 7 + 7 + 3). Results do not depend on it."""
    per_sample = 8 * 3 * sum(int(np.prod(s)) for s in graph.shapes.values())
    if graph.ann is not None:  # a hybrid's ANN values live during its runs too
        per_sample += 8 * 3 * sum(int(np.prod(s)) for s in graph.ann.graph.shapes.values())
    per_sample = max(per_sample, 1)
    most = min(max(TOUCH_BYTES // per_sample, numba.get_num_threads()), BATCH_BYTES // per_sample)
    most = int(max(1, min(n, most)))
    batches = cdiv(n, most) if n else 1
    return max(1, cdiv(n, batches))


def _check_recurrent(graph: Graph) -> None:
    """What a recurrent graph may not combine with (an InputError naming the node)."""
    if not graph.recurrent:
        return
    for n in graph.nodes:
        if n.kind == "neuron" and n.spec.neuron.graded:
            raise fail(graph.source, f"nodes[{n.index}]", f"{n.op} '{n.name}': few-spikes (graded) neurons are not "
                       "supported in a recurrent graph (its phases would re-run the cycle); use a spiking neuron", n.op)
    if graph.ann is not None:
        raise fail(graph.source, "ann", "a hybrid ANN part is not supported in a recurrent graph (cycles through "
                   f"{', '.join(graph.delayed_values)})")


def simulate(graph: Graph, samples: Samples, backend: str = "numba", batch_size: Optional[int] = None,
             probes: Iterable[Probe] = (), progress: Optional[Callable[[int], None]] = None,
             layers: Optional[list[Layer]] = None, executors: Optional[ExecutorFactory] = None,
             first_sample: int = 0) -> Trace:
    """Run ``samples`` through ``graph`` for ``graph.timesteps`` steps; return the trace.

    ``layers``: the lowered layers (default ``lower(graph)``; the hardware engines assign
    theirs, :func:`accelsim.hw.engines.assign`). ``executors(graph, node, backend)``: builds
    every node's executor (the hardware numerics of each engine, e.g.
    :class:`accelsim.hw.engines.HardwareNumerics`); a synaptic executor with an ``activity``
    attribute has it stored in its layer's counts, a neuron executor with ``take_overflows()``
    (fixed-point states) its overflow events per step. Default: exact float64 for every node.
    ``first_sample``: the global index of ``samples``' first sample when they are a shard of a
    larger run (:mod:`accelsim.shards`; per-sample random numbers are keyed by it).
    """
    T = graph.timesteps
    N = len(samples)
    _check_recurrent(graph)
    layers = lower(graph) if layers is None else layers
    per_step_input = samples.x.ndim == len(graph.input.shape) + 2
    static = static_values(graph) if not per_step_input else set()
    build = executors or make_executor
    execs = {n.name: build(graph, n, backend) for n in graph.nodes}
    phased = phased_values(graph)
    K = max_phases(graph) if phased else 1
    for n in graph.nodes:  # the phases re-run the nodes after a graded neuron: a stateful one would step K times
        if n.output in phased and n.kind != "neuron" and execs[n.name].stateful:
            raise fail(graph.source, f"nodes[{n.index}]", f"{n.op} '{n.name}' keeps state across steps and cannot "
                       "follow a few-spikes (graded) neuron; use MaxPool (exact on the binary code)", n.op)
    probes = list(probes)
    ncls = graph.num_classes
    scores_all = np.zeros((N, ncls))
    correct = np.zeros(T, dtype=np.int64) if samples.y is not None else None
    B = batch_size or _batch_size(graph, N)
    readout = graph.readout
    hybrid = AnnInitialiser(graph.ann, T, backend, build) if graph.ann is not None else None  # engine/hybrid.py
    for e in list(execs.values()) + (list(hybrid.execs.values()) if hybrid is not None else []):
        if callable(getattr(e, "start", None)):   # executors of plug-ins need not subclass Executor
            e.start(first_sample)

    counter = StepCounter(graph, layers, execs, static, phased, K, N, probes, first_sample)
    with counter.sharing():
        for start in range(0, N, B):
            xb = samples.x[start:start + B]
            nb = xb.shape[0]
            for e in execs.values():
                e.reset(nb)
            cache: dict[str, np.ndarray] = {}
            scores = np.zeros((nb, ncls))
            counter.start_batch(start)
            prev = {v: np.zeros((nb,) + graph.shapes[v]) for v in graph.delayed_values}  # step t-1's values
            for t in range(T):
                if hybrid is not None:  # the ANN's state writes come before the step's SNN update
                    hybrid.before_step(t, xb, per_step_input, execs)
                before = counter.before.take()
                # a step of a sequence input as one contiguous array: every reader shares its one statistics record
                step_in = np.ascontiguousarray(xb[:, t]) if per_step_input else xb
                vals = interpret(graph, {graph.input.name: step_in}, execs, cache, static,
                                 delayed=prev)
                phases = [phase_values(graph, execs, vals, phased, k) for k in range(K)] if phased else []
                counter.step(t, vals, prev, before, phases)
                prev = {v: np.array(vals[v], copy=True) for v in prev}
                scores += vals[readout.output].reshape(nb, -1)
                if correct is not None:
                    correct[t] += int(np.sum(np.argmax(scores, axis=1) == samples.y[start:start + nb]))
            scores_all[start:start + nb] = scores
            if progress is not None:
                progress(nb)

    counts = counter.counts
    for layer, cnt in zip(layers, counts):
        cnt.activity = getattr(execs[layer.synapse.name], "activity", None)
    static_layers = frozenset(l.name for l in layers if l.synapse.output in static)
    return Trace(
        workload=graph.name, samples=N, timesteps=T, layers=layers, counts=counts, static_layers=static_layers,
        scores=scores_all, predictions=np.argmax(scores_all, axis=1), labels=samples.y, correct_by_step=correct,
        addresses=counter.addresses,
        meta={"backend": backend, "per_step_input": per_step_input, "phases": K},
        ann=hybrid.trace() if hybrid is not None else None,
    )
