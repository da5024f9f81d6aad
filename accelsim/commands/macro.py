"""``accelsim macro ARCH [--set KEY=VALUE ...] -o OUT.json``: the architecture's PIM macro on its own.

One full-array matrix-vector product stream at the data statistics the file states
(``macro.input_fraction``, ``macro.weight_fraction``; a validated macro's file
states its paper's headline condition): tops, tops_per_w, energy_per_mac_fj, the
energy by block, area_mm2 where modelled (:mod:`accelsim.hw.pim.circuit`,
docs/validation.md).
"""
from __future__ import annotations

NAME = "macro"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="evaluate the architecture's PIM macro alone (TOPS, TOPS/W, energy by block)",
                       description="One full-array MVM stream of the architecture's PIM macro at the data "
                                   "statistics of its file; writes OUT.json with tops, tops_per_w, "
                                   "energy_per_mac_fj, energy_pj_by_block and area_mm2 (docs/validation.md).")
    p.add_argument("arch", help="architecture YAML (e.g. arch_configs/validation/jia_jssc_2020.yaml)")
    p.add_argument("-o", "--out", required=True, help="output JSON file")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a dotted arch key (pim.adc_bits=6, pim.input_bits=4, tech.vdd=0.9); repeatable")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")


def run(args) -> int:
    from accelsim.config.loader import load_arch
    from accelsim.hw.pim.circuit import evaluate_spec
    from accelsim.util.io import atomic_write_json, output_file

    output_file(args.out, "output file")
    result = evaluate_spec(load_arch(args.arch, args.sets))
    atomic_write_json(args.out, result)
    if not args.quiet:
        w = result["tops_per_w"]
        print(f"{result['arch']}: {result['tops']:.4g} TOPS, "
              f"{'n/a' if w is None else f'{w:.4g}'} TOPS/W, {result['energy_per_mac_fj']:.4g} fJ/MAC "
              f"({result['node_nm']:g} nm, {result['vdd_v']:g} V)")
        print(f"wrote {args.out}")
    return 0
