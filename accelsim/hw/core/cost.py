"""Cost of one layer on the event-driven digital spike cores: counts per core, energy, task cycles.

:func:`route_layer` turns the trace's per-address spike counts into exact
per-core, per-step action counts (summed over samples) under a mapping;
:func:`spike_layer_cost` prices them and sizes the per-(step, core) tasks the
timing model schedules. All counts are integers summed over the ``N`` samples;
energies are per inference (``/ N``), task cycles use the per-inference average
rounded up (``ceil(count / (N * width))``).

Per core ``d`` and step ``t`` (``lanes`` accumulators, ``ports`` per SRAM,
``wpw`` weights per ``sram_word_bits`` word, ``vpw`` membranes per Vmem word):

    synaptic cycles = max(ceil(ops / lanes), ceil(weight_words / ports),
                          ceil(2 * vmem_words / ports), events_received)
    pooling/add cycles = max(ceil(aux_ops / (lanes * cores owning neurons)),
                             ceil((state_reads + state_writes) / (ports * cores owning neurons)))
    neuron cycles   = phases * max(ceil(n_d / lanes) * update_cycles,
                                   ceil(2 * state_words * ceil(n_d / vpw) / ports))   (spiking layers)
    task cycles     = synaptic + pooling + neuron + task_overhead_cycles
                      (only for cores that own neurons or receive events)

with the neuron kind's hooks (:mod:`accelsim.neurons`): ``phases`` updates per
neuron and step, ``update_cycles`` per update per lane (default
``core.neuron_update_cycles``), ``state_words`` Vmem words per neuron.

Energies (pJ): weight words x word read (or x word bits x DRAM pJ/bit when the
layer is streamed); Vmem words x (read + write) for synaptic updates and
``state_words * ceil(n_d / vpw)`` words per neuron update; ops (+ pooling/add ops) x a
``vmem_bits`` add; per neuron update the kind's ``update_adds`` ``vmem_bits`` adds and
``update_mults`` multiplies (IF: a compare; LIF: a compare and a leak multiply;
CubaLIF: 4 and 4), ``phases`` updates per neuron and step (plus, once per step, the add
of the first layer's input current, which arrives as one value per neuron and step),
a subtract per spike; one FIFO write + read per event
received (input FIFO) and per packet sent (output FIFO); per packet of
``ceil(fifo_word_bits / flit_bits)`` flits, flit bits x (router traversals x
router pJ/bit + links x link_mm x link pJ/bit/mm).

Pooling and residual adds (``aux_ops``, counted by :mod:`accelsim.engine.functional`):
per event an ``Add`` costs one add, a pool one add or compare per window the event is
in. A spiking max-pool (``SpikeMaxPool``) keeps a ``vmem_bits`` counter per input
element and a running maximum per window in the Vmem SRAM: per input event it
increments the counter (one add, one word read and written) and compares it with the
maximum of each window it is in (one compare and one word read each); a window whose
maximum grew writes it back and emits the output event. Its state words are charged at
the Vmem SRAM's read/write energy (``core.pool_state``, present for layers with such a
pool) and limit the pooling cycles through the SRAM ports; ``cost_details`` reports
``pool_state_words`` per sample (counters + maxima).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from accelsim.config.arch import CoreConfig, NocConfig
from accelsim.engine.lower import Layer
from accelsim.engine.trace import AddressCounts, LayerCounts
from accelsim.hw.core.mapping import LayerMap
from accelsim.hw.core.routes import EventClasses, class_histogram
from accelsim.hw.memory import Dram, Sram, fifo_kib
from accelsim.hw.result import LayerCost
from accelsim.tech.table import TechTable
from accelsim.util.mathx import cdiv


@dataclass(frozen=True)
class CoreActivity:
    """Exact action counts of one layer, summed over samples; arrays are [T, cores] unless noted."""

    received: np.ndarray        # events delivered to the core (input FIFO pushes)
    sent: np.ndarray            # packets injected by the core for this layer's inputs (output FIFO pushes)
    ops: np.ndarray             # synaptic accumulations
    weight_words: np.ndarray    # weight-SRAM words read
    vmem_words: np.ndarray      # Vmem words read-modify-written by synaptic updates
    spikes: np.ndarray          # spikes fired by the core's neurons of this layer
    link_flits: np.ndarray      # [T, links] flits crossing each link
    router_flits: np.ndarray    # [T] router traversals x flits
    depth: np.ndarray           # [T] hops to the farthest destination of any packet at that step
    neurons: np.ndarray         # [cores] neurons of the layer per core (per sample)
    events: np.ndarray          # [T] events (input elements with a count), summed over samples
    reach: Optional[np.ndarray] = None     # [T, mesh_x] per east-west distance, the largest north-south
                                           # distance of any destination of that step's packets (-1: none)


def route_layer(layer: Layer, adr: AddressCounts, lmap: LayerMap, classes: Optional[EventClasses],
                flits_per_packet: int, links: int) -> CoreActivity:
    """Route ``layer``'s recorded events through its event classes (None: no routed input, the first layer)."""
    T = adr.by_input.shape[0]
    k = lmap.cores
    if lmap.neuron_owner.size and adr.by_neuron is not None:
        spikes = class_histogram(adr.by_neuron, lmap.neuron_owner, k)
    else:
        spikes = np.zeros((T, k), dtype=np.int64)
    neurons = lmap.neurons_per_core if layer.spiking else np.zeros(k, dtype=np.int64)
    if classes is None:
        z, zt = np.zeros((T, k), dtype=np.int64), np.zeros(T, np.int64)
        return CoreActivity(z, z, z, z, z, spikes, np.zeros((T, links), np.int64), zt, zt, neurons, zt)
    h = class_histogram(adr.by_input, classes.of_element, classes.count)
    onehot = np.zeros((classes.count, k), dtype=np.int64)
    onehot[np.arange(classes.count), classes.src] = 1
    depth = np.where(h > 0, classes.depth[None, :], 0).max(axis=1, initial=0)
    reach = np.stack([classes.reach[h[t] > 0].max(axis=0, initial=-1) for t in range(T)])
    return CoreActivity(
        received=h @ classes.recv, sent=h @ onehot, ops=h @ classes.ops, weight_words=h @ classes.weight_words,
        vmem_words=h @ classes.vmem_words, spikes=spikes, link_flits=(h @ classes.links) * flits_per_packet,
        router_flits=(h @ classes.routers) * flits_per_packet, depth=depth, neurons=neurons,
        events=h.sum(axis=1), reach=reach)


