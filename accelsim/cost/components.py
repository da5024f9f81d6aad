"""Per-action energies and times of hardware components, from the tech table.

Small pure functions: parameters in, pJ or ns out. Each states its model.
"""
from __future__ import annotations

import math

from accelsim.config.tech import TechTable


def dac_pj(tech: TechTable, bits: int) -> float:
    """One DAC conversion driving a word line: C * bits * VDD^2 (ZigZag), 1 fF*V^2 = 1e-3 pJ."""
    return tech.dac.cap_ff * bits * tech.vdd_v ** 2 * 1e-3


def adc_pj(tech: TechTable, bits: int, model: str) -> float:
    """One ADC conversion at ``bits`` resolution.

    * ``survey``: Murmann-survey lower bound as fitted by CiMLoop, through the
      table's 4-bit and 8-bit points, exponential in bits:
      E(b) = E4 * (E8/E4)^((b-4)/4);
    * ``sar``: NeuroSim SAR, E = (a*b + c) uW * (b+1) * t_cycle;
    * ``walden``: E = FOM_W * 2^b (ENOB taken as the nominal bits).
    """
    a = tech.adc
    if model == "survey":
        return a.survey_pj_4b * (a.survey_pj_8b / a.survey_pj_4b) ** ((bits - 4) / 4.0)
    if model == "sar":
        return (a.sar_uw_per_bit * bits + a.sar_uw_offset) * (bits + 1) * a.sar_ns_per_cycle * 1e-3
    if model == "walden":
        return a.walden_fom_fj * 2.0 ** bits * 1e-3
    raise ValueError(f"unknown ADC model {model!r}")


def adc_ns(tech: TechTable, bits: int) -> float:
    """Conversion time of a SAR ADC: (b + 1) cycles (NeuroSim)."""
    return (bits + 1) * tech.adc.sar_ns_per_cycle


def fifo_kib(depth: int, word_bits: int) -> float:
    return depth * word_bits / 8.0 / 1024.0


def ceil_div(a: float, b: float) -> int:
    return int(math.ceil(a / b)) if a > 0 else 0
