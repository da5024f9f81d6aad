"""The first layer's PIM energy and time from the macro's circuit blocks (``macro.blocks``).

When the architecture describes its macro by blocks (docs/validation.md, e.g. a
validated macro scaled to the run's node), the run prices the layer with them
instead of the technology table's DAC/array/ADC/shift-add energies. Events per
evaluation of one sample, from the mapping and the functional model's activity
(:class:`~accelsim.hw.first_layer.FirstLayerActivity`):

* array_op: vectors x groups x P x row tiles x column tiles, P the physical pulse
  phases per vector (``ceil(applied bits / pulse_bits)``; the functional slices S
  unless ``macro.pulse_bits`` differs from ``pim.dac_bits``);
* row: all mapped rows per phase (data ``none``), or the rows driven with a non-zero
  code (``input``/``product``: exact for bit-serial inputs), x P / S (every phase of a
  driven row counted when one functional slice stands for several phases: an upper bound);
* cell: mapped cells per phase (``none``), ``sum (a/a_max)^2`` over cells (``input``), or
  ``sum (a/a_max)^2 f_ij`` (``product``, f the programmed level fraction), x P / S;
* column: mapped bit lines per phase; conversion: the functional model's conversions
  (one per bit line and slice) / columns_per_conversion (/ 2 with
  differential_subtract); mvm: vectors x groups x tiles;

each times the block's energy scaled to the run's node and supply
(:func:`~accelsim.hw.pim.circuit.supply_ratio`) and ADC bits
(:func:`~accelsim.hw.pim.circuit.bits_ratio`); static power x busy time x macros used.
Time of one vector: :func:`~accelsim.hw.pim.circuit.mvm_ns` on the layer's tile.
"""
from __future__ import annotations

from dataclasses import dataclass

from accelsim.config.arch import PimConfig
from accelsim.config.macro import MacroConfig
from accelsim.hw.first_layer import FirstLayerActivity
from accelsim.hw.pim.circuit import (Geometry, applied_bits, bit_lines_per_conversion, bits_ratio, mvm_ns,
                                     pulse_bits, reference_node, supply_ratio)
from accelsim.hw.pim.mapping import PimMapping
from accelsim.tech.table import TechTable
from accelsim.util.mathx import cdiv


@dataclass(frozen=True)
class CircuitCost:
    dynamic_pj: dict[str, float]      # per evaluation of one sample, by block
    static_uw: dict[str, float]       # static power of one macro, by block, at the run's supply
    vector_ns: float                  # one input vector through a tile (all input slices)


def tile_geometry(pim: PimConfig, macro: MacroConfig, m: PimMapping) -> Geometry:
    k = cdiv(m.max_cols_in_tile(), bit_lines_per_conversion(macro))
    phases = cdiv(applied_bits(pim, macro), pulse_bits(pim, macro))
    rounds = phases if macro.convert == "per_slice" else 1
    return Geometry(min(m.rows_per_group, pim.rows), m.max_cols_in_tile() // m.cols_per_weight, phases,
                    applied_bits(pim, macro), k, rounds, min(pim.adc_share, k))


def _events(per: str, data: str, m: PimMapping, act: FirstLayerActivity, macro: MacroConfig, phases: int) -> float:
    """Events of one kind per evaluation of one sample (see the module docstring)."""
    n = 1.0 / act.evaluations
    k = phases / m.input_slices          # physical pulse phases per functional slice
    if per == "array_op":
        return float(m.vectors * m.groups * phases * m.row_tiles * m.col_tiles)
    if per == "row":
        if data == "none":
            return float(m.rows_per_group * m.groups * m.col_tiles * m.vectors * phases)
        return float(act.row_driven.sum()) * m.col_tiles * n * k
    if per == "cell":
        if data == "none":
            return float(m.cells_used * m.vectors * phases)
        off, on = act.array_drive()
        return (off if data == "input" else on) * n * k
    if per == "column":
        return float(m.cols_per_group * m.groups * m.row_tiles * m.vectors * phases)
    if per == "conversion":
        return act.conversions * n / bit_lines_per_conversion(macro)
    return float(m.vectors * m.groups * m.row_tiles * m.col_tiles)     # mvm


def circuit_cost(tech: TechTable, pim: PimConfig, macro: MacroConfig, m: PimMapping,
                 act: FirstLayerActivity) -> CircuitCost:
    node0 = reference_node(tech, macro)
    ref_bits = macro.adc_ref_bits or pim.adc_bits
    dyn, static = {}, {}
    g = tile_geometry(pim, macro, m)
    for b in macro.blocks:
        scale = bits_ratio(b.bits, pim.adc_bits, ref_bits) * supply_ratio(b, node0, tech.node_nm, tech.vdd_v)
        dyn[b.name] = _events(b.per, b.data, m, act, macro, g.slices) * b.pj * scale
        static[b.name] = b.static_uw * supply_ratio(b, node0, tech.node_nm, tech.vdd_v, "power") if b.static_uw else 0.0
    return CircuitCost(dyn, static, mvm_ns(tech, pim, macro, g, node0))
