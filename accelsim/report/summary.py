"""A terminal summary of a report that a person reads in a few seconds."""
from __future__ import annotations

from typing import Any


def _eng(x: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}"


def _energy(pj: float) -> str:
    for scale, unit in ((1e9, "mJ"), (1e6, "uJ"), (1e3, "nJ")):
        if pj >= scale:
            return f"{pj / scale:.3f} {unit}"
    return f"{pj:.3f} pJ"


def _time(ns: float) -> str:
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "us")):
        if ns >= scale:
            return f"{ns / scale:.3f} {unit}"
    return f"{ns:.1f} ns"


def summary(report: dict[str, Any], top: int = 5) -> str:
    pi = report["per_inference"]
    lines = [
        f"accelsim {report['accelsim_version']}  arch={report['arch']}  workload={report['workload']}  "
        f"samples={report['samples']}  T={report['timesteps']}  cost model: {report['cost_model']['name']}",
        f"per inference: energy {_energy(pi['energy_pj'])}   latency {_time(pi['latency_ns'])}   "
        f"EDP {pi['edp_pj_ns']:.4g} pJ*ns",
    ]
    if report.get("accuracy") is not None:
        lines.append(f"accuracy: {100 * report['accuracy']:.2f} % over {report['samples']} samples")
    total = pi["energy_pj"] or 1.0
    comps = sorted(report["energy_breakdown_pj"].items(), key=lambda kv: -kv[1])[:top]
    lines.append("top components: " + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in comps))
    lines.append("")
    hdr = f"{'layer':<14}{'op':<6}{'engine':<7}{'neurons':>9}{'syn ops':>11}{'spike rate':>11}{'energy':>13}{'latency':>12}"
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for l in report["layers"]:
        rate = "-" if l["spike_rate"] is None else f"{l['spike_rate']:.3f}"
        lines.append(f"{l['name'][:13]:<14}{l['op'][:5]:<6}{l['engine']:<7}{l['neurons']:>9}"
                     f"{_eng(l['synaptic_ops'], ''):>11}{rate:>11}{_energy(l['energy_pj']):>13}{_time(l['latency_ns']):>12}")
    if report.get("baselines"):
        lines.append("")
        for name, b in report["baselines"].items():
            lines.append(f"baseline {name:<10} {_energy(b['energy_pj']):>12}   SNN uses {b['snn_over_cnn']:.3g}x "
                         f"({b['cnn_over_snn']:.3g}x less)")
    return "\n".join(lines)
