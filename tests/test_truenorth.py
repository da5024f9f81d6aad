"""TrueNorth's published operating point reproduced from its chip description and
arch_configs/validation/truenorth.yaml (docs/spike-core.md section 12).

Published measurements (copied here with their sources; the test reads nothing outside the repo):

* Akopyan et al., IEEE TCAD 34(10):1537-1557, 2015, Fig. 17: chip power at 0.8 V, 128 active synapses
  per neuron: 68 mW at 11.58 Hz, 71 mW at 20.07 Hz, 94 mW at 95.93 Hz mean firing rate;
  and 65 mW for a recurrent network at 0.75 V, 20 Hz, 128 synapses, 1 kHz tick.
* Merolla et al., Science 345(6197):668-673, 2014: 0.775 V, 20 Hz, 128 active synapses per neuron:
  72 mW chip power, 26 pJ per synaptic event (total energy, static included); 2.3 pJ per spike per hop.
* Chip: 4096 cores (64 x 64 mesh) x 256 neurons x 256 axons, 1 kHz tick (Merolla et al. 2014).

Fitted: the outer two Fig. 17 points (static power, energy per synaptic op). Predicted: the rest.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from accelsim.config.loader import load_arch
from accelsim.hw.core.operating_point import ChipActivity, chip_power_mw, energy_per_synop_pj, uniform_mesh_hops

ROOT = Path(__file__).resolve().parent.parent
CORES, NEURONS, TICK_HZ, SYNAPSES, MESH = 4096, 256, 1000.0, 128, 64
FIT = ((11.58, 68.0), (95.93, 94.0))                  # Akopyan 2015 Fig. 17, 0.8 V: (Hz, mW)
PREDICT = [                                           # (what, rate Hz, measured mW)
    ("Akopyan 2015 Fig. 17, 0.8 V", 20.07, 71.0),
    ("Merolla 2014, 0.775 V", 20.0, 72.0),
    ("Akopyan 2015 recurrent net, 0.75 V", 20.0, 65.0),
]
MEROLLA_PJ_PER_SYNOP = 26.0
HOP_PJ = 2.3                                          # Merolla 2014 Fig. S4


@pytest.fixture(scope="module")
def pe():
    return load_arch(ROOT / "arch_configs" / "validation" / "truenorth.yaml").arch.core.per_event


def chip(rate_hz: float) -> ChipActivity:
    ew, ns = uniform_mesh_hops(MESH, MESH)
    return ChipActivity(CORES, NEURONS, TICK_HZ, rate_hz, SYNAPSES, ew, ns)


def test_the_yaml_holds_the_published_hop_energy_and_the_fit(pe):
    assert pe.hop_ew_energy_pj == pe.hop_ns_energy_pj == HOP_PJ
    (r1, p1), (r2, p2) = FIT
    slope_mw_per_hz = (p2 - p1) / (r2 - r1)
    static_mw = p1 - r1 * slope_mw_per_hz
    pj_per_spike = slope_mw_per_hz * 1e-3 / (CORES * NEURONS) * 1e12
    ew, ns = uniform_mesh_hops(MESH, MESH)
    assert ew == ns == pytest.approx(21.328125)
    synop_pj = (pj_per_spike - (ew + ns) * HOP_PJ) / SYNAPSES
    assert pe.synop_energy_pj == pytest.approx(synop_pj, rel=1e-3)                      # 1.530 pJ
    assert pe.static_power_uw_per_core * CORES * 1e-3 == pytest.approx(static_mw, rel=1e-3)  # 64.43 mW
    assert pe.synop_time_ns == pytest.approx(CORES / 58e9 * 1e9, rel=1e-3)               # peak 58 GSOPS


def test_the_fitted_points_come_back(pe):
    for rate, mw in FIT:
        assert sum(chip_power_mw(pe, chip(rate)).values()) == pytest.approx(mw, rel=2e-3)


@pytest.mark.parametrize("what, rate, measured_mw", PREDICT, ids=[p[0] for p in PREDICT])
def test_predicted_chip_power_within_10_percent(pe, what, rate, measured_mw):
    power = sum(chip_power_mw(pe, chip(rate)).values())
    assert abs(power / measured_mw - 1) <= 0.10, (what, power)


def test_predicted_energy_per_synaptic_event_within_10_percent(pe):
    e = energy_per_synop_pj(pe, chip(20.0))
    assert abs(e / MEROLLA_PJ_PER_SYNOP - 1) <= 0.10, e
    assert e == pytest.approx(26.30, abs=0.01)


def test_chip_power_by_hand(pe):
    """20 Hz: 1,048,576 neurons -> 20,971,520 spikes/s, 2.684e9 synops/s, 42.66 hops per spike."""
    p = chip_power_mw(pe, chip(20.0))
    spikes = 4096 * 256 * 20.0
    assert p["core.synop"] == pytest.approx(spikes * 128 * pe.synop_energy_pj * 1e-9, rel=1e-12)
    assert p["noc.hop_ew"] + p["noc.hop_ns"] == pytest.approx(spikes * 2 * 21.328125 * 2.3 * 1e-9, rel=1e-12)
    assert p["leakage.core"] == pytest.approx(4096 * pe.static_power_uw_per_core * 1e-3, rel=1e-12)
    assert {k for k, v in p.items() if v} == {"core.synop", "noc.hop_ew", "noc.hop_ns", "leakage.core"}
    assert sum(p.values()) == pytest.approx(70.60, abs=0.02)


def test_active_updates_follow_the_poisson_rule():
    c = chip(20.0).per_second()
    updates = 4096 * 256 * 1000.0
    assert c.active_updates + c.inactive_updates == pytest.approx(updates, rel=1e-12)
    assert c.active_updates == pytest.approx(updates * (1 - math.exp(-128 * 20 / 1000)), rel=1e-12)
    assert c.barriers == 1000.0
