"""What the functional pass counts at every step (:class:`StepCounter`), from the step's values.

Per layer and step: the events into its synaptic node (non-zero inputs, or for a few-spikes
input the spikes of every phase) per input element and in total, the samples whose input held
a value other than 0, 1, -1, synaptic ops (events x fan-out), non-zero outputs, spikes per neuron
and in total, the neurons that received a non-zero input, membrane updates (NeuroBench's count),
pooling and add work, fixed-point overflow events. Each value is read once per step
(:class:`accelsim.kernels.events.StepStats`): the record its first reader computes (often the
next layer's plan choosing its kernel) serves every count. A recurrent layer's input at step t
is its source's output of step t-1. The counts are exact integers, independent of the batch
split.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

import numpy as np

from accelsim.engine.execute import ConvExec, DenseExec
from accelsim.engine.lower import Layer, pool_window
from accelsim.engine.phases import event_counts
from accelsim.engine.trace import AddressCounts, LayerCounts, count_dtype
from accelsim.kernels.events import StepStats, add_counts, changed_and_kept
from accelsim.neurons.base import NeuronKind
from accelsim.workload.graph import Graph

POOLS = ("AveragePool", "MaxPool", "SpikeMaxPool")


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

    def updates(self, name: str, u: np.ndarray, t: int) -> int:
        """Step ``t``'s count for layer ``name`` whose membrane is ``u`` (kept for step t + 1)."""
        last = self._last.get(name)
        if t > 0 and last is not None and last.shape == u.shape and last.dtype == u.dtype:
            return changed_and_kept(u, last)
        n = int(u.size) if t == 0 or last is None or last.shape != u.shape else int(np.count_nonzero(u != last))
        if last is None or last.shape != u.shape or last.dtype != u.dtype:
            last = self._last[name] = np.empty(u.shape, u.dtype)
        np.copyto(last, u)
        return n


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


def aux_fanout(graph: Graph, layer: Layer) -> list[tuple[str, str, Optional[np.ndarray], str]]:
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


class StepCounter:
    """The counts of one run (:class:`~accelsim.engine.trace.LayerCounts` and per-address
    :class:`~accelsim.engine.trace.AddressCounts` per layer), taken layer by layer after each step
    (:meth:`step`): events in, synaptic ops, non-binary inputs, non-zero outputs, spikes, membrane
    updates, neurons with a non-zero input, pooling and add work, fixed-point overflows.

    ``stats`` holds the step's value statistics; :meth:`sharing` hands it to the Conv and dense
    executors for the run, so their plans and the counts read one record per value and step."""

    def __init__(self, graph: Graph, layers: list[Layer], execs: dict, static: set[str], phased: frozenset[str],
                 K: int, N: int, probes: list, first_sample: int):
        T = graph.timesteps
        self.layers, self.execs, self.phased, self.probes = layers, execs, phased, probes
        self.first_sample = first_sample
        self.counts = [LayerCounts.zeros(T) for _ in layers]
        cdt = count_dtype(N * K)  # a graded neuron spikes up to K times per step
        self.addresses = [AddressCounts(np.zeros((T, int(np.prod(l.in_shape))), cdt),
                                        np.zeros((T, l.neurons), cdt) if l.spiking else None,
                                        np.zeros((T, l.neurons), cdt) if l.spiking else None) for l in layers]
        self.aux = [aux_fanout(graph, layer) for layer in layers]
        # layers whose input is the same at every step: its counts are taken once per batch
        self.held_input = {l.name for l in layers if l.data_input in static and l.data_input not in phased
                           and not l.recurrent}
        producer = {n.output: n for n in graph.nodes}
        self.spike_fed = {l.name for l in layers if l.data_input in producer and producer[l.data_input].kind == "neuron"
                          and producer[l.data_input].spec.spiking and not producer[l.data_input].spec.neuron.graded}
        # neuron executors that count fixed-point overflow events (take_overflows(): events since the last call)
        self.overflowing = [execs[l.neuron.name] if l.neuron is not None
                            and hasattr(execs[l.neuron.name], "take_overflows") else None for l in layers]
        for cnt, ex in zip(self.counts, self.overflowing):
            if ex is not None:
                cnt.overflows = np.zeros(T, dtype=np.int64)
        for layer, cnt in zip(layers, self.counts):   # membranes NeuroBench's way: float64 neurons with a threshold
            if layer.spiking and not (_replayable(execs[layer.neuron.name]) or _derives(execs[layer.neuron.name])):
                cnt.membrane_updates = None
        # spiking layers whose membranes are taken by replaying their step from a copy of the state before it
        self.before = _Before([(l.name, execs[l.neuron.name]) for l in layers if l.spiking
                               and _replayable(execs[l.neuron.name]) and not _derives(execs[l.neuron.name])])
        self.membranes = _Membranes()
        self.stats = StepStats()   # each value's events, non-zeros and grain: one pass per value and step
        self.held: dict[str, tuple] = {}
        self.start = 0

    @contextmanager
    def sharing(self) -> Iterator[None]:
        """The Conv and dense executors read :attr:`stats` within the block (their plans' input
        statistics); the records are dropped and the executors detached after it."""
        shared = [e for e in self.execs.values() if isinstance(e, (ConvExec, DenseExec))]
        for e in shared:
            e.stats = self.stats
        try:
            yield
        finally:   # the records name arrays of this run only
            self.stats.clear()
            for e in shared:
                e.stats = None

    def start_batch(self, start: int) -> None:
        self.held = {}    # layer -> its input's counts (inputs the same at every step of the batch)
        self.start = start

    def step(self, t: int, vals: dict, prev: dict, before: dict, phases: list) -> None:
        """Count step ``t`` from its values ``vals`` (and ``prev``, the previous step's values that
        recurrent layers read; ``before``: :meth:`_Before.take` of the step; ``phases``: the values
        of each few-spikes phase), then forget the step's value statistics."""
        events = _StepEvents(self.stats, vals, phases, self.phased)
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
        for cnt, ex in zip(self.counts, self.overflowing):
            if ex is not None:
                cnt.overflows[t] += ex.take_overflows()
        self.stats.clear()

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
