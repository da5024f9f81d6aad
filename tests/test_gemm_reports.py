"""Whichever path the kernels take (GEMM wherever exact, or scatter only), the whole report is the
same bit for bit: on the shipped examples on both shipped architectures, and on random
convolutional networks with fixed-point and float numerics (float64 real weights, and weights
rounded to float32 as an ONNX file holds them)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from regression_cases import CASES
from accelsim.config.loader import load_arch
from accelsim.kernels import gemm
from accelsim.simulate import Job, cost_and_report, functional_trace, run_simulation
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples

ROOT = Path(__file__).resolve().parent.parent


def _same(a: dict, b: dict) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("arch,workload", CASES, ids=[f"{a.split('/')[-1][:-5]}-{w.split('/')[1]}" for a, w in CASES])
def test_shipped_examples_same_report_on_either_path(arch, workload):
    reports = {}
    for policy in ("gemm", "scatter"):
        with gemm.forced(policy):
            reports[policy] = run_simulation(str(ROOT / arch), str(ROOT / workload), samples=6)
    assert _same(reports["gemm"], reports["scatter"])


def _random_net(seed: int, float32: bool):
    rng = np.random.default_rng(seed)

    def w(shape):
        a = rng.normal(0.0, np.sqrt(2.0 / np.prod(shape[1:])), size=shape)
        return a.astype(np.float32).astype(np.float64) if float32 else a

    b = WorkloadBuilder(f"rand{seed}", (3, 16, 16), timesteps=4)
    h = b.neuron("n0", b.conv("c0", b.input, w((8, 3, 3, 3)), pads=[1, 1, 1, 1]), "IF", threshold=0.5)
    h = b.neuron("n1", b.conv("c1", h, w((16, 8, 3, 3)), strides=[2, 2], pads=[1, 1, 1, 1]), "LIF",
                 threshold=0.5, leak=0.9)
    h = b.neuron("n2", b.conv("c2", h, w((16, 4, 3, 3)), pads=[2, 2, 2, 2], dilations=[2, 2], group=4), "IF",
                 threshold=0.5)
    h = b.flatten("flat", b.pool("pool", h, "avg", [2, 2], strides=[2, 2]))
    h = b.neuron("n3", b.gemm("fc1", h, w((32, 256))), "IF", threshold=0.5)
    b.readout(b.gemm("fc2", h, w((10, 32)), np.zeros(10)))
    return b.graph(), rng.uniform(0.0, 1.0, size=(5, 3, 16, 16))


@pytest.mark.parametrize("numerics", ["fixed", "float"])
@pytest.mark.parametrize("seed,float32", [(0, False), (1, True), (2, True)])
def test_random_networks_same_report_on_either_path(numerics, seed, float32, monkeypatch):
    calls = []
    real = gemm.conv_gemm
    monkeypatch.setattr(gemm, "conv_gemm", lambda *a, **k: calls.append(1) or real(*a, **k))
    graph, x = _random_net(seed, float32)
    arch = str(ROOT / "arch_configs" / "digital_only.yaml")
    job = Job(load_arch(arch, [f"core.numerics={numerics}"]), graph, Samples(x, None, "random"), arch, "<rand>", "random")
    out = {}
    for policy in ("gemm", "scatter"):
        with gemm.forced(policy):
            trace = functional_trace(job)
            out[policy] = (trace, cost_and_report(job, trace))
    if numerics == "fixed":
        assert calls, "integer weights: the GEMM path must have run"
    (tg, rg), (ts, rs) = out["gemm"], out["scatter"]
    assert _same(rg, rs)
    for cg, cs in zip(tg.counts, ts.counts):
        assert np.array_equal(cg.spikes_out, cs.spikes_out)
    for ag, as_ in zip(tg.addresses, ts.addresses):
        if ag.by_neuron is not None:
            assert np.array_equal(ag.by_neuron, as_.by_neuron)     # every neuron's spikes, not only totals
    assert np.array_equal(tg.scores, ts.scores)
    assert sum(int(c.spikes_out.sum()) for c in tg.counts) > 0
