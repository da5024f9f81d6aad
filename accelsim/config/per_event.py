"""The spike core's per-event cost table (``core.per_event``, used with ``core.cost_model: per_event``).

A core is described as Loihi (Davies et al., IEEE Micro 38(1):82-99, 2018, Table 2)
and SANA-FE (Boyle et al., IEEE TCAD 44(8), 2025) describe one: an energy and a
time per event, plus static power. The defaults are Loihi 1's Table 2 values
(14 nm FinFET, 0.75 V, pre-silicon SDF+SPICE simulation "consistent with early
post-silicon characterization"); Table 2 gives no static power and no barrier
energy, so those default to 0. The model that uses the table:
:mod:`accelsim.hw.core.per_event`; equations in docs/spike-core.md §11.
"""
from __future__ import annotations

from pydantic import Field
from accelsim.util.strict import StrictModel


class PerEventConfig(StrictModel):
    """Energy (pJ) and time (ns) per event of one spike core, and its static power."""


    synop_energy_pj: float = Field(23.6, ge=0, description="per synaptic op (one weight applied to one "
                                   "membrane); default Loihi Table 2 (min)")
    synop_time_ns: float = Field(3.5, ge=0, description="per synaptic op, serial in the core; default Loihi "
                                 "Table 2 (max)")
    neuron_active_energy_pj: float = Field(81.0, ge=0, description="per update of a neuron that received "
                                           "non-zero synaptic input that step; default Loihi Table 2")
    neuron_active_time_ns: float = Field(8.4, ge=0, description="per active neuron update; default Loihi Table 2")
    neuron_inactive_energy_pj: float = Field(52.0, ge=0, description="per update of a neuron without input "
                                             "that step; default Loihi Table 2")
    neuron_inactive_time_ns: float = Field(5.3, ge=0, description="per inactive neuron update; default Loihi "
                                           "Table 2")
    spike_energy_pj: float = Field(1.7, ge=0, description="per spike a neuron generates (its message, delivered "
                                   "within the tile; hops are extra); default Loihi Table 2 within-tile spike")
    spike_time_ns: float = Field(2.1, ge=0, description="per spike generated, serial in the core of the neuron; "
                                 "default Loihi Table 2 within-tile spike latency")
    hop_ew_energy_pj: float = Field(3.0, ge=0, description="per packet per east-west mesh hop; default Loihi "
                                    "Table 2")
    hop_ns_energy_pj: float = Field(4.0, ge=0, description="per packet per north-south mesh hop; default Loihi "
                                    "Table 2")
    hop_ew_time_ns: float = Field(4.1, ge=0, description="latency per east-west hop; default Loihi Table 2")
    hop_ns_time_ns: float = Field(6.5, ge=0, description="latency per north-south hop; default Loihi Table 2")
    barrier_energy_pj: float = Field(0.0, ge=0, description="per time-step barrier of a layer's hand-off; "
                                     "not published for Loihi (default 0)")
    barrier_time_ns: float = Field(113.0, ge=0, description="per time-step barrier of a layer's hand-off; "
                                   "default Loihi Table 2 for 1 tile (465 ns for 32 tiles)")
    static_power_uw_per_core: float = Field(0.0, ge=0, description="static power per core (uW), over the "
                                            "whole delay; not in Loihi Table 2 (default 0)")
