"""Functional simulation of a workload over T time steps.

Order inside a time step (explicit, as in Brian2's schedule): the input for step
t is presented; every node is evaluated in topological order (one pass of
:func:`accelsim.engine.interpret.interpret`: synaptic ops integrate into
neurons, neurons leak/fire/reset); then counts are taken and the
readout accumulates. Values that depend only on a direct-encoded input are
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

import numpy as np

from accelsim.engine.execute import ConvExec, DenseExec, Executor, make_executor
from accelsim.engine.hybrid import AnnInitialiser
from accelsim.engine.interpret import interpret
from accelsim.engine.lower import Layer, lower, pool_window, static_values
from accelsim.engine.phases import event_counts, max_phases, phase_values, phased_values
from accelsim.engine.trace import AddressCounts, LayerCounts, Trace, count_dtype
from accelsim.errors import fail
from accelsim.kernels.events import StepStats, add_counts, changed_and_kept
from accelsim.neurons.base import NeuronKind
from accelsim.workload.graph import Graph, Node, Samples

# probe(layer, t, sample_offset, inputs, outputs): sees every layer's batch each step
Probe = Callable[[Layer, int, int, np.ndarray, np.ndarray], None]
# executors(graph, node, backend) -> the node's executor
ExecutorFactory = Callable[[Graph, Node, str], Executor]

BATCH_BYTES = 512 * 2**20
POOLS = ("AveragePool", "MaxPool", "SpikeMaxPool")


def _batch_size(graph: Graph, n: int) -> int:
    per_sample = 8 * 3 * sum(int(np.prod(s)) for s in graph.shapes.values())
    if graph.ann is not None:  # a hybrid's ANN values live during its runs too
        per_sample += 8 * 3 * sum(int(np.prod(s)) for s in graph.ann.graph.shapes.values())
    return int(max(1, min(n, BATCH_BYTES // max(per_sample, 1))))


def _replayable(ex) -> bool:
    """Whether a neuron executor can replay its step without firing (:meth:`integrated`)."""
    return callable(getattr(ex, "integrated", None)) and isinstance(getattr(ex, "state", None), dict) \
        and not ex.kind.graded


class _Before:
    """The state of every replayable spiking layer's neurons before a step: a copy of the arrays
    its replay writes (``replay_writes``, default all), the others handed over as they are. The
    copies are kept per layer and overwritten at the next step (the replay's result is taken
    into :class:`_Membranes` before then)."""

    def __init__(self, replayable: list[tuple[str, object]]):
        self.replayable = replayable
        self._bufs: dict[tuple[str, str], np.ndarray] = {}

    def take(self) -> dict[str, dict]:
        out = {}
        for name, ex in self.replayable:
            writes = getattr(ex, "replay_writes", None)
            out[name] = {k: self._copy(name, k, v) if writes is None or k in writes else v
                         for k, v in ex.state.items()}
        return out

    def _copy(self, name: str, key: str, v: np.ndarray) -> np.ndarray:
        buf = self._bufs.get((name, key))
        if buf is None or buf.shape != v.shape or buf.dtype != v.dtype:
            buf = self._bufs[(name, key)] = np.empty_like(v)
        np.copyto(buf, v)
        return buf


def _derives(ex) -> bool:
    """Whether a neuron executor gives its last step's membrane before reset from the step's own
    results (``membrane_before_reset()``, exact: e.g. integer states with a subtracting reset), so
    its step need not be replayed."""
    return bool(getattr(ex, "derives_membrane", False))


def _integrated(ex, state: Optional[dict], current: np.ndarray) -> Optional[np.ndarray]:
    """The membrane after the step's input, before any reset (see ``NeuronExec.integrated``)."""
    if _derives(ex):
        return ex.membrane_before_reset()
    return None if state is None else ex.integrated(state, current)


