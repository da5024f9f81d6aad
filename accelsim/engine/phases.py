"""The phases of a step, for neuron kinds that spike several times per step (few-spikes coding).

A graded kind (:attr:`accelsim.neurons.NeuronKind.graded`, e.g. ``FS``) runs all its
K phases in one step and outputs their weighted sum; the functional engine
still needs each phase's spikes: they are the events the next layer receives
(one AER packet per spike, each fanned out and shift-accumulated). Per phase k,
:func:`phase_values` re-evaluates the stateless nodes downstream of the neurons
(pooling, shape, concatenation, adds) on the phase's binary spikes, with every
other value taken from the step's full pass, so a layer's events are

    events(element) = sum_k [value_k(element) != 0]

which for an input taken straight from FS neurons is the popcount of the
quantised activation. A non-graded neuron's spikes are all in phase 0.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from accelsim.engine.interpret import interpret
from accelsim.workload.graph import Graph


def has_graded(graph: Graph) -> bool:
    return any(n.kind == "neuron" and n.spec.neuron.graded for n in graph.nodes)


def phased_values(graph: Graph) -> frozenset[str]:
    """Values that carry spikes phase by phase: neuron outputs and their stateless descendants
    (empty when no neuron of the graph is graded: every step is one phase)."""
    if not has_graded(graph):
        return frozenset()
    out: set[str] = set()
    for n in graph.nodes:
        if n.kind == "neuron":
            out.add(n.output)
        elif n.kind != "synaptic" and any(v in out for v in graph.value_inputs(n)):
            out.add(n.output)
    return frozenset(out)


def max_phases(graph: Graph) -> int:
    """The most phases of any neuron node (1 without neurons)."""
    return max([n.spec.neuron.phases_of(n.attrs) for n in graph.nodes if n.kind == "neuron"] + [1])


def phase_values(graph: Graph, execs: Mapping[str, Any], vals: Mapping[str, np.ndarray], phased: frozenset[str],
                 phase: int) -> dict[str, np.ndarray]:
    """Every value of ``phase`` (0-based): neuron outputs are that phase's binary spikes (read from
    each neuron executor's state after the step), their stateless descendants recomputed from them."""
    cache = {v: x for v, x in vals.items() if v not in phased}
    for n in graph.nodes:
        if n.kind == "neuron":
            ex, y = execs[n.name], vals[n.output]
            z = ex.kind.phase_spikes(ex.state, y.reshape(y.shape[0], -1), phase)
            cache[n.output] = z.reshape(y.shape)
    return interpret(graph, {graph.input.name: vals[graph.input.name]}, execs, cache)


def event_counts(value: str, vals: Mapping[str, np.ndarray], phases: Sequence[Mapping[str, np.ndarray]],
                 phased: frozenset[str]) -> np.ndarray:
    """Events per sample and element of ``value``, [batch, elements]: its non-zero entries, summed
    over the phases when it carries phased spikes (bool when there are no phases, else int64)."""
    nb = vals[value].shape[0]
    if not phases or value not in phased:
        return (vals[value] != 0).reshape(nb, -1)
    out = np.zeros((nb, int(np.prod(vals[value].shape[1:]))), dtype=np.int64)
    for p in phases:
        out += (p[value] != 0).reshape(nb, -1)
    return out
