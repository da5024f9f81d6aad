"""Recurrent NIR graphs: the NIR paper's Braille SRNN, nested recurrent subgraphs, export -> import.

* ``tests/data/nir_braille/braille_noDelay_bias_zero.nir`` (the NIR repository's
  file, exported from snnTorch: 12 -> 38 recurrent CubaLIF -> 7 CubaLIF) imports
  at dt = 1e-4 and its spikes on random binary inputs equal, exactly, a numpy
  stepper of NIR's forward-Euler CubaLIF written here from the node fields alone
  (the recurrent Affine reads the previous step's spikes of ``lif1.lif``).
* The same network as a nested NIR subgraph (as in the paper's
  ``extras/braille_*_subgraph.nir``) gives the same spikes.
* Export -> import (also through the CLI and a ``.nir`` file) keeps the graph,
  its delayed edge and every spike.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from accelsim.cli import main  # noqa: E402
from accelsim.convert.nir_export import export_nir  # noqa: E402
from accelsim.convert.nir_import import NirOptions, import_nir  # noqa: E402
from accelsim.engine.functional import simulate  # noqa: E402
from accelsim.workload import load_workload  # noqa: E402
from accelsim.workload.graph import Samples  # noqa: E402

BRAILLE = Path(__file__).parent / "data" / "nir_braille" / "braille_noDelay_bias_zero.nir"
DT = 1e-4
T = 256


def braille_reference(g, x: np.ndarray, dt: float, delay: int = 1) -> dict[str, np.ndarray]:
    """NIR's semantics of the Braille graph, stepped with forward Euler, from the NIR nodes alone.

    Per step t, with I the sum of a node's incoming edges:
        i[t] = i[t-1] + dt/tau_syn (-i[t-1] + w_in I[t])
        v[t] = v[t-1] + dt/tau_mem (v_leak - v[t-1] + r i[t])
        z[t] = v[t] > v_threshold;   v[t] = v_reset where z[t]
    (the current updated first drives the membrane, snnTorch's Synaptic, the order
    accelsim's importer documents); the recurrent Affine ``lif1.w_rec`` sees the
    spikes of ``lif1.lif`` at t-1 (zeros at t = 0), ``fc2`` those of step t.
    Returns the spikes of both CubaLIF nodes, [N, T, neurons]. (``delay``: the steps the recurrent
    spikes take, 1 in NIR; other values only to show that the comparison sees the difference.)"""
    n = g.nodes
    fc1, rec, fc2 = n["fc1"], n["lif1.w_rec"], n["fc2"]
    out = {}
    N, steps = x.shape[:2]
    state = {k: (np.zeros((N, n[k].tau_mem.size)), np.zeros((N, n[k].tau_mem.size))) for k in ("lif1.lif", "lif2")}

    def cuba(k, current):
        c = n[k]
        i, v = state[k]
        i = i + dt / c.tau_syn * (-i + c.w_in * current)
        v = v + dt / c.tau_mem * (c.v_leak - v + c.r * i)
        z = v > c.v_threshold
        v = np.where(z, c.v_reset, v)
        state[k] = (i, v)
        return z.astype(float)

    zeros = np.zeros((N, fc1.weight.shape[0]))
    spikes = {"lif1.lif": [], "lif2": []}
    for t in range(steps):
        z1_prev = spikes["lif1.lif"][t - delay] if t >= delay else zeros
        i1 = x[:, t] @ fc1.weight.T + fc1.bias + z1_prev @ rec.weight.T + rec.bias
        z1 = cuba("lif1.lif", i1)
        z2 = cuba("lif2", z1 @ fc2.weight.T + fc2.bias)
        spikes["lif1.lif"].append(z1)
        spikes["lif2"].append(z2)
    for k, v in spikes.items():
        out[k] = np.stack(v, 1)
    return out


def spikes_by_neuron(graph, x):
    """accelsim: each neuron node's spikes, [N, T, neurons] (one batch)."""
    got: dict[str, dict[int, np.ndarray]] = {}

    def probe(layer, t, start, xin, yout):
        if layer.neuron is not None:
            got.setdefault(layer.neuron.name, {})[t] = yout.copy()

    tr = simulate(graph, Samples(x, None, "x"), probes=[probe], batch_size=x.shape[0])
    return tr, {k: np.stack([v[t] for t in sorted(v)], 1) for k, v in got.items()}


def _inputs(seed=0, n=8, p=0.5):
    return (np.random.default_rng(seed).random((n, T, 12)) < p).astype(float)


def test_braille_graph_imports_and_spikes_as_nir_euler_reference():
    ng = nir.read(str(BRAILLE), type_check=False)
    assert ("lif1.lif", "lif1.w_rec") in ng.edges and ("lif1.w_rec", "lif1.lif") in ng.edges
    g = import_nir(BRAILLE, NirOptions(dt=DT, timesteps=T)).graph()
    assert g.delayed == {("lif1.w_rec", 0)}
    assert [n.op for n in g.nodes] == ["Gemm", "Gemm", "Add", "CubaLIF", "Gemm", "CubaLIF"]
    assert (g.shapes["lif1.lif"], g.shapes["lif2"], g.readout.mode) == ((38,), (7,), "spike_count")
    x = _inputs()
    ref = braille_reference(ng, x, DT)
    tr, got = spikes_by_neuron(g, x)
    for k in ("lif1.lif", "lif2"):
        assert got[k].shape == ref[k].shape
        assert np.array_equal(got[k], ref[k]), k
    assert ref["lif1.lif"].sum() > 150 and ref["lif2"].sum() > 150
    # the recurrent Affine read the spikes of t-1: its synaptic ops are those spikes x 38
    by = {l.name: c for l, c in zip(tr.layers, tr.counts)}
    s1 = ref["lif1.lif"].sum(axis=(0, 2)).astype(int)
    assert by["lif1.w_rec"].synaptic_ops.tolist() == [0] + (38 * s1[:-1]).tolist()
    assert by["fc1"].spikes_out.tolist() == s1.tolist()


def test_the_recurrent_weights_matter_on_these_inputs():
    """The check above can fail on the recurrence: without the recurrent weights the spikes differ,
    and so do they when the recurrent Affine reads the spikes of t-2 instead of t-1."""
    ng = nir.read(str(BRAILLE), type_check=False)
    x = _inputs(1)
    ref = braille_reference(ng, x, DT)
    rec = ng.nodes["lif1.w_rec"]
    saved = rec.weight.copy()
    rec.weight[...] = 0.0
    without = braille_reference(ng, x, DT)
    rec.weight[...] = saved
    assert not np.array_equal(ref["lif1.lif"], without["lif1.lif"])
    later = braille_reference(ng, x, DT, delay=2)
    assert not np.array_equal(ref["lif1.lif"], later["lif1.lif"])


def _braille_as_subgraph(ng):
    """The Braille network with its recurrent layer as a NIR subgraph (input -> lif <-> lin -> output),
    the structure of the NIR paper's extras/braille_noDelay_bias_zero_subgraph.nir."""
    n = ng.nodes
    sub = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([38])}),
                              "lif": n["lif1.lif"], "lin": n["lif1.w_rec"],
                              "output": nir.Output(output_type={"output": np.array([38])})},
                       edges=[("input", "lif"), ("lif", "lin"), ("lin", "lif"), ("lif", "output")], type_check=False)
    nodes = {"input": n["input"], "fc1": n["fc1"], "lif1": sub, "fc2": n["fc2"], "lif2": n["lif2"],
             "output": n["output"]}
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_a_recurrent_nir_subgraph_gives_the_same_spikes(tmp_path):
    ng = nir.read(str(BRAILLE), type_check=False)
    nir.write(tmp_path / "sub.nir", _braille_as_subgraph(ng))
    g = import_nir(tmp_path / "sub.nir", NirOptions(dt=DT, timesteps=T)).graph()
    assert g.delayed == {("lif1.lin", 0)}
    x = _inputs(2)
    ref = braille_reference(ng, x, DT)
    _, got = spikes_by_neuron(g, x)
    assert np.array_equal(got["lif1.lif"], ref["lif1.lif"]) and np.array_equal(got["lif2"], ref["lif2"])


