"""A terminal summary of a report that a person reads in five seconds.

Headline first (energy, latency, EDP, accuracy per inference), then the top energy
components, a per-layer table and the CNN baselines with their ratios. Reads only
report.json keys, so it works on any saved report.
"""
from __future__ import annotations

from typing import Any, Optional


def _scaled(x: Optional[float], units: tuple[tuple[float, str], ...], below, spec: str = ".3f",
            sep: str = " ") -> str:
    """``x`` in the first of ``units`` (``(scale, name)``, largest first) whose scale ``|x|``
    reaches, formatted with ``spec``; ``below(x)`` under the smallest; ``-`` for None."""
    if x is None:
        return "-"
    for scale, unit in units:
        if abs(x) >= scale:
            return f"{x / scale:{spec}}{sep}{unit}"
    return below(x)


def fmt_energy(pj: Optional[float]) -> str:
    return _scaled(pj, ((1e9, "mJ"), (1e6, "uJ"), (1e3, "nJ")), lambda x: f"{x:.3f} pJ")


def fmt_time(ns: Optional[float]) -> str:
    return _scaled(ns, ((1e9, "s"), (1e6, "ms"), (1e3, "us")), lambda x: f"{x:.1f} ns")


def fmt_power(w: Optional[float]) -> str:
    return _scaled(w, ((1.0, "W"), (1e-3, "mW"), (1e-6, "uW")), lambda x: f"{x * 1e9:.3f} nW")


def fmt_count(x: float) -> str:
    """Three significant digits, the prefix chosen after rounding (999,999 is ``1M``, not ``1e+03k``)."""
    return _scaled(float(f"{x:.3g}"), ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")), lambda v: f"{v:.3g}", ".3g",
                   "")


def fmt_ratio(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:.3g}x"


