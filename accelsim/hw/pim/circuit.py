"""One PIM macro on its own: energy, time and area of a full-array matrix-vector product (MVM).

Geometry from ``pim`` (rows, cols, bit widths, DAC, ADC sharing), circuit from
``macro`` (:class:`~accelsim.config.macro.MacroConfig`). Per MVM of one macro:

* MACs ``= R x W`` (R active rows, W = cols / columns_per_weight weights); a MAC at
  the macro's bit widths counts 2 operations whatever the widths.
* input slices ``S = ceil(applied_bits / d)`` with ``d = macro.pulse_bits`` or
  ``pim.dac_bits`` (applied bits: ``input_bits``, or ``input_bits - 1`` magnitude bits for
  signed inputs); an array op applies one.
* conversions per round ``K = cols / columns_per_conversion (/ 2 with
  differential_subtract)``; a round after every slice (``per_slice``) or once per
  MVM (``per_mvm``); ``min(adc_share, K)`` of them serialise on one ADC.
* time ``t = n_cyc c + level_ns (2^(S d) - 1) + rounds min(adc_share, K)
  adc_ns_per_bit adc_bits`` with ``n_cyc = S`` (per_slice) or 1 (per_mvm) and
  ``c = cycle_ns`` scaled by the Stillmaker-Baas delay from ``(macro.node_nm,
  cycle_vdd)`` to the table's ``(node_nm, vdd_v)``; without cycle_ns
  ``c = read_pulse_ns + min(adc_share, K) t_adc`` (the run's model).
* energy of a block ``= events x pj x activity x supply law x ADC-bits law``; events
  per MVM: array_op S, row R S, cell R cols S, column cols S, conversion K rounds,
  mvm 1; activity: 1, the mean input fraction a, or a x the mean weight fraction.
  Supply law (:mod:`accelsim.tech.scaling`): cv2 ``(V/V0)^2 (node/node0)``, logic
  the Stillmaker-Baas energy ratio. Static power (Stillmaker-Baas power ratio) x t.
* figures count only the blocks marked ``counted`` (the paper's accounting):
  ``tops = 2 MACs instances / t``, ``tops_per_w = 2 MACs / E_counted``.
"""
from __future__ import annotations

from dataclasses import dataclass

from accelsim.config.arch import PimConfig
from accelsim.config.macro import MacroBlock, MacroConfig
from accelsim.hw.first_layer import acc_bits
from accelsim.hw.pim.periphery import cell_conductance_us, dac_pj
from accelsim.tech.adc import adc_ns, adc_pj
from accelsim.tech.scaling import cv2_ratio, logic_ratio
from accelsim.tech.table import TechTable
from accelsim.util.mathx import cdiv

SURVEY_BITS = (4, 16)   # resolutions of the survey-bound law (the fit's data start at 4 bits)


class MacroRangeError(ValueError):
    """A parameter outside a model's range: ``path`` (dotted), ``value``, what is allowed."""

    def __init__(self, path: str, value, allowed: str):
        self.path, self.value, self.allowed = path, value, allowed
        super().__init__(f"{path} = {value}: {allowed}")


@dataclass(frozen=True)
class Geometry:
    rows: int
    weights: int
    slices: int
    applied_bits: int
    conversions_per_round: int
    rounds: int
    serial: int

    @property
    def macs(self) -> int:
        return self.rows * self.weights


def pulse_bits(pim: PimConfig, macro: MacroConfig) -> int:
    """Input bits per physical pulse phase (``macro.pulse_bits``, default ``pim.dac_bits``)."""
    return macro.pulse_bits if macro.pulse_bits is not None else pim.dac_bits


def applied_bits(pim: PimConfig, macro: MacroConfig) -> int:
    """Input bits the driver applies: ``input_bits``, or its magnitude bits for signed inputs."""
    return max(1, pim.input_bits - 1) if macro.signed_inputs else pim.input_bits


def bit_lines_per_conversion(macro: MacroConfig) -> int:
    """Bit lines one conversion reads: ``columns_per_conversion``, twice that with
    ``differential_subtract`` (a pair subtracted before the ADC)."""
    return macro.columns_per_conversion * (2 if macro.differential_subtract else 1)


