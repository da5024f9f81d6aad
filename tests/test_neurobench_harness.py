"""The ``neurobench`` block equals NeuroBench's own harness on an snnTorch network.

The network runs through NeuroBench 2.x (``Benchmark`` with ``SNNTorchModel``) and, exported
to NIR, through ``accelsim import`` and ``accelsim run``. Skipped unless torch, snntorch,
nirtorch and neurobench are installed (a private venv: docs/metrics.md says how).

Weights are ternary multiples of a power of two and thresholds lie off their lattice, so the
first layer's quantised arithmetic and snnTorch's float32 give the same spikes.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
snn = pytest.importorskip("snntorch")
pytest.importorskip("nirtorch")
pytest.importorskip("neurobench")
import nir  # noqa: E402

from accelsim.cli import main  # noqa: E402

BETA = 0.5


def _network():
    from snntorch.export_nir import export_to_nir  # noqa: F401

    g = torch.Generator().manual_seed(3)
    fc1, fc2 = torch.nn.Linear(12, 16, bias=False), torch.nn.Linear(16, 5, bias=False)
    with torch.no_grad():   # weights in {-1, 0, 1}: exact at 8 bits; about a third are zero
        fc1.weight.copy_(1.0 * torch.randint(-1, 2, (16, 12), generator=g).float())
        fc2.weight.copy_(1.0 * torch.randint(-1, 2, (5, 16), generator=g).float())
    lif1 = snn.Leaky(beta=torch.full((16,), BETA), threshold=torch.full((16,), 1.4), init_hidden=True,
                     reset_mechanism="zero")
    lif2 = snn.Leaky(beta=torch.full((5,), BETA), threshold=torch.full((5,), 0.6), init_hidden=True, output=True,
                     reset_mechanism="zero")
    return torch.nn.Sequential(fc1, lif1, fc2, lif2)


def _neurobench(net, x, y) -> dict:
    from torch.utils.data import DataLoader, TensorDataset

    from neurobench.benchmarks import Benchmark
    from neurobench.metrics.static import ConnectionSparsity, Footprint, ParameterCount
    from neurobench.metrics.workload import ActivationSparsity, MembraneUpdates, NeuronOperations, SynapticOperations
    from neurobench.models import SNNTorchModel

    loader = DataLoader(TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=len(x), shuffle=False)
    bench = Benchmark(SNNTorchModel(net), loader, [], [],
                      [[ParameterCount, Footprint, ConnectionSparsity],
                       [ActivationSparsity, SynapticOperations, MembraneUpdates, NeuronOperations]])
    return bench.run(quiet=True)


def test_neurobench_block_equals_neurobench(tmp_path, arch_file):
    from snntorch.export_nir import export_to_nir

    net = _network()
    T, N = 20, 12
    rng = np.random.default_rng(5)
    x = (rng.random((N, T, 12)) < 0.4).astype(np.float32)          # NeuroBench: [batch, time, features]
    y = rng.integers(0, 5, N)
    graph = export_to_nir(net, torch.tensor(x[:1, 0]), ignore_dims=[0])
    nir.write(tmp_path / "snn.nir", graph)
    # snnTorch writes tau = dt / (1 - beta) in float32; the dt that gives back leak = beta and gain = 1
    # exactly (with dt = 1e-4 they are 1e-8 off, and a membrane at its fixed point, unchanged in
    # snnTorch, would change by an ulp in accelsim)
    dt = float(np.asarray(graph.nodes["1"].tau, dtype=np.float64)[0]) * (1 - BETA)
    expected = _neurobench(net, x, y)

    np.savez(tmp_path / "seq.npz", x=x.astype(np.float64), y=y)
    assert main(["import", str(tmp_path / "snn.nir"), "--dt", repr(dt), "--timesteps", str(T), "--samples",
                 str(tmp_path / "seq.npz"), "-o", str(tmp_path / "wl")]) == 0
    assert main(["run", str(arch_file), str(tmp_path / "wl" / "workload.json"), "-o", str(tmp_path / "out"), "-q",
                 "--set", "pim.enabled=false", "--set", "core.input_bits=8", "--set", "core.weight_bits=8"]) == 0
    got = json.loads((tmp_path / "out" / "report.json").read_text())["neurobench"]["per_inference"]

    assert got["SynapticOperations"] == {k: pytest.approx(v, abs=0, rel=1e-12)
                                         for k, v in expected["SynapticOperations"].items()}
    assert expected["SynapticOperations"]["Effective_ACs"] > 0
    assert got["ActivationSparsity"] == pytest.approx(expected["ActivationSparsity"], rel=1e-12)
    assert 0 < got["ActivationSparsity"] < 1
    assert got["MembraneUpdates"] == pytest.approx(expected["MembraneUpdates"], rel=1e-12)
    assert got["NeuronOperations"] == pytest.approx(expected["NeuronOperations"], rel=1e-12)
    assert got["ParameterCount"] == expected["ParameterCount"]
    assert round(got["ConnectionSparsity"], 4) == expected["ConnectionSparsity"] > 0
