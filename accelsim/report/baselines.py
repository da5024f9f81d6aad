"""Iso-architecture CNN baselines (ACE-SNN's comparison).

The same graph with ReLU instead of spiking neurons, run once (no time steps) on
a digital MAC engine: energy = sum over layers of dense MACs x energy per MAC at
the given precision (tech table; integer MACs accumulate at 2b+8 bits, capped at
32). Memory traffic is not included. Ratios compare the SNN's whole energy per
inference with the CNN's.
"""
from __future__ import annotations

from typing import Optional

from accelsim.config.tech import TechTable
from accelsim.engine.lower import Layer


def cnn_baselines(layers: list[Layer], tech: TechTable, snn_energy_pj: float,
                  weight_bits: Optional[int]) -> dict[str, dict]:
    macs = sum(l.macs for l in layers)
    precisions: list[str | int] = ["fp32"]
    if weight_bits is not None:
        precisions.append(int(weight_bits))
    out: dict[str, dict] = {}
    for p in precisions:
        e = macs * tech.mac_pj(p)
        name = "cnn_fp32" if p == "fp32" else f"cnn_int{p}"
        out[name] = {
            "energy_pj": float(e),
            "macs": int(macs),
            "energy_per_mac_pj": float(tech.mac_pj(p)),
            "snn_over_cnn": float(snn_energy_pj / e) if e else None,
            "cnn_over_snn": float(e / snn_energy_pj) if snn_energy_pj else None,
        }
    return out