class _Membranes:
    """NeuroBench's MembraneUpdates per layer and step: every neuron at the first step of a batch,
    then those whose membrane (before reset) changed since the step before. Each layer's last
    membrane is kept in a buffer of its own (reused across steps and batches), compared and
    overwritten in one pass (:func:`accelsim.kernels.events.changed_and_kept`), so the membrane
    an executor returns may be a buffer it reuses."""

    def __init__(self):
        self._last: dict[str, np.ndarray] = {}
        self._fresh: set[str] = set()

    def start_batch(self) -> None:
        self._fresh = set(self._last)

    def updates(self, name: str, u: np.ndarray, t: int) -> int:
        last = self._last.get(name)
        if t == 0 or last is None or name in self._fresh or last.shape != u.shape or last.dtype != u.dtype:
            if last is None or last.shape != u.shape or last.dtype != u.dtype:
                last = self._last[name] = np.empty(u.shape, u.dtype)
            np.copyto(last, u)
            self._fresh.discard(name)
            return int(u.size)
        return changed_and_kept(u, last)


def _counts_nonzeros(kind) -> bool:
    """Whether a neuron kind's spikes per neuron are its output's non-zeros (the default
    ``spike_counts``): then they come from the output's shared statistics."""
    return getattr(getattr(kind, "spike_counts", None), "__func__", None) is NeuronKind.spike_counts.__func__


class _StepEvents:
    """The events of every value of one step, each computed once and shared by every count: from the
    value's :class:`~accelsim.kernels.events.ValueStats` (``stats``), or summed over the phases for
    a value that carries few-spikes phases (:func:`accelsim.engine.phases.event_counts`)."""

    def __init__(self, stats: StepStats, vals: dict, phases: list, phased: frozenset[str]):
        self.stats, self.vals, self.phases, self.phased = stats, vals, phases, phased
        self._phased: dict[str, tuple[np.ndarray, int]] = {}

    def of(self, value: str, source: Optional[dict] = None) -> tuple[np.ndarray, int]:
        """(events per element summed over the batch, int64 [elements]; events) of ``value`` in
        ``source`` (default the step's values; a recurrent layer's: the previous step's)."""
        source = self.vals if source is None else source
        if self.phases and value in self.phased and source is self.vals:
            if value not in self._phased:
                m = event_counts(value, self.vals, self.phases, self.phased)
                self._phased[value] = (m.sum(axis=0, dtype=np.int64), int(m.sum()))
            return self._phased[value]
        st = self.stats.of(source[value])
        return st.col, st.nnz


def _input_counts(layer: Layer, xin: np.ndarray, ev: tuple[np.ndarray, int], look: bool,
                  stats: StepStats) -> tuple:
    """(events per input element, int64, events, samples with a non-binary input, synaptic ops) of
    one step's input ``xin`` (``ev``: its events, :meth:`_StepEvents.of`); ``look``: check for
    values other than 0, 1, -1 (spikes are 0 or 1: no need to look)."""
    per_input, events = ev
    nonbinary = stats.of(xin).nonbinary if look else 0
    return per_input, events, nonbinary, int(per_input @ layer.fanout)


def _aux_fanout(graph: Graph, layer: Layer) -> list[tuple[str, str, Optional[np.ndarray], str]]:
    """(input value, op, fan-out per input element, output value) for the layer's pooling and add nodes."""
    out = []
    for node in layer.aux:
        if node.op in POOLS:
            win = pool_window(graph, node)
            c = graph.shapes[node.inputs[0]][0]
            out.append((node.inputs[0], node.op, np.tile(win.spatial_fanout().reshape(-1), c), node.output))
        elif node.op == "Add":
            for v in graph.value_inputs(node):
                out.append((v, "Add", None, node.output))
    return out


def _count_aux(cnt: LayerCounts, t: int, vals: dict, aux: list, events: _StepEvents) -> None:
    """Step ``t``'s pooling and add work of one layer (see :mod:`accelsim.hw.core.cost`);
    ``events``: the step's events per value.

    Per input event: an ``Add`` one operation; a pool one per window the element is in
    (its fan-out: an add for AveragePool, a compare for MaxPool and SpikeMaxPool). A
    SpikeMaxPool also increments the element's counter (one operation, one state word read
    and written) and reads each window's maximum it is compared with; each window whose
    maximum grew (a non-zero output) writes it back.
    """
    for value, op, fan, output in aux:
        per_element, n = events.of(value)
        if fan is None:
            cnt.aux_ops[t] += n
            continue
        compares = int(per_element @ fan)
        cnt.aux_ops[t] += compares
        if op == "SpikeMaxPool":
            cnt.aux_ops[t] += n
            cnt.state_reads[t] += n + compares
            cnt.state_writes[t] += n + events.stats.of(vals[output]).nnz


