"""Technology tables of other nodes and supplies, derived from a measured table by the scaling laws.

A node file may hold ``derive_from: <node>`` instead of its own numbers (e.g.
``tech/65nm.yaml``): its table is the base table with every entry scaled from the
base's ``(node_nm, vdd_v)`` to the file's ``(node_nm, vdd_v)``; an architecture's
``tech.vdd`` scales any table to another supply the same way. Which law each entry
follows (:mod:`accelsim.tech.scaling`):

* logic (Stillmaker & Baas energy): digital arithmetic, SRAM accesses, NoC routers,
  the SAR ADC's logic power; its cycle time with the delay polynomial;
* static power (Stillmaker & Baas power): SRAM leakage;
* switched capacitance (C V^2, capacitance unchanged): NoC links (wire capacitance
  per mm), DAC, the survey and Walden ADC energies;
* unchanged: off-chip DRAM (its own interface and supply), the RRAM cell (its read
  voltage is its own supply), the survey ADC's rate.
"""
from __future__ import annotations

from typing import Any

from accelsim.tech.scaling import cv2_ratio, logic_ratio

LOGIC = ("noc_router_pj_per_bit",)
CV2 = ("noc_link_pj_per_bit_mm",)
ADC_CV2 = ("survey_pj_8b", "survey_pj_4b", "walden_fom_fj")


def scale_raw(raw: dict[str, Any], node_nm: float, vdd: float) -> dict[str, Any]:
    """The raw table ``raw`` (a node file's mapping) moved to ``(node_nm, vdd)``; a new mapping."""
    n0, v0 = float(raw["node_nm"]), float(raw["vdd_v"])
    e = logic_ratio("energy", n0, v0, node_nm, vdd)
    p = logic_ratio("power", n0, v0, node_nm, vdd)
    d = logic_ratio("delay", n0, v0, node_nm, vdd)
    c = cv2_ratio(v0, vdd)
    out = dict(raw)
    out["node_nm"], out["vdd_v"] = node_nm, vdd
    out["arith_pj"] = {k: v * e for k, v in raw["arith_pj"].items()}
    out["sram_read_64b_pj"] = {k: v * e for k, v in raw["sram_read_64b_pj"].items()}
    out["sram_leakage_uw_per_kib"] = raw["sram_leakage_uw_per_kib"] * p
    for k in LOGIC:
        out[k] = raw[k] * e
    for k in CV2:
        out[k] = raw[k] * c
    adc = dict(raw["adc"])
    for k in ADC_CV2:
        adc[k] = raw["adc"][k] * c
    # SAR: P = (a b + c) uW over (b+1) cycles; energy per cycle follows logic energy, the cycle logic delay
    adc["sar_ns_per_cycle"] = raw["adc"]["sar_ns_per_cycle"] * d
    adc["sar_uw_per_bit"] = raw["adc"]["sar_uw_per_bit"] * e / d
    adc["sar_uw_offset"] = raw["adc"]["sar_uw_offset"] * e / d
    out["adc"] = adc
    out["dac"] = {k: v for k, v in raw["dac"].items()}   # C; its energy uses vdd_v (C V^2) in hw/pim/periphery.py
    return out
