"""Iso-architecture CNN baselines (the comparison ACE-SNN makes) and ratios.

The CNN is the same graph with ReLU instead of spiking neurons, run once (no
time steps) on a digital MAC engine. For precision ``p`` (``fp32``, ``fp16`` or
``k`` integer bits):

    E_CNN(p) = sum_l MACs_l * E_MAC(p)                       (compute)
             + traffic_bits(p) * energy per bit              (memory, optional)

``E_MAC(p)`` comes from the tech table (:meth:`TechTable.mac_pj`: multiply + add
at the accumulator width). Memory traffic, when ``baselines.memory_traffic`` is
``sram`` or ``dram``, moves every weight and every activation exactly once per
inference (ideal reuse: a lower bound): weights ``W_l * p`` bits read, inputs
``|x_l| * p`` bits read, outputs ``|y_l| * p`` bits written.

ACE-SNN's "compute-only" SNN energy (its probable energy model, not stated in
the paper; see docs/baselines.md) is also given, so that its ratios can be
reproduced on our counts:

    E_SNN,compute = MACs_1 * E_MAC(k) * evals_1 + sum_{l>=2} SynOps_l * E_AC(k)

with ``SynOps_l = MACs_l * zeta_l`` the exact synaptic operations of the trace
(zeta_l = input spikes per neuron over the T steps, fan-out weighted),
``E_AC(k)`` the accumulator add of the k-bit MAC, and ``evals_1`` = 1 for a
direct (static) input, T for a sequence input. Ratios are CNN over SNN ("the SNN
uses x times less"): ``cnn_over_snn`` against the whole simulated SNN energy,
``cnn_over_snn_compute_only`` against ``E_SNN,compute`` with the CNN's compute
part only (ACE-SNN's method).
"""
from __future__ import annotations

import math
from typing import Any, Optional, Union

from accelsim.config.loader import ArchSpec
from accelsim.tech.table import TechTable
from accelsim.engine.lower import Layer
from accelsim.engine.trace import Trace

Precision = Union[str, int]


def precision_bits(p: Precision) -> int:
    """Storage bits of one value at precision ``p``."""
    return {"fp32": 32, "fp16": 16}[p] if isinstance(p, str) else int(p)


def precision_name(p: Precision) -> str:
    return p if isinstance(p, str) else f"int{p}"


def accumulate_pj(tech: TechTable, p: Precision) -> float:
    """E_AC(p): the add of one MAC at precision ``p`` (FP add, or the integer accumulator add)."""
    if p == "fp32":
        return tech.arith_pj.fp32_add
    if p == "fp16":
        return tech.arith_pj.fp16_add
    return tech.int_add_pj(min(2 * int(p) + 8, 32))


def _ratio(a: float, b: float) -> Optional[float]:
    return float(a / b) if b else None


def cnn_memory_pj(layer: Layer, p: Precision, tech: TechTable, where: str, sram_kib: float) -> float:
    """Memory energy of one CNN layer moving each weight and activation once (pJ)."""
    if where == "none":
        return 0.0
    bits = precision_bits(p)
    read_bit = tech.sram_access_pj(sram_kib, 1)
    write_bit = tech.sram_access_pj(sram_kib, 1, write=True)
    weight_bit = tech.dram_pj_per_bit if where == "dram" else read_bit
    acts_in = math.prod(layer.in_shape) * bits
    acts_out = math.prod(layer.out_shape) * bits
    return layer.weights * bits * weight_bit + acts_in * read_bit + acts_out * write_bit


def cnn_baseline(layers: list[Layer], p: Precision, tech: TechTable, where: str, sram_kib: float) -> dict[str, Any]:
    """One CNN baseline at precision ``p``: energy per inference and its parts."""
    e_mac = tech.mac_pj(p)
    rows = []
    for layer in layers:
        rows.append({"name": layer.name, "macs": int(layer.macs), "compute_pj": float(layer.macs * e_mac),
                     "memory_pj": float(cnn_memory_pj(layer, p, tech, where, sram_kib))})
    compute = float(sum(r["compute_pj"] for r in rows))
    memory = float(sum(r["memory_pj"] for r in rows))
    return {"kind": "cnn", "precision": precision_name(p), "energy_pj": compute + memory, "compute_pj": compute,
            "memory_pj": memory, "memory_traffic": where, "macs": int(sum(r["macs"] for r in rows)),
            "energy_per_mac_pj": float(e_mac), "layers": rows}


def snn_compute_only(trace: Trace, p: Precision, tech: TechTable) -> dict[str, Any]:
    """ACE-SNN's compute-only SNN energy on the trace's exact synaptic operations."""
    N, T = trace.samples, trace.timesteps
    e_mac, e_ac = tech.mac_pj(p), accumulate_pj(tech, p)
    rows = []
    for layer, counts in zip(trace.layers, trace.counts):
        if layer.first_layer:
            evals = 1 if layer.name in trace.static_layers else T
            ops = float(layer.macs * evals)
            rows.append({"name": layer.name, "op": "mac", "macs": int(layer.macs), "evaluations": evals,
                         "ops": ops, "zeta": None, "energy_pj": ops * e_mac})
        else:
            ops = float(counts.synaptic_ops.sum()) / N
            rows.append({"name": layer.name, "op": "ac", "macs": int(layer.macs), "evaluations": T,
                         "ops": ops, "zeta": _ratio(ops, layer.macs), "energy_pj": ops * e_ac})
    return {"kind": "snn_compute_only", "precision": precision_name(p),
            "energy_pj": float(sum(r["energy_pj"] for r in rows)),
            "energy_per_mac_pj": float(e_mac), "energy_per_ac_pj": float(e_ac), "layers": rows}


def baseline_precisions(weight_bits: Optional[int], extra: list[Precision]) -> list[Precision]:
    """FP32, the workload's weight precision, then the arch file's extra precisions (no repeats)."""
    out: list[Precision] = ["fp32"]
    for p in ([int(weight_bits)] if weight_bits is not None else []) + list(extra):
        if p not in out:
            out.append(p)
    return out


def cnn_baselines(trace: Trace, spec: ArchSpec, snn_energy_pj: float, weight_bits: Optional[int]) -> dict[str, dict]:
    """The report's ``baselines``: one entry per CNN precision plus ``snn_compute_only``."""
    cfg = spec.arch.baselines
    tech = spec.tech
    k = int(weight_bits) if weight_bits is not None else "fp32"
    snn_c = snn_compute_only(trace, k, tech)
    out: dict[str, dict] = {}
    for p in baseline_precisions(weight_bits, cfg.precisions):
        b = cnn_baseline(trace.layers, p, tech, cfg.memory_traffic, cfg.sram_kib)
        b["snn_over_cnn"] = _ratio(snn_energy_pj, b["energy_pj"])
        b["cnn_over_snn"] = _ratio(b["energy_pj"], snn_energy_pj)
        b["cnn_over_snn_compute_only"] = _ratio(b["compute_pj"], snn_c["energy_pj"])
        out[f"cnn_{precision_name(p)}"] = b
    out["snn_compute_only"] = snn_c
    return out
