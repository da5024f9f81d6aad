"""The scheduler (accelsim/schedule/kernel.py, numba) gives exactly the schedule of its executable
specification, the simpy processes of accelsim/schedule/simpy_model.py.

Exactly: every timeline row (resource, layer, step, start, end, kind), every busy sum, the
per-layer spans and core busy times and the makespan compare with ``==`` (bit-identical
floats), dicts in the same order. Cases: the shipped examples on both shipped architectures,
random task graphs built to tie (small integer cycles, shared links, DRAM transfers of
equal length, several layers feeding one), and random tiny workloads under random
architecture parameters through the whole cost model.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from accelsim.cost import model
from accelsim.hw.tasks import LayerTasks
import accelsim.schedule as timing
from accelsim.hw.memory import Dram
from accelsim.hw.noc import Mesh
from accelsim.schedule.pipeline import PIPELINE_INPUTS
from accelsim.simulate import functional_trace, prepare
from accelsim.workload.builder import WorkloadBuilder

from tests.conftest import TINY_ARCH_YAML

ROOT = Path(__file__).resolve().parent.parent


def assert_same(a: timing.Schedule, b: timing.Schedule) -> None:
    assert a.makespan_ns == b.makespan_ns
    assert list(a.rows) == list(b.rows)
    for name in ("layer_start_ns", "layer_end_ns", "busy_ns", "layer_core_busy_ns"):
        assert list(getattr(a, name).items()) == list(getattr(b, name).items()), name
    assert a.utilization() == b.utilization()
    assert timing.timeline_csv(a) == timing.timeline_csv(b)


def both(*args) -> timing.Schedule:
    ref = timing.schedule(*args, cache=False, scheduler="simpy")
    fast = timing.schedule(*args, cache=False, scheduler="fast")
    assert_same(ref, fast)
    return fast


def evaluate_capturing(monkeypatch, trace, spec, graph, **kwargs) -> tuple[list[tuple], object]:
    """``model.evaluate(trace, spec, graph, **kwargs)`` and the positional arguments of every call it
    makes to the scheduler: (calls, cost)."""
    calls = []
    real = model.schedule

    def spy(*args, **kw):
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(model, "schedule", spy)
    cost = model.evaluate(trace, spec, graph, **kwargs)
    monkeypatch.setattr(model, "schedule", real)
    return calls, cost


def captured_schedules(monkeypatch, trace, spec, graph) -> list[tuple]:
    """The arguments the cost model passes to the scheduler for one evaluation: one inference, then
    the same tasks for streams of N/2 and N inputs (the pipelined throughput, accelsim.schedule.pipeline)."""
    calls, _ = evaluate_capturing(monkeypatch, trace, spec, graph)
    assert [c[1] for c in calls] == [calls[0][1] * n for n in (1, PIPELINE_INPUTS // 2, PIPELINE_INPUTS)]
    return calls


# ---------------------------------------------------------------- shipped examples

EXAMPLES = {"digits": (ROOT / "workloads" / "digits" / "workload.json", 20),
            "hsi_hybrid": (None, 2),
            "srnn_events": (ROOT / "workloads" / "srnn_events" / "workload.json", 8)}


def _example(name: str) -> Path | None:
    path, _ = EXAMPLES[name]
    if path is not None:
        return path if path.exists() else None
    for cand in (ROOT / "workloads" / "hsi_hybrid" / "workload.json", Path("/tmp/hsi_hybrid/workload.json")):
        if cand.exists():
            return cand
    return None


@pytest.mark.parametrize("arch", ["ace_snn_pim", "digital_only"])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_shipped_examples(monkeypatch, name, arch):
    wl = _example(name)
    if wl is None:
        pytest.skip(f"{name} not generated (scripts/make_{name}.py; hsi_hybrid also looked for in /tmp/hsi_hybrid)")
    job = prepare(str(ROOT / "arch_configs" / f"{arch}.yaml"), str(wl), samples=EXAMPLES[name][1])
    trace = functional_trace(job)
    args, few, many = captured_schedules(monkeypatch, trace, job.spec, job.graph)
    sched = both(*args)
    assert len(sched.rows) > 100 and sched.makespan_ns > 0
    assert sched.makespan_ns < both(*few).makespan_ns < both(*many).makespan_ns


# ---------------------------------------------------------------- random task graphs

def random_tasks(seed: int):
    """Layers, steps, cores, mesh, clock, DRAM and PIM macros drawn to produce ties: cycles in
    0..3, a few links shared by every layer, equal DRAM transfers, zero latencies; layers without
    core work, layers fed by layers of a higher index, repeated sources."""
    rng = np.random.default_rng(seed)
    nl, T = int(rng.integers(1, 5)), int(rng.integers(1, 6))
    mx, my = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    mesh = Mesh(mx, my)
    cores = int(rng.integers(1, mx * my + 1))
    clock = float(rng.choice([1.0, 0.7, 2.5, 4.0]))
    dram = Dram(float(rng.choice([6.4, 12.8, 1.0])), float(rng.choice([0.0, 50.0, 3.3])), 20.0)
    pim_macros = int(rng.integers(1, 4))
    hot_links = rng.choice(mesh.links, size=min(3, mesh.links), replace=False)
    order = rng.permutation(nl) if rng.random() < 0.3 else np.arange(nl)  # a layer may feed an earlier index
    layers = []
    for i in range(nl):
        cyc = rng.integers(0, 4, size=(T, cores)) * (rng.random((T, cores)) < 0.8) * (rng.random() > 0.1)
        bits = np.where((rng.random((T, cores)) < 0.3) & (cyc > 0), rng.choice([64.0, 128.0, 50.0]), 0.0)
        links = np.zeros((T, mesh.links), np.int64)
        if mesh.links and rng.random() < 0.8:
            for t in range(T):
                use = rng.random(len(hot_links)) < 0.6
                links[t, hot_links[use]] = rng.integers(1, 4, size=int(use.sum()))
        lat = rng.integers(0, 3, size=T) * (rng.random(T) < 0.5)
        pos = int(np.nonzero(order == i)[0][0])
        if pos == 0:
            sources = ()
        else:  # some of the layers before it in ``order``, at times repeated or unsorted
            k = int(rng.integers(1, pos + 1))
            sources = tuple(int(s) for s in rng.choice(order[:pos], size=k, replace=rng.random() < 0.2))
        front, res = None, "pim"
        if i == 0 and rng.random() < 0.7:
            front = [float(x) for x in rng.choice([0.0, 1.0, 2.0, 3.5], size=T)]
            res = "pim" if rng.random() < 0.5 else "cores"
        layers.append(LayerTasks(i, f"l{i}", cyc.astype(np.int64), bits, links, lat.astype(np.int64), sources,
                                 front, res))
    return layers, T, cores, mesh, clock, dram, pim_macros


@pytest.mark.parametrize("seed", range(300))
def test_random_task_graphs(seed):
    both(*random_tasks(seed))


def test_two_layers_contending_for_one_core_and_link():
    """Two independent layers want core 0 and the same link at the same moments: the grant order is
    (step, layer) priority, equal times and priorities in request order; both engines agree on it."""
    mesh = Mesh(2, 1)
    links = np.zeros((3, mesh.links), np.int64)
    links[:, 0] = 2
    layers = [LayerTasks(i, f"l{i}", np.full((3, 2), 2, np.int64), np.full((3, 2), 64.0), links.copy(),
                         np.zeros(3, np.int64), (), None) for i in range(2)]
    sched = both(layers, 3, 2, mesh, 1.0, Dram(8.0, 1.0, 1.0), 1)
    # per step: 2 link cycles + 2 core cycles in which each of 4 tasks holds the DRAM port 2 ns
    # (1 ns latency + 64 bit / 64 bit per ns), so the DRAM port is the bottleneck
    assert sched.busy_ns["dram"] == 3 * 4 * 2.0


def test_deadlock_is_reported_by_both():
    mesh = Mesh(1, 1)
    layers = [LayerTasks(i, f"l{i}", np.ones((1, 1), np.int64), np.zeros((1, 1)), np.zeros((1, 4), np.int64),
                         np.zeros(1, np.int64), (1 - i,), None) for i in range(2)]
    for scheduler in timing.SCHEDULERS:
        with pytest.raises(RuntimeError, match="deadlocked"):
            timing.schedule(layers, 1, 1, mesh, 1.0, Dram(1.0, 0.0, 1.0), cache=False, scheduler=scheduler)


def test_unknown_scheduler():
    with pytest.raises(ValueError, match="unknown scheduler"):
        timing.schedule(*random_tasks(0), scheduler="nope")


# ---------------------------------------------------------------- random tiny workloads and archs

def tiny_workload(folder: Path, rng) -> Path:
    b = WorkloadBuilder("rnd", input_shape=(1, 6, 6), timesteps=int(rng.integers(2, 5)))
    c1 = int(rng.integers(2, 5))
    h = b.neuron("n1", b.conv("conv1", b.input, rng.normal(0.3, 0.4, (c1, 1, 3, 3)), pads=[1, 1, 1, 1]), "IF",
                 threshold=float(rng.uniform(0.3, 1.0)))
    h = b.neuron("n2", b.conv("conv2", h, rng.normal(0.2, 0.4, (4, c1, 3, 3))), "LIF",
                 threshold=float(rng.uniform(0.3, 1.0)), leak=0.9)
    h = b.neuron("n3", b.gemm("fc1", b.flatten("flat", h), rng.normal(0.1, 0.3, (12, 64))), "IF", threshold=0.5)
    b.readout(b.gemm("fc2", h, rng.normal(size=(3, 12))))
    return b.write(folder, samples=(rng.random((3, 1, 6, 6)), None))


@pytest.mark.parametrize("seed", range(8))
def test_random_tiny_workloads(monkeypatch, tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    wl = tiny_workload(tmp_path / "wl", rng)
    arch = yaml.safe_load(TINY_ARCH_YAML)
    k = int(rng.integers(1, 5))
    mx, my = [(1, 1), (2, 1), (3, 1), (2, 2)][k - 1] if rng.random() < 0.5 else (4, 2)
    arch["core"].update({"count": k, "lanes": int(rng.choice([1, 2, 4, 8])), "sram_ports": int(rng.integers(1, 3)),
                         "partition": str(rng.choice(["channel", "spatial"])),
                         "task_overhead_cycles": int(rng.choice([0, 16]))})
    if rng.random() < 0.5:  # weights do not fit: streamed from DRAM
        arch["core"].update({"weight_sram_kib": 0.0625, "on_overflow": "dram"})
    arch["noc"] = {"mesh_x": mx, "mesh_y": my, "flit_bits": int(rng.choice([8, 16, 32])),
                   "link_bits_per_cycle": int(rng.choice([8, 32])), "router_latency_cycles": int(rng.integers(0, 3))}
    arch["pim"]["enabled"] = bool(rng.random() < 0.6)
    arch["pim"]["macros"] = int(rng.integers(1, 4))
    path = tmp_path / "arch.yaml"
    path.write_text(yaml.safe_dump(arch), encoding="utf-8")
    job = prepare(str(path), str(wl))
    trace = functional_trace(job)
    for args in captured_schedules(monkeypatch, trace, job.spec, job.graph):
        both(*args)


def _without_scheduler(report: dict, scheduler: str) -> dict:
    assert report["timing"]["scheduler"] == scheduler
    return {**report, "timing": {k: v for k, v in report["timing"].items() if k != "scheduler"}}


def test_report_and_timeline_identical(tmp_path):
    """End to end: report.json's content and the timeline CSV are the same with either scheduler,
    apart from ``timing.scheduler``, which names it."""
    wl = _example("digits")
    if wl is None:
        pytest.skip("digits not generated (scripts/make_digits.py)")
    from accelsim.simulate import cost_and_report

    job = prepare(str(ROOT / "arch_configs" / "ace_snn_pim.yaml"), str(wl), samples=10)
    trace = functional_trace(job)
    out = {}
    for scheduler in timing.SCHEDULERS:
        timing.dispatch.clear_cache()
        tl = tmp_path / f"{scheduler}.csv"
        report = cost_and_report(job, trace, timeline=str(tl), scheduler=scheduler)
        out[scheduler] = (json.dumps(_without_scheduler(report, scheduler)), tl.read_text())
    assert out["fast"] == out["simpy"]


def test_cli_scheduler_flag(tmp_path):
    """``accelsim run --scheduler fast|simpy``: identical report.json apart from ``timing.scheduler``;
    the default is fast."""
    wl = _example("digits")
    if wl is None:
        pytest.skip("digits not generated (scripts/make_digits.py)")
    from accelsim.cli import main

    arch = str(ROOT / "arch_configs" / "digital_only.yaml")
    reports = {}
    for flag in ("fast", "simpy", None):
        timing.dispatch.clear_cache()
        out = tmp_path / str(flag)
        assert main(["run", arch, str(wl), "-o", str(out), "--samples", "4", "-q"]
                    + (["--scheduler", flag] if flag else [])) == 0
        reports[flag] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert _without_scheduler(reports["fast"], "fast") == _without_scheduler(reports["simpy"], "simpy")
    assert reports[None] == reports["fast"]


def test_unknown_scheduler_is_an_input_error():
    from accelsim.errors import InputError
    from accelsim.simulate import run_simulation

    with pytest.raises(InputError, match="--scheduler"):
        run_simulation("no_arch.yaml", "no_workload.json", scheduler="numba")