def active_updates(layer: Layer, adr: AddressCounts, lmap: LayerMap) -> np.ndarray:
    """[T, cores]: neuron-steps with a non-zero synaptic input per core, summed over samples (the
    per-event model's active updates; zeros for a non-spiking layer)."""
    T, k = adr.by_input.shape[0], lmap.cores
    if not layer.spiking or not lmap.neuron_owner.size:
        return np.zeros((T, k), dtype=np.int64)
    if adr.active_by_neuron is None:
        raise ValueError(f"layer {layer.name}: the trace has no active-neuron counts")
    return class_histogram(adr.active_by_neuron, lmap.neuron_owner, k)


def _details(act: CoreActivity, N: int, wwords: int, update_words: int, updates: int, cycles: np.ndarray,
             streamed: bool) -> dict:
    """The layer's figures on the cores per inference (the report's ``cost_details``)."""
    n_d = act.neurons
    return {
        "synaptic_ops": float(act.ops.sum() / N),
        "events_routed": float(act.events.sum() / N),
        "events_received": float(act.received.sum() / N),
        "packets_sent": float(act.sent.sum() / N),
        "spikes_emitted": float(act.spikes.sum() / N),
        "weight_words_read": float(wwords / N),
        "vmem_words_rmw": float(act.vmem_words.sum() / N + update_words),
        "neuron_updates": updates,
        "noc_link_flits": float(act.link_flits.sum() / N),
        "noc_router_flits": float(act.router_flits.sum() / N),
        "core_cycles": float(cycles.sum()),
        "weights_from": "dram" if streamed else "sram",
        "per_core": {  # per inference, one entry per core: load balance and traffic of the mapping
            "neurons": n_d.tolist(),
            "events_received": (act.received.sum(axis=0) / N).tolist(),
            "packets_sent": (act.sent.sum(axis=0) / N).tolist(),
            "synaptic_ops": (act.ops.sum(axis=0) / N).tolist(),
            "spikes": (act.spikes.sum(axis=0) / N).tolist(),
            "task_cycles": cycles.sum(axis=0).tolist(),
        },
    }


