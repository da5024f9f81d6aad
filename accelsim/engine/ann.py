"""The ANN view of a workload: one pass, neurons replaced by a static activation.

* ``relu``: the iso-architecture CNN (ReLU instead of spiking neurons), used for
  conversion (threshold balancing) and as the baseline network;
* ``rate``: the converted SNN's rate model, ``clip(I / threshold, 0, 1)``, the
  steady-state firing rate of an IF neuron with reset by subtraction under a
  constant input current ``I`` per step.

Other stateful nodes (the spiking max-pool) take their steady-state output
(:meth:`accelsim.engine.execute.Executor.steady`: the max-pool of the rates).

Uses the numpy reference kernels (dense inputs: gathering beats scattering).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from accelsim.engine.execute import NeuronExec, make_executor
from accelsim.engine.interpret import Op, interpret
from accelsim.errors import fail
from accelsim.workload.graph import Graph, Node


def _activation(ex: NeuronExec, mode: str) -> Op:
    """The static activation that replaces neuron ``ex``: ``max(I, 0)`` or ``clip(I / threshold, 0, 1)``."""
    if mode == "relu":
        return lambda ins: np.maximum(ins[0], 0.0)
    return lambda ins: np.clip(ins[0] / ex.thr.reshape(ins[0].shape[1:]), 0.0, 1.0)


def run_ann(graph: Graph, x: np.ndarray, mode: str = "relu", capture: Optional[dict[str, list]] = None,
            batch_size: int = 32) -> np.ndarray:
    """Readout values [N, classes] of one ANN pass. ``capture`` (if given) receives,
    per neuron node name, the list of its input (pre-activation) batches."""
    if mode not in ("relu", "rate"):
        raise ValueError(f"mode must be 'relu' or 'rate', not {mode!r}")
    if graph.recurrent:
        raise fail(graph.source, "nodes", "the ANN view (one pass, neurons replaced by a static activation) is not "
                   f"defined for a recurrent graph (cycles through {', '.join(graph.delayed_values)})")
    if x.ndim == len(graph.input.shape) + 2:  # a per-step sequence: its mean is the rate input
        x = x.mean(axis=1)
    execs = {n.name: make_executor(graph, n, "numpy") for n in graph.nodes}
    neurons = {name for name, ex in execs.items() if isinstance(ex, NeuronExec) and ex.spiking}
    ops = {name: _activation(ex, mode) if name in neurons else ex.steady if ex.stateful else ex
           for name, ex in execs.items()}

    def record(node: Node, ins: list, out: np.ndarray) -> None:
        if node.name in neurons:
            capture.setdefault(node.name, []).append(ins[0])

    outs = []
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size].astype(np.float64)
        vals = interpret(graph, {graph.input.name: xb}, ops, observe=record if capture is not None else None)
        y = vals[graph.readout.output]
        outs.append(y.reshape(y.shape[0], -1))
    return np.concatenate(outs, axis=0)
