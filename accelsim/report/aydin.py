"""Aydin et al.'s energy accounting (hybrid ANN-SNN, 2023), applied to a run's own counts.

Their public code (uzh-rpg/hybrid_ann_snn) prices one SNN step as

    E_SNN(t) = sum_l r_l(t) * MOps_l * 0.38 pJ

with ``r_l(t)`` the layer's *own output* spike fraction at step ``t`` and ``MOps_l`` its
dense MACs (a firing rate times dense operations, not exact synaptic operations),
and the ANN as a constant 37.175 mJ per step plus 2.155 mJ of state initialisation;
powers are those energies times their rates. Here the ANN is priced per dense MAC,
``E_MAC = 37.175 mJ / 23,962 MOps = 1.5514 pJ`` (derived: their constant over their
network's dense MOps at 256x256), for the ANN's own layers and for its state
initialisers (``ann.initialisers``), so a workload shaped like theirs gives their
constants back. For a non-spiking layer (a readout) ``r_l`` is the fraction of
non-zero outputs.

Baselines (energy per inference of T SNN steps; power when the workload has ``step_s``):

* ``hybrid_aydin``: sum_t E_SNN(t) + runs * (ANN MACs + initialiser MACs) * E_MAC;
* ``ann_only_aydin``: the ANN without initialisers at every SNN step, T * ANN MACs * E_MAC;
* ``ann_only_hw``: the ANN at every SNN step under the full hardware model, T times
  the ANN layers' (not initialisers') energy per run.
"""
from __future__ import annotations

from typing import Any, Optional

from accelsim.cost.result import CostResult
from accelsim.engine.trace import Trace
from accelsim.hw.ann.engine import WRITE_TASK
from accelsim.hw.builtin import get

SNN_SYNOP_PJ = 0.38              # Aydin et al., hybrid_ann_snn code: energy per SNN synaptic operation
ANN_STEP_MJ = 37.175             # their ANN energy per step (code)
ANN_INIT_MJ = 2.155              # their state-initialisation energy per ANN step (code)
ANN_MOPS = 23_962.0              # dense MOps of their ANN at 256x256 (sum of the per-layer MOps in their code)
ANN_MAC_PJ = ANN_STEP_MJ * 1e9 / (ANN_MOPS * 1e6)   # derived: 1.5514 pJ per MAC
SOURCE = "Aydin et al. 2023, public code uzh-rpg/hybrid_ann_snn (0.38 pJ/SynOp; 37.175 mJ ANN + 2.155 mJ init per step)"


def _power(energy_pj: float, window_s: Optional[float]) -> Optional[float]:
    return None if window_s is None else energy_pj * 1e-12 / window_s


def ann_power_w(macs_per_run: float, rate_hz: float) -> float:
    """Power of ``macs_per_run`` dense MACs run ``rate_hz`` times a second at E_MAC (their ANN)."""
    return macs_per_run * ANN_MAC_PJ * 1e-12 * rate_hz


def snn_step_energy_pj(trace: Trace) -> list[float]:
    """E_SNN(t) per SNN step, per inference: sum over layers of r_l(t) * MACs_l * 0.38 pJ."""
    N, T = trace.samples, trace.timesteps
    out = [0.0] * T
    for layer, counts in zip(trace.layers, trace.counts):
        fired = counts.spikes_out if layer.spiking else counts.nonzero_out
        for t in range(T):
            out[t] += float(fired[t]) / (N * layer.neurons) * layer.macs * SNN_SYNOP_PJ
    return out


def aydin_baselines(trace: Trace, cost: CostResult, step_s: Optional[float]) -> dict[str, dict[str, Any]]:
    """The three baselines of the module docstring (empty for a workload without an ANN part)."""
    ann = trace.ann
    if ann is None:
        return {}
    N, T = trace.samples, trace.timesteps
    window = None if step_s is None else T * step_s
    runs = len(ann.runs)
    ann_macs = ann.macs(initialisers=False) / N / runs if runs else 0.0   # per run, per sample
    init_macs = ann.macs(initialisers=True) / N / runs if runs else 0.0
    snn = snn_step_energy_pj(trace)
    e_ann, e_init = runs * ann_macs * ANN_MAC_PJ, runs * init_macs * ANN_MAC_PJ
    hybrid = sum(snn) + e_ann + e_init
    only = T * ann_macs * ANN_MAC_PJ
    hw_per_run = sum(c.total_pj for c in cost.layers if get(c.engine).runs_ann and c.name != WRITE_TASK
                     and not c.info.get("state_initialiser")) / max(runs, 1)
    const = {"snn_synop_pj": SNN_SYNOP_PJ, "ann_mac_pj": ANN_MAC_PJ, "source": SOURCE}
    return {
        "hybrid_aydin": {"kind": "hybrid_aydin", "energy_pj": hybrid, "snn_pj": sum(snn), "ann_pj": e_ann,
                         "init_pj": e_init, "ann_runs": runs, "ann_macs_per_run": ann_macs,
                         "init_macs_per_run": init_macs, "snn_step_pj": snn, "power_w": _power(hybrid, window),
                         "snn_power_w": _power(sum(snn), window), "ann_power_w": _power(e_ann + e_init, window),
                         **const},
        "ann_only_aydin": {"kind": "ann_only_aydin", "energy_pj": only, "ann_runs": T, "ann_macs_per_run": ann_macs,
                           "power_w": _power(only, window), **const},
        "ann_only_hw": {"kind": "ann_only_hw", "energy_pj": hw_per_run * T, "ann_runs": T,
                        "energy_per_run_pj": hw_per_run, "power_w": _power(hw_per_run * T, window),
                        "note": "the ANN's layers (not its state initialisers) at every SNN step, full hardware model"},
    }