def _table(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """Columns sized to content; the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return [line(header), "-" * len(line(header))] + [line(r) for r in rows]


def headline(report: dict[str, Any]) -> list[str]:
    pi = report["per_inference"]
    model = report.get("cost_model", {}).get("name", "?")
    cores = report.get("mapping", {}).get("core_cost_model")
    model += f" (cores: {cores})" if cores else ""
    coding, pipe = report.get("coding") or {}, report.get("pipeline") or {}
    steps = (f"FS: {coding['passes']} pass x K={coding['phases']} phases" if coding.get("scheme") == "fs"
             else f"T={report['timesteps']}")
    lines = [
        f"accelsim {report['accelsim_version']}  arch={report['arch']}  workload={report['workload']}  "
        f"samples={report['samples']}  {steps}  cost model: {model}",
        f"per inference:  energy {fmt_energy(pi['energy_pj'])}   latency {fmt_time(pi['latency_ns'])}   "
        f"EDP {pi['edp_pj_ns']:.4g} pJ*ns",
    ]
    if report.get("accuracy") is not None:
        lines[-1] += f"   accuracy {100 * report['accuracy']:.2f} % ({report['samples']} samples)"
    if pipe.get("throughput_inputs_per_s"):
        lines.append(f"pipelined:  one input every {fmt_time(pipe['interval_ns'])} ({pipe['throughput_inputs_per_s']:.4g} "
                     f"inputs/s, {pipe['inputs']} inputs streamed; busiest: {pipe['busiest_resource']})")
    if coding.get("spikes_per_neuron") is not None:
        lines.append(f"spikes per neuron: {coding['spikes_per_neuron']:.3f} per inference ({coding['scheme']} coding)")
    return lines


def top_components(report: dict[str, Any], top: int = 5) -> str:
    total = report["per_inference"]["energy_pj"] or 1.0
    comps = sorted(report["energy_breakdown_pj"].items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in comps[:top])
    rest = sum(v for _, v in comps[top:])
    if rest:
        shown += f", other {100 * rest / total:.1f}%"
    return "top components: " + shown


def layer_table(report: dict[str, Any]) -> list[str]:
    total = report["per_inference"]["energy_pj"] or 1.0
    rows = []
    for l in report["layers"]:
        rate = l.get("spike_rate")
        rows.append([l["name"], l.get("op", ""), l["engine"], str(l["neurons"]), fmt_count(l["synaptic_ops"]),
                     "-" if rate is None else f"{rate:.3f}", fmt_energy(l["energy_pj"]),
                     f"{100 * l['energy_pj'] / total:.1f}%", fmt_time(l["latency_ns"])])
    table = _table(["layer", "op", "engine", "neurons", "syn ops", "spike rate", "energy", "share", "span"], rows,
                   left=3)
    return table + ["span: from a layer's first task to its last in the schedule; layers overlap, "
                    "the delay per inference is the makespan"]


def baseline_table(report: dict[str, Any]) -> list[str]:
    base = report.get("baselines") or {}
    cnns = [(n, b) for n, b in base.items() if b.get("kind", "cnn") == "cnn"]
    if not cnns:
        return []
    rows = []
    for name, b in cnns:
        memory = None if b.get("memory_traffic", "none") == "none" else b.get("memory_pj")
        rows.append([name, fmt_energy(b["energy_pj"]), fmt_energy(memory),
                     fmt_ratio(b.get("cnn_over_snn")), fmt_ratio(b.get("cnn_over_snn_compute_only"))])
    lines = ["baselines (iso-architecture CNN, one pass; ratio = CNN energy / SNN energy: above 1 the SNN uses less, "
             "below 1 more):"]
    lines += _table(["baseline", "energy", "of which memory", "vs SNN (full model)", "vs SNN (compute only)"], rows)
    snn_c = base.get("snn_compute_only")
    if snn_c:
        lines.append(f"SNN compute only (ACE-SNN method, {snn_c['precision']}: first layer MACs + later-layer "
                     f"accumulates): {fmt_energy(snn_c['energy_pj'])}")
    return lines


def hybrid_lines(report: dict[str, Any]) -> list[str]:
    """Energy (and power) by engine, the ANN part and Aydin's accounting: hybrid or real-time runs only."""
    rt, hy = report.get("real_time"), report.get("hybrid")
    if rt is None and hy is None:
        return []
    by_engine = report.get("energy_by_engine_pj", {})
    lines = ["energy by engine: " + ", ".join(f"{k} {fmt_energy(v)}" for k, v in by_engine.items())]
    if hy is not None:
        sw = hy["state_writes"]
        lines.append(f"hybrid ANN-SNN: ANN every {hy['ann_every']} steps (runs at {hy['ann_runs'][:6]}"
                     f"{'...' if len(hy['ann_runs']) > 6 else ''}): ANN {fmt_energy(hy['ann_energy_pj'])}, "
                     f"state writes {fmt_count(sw['elements'])} ({fmt_energy(sw['energy_pj'])}), "
                     f"SNN {fmt_energy(hy['snn_energy_pj'])}")
    if rt is not None:
        p = rt["power_w"]
        rates = f"SNN {rt['snn_rate_hz']:.4g} Hz" + (f", ANN {rt['ann_rate_hz']:.4g} Hz" if "ann_rate_hz" in rt else "")
        lines.append(f"real time: step {fmt_time(rt['step_s'] * 1e9)} ({rates}): average power "
                     f"{fmt_power(p['total'])} (" + ", ".join(f"{k} {fmt_power(v)}" for k, v in p.items()
                                                           if k != "total") + ")"
                     + ("" if rt["meets_real_time"] else "; the delay exceeds the real-time window"))
    base = report.get("baselines", {})
    if "hybrid_aydin" in base:
        a, o, h = base["hybrid_aydin"], base["ann_only_aydin"], base["ann_only_hw"]
        lines.append(f"Aydin's accounting: hybrid {fmt_energy(a['energy_pj'])} ({fmt_power(a['power_w'])}), "
                     f"ANN only at the SNN rate {fmt_energy(o['energy_pj'])} ({fmt_power(o['power_w'])}); "
                     f"ANN only at the SNN rate, full hardware model {fmt_energy(h['energy_pj'])} "
                     f"({fmt_power(h['power_w'])})")
    return lines


def summary(report: dict[str, Any], top: int = 5) -> str:
    lines = headline(report)
    lines.append(top_components(report, top))
    lines += hybrid_lines(report)
    lines.append("")
    lines += layer_table(report)
    base = baseline_table(report)
    if base:
        lines.append("")
        lines += base
    return "\n".join(lines)
