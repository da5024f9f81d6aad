"""Converting real PyTorch exports (tests/data/torch_digits, made by scripts/make_torch_digits.py with
torch 2.13): two CNNs trained on scikit-learn's digits (``cnn``: BatchNorm, max and average pooling,
Dropout; ``resnet``: BatchNorm, residual adds, max pooling, global average pooling, Dropout), each
exported by the classic (TorchScript, opset 17) and the dynamo exporter (opset 18, external weights,
``Reshape`` with ``allowzero = 1``, ``ReduceMean`` for the global pooling). No torch needed here.

* both exports of a model give the same workload;
* converted with default settings, the SNN's test accuracy on both shipped architectures is within 3
  points of the ANN at T = 32 and within 1 point at T = 256, and from T = 64 to 256 never falls below
  where it was at 64 unless it was above the ANN (converging to the ANN is not a fall); the OR
  pooling the issue reported fails that criterion;
* ``accelsim convert`` prints its SNN-vs-ANN check, and warns, naming pooling, when average pooling is
  forced on a max-pool-trained network.

Accuracy at T is read from one T = 256 run (the readout's running argmax after t steps): a default
conversion does not depend on T (max balancing), and the simulation is causal (tested below).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from accelsim.cli import main  # noqa: E402
from accelsim.convert.check import likely_cause  # noqa: E402
from accelsim.convert.onnx_graph import read_onnx  # noqa: E402
from accelsim.convert.onnx_import import ConvertOptions, load_xy, to_snn  # noqa: E402
from accelsim.engine.ann import run_ann  # noqa: E402
from accelsim.engine.functional import simulate  # noqa: E402
from accelsim.simulate import functional_trace, prepare  # noqa: E402
from accelsim.workload.graph import Samples  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "torch_digits"
ARCHS = ("ace_snn_pim", "digital_only")
MODELS = ("cnn", "resnet")
T_MAX = 256


@pytest.fixture(scope="module")
def digits():
    info = json.loads((DATA / "models.json").read_text())
    calib = load_xy(DATA / "calib.npz", "calibration", (1, 8, 8))
    test = load_xy(DATA / "test.npz", "samples", (1, 8, 8))
    return info, calib, test


def canonical(builder) -> tuple[list, list[np.ndarray]]:
    """The workload's nodes with names replaced by positions (values) and by order (tensors),
    and its tensors in that order: two workloads that differ only in names compare equal."""
    doc = builder.doc
    refs = {builder.input: "input"}
    tensors: list[np.ndarray] = []
    nodes = []
    for k, nd in enumerate(doc["nodes"]):
        ins = []
        for i in nd["inputs"]:
            if i not in refs:
                refs[i] = f"t{len(tensors)}"
                tensors.append(builder.tensors[i])
            ins.append(refs[i])
        refs[nd["outputs"][0]] = f"v{k}"
        nodes.append((nd["op"], ins, nd["attrs"]))
    return nodes, tensors


def assert_same_workload(a, b) -> None:
    (na, ta), (nb, tb) = canonical(a), canonical(b)
    assert [(op, ins, sorted(at)) for op, ins, at in na] == [(op, ins, sorted(at)) for op, ins, at in nb]
    for (op, _, at_a), (_, _, at_b) in zip(na, nb):
        for key, va in at_a.items():
            if isinstance(va, float):  # thresholds: float32 weights folded by two exporters
                assert at_b[key] == pytest.approx(va, rel=1e-5), (op, key)
            else:
                assert at_b[key] == va, (op, key)
    assert len(ta) == len(tb)
    for x, y in zip(ta, tb):
        assert x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6 * np.abs(x).max())
    assert a.doc["readout"]["mode"] == b.doc["readout"]["mode"] and a.doc["timesteps"] == b.doc["timesteps"]


def test_exports_are_what_the_exporters_write(digits):
    info, _, _ = digits
    for name in MODELS:
        classic = onnx.load(str(DATA / f"{name}_classic.onnx"), load_external_data=False)
        dynamo = onnx.load(str(DATA / f"{name}_dynamo.onnx"), load_external_data=False)
        opset = lambda m: next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))  # noqa: E731
        assert opset(classic) == 17 and opset(dynamo) == 18
        # the weights are in the external data file (small tensors such as biases stay inline)
        assert all(t.data_location == onnx.TensorProto.EXTERNAL for t in dynamo.graph.initializer if len(t.dims) > 1)
        assert (DATA / f"{name}_dynamo.onnx.data").is_file()
        reshapes = [n for n in dynamo.graph.node if n.op_type == "Reshape"]
        assert reshapes and all(a.i == 1 for n in reshapes for a in n.attribute if a.name == "allowzero")
        assert "Gather" in {n.op_type for n in classic.graph.node} or name == "resnet"
    assert {n.op_type for n in onnx.load(str(DATA / "resnet_dynamo.onnx"), load_external_data=False).graph.node} \
        >= {"Add", "MaxPool", "ReduceMean"}


@pytest.mark.parametrize("name", MODELS)
def test_dynamo_and_classic_exports_give_the_same_workload(digits, name):
    _, (cx, _), (tx, _) = digits
    built = {}
    for export in ("classic", "dynamo"):
        ann = read_onnx(DATA / f"{name}_{export}.onnx", name=name)
        built[export] = ann, to_snn(ann, cx, ConvertOptions())[0]
    assert_same_workload(built["classic"][0].builder, built["dynamo"][0].builder)  # the ANN
    assert_same_workload(built["classic"][1], built["dynamo"][1])                  # the SNN
    out = [run_ann(a.builder.graph(), tx[:50]) for a, _ in built.values()]
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-5 * np.abs(out[0]).max())


@pytest.fixture(scope="module")
def converted(digits, tmp_path_factory):
    """Each model's dynamo export converted with default settings at T = 256, with the test digits as
    samples, and the ANN's test accuracy."""
    info, (cx, _), (tx, ty) = digits
    out = {}
    for name in MODELS:
        ann = read_onnx(DATA / f"{name}_dynamo.onnx", name=name)
        b, _ = to_snn(ann, cx, ConvertOptions(timesteps=T_MAX))
        ann_acc = float(np.mean(run_ann(ann.builder.graph(), tx).argmax(1) == ty))
        # the export is the trained network: the same test accuracy as torch's own
        assert ann_acc == pytest.approx(info["models"][name]["torch_test_accuracy"])
        out[name] = b.write(tmp_path_factory.mktemp(name) / "wl", samples=(tx, ty)), ann_acc
    return out


