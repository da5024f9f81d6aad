"""Per-action energies of the PIM macro's periphery and array, from the tech table.

Small pure functions: parameters in, pJ out. Each states its model and the
table entries it uses (sources in accelsim/tech/<node>.yaml). ADC models are in
:mod:`accelsim.tech.adc`.
"""
from __future__ import annotations

from accelsim.tech.table import TechTable


def dac_pj(tech: TechTable, bits: int) -> float:
    """One DAC conversion driving a word line: C * bits * VDD^2 (ZigZag), 1 fF*V^2 = 1e-3 pJ."""
    return tech.dac.cap_ff * bits * tech.vdd_v ** 2 * 1e-3


def cell_conductance_us(tech: TechTable) -> tuple[float, float]:
    """(G_off, G_on) of a memory cell in uS: 1 / R in kOhm is mS, x 1000 for uS."""
    return 1e3 / tech.rram.r_off_kohm, 1e3 / tech.rram.r_on_kohm


def array_read_pj(tech: TechTable, pulse_ns: float, drive_off: float, drive_on: float) -> float:
    """Energy dissipated in the cells by read pulses: sum over pulses and cells of V^2 G t.

    With V_i = (a_i / a_max) V_read and G_ij = G_off + f_ij (G_on - G_off):
    ``E = V_read^2 t (drive_off G_off + drive_on (G_on - G_off))`` where
    ``drive_off = sum (a_i/a_max)^2 * cells`` and ``drive_on = sum (a_i/a_max)^2 * f_ij``
    (recorded by the functional model). V^2 * uS * ns = 1e-15 J = 1e-3 pJ.
    """
    g_off, g_on = cell_conductance_us(tech)
    return tech.rram.read_v ** 2 * pulse_ns * (drive_off * g_off + drive_on * (g_on - g_off)) * 1e-3
