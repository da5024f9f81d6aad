"""report.json blocks of a hybrid ANN-SNN run and of real-time rates (docs/hybrid.md).

* ``energy_by_engine_pj``: energy per inference of every engine's layers (the
  ``ann`` engine's include its state writes); sums to the total;
* ``hybrid`` (a workload with an ANN part): K, the run steps, the ANN layers
  (dense MACs, evaluations, energy) and the state writes;
* ``real_time`` (the workload declares ``step_s``, or ``--set workload.step_s=...``):
  an inference covers ``T * step_s`` seconds, so the average power of an engine is
  its energy per inference over that time, ``P = E / (T * step_s)``; the SNN rate is
  ``1 / step_s`` and the ANN rate ``1 / (K * step_s)``; ``meets_real_time`` says
  whether the schedule's delay fits in the inference's real time.
"""
from __future__ import annotations

from typing import Any, Optional

from accelsim.cost.result import CostResult
from accelsim.engine.trace import Trace
from accelsim.hw.ann.engine import WRITE_TASK
from accelsim.hw.builtin import get
from accelsim.workload.graph import Graph

PJ_TO_J = 1e-12


def energy_by_engine(cost: CostResult) -> dict[str, float]:
    out: dict[str, float] = {}
    for layer in cost.layers:
        out[layer.engine] = out.get(layer.engine, 0.0) + layer.total_pj
    return dict(sorted(out.items()))


def hybrid_block(trace: Trace, cost: CostResult) -> Optional[dict[str, Any]]:
    ann = trace.ann
    if ann is None:
        return None
    N = trace.samples
    by_name = {c.name: c for c in cost.layers if get(c.engine).runs_ann}
    layers = []
    for layer, counts in zip(ann.layers, ann.counts):
        c = by_name[layer.name]
        layers.append({
            "name": layer.name, "op": layer.synapse.op, "engine": c.engine, "target": c.info.get("target"),
            "state_initialiser": layer.name in ann.initialisers, "input_shape": list(layer.in_shape),
            "output_shape": list(layer.out_shape), "weights": layer.weights, "dense_macs": layer.macs,
            "evaluations": len(ann.runs), "macs": float(counts.synaptic_ops.sum() / N),
            "input_density": float(counts.events_in.sum() / max(1, N * len(ann.runs) * layer.fanout.size)),
            "energy_pj": c.total_pj, "energy_breakdown_pj": dict(sorted(c.energy_pj.items())), "cost_details": c.info,
        })
    writes = by_name.get(WRITE_TASK)
    return {
        "ann_every": ann.every, "ann_runs": list(ann.runs), "layers": layers,
        "state_writes": {
            "elements": float(sum(int(w.sum()) for w in ann.state_writes) / N),
            "bindings": [{"value": b.value, "neuron": b.neuron, "state": b.state,
                          "elements": float(w.sum() / N)} for b, w in zip(ann.bindings, ann.state_writes)],
            "energy_pj": writes.total_pj if writes else 0.0,
            "energy_breakdown_pj": dict(sorted(writes.energy_pj.items())) if writes else {},
            "cost_details": writes.info if writes else {},
        },
        "ann_energy_pj": float(sum(l["energy_pj"] for l in layers)),
        "snn_energy_pj": float(sum(c.total_pj for c in cost.layers if not get(c.engine).runs_ann)),
    }


def real_time_block(graph: Graph, trace: Trace, cost: CostResult,
                    by_engine: dict[str, float]) -> Optional[dict[str, Any]]:
    """Average power per engine and total (``by_engine``: energy per engine, :func:`energy_by_engine`)."""
    if graph.step_s is None:
        return None
    window_s = trace.timesteps * graph.step_s
    power = {k: v * PJ_TO_J / window_s for k, v in by_engine.items()}
    out = {
        "step_s": graph.step_s, "inference_s": window_s, "snn_rate_hz": 1.0 / graph.step_s,
        "power_w": {"total": cost.energy_pj * PJ_TO_J / window_s, **power},
        "meets_real_time": cost.latency_ns * 1e-9 <= window_s,
    }
    if trace.ann is not None:
        out["ann_rate_hz"] = 1.0 / (trace.ann.every * graph.step_s)
    return out
