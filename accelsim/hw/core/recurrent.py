"""Recurrent connections on the spike cores: what the schedule waits for.

A recurrent layer (``Layer.recurrent``: its synaptic node reads a neuron's output
around a cycle, one step late) receives at step ``t`` the spikes its source
neurons fired at step ``t-1``. On the cores (docs/recurrent.md):

* its events are routed like forward spikes, from the cores owning the source
  neurons to the cores holding its weights (:func:`.mapping.map_layers` puts
  those on the cores owning the membranes it updates), over the NoC, and are
  priced by the same component or per-event model (its SRAM, FIFO and NoC
  counts come from the recorded spikes of ``t-1``);
* its step ``t`` waits for its sources' step ``t-1`` to finish (the spikes must
  exist before they are sent), not for their step ``t``;
* the core tasks of the layer it merges into (the neurons its current feeds)
  wait for it at the same step: those neurons update only after the recurrent
  current of step ``t`` has been accumulated. That layer's own input (its
  first-layer task on the PIM macros, its forward spikes' NoC transfer) does not
  wait.

So a recurrent loop runs its steps one after another (step ``t+1`` of the loop
waits for step ``t``'s spikes to arrive), while layers outside the loop keep
pipelining across steps.
"""
from __future__ import annotations

from typing import NamedTuple

from accelsim.engine.lower import Layer


class StepSources(NamedTuple):
    """The layers a layer's step ``t`` waits for (:class:`accelsim.hw.tasks.LayerTasks`)."""

    same: tuple[int, ...]      # their step t, before its input moves (forward spikes)
    delayed: tuple[int, ...]   # their step t-1, before its input moves (recurrent spikes; none at t = 0)
    update: tuple[int, ...]    # their step t, before its core tasks (recurrent currents into its neurons)


def step_sources(layers: list[Layer], feeding: list[tuple[int, ...]]) -> list[StepSources]:
    """Per layer, what its step ``t`` waits for, from ``feeding`` (the layers whose neurons produce
    each layer's input; see the module docstring)."""
    index = {l.name: l.index for l in layers}
    update: list[tuple[int, ...]] = [() for _ in layers]
    for l in layers:
        if l.recurrent and l.merges_into is not None:
            j = index[l.merges_into]
            update[j] = update[j] + (l.index,)
    return [StepSources(() if l.recurrent else tuple(f), tuple(f) if l.recurrent else (), u)
            for l, f, u in zip(layers, feeding, update)]
