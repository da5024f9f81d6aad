"""Spike-rate calibration of thresholds, layer by layer, in the SNN itself.

For a feed-forward graph the SNN can be run layer-major: all T steps of one
node, then the next. Before a neuron node runs, its T input currents are known
(they depend only on earlier layers), so its threshold can be chosen to give a
target firing rate on the calibration inputs: the rate is monotone in the
threshold, found by bisection on log(threshold) with the neuron kind's own dynamics.
This is spike-based threshold balancing (Sengupta et al. 2019) with a rate
target instead of the maximum current; use it when few time steps make
activation-based balancing starve the deeper layers.
"""
from __future__ import annotations

import numpy as np

from accelsim.engine.execute import Executor, NeuronExec, make_executor
from accelsim.engine.interpret import Op, interpret
from accelsim.workload.graph import Graph


def _rate(ex: NeuronExec, currents: list[np.ndarray], thr: float) -> float:
    """Firing rate of ``ex``'s neurons (its kind's dynamics) under ``currents`` with threshold ``thr``."""
    state = ex.kind.initial_state(ex.node.attrs, currents[0].shape[0], currents[0].shape[1])
    params = {**ex.params, "threshold": np.full(currents[0].shape[1], thr)}
    spikes = 0.0
    for i in currents:
        spikes += ex.kind.step(state, i, params, "numpy").sum()
    return spikes / (currents[0].size * len(currents))


def _threshold(cur: list[np.ndarray], ex: NeuronExec, goal: float, iters: int) -> float:
    """The threshold of neuron ``ex`` giving firing rate ``goal`` under the per-step currents ``cur``."""
    peak = max(float(c.max()) for c in cur)
    if peak <= 0:
        return 1.0
    lo, hi = np.log(peak) - 20.0, np.log(peak) + 1.0  # rate(lo) ~ high, rate(hi) = 0
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if _rate(ex, cur, float(np.exp(mid))) > goal:
            lo = mid
        else:
            hi = mid
    return float(np.exp(0.5 * (lo + hi)))


def _calibrated(name: str, ex: NeuronExec, goal: float, iters: int, thresholds: dict[str, float]) -> Op:
    """Neuron ``ex`` on all steps, its threshold first set (and stored in ``thresholds``) for rate ``goal``."""
    def run(ins: list) -> list[np.ndarray]:
        thr = _threshold([c.reshape(c.shape[0], -1) for c in ins[0]], ex, goal, iters)
        thresholds[name] = thr
        ex.thr = np.full_like(ex.thr, thr)
        ex.reset(ins[0][0].shape[0])
        return [ex([c]) for c in ins[0]]
    return run


def _every_step(ex: Executor, T: int) -> Op:
    """``ex`` on each of the ``T`` steps of its per-step inputs (a tensor is passed whole at every step);
    a stateful node starts from its reset state."""
    def run(ins: list) -> list[np.ndarray]:
        if ex.stateful:
            ex.reset(next(v[0].shape[0] for v in ins if isinstance(v, list)))
        return [ex([v[t] if isinstance(v, list) else v for v in ins]) for t in range(T)]
    return run


def calibrate_rates(graph: Graph, x: np.ndarray, target: float | dict[str, float], iters: int = 40) -> dict[str, float]:
    """Per neuron node, the (scalar) threshold giving firing rate ``target`` on inputs ``x``."""
    T = graph.timesteps
    per_step = x.ndim == len(graph.input.shape) + 2
    thresholds: dict[str, float] = {}
    ops: dict[str, Op] = {}
    for node in graph.nodes:
        ex = make_executor(graph, node, "numba")
        if isinstance(ex, NeuronExec) and ex.spiking:
            goal = target[node.name] if isinstance(target, dict) else target
            ops[node.name] = _calibrated(node.name, ex, goal, iters, thresholds)
        else:
            ops[node.name] = _every_step(ex, T)
    interpret(graph, {graph.input.name: [x[:, t] if per_step else x for t in range(T)]}, ops)
    return thresholds
