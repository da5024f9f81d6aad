"""Cost of the first layer's synaptic part on PIM crossbar macros.

Counts come from the functional model's :class:`~accelsim.hw.first_layer.FirstLayerActivity`
(recorded per evaluation, averaged here), energies from the tech table
(:mod:`accelsim.hw.pim.periphery`, :mod:`accelsim.tech.adc`). Per evaluation of one
sample (docs/pim.md):

  DAC        driven rows (non-zero input slice codes) x col_tiles x E_dac(dac_bits)
  array      V_read^2 t_pulse sum_reads sum_ij (a_i/a_max)^2 G_ij     (value-dependent)
  ADC        conversions (vectors x input slices x row tiles x bit lines) x E_adc(adc_bits)
  shift_add  (conversions + offset-correction adds) x E_add(acc_bits)
  buffer     input buffer: im2col reads of input_bits (+ one write of the input per
             inference); output/hold buffer: acc_bits words (:func:`accelsim.hw.first_layer.buffers`)
  latency    reads = ceil(vectors / copies) x input_slices, t_conv = min(adc_share, cols in use) x t_adc:
             reads x (t_pulse + t_conv), or with pipelined_adc reads x max(t_pulse, t_conv) + min(...)
"""
from __future__ import annotations

import numpy as np

from accelsim.config.arch import PimConfig
from accelsim.config.macro import MacroConfig
from accelsim.engine.lower import Layer
from accelsim.errors import fail
from accelsim.hw.first_layer import FirstLayerActivity, acc_bits, buffers, step_durations
from accelsim.hw.pim.mapping import PimMapping, map_layer
from accelsim.hw.pim.periphery import array_read_pj, dac_pj
from accelsim.hw.result import LayerCost
from accelsim.tech.adc import ADC_MODELS, adc_ns, adc_pj
from accelsim.tech.table import TechTable
from accelsim.util.mathx import cdiv


def check_fits(m: PimMapping, pim: PimConfig, layer_name: str, source: str) -> int:
    """Copies of the layer the macros hold; an InputError (exit 2) when not even one fits."""
    copies = m.copies(pim.macros, pim.replicate_weights, pim.replicate_in_array)
    if copies == 0:
        raise fail(source, "pim.macros", f"first layer {layer_name} needs {m.tiles} macros of "
                   f"{pim.rows} x {pim.cols} ({m.row_tiles} row tiles x {m.col_tiles} column tiles x "
                   f"{m.groups} groups); raise pim.macros, pim.rows or pim.cols, or set pim.enabled: false",
                   pim.macros)
    return copies


