#!/usr/bin/env python
"""Where does a PIM first layer win? Region of advantage of the shipped (validated) macro vs the digital one.

The base point is arch_configs/ace_snn_pim.yaml: NeuRRAM's validated blocks moved to
45 nm (docs/validation.md, docs/pim.md §5). Each design point changes macro parameters
and is compared, on the workload (default hsi_hybrid), with the first layer on the
digital cores (arch_configs/digital_only.yaml at the same supply):

* **first layer, compute part**: the macro's blocks (``pim.*`` without ``pim.buffer``)
  vs the digital MACs and weight-SRAM reads (``core.mac + core.weight_sram``); the
  input (im2col) and hold buffers, the same model on both engines, are left out, as
  in ACE-SNN's compute-only accounting (they are in the ``engine`` columns);
* **first layer, time**: the engine's busy time per inference;
* **whole network**: ``per_inference`` energy and delay.

ACE-SNN (Datta et al., Frontiers in Neuroscience 2022) reports -30 % energy, -7 % delay,
-38 % EDP. Parameters (what each means physically: docs/pim.md §5.2): ADC bits and
converter (NeuRRAM's bit-by-bit neuron, NeuroSim's SAR, the survey's best ADC), ADC
sharing, analog differential subtraction, in-array replication, macros, input bits,
DAC type (bit-serial pulses, pulse width, multi-bit voltage), supply, integration
time per input level. Prints Markdown tables; writes the figure:

    python benchmarks/pim_region.py [WORKLOAD] [-o docs/img/pim_region.png] [--samples N]

Functional traces are shared by every point with the same numerics (ADC and input
bits); everything else is cost-only.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from pim_vs_digital import run as timeline_run  # noqa: E402

from accelsim.hw.builtin import numerics_identity  # noqa: E402
from accelsim.hw.pim.periphery import dac_pj  # noqa: E402
from accelsim.simulate import cost_and_report, functional_trace, hardware_layers, prepare  # noqa: E402
from accelsim.tech.adc import adc_ns, adc_pj  # noqa: E402
from accelsim.tech.table import load_tech  # noqa: E402

BASE = ROOT / "arch_configs" / "ace_snn_pim.yaml"
DIGITAL = ROOT / "arch_configs" / "digital_only.yaml"
ACE_SNN = {"energy": -0.30, "delay": -0.07, "edp": -0.38}
# knob -> values; the first is the shipped one (NeuRRAM at 45 nm)
KNOBS = {
    "adc_bits": (10, 8, 6),
    "converter": ("neuron", "sar", "survey_bound"),
    "adc_share": (1, 8),
    "diff_subtract": (True, False),
    "in_array": (False, True),
    "macros": (4, 16, 64, 256),
    "input_bits": (8, 6, 4),
    "dac": ("serial", "width", "voltage"),
    "vdd": (0.9, 0.7, 1.1),
    "level_ns": (270.0, 27.0, 2.7),
}
SHIPPED = {k: v[0] for k, v in KNOBS.items()}


def arch_dict(p: dict) -> tuple[dict, list[str]]:
    """The architecture of design point ``p`` (a dict of knob values) as YAML data and --set keys."""
    raw = yaml.safe_load(BASE.read_text())
    pim, macro = raw["pim"], raw["macro"]
    tech = load_tech("45nm")              # the table's 0.9 V: blocks below are scaled to tech.vdd by the run
    bits, b_in = p["adc_bits"], p["input_bits"]
    pim.update(adc_bits=bits, input_bits=b_in, dac_bits=b_in, adc_share=p["adc_share"], macros=p["macros"],
               replicate_in_array=p["in_array"])
    macro.update(differential_subtract=p["diff_subtract"], level_ns=p["level_ns"])
    if p["converter"] != "neuron":        # a converter from the technology table replaces the neuron's
        blk = next(b for b in macro["blocks"] if b["name"] == "neuron_convert")
        blk.update(pj=adc_pj(tech, bits, p["converter"]), bits="none", vdd_v=tech.vdd_v, law="cv2",
                   note=f"{p['converter']} ADC (accelsim/tech/adc.py) at {bits} b")
        macro.update(adc_ns_per_bit=adc_ns(tech, bits, p["converter"]) / bits)
    if p["dac"] != "serial":              # one pulse phase per MVM instead of one per input bit
        macro["pulse_bits"] = b_in
    if p["dac"] == "voltage":             # one read at a multi-bit voltage: one integration level, plus the DACs
        macro["level_ns"] = p["level_ns"] / (2 ** b_in - 1)       # the model integrates 2^B - 1 levels
        macro["blocks"].append({"name": "dac", "per": "row", "pj": dac_pj(tech, b_in), "data": "input",
                                "vdd_v": tech.vdd_v, "note": "voltage DAC, 45 nm table (ZigZag-IMC C_dac)"})
    return raw, [f"tech.vdd={p['vdd']}"]


class Evaluator:
    """Costs design points, sharing one functional trace per numerics identity."""

    def __init__(self, workload: str, samples: int | None, tmp: Path):
        self.workload, self.samples, self.tmp = workload, samples, tmp
        self.traces: dict = {}
        self.digital: dict = {}
        self.n = 0

    def _digital(self, vdd: float) -> dict:
        if vdd not in self.digital:
            r = timeline_run(str(DIGITAL), self.workload, [f"tech.vdd={vdd}"], self.samples)
            self.digital[vdd] = r
        return self.digital[vdd]

    def point(self, p: dict) -> dict:
        raw, sets = arch_dict(p)
        self.n += 1
        path = self.tmp / f"p{self.n}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        job = dataclasses.replace(prepare(str(path), self.workload, sets, self.samples), pipeline=False)
        layers = hardware_layers(job)
        key = numerics_identity(layers, job.spec.arch)
        if key not in self.traces:
            self.traces[key] = functional_trace(job, layers=layers)
        rep = cost_and_report(job, self.traces[key])
        first = rep["layers"][0]
        det = first["cost_details"]
        eng = sum(v for k, v in first["energy_breakdown_pj"].items() if k.startswith("pim."))
        comp = eng - first["energy_breakdown_pj"].get("pim.buffer", 0.0)
        t1 = det["evaluation_ns"] * det["evaluations"]
        dig = self._digital(p["vdd"])
        pi = rep["per_inference"]
        return {
            "accuracy": rep["accuracy"], "compute_pj": comp, "engine_pj": eng, "time_ns": t1,
            "d_energy": comp / dig["c1"] - 1, "d_engine": eng / dig["e1"] - 1, "d_delay": t1 / dig["d1"] - 1,
            "d_edp": comp * t1 / (dig["c1"] * dig["d1"]) - 1,
            "d_net_energy": pi["energy_pj"] / dig["e"] - 1, "d_net_delay": pi["latency_ns"] / dig["d"] - 1,
            "d_net_edp": pi["energy_pj"] * pi["latency_ns"] / (dig["e"] * dig["d"]) - 1,
        }


def describe(p: dict) -> str:
    diff = [f"{k}={v}" for k, v in p.items() if v != SHIPPED[k]]
    return ", ".join(diff) if diff else "shipped (NeuRRAM at 45 nm)"


def table(title: str, pts: list[tuple[dict, dict]]) -> None:
    print(f"\n{title}\n")
    print("| point | accuracy | compute (uJ) | time (us) | dE / dD / dEDP (first layer) | dE / dD / dEDP (network) |")
    print("|---|---:|---:|---:|---|---|")
    for p, r in pts:
        win = " **wins**" if r["d_energy"] < 0 and r["d_delay"] < 0 else ""
        print(f"| {describe(p)}{win} | {r['accuracy']:.3f} | {r['compute_pj'] / 1e6:.3f} | {r['time_ns'] / 1e3:.1f} | "
              f"{pct(r['d_energy'])} / {pct(r['d_delay'])} / {pct(r['d_edp'])} | "
              f"{pct(r['d_net_energy'])} / {pct(r['d_net_delay'])} / {pct(r['d_net_edp'])} |")


def pct(x: float) -> str:
    return f"{100 * x:+.1f} %"


def one_at_a_time(ev: Evaluator, base: dict) -> list[tuple[dict, dict]]:
    out = [(base, ev.point(base))]
    for k, values in KNOBS.items():
        for v in values:
            if v != base[k]:
                p = {**base, k: v}
                out.append((p, ev.point(p)))
    return out


def grid(ev: Evaluator, base: dict) -> dict:
    """Copies (macros x in-array replication) x integration time per level, at ``base``'s other knobs."""
    out = {}
    for (m, ia), lv in itertools.product(itertools.product(KNOBS["macros"], (False, True)), (270.0, 27.0, 2.7, 0.27)):
        out[(m, ia, lv)] = ev.point({**base, "macros": m, "in_array": ia, "level_ns": lv})
    return out


