"""Cycles of a graph: which edges carry the previous step's value (recurrent connections).

A recurrent SNN has cycles; every cycle must pass through a neuron node, whose
output at step t−1 is what the cycle carries into step t (a one-step delay).
The delayed edge of a cycle is chosen deterministically, the same way for the
workload loader and the NIR importer:

1. depth-first search from the nodes that read the graph input (in the given
   order), then from every node not yet reached (in the given order), each
   node's successors in the given order;
2. when the search meets a node that is still on its path (a cycle: the path
   from that node back to it), the delayed edge is the *last* edge on that
   cycle that leaves a neuron node and enters a synaptic node (a recurrent
   weight: the edge "neuron → synapse" closest to where the cycle closes);
3. that edge is removed and the search starts again, until no cycle is left.

A cycle with no neuron node on it is an algebraic loop (its value at step t
would depend on itself at step t) and is refused; so is a cycle whose neurons
never feed a synaptic node directly (a recurrent connection is a weight
matrix: the spikes of step t−1 are multiplied by it at step t).

The module is generic over node names and successor lists; it knows nothing of
the workload's JSON or of NIR.
"""
from __future__ import annotations

from typing import Callable, Hashable, Mapping, Sequence, TypeVar

K = TypeVar("K", bound=Hashable)


class CycleError(Exception):
    """A cycle that cannot be a recurrent connection: ``cycle`` names its nodes in data-flow
    order, starting where the search entered it; ``algebraic``: no neuron node on it."""

    def __init__(self, cycle: list, algebraic: bool):
        self.cycle, self.algebraic = cycle, algebraic
        super().__init__(self.message(str))

    def message(self, name: Callable[[object], str]) -> str:
        names = ", ".join(name(c) for c in self.cycle)
        if self.algebraic:
            return (f"the graph has a cycle through: {names} (back to {name(self.cycle[0])}); it has no neuron node, "
                    "so it is an algebraic loop (its value at a step would depend on itself at that step). A "
                    "recurrent connection must pass through a neuron, whose previous step's output it carries")
        return (f"the graph has a cycle through: {names} (back to {name(self.cycle[0])}), but no neuron on it feeds "
                "a synaptic node (Gemm, MatMul, Conv) directly; a recurrent connection is a neuron's output read "
                "by a synaptic node, which gets the previous step's spikes")


def _find_cycle(nodes: Sequence[K], roots: Sequence[K], succ: Mapping[K, Sequence[K]],
                removed: set[tuple[K, K]]) -> list[K] | None:
    """The first cycle met by the depth-first search (its path, starting at the node it returns to)."""
    state: dict[K, int] = {}  # 1: on the path, 2: done
    for root in list(roots) + list(nodes):
        if root in state:
            continue
        path, iters = [root], [iter(succ.get(root, ()))]
        state[root] = 1
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if (path[-1], nxt) in removed:
                continue
            s = state.get(nxt)
            if s == 1:
                return path[path.index(nxt):]
            if s is None:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(succ.get(nxt, ())))
    return None


def delayed_edges(nodes: Sequence[K], roots: Sequence[K], succ: Mapping[K, Sequence[K]],
                  is_neuron: Callable[[K], bool], is_synapse: Callable[[K], bool]) -> list[tuple[K, K]]:
    """The edges (neuron, synaptic node) that carry the previous step's value, one per cycle broken,
    in the order found (see the module docstring); raises :class:`CycleError` for a cycle that
    cannot be a recurrent connection. ``succ[n]``: the nodes reading ``n``'s output, in order."""
    removed: set[tuple[K, K]] = set()
    out: list[tuple[K, K]] = []
    while True:
        cycle = _find_cycle(nodes, roots, succ, removed)
        if cycle is None:
            return out
        edges = [(cycle[k], cycle[(k + 1) % len(cycle)]) for k in range(len(cycle))]
        usable = [e for e in edges if is_neuron(e[0]) and is_synapse(e[1])]
        if not usable:
            raise CycleError(cycle, algebraic=not any(is_neuron(c) for c in cycle))
        removed.add(usable[-1])
        out.append(usable[-1])