def macros_used(m: PimMapping, pim: PimConfig, copies: int) -> int:
    """Macros holding the layer's copies (in-array copies share a macro)."""
    return m.tiles * (copies // (m.in_array_copies() if pim.replicate_in_array else 1))


def _mapped(tech: TechTable, pim: PimConfig, layer: Layer, act: FirstLayerActivity, evals: int, policy: str,
            static: bool, T: int, source: str) -> tuple:
    """What both PIM cost models share: the mapping and copies, the accumulator width, the
    buffers, and the report figures of the mapping ((head, tail) around the model's own)."""
    m = map_layer(layer, pim)
    copies = check_fits(m, pim, layer.name, source)
    acc = acc_bits(pim.input_bits, pim.weight_bits, m.rows_per_group)
    buf_pj, buf_info = buffers(tech, layer, pim.input_bits, acc, evals,
                               in_writes=float(np.prod(layer.in_shape)) * (1 if static else evals),
                               reads_per_eval=act.vectors * (1.0 / act.evaluations) * m.rows_per_group,
                               out_words=float(np.prod(layer.out_shape)), T=T, policy=policy)
    head = {"static_input": policy, "evaluations": evals,
            "row_tiles": m.row_tiles, "col_tiles": m.col_tiles, "macros_needed": m.tiles, "copies": copies,
            "macros_used": macros_used(m, pim, copies), "array_utilization": m.utilization,
            "weight_slices": m.weight_slices, "input_slices": m.input_slices, "bit_lines_per_weight": m.cols_per_weight}
    tail = {"accumulator_bits": acc, "inputs_clipped_fraction": act.inputs_clipped / max(act.inputs, 1), **buf_info}
    return m, copies, acc, buf_pj, head, tail


def pim_first_layer_cost(tech: TechTable, pim: PimConfig, layer: Layer, act: FirstLayerActivity, evals: int,
                         policy: str, static: bool, T: int, source: str = "",
                         macro: MacroConfig | None = None) -> LayerCost:
    """The first layer's synaptic part on PIM macros, per inference (see the module docstring); with
    ``macro.blocks``, the macro's circuit blocks price the array and its periphery
    (:mod:`accelsim.hw.pim.circuit_cost`)."""
    if macro is not None and macro.blocks:
        return _circuit_layer_cost(tech, pim, macro, layer, act, evals, policy, static, T, source)
    m, copies, acc, buf_pj, head, tail = _mapped(tech, pim, layer, act, evals, policy, static, T, source)
    per = 1.0 / act.evaluations                         # averages per evaluation of one sample
    conversions = act.conversions * per
    dac_ops = float(act.row_driven.sum()) * m.col_tiles * per
    drive_off, drive_on = act.array_drive()
    adds = (act.conversions + act.offset_correction_adds) * per
    e_adc = adc_pj(tech, pim.adc_bits, pim.adc_model)
    e_dac = dac_pj(tech, pim.dac_bits)
    e_add = tech.int_add_pj(acc)
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
    reads = cdiv(m.vectors, copies) * m.input_slices  # sequential reads of each macro per evaluation
    if pim.pipelined_adc:   # read k+1 overlaps the conversions of read k: fill + steady state
        read_ns = max(pim.read_pulse_ns, convert_ns)
        eval_ns = reads * read_ns + min(pim.read_pulse_ns, convert_ns) if reads else 0.0
    else:
        read_ns = pim.read_pulse_ns + convert_ns
        eval_ns = reads * read_ns
    step_ns = step_durations(eval_ns, evals, T)
    info = {
        **head,
        "adc_model": pim.adc_model, "adc_model_source": ADC_MODELS[pim.adc_model].source,
        "adc_pj_per_conversion": e_adc, "adc_ns_per_conversion": t_adc, "adc_lossless_bits": pim.lossless_adc_bits,
        "adc_lossy": pim.adc_bits < pim.lossless_adc_bits,
        "adc_conversions": conversions * evals, "adc_saturated_fraction": act.adc_saturated / max(act.conversions, 1),
        "dac_conversions": dac_ops * evals, "crossbar_reads_per_macro": reads * evals, "read_ns": read_ns,
        "evaluation_ns": eval_ns, **tail,
    }
    return LayerCost(layer.name, "pim", energy, float(eval_ns * evals), info, step_ns, evals, policy)


def _circuit_layer_cost(tech: TechTable, pim: PimConfig, macro: MacroConfig, layer: Layer, act: FirstLayerActivity,
                        evals: int, policy: str, static: bool, T: int, source: str) -> LayerCost:
    """The layer priced by the macro's circuit blocks; buffers as in the table model."""
    from accelsim.hw.pim.circuit_cost import circuit_cost

    m, copies, acc, buf_pj, head, tail = _mapped(tech, pim, layer, act, evals, policy, static, T, source)
    c = circuit_cost(tech, pim, macro, m, act)
    eval_ns = cdiv(m.vectors, copies) * c.vector_ns
    used = head["macros_used"]
    energy = {f"pim.{k}": v * evals + c.static_uw[k] * used * eval_ns * evals * 1e-3 for k, v in c.dynamic_pj.items()}
    energy["pim.buffer"] = buf_pj
    info = {
        **head, "circuit_blocks": list(c.dynamic_pj),
        "adc_lossless_bits": pim.lossless_adc_bits, "adc_lossy": pim.adc_bits < pim.lossless_adc_bits,
        "adc_conversions": act.conversions * (1.0 / act.evaluations) * evals,
        "adc_saturated_fraction": act.adc_saturated / max(act.conversions, 1),
        "vector_ns": c.vector_ns, "evaluation_ns": eval_ns, **tail,
    }
    return LayerCost(layer.name, "pim", energy, float(eval_ns * evals), info, step_durations(eval_ns, evals, T),
                     evals, policy)