def converges(acc: list[float], ann: float) -> bool:
    """From T = 64 to 256 the accuracy never falls below min(its value at 64, the ANN's)."""
    floor = min(acc[63], ann)
    return all(acc[T - 1] >= floor for T in (64, 128, 256))


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("name", MODELS)
def test_default_conversion_reaches_the_ann(converted, name, arch):
    wl, ann = converted[name]
    trace = functional_trace(prepare(str(ROOT / "arch_configs" / f"{arch}.yaml"), str(wl)))
    acc = trace.accuracy_by_step
    assert ann - acc[31] <= 0.03, (acc[31], ann)
    assert ann - acc[T_MAX - 1] <= 0.01, (acc[T_MAX - 1], ann)
    assert converges(acc, ann), [acc[T - 1] for T in (64, 128, 256)]


def test_accuracy_at_t_is_that_of_a_run_of_t_steps(digits, converted):
    """What the test above reads: a default conversion for T = 32 is the T = 256 one but for its
    time steps, and a run of 32 steps has the accuracy after 32 steps of a longer run."""
    _, (cx, _), _ = digits
    ann = read_onnx(DATA / "cnn_dynamo.onnx", name="cnn")
    short, long = to_snn(ann, cx, ConvertOptions(timesteps=32))[0], to_snn(ann, cx, ConvertOptions(timesteps=T_MAX))[0]
    assert short.doc["timesteps"] == 32 and {**short.doc, "timesteps": T_MAX} == long.doc
    assert all(np.array_equal(short.tensors[k], long.tensors[k]) for k in long.tensors)
    arch = str(ROOT / "arch_configs" / "ace_snn_pim.yaml")
    wl = str(converted["cnn"][0])
    short_run = functional_trace(prepare(arch, wl, sets=["workload.timesteps=32"], samples=120))
    long_run = functional_trace(prepare(arch, wl, sets=["workload.timesteps=64"], samples=120))
    assert short_run.accuracy == long_run.accuracy_by_step[31]
    np.testing.assert_array_equal(short_run.correct_by_step, long_run.correct_by_step[:32])


