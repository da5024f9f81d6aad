"""The ANN view of a workload: one pass, neurons replaced by a static activation.

* ``relu``: the iso-architecture CNN (ReLU instead of spiking neurons), used for
  conversion (threshold balancing) and as the baseline network;
* ``rate``: the converted SNN's rate model, ``clip(I / threshold, 0, 1)``, the
  steady-state firing rate of an IF neuron with reset by subtraction under a
  constant input current ``I`` per step.

Uses the numpy reference kernels (dense inputs: gathering beats scattering).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from accelsim.engine.execute import NeuronExec, make_executor
from accelsim.workload.graph import Graph


def run_ann(graph: Graph, x: np.ndarray, mode: str = "relu", capture: Optional[dict[str, list]] = None,
            batch_size: int = 32) -> np.ndarray:
    """Readout values [N, classes] of one ANN pass. ``capture`` (if given) receives,
    per neuron node name, the list of its input (pre-activation) batches."""
    if mode not in ("relu", "rate"):
        raise ValueError(f"mode must be 'relu' or 'rate', not {mode!r}")
    if x.ndim == len(graph.input.shape) + 2:  # a per-step sequence: its mean is the rate input
        x = x.mean(axis=1)
    execs = {n.name: make_executor(graph, n, "numpy") for n in graph.nodes}
    outs = []
    for start in range(0, x.shape[0], batch_size):
        vals: dict[str, np.ndarray] = {graph.input.name: x[start:start + batch_size].astype(np.float64)}
        for node in graph.nodes:
            ins = [vals[i] if i in vals else graph.tensors[i] for i in node.inputs]
            ex = execs[node.name]
            if isinstance(ex, NeuronExec) and ex.spiking:
                cur = ins[0]
                if capture is not None:
                    capture.setdefault(node.name, []).append(cur)
                if mode == "relu":
                    vals[node.output] = np.maximum(cur, 0.0)
                else:
                    thr = ex.thr.reshape(cur.shape[1:])
                    vals[node.output] = np.clip(cur / thr, 0.0, 1.0)
            else:
                vals[node.output] = ex(ins)
        outs.append(vals[graph.readout.output].reshape(vals[graph.readout.output].shape[0], -1))
    return np.concatenate(outs, axis=0)