def spike_layer_cost(tech: TechTable, core: CoreConfig, noc: NocConfig, dram: Dram, layer: Layer,
                     counts: LayerCounts, act: CoreActivity, N: int, T: int, streamed: bool = False,
                     integrate_input: bool = False) -> tuple[LayerCost, np.ndarray, np.ndarray]:
    """Energy of ``layer`` on the cores per inference, plus task cycles [T, cores] and DRAM bits [T, cores].

    ``integrate_input``: the synaptic input arrives as one value per neuron and step (the
    first layer's PIM/digital result), added into the membrane during the neuron update.
    """
    word = core.sram_word_bits
    vpw = core.vmem_word // core.vmem_bits
    wsram = Sram(core.weight_sram_kib, word, core.sram_ports)
    vsram = Sram(core.vmem_sram_kib, core.vmem_word, core.sram_ports)
    fk = fifo_kib(core.fifo_depth, core.fifo_word_bits)
    fifo_rw = tech.sram_access_pj(fk, core.fifo_word_bits) + tech.sram_access_pj(fk, core.fifo_word_bits, write=True)
    add = tech.int_add_pj(core.vmem_bits)
    kind = layer.neuron.spec if layer.neuron is not None else None
    per_update = (kind.update_adds * add + kind.update_mults * tech.int_mult_pj(core.vmem_bits)) if kind else 0.0
    state = kind.state_words if kind else 1
    phases = layer.phases if kind else 1  # e.g. an FS node's K
    update_cycles = kind.update_cycles if kind and kind.update_cycles is not None else core.neuron_update_cycles

    n_d = act.neurons
    steps = int(n_d.sum()) * T                          # neuron-steps per inference
    updates = steps * phases                            # neuron updates per inference
    update_words = int(cdiv(n_d, vpw).sum()) * T * state * phases  # Vmem words per inference for neuron updates
    wwords = int(act.weight_words.sum())
    aux = int(counts.aux_ops.sum())
    state_r, state_w = int(counts.state_reads.sum()), int(counts.state_writes.sum())
    energy = {
        "core.weight_sram": 0.0 if streamed else wwords * wsram.read_pj(tech) / N,
        "core.vmem": (int(act.vmem_words.sum()) / N + update_words) * (vsram.read_pj(tech) + vsram.write_pj(tech)),
        "core.accumulate": (int(act.ops.sum()) + aux) * add / N,
        "core.neuron": steps * (phases * per_update + (add if integrate_input else 0.0)) + int(act.spikes.sum()) * add / N,
        "core.fifo": int(act.received.sum() + act.sent.sum()) * fifo_rw / N,
        "noc.router": int(act.router_flits.sum()) * noc.flit_bits * tech.noc_router_pj_per_bit / N,
        "noc.link": int(act.link_flits.sum()) * noc.flit_bits * noc.link_mm * tech.noc_link_pj_per_bit_mm / N,
    }
    if streamed:
        energy["dram.weights"] = dram.energy_pj(wwords * word / N)
    if layer.aux_state:
        energy["core.pool_state"] = (state_r * vsram.read_pj(tech) + state_w * vsram.write_pj(tech)) / N

    lanes, ports = core.lanes, core.sram_ports
    syn = np.maximum.reduce([
        cdiv(act.ops, N * lanes),
        np.zeros_like(act.ops) if streamed else cdiv(act.weight_words, N * ports),
        cdiv(2 * act.vmem_words, N * ports),
        cdiv(act.received, N),
    ])
    owning = max(int(np.count_nonzero(n_d)), 1)
    aux_cyc = np.maximum(cdiv(counts.aux_ops, N * lanes * owning),
                         cdiv(counts.state_reads + counts.state_writes, N * ports * owning))[:, None]
    if layer.spiking:
        neu = phases * np.maximum(cdiv(n_d, lanes) * update_cycles, cdiv(2 * state * cdiv(n_d, vpw), ports))
    else:
        neu = np.zeros_like(n_d)
    active = (n_d[None, :] > 0) | (act.received > 0)
    cycles = np.where(active, syn + aux_cyc + neu[None, :] + core.task_overhead_cycles, 0)
    dram_bits = act.weight_words * word / N if streamed else np.zeros(cycles.shape)
    info = _details(act, N, wwords, update_words, updates, cycles, streamed)
    if layer.aux_state:
        info["pool_state_words"] = layer.aux_state
    return LayerCost(layer.name, "core", energy, 0.0, info), cycles.astype(np.int64), dram_bits