def test_or_pooling_does_not_converge(digits):
    """The criterion can fail: max-pooling kept as an OR of spikes (--maxpool or) over-counts rates,
    and the CNN's accuracy falls from T = 64 to 256 (exact numerics)."""
    _, (cx, _), (tx, ty) = digits
    ann = read_onnx(DATA / "cnn_classic.onnx", name="cnn")
    b, info = to_snn(ann, cx, ConvertOptions(timesteps=T_MAX, maxpool="or"))
    assert info["pools_changed"] == [n["name"] for n in b.doc["nodes"] if n["op"] == "MaxPool"]
    acc = simulate(b.graph(), Samples(tx, ty, "test")).accuracy_by_step
    ann_acc = float(np.mean(run_ann(ann.builder.graph(), tx).argmax(1) == ty))
    assert not converges(acc, ann_acc) and ann_acc - acc[T_MAX - 1] > 0.03


def _convert(tmp_path, capsys, model: str, *extra: str):
    rc = main(["convert", str(DATA / model), "--calib", str(DATA / "calib.npz"), "--samples",
               str(DATA / "test.npz"), "-o", str(tmp_path / "wl"), *extra])
    assert rc == 0
    out, err = capsys.readouterr()
    meta = json.loads((tmp_path / "wl" / "workload.json").read_text())["metadata"]
    return json.loads(out), err, meta


def test_convert_prints_and_records_its_check(tmp_path, capsys):
    out, err, meta = _convert(tmp_path, capsys, "cnn_dynamo.onnx")
    check = meta["check"]
    assert check["samples"] == 360 and check["timesteps"] == 32 and check["warning"] is None
    assert check["ann_accuracy"] == pytest.approx(meta["ann_accuracy"]) and out["check"] == check
    assert check["ann_accuracy"] - check["snn_accuracy"] <= 0.02 and check["agreement"] >= 0.95
    line = (f"check on 360 samples: ANN {100 * check['ann_accuracy']:.1f} %, SNN {100 * check['snn_accuracy']:.1f} % "
            f"at T = 32, agreement {100 * check['agreement']:.1f} %")
    assert line in err and "warning" not in err
    assert meta["conversion"]["pools"] == {"node_max_pool2d": "SpikeMaxPool of spikes"}


def test_forced_average_pooling_prints_the_warning(tmp_path, capsys):
    _, err, meta = _convert(tmp_path, capsys, "cnn_classic.onnx", "--maxpool", "avg", "--check-samples", "120")
    check = meta["check"]
    assert check["samples"] == 120 and check["ann_accuracy"] - check["snn_accuracy"] > 0.02
    assert "warning: the SNN is" in err and "points below the ANN" in err
    assert "Likely cause: pooling: the max-pool(s)" in err and "--maxpool avg" in err
    assert check["warning"] in err


def test_check_without_labels_reports_the_agreement(tmp_path, capsys):
    x = np.load(DATA / "calib.npz")["x"][:40]
    np.savez(tmp_path / "calib.npz", x=x)
    rc = main(["convert", str(DATA / "cnn_classic.onnx"), "--calib", str(tmp_path / "calib.npz"), "--timesteps", "1",
               "-o", str(tmp_path / "wl")])
    err = capsys.readouterr().err
    check = json.loads((tmp_path / "wl" / "workload.json").read_text())["metadata"]["check"]
    assert rc == 0 and check["samples"] == 40 and check["ann_accuracy"] is None and check["warning"] is None
    assert f"check on 40 unlabelled samples: SNN (T = 1) agrees with the ANN on {100 * check['agreement']:.1f} %" in err


def test_likely_cause_names_each_cause():
    base = {"balance": "percentile", "neuron": "IF", "reset": "subtract", "maxpool": "spike", "pools_changed": []}
    assert likely_cause({**base, "maxpool": "or", "pools_changed": ["p"]}, 0.98, 0.8, 0.98, 0.7, 32).startswith(
        "pooling: the max-pool(s) p of a network trained with max pooling were converted as maxima of single steps")
    assert likely_cause({**base, "reset": "zero"}, 0.98, 0.8, 0.98, 0.7, 32).startswith("neuron:")
    assert likely_cause({**base, "neuron": "LIF", "leak": 0.9}, 0.98, 0.8, 0.98, 0.7, 32).startswith("neuron:")
    steps = likely_cause(base, 0.98, 0.8, 0.97, 0.5, 32)
    assert steps.startswith("too few time steps") and "97.0 %" in steps and "50.0 % at T = 16" in steps
    assert likely_cause(base, 0.98, 0.8, 0.9, 0.7, 32).startswith("balancing: even at T -> infinity")
