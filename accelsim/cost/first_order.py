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

import math

import numpy as np

from accelsim.config.loader import ArchSpec
from accelsim.cost.components import adc_ns, adc_pj, ceil_div, dac_pj, fifo_kib
from accelsim.cost.result import CostResult, LayerCost
from accelsim.engine.lower import Layer
from accelsim.engine.trace import LayerCounts, Trace

NOTE = ("first-order activity model: exact counts x per-action energies; layers and steps run "
        "sequentially; not modelled yet: PIM array read energy, NoC traffic, DRAM, pipelining")


def static_policy(spec: ArchSpec, layer_static: bool) -> str:
    """``hold`` (compute once) or ``recompute`` (every step) for the input layer."""
    want = spec.arch.pim.static_input
    if not layer_static:
        return "recompute"
    return "recompute" if want == "recompute" else "hold"


def _pim_input_layer(spec: ArchSpec, layer: Layer, T: int, policy: str) -> LayerCost:
    arch, tech, pim = spec.arch, spec.tech, spec.arch.pim
    g = layer.group
    rows_needed = layer.fan_in
    cols_needed = (layer.out_shape[0] // g) * pim.weight_slices * (2 if pim.signed_weights == "differential" else 1)
    if pim.signed_weights == "offset":
        cols_needed += 1  # one reference column per tile set carries the offset
    row_tiles = ceil_div(rows_needed, pim.rows)
    col_tiles = ceil_div(cols_needed, pim.cols)
    vectors = layer.window.out_positions if layer.window is not None else 1
    evals = 1 if policy == "hold" else T
    n_dac = vectors * rows_needed * col_tiles * pim.input_slices * g * evals
    n_adc = vectors * cols_needed * row_tiles * pim.input_slices * g * evals
    reads = vectors * row_tiles * col_tiles * pim.input_slices * g * evals
    acc_bits = min(32, pim.adc_bits + pim.input_bits + pim.weight_bits)
    outputs = int(np.prod(layer.out_shape))
    buf_kib = outputs * acc_bits / 8 / 1024
    if policy == "hold":
        buf_accesses_w, buf_accesses_r = outputs, outputs * T
    else:
        buf_accesses_w, buf_accesses_r = outputs * T, outputs * T
    energy = {
        "pim.dac": n_dac * dac_pj(tech, pim.dac_bits),
        "pim.adc": n_adc * adc_pj(tech, pim.adc_bits, pim.adc_model),
        "pim.shift_add": n_adc * tech.int_add_pj(acc_bits),
        "pim.buffer": buf_accesses_w * tech.sram_access_pj(buf_kib, acc_bits, write=True)
        + buf_accesses_r * tech.sram_access_pj(buf_kib, acc_bits),
    }
    macros_per_copy = row_tiles * col_tiles * g
    per_read_ns = pim.read_pulse_ns + pim.adc_share * adc_ns(tech, pim.adc_bits)
    latency = ceil_div(reads, pim.macros) * per_read_ns
    info = {"evaluations": evals, "static_input": policy, "row_tiles": row_tiles, "col_tiles": col_tiles,
            "macros_needed": macros_per_copy, "adc_conversions": n_adc, "dac_conversions": n_dac,
            "crossbar_reads": reads,
            "array_utilization": rows_needed * cols_needed * g / (macros_per_copy * pim.rows * pim.cols)}
    return LayerCost(layer.name, "pim", energy, float(latency), info)


def _core_input_layer(spec: ArchSpec, layer: Layer, T: int, policy: str) -> LayerCost:
    arch, tech, core = spec.arch, spec.tech, spec.arch.core
    evals = 1 if policy == "hold" else T
    bits = max(core.input_bits, core.weight_bits)
    par = core.lanes * core.count
    vectors = layer.window.out_positions if layer.window is not None else 1
    weight_reads = layer.weights * ceil_div(vectors, core.lanes) * evals
    macs = layer.macs * evals
    outputs = int(np.prod(layer.out_shape))
    energy = {
        "core.mac": macs * tech.mac_pj(bits),
        "core.weight_sram": weight_reads * tech.sram_access_pj(core.weight_sram_kib, core.weight_bits),
        "core.buffer": (outputs * (1 if policy == "hold" else T) + outputs * T)
        * tech.sram_access_pj(core.vmem_sram_kib, core.vmem_bits),
    }
    cycles = ceil_div(macs, par) + evals * core.task_overhead_cycles
    info = {"evaluations": evals, "static_input": policy, "macs": macs}
    return LayerCost(layer.name, "core", energy, cycles * arch.clock_ns, info)


def _spike_layer(spec: ArchSpec, layer: Layer, counts: LayerCounts, N: int, T: int) -> LayerCost:
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
    cycles = 0.0
    for t in range(T):
        compute = math.ceil((syn[t] + aux[t]) / par)
        sram = math.ceil(syn[t] * core.weight_bits / port_bits)
        cycles += max(compute, sram) + math.ceil(neurons / par) * core.neuron_update_cycles + core.task_overhead_cycles
    info = {"synaptic_ops": float(syn.sum()), "cycles": cycles}
    return LayerCost(layer.name, "core", energy, cycles * arch.clock_ns, info)


def evaluate(trace: Trace, spec: ArchSpec) -> CostResult:
    """Cost of one inference (averaged over the trace's samples)."""
    N, T = trace.samples, trace.timesteps
    layers: list[LayerCost] = []
    policy_used = None
    for layer, counts in zip(trace.layers, trace.counts):
        if layer.input_layer:
            policy = static_policy(spec, layer.name in trace.static_layers)
            policy_used = policy
            if spec.arch.pim.enabled:
                cost = _pim_input_layer(spec, layer, T, policy)
            else:
                cost = _core_input_layer(spec, layer, T, policy)
            # neurons of the input layer are updated on the spike core
            neuron_part = _spike_layer(spec, layer, LayerCounts(
                np.zeros(T, np.int64), np.zeros(T, np.int64), counts.spikes_out, counts.nonzero_out, counts.aux_ops), N, T)
            for k, v in neuron_part.energy_pj.items():
                if v:
                    cost.energy_pj[k] = cost.energy_pj.get(k, 0.0) + v
            cost.latency_ns += neuron_part.latency_ns
        else:
            cost = _spike_layer(spec, layer, counts, N, T)
        layers.append(cost)
    # leakage of all SRAM, split over layers by their share of the latency
    core = spec.arch.core
    leak_mw = spec.tech.sram_leakage_pj_per_ns(core.count * (core.weight_sram_kib + core.vmem_sram_kib))
    for cost in layers:
        cost.energy_pj["leakage.sram"] = leak_mw * cost.latency_ns
    return CostResult("first_order", NOTE, layers, {"static_input": policy_used})
