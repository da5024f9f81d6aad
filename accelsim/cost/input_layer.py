"""Cost of the input (analog-input, first) layer: on PIM crossbar macros or on the digital core.

The interface the whole-run cost model relies on is :func:`input_layer_cost`.
Counts come from the functional model's :class:`~accelsim.hw.pim.activity.FirstLayerActivity`
(recorded per evaluation, averaged here), energies from the tech table through
:mod:`accelsim.cost.components`. Per evaluation of one sample (docs/pim.md):

  DAC        driven rows (non-zero input slice codes) x col_tiles x E_dac(dac_bits)
  array      V_read^2 t_pulse sum_reads sum_ij (a_i/a_max)^2 G_ij     (value-dependent)
  ADC        conversions (vectors x input slices x row tiles x bit lines) x E_adc(adc_bits)
  shift_add  (conversions + offset-correction adds) x E_add(acc_bits)
  buffer     input buffer: im2col reads of input_bits (+ one write of the input per
             inference); output/hold buffer: acc_bits words, see below
  latency    reads = ceil(vectors / copies) x input_slices, t_conv = min(adc_share, cols in use) x t_adc:
             reads x (t_pulse + t_conv), or with pipelined_adc reads x max(t_pulse, t_conv) + min(...)

Direct input (static): ``hold`` evaluates once, writes the outputs to the hold buffer
once and reads them at every step; ``recompute`` evaluates at every step and passes
the outputs on each time (written and read once per step). ``auto`` takes the one
with less energy. A sequence input is recomputed at every step.
"""
from __future__ import annotations

import math

import numpy as np

from accelsim.config.loader import ArchSpec
from accelsim.cost.components import (ADC_MODELS, adc_ns, adc_pj, array_read_pj, ceil_div, dac_pj, mult_pj)
from accelsim.cost.result import LayerCost
from accelsim.engine.lower import Layer
from accelsim.engine.trace import LayerCounts
from accelsim.errors import fail
from accelsim.hw.pim.activity import FirstLayerActivity
from accelsim.hw.pim.mapping import map_layer


def static_policy(spec: ArchSpec, layer_static: bool) -> str:
    """The policy asked for: ``hold``, ``recompute`` or ``auto`` (resolved by energy in
    :func:`input_layer_cost`); always ``recompute`` for a sequence input."""
    if not layer_static:
        return "recompute"
    return spec.arch.pim.static_input


def _acc_bits(in_bits: int, w_bits: int, rows: int) -> int:
    """Accumulator width of a dot product of ``rows`` terms: in + w + ceil(log2 rows), at most 32."""
    return min(32, in_bits + w_bits + max(1, math.ceil(math.log2(max(rows, 2)))))


def _activity(spec: ArchSpec, layer: Layer, counts: LayerCounts, engine: str) -> FirstLayerActivity | None:
    act = getattr(counts, "first_layer", None)
    if act is None:
        if engine == "core":
            return None
        raise ValueError(f"layer {layer.name}: the trace has no first-layer activity; build it with "
                         "accelsim.simulate.functional_trace (simulate(..., first_layer=FirstLayerModel...))")
    if act.engine != engine or act.evaluations == 0:
        raise ValueError(f"layer {layer.name}: trace recorded the {act.engine!r} first layer, cost asked for {engine!r}")
    return act


def _buffers(spec: ArchSpec, layer: Layer, in_bits: int, acc_bits: int, evals: int, in_writes: float,
             reads_per_eval: float, out_words: float, T: int, policy: str) -> tuple[float, dict]:
    """Input buffer (im2col reads) + output/hold buffer energy per inference (pJ)."""
    tech = spec.tech
    in_elems = int(np.prod(layer.in_shape))
    in_kib = in_elems * in_bits / 8 / 1024
    out_kib = out_words * acc_bits / 8 / 1024
    e_in = in_writes * tech.sram_access_pj(in_kib, in_bits, write=True) \
        + reads_per_eval * evals * tech.sram_access_pj(in_kib, in_bits)
    out_writes = out_words * (1 if policy == "hold" else evals)
    out_reads = out_words * T
    e_out = out_writes * tech.sram_access_pj(out_kib, acc_bits, write=True) \
        + out_reads * tech.sram_access_pj(out_kib, acc_bits)
    return e_in + e_out, {"input_buffer_kib": in_kib, "output_buffer_kib": out_kib, "input_buffer_pj": e_in,
                          "output_buffer_pj": e_out, "input_buffer_reads": reads_per_eval * evals,
                          "output_buffer_writes": out_writes, "output_buffer_reads": out_reads}


