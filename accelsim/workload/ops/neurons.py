"""Neuron operators: every neuron kind of :mod:`accelsim.neurons` as a workload op.

A kind (LIF, IF, LI, CubaLIF, or one registered later with
:func:`accelsim.neurons.register`) becomes an op of kind ``neuron``: one input
(the current), its attribute model, the output shape of its input, and the
kind's parameters and cost hooks (``params``, ``spiking``, ``update_mults``,
``update_adds``, ``state_words``, ``phases``, ``update_cycles``) copied onto the
spec. :data:`OPS` sees the registry live, so a kind registered or removed after
import is an op or not at once.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

from accelsim.neurons import NEURONS, NeuronKind
from accelsim.workload.ops.registry import OPS, OpSpec

HOOKS = ("params", "spiking", "update_mults", "update_adds", "state_words", "phases", "update_cycles")


class NeuronOp(OpSpec):
    """The base of the neuron ops; ``neuron`` is the kind."""

    kind = "neuron"
    roles = ("value",)

    @classmethod
    def infer(cls, attrs, shapes, consts):
        return tuple(shapes[0])


def neuron_op(kind: type[NeuronKind]) -> type[OpSpec]:
    """The op spec of a neuron kind (a new class; :data:`OPS` keeps one per kind)."""
    body = {name: getattr(kind, name) for name in HOOKS}
    body.update(op=kind.op, neuron=kind, Attrs=kind.Attrs, __doc__=kind.__doc__, __module__=__name__,
                __qualname__=kind.op)
    return type(kind.op, (NeuronOp,), body)


class NeuronOps(Mapping[str, type[OpSpec]]):
    """A live view of :data:`accelsim.neurons.NEURONS` as op specs, each built on first use."""

    def __init__(self) -> None:
        self._specs: dict[type[NeuronKind], type[OpSpec]] = {}

    def __getitem__(self, op: str) -> type[OpSpec]:
        kind = NEURONS[op]
        if kind not in self._specs:
            self._specs[kind] = neuron_op(kind)
        return self._specs[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(list(NEURONS))

    def __len__(self) -> int:
        return len(NEURONS)


NEURON_OPS = NeuronOps()
OPS.maps.append(NEURON_OPS)


def __getattr__(name: str) -> type[OpSpec]:
    """``neurons.LIF`` etc.: the op spec of a registered kind (also what pickle looks up)."""
    if name in NEURONS:
        return NEURON_OPS[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
