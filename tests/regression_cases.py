"""The shipped examples whose figures are pinned (tests/test_regression.py) and what is pinned."""
from __future__ import annotations

CASES = [
    (f"arch_configs/{arch}.yaml", f"workloads/{wl}/workload.json")
    for arch in ("ace_snn_pim", "digital_only") for wl in ("digits", "hsi_hybrid", "srnn_events")
]

LAYER_KEYS = ("synaptic_ops", "spikes_in", "spikes_out", "energy_pj", "latency_ns")


def figures(report: dict) -> dict:
    """Energy, latency, EDP, accuracy, breakdown and per-layer counts of one report."""
    return {
        "per_inference": report["per_inference"],
        "accuracy": report["accuracy"],
        "energy_breakdown_pj": report["energy_breakdown_pj"],
        "layers": {l["name"]: {k: l[k] for k in LAYER_KEYS} for l in report["layers"]},
    }
