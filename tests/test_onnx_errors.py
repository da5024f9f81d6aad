"""Bad ONNX models and inputs: ``accelsim convert`` exits 2 with a message naming the node."""
from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from accelsim.cli import main  # noqa: E402


def f32(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)


def save(tmp_path, nodes, inits, in_dims=("N", 4), out_dim=3, check=True):
    g = helper.make_graph(nodes, "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_dims))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out_dim])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    if check:
        onnx.checker.check_model(m)
    path = tmp_path / "bad.onnx"
    onnx.save(m, path)
    np.savez(tmp_path / "calib.npz", x=np.ones((2,) + tuple(d for d in in_dims[1:] if isinstance(d, int))))
    return path


def convert(tmp_path, path, capsys, *extra):
    rc = main(["convert", str(path), "--calib", str(tmp_path / "calib.npz"), "-o", str(tmp_path / "out"), *extra])
    err = capsys.readouterr().err
    return rc, err


def good_fc(name="fc"):
    return helper.make_node("Gemm", ["x", "W", "B"], ["h"], name=name, transB=1)


INITS = [f32("W", np.ones((3, 4))), f32("B", np.zeros(3))]


def test_unsupported_op_names_node_and_op(tmp_path, capsys):
    nodes = [good_fc(), helper.make_node("Sigmoid", ["h"], ["y"], name="gate")]
    rc, err = convert(tmp_path, save(tmp_path, nodes, INITS), capsys)
    assert rc == 2
    assert "gate" in err and "Sigmoid" in err and "unsupported operator" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_missing_initializer_names_node(tmp_path, capsys):
    nodes = [helper.make_node("Gemm", ["x", "W_missing", "B"], ["y"], name="fc_missing", transB=1)]
    rc, err = convert(tmp_path, save(tmp_path, nodes, INITS, check=False), capsys)
    assert rc == 2
    assert "fc_missing" in err and "W_missing" in err and "missing initializer" in err


def test_dynamic_input_shape_is_rejected(tmp_path, capsys):
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="act"), helper.make_node("Flatten", ["r"], ["y"], name="flat")]
    rc, err = convert(tmp_path, save(tmp_path, nodes, [], in_dims=("N", 1, "H", 4)), capsys)
    assert rc == 2
    assert "dynamic shapes" in err and "'H'" in err and "shape[2]" in err


def test_dynamic_reshape_target_names_node(tmp_path, capsys):
    # the target is computed from the data (not a foldable shape chain): a dynamic shape
    nodes = [good_fc(), helper.make_node("Relu", ["h"], ["r"], name="act"),
             helper.make_node("Cast", ["r"], ["ri"], name="cast", to=TensorProto.INT64),
             helper.make_node("Reshape", ["r", "ri"], ["y"], name="reshape_dyn")]
    rc, err = convert(tmp_path, save(tmp_path, nodes, INITS, check=False), capsys)
    assert rc == 2
    assert "cast" in err and "Cast" in err and "run time" in err


def test_cycle_names_its_nodes(tmp_path, capsys):
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="loop_a"),
             helper.make_node("Relu", ["a"], ["b"], name="loop_b"),
             helper.make_node("Gemm", ["b", "W", "B"], ["y"], name="fc", transB=1)]
    rc, err = convert(tmp_path, save(tmp_path, nodes, INITS, check=False), capsys)
    assert rc == 2
    assert "cycle" in err and "loop_a" in err and "loop_b" in err


def test_batchnorm_not_after_a_layer(tmp_path, capsys):
    nodes = [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["n"], name="bn_first"),
             good_fc_input("n")]
    inits = INITS + [f32(k, np.ones(4)) for k in "gbmv"]
    rc, err = convert(tmp_path, save(tmp_path, nodes, inits, in_dims=("N", 4, 2), check=False), capsys)
    assert rc == 2 and "bn_first" in err and "folded" in err


def good_fc_input(x):
    return helper.make_node("Gemm", [x, "W", "B"], ["y"], name="fc", transB=1)


