#!/usr/bin/env python
"""Print a validated macro's ``macro`` section moved to another node: the shipped PIM macro's derivation.

arch_configs/ace_snn_pim.yaml's macro is NeuRRAM (arch_configs/validation/wan_nature_2022.yaml,
errors in docs/validation.md) moved from 130 nm to 45 nm by the one scaling law of
accelsim/tech/scaling.py, exactly as ``accelsim macro`` and a run scale a macro whose
``macro.node_nm`` differs from the table's:

* ``cv2`` blocks: ``pj x node1/node0`` (capacitance proportional to feature size) at the
  block's own supply when it is ``fixed``, else also ``x (V1/V0)^2`` to the target supply;
* ``logic`` blocks: ``pj x`` the Stillmaker & Baas energy ratio from ``(node0, vdd_v)`` to
  ``(node1, V1)``, and ``vdd_v = V1``; static power by the power ratio;
* ``cycle_ns`` (logic-limited): the Stillmaker & Baas delay ratio, ``cycle_vdd = V1``;
* analog times (``level_ns``, ``adc_ns_per_bit``) and everything else unchanged.

V1 is the target table's supply (45 nm: 0.9 V). A run of the printed section at V1
gives the same figures as the source file run at (node1, V1) (tests/test_pim_default.py).

    python scripts/derive_pim_macro.py [arch_configs/validation/wan_nature_2022.yaml] [--node 45nm]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.config.loader import load_arch
from accelsim.config.macro import MacroBlock, MacroConfig
from accelsim.tech.scaling import cv2_ratio, logic_ratio
from accelsim.tech.table import load_tech

ROOT = Path(__file__).resolve().parent.parent


def scale_block(b: MacroBlock, node0: float, node1: float, v1: float) -> MacroBlock:
    """The block re-expressed at ``(node1, v1)`` (a fixed-supply block keeps its own supply)."""
    vdd = b.vdd_v if b.supply == "fixed" else v1
    if b.law == "logic":
        pj = b.pj * logic_ratio("energy", node0, b.vdd_v, node1, vdd)
    else:
        pj = b.pj * cv2_ratio(b.vdd_v, vdd) * node1 / node0
    static = b.static_uw * logic_ratio("power", node0, b.vdd_v, node1, vdd) if b.static_uw else 0.0
    return b.model_copy(update={"pj": pj, "vdd_v": vdd, "static_uw": static})


def scale_macro(macro: MacroConfig, node0: float, node1: float, v1: float) -> MacroConfig:
    """The macro's blocks and logic-limited cycle re-expressed at ``(node1, v1)``; ``node_nm = node1``."""
    upd = {"node_nm": node1, "blocks": [scale_block(b, node0, node1, v1) for b in macro.blocks]}
    if macro.cycle_ns is not None:
        v0 = macro.cycle_vdd if macro.cycle_vdd is not None else v1
        upd |= {"cycle_ns": macro.cycle_ns * logic_ratio("delay", node0, v0, node1, v1), "cycle_vdd": v1}
    return macro.model_copy(update=upd)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", default=str(ROOT / "arch_configs" / "validation" / "wan_nature_2022.yaml"))
    ap.add_argument("--node", default="45nm")
    args = ap.parse_args(argv)
    spec = load_arch(args.source)
    tech = load_tech(args.node)
    m = spec.arch.macro
    node0 = m.node_nm if m.node_nm is not None else spec.tech.node_nm
    out = scale_macro(m, node0, tech.node_nm, tech.vdd_v)
    print(f"# {Path(args.source).name} moved {node0:g} nm -> {tech.node_nm:g} nm at {tech.vdd_v} V")
    print(f"node_nm: {out.node_nm:g}\ncycle_ns: {out.cycle_ns!r}\ncycle_vdd: {out.cycle_vdd!r}")
    for b, b0 in zip(out.blocks, m.blocks):
        print(f"- {{name: {b.name}, pj: {b.pj!r}, vdd_v: {b.vdd_v!r}, static_uw: {b.static_uw!r}}}"
              f"  # from {b0.pj!r} pJ at {b0.vdd_v} V, law {b0.law}, supply {b0.supply}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