def plot(oat: list, best_oat: list, g: dict, best: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (a, b) = plt.subplots(1, 2, figsize=(15, 6), constrained_layout=True)
    for pts, marker, label in ((oat, "o", "one knob changed from the shipped point"),
                               (best_oat, "s", "one knob changed from the best corner")):
        a.scatter([1 + r["d_delay"] for _, r in pts], [1 + r["d_energy"] for _, r in pts], marker=marker, s=30,
                  label=label, alpha=0.8)
    marks = [oat[0], best_oat[0]] + [(p, r) for p, r in oat + best_oat if r["d_energy"] < 0 and r["d_delay"] < 0]
    for n, (p, r) in enumerate(marks):
        lab = ("shipped" if p is oat[0][0] else "best corner" if p is best_oat[0][0]
               else ", ".join(f"{k}={v}" for k, v in p.items() if v != best[k]))
        a.annotate(lab, (1 + r["d_delay"], 1 + r["d_energy"]), textcoords="offset points", fontsize=8,
                   xytext=(5, 4) if n < 2 else (-10, -14 - 11 * (n - 2)), arrowprops=None if n < 2 else
                   {"arrowstyle": "-", "lw": 0.5, "color": "grey"})
    a.set_xscale("log"), a.set_yscale("log")
    a.axhline(1, color="k", lw=0.8), a.axvline(1, color="k", lw=0.8)
    a.fill_between([1e-3, 1 + ACE_SNN["delay"]], 1e-2, 1 + ACE_SNN["energy"], color="g", alpha=0.12)
    a.text(0.012, 0.63, "meets ACE-SNN (-30 % energy, -7 % delay)", color="g", fontsize=8)
    a.text(1.3, 0.27, "PIM cheaper, slower", fontsize=9, color="grey")
    a.text(0.012, 2.5, "PIM faster, costlier", fontsize=9, color="grey")
    ticks = (0.25, 0.5, 1, 2, 4)
    a.set_yticks(ticks, [f"{t:g}" for t in ticks])
    a.minorticks_off()
    a.set_xlim(0.01, 1e4), a.set_ylim(0.22, 6)
    a.set_xlabel("first-layer time, PIM / digital (engine busy time per inference)")
    a.set_ylabel("first-layer compute energy, PIM / digital\n(macro blocks vs MACs + weight-SRAM reads)")
    a.set_title("(a) every design point; PIM wins in the lower-left quadrant")
    a.legend(loc="upper right", fontsize=8)

    cols = [(m, ia) for m in KNOBS["macros"] for ia in (False, True)]
    levels = (270.0, 27.0, 2.7, 0.27)
    z = np.array([[100 * g[(m, ia, lv)]["d_edp"] for (m, ia) in cols] for lv in levels])
    b.imshow(np.sign(z) * np.log10(1 + np.abs(z)), cmap="RdYlGn_r", vmin=-2, vmax=4, aspect="auto")
    for i, lv in enumerate(levels):
        for j, c in enumerate(cols):
            r = g[(c[0], c[1], lv)]
            meets = r["d_edp"] <= ACE_SNN["edp"] and r["d_delay"] <= ACE_SNN["delay"]
            b.text(j, i, f"EDP {z[i, j]:+.0f} %\nD {100 * r['d_delay']:+.0f} %" + ("\n*" if meets else ""),
                   ha="center", va="center", fontsize=7, fontweight="bold" if meets else "normal")
            if r["d_delay"] < 0:
                b.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="k", lw=1.5))
    b.set_xticks(range(len(cols)), [f"{m}{' x4' if ia else ''}" for m, ia in cols], fontsize=8)
    b.set_yticks(range(len(levels)), [f"{v:g}" for v in levels])
    b.set_xlabel("macros (x4: in-array replication, 4 copies per array) = weight copies / (1 or 4)")
    b.set_ylabel("integration time per input level (ns; NeuRRAM: 270)")
    b.set_title("(b) first layer vs digital, best corner's other knobs (energy -65 % in every cell)\n"
                "boxed: faster than digital; *: meets ACE-SNN's -7 % delay and -38 % EDP", fontsize=10)
    fig.suptitle("PIM first layer (NeuRRAM blocks at 45 nm, ace_snn_pim.yaml) vs the digital first layer on "
                 f"hsi_hybrid; best corner: {describe(best)}", fontsize=10)
    fig.savefig(path, dpi=100)


