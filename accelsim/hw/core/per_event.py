"""The spike cores priced per event (``core.cost_model: per_event``), as Loihi and SANA-FE describe a core.

Beside the component model (:mod:`.cost`: SRAM words, adders, FIFOs, NoC bits),
this model charges a fixed energy and time per architectural event, from the
``core.per_event`` table (:class:`accelsim.config.per_event.PerEventConfig`; Loihi 1:
Davies et al., IEEE Micro 2018, Table 2). The counts are the same exact routed
per-core counts the component model uses (:class:`.cost.CoreActivity`), summed over
the ``N`` samples; energies are per inference (``/ N``).

Per layer, with ``P`` the neuron kind's ``phases`` (updates per neuron and step):

    core.synop           = ops · E_synop
    core.neuron_active   = P · A · E_active          A: neuron-steps with a non-zero synaptic input
    core.neuron_inactive = P · (T · n · N - A) · E_inactive   (spiking layers; n neurons)
    core.spike           = spikes fired · E_spike      (one message per spike generated)
    noc.hop_ew, noc.hop_ns = packets crossing east-west / north-south links · E_hop_ew / E_hop_ns
    core.barrier         = T · E_barrier               (layers with routed input: one hand-off per step)
    dram.weights         = weight words · word bits · DRAM pJ/bit   (streamed layers, as the component model)
    leakage.core         = cores · P_static · delay   (after the schedule, split by core busy time)

Task time of core ``d`` at step ``t`` (the per-inference mean), rounded up to whole cycles:

    ns = (ops · t_synop + P · (A · t_active + (n_d · N - A) · t_inactive) + spikes · t_spike) / N
    cycles = ceil(ns / clock_ns) + task_overhead_cycles   (cores owning neurons or receiving events)

The NoC transfer of a layer's step keeps the link occupancy of the component model
(flit bits over ``noc.link_bits_per_cycle``); its latency becomes

    ceil((X_t · t_hop_ew + Y_t · t_hop_ns + t_barrier) / clock_ns) cycles

with ``X_t · t_hop_ew + Y_t · t_hop_ns`` the largest over the destinations of every
packet at that step (exact: the routed counts keep, per east-west distance, the
largest north-south one, ``CoreActivity.reach``) and one time-step barrier per
layer and step.
Pooling and residual-add operations have no per-event price (Loihi has none) and
are not charged.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.config.arch import CoreConfig, NocConfig
from accelsim.config.per_event import PerEventConfig
from accelsim.engine.lower import Layer
from accelsim.hw.core.cost import CoreActivity
from accelsim.hw.memory import Dram
from accelsim.hw.noc import EW_DIRS
from accelsim.hw.result import LayerCost
from accelsim.util.mathx import cdiv


@dataclass(frozen=True)
class EventCounts:
    """Events of one layer (or of a whole chip over some time), the quantities the table prices."""

    synops: float
    active_updates: float
    inactive_updates: float
    spikes: float
    hops_ew: float
    hops_ns: float
    barriers: float


def event_energy_pj(pe: PerEventConfig, n: EventCounts) -> dict[str, float]:
    """Energy (pJ) of the events ``n`` by component (static power excluded)."""
    return {
        "core.synop": n.synops * pe.synop_energy_pj,
        "core.neuron_active": n.active_updates * pe.neuron_active_energy_pj,
        "core.neuron_inactive": n.inactive_updates * pe.neuron_inactive_energy_pj,
        "core.spike": n.spikes * pe.spike_energy_pj,
        "noc.hop_ew": n.hops_ew * pe.hop_ew_energy_pj,
        "noc.hop_ns": n.hops_ns * pe.hop_ns_energy_pj,
        "core.barrier": n.barriers * pe.barrier_energy_pj,
    }


def static_energy_pj(pe: PerEventConfig, cores: int, duration_ns: float) -> float:
    """Static energy of ``cores`` cores over ``duration_ns`` (uW x ns = 1e-3 pJ)."""
    return cores * pe.static_power_uw_per_core * duration_ns * 1e-3


def whole_cycles(ns: np.ndarray, clock_ns: float) -> np.ndarray:
    """``ceil(ns / clock_ns)``, the quotient first rounded to 1e-9 cycle (so 3 x 0.1 ns is 3 cycles of 0.1 ns)."""
    return np.ceil(np.round(np.asarray(ns, dtype=np.float64) / clock_ns, 9)).astype(np.int64)


def hop_packets(act: CoreActivity, flits_per_packet: int) -> tuple[int, int]:
    """(east-west, north-south) link crossings by packets, summed over samples and steps."""
    per_link = act.link_flits.sum(axis=0)
    ew = np.isin(np.arange(per_link.size) % 4, EW_DIRS)   # link 4 * node + dir (accelsim.hw.noc)
    return int(per_link[ew].sum()) // flits_per_packet, int(per_link[~ew].sum()) // flits_per_packet


def layer_counts(layer: Layer, act: CoreActivity, active_td: np.ndarray, N: int, T: int, flits_per_packet: int,
                 routed: bool) -> EventCounts:
    """The layer's events per inference (``active_td``: active neuron-steps [T, cores])."""
    phases = layer.phases if layer.spiking else 0
    active = int(active_td.sum())
    ew, ns = hop_packets(act, flits_per_packet)
    return EventCounts(
        synops=int(act.ops.sum()) / N, active_updates=phases * active / N,
        inactive_updates=phases * (int(act.neurons.sum()) * T * N - active) / N,
        spikes=int(act.spikes.sum()) / N, hops_ew=ew / N, hops_ns=ns / N, barriers=float(T) if routed else 0.0)


