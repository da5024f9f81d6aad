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
pooling/shape nodes); :mod:`accelsim.convert.onnx_import` handles residual adds.

``ratenorm`` is Ding et al.'s rate norm (IJCAI 2021): the threshold is a
fraction p of the maximum, ``lambda_n = p_n * max_n``; activations above it are
clipped (clamp(a / lambda, 0, 1), a firing rate of at most 1). Ding et al. learn
p_n = sigmoid(s_n) while training the ANN; a post-training converter has no such
training, so p is either given (one value for all layers) or ``auto``: per
layer, the p in (0, 1] minimising the expected squared error of the layer's rate
code at T steps on the calibration activations a > 0,

    E(theta) = sum (a - min(a, theta))^2  +  n_active * theta^2 / (3 T^2)

(clipping error plus the error of a count floor(T a / theta) of spikes worth
theta / T each, uniform in [0, theta / T)). Large T gives p -> 1 (max norm);
small T trades clipping for resolution, the trade-off Ding et al.'s p balances.
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


METHODS = ("max", "percentile", "ratenorm")
RATENORM_GRID = np.linspace(0.05, 1.0, 96)  # candidate p for ratenorm "auto"


def ratenorm_error(pos: np.ndarray, theta: np.ndarray, timesteps: int) -> np.ndarray:
    """E(theta) of the module docstring for each candidate threshold (``pos``: activations > 0)."""
    srt = np.sort(pos)
    csum, csq = np.cumsum(srt[::-1])[::-1], np.cumsum((srt ** 2)[::-1])[::-1]
    out = np.empty(len(theta))
    for i, th in enumerate(theta):
        k = int(np.searchsorted(srt, th, side="right"))  # srt[k:] > th are clipped
        clip = (csq[k] - 2 * th * csum[k] + (len(srt) - k) * th * th) if k < len(srt) else 0.0
        out[i] = clip + len(srt) * th * th / (3.0 * timesteps * timesteps)
    return out


def activation_scale(values: np.ndarray, method: str, percentile: float = 99.9,
                     ratenorm_p: float | str = "auto", timesteps: int = 1) -> float:
    """lambda of one neuron node from its (pre- or post-ReLU) activations on the calibration set."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    pos = np.asarray(values, dtype=np.float64).reshape(-1)
    pos = pos[pos > 0]
    if pos.size == 0:
        return 1.0  # a dead layer: keep a unit scale
    top = float(pos.max())
    if method == "max":
        return top
    if method == "percentile":
        return float(np.percentile(pos, percentile))
    if ratenorm_p != "auto":
        return float(ratenorm_p) * top
    err = ratenorm_error(pos, RATENORM_GRID * top, timesteps)
    return float(RATENORM_GRID[int(np.argmin(err))] * top)


def compute_balance(graph: Graph, x: np.ndarray, method: str = "percentile", percentile: float = 99.9,
                    ratenorm_p: float | str = "auto") -> Balance:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    cap: dict[str, list] = {}
    run_ann(graph, x, mode="relu", capture=cap)
    scale: dict[str, float] = {}
    for name, batches in cap.items():
        z = np.concatenate([b.reshape(-1) for b in batches])
        scale[name] = activation_scale(z, method, percentile, ratenorm_p, graph.timesteps)
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