def test_export_import_round_trip_preserves_the_recurrent_workload(tmp_path, capsys):
    assert main(["import", str(BRAILLE), "--dt", str(DT), "--timesteps", str(T), "-o", str(tmp_path / "wl")]) == 0
    g1 = load_workload(tmp_path / "wl" / "workload.json")
    assert main(["export", str(tmp_path / "wl" / "workload.json"), "--dt", str(DT), "-o", str(tmp_path / "g.nir")]) == 0
    out = nir.read(str(tmp_path / "g.nir"), type_check=False)
    assert ("lif1.lif", "lif1.w_rec") in out.edges and ("lif1.w_rec", "lif1.lif") in out.edges
    assert main(["import", str(tmp_path / "g.nir"), "--dt", str(DT), "-o", str(tmp_path / "back")]) == 0
    capsys.readouterr()
    g2 = load_workload(tmp_path / "back" / "workload.json")
    assert [(n.name, n.op, n.inputs) for n in g2.nodes] == [(n.name, n.op, n.inputs) for n in g1.nodes]
    assert g2.delayed == g1.delayed == {("lif1.w_rec", 0)} and g2.timesteps == T
    for k in g1.tensors:
        np.testing.assert_array_equal(g1.tensors[k], g2.tensors[k])
    x = _inputs(3)
    t1, s1 = spikes_by_neuron(g1, x)
    t2, s2 = spikes_by_neuron(g2, x)
    for k in s1:
        assert np.array_equal(s1[k], s2[k])
    np.testing.assert_array_equal(t1.scores, t2.scores)


