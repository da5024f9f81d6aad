#!/usr/bin/env python
"""Energy per synaptic op of the spike cores in a report.json, by component.

    python scripts/per_synop_energy.py OUT/report.json [...]

Synaptic ops are the spike-core layers' ``cost_details.synaptic_ops`` (the first
layer's synaptic part runs on the PIM macro or as dense MACs and is left out); the
energy is every ``core.*``, ``noc.*`` and ``leakage.*`` component of the report
(the first layer's neurons included), per inference. docs/spike-core.md §13 uses it.
"""
from __future__ import annotations

import json
import sys


def per_synop(report: dict) -> tuple[float, dict[str, float]]:
    synops = sum(l["cost_details"].get("synaptic_ops", 0.0) for l in report["layers"]
                 if l["engine"] == "core" and "synaptic_ops" in l["cost_details"])
    parts = {k: v / synops for k, v in report["energy_breakdown_pj"].items()
             if k.split(".")[0] in ("core", "noc", "leakage") and v}
    return synops, parts


def main(paths: list[str]) -> None:
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            report = json.load(fh)
        synops, parts = per_synop(report)
        total = report["per_inference"]["energy_pj"]
        core = sum(parts.values())
        print(f"{path}: {report['arch']} / {report['workload']}: {synops:.4g} synaptic ops per inference, "
              f"{core:.2f} pJ per op on the cores and NoC ({100 * core * synops / total:.1f} % of the energy)")
        for k, v in sorted(parts.items(), key=lambda kv: -kv[1]):
            print(f"    {k:22s} {v:9.3f} pJ/op")


if __name__ == "__main__":
    main(sys.argv[1:])