def pim_input_layer(spec: ArchSpec, layer: Layer, act: FirstLayerActivity, N: int, T: int, evals: int,
                    policy: str, static: bool) -> LayerCost:
    tech, pim = spec.tech, spec.arch.pim
    m = map_layer(layer, pim)
    copies = m.copies(pim.macros, pim.replicate_weights)
    if copies == 0:
        raise fail(spec.source, "pim.macros", f"first layer {layer.name} needs {m.tiles} macros of "
                   f"{pim.rows} x {pim.cols} ({m.row_tiles} row tiles x {m.col_tiles} column tiles x "
                   f"{m.groups} groups); raise pim.macros, pim.rows or pim.cols, or set pim.enabled: false",
                   pim.macros)
    per = 1.0 / act.evaluations                         # averages per evaluation of one sample
    conversions = act.conversions * per
    dac_ops = float(act.row_driven.sum()) * m.col_tiles * per
    drive_off, drive_on = act.array_drive()
    acc = _acc_bits(pim.input_bits, pim.weight_bits, m.rows_per_group)
    adds = (act.conversions + act.offset_correction_adds) * per
    e_adc = adc_pj(tech, pim.adc_bits, pim.adc_model)
    e_dac = dac_pj(tech, pim.dac_bits)
    e_add = tech.int_add_pj(acc)
    outputs = float(np.prod(layer.out_shape))
    buf_pj, buf_info = _buffers(spec, layer, pim.input_bits, acc, evals,
                                in_writes=float(np.prod(layer.in_shape)) * (1 if static else evals),
                                reads_per_eval=act.vectors * per * m.rows_per_group, out_words=outputs,
                                T=T, policy=policy)
    energy = {
        "pim.dac": dac_ops * evals * e_dac,
        "pim.array": array_read_pj(tech, pim.read_pulse_ns, drive_off * per, drive_on * per) * evals,
        "pim.adc": conversions * evals * e_adc,
        "pim.shift_add": adds * evals * e_add,
        "pim.buffer": buf_pj,
    }
    t_adc = adc_ns(tech, pim.adc_bits, pim.adc_model)
    serial = min(pim.adc_share, m.max_cols_in_tile())   # conversions in a row on the busiest ADC
    convert_ns = serial * t_adc
    reads = ceil_div(m.vectors, copies) * m.input_slices  # sequential reads of each macro per evaluation
    if pim.pipelined_adc:   # read k+1 overlaps the conversions of read k: fill + steady state
        read_ns = max(pim.read_pulse_ns, convert_ns)
        eval_ns = reads * read_ns + min(pim.read_pulse_ns, convert_ns) if reads else 0.0
    else:
        read_ns = pim.read_pulse_ns + convert_ns
        eval_ns = reads * read_ns
    step_ns = [eval_ns] * T if evals == T else [eval_ns] + [0.0] * (T - 1)
    info = {
        "static_input": policy, "evaluations": evals,
        "row_tiles": m.row_tiles, "col_tiles": m.col_tiles, "macros_needed": m.tiles, "copies": copies,
        "macros_used": m.tiles * copies, "array_utilization": m.utilization,
        "weight_slices": m.weight_slices, "input_slices": m.input_slices, "bit_lines_per_weight": m.cols_per_weight,
        "adc_model": pim.adc_model, "adc_model_source": ADC_MODELS[pim.adc_model].source,
        "adc_pj_per_conversion": e_adc, "adc_ns_per_conversion": t_adc, "adc_lossless_bits": pim.lossless_adc_bits,
        "adc_lossy": pim.adc_bits < pim.lossless_adc_bits,
        "adc_conversions": conversions * evals, "adc_saturated_fraction": act.adc_saturated / max(act.conversions, 1),
        "dac_conversions": dac_ops * evals, "crossbar_reads_per_macro": reads * evals, "read_ns": read_ns,
        "evaluation_ns": eval_ns, "accumulator_bits": acc, "inputs_clipped_fraction": act.inputs_clipped / max(act.inputs, 1),
        **buf_info,
    }
    return LayerCost(layer.name, "pim", energy, float(eval_ns * evals), info, step_ns)