def per_event_layer_cost(pe: PerEventConfig, core: CoreConfig, noc: NocConfig, dram: Dram, layer: Layer,
                         act: CoreActivity, active: np.ndarray, N: int, T: int, clock_ns: float,
                         streamed: bool = False) -> tuple[LayerCost, np.ndarray, np.ndarray]:
    """Energy of ``layer`` on the cores per inference, task cycles [T, cores] and DRAM bits [T, cores]
    (``active``: its active neuron-steps per step and core, :func:`.cost.active_updates`)."""
    F = cdiv(core.fifo_word_bits, noc.flit_bits)
    routed = not layer.first_layer
    n = layer_counts(layer, act, active, N, T, F, routed)
    energy = event_energy_pj(pe, n)
    word = core.sram_word_bits
    if streamed:
        energy["dram.weights"] = dram.energy_pj(int(act.weight_words.sum()) * word / N)

    phases = layer.phases if layer.spiking else 0
    n_d = act.neurons
    inactive = n_d[None, :] * N - active
    ns = (act.ops * pe.synop_time_ns + phases * (active * pe.neuron_active_time_ns
                                                 + inactive * pe.neuron_inactive_time_ns)
          + act.spikes * pe.spike_time_ns) / N
    busy = (n_d[None, :] > 0) | (act.received > 0)
    cycles = np.where(busy, whole_cycles(ns, clock_ns) + core.task_overhead_cycles, 0).astype(np.int64)
    dram_bits = act.weight_words * word / N if streamed else np.zeros(cycles.shape)
    info = {
        "cost_model": "per_event",
        "synaptic_ops": n.synops, "neuron_updates_active": n.active_updates,
        "neuron_updates_inactive": n.inactive_updates, "spikes_emitted": n.spikes,
        "hops_ew": n.hops_ew, "hops_ns": n.hops_ns, "barriers": n.barriers,
        "events_received": float(act.received.sum() / N), "packets_sent": float(act.sent.sum() / N),
        "core_cycles": float(cycles.sum()), "weights_from": "dram" if streamed else "sram",
        "per_core": {
            "neurons": n_d.tolist(),
            "synaptic_ops": (act.ops.sum(axis=0) / N).tolist(),
            "neuron_updates_active": (phases * active.sum(axis=0) / N).tolist(),
            "spikes": (act.spikes.sum(axis=0) / N).tolist(),
            "task_cycles": cycles.sum(axis=0).tolist(),
        },
    }
    return LayerCost(layer.name, "core", energy, 0.0, info), cycles, dram_bits


def noc_latency_cycles(pe: PerEventConfig, act: CoreActivity, clock_ns: float) -> np.ndarray:
    """[T] latency of each step's NoC hand-off: the slowest packet's hops plus the time-step barrier.

    ``max over (k, m) of the reach frontier of k · t_hop_ew + m · t_hop_ns`` (0 without packets)."""
    k = np.arange(act.reach.shape[1])
    hops = np.where(act.reach >= 0, k[None, :] * pe.hop_ew_time_ns + act.reach * pe.hop_ns_time_ns, 0.0)
    return whole_cycles(hops.max(axis=1, initial=0.0) + pe.barrier_time_ns, clock_ns)