BEST = {"adc_bits": 10, "converter": "sar", "adc_share": 1, "diff_subtract": True, "in_array": True, "macros": 256,
        "input_bits": 8, "dac": "width", "vdd": 0.9, "level_ns": 270.0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", nargs="?", default=str(ROOT / "workloads" / "hsi_hybrid" / "workload.json"))
    ap.add_argument("-o", "--out", default=str(ROOT / "docs" / "img" / "pim_region.png"))
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--cache", default=None, help="also pickle the results here (to re-plot: --replot FILE)")
    ap.add_argument("--replot", default=None, help="plot pickled results instead of running")
    args = ap.parse_args(argv)
    if args.replot:
        import pickle
        plot(*pickle.loads(Path(args.replot).read_bytes()), BEST, args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        ev = Evaluator(args.workload, args.samples, Path(tmp))
        oat = one_at_a_time(ev, SHIPPED)
        table("One knob at a time from the shipped point (changes vs the digital first layer; first layer: "
              "compute part and engine time):", oat)
        best_oat = one_at_a_time(ev, BEST)
        table("One knob at a time from the best corner:", best_oat)
        g = grid(ev, BEST)
        print("\nCopies x integration time at the best corner's other knobs (first layer dE / dD / dEDP):\n")
        print("| macros | in-array | level (ns) | dE / dD / dEDP | network dD |")
        print("|---:|---|---:|---|---:|")
        for (m, ia, lv), r in g.items():
            print(f"| {m} | {ia} | {lv:g} | {pct(r['d_energy'])} / {pct(r['d_delay'])} / {pct(r['d_edp'])} | "
                  f"{pct(r['d_net_delay'])} |")
        for vdd, d in sorted(ev.digital.items()):
            print(f"\ndigital first layer at {vdd} V: compute {d['c1'] / 1e6:.3f} uJ, engine {d['e1'] / 1e6:.3f} uJ, "
                  f"{d['d1'] / 1e3:.1f} us; network {d['e'] / 1e9:.4f} mJ, {d['d'] / 1e6:.3f} ms; "
                  f"accuracy {d['acc']:.3f}")
        print(f"\n{ev.n} design points, {len(ev.traces)} functional traces")
    plot(oat, best_oat, g, BEST, args.out)
    if args.cache:
        import pickle
        Path(args.cache).write_bytes(pickle.dumps((oat, best_oat, g)))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
