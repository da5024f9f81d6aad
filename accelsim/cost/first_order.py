"""First-order, activity-based cost model.

Energy = exact action counts from the functional trace x per-action energies
from the technology table; latency = cycles from counts and lane widths, layers
and time steps run one after another (no pipelining). It is the model in force
until the detailed PIM-macro and spike-core models land, and it says so in every
report (``cost_model: first_order``). What it leaves out is listed in
:data:`NOTE`.

Input (analog) layer on the PIM macro, per evaluation of one sample:
  im2col matrix of R = C_in/g * taps rows and Cw = C_out/g * slices_w * (2 if
  differential) columns per group; row tiles = ceil(R/rows), column tiles =
  ceil(Cw/cols); vectors = output positions; input slices = ceil(input_bits/dac_bits)
    DAC conversions = vectors * R * col_tiles * in_slices * g
    ADC conversions = vectors * Cw * row_tiles * in_slices * g
    shift-adds      = ADC conversions
    crossbar reads  = vectors * row_tiles * col_tiles * in_slices * g
    latency         = ceil(reads / macros) * (read_pulse + adc_share * t_adc)
Input layer on the digital core: MACs at max(input, weight) bits; each weight
read from SRAM once per block of ``lanes`` output positions.
Direct input: evaluated once and held (output buffer written once, read every
step) unless ``pim.static_input: recompute`` (or the input is a sequence).

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
        "sequentially; not modelled yet: PIM array read energy, NoC traffic, DRAM, pipelining")


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
