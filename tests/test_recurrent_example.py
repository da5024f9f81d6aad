"""The shipped recurrent example, workloads/srnn_events (scripts/make_srnn_events.py): its stated
accuracy reproduced by the functional engine against an independent numpy forward pass, and
``accelsim run`` end to end on both shipped architectures with its recurrent spikes routed,
priced and scheduled."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.engine.functional import simulate
from accelsim.hw.core.engine import core_activities
from accelsim.simulate import functional_trace, prepare
from accelsim.workload.loader import load_workload

ROOT = Path(__file__).resolve().parent.parent
WL = ROOT / "workloads" / "srnn_events" / "workload.json"


def numpy_forward(t: dict, x: np.ndarray, leak: float, threshold: float) -> np.ndarray:
    """The SRNN of the generator, written out: i = W_in x[t] + b_in + W_rec s[t-1]; LIF with reset by
    subtraction; scores = sum over t of W_out s[t] + b_out."""
    n, T = x.shape[:2]
    v = np.zeros((n, t["fc_in.weight"].shape[0]))
    s = np.zeros_like(v)
    scores = np.zeros((n, t["fc_out.weight"].shape[0]))
    for k in range(T):
        v = leak * v + x[:, k] @ t["fc_in.weight"].T + t["fc_in.bias"] + s @ t["fc_rec.weight"].T
        s = (v >= threshold).astype(np.float64)
        v -= threshold * s
        scores += s @ t["fc_out.weight"].T + t["fc_out.bias"]
    return scores


def test_stated_accuracy_is_reproduced():
    """Exact float64 functional pass on all 256 labelled samples: the same predictions as the numpy
    forward pass, and the accuracy the generator stored (above chance, above its feed-forward twin)."""
    graph = load_workload(str(WL))
    samples = graph.samples
    meta = json.loads(WL.read_text(encoding="utf-8"))["metadata"]
    lif = graph.node("lif")
    trace = simulate(graph, samples)
    ref = numpy_forward({k: np.asarray(v, np.float64) for k, v in graph.tensors.items()},
                        samples.x.astype(np.float64), float(lif.attrs.leak), float(lif.attrs.threshold))
    assert np.array_equal(trace.predictions, np.argmax(ref, axis=1))
    assert trace.accuracy == meta["test_accuracy"]
    assert meta["test_accuracy"] > meta["test_accuracy_feedforward_twin"] > meta["chance"]
    assert len(samples.y) == 256 and samples.x.shape == (256, 20, 16)


@pytest.mark.parametrize("arch", ["ace_snn_pim", "digital_only"])
def test_run_end_to_end(tmp_path, arch):
    out = tmp_path / arch
    assert main(["run", str(ROOT / "arch_configs" / f"{arch}.yaml"), str(WL), "-o", str(out), "--samples", "12",
                 "-q"]) == 0
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    layers = {l["name"]: l for l in rep["layers"]}
    assert list(layers) == ["fc_in", "fc_rec", "fc_out"]
    assert layers["fc_rec"]["engine"] == "core" and layers["fc_rec"]["merges_into"] == "fc_in"
    assert [l["recurrent"] for l in layers.values()] == [False, True, False]
    assert layers["fc_rec"]["synaptic_ops"] > 0 and layers["fc_rec"]["energy_pj"] > 0
    assert rep["accuracy"] is not None and rep["samples"] == 12
    assert sum(rep["energy_breakdown_pj"].values()) == pytest.approx(rep["per_inference"]["energy_pj"], rel=1e-12)
    assert rep["energy_breakdown_pj"]["noc.link"] > 0


def test_recurrent_spikes_sent_equal_received():
    """Every spike the hidden layer fires at step t < T-1 is one packet of fc_rec at step t+1 (and of
    fc_out at step t), read by every core holding a weight it reaches; the routed events are the
    spikes themselves, per neuron."""
    job = prepare(str(ROOT / "arch_configs" / "digital_only.yaml"), str(WL), samples=12)
    trace = functional_trace(job)
    a_in, a_rec, a_out = core_activities(trace, job.graph, job.spec.arch.core, job.spec.arch.noc)
    spikes = a_in.spikes.sum(axis=1)
    assert spikes.sum() > 0
    assert a_rec.sent[0].sum() == 0 and a_rec.sent[1:].sum(axis=1).tolist() == spikes[:-1].tolist()
    assert a_out.sent.sum(axis=1).tolist() == spikes.tolist()
    by_neuron = trace.addresses[0].by_neuron.astype(np.int64)
    assert np.array_equal(trace.addresses[1].by_input[1:], by_neuron[:-1])
    assert np.array_equal(trace.addresses[2].by_input, by_neuron)
    # each packet is received by the cores owning the recurrent outputs (those of the hidden neurons)
    used = int(np.count_nonzero(a_in.neurons))
    assert used == 2  # 32 neurons, core.min_neurons_per_core: 16
    assert a_rec.received.sum() == used * a_rec.sent.sum()


def test_nir_braille_srnn_on_the_cores(tmp_path, monkeypatch):
    """The NIR paper's Braille SRNN (12 -> 38 recurrent CubaLIF -> 7, tests/data/nir_braille), imported
    and run on the spike cores (``core.numerics: float``): its 38 neurons on 3 cores, every recurrent
    spike of step t one packet at t+1 to the 3 cores, priced and scheduled; both schedulers agree."""
    pytest.importorskip("nir")
    import accelsim.schedule as timing
    from tests.test_timing_fast import evaluate_capturing

    x = (np.random.default_rng(0).random((4, 40, 12)) < 0.5).astype(np.float64)
    np.savez(tmp_path / "x.npz", x=x)
    wl = tmp_path / "braille"
    assert main(["import", str(ROOT / "tests" / "data" / "nir_braille" / "braille_noDelay_bias_zero.nir"), "-o",
                 str(wl), "--dt", "1e-4", "--timesteps", "40", "--samples", str(tmp_path / "x.npz")]) == 0
    job = prepare(str(ROOT / "arch_configs" / "digital_only.yaml"), str(wl / "workload.json"),
                  sets=["core.numerics=float"])
    trace = functional_trace(job)
    assert [l.name for l in trace.layers if l.recurrent] == ["lif1.w_rec"]
    acts = core_activities(trace, job.graph, job.spec.arch.core, job.spec.arch.noc)
    hidden, rec = (trace.layers.index(l) for l in trace.layers if l.name in ("fc1", "lif1.w_rec"))
    spikes = acts[hidden].spikes.sum(axis=1)
    assert spikes.sum() > 0 and int(np.count_nonzero(acts[hidden].neurons)) == 3
    assert acts[rec].sent[0].sum() == 0 and acts[rec].sent[1:].sum(axis=1).tolist() == spikes[:-1].tolist()
    assert acts[rec].received.sum() == 3 * acts[rec].sent.sum()
    calls, cost = evaluate_capturing(monkeypatch, trace, job.spec, job.graph, pipeline=False)
    tasks = calls[0][0]
    assert tasks[rec].delayed_sources == (hidden,) and tasks[hidden].update_sources == (rec,)
    fast = timing.schedule(*calls[0], cache=False, scheduler="fast")
    slow = timing.schedule(*calls[0], cache=False, scheduler="simpy")
    assert fast.makespan_ns == slow.makespan_ns == cost.makespan_ns and list(fast.rows) == list(slow.rows)
    assert cost.layers[rec].energy_pj["core.weight_sram"] > 0 and cost.layers[rec].energy_pj["noc.link"] > 0