def reference_node(tech: TechTable, macro: MacroConfig) -> float:
    """The node (nm) the macro's figures are given at: ``macro.node_nm``, default the table's."""
    return macro.node_nm if macro.node_nm is not None else tech.node_nm


def geometry(pim: PimConfig, macro: MacroConfig) -> Geometry:
    rows = macro.active_rows or pim.rows
    per_weight = macro.columns_per_weight or pim.weight_slices * (2 if pim.signed_weights == "differential" else 1)
    applied = applied_bits(pim, macro)
    slices = cdiv(applied, pulse_bits(pim, macro))
    k = cdiv(pim.cols, bit_lines_per_conversion(macro))
    rounds = slices if macro.convert == "per_slice" else 1
    return Geometry(rows, pim.cols // per_weight, slices, applied, k, rounds, min(pim.adc_share, k))


def bits_ratio(law: str, bits: int, ref: int) -> float:
    """Energy at ``bits`` over energy at ``ref`` for an ADC-resolution law (see MacroBlock.bits)."""
    if law == "none":
        return 1.0
    if law == "linear":
        return bits / ref
    if law == "exp2":
        return 2.0 ** (bits - ref)
    lo, hi = SURVEY_BITS
    for b in (bits, ref):
        if not lo <= b <= hi:
            raise MacroRangeError("pim.adc_bits" if b == bits else "macro.adc_ref_bits", b,
                                  f"the survey-bound ADC law holds for {lo} to {hi} bits (Murmann survey data)")
    # Schreier FOM bound: E = P/f = 10^(-FOM_S/10) 10^(SNDR/10) / 2, SNDR = 6.02 b + 1.76 dB
    return 10.0 ** (0.602 * (bits - ref))


def supply_ratio(block: MacroBlock, node0: float, node: float, vdd: float, kind: str = "energy") -> float:
    v1 = vdd if block.supply == "core" else block.vdd_v
    if block.law == "logic" or kind == "power":
        return logic_ratio(kind, node0, block.vdd_v, node, v1)
    return cv2_ratio(block.vdd_v, v1) * node / node0


def default_blocks(tech: TechTable, pim: PimConfig, macro: MacroConfig) -> list[MacroBlock]:
    """The run's per-action energies as blocks (docs/pim.md): DAC per row, array per cell, ADC and
    shift-and-add per conversion, at the table's supply; no static power (the run has none)."""
    v, pulse = tech.vdd_v, pim.read_pulse_ns
    g_off, g_on = cell_conductance_us(tech)
    read = tech.rram.read_v ** 2 * pulse * 1e-3          # V^2 ns uS = 1e-3 pJ
    acc = acc_bits(pim.input_bits, pim.weight_bits, macro.active_rows or pim.rows)
    table = "from the technology table (docs/pim.md)"
    return [
        MacroBlock(name="dac", per="row", pj=dac_pj(tech, pim.dac_bits), data="input", vdd_v=v, note=table),
        MacroBlock(name="array", per="cell", pj=read * g_off, data="input", supply="fixed", vdd_v=v, note=table),
        MacroBlock(name="array_on", per="cell", pj=read * (g_on - g_off), data="product", supply="fixed", vdd_v=v,
                   note=table),
        MacroBlock(name="adc", per="conversion", pj=adc_pj(tech, pim.adc_bits, pim.adc_model), vdd_v=v, note=table),
        MacroBlock(name="shift_add", per="conversion", pj=tech.int_add_pj(acc), law="logic", vdd_v=v, note=table),
    ]


def mvm_ns(tech: TechTable, pim: PimConfig, macro: MacroConfig, g: Geometry, node0: float) -> float:
    """Time of one MVM (ns), see the module docstring."""
    if macro.cycle_ns is not None:
        v0 = macro.cycle_vdd if macro.cycle_vdd is not None else tech.vdd_v
        cycle = macro.cycle_ns * logic_ratio("delay", node0, v0, tech.node_nm, tech.vdd_v)
    else:
        cycle = pim.read_pulse_ns + g.serial * adc_ns(tech, pim.adc_bits, pim.adc_model)
    n_cycles = g.slices if macro.convert == "per_slice" else 1
    levels = 2 ** (g.slices * pulse_bits(pim, macro)) - 1
    return (n_cycles * cycle + macro.level_ns * levels
            + g.rounds * g.serial * macro.adc_ns_per_bit * pim.adc_bits)


def _events(per: str, g: Geometry, cols: int) -> float:
    return {"array_op": g.slices, "row": g.rows * g.slices, "cell": g.rows * cols * g.slices,
            "column": cols * g.slices, "conversion": g.conversions_per_round * g.rounds, "mvm": 1}[per]


def evaluate(tech: TechTable, pim: PimConfig, macro: MacroConfig) -> dict:
    """The macro's figures for one full-array MVM stream (see the module docstring); a dict for JSON."""
    g = geometry(pim, macro)
    node0 = reference_node(tech, macro)
    blocks = list(macro.blocks) or default_blocks(tech, pim, macro)
    ref_bits = macro.adc_ref_bits or pim.adc_bits
    t = mvm_ns(tech, pim, macro, g, node0)
    activity = {"none": 1.0, "input": macro.input_fraction, "product": macro.input_fraction * macro.weight_fraction}
    rows = []
    for b in blocks:
        dyn = (_events(b.per, g, pim.cols) * b.pj * activity[b.data] * bits_ratio(b.bits, pim.adc_bits, ref_bits)
               * supply_ratio(b, node0, tech.node_nm, tech.vdd_v))
        static = b.static_uw * supply_ratio(b, node0, tech.node_nm, tech.vdd_v, "power") * t * 1e-3 if b.static_uw else 0.0
        rows.append((b, dyn, static))
    counted = sum(d + s for b, d, s in rows if b.counted)
    total = sum(d + s for _, d, s in rows)
    area = sum(b.area_um2 for b, _, _ in rows if b.counted) * 1e-6
    ops = 2.0 * g.macs
    tops = ops * macro.instances / t * 1e-3                      # ops/ns = 1e9 ops/s
    return {
        "source": macro.source, "node_nm": tech.node_nm, "vdd_v": tech.vdd_v,
        "input_bits": pim.input_bits, "weight_bits": pim.weight_bits, "adc_bits": pim.adc_bits,
        "instances": macro.instances, "macs_per_mvm": g.macs, "input_slices": g.slices,
        "conversions_per_mvm": g.conversions_per_round * g.rounds, "mvm_ns": t,
        "tops": tops, "tops_per_w": ops / counted if counted > 0 else None,
        "energy_per_mac_fj": counted * 1e3 / g.macs, "energy_pj_per_mvm": counted,
        "energy_pj_per_mvm_all_blocks": total,
        "energy_pj_by_block": {b.name: d + s for b, d, s in rows},
        "static_pj_by_block": {b.name: s for b, _, s in rows},
        "counted_blocks": [b.name for b, _, _ in rows if b.counted],
        "area_mm2": area if area > 0 else None,
        "area_mm2_by_block": {b.name: b.area_um2 * 1e-6 for b, _, _ in rows},
        "tops_per_mm2": tops / macro.instances / area if area > 0 else None,
        "data": {"input_fraction": macro.input_fraction, "weight_fraction": macro.weight_fraction},
    }


def evaluate_spec(spec) -> dict:
    """:func:`evaluate` on a loaded architecture (:class:`~accelsim.config.loader.ArchSpec`); a parameter
    outside a model's range is an :class:`~accelsim.errors.InputError` naming the file and key."""
    from accelsim.errors import fail
    from accelsim.tech.scaling import ScalingRangeError

    arch = spec.arch
    try:
        out = evaluate(spec.tech, arch.pim, arch.macro)
    except MacroRangeError as exc:
        raise fail(spec.source, exc.path, exc.allowed, exc.value) from None
    except ScalingRangeError as exc:
        path = "macro.node_nm" if exc.where == "tech.node" else "macro.blocks[].vdd_v or macro.cycle_vdd"
        raise fail(spec.source, path, f"cannot scale from it: {exc.allowed}", exc.value) from None
    return {"arch": arch.name, "file": spec.source, **out}
