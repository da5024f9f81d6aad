"""First-order, activity-based cost model.

Energy = exact action counts from the functional trace x per-action energies
from the technology table; latency = cycles from counts and lane widths, layers
and time steps run one after another (no pipelining). It is the model in force
until the detailed PIM-macro and spike-core models land, and it says so in every
report (``cost_model: first_order``). What it leaves out is listed in
:data:`NOTE`.

Input (analog) layer: :mod:`accelsim.cost.input_layer` (PIM macro: value-dependent
DAC/array/ADC/shift-add/buffer energies from the functional model's recorded
activity, latency from reads, ADC time and sharing; or dense MACs on the digital
core; hold or recompute for a direct input). Equations in docs/pim.md.

Spike-core layers, per time step:
  weight SRAM reads = synaptic ops (one weight_bits read each)
  accumulations     = synaptic ops (vmem_bits adds) + pooling/residual ops
  Vmem read+write   = synaptic ops + neuron updates
  neuron update     = compare (+ leak multiply for LIF) per neuron, a subtract per spike
  FIFO write+read   = input events
  cycles = max(ceil(ops / (lanes*cores)), SRAM port cycles) + ceil(neurons/(lanes*cores)) * neuron cycles + overhead
Leakage: SRAM leakage power of all cores x latency, split over layers by latency.
"""
from __future__ import annotations

import numpy as np

from accelsim.config.loader import ArchSpec
from accelsim.cost.input_layer import input_layer_cost, static_policy
from accelsim.cost.result import CostResult
from accelsim.cost.spike_layer import spike_layer_cost
from accelsim.engine.trace import LayerCounts, Trace

NOTE = ("first-order activity model: exact counts x per-action energies; layers and steps run "
        "sequentially; not modelled yet: NoC traffic, DRAM, pipelining")


def evaluate(trace: Trace, spec: ArchSpec) -> CostResult:
    """Cost of one inference (averaged over the trace's samples)."""
    N, T = trace.samples, trace.timesteps
    layers = []
    policy_used = None
    for layer, counts in zip(trace.layers, trace.counts):
        if layer.input_layer:
            static = layer.name in trace.static_layers
            cost = input_layer_cost(spec, layer, counts, N, T, static)
            policy_used = cost.info.get("static_input", static_policy(spec, static))
            # neurons of the input layer are updated on the spike core
            zero = np.zeros(T, np.int64)
            neuron_part = spike_layer_cost(spec, layer, LayerCounts(
                zero, zero, counts.spikes_out, counts.nonzero_out, counts.aux_ops), N, T)
            for k, v in neuron_part.energy_pj.items():
                if v:
                    cost.energy_pj[k] = cost.energy_pj.get(k, 0.0) + v
            cost.latency_ns += neuron_part.latency_ns
            if cost.step_ns is not None and neuron_part.step_ns is not None:
                cost.step_ns = [a + b for a, b in zip(cost.step_ns, neuron_part.step_ns)]
        else:
            cost = spike_layer_cost(spec, layer, counts, N, T)
        layers.append(cost)
    # leakage of all SRAM, split over layers by their share of the latency
    core = spec.arch.core
    leak_mw = spec.tech.sram_leakage_pj_per_ns(core.count * (core.weight_sram_kib + core.vmem_sram_kib))
    for cost in layers:
        cost.energy_pj["leakage.sram"] = leak_mw * cost.latency_ns
    return CostResult("first_order", NOTE, layers, {"static_input": policy_used})
