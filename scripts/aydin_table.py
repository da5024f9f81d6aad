#!/usr/bin/env python
"""Print the Aydin-shaped workload's ANN figures: their numbers, ours under their accounting,
and ours under the full hardware model (the ANN on the digital MAC array of each shipped
architecture; per-run energies need no functional pass on that target). docs/hybrid.md
records the output.

    python scripts/aydin_table.py
"""
from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

from accelsim.config.loader import load_arch
from accelsim.engine.lower import lower
from accelsim.engine.trace import LayerCounts
from accelsim.hw.ann.compute import ann_layer_cost
from accelsim.report import aydin
from accelsim.workload.loader import load_workload

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    spec = importlib.util.spec_from_file_location("mk", ROOT / "scripts" / "make_aydin_shaped.py")
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    with tempfile.TemporaryDirectory() as tmp:
        g = load_workload(mk.build(Path(tmp)))
    layers = lower(g.ann.graph)
    init = [l for l in layers if l.name in g.ann.initialisers]
    ann = [l for l in layers if l.name not in g.ann.initialisers]
    ann_macs, init_macs = sum(l.macs for l in ann), sum(l.macs for l in init)
    snn_hz, ann_hz = 1 / g.step_s, 1 / (g.ann.every * g.step_s)
    print(f"dense MOps: ANN {ann_macs / 1e6:.2f}, state initialiser {init_macs / 1e6:.2f}")
    print(f"their accounting ({aydin.ANN_MAC_PJ:.4f} pJ/MAC): ANN per run {ann_macs * aydin.ANN_MAC_PJ / 1e9:.3f} mJ, "
          f"init {init_macs * aydin.ANN_MAC_PJ / 1e9:.3f} mJ; ANN at {snn_hz:.0f} Hz "
          f"{aydin.ann_power_w(ann_macs, snn_hz):.4f} W; ANN+init at {ann_hz:.0f} Hz "
          f"{aydin.ann_power_w(ann_macs + init_macs, ann_hz):.4f} W")
    for arch in ("arch_configs/ace_snn_pim.yaml", "arch_configs/digital_only.yaml"):
        s = load_arch(ROOT / arch)
        e = {l.name: ann_layer_cost(s, l, LayerCounts.zeros(1), 1) for l in layers}
        e_ann = sum(e[l.name][0].total_pj for l in ann)
        e_init = sum(e[l.name][0].total_pj for l in init)
        t_run = sum(e[l.name][1] for l in layers)
        print(f"{arch} (ann.target digital, {s.arch.ann.mac_units} MACs/cycle, int{s.arch.ann.input_bits}"
              f"x{s.arch.ann.weight_bits}): ANN per run {e_ann / 1e9:.3f} mJ ({e_ann / ann_macs:.3f} pJ/MAC), "
              f"init {e_init / 1e9:.3f} mJ; ANN at {snn_hz:.0f} Hz {e_ann * 1e-12 * snn_hz:.4f} W; ANN+init at "
              f"{ann_hz:.0f} Hz {(e_ann + e_init) * 1e-12 * ann_hz:.4f} W; one run takes {t_run / 1e6:.1f} ms")


if __name__ == "__main__":
    main()
