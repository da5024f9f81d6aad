"""Delay vs number of spike cores for a compute-bound layer (the figure in docs/spike-core.md).

The network is the synthetic one of tests/test_core_scaling.py (dense 128 -> 128 -> 128, firing at
nearly every step). One functional trace, one cost evaluation per core count (mesh grown to fit).

    python benchmarks/plot_core_scaling.py -o docs/img/core_scaling.png
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from accelsim.config.loader import load_arch  # noqa: E402
from accelsim.cost import model  # noqa: E402
from accelsim.hw.builtin import simulate_on  # noqa: E402
from accelsim.workload.graph import Samples  # noqa: E402
from tests.test_core_scaling import MESHES, compute_bound  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="docs/img/core_scaling.png")
    args = ap.parse_args()
    graph, x = compute_bound()
    with tempfile.TemporaryDirectory() as tmp:
        arch = Path(tmp) / "arch.yaml"
        arch.write_text("core: {weight_sram_kib: 512.0}\npim: {macros: 64}\n", encoding="utf-8")
        trace = simulate_on(load_arch(arch).arch, graph, Samples(x, None, "x"))
        ks, delay, fc2, noc = [], [], [], []
        for k, (mx, my) in MESHES.items():
            spec = load_arch(arch, [("core.count", k), ("noc.mesh_x", mx), ("noc.mesh_y", my)])
            cost = model.evaluate(trace, spec, graph)
            ks.append(k)
            delay.append(cost.latency_ns / 1e3)
            fc2.append(cost.layers[1].info["core_cycles"] / k / trace.timesteps)
            util = cost.schedule.utilization()
            noc.append(max([v for r, v in util.items() if r.startswith("link")] or [0.0]))
            print(f"{k:3d} cores  delay {cost.latency_ns / 1e3:9.2f} us  fc2 task {fc2[-1]:8.0f} cycles/step  "
                  f"busiest link {noc[-1]:.2f}")
    fig, ax = plt.subplots(figsize=(5, 3.4), dpi=90)
    ax.loglog(ks, delay, "o-", label="makespan (schedule)")
    ax.loglog(ks, [delay[0] / k for k in ks], "--", color="gray", label="ideal 1/cores")
    ax.set_xlabel("spike cores")
    ax.set_ylabel("delay per inference (us)")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_title("Compute-bound dense layer: scaling until 1 Vmem word/event", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