def test_clip_that_is_not_a_relu(tmp_path, capsys):
    nodes = [good_fc(), helper.make_node("Clip", ["h", "lo", "hi"], ["y"], name="clip_sym")]
    inits = INITS + [f32("lo", -1.0), f32("hi", 1.0)]
    rc, err = convert(tmp_path, save(tmp_path, nodes, inits), capsys)
    assert rc == 2 and "clip_sym" in err and "min = 0" in err


def test_not_an_onnx_file_and_bad_calibration(tmp_path, capsys):
    (tmp_path / "junk.onnx").write_bytes(b"\x00\x01 not protobuf")
    np.savez(tmp_path / "calib.npz", x=np.ones((2, 4)))
    rc = main(["convert", str(tmp_path / "junk.onnx"), "--calib", str(tmp_path / "calib.npz"), "-o", str(tmp_path / "o")])
    assert rc == 2 and "junk.onnx" in capsys.readouterr().err
    path = save(tmp_path, [good_fc_input("x")], INITS)
    np.savez(tmp_path / "calib.npz", x=np.ones((2, 5)))
    rc, err = convert(tmp_path, path, capsys)
    assert rc == 2 and "calib.npz" in err and "[N, 4]" in err


@pytest.mark.parametrize("args, fragment", [
    (["--ratenorm-p", "1.5"], "--ratenorm-p"), (["--timesteps", "0"], "--timesteps"),
    (["--leak", "2"], "--leak"), (["--weight-bits", "0"], "--weight-bits"), (["--v-init", "1"], "--v-init"),
    (["--check-samples", "-1"], "--check-samples")])
def test_bad_options(tmp_path, capsys, args, fragment):
    rc, err = convert(tmp_path, save(tmp_path, [good_fc_input("x")], INITS), capsys, *args)
    assert rc == 2 and fragment in err


def test_reduce_mean_that_is_not_a_global_pool(tmp_path, capsys):
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["x4"], name="to4d"),
             helper.make_node("ReduceMean", ["x4", "axes"], ["m"], name="mean_ch", keepdims=0),
             helper.make_node("Flatten", ["m"], ["f"], name="flat"), good_fc_input("f")]
    inits = INITS + [numpy_helper.from_array(np.array([-1, 4, 1, 1], dtype=np.int64), "shape"),
                     numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")]
    rc, err = convert(tmp_path, save(tmp_path, nodes, inits, check=False), capsys)
    assert rc == 2 and "mean_ch" in err and "ReduceMean" in err and "spatial axes [2, 3]" in err and "[1]" in err


def test_reshape_allowzero_with_a_zero(tmp_path, capsys):
    """allowzero = 1 is accepted without zeros in the target (the PyTorch exports test that); with a 0 it
    would mean an empty dimension."""
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["x2"], name="view0", allowzero=1),
             helper.make_node("Flatten", ["x2"], ["f"], name="flat"), good_fc_input("f")]
    inits = INITS + [numpy_helper.from_array(np.array([-1, 0, 4], dtype=np.int64), "shape")]
    rc, err = convert(tmp_path, save(tmp_path, nodes, inits, check=False), capsys)
    assert rc == 2 and "view0" in err and "allowzero = 1 with a 0" in err and "[-1, 0, 4]" in err


def test_missing_or_short_external_data(tmp_path, capsys):
    """A dynamo export whose MODEL.onnx.data is missing or truncated: exit 2 naming the data file."""
    import shutil
    from pathlib import Path

    data = Path(__file__).resolve().parent / "data" / "torch_digits"
    shutil.copy(data / "cnn_dynamo.onnx", tmp_path / "cnn.onnx")
    np.savez(tmp_path / "calib.npz", x=np.ones((2, 1, 8, 8)))
    rc, err = convert(tmp_path, tmp_path / "cnn.onnx", capsys)
    assert rc == 2 and "cnn_dynamo.onnx.data" in err and "not found" in err and "Traceback" not in err
    (tmp_path / "cnn_dynamo.onnx.data").write_bytes((data / "cnn_dynamo.onnx.data").read_bytes()[:1000])
    rc, err = convert(tmp_path, tmp_path / "cnn.onnx", capsys)
    assert rc == 2 and "cannot read the external weights (cnn_dynamo.onnx.data)" in err and "Traceback" not in err
