"""Cost of the input (analog-input, first) layer: on the PIM macro or on the digital core.

First-order model (see :mod:`accelsim.cost.first_order` for the formulas). The
interface the whole-run cost model relies on is :func:`input_layer_cost`; the
detailed PIM macro model replaces the body, not the signature.
"""
from __future__ import annotations

import numpy as np

from accelsim.config.loader import ArchSpec
from accelsim.cost.components import adc_ns, adc_pj, ceil_div, dac_pj
from accelsim.cost.result import LayerCost
from accelsim.engine.lower import Layer
from accelsim.engine.trace import LayerCounts


def static_policy(spec: ArchSpec, layer_static: bool) -> str:
    """``hold`` (compute once) or ``recompute`` (every step) for the input layer."""
    want = spec.arch.pim.static_input
    if not layer_static:
        return "recompute"
    return "recompute" if want == "recompute" else "hold"


def pim_input_layer(spec: ArchSpec, layer: Layer, T: int, policy: str) -> LayerCost:
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
    per_eval = latency / evals
    step_ns = [per_eval] * T if policy == "recompute" else [per_eval] + [0.0] * (T - 1)
    info = {"evaluations": evals, "static_input": policy, "row_tiles": row_tiles, "col_tiles": col_tiles,
            "macros_needed": macros_per_copy, "adc_conversions": n_adc, "dac_conversions": n_dac,
            "crossbar_reads": reads,
            "array_utilization": rows_needed * cols_needed * g / (macros_per_copy * pim.rows * pim.cols)}
    return LayerCost(layer.name, "pim", energy, float(latency), info, step_ns)


def core_input_layer(spec: ArchSpec, layer: Layer, T: int, policy: str) -> LayerCost:
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
    per_eval_cycles = ceil_div(layer.macs, par) + core.task_overhead_cycles
    cycles = per_eval_cycles * evals
    info = {"evaluations": evals, "static_input": policy, "macs": macs}
    per_eval = per_eval_cycles * arch.clock_ns
    step_ns = [per_eval] * T if policy == "recompute" else [per_eval] + [0.0] * (T - 1)
    return LayerCost(layer.name, "core", energy, cycles * arch.clock_ns, info, step_ns)


def input_layer_cost(spec: ArchSpec, layer: Layer, counts: LayerCounts, N: int, T: int, static: bool) -> LayerCost:
    """Synaptic part of the input layer, per inference. ``static``: its input is the same at
    every step (direct encoding). The layer's neurons are costed by the spike-layer model."""
    policy = static_policy(spec, static)
    if spec.arch.pim.enabled:
        return pim_input_layer(spec, layer, T, policy)
    return core_input_layer(spec, layer, T, policy)