def core_input_layer(spec: ArchSpec, layer: Layer, act: FirstLayerActivity | None, N: int, T: int, evals: int,
                     policy: str, static: bool) -> LayerCost:
    """Dense MACs on the digital spike cores at core.input_bits x core.weight_bits."""
    arch, tech, core = spec.arch, spec.tech, spec.arch.core
    par = core.lanes * core.count
    vectors = layer.window.out_positions if layer.window is not None else 1
    acc = _acc_bits(core.input_bits, core.weight_bits, layer.fan_in)
    weight_reads = layer.weights * ceil_div(vectors, core.lanes) * evals
    macs = layer.macs * evals
    e_mac = mult_pj(tech, core.input_bits, core.weight_bits) + tech.int_add_pj(acc)
    outputs = float(np.prod(layer.out_shape))
    buf_pj, buf_info = _buffers(spec, layer, core.input_bits, acc, evals,
                                in_writes=float(np.prod(layer.in_shape)) * (1 if static else evals),
                                reads_per_eval=float(vectors * layer.fan_in * layer.group), out_words=outputs,
                                T=T, policy=policy)
    energy = {
        "core.mac": macs * e_mac,
        "core.weight_sram": weight_reads * tech.sram_access_pj(core.weight_sram_kib, core.weight_bits),
        "core.buffer": buf_pj,
    }
    per_eval_cycles = ceil_div(layer.macs, par) + core.task_overhead_cycles
    per_eval = per_eval_cycles * arch.clock_ns
    step_ns = [per_eval] * T if evals == T else [per_eval] + [0.0] * (T - 1)
    info = {"static_input": policy, "evaluations": evals, "macs": macs, "mac_pj": e_mac,
            "multiplier_bits": [core.input_bits, core.weight_bits], "accumulator_bits": acc, **buf_info}
    if act is not None:
        info["inputs_clipped_fraction"] = act.inputs_clipped / max(act.inputs, 1)
        info["input_density"] = act.nonzero_inputs / max(act.inputs, 1)
    return LayerCost(layer.name, "core", energy, float(per_eval * evals), info, step_ns)


def input_layer_cost(spec: ArchSpec, layer: Layer, counts: LayerCounts, N: int, T: int, static: bool) -> LayerCost:
    """Synaptic part of the input layer, per inference. ``static``: its input is the same at
    every step (direct encoding). The layer's neurons are costed by the spike-layer model."""
    engine = "pim" if spec.arch.pim.enabled else "core"
    model = pim_input_layer if engine == "pim" else core_input_layer
    act = _activity(spec, layer, counts, engine)
    want = static_policy(spec, static)
    if not static:
        evals = max(1, round(act.evaluations / N)) if act is not None else T
        return model(spec, layer, act, N, T, evals, "recompute", static)
    if want != "auto":
        return model(spec, layer, act, N, T, 1 if want == "hold" else T, want, static)
    hold = model(spec, layer, act, N, T, 1, "hold", static)
    again = model(spec, layer, act, N, T, T, "recompute", static)
    best = hold if hold.total_pj <= again.total_pj else again
    best.info["static_input_energy_pj"] = {"hold": hold.total_pj, "recompute": again.total_pj}
    return best
