"""ONNX import and ANN -> SNN conversion.

* The ANN read from every test model (built with ``onnx.helper``; together they
  cover every supported op) gives the same outputs in accelsim's engine as
  ``onnx.reference.ReferenceEvaluator``.
* After max-balancing on the same inputs, the converted SNN's rate model times
  the readout scale reproduces the ANN exactly (the balancing identity), and the
  spiking simulation at large T approaches it.
* The digits MLP exported to ONNX and converted with IF + reset by subtraction:
  SNN and ANN predictions agree on >= 99 % of the test split at T = 256.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from accelsim.cli import main  # noqa: E402
from accelsim.convert.balance import activation_scale, ratenorm_error  # noqa: E402
from accelsim.convert.mlp_onnx import mlp_from_workload, mlp_to_onnx  # noqa: E402
from accelsim.convert.onnx_graph import read_onnx  # noqa: E402
from accelsim.convert.onnx_import import ConvertOptions, quantise, to_snn  # noqa: E402
from accelsim.engine.ann import run_ann  # noqa: E402
from accelsim.engine.functional import simulate  # noqa: E402
from accelsim.workload import load_workload  # noqa: E402
from accelsim.workload.graph import Samples  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(1)


def f32(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)


def i64(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.int64), name)


def model(nodes, inits, in_shape, out_dim, opset=17):
    g = helper.make_graph(nodes, "m", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out_dim])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(m)
    return m


def model_conv2d():
    """Conv2d -> BatchNormalization -> Relu -> MaxPool -> PyTorch's Shape/Gather/Unsqueeze/Concat/Reshape -> MatMul + Add."""
    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g", "beta", "mean", "var"], ["bn1"], name="bn1", epsilon=1e-3),
        helper.make_node("Relu", ["bn1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Shape", ["p1"], ["sh"], name="shape"),
        helper.make_node("Gather", ["sh", "zero"], ["g0"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["g0", "ax0"], ["u0"], name="unsqueeze"),
        helper.make_node("Concat", ["u0", "minus1"], ["tgt"], name="concat", axis=0),
        helper.make_node("Reshape", ["p1", "tgt"], ["f"], name="reshape"),
        helper.make_node("MatMul", ["f", "W2"], ["m2"], name="fc/MatMul"),
        helper.make_node("Add", ["m2", "B2"], ["y"], name="fc/Add"),
    ]
    inits = [f32("W1", RNG.normal(size=(4, 2, 3, 3))), f32("B1", RNG.normal(size=4)),
             f32("g", RNG.uniform(0.5, 1.5, 4)), f32("beta", RNG.normal(size=4)), f32("mean", RNG.normal(size=4)),
             f32("var", RNG.uniform(0.5, 2, 4)), i64("zero", 0), i64("ax0", [0]), i64("minus1", [-1]),
             f32("W2", RNG.normal(size=(64, 3))), f32("B2", RNG.normal(size=3))]
    return model(nodes, inits, (2, 8, 8), 3), (2, 8, 8)


def model_conv1d():
    """Conv1d (stride 2, SAME_UPPER) -> Clip(0, 6) -> AveragePool -> Dropout -> Flatten -> Identity -> Gemm(alpha, beta, transB=0)."""
    nodes = [
        helper.make_node("Conv", ["x", "W1"], ["c1"], name="conv1", strides=[2], auto_pad="SAME_UPPER"),
        helper.make_node("Clip", ["c1", "lo", "hi"], ["a1"], name="relu6"),
        helper.make_node("AveragePool", ["a1"], ["p1"], name="pool1", kernel_shape=[3], strides=[1], pads=[1, 1]),
        helper.make_node("Dropout", ["p1"], ["d1"], name="drop"),
        helper.make_node("Flatten", ["d1"], ["f"], name="flat", axis=1),
        helper.make_node("Identity", ["f"], ["f2"], name="ident"),
        helper.make_node("Gemm", ["f2", "W2", "C"], ["y"], name="fc", alpha=0.5, beta=2.0),
    ]
    inits = [f32("W1", 2 * RNG.normal(size=(3, 2, 3))), f32("lo", 0.0), f32("hi", 6.0),
             f32("W2", RNG.normal(size=(15, 4))), f32("C", RNG.normal(size=(1, 4)))]
    return model(nodes, inits, (2, 10), 4), (2, 10)


def model_conv3d_residual():
    """Conv3d -> Relu -> [Conv3d (grouped) -> Relu -> Conv3d] + skip -> Relu -> Add(const) -> Relu
    -> GlobalAveragePool -> Flatten -> Gemm. The two Add operands come from different neurons."""
    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "W2", "B2"], ["c2"], name="conv2", pads=[1, 1, 1, 1, 1, 1], group=2),
        helper.make_node("Relu", ["c2"], ["r2a"], name="relu2a"),
        helper.make_node("Conv", ["r2a", "W2b"], ["c2b"], name="conv2b", pads=[1, 1, 1, 1, 1, 1]),
        helper.make_node("Add", ["c2b", "r1"], ["s"], name="residual"),
        helper.make_node("Relu", ["s"], ["r2"], name="relu2"),
        helper.make_node("Add", ["r2", "K"], ["k"], name="offset"),
        helper.make_node("Relu", ["k"], ["r3"], name="relu3"),
        helper.make_node("GlobalAveragePool", ["r3"], ["gp"], name="gap"),
        helper.make_node("Flatten", ["gp"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W3", "B3"], ["y"], name="fc", transB=1),
    ]
    inits = [f32("W1", RNG.normal(size=(4, 1, 3, 3, 3))), f32("B1", RNG.normal(size=4)),
             f32("W2", 0.5 * RNG.normal(size=(4, 2, 3, 3, 3))), f32("B2", RNG.normal(size=4)),
             f32("W2b", 0.3 * RNG.normal(size=(4, 4, 3, 3, 3))),
             f32("K", RNG.normal(size=(4, 1, 1, 1))), f32("W3", RNG.normal(size=(5, 4))), f32("B3", RNG.normal(size=5))]
    return model(nodes, inits, (1, 4, 5, 5), 5), (1, 4, 5, 5)


def model_reshape_const():
    """Reshape whose target is folded from Constant/Squeeze/Shape/Slice/Concat/Cast ([1, -1]), a second
    Reshape by an initializer shape with a 0 entry -> Gemm; MatMul without Add; Relu."""
    nodes = [
        helper.make_node("Constant", [], ["cneg"], name="const",
                         value=numpy_helper.from_array(np.array([[-1]], dtype=np.int32))),
        helper.make_node("Squeeze", ["cneg", "ax0"], ["neg"], name="squeeze"),
        helper.make_node("Cast", ["neg"], ["neg64"], name="cast", to=TensorProto.INT64),
        helper.make_node("Shape", ["x"], ["sh"], name="shape"),
        helper.make_node("Slice", ["sh", "s0", "s1"], ["batch"], name="slice"),
        helper.make_node("Concat", ["batch", "neg64"], ["tgt"], name="concat", axis=0),
        helper.make_node("Reshape", ["x", "tgt"], ["f0"], name="reshape0"),
        helper.make_node("Reshape", ["f0", "shp"], ["f"], name="reshape"),
        helper.make_node("Gemm", ["f", "W1", "B1"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["a"], name="relu1"),
        helper.make_node("MatMul", ["a", "W2"], ["y"], name="fc2"),
    ]
    inits = [i64("shp", [0, -1]), i64("ax0", [0]), i64("s0", [0]), i64("s1", [1]),
             f32("W1", RNG.normal(size=(6, 12))), f32("B1", RNG.normal(size=6)),
             f32("W2", RNG.normal(size=(6, 3)))]
    return model(nodes, inits, (3, 4), 3), (3, 4)


def model_opset18(keepdims: int = 1):
    """As torch's dynamo exporter writes at opset 18: Conv -> Relu -> MaxPool (of spikes after conversion)
    -> Conv -> Relu -> ReduceMean over the spatial axes (axes as an input) -> [keepdims: Reshape with
    allowzero = 1 and a target without zeros] -> Gemm."""
    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "W2", "B2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("ReduceMean", ["r2", "axes"], ["gm" if keepdims else "f"], name="mean", keepdims=keepdims),
        helper.make_node("Gemm", ["f", "W3", "B3"], ["y"], name="fc", transB=1),
    ]
    if keepdims:
        nodes.insert(6, helper.make_node("Reshape", ["gm", "tgt"], ["f"], name="view", allowzero=1))
    inits = [f32("W1", RNG.normal(size=(4, 2, 3, 3))), f32("B1", RNG.normal(size=4)),
             f32("W2", 0.5 * RNG.normal(size=(5, 4, 3, 3))), f32("B2", RNG.normal(size=5)),
             i64("axes", [-1, -2]), i64("tgt", [-1, 5]), f32("W3", RNG.normal(size=(3, 5))), f32("B3", RNG.normal(size=3))]
    return model(nodes, inits, (2, 6, 6), 3, opset=18), (2, 6, 6)


MODELS = {"conv2d": model_conv2d, "conv1d": model_conv1d, "conv3d_residual": model_conv3d_residual,
          "reshape_const": model_reshape_const, "opset18": model_opset18,
          "opset18_keepdims0": lambda: model_opset18(keepdims=0)}


@pytest.mark.parametrize("which", sorted(MODELS))
def test_ann_part_matches_onnx_reference(which):
    m, shape = MODELS[which]()
    x = RNG.random((16,) + shape).astype(np.float32)
    ref = ReferenceEvaluator(m).run(None, {"x": x})[0]
    ann = read_onnx(m, name=which)
    ops = {nd["op"] for nd in ann.builder.doc["nodes"]}
    assert "BatchNormalization" not in ops and "Dropout" not in ops and "Identity" not in ops
    out = run_ann(ann.builder.graph(), x.astype(np.float64))
    # the reference computes in float32; accelsim in float64 on the float32 weights
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_every_supported_op_is_covered():
    from accelsim.convert.onnx_graph import FOLDED, SUPPORTED

    seen = {nd.op_type for f in MODELS.values() for nd in f()[0].graph.node}
    missing = (set(SUPPORTED) | set(FOLDED)) - seen
    assert not missing


@pytest.mark.parametrize("which", sorted(MODELS))
def test_max_balanced_rate_model_reproduces_the_ann(which):
    """sigma bookkeeping: rate model (clip(I / threshold, 0, 1) per neuron) * readout scale == ANN,
    exactly on the calibration inputs themselves (max balancing clips nothing)."""
    m, shape = MODELS[which]()
    x = RNG.random((16,) + shape)
    ann = read_onnx(m, name=which)
    ref = run_ann(ann.builder.graph(), x)
    b, info = to_snn(read_onnx(m, name=which), x, ConvertOptions(timesteps=8, balance="max", ))
    g = b.graph()
    assert not any(n.op in ("Relu", "Clip") for n in g.nodes)
    rate = run_ann(g, x, mode="rate")
    np.testing.assert_allclose(rate * info["readout_scale"], ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())
    if which == "conv3d_residual":  # conv2b was rescaled to meet the skip branch's scale
        assert set(info["rescaled_for_add"]) == {"conv2b"}


def test_spiking_simulation_approaches_the_ann_at_large_t():
    m, shape = MODELS["conv3d_residual"]()
    x = RNG.random((24,) + shape)
    ref = run_ann(read_onnx(m).builder.graph(), x)
    T = 256
    b, info = to_snn(read_onnx(m), x, ConvertOptions(timesteps=T, balance="max"))
    tr = simulate(b.graph(), Samples(x, None, "x"), backend="numpy")  # dense conv3d: the reference is faster
    approx = tr.scores / T * info["readout_scale"]
    # IF + subtract: each neuron's count is within a few spikes of T * rate; errors stay O(1/T) relative
    assert np.abs(approx - ref).max() < 0.05 * np.abs(ref).max()
    assert np.mean(tr.predictions == ref.argmax(1)) >= 0.9


def model_pools():
    """MaxPool of the analog input -> Conv -> Relu -> Conv -> MaxPool of its currents -> Relu -> Flatten -> Gemm."""
    nodes = [
        helper.make_node("MaxPool", ["x"], ["p0"], name="pool_in", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Conv", ["p0", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "W2", "B2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("MaxPool", ["c2"], ["p2"], name="pool_cur", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Relu", ["p2"], ["r2"], name="relu2"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W3"], ["y"], name="fc", transB=1),
    ]
    inits = [f32("W1", RNG.normal(size=(3, 1, 3, 3))), f32("B1", RNG.normal(size=3)),
             f32("W2", 0.5 * RNG.normal(size=(4, 3, 3, 3))), f32("B2", RNG.normal(size=4)),
             f32("W3", RNG.normal(size=(3, 36)))]
    return model(nodes, inits, (1, 7, 7), 3), (1, 7, 7)


def test_maxpool_modes():
    """Default: a MaxPool of spikes or of spike-driven currents becomes a SpikeMaxPool, one of the static
    analog input stays; ``or`` keeps MaxPool and ``avg`` makes every MaxPool an AveragePool, both recorded
    as changing the function."""
    x = RNG.random((8, 2, 8, 8))
    ops = lambda b: {n.name: n.op for n in b.graph().nodes if "Pool" in n.op}  # noqa: E731
    b, info = to_snn(read_onnx(MODELS["conv2d"]()[0]), x, ConvertOptions(timesteps=4))
    assert ops(b) == {"pool1": "SpikeMaxPool"} and info["pools_changed"] == [] and info["maxpool"] == "spike"
    assert info["pools"] == {"pool1": "SpikeMaxPool of spikes"}
    b, info = to_snn(read_onnx(MODELS["conv2d"]()[0]), x, ConvertOptions(timesteps=4, maxpool="or"))
    assert ops(b) == {"pool1": "MaxPool"} and info["pools_changed"] == ["pool1"]
    b, info = to_snn(read_onnx(MODELS["conv2d"]()[0]), x, ConvertOptions(timesteps=4, maxpool="avg"))
    assert ops(b) == {"pool1": "AveragePool"} and info["pools_changed"] == ["pool1"]

    m, shape = model_pools()
    x = RNG.random((8,) + shape)
    b, info = to_snn(read_onnx(m), x, ConvertOptions(timesteps=4))
    assert ops(b) == {"pool_in": "MaxPool", "pool_cur": "SpikeMaxPool"} and info["pools_changed"] == []
    assert info["pools"] == {"pool_in": "MaxPool of the analog input (static: exact)",
                             "pool_cur": "SpikeMaxPool of currents"}
    b, info = to_snn(read_onnx(m), x, ConvertOptions(timesteps=4, maxpool="avg"))
    assert ops(b) == {"pool_in": "AveragePool", "pool_cur": "AveragePool"}
    assert info["pools_changed"] == ["pool_in", "pool_cur"]


@pytest.mark.parametrize("maxpool", ["spike", "or"])
def test_max_pool_of_currents_converges_only_as_a_spiking_max_pool(maxpool):
    """A MaxPool between a Conv fed by spikes and its ReLU pools time-varying currents: the spiking
    max-pool's output sums to the max of the summed currents, so the SNN approaches the ANN at
    large T; a MaxPool of each step's currents over-estimates (a sum of maxima exceeds the max of sums)."""
    m, shape = model_pools()
    x = RNG.random((24,) + shape)
    ref = run_ann(read_onnx(m).builder.graph(), x)
    T = 256
    b, info = to_snn(read_onnx(m), x, ConvertOptions(timesteps=T, maxpool=maxpool))
    tr = simulate(b.graph(), Samples(x, None, "x"))
    err = np.abs(tr.scores / T * info["readout_scale"] - ref).max() / np.abs(ref).max()
    assert err < 0.05 if maxpool == "spike" else err > 0.1


def test_lif_zero_reset_and_weight_quantisation_options():
    m, shape = MODELS["reshape_const"]()
    x = RNG.random((8,) + shape)
    b, info = to_snn(read_onnx(m), x, ConvertOptions(timesteps=4, neuron="LIF", leak=0.9, reset="zero", weight_bits=3))
    g = b.graph()
    (neuron,) = [n for n in g.nodes if n.kind == "neuron"]
    assert neuron.op == "LIF" and neuron.attrs.leak == 0.9 and neuron.attrs.reset == "zero"
    w = g.tensors["fc1.weight"]
    s = np.abs(w).max() / 3  # 3 bits: levels -3..3
    assert len(np.unique(np.round(w / s))) <= 7 and np.allclose(w / s, np.round(w / s))
    assert g.spec.weight_bits == 3


def test_quantise_by_hand():
    # max |w| = 1.5, 3 bits -> s = 1.5 / 3 = 0.5; 0.6 -> 0.5, -0.26 -> -0.5 (round(-0.52) = -1), 0.2 -> 0
    np.testing.assert_allclose(quantise(np.array([1.5, 0.6, -0.26, 0.2]), 3), [1.5, 0.5, -0.5, 0.0])


def test_ratenorm_scale():
    a = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    assert activation_scale(a, "ratenorm", ratenorm_p=0.5) == 5.0  # p * max
    assert activation_scale(a, "max") == 10.0
    # E(theta) by hand for pos = [1, 2, 3, 10], T = 2, theta = 2.5:
    # clipping (3 - 2.5)^2 + (10 - 2.5)^2 = 0.25 + 56.25 = 56.5; resolution 4 * 6.25 / 12 = 2.0833
    assert ratenorm_error(np.array([1.0, 2.0, 3.0, 10.0]), np.array([2.5]), 2)[0] == pytest.approx(56.5 + 25 / 12)
    # large T: no resolution penalty to speak of, the max wins; T = 1: a lower threshold wins
    assert activation_scale(a, "ratenorm", timesteps=10_000) == pytest.approx(10.0)
    assert activation_scale(a, "ratenorm", timesteps=1) < 10.0


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    g = load_workload(ROOT / "workloads" / "digits" / "workload.json")
    coefs, intercepts = mlp_from_workload(g)
    d = load_digits()
    x = (d.images / 16.0)[:, None, :, :]
    x_tr, x_te, y_tr, y_te = train_test_split(x, d.target, test_size=0.2, stratify=d.target, random_state=0)
    np.testing.assert_array_equal(x_te, g.samples.x)  # the shipped test split
    return mlp_to_onnx(coefs, intercepts, (1, 8, 8)), x_tr, x_te, y_te, g


def test_digits_onnx_converted_agrees_with_ann(digits, tmp_path):
    m, x_tr, x_te, y_te, shipped = digits
    onnx.save(m, tmp_path / "digits.onnx")
    np.savez(tmp_path / "calib.npz", x=x_tr)
    np.savez(tmp_path / "test.npz", x=x_te, y=y_te)
    rc = main(["convert", str(tmp_path / "digits.onnx"), "--calib", str(tmp_path / "calib.npz"), "--samples",
               str(tmp_path / "test.npz"), "--timesteps", "256", "--neuron", "IF", "--reset", "subtract",
               "--balance", "max", "-o", str(tmp_path / "wl")])
    assert rc == 0
    g = load_workload(tmp_path / "wl" / "workload.json")
    ann = run_ann(read_onnx(m).builder.graph(), x_te)
    ann_pred = ann.argmax(1)
    # the ONNX export is the shipped network: same ANN accuracy as recorded when it was made
    assert np.mean(ann_pred == y_te) == pytest.approx(shipped.spec.metadata["ann_test_accuracy"])
    assert g.samples is not None and np.array_equal(g.samples.y, y_te)
    tr = simulate(g, g.samples, backend="numpy")
    agree = float(np.mean(tr.predictions == ann_pred))
    assert agree >= 0.99
    meta = json.loads((tmp_path / "wl" / "workload.json").read_text())["metadata"]
    assert meta["conversion"]["balance"] == "max" and meta["ann_accuracy"] == pytest.approx(np.mean(ann_pred == y_te))


def test_pytorch_exported_cnn(tmp_path):
    """A CNN exported by torch.onnx.export (legacy exporter, BatchNorm kept: no constant folding; the
    x.view(x.size(0), -1) flatten becomes Shape -> Gather -> Unsqueeze -> Concat -> Reshape)."""
    torch = pytest.importorskip("torch")
    import warnings

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.bn = torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4)
            self.c2, self.fc = torch.nn.Conv2d(4, 8, 3, padding=1), torch.nn.Linear(8 * 4 * 4, 10)
            self.pool, self.relu6, self.drop = torch.nn.MaxPool2d(2), torch.nn.ReLU6(), torch.nn.Dropout(0.5)

        def forward(self, x):
            x = self.pool(torch.relu(self.bn(self.c1(x))))
            x = self.relu6(self.c2(x))
            x = x.view(x.size(0), -1)
            return self.fc(self.drop(x))

    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():  # non-trivial batch-norm statistics
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
        net.bn.weight.uniform_(0.5, 1.5)
    net.eval()
    path = tmp_path / "cnn.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.rand(1, 1, 8, 8),), str(path), dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, opset_version=17,
                          do_constant_folding=False)
    m = onnx.load(str(path))
    ops = {n.op_type for n in m.graph.node}
    assert {"BatchNormalization", "Shape", "Gather", "Reshape", "Clip"} <= ops
    x = torch.rand(16, 1, 8, 8)
    ref = ReferenceEvaluator(m).run(None, {"x": x.numpy()})[0]
    out = run_ann(read_onnx(path).builder.graph(), x.numpy().astype(np.float64))
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out, net(x).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_compute_balance_ratenorm_on_a_neuron_graph():
    """balance.compute_balance (used by scripts/make_digits.py) takes ratenorm too: lambda = p * max."""
    from accelsim.convert.balance import compute_balance

    g = load_workload(ROOT / "workloads" / "digits" / "workload.json")
    x = g.samples.x[:50]
    mx = compute_balance(g, x, method="max")
    rn = compute_balance(g, x, method="ratenorm", ratenorm_p=0.5)
    for name in mx.scale:
        assert rn.scale[name] == pytest.approx(0.5 * mx.scale[name])
    pc = compute_balance(g, x, method="percentile", percentile=100.0)
    assert pc.scale == pytest.approx(mx.scale)