def test_export_import_by_the_nir_equations_alone():
    """Without accelsim's metadata the exported NIR parameters rebuild the same recurrent network."""
    g1 = import_nir(BRAILLE, NirOptions(dt=DT, timesteps=T)).graph()
    ng, lossy = export_nir(g1, dt=DT)
    assert lossy == []
    for n in ng.nodes.values():
        n.metadata = {}
    ng.metadata = {}
    g2 = import_nir(ng, NirOptions(dt=DT, timesteps=T)).graph()
    assert g2.delayed == g1.delayed
    x = _inputs(4)
    _, s1 = spikes_by_neuron(g1, x)
    _, s2 = spikes_by_neuron(g2, x)
    for k in s1:
        assert np.array_equal(s1[k], s2[k]) and s1[k].sum() > 0


# --------------------------------------------------------------------------
# snnTorch's own recurrent layers (when snnTorch is installed; not in CI)

@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_snntorch_rleaky_export_spikes_like_snntorch(tmp_path):
    """snnTorch exports RLeaky (all-to-all) as a NIR subgraph: input -> lif <-> w_rec -> output.
    Reset to zero without delay (what NIR's nodes say); snnTorch's export assumes dt = 1e-4.
    (RSynaptic: snnTorch 1.0.0 with nirtorch 2.6 fails to trace it, "Cannot find the input of an
    empty graph"; the Braille graph above is an RSynaptic export of an older snnTorch.)"""
    torch = pytest.importorskip("torch")
    snn = pytest.importorskip("snntorch")
    pytest.importorskip("nirtorch")
    from snntorch import utils as snn_utils
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(3)
    n = 12
    common = dict(threshold=1.0, linear_features=n, all_to_all=True, init_hidden=True,
                  reset_mechanism="zero", reset_delay=False)
    rec = snn.RLeaky(beta=torch.full((n,), 0.85), **common)
    out = snn.Leaky(beta=torch.full((4,), 0.8), threshold=torch.ones(4), init_hidden=True, output=True,
                    reset_mechanism="zero", reset_delay=False)
    fc1, fc2 = torch.nn.Linear(6, n), torch.nn.Linear(n, 4)
    with torch.no_grad():
        fc1.weight.mul_(3.0)
        fc2.weight.mul_(3.0)
        rec.recurrent.weight.mul_(2.0)
    net = torch.nn.Sequential(fc1, rec, fc2, out)
    T, N = 30, 8
    x = (torch.rand(T, N, 6) < 0.4).float()
    ng = export_to_nir(net, x[0, :1], ignore_dims=[0])
    nir.write(tmp_path / "rnn.nir", ng)
    snn_utils.reset(net)
    ref1, ref2 = [], []
    with torch.no_grad():
        for t in range(T):
            s1 = rec(fc1(x[t]))
            s2, _ = out(fc2(s1))
            ref1.append(s1.numpy())
            ref2.append(s2.numpy())
    ref1, ref2 = np.stack(ref1, 1), np.stack(ref2, 1)
    g = import_nir(tmp_path / "rnn.nir", NirOptions(dt=1e-4, timesteps=T)).graph()
    assert len(g.delayed) == 1
    _, spikes = spikes_by_neuron(g, x.numpy().transpose(1, 0, 2).astype(np.float64))
    lif = next(n.name for n in g.nodes if n.kind == "neuron" and g.shapes[n.output] == (12,))
    last = [n.name for n in g.nodes if n.kind == "neuron"][-1]
    assert 0.05 < ref1.mean() < 0.95 and 0 < ref2.mean() < 1
    assert np.array_equal(spikes[lif], ref1) and np.array_equal(spikes[last], ref2)
