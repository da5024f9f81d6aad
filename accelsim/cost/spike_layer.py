"""Cost of a layer on the event-driven digital spike core (first-order model).

The interface the whole-run cost model relies on is :func:`spike_layer_cost`.
"""
from __future__ import annotations

import math


from accelsim.config.loader import ArchSpec
from accelsim.cost.components import fifo_kib
from accelsim.cost.result import LayerCost
from accelsim.engine.lower import Layer
from accelsim.engine.trace import LayerCounts


def spike_layer_cost(spec: ArchSpec, layer: Layer, counts: LayerCounts, N: int, T: int) -> LayerCost:
    arch, tech, core = spec.arch, spec.tech, spec.arch.core
    syn = counts.synaptic_ops / N
    ev = counts.events_in / N
    aux = counts.aux_ops / N
    spikes = counts.spikes_out / N
    neurons = layer.neurons if layer.spiking else 0
    add = tech.int_add_pj(core.vmem_bits)
    vmem_rw = tech.sram_access_pj(core.vmem_sram_kib, core.vmem_bits) + \
        tech.sram_access_pj(core.vmem_sram_kib, core.vmem_bits, write=True)
    leaky = layer.neuron is not None and layer.neuron.op == "LIF"
    per_update = add + (tech.int_mult_pj(core.vmem_bits) if leaky else 0.0)
    fk = fifo_kib(core.fifo_depth, core.fifo_word_bits)
    fifo_rw = tech.sram_access_pj(fk, core.fifo_word_bits) + tech.sram_access_pj(fk, core.fifo_word_bits, write=True)
    energy = {
        "core.weight_sram": float(syn.sum()) * tech.sram_access_pj(core.weight_sram_kib, core.weight_bits),
        "core.accumulate": float(syn.sum() + aux.sum()) * add,
        "core.vmem": float(syn.sum() + neurons * T) * vmem_rw,
        "core.neuron": neurons * T * per_update + float(spikes.sum()) * add,
        "core.fifo": float(ev.sum()) * fifo_rw,
    }
    par = core.lanes * core.count
    port_bits = core.sram_word_bits * core.sram_ports * core.count
    step_cycles = []
    for t in range(T):
        compute = math.ceil((syn[t] + aux[t]) / par)
        sram = math.ceil(syn[t] * core.weight_bits / port_bits)
        step_cycles.append(max(compute, sram) + math.ceil(neurons / par) * core.neuron_update_cycles
                           + core.task_overhead_cycles)
    cycles = float(sum(step_cycles))
    info = {"synaptic_ops": float(syn.sum()), "cycles": cycles}
    return LayerCost(layer.name, "core", energy, cycles * arch.clock_ns, info,
                     [c * arch.clock_ns for c in step_cycles])
