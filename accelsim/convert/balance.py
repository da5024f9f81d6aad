"""Threshold balancing: set spiking thresholds from the ANN's activations.

The ANN (the same graph with ReLU) runs on calibration inputs. For every neuron
node n, its activation scale lambda_n is the maximum (``max``) or a high
percentile (``percentile``, robust to outliers; Rueckauer et al. 2017) of its
positive pre-activations. Weights are copied unchanged; a spike of neuron n
stands for an activation of lambda_n, so a synaptic layer fed by neurons of scale
lambda_prev (1 for the analog input) receives currents z / lambda_prev, and:

    threshold_n = lambda_n / lambda_prev      (firing rate ~ a_n / lambda_n)
    bias        = bias / lambda_prev

The readout layer's bias is scaled the same way, which keeps the ANN's argmax.
Supported: chains (each synaptic node fed by at most one neuron node through
pooling/shape nodes). Ding et al.'s rate-norm (``ratenorm``) comes with the
importers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from accelsim.engine.ann import run_ann
from accelsim.errors import fail
from accelsim.workload.graph import Graph, Node


@dataclass(frozen=True)
class Balance:
    scale: dict[str, float]        # neuron node -> lambda (activation scale)
    thresholds: dict[str, float]   # neuron node -> threshold
    bias_scale: dict[str, float]   # synaptic node -> factor on its bias (1 / lambda_prev)


def upstream_neuron(graph: Graph, node: Node) -> Optional[Node]:
    """The neuron node feeding ``node``'s data input through stateless non-synaptic nodes."""
    found: list[Node] = []
    stack = [node.inputs[0]]
    while stack:
        p = graph.producer(stack.pop())
        if p is None:
            continue
        if p.kind == "neuron":
            found.append(p)
        elif p.kind != "synaptic":
            stack.extend(graph.value_inputs(p))
    if len({n.name for n in found}) > 1:
        raise fail(graph.source, f"nodes.{node.name}", "threshold balancing supports chains; this node is fed by several neuron nodes")
    return found[0] if found else None


def compute_balance(graph: Graph, x: np.ndarray, method: str = "percentile", percentile: float = 99.9) -> Balance:
    if method not in ("max", "percentile"):
        raise ValueError(f"method must be 'max' or 'percentile', not {method!r}")
    cap: dict[str, list] = {}
    run_ann(graph, x, mode="relu", capture=cap)
    scale: dict[str, float] = {}
    for name, batches in cap.items():
        z = np.concatenate([b.reshape(-1) for b in batches])
        pos = z[z > 0]
        if pos.size == 0:
            lam = 1.0  # a dead layer: keep a unit scale
        elif method == "max":
            lam = float(pos.max())
        else:
            lam = float(np.percentile(pos, percentile))
        scale[name] = lam
    thresholds, bias_scale = {}, {}
    for node in graph.nodes:
        if node.kind != "synaptic":
            continue
        prev = upstream_neuron(graph, node)
        lam_prev = scale[prev.name] if prev is not None else 1.0
        bias_scale[node.name] = 1.0 / lam_prev
        for n in graph.nodes:
            if n.kind == "neuron" and upstream_synapse(graph, n) is node:
                thresholds[n.name] = scale[n.name] / lam_prev
    return Balance(scale, thresholds, bias_scale)


def upstream_synapse(graph: Graph, neuron: Node) -> Optional[Node]:
    stack = [neuron.inputs[0]]
    while stack:
        p = graph.producer(stack.pop())
        if p is None or p.kind == "neuron":
            continue
        if p.kind == "synaptic":
            return p
        stack.extend(graph.value_inputs(p))
    return None