class _Counter:
    """The counts of one run, taken layer by layer after each step (:meth:`step`): events in,
    synaptic ops, non-binary inputs, non-zero outputs, spikes, membrane updates, per-address counts,
    pooling and add work."""

    def __init__(self, layers: list[Layer], counts: list[LayerCounts], addresses: list[AddressCounts], aux: list,
                 execs: dict, spike_fed: set[str], held_input: set[str], probes: list, first_sample: int):
        self.layers, self.counts, self.addresses, self.aux = layers, counts, addresses, aux
        self.execs, self.spike_fed, self.held_input, self.probes = execs, spike_fed, held_input, probes
        self.first_sample = first_sample
        # spiking layers whose membranes are taken by replaying their step from a copy of the state before it
        self.before = _Before([(l.name, execs[l.neuron.name]) for l in layers if l.spiking
                               and _replayable(execs[l.neuron.name]) and not _derives(execs[l.neuron.name])])
        self.membranes = _Membranes()
        self.held: dict[str, tuple] = {}
        self.start = 0

    def start_batch(self, start: int) -> None:
        self.held = {}    # layer -> its input's counts (inputs the same at every step of the batch)
        self.start = start
        self.membranes.start_batch()

    def step(self, t: int, vals: dict, prev: dict, before: dict, events: _StepEvents) -> None:
        for layer, cnt, ax, adr in zip(self.layers, self.counts, self.aux, self.addresses):
            xin = (prev if layer.recurrent else vals)[layer.data_input]   # a recurrent layer reads the spikes of t-1
            taken = self.held.get(layer.name)
            if taken is None:
                ev = events.of(layer.data_input, prev if layer.recurrent else None)
                taken = _input_counts(layer, xin, ev, layer.name not in self.spike_fed, events.stats)
                if layer.name in self.held_input:   # kept beyond the step: a copy of the shared counts
                    taken = (taken[0].copy(),) + taken[1:]
                    self.held[layer.name] = taken
            per_input, n_events, nonbinary, synops = taken
            add_counts(adr.by_input[t], per_input)
            cnt.events_in[t] += n_events
            cnt.nonbinary_inputs[t] += nonbinary
            cnt.synaptic_ops[t] += synops
            yout = vals[layer.neuron.output if layer.neuron is not None else layer.synapse.output]
            cnt.nonzero_out[t] += events.stats.of(yout).nnz
            if layer.spiking:
                self._neurons(layer, cnt, adr, t, vals, before, events.stats, yout)
            _count_aux(cnt, t, vals, ax, events)
            for probe in self.probes:
                probe(layer, t, self.first_sample + self.start, xin, yout)

    def _neurons(self, layer: Layer, cnt: LayerCounts, adr: AddressCounts, t: int, vals: dict, before: dict,
                 stats: StepStats, yout: np.ndarray) -> None:
        """A spiking layer's membrane updates, spikes (per neuron) and neurons with a non-zero input."""
        ex = self.execs[layer.neuron.name]
        current = vals[layer.neuron.inputs[0]]
        if cnt.membrane_updates is not None:
            u = _integrated(ex, before.get(layer.name), current)
            if u is None:
                cnt.membrane_updates = None   # not defined for this neuron (no threshold)
            else:
                cnt.membrane_updates[t] += self.membranes.updates(layer.name, u, t)
        if _counts_nonzeros(ex.kind):
            st = stats.of(yout)
            per_neuron, spikes = st.col, st.nnz
        else:   # a kind that counts its own spikes (few-spikes: several per step)
            per_neuron = ex.kind.spike_counts(ex.state, yout.reshape(yout.shape[0], -1)).sum(axis=0, dtype=np.int64)
            spikes = int(per_neuron.sum())
        cnt.spikes_out[t] += spikes
        add_counts(adr.by_neuron[t], per_neuron)
        add_counts(adr.active_by_neuron[t], stats.of(current).col)


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
    counts = [LayerCounts.zeros(T) for _ in layers]
    phased = phased_values(graph)
    K = max_phases(graph) if phased else 1
    for n in graph.nodes:  # the phases re-run the nodes after a graded neuron: a stateful one would step K times
        if n.output in phased and n.kind != "neuron" and execs[n.name].stateful:
            raise fail(graph.source, f"nodes[{n.index}]", f"{n.op} '{n.name}' keeps state across steps and cannot "
                       "follow a few-spikes (graded) neuron; use MaxPool (exact on the binary code)", n.op)
    cdt = count_dtype(N * K)  # a graded neuron spikes up to K times per step
    # layers whose input is the same at every step: its counts are taken once per batch
    held_input = {l.name for l in layers if l.data_input in static and l.data_input not in phased and not l.recurrent}
    addresses = [AddressCounts(np.zeros((T, int(np.prod(l.in_shape))), cdt),
                               np.zeros((T, l.neurons), cdt) if l.spiking else None,
                               np.zeros((T, l.neurons), cdt) if l.spiking else None) for l in layers]
    aux = [_aux_fanout(graph, layer) for layer in layers]
    producer = {n.output: n for n in graph.nodes}
    spike_fed = {l.name for l in layers if l.data_input in producer and producer[l.data_input].kind == "neuron"
                 and producer[l.data_input].spec.spiking and not producer[l.data_input].spec.neuron.graded}
    # neuron executors that count fixed-point overflow events (take_overflows(): events since the last call)
    counting = [execs[l.neuron.name] if l.neuron is not None and hasattr(execs[l.neuron.name], "take_overflows")
                else None for l in layers]
    for cnt, ex in zip(counts, counting):
        if ex is not None:
            cnt.overflows = np.zeros(T, dtype=np.int64)
    for layer, cnt in zip(layers, counts):   # membranes NeuroBench's way: float64 neurons with a threshold
        if layer.spiking and not (_replayable(execs[layer.neuron.name]) or _derives(execs[layer.neuron.name])):
            cnt.membrane_updates = None
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

    stats = StepStats()   # each value's events, non-zeros and grain: one pass per value and step
    shared = [e for e in execs.values() if isinstance(e, (ConvExec, DenseExec))]
    for e in shared:
        e.stats = stats
    counter = _Counter(layers, counts, addresses, aux, execs, spike_fed, held_input, probes, first_sample)
    try:
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
                vals = interpret(graph, {graph.input.name: xb[:, t] if per_step_input else xb}, execs, cache, static,
                                 delayed=prev)
                phases = [phase_values(graph, execs, vals, phased, k) for k in range(K)] if phased else []
                counter.step(t, vals, prev, before, _StepEvents(stats, vals, phases, phased))
                for cnt, ex in zip(counts, counting):
                    if ex is not None:
                        cnt.overflows[t] += ex.take_overflows()
                prev = {v: np.array(vals[v], copy=True) for v in prev}
                scores += vals[readout.output].reshape(nb, -1)
                if correct is not None:
                    correct[t] += int(np.sum(np.argmax(scores, axis=1) == samples.y[start:start + nb]))
                stats.clear()
            scores_all[start:start + nb] = scores
            if progress is not None:
                progress(nb)
    finally:   # the records name arrays of this run only
        stats.clear()
        for e in shared:
            e.stats = None

    for layer, cnt in zip(layers, counts):
        cnt.activity = getattr(execs[layer.synapse.name], "activity", None)
    static_layers = frozenset(l.name for l in layers if l.synapse.output in static)
    return Trace(
        workload=graph.name, samples=N, timesteps=T, layers=layers, counts=counts, static_layers=static_layers,
        scores=scores_all, predictions=np.argmax(scores_all, axis=1), labels=samples.y, correct_by_step=correct,
        addresses=addresses,
        meta={"backend": backend, "per_step_input": per_step_input, "phases": K},
        ann=hybrid.trace() if hybrid is not None else None,
    )
