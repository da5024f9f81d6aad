"""Steady-state power of a whole spike chip at a mean firing rate, priced by the per-event table.

Chips are characterised this way (TrueNorth: Merolla et al., Science 2014; Akopyan et
al., IEEE TCAD 2015): every neuron fires at ``rate_hz`` on average, every spike
reaches ``synapses_per_spike`` synapses, and the chip advances ``tick_hz`` time steps
per second. Per second, with ``n = cores · neurons_per_core`` neurons:

    spikes    = n · rate_hz
    synops    = spikes · synapses_per_spike
    hops      = spikes · hops_per_spike (east-west and north-south separately)
    updates   = n · tick_hz, of which active = updates · (1 - exp(-synapses_per_spike · rate_hz / tick_hz))
                (a neuron is active in a step when at least one of its inputs spiked; inputs independent
                 Poisson, each neuron with ``synapses_per_spike`` inputs, as many as a spike has targets)
    barriers  = tick_hz
    power     = Σ events/s · energy (:func:`.per_event.event_energy_pj`) + cores · static power

``hops_per_spike`` for spikes sent to a uniformly random core of an X × Y mesh:
``(X² - 1) / (3X)`` east-west and ``(Y² - 1) / (3Y)`` north-south (:func:`uniform_mesh_hops`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.config.per_event import PerEventConfig
from accelsim.hw.core.per_event import EventCounts, event_energy_pj, static_energy_pj


@dataclass(frozen=True)
class ChipActivity:
    """A chip running at a steady mean rate."""

    cores: int
    neurons_per_core: int
    tick_hz: float
    rate_hz: float                 # mean firing rate per neuron
    synapses_per_spike: float      # active synapses a spike reaches (= inputs per neuron)
    hops_ew_per_spike: float
    hops_ns_per_spike: float

    @property
    def neurons(self) -> int:
        return self.cores * self.neurons_per_core

    def per_second(self) -> EventCounts:
        """Events per second."""
        spikes = self.neurons * self.rate_hz
        updates = self.neurons * self.tick_hz
        active = updates * -math.expm1(-self.synapses_per_spike * self.rate_hz / self.tick_hz)
        return EventCounts(synops=spikes * self.synapses_per_spike, active_updates=active,
                           inactive_updates=updates - active, spikes=spikes,
                           hops_ew=spikes * self.hops_ew_per_spike, hops_ns=spikes * self.hops_ns_per_spike,
                           barriers=self.tick_hz)


def uniform_mesh_hops(x: int, y: int) -> tuple[float, float]:
    """Mean (east-west, north-south) hops from a core to a uniformly random core of an x × y mesh."""
    return (x * x - 1) / (3 * x), (y * y - 1) / (3 * y)


def chip_power_mw(pe: PerEventConfig, chip: ChipActivity) -> dict[str, float]:
    """Power (mW) by component: the events' energy per second plus the cores' static power."""
    out = {k: v * 1e-9 for k, v in event_energy_pj(pe, chip.per_second()).items()}  # pJ/s = 1e-9 mW
    out["leakage.core"] = static_energy_pj(pe, chip.cores, 1e9) * 1e-9                # one second
    return out


def energy_per_synop_pj(pe: PerEventConfig, chip: ChipActivity) -> float:
    """Total chip energy (static included) per synaptic op: TrueNorth's "energy per synaptic event"."""
    return sum(chip_power_mw(pe, chip).values()) * 1e9 / chip.per_second().synops
