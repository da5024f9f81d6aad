"""Assemble report.json (its keys: docs/models.md, "report.json") from a trace and a cost result."""
from __future__ import annotations

from typing import Any

from accelsim.report.neurobench import neurobench_block
from accelsim.version import __version__
from accelsim.config.loader import ArchSpec
from accelsim.cost.result import CostResult
from accelsim.engine.phases import has_graded, max_phases
from accelsim.engine.trace import Trace
from accelsim.report.aydin import aydin_baselines
from accelsim.report.baselines import cnn_baselines
from accelsim.report.hybrid import energy_by_engine, hybrid_block, real_time_block
from accelsim.workload.graph import Graph


def _f(x: float) -> float:
    return float(x)


def build_report(graph: Graph, spec: ArchSpec, trace: Trace, cost: CostResult, *, arch_file: str,
                 workload_file: str, inputs: str) -> dict[str, Any]:
    N, T = trace.samples, trace.timesteps
    K = max_phases(graph) if has_graded(graph) else 1  # few-spikes coding: report time in phases
    energy = cost.energy_pj
    latency = cost.latency_ns
    layers = []
    for layer, counts, lc in zip(trace.layers, trace.counts, cost.layers):
        neurons = layer.neurons
        spikes_out = int(counts.spikes_out.sum())
        slots = T * (layer.neuron.spec.neuron.phases_of(layer.neuron.attrs) if layer.spiking else 1)
        if layer.spiking:
            rate = spikes_out / (neurons * slots * N)  # per neuron and phase (one phase per step but FS)
            sparsity = 1.0 - rate
        else:
            rate = None
            sparsity = 1.0 - int(counts.nonzero_out.sum()) / (neurons * T * N)
        # a held (direct-input) first layer is evaluated once per inference, not every step:
        # its hardware work is the trace's per-step work times the evaluations
        evals = lc.evaluations if layer.first_layer and lc.evaluations is not None else T
        hw = evals / T
        layers.append({
            "name": layer.name,
            "op": layer.synapse.op,
            "engine": lc.engine,
            "neuron": layer.neuron.op if layer.neuron is not None else None,
            "spiking": layer.spiking,
            "merges_into": layer.merges_into,
            "recurrent": layer.recurrent,
            "input_shape": list(layer.in_shape),
            "output_shape": list(layer.out_shape),
            "neurons": neurons,
            "fan_in": layer.fan_in,
            "weights": layer.weights,
            "dense_macs": layer.macs,
            "evaluations": evals,
            "synaptic_ops": _f(counts.synaptic_ops.sum() / N * hw),
            "spikes_in": _f(counts.events_in.sum() / N * hw),
            "spikes_out": _f(spikes_out / N),
            "input_density": _f(counts.events_in.sum() / (N * T * max(1, int(layer.fanout.size)))),
            "spike_rate": rate,
            "spikes_per_neuron": _f(spikes_out / (neurons * N)) if layer.spiking else None,
            "sparsity": _f(sparsity),
            "numerics": None if layer.neuron is None else "fixed" if counts.overflows is not None else "float",
            "overflow_events": _f(counts.overflows.sum() / N) if counts.overflows is not None else None,
            "energy_pj": _f(lc.total_pj),
            "latency_ns": _f(lc.latency_ns),
            "energy_breakdown_pj": {k: _f(v) for k, v in sorted(lc.energy_pj.items())},
            "cost_details": lc.info,
        })
    report = {
        "accelsim_version": __version__,
        "arch": spec.arch.name,
        "arch_file": arch_file,
        "workload": graph.name,
        "workload_file": workload_file,
        "inputs": inputs,
        "samples": N,
        "timesteps": T * K,
        "coding": coding_info(graph, trace, K),
        "cost_model": {"name": cost.model, "note": cost.note},
        "static_input": cost.static_input,
        "mapping": cost.mapping,
        "timing": cost.timing,
        "per_inference": {
            "energy_pj": _f(energy),
            "latency_ns": _f(latency),
            "edp_pj_ns": _f(energy * latency),
        },
        "pipeline": cost.pipeline,
        "energy_breakdown_pj": {k: _f(v) for k, v in cost.breakdown().items()},
        "layers": layers,
        "accuracy": trace.accuracy,
        "accuracy_by_timestep": trace.accuracy_by_step,
        "baselines": cnn_baselines(trace, spec, energy, graph.weight_bits or spec.arch.core.weight_bits),
        "neurobench": neurobench_block(graph, trace, spec.arch),
    }
    report["energy_by_engine_pj"] = energy_by_engine(cost)
    real_time = real_time_block(graph, trace, cost, report["energy_by_engine_pj"])
    for key, block in (("hybrid", hybrid_block(trace, cost)), ("real_time", real_time)):
        if block is not None:
            report[key] = block
    report["baselines"].update(aydin_baselines(trace, cost, graph.step_s))
    return report


def coding_info(graph: Graph, trace: Trace, phases: int) -> dict[str, Any]:
    """report.json's ``coding``: rate (T steps, one spike at most per neuron and step) or few-spikes
    (``fs``: each FS layer runs K phases per pass, ``timesteps`` = passes x K), and the spikes per
    spiking neuron per inference over the whole network."""
    spiking = [(l, c) for l, c in zip(trace.layers, trace.counts) if l.spiking]
    neurons = sum(l.neurons for l, _ in spiking)
    spikes = sum(int(c.spikes_out.sum()) for _, c in spiking)
    fs = has_graded(graph)
    return {
        "scheme": "fs" if fs else "rate",
        "passes": trace.timesteps if fs else None,
        "phases": phases if fs else None,
        "spikes_per_neuron": spikes / (neurons * trace.samples) if neurons else None,
    }
