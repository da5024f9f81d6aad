"""One failing-input test per workload validation rule (``accelsim.workload.loader``).

Each test breaks one thing in the tiny workload of ``conftest.py`` (Conv1d -> LIF
-> AveragePool -> Flatten -> Gemm), rewrites the folder and checks that
:func:`load_workload` raises an :class:`InputError` naming the file, the dotted
path, the value and what is allowed.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.errors import InputError
from accelsim.workload.loader import load_inputs, load_workload
from accelsim.workload.ops import OPS

REPO = Path(__file__).resolve().parent.parent

TINY_NODES = ("conv", "lif", "pool", "flat", "fc")  # the tiny workload of conftest.py, in file order
CONV, LIF, POOL, FLAT, FC = range(5)
TIMESTEPS, INPUT_SHAPE = 2, (1, 8)


def load_error(wl) -> InputError:
    """Write the (broken) workload and return the InputError that loading it raises."""
    path = wl.write()
    with pytest.raises(InputError) as err:
        load_workload(path)
    return err.value


# --------------------------------------------------------------------------
# good files


def test_tiny_workload_loads(workload_file):
    g = load_workload(workload_file)
    assert g.source == str(workload_file)
    assert [n.name for n in g.nodes] == list(TINY_NODES)
    assert [n.op for n in g.nodes] == ["Conv", "LIF", "AveragePool", "Flatten", "Gemm"]
    assert g.shapes == {"input": (1, 8), "conv": (2, 8), "lif": (2, 8), "pool": (2, 4), "flat": (8,), "fc": (3,)}
    assert g.timesteps == TIMESTEPS and g.num_classes == 3
    assert g.samples is not None and len(g.samples) == 4 and g.samples.y.tolist() == [0, 1, 2, 0]
    assert g.tensors["conv.weight"].dtype == np.float64


def test_rewriting_the_fixture_unchanged_still_loads(tiny_workload):
    assert load_workload(tiny_workload.write()).shapes["fc"] == (3,)


def test_nodes_may_be_listed_out_of_order(tiny_workload):
    tiny_workload.doc["nodes"].reverse()
    g = load_workload(tiny_workload.write())
    assert [n.name for n in g.nodes] == list(TINY_NODES)


@pytest.mark.parametrize("path", sorted((REPO / "workloads").glob("*/workload.json")), ids=lambda p: p.parent.name)
def test_shipped_workloads_are_valid(path):
    assert load_workload(path).nodes


# --------------------------------------------------------------------------
# reading the JSON


def test_missing_file(tmp_path, expect_problem):
    missing = tmp_path / "nope" / "workload.json"
    with pytest.raises(InputError) as err:
        load_workload(missing)
    expect_problem(err.value, missing, "", "file not found")


def test_directory_instead_of_file(tmp_path, expect_problem):
    folder = tmp_path / "w.json"
    folder.mkdir()
    with pytest.raises(InputError) as err:
        load_workload(folder)
    expect_problem(err.value, folder, "", "is a directory")


def test_invalid_json_names_line_and_column(tiny_workload, expect_problem):
    tiny_workload.write()
    tiny_workload.path.write_text('{\n  "format": "accelsim-workload",\n  "version": 1,,\n}\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_workload(tiny_workload.path)
    expect_problem(err.value, tiny_workload.path, "line 3, column 16", "invalid JSON", "Expecting property name")


@pytest.mark.parametrize("doc", [[1, 2], "workload", 3])
def test_not_a_json_object(tiny_workload, expect_problem, doc):
    tiny_workload.doc = doc
    expect_problem(load_error(tiny_workload), tiny_workload.path, "", "expected a JSON object", value=doc)


@pytest.mark.parametrize("key, value, allowed", [
    ("format", "onnx", "must be 'accelsim-workload'"),
    ("version", 2, "must be 1"),
    ("version", "1", "must be 1"),
])
def test_wrong_format_or_version(tiny_workload, expect_problem, key, value, allowed):
    tiny_workload.doc[key] = value
    expect_problem(load_error(tiny_workload), tiny_workload.path, key, allowed, value=value)


def test_unknown_top_level_key_lists_allowed_keys(tiny_workload, expect_problem):
    tiny_workload.doc["timestep"] = 4
    expect_problem(load_error(tiny_workload), tiny_workload.path, "timestep", "unknown key",
                   "allowed keys: format, version, name, description, timesteps, tensors", value=4)


def test_unknown_node_key(tiny_workload, expect_problem):
    tiny_workload.node("conv")["weights"] = "conv.weight"
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[0].weights", "unknown key",
                   "allowed keys: name, op, inputs, outputs, attrs")


@pytest.mark.parametrize("where, value, path_, allowed", [
    (("timesteps",), "4", "timesteps", "must be a valid integer"),
    (("timesteps",), 4.0, "timesteps", "must be a valid integer"),
    (("timesteps",), True, "timesteps", "must be a valid integer"),
    (("name",), 7, "name", "must be a valid string"),
    (("nodes",), {"conv": {}}, "nodes", "must be a valid list"),
    (("readout",), "fc", "readout", "must be a mapping with keys among: output, mode"),
    (("inputs", 0, "shape"), ["1", 8], "inputs[0].shape[0]", "must be a valid integer"),
    (("nodes", 3, "inputs"), [3], "nodes[3].inputs[0]", "must be a valid string"),
    (("nodes", 0, "attrs"), [1], "nodes[0].attrs", "must be a valid dictionary"),
])
def test_wrong_type(tiny_workload, expect_problem, where, value, path_, allowed):
    target = tiny_workload.doc
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    expect_problem(load_error(tiny_workload), tiny_workload.path, path_, allowed)


@pytest.mark.parametrize("key, value, path_, allowed", [
    ("timesteps", 0, "timesteps", "must be greater than or equal to 1"),
    ("nodes", [], "nodes", "must have at least 1 item"),
    ("outputs", [], "outputs", "must have at least 1 item"),
    ("weight_bits", 0, "weight_bits", "must be greater than or equal to 1"),
])
def test_out_of_range_top_level(tiny_workload, expect_problem, key, value, path_, allowed):
    tiny_workload.doc[key] = value
    expect_problem(load_error(tiny_workload), tiny_workload.path, path_, allowed, value=value)


def test_missing_required_key(tiny_workload, expect_problem):
    del tiny_workload.doc["readout"]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "readout", "required key is missing")


@pytest.mark.parametrize("shape", [[1, -8], [0, 8]])
def test_non_positive_input_dimension(tiny_workload, expect_problem, shape):
    tiny_workload.doc["inputs"][0]["shape"] = shape
    expect_problem(load_error(tiny_workload), tiny_workload.path, "inputs[0].shape",
                   "every dimension must be a positive integer", value=shape)


def test_only_one_graph_input(tiny_workload, expect_problem):
    tiny_workload.doc["inputs"].append({"name": "second", "shape": [4]})
    expect_problem(load_error(tiny_workload), tiny_workload.path, "inputs", "must have at most 1 item")


# --------------------------------------------------------------------------
# operators and attributes


def test_unknown_op_lists_supported_ops(tiny_workload, expect_problem):
    tiny_workload.node("flat")["op"] = "Flaten"
    prob = expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[3].op", "unknown operator; supported:",
                          value="Flaten")
    assert prob.message.endswith(", ".join(sorted(OPS)))


def test_unknown_attribute_lists_allowed_attributes(tiny_workload, expect_problem):
    tiny_workload.node("conv")["attrs"]["padz"] = [1, 1]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[0].attrs.padz", "unknown key",
                   "allowed keys: kernel_shape, strides, pads, dilations, group, auto_pad")


@pytest.mark.parametrize("node, key, value, path_, fragments", [
    (CONV, "pads", [1, 1, 1], "nodes[0].attrs.pads", ["Conv 'conv'", "needs 2 values for 1-D spatial input"]),
    (CONV, "pads", [-1, 1], "nodes[0].attrs.pads", ["Conv 'conv'", "must be non-negative integers"]),
    (CONV, "strides", [0], "nodes[0].attrs.strides", ["must be positive integers"]),
    (CONV, "group", 2, "nodes[0].attrs.group", ["group 2 must divide input channels 1"]),
    (CONV, "group", "1", "nodes[0].attrs.group", ["must be a valid integer"]),
    (CONV, "pads", [1, 1.5], "nodes[0].attrs.pads[1]", ["= 1.5: must be a valid integer"]),
    (CONV, "kernel_shape", [5], "nodes[0].attrs.kernel_shape", ["does not match the weight's kernel [3]"]),
    (CONV, "auto_pad", "SAME_UPPER", "nodes[0].attrs.auto_pad", ["must be 'NOTSET' or 'VALID'"]),
    (LIF, "reset", "hard", "nodes[1].attrs.reset", ["must be 'subtract' or 'zero'"]),
    (LIF, "threshold", True, "nodes[1].attrs.threshold", ["must be a number or the name of a tensor"]),
    (LIF, "threshold", [1.0], "nodes[1].attrs.threshold", ["must be a number or the name of a tensor"]),
    (LIF, "v_init", float("nan"), "nodes[1].attrs.v_init", ["must be a finite number"]),
    (POOL, "kernel_shape", [2, 2], "nodes[2].attrs.kernel_shape", ["kernel has 2 spatial dims but the input has 1"]),
    (POOL, "ceil_mode", 1, "nodes[2].attrs.ceil_mode", ["must be 0"]),
    (FLAT, "axis", 0, "nodes[3].attrs.axis", ["must be greater than or equal to 1"]),
    (FLAT, "axis", 5, "nodes[3].attrs.axis", ["axis 5 out of range for input rank 3"]),
    (FC, "transA", 1, "nodes[4].attrs.transA", ["must be 0"]),
    (FC, "alpha", float("inf"), "nodes[4].attrs.alpha", ["must be a finite number"]),
])
def test_invalid_attribute(tiny_workload, expect_problem, node, key, value, path_, fragments):
    tiny_workload.doc["nodes"][node]["attrs"][key] = value
    expect_problem(load_error(tiny_workload), tiny_workload.path, path_, *fragments)


def test_union_attribute_gives_one_problem_not_one_per_type(tiny_workload):
    tiny_workload.node("lif")["attrs"]["leak"] = {"value": 0.9}
    err = load_error(tiny_workload)
    assert [p.path for p in err.problems] == ["nodes[1].attrs.leak"]


# --------------------------------------------------------------------------
# names and connections


def test_duplicate_node_name(tiny_workload, expect_problem):
    tiny_workload.node("pool")["name"] = "lif"
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[2].name", "duplicate node name (also nodes[1])",
                   value="lif")


def test_value_produced_twice(tiny_workload, expect_problem):
    tiny_workload.node("pool")["outputs"] = ["lif"]
    tiny_workload.node("flat")["inputs"] = ["lif"]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[2].outputs[0]", "value is produced twice",
                   value="lif")


def test_node_output_shadowing_the_graph_input(tiny_workload, expect_problem):
    tiny_workload.node("pool")["outputs"] = ["input"]
    tiny_workload.node("flat")["inputs"] = ["input"]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[2].outputs[0]", "value is produced twice")


def test_name_shared_by_a_value_and_a_tensor(tiny_workload, expect_problem):
    tiny_workload.tensors["input"] = np.zeros(1)
    expect_problem(load_error(tiny_workload), tiny_workload.path, "inputs[0].name",
                   "is also the name of a tensor in the .npz")


def test_input_that_is_neither_value_nor_tensor(tiny_workload, expect_problem):
    tiny_workload.node("flat")["inputs"] = ["pol"]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[3].inputs[0]",
                   "not a graph input, a node output or a tensor in the .npz", value="pol")


def test_misspelt_input_suggests_the_closest_name(tiny_workload):
    name = tiny_workload.node("flat")["inputs"][0]
    tiny_workload.node("flat")["inputs"] = [name + "x"]
    assert f"did you mean {name}?" in str(load_error(tiny_workload))


def test_tensor_where_a_value_is_required(tiny_workload, expect_problem):
    tiny_workload.node("flat")["inputs"] = ["fc.weight"]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[3].inputs[0]",
                   "Flatten input 0 must be a graph value, not a tensor", value="fc.weight")


def test_value_where_a_tensor_is_required(tiny_workload, expect_problem):
    tiny_workload.node("fc")["inputs"] = ["flat", "flat"]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[4].inputs[1]",
                   "Gemm input 1 must be a tensor from the .npz (weights), not a graph value", value="flat")


@pytest.mark.parametrize("node, inputs, allowed", [
    (FC, ["flat"], "Gemm takes 2..3 inputs (value, tensor, tensor?)"),
    (FC, ["flat", "fc.weight", "fc.bias", "fc.bias"], "Gemm takes 2..3 inputs"),
    (FLAT, ["pool", "lif"], "Flatten takes 1 inputs (value)"),
    (CONV, ["input"], "Conv takes 2..3 inputs"),
])
def test_wrong_number_of_inputs(tiny_workload, expect_problem, node, inputs, allowed):
    tiny_workload.doc["nodes"][node]["inputs"] = inputs
    expect_problem(load_error(tiny_workload), tiny_workload.path, f"nodes[{node}].inputs", allowed, value=inputs)


def test_no_inputs_at_all(tiny_workload, expect_problem):
    tiny_workload.node("flat")["inputs"] = []
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[3].inputs", "must have at least 1 item")


def test_cycle_in_the_graph(tiny_workload, expect_problem):
    tiny_workload.node("pool")["inputs"] = ["flat"]  # pool -> flat -> pool
    tiny_workload.node("fc")["inputs"][0] = "pool"
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes", "the graph has a cycle through: pool, flat")


def test_readout_output_not_a_graph_value(tiny_workload, expect_problem):
    tiny_workload.doc["readout"]["output"] = "logits"
    expect_problem(load_error(tiny_workload), tiny_workload.path, "readout.output", "not a graph value", value="logits")


def test_graph_output_not_a_graph_value(tiny_workload, expect_problem):
    tiny_workload.doc["outputs"] = ["fc", "logits"]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "outputs[1]", "not a graph value", value="logits")


def test_spike_count_readout_on_a_non_neuron_value(tiny_workload, expect_problem):
    tiny_workload.doc["readout"]["mode"] = "spike_count"  # fc is a Gemm, it does not spike
    expect_problem(load_error(tiny_workload), tiny_workload.path, "readout.mode",
                   "spike_count needs readout.output to be the output of a neuron node", value="spike_count")


def test_spike_count_readout_on_a_neuron_is_fine(tiny_workload):
    tiny_workload.doc["readout"] = {"output": "lif", "mode": "spike_count"}
    tiny_workload.samples["y"] = np.array([0, 15, 3, 7])  # 2 x 8 = 16 classes
    g = load_workload(tiny_workload.write())
    assert g.num_classes == 16


# --------------------------------------------------------------------------
# tensors: presence, shapes, values


def test_misspelt_tensor_suggests_the_unreferenced_member(tiny_workload):
    """The loader reads only the referenced tensors; the suggestion still looks at every member."""
    node = next(n for n in tiny_workload.doc["nodes"] if "fc.weight" in n["inputs"])
    node["inputs"] = [("fc.wieght" if x == "fc.weight" else x) for x in node["inputs"]]
    assert "did you mean fc.weight?" in str(load_error(tiny_workload))


def test_tensor_missing_from_npz(tiny_workload, expect_problem):
    del tiny_workload.tensors["fc.weight"]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[4].inputs[1]",
                   "not a graph input, a node output or a tensor in the .npz", value="fc.weight")


@pytest.mark.parametrize("name, shape, path_, fragment", [
    ("conv.weight", (2, 2, 3), "nodes[0].inputs[1]", "weight shape [2, 2, 3] expects 2 input channels but the input has 1"),
    ("conv.weight", (2, 1, 3, 3), "nodes[0].inputs[1]", "weight must be [C_out, C_in/group, *kernel] with 1 kernel dims"),
    ("conv.bias", (3,), "nodes[0].inputs[2]", "bias must have shape [2], got [3]"),
    ("fc.weight", (3, 9), "nodes[4].inputs[1]", "weight shape [3, 9] (transB=1) expects 9 input features, the input has 8"),
    ("fc.weight", (24,), "nodes[4].inputs[1]", "weight must be 2-D, got [24]"),
    ("fc.bias", (4,), "nodes[4].inputs[2]", "bias must broadcast to [3], got [4]"),
])
def test_weight_shape_does_not_match_the_graph(tiny_workload, expect_problem, name, shape, path_, fragment):
    tiny_workload.tensors[name] = np.zeros(shape)
    op = "Conv 'conv'" if name.startswith("conv") else "Gemm 'fc'"
    expect_problem(load_error(tiny_workload), tiny_workload.path, path_, op, fragment, value=name)


def test_kernel_larger_than_padded_input(tiny_workload, expect_problem):
    tiny_workload.tensors["conv.weight"] = np.zeros((2, 1, 11))  # input 8 + pads 1 + 1 = 10
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[0].attrs.kernel_shape",
                   "kernel extent 11 exceeds padded input extent 10 on spatial axis 0", value=[11])


def test_pool_window_larger_than_input(tiny_workload, expect_problem):
    tiny_workload.node("pool")["attrs"]["kernel_shape"] = [9]
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[2].attrs.kernel_shape",
                   "AveragePool 'pool'", "kernel extent 9 exceeds padded input extent 8")


def test_reshape_element_count_mismatch(tiny_workload, expect_problem):
    tiny_workload.doc["nodes"][FLAT] = {"name": "flat", "op": "Reshape", "inputs": ["pool"], "outputs": ["flat"],
                                        "attrs": {"shape": [1, 7]}}
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[3].attrs.shape", "Reshape 'flat'",
                   "cannot reshape [2, 4] (8 elements per sample) into [1, 7]", value=[1, 7])


def test_reshape_with_a_valid_target_replaces_flatten(tiny_workload):
    tiny_workload.doc["nodes"][FLAT] = {"name": "flat", "op": "Reshape", "inputs": ["pool"], "outputs": ["flat"],
                                        "attrs": {"shape": [-1, 8]}}
    assert load_workload(tiny_workload.write()).shapes["flat"] == (8,)


def test_reshape_shape_tensor_must_hold_integers(tiny_workload, expect_problem):
    tiny_workload.doc["nodes"][FLAT] = {"name": "flat", "op": "Reshape", "inputs": ["pool", "target"],
                                        "outputs": ["flat"]}
    tiny_workload.tensors["target"] = np.array([1.5, 8.0])
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[3].inputs[1]",
                   "shape tensor must hold integers, got dtype float64", value="target")


@pytest.mark.parametrize("name, bad", [
    ("fc.weight", "nan"), ("conv.weight", "inf"), ("conv.bias", "-inf"),
])
def test_non_finite_weight_tensor(tiny_workload, expect_problem, name, bad):
    arr = tiny_workload.tensors[name].copy()
    arr.flat[0] = float(bad)
    tiny_workload.tensors[name] = arr
    j = 2 if name.endswith("bias") else 1
    node = 4 if name.startswith("fc") else 0
    expect_problem(load_error(tiny_workload), tiny_workload.path, f"nodes[{node}].inputs[{j}]",
                   "tensor contains NaN or infinite values", value=name)


@pytest.mark.parametrize("arr, dtype", [
    (np.full((3, 8), "w"), "<U1"), (np.ones((3, 8), dtype=bool), "bool"), (np.ones((3, 8), dtype=complex), "complex128"),
])
def test_non_numeric_weight_tensor(tiny_workload, expect_problem, arr, dtype):
    tiny_workload.tensors["fc.weight"] = arr
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[4].inputs[1]",
                   f"tensor must be numeric, got dtype {dtype}", value="fc.weight")


# --------------------------------------------------------------------------
# tensor files: where they are and what they hold


@pytest.mark.parametrize("key", ["tensors", "samples"])
def test_tensor_path_escaping_the_folder(tiny_workload, expect_problem, key):
    tiny_workload.doc[key] = "../x.npz"
    (tiny_workload.folder.parent / "x.npz").write_bytes((tiny_workload.folder / f"{key}.npz").read_bytes())
    expect_problem(load_error(tiny_workload), tiny_workload.path, key, "must stay inside the workload's folder",
                   value="../x.npz")


@pytest.mark.parametrize("key", ["tensors", "samples"])
def test_absolute_tensor_path(tiny_workload, expect_problem, key):
    tiny_workload.write()
    absolute = str((tiny_workload.folder / f"{key}.npz").resolve())  # exists, and is even inside the folder
    tiny_workload.doc[key] = absolute
    expect_problem(load_error(tiny_workload), tiny_workload.path, key, "must be a path relative to the workload's folder",
                   value=absolute)


def test_tensor_path_in_a_subfolder_is_fine(tiny_workload):
    tiny_workload.write()
    (tiny_workload.folder / "data").mkdir()
    (tiny_workload.folder / "tensors.npz").rename(tiny_workload.folder / "data" / "weights.npz")
    tiny_workload.doc["tensors"] = "data/../data/weights.npz"
    tiny_workload.path.write_text(json.dumps(tiny_workload.doc), encoding="utf-8")
    assert "fc.weight" in load_workload(tiny_workload.path).tensors


def test_tensor_file_not_found(tiny_workload, expect_problem):
    tiny_workload.doc["tensors"] = "weights.npz"
    expect_problem(load_error(tiny_workload), tiny_workload.path, "tensors", "tensor file not found", value="weights.npz")


def test_pickled_npz_is_refused(tiny_workload, expect_problem):
    tiny_workload.write()
    np.savez(tiny_workload.folder / "tensors.npz", **tiny_workload.tensors,
             meta=np.array([{"evil": True}], dtype=object))  # savez pickles object arrays
    with pytest.raises(InputError) as err:
        load_workload(tiny_workload.path)
    expect_problem(err.value, tiny_workload.path, "tensors", "contains pickled (object) arrays, which are not allowed")


@pytest.mark.parametrize("content", ["garbage", "truncated", "empty", "npy"])
def test_corrupt_npz(tiny_workload, expect_problem, content):
    tiny_workload.write()
    npz = tiny_workload.folder / "tensors.npz"
    good = npz.read_bytes()
    if content == "garbage":
        npz.write_bytes(b"this is not a zip file at all")
    elif content == "truncated":
        npz.write_bytes(good[: len(good) // 2])
    elif content == "empty":
        npz.write_bytes(b"")
    else:  # a single .npy under the .npz name
        with open(npz, "wb") as fh:
            np.save(fh, np.zeros(3))
    with pytest.raises(InputError) as err:
        load_workload(tiny_workload.path)
    prob = expect_problem(err.value, tiny_workload.path, "tensors", "not a valid .npz file", value="tensors.npz")
    assert "pickle" not in prob.message


def test_npz_with_a_damaged_member(tiny_workload, expect_problem):
    tiny_workload.write()
    npz = tiny_workload.folder / "tensors.npz"
    data = bytearray(npz.read_bytes())
    data[200:260] = bytes(b ^ 0xFF for b in data[200:260])  # inside the first member's data
    npz.write_bytes(bytes(data))
    with pytest.raises(InputError) as err:
        load_workload(tiny_workload.path)
    expect_problem(err.value, tiny_workload.path, "tensors", "not a valid .npz file")


def test_npz_with_a_member_that_is_not_an_array(tiny_workload, expect_problem):
    tiny_workload.write()
    with zipfile.ZipFile(tiny_workload.folder / "tensors.npz", "a") as z:
        z.writestr("notes.txt", b"hello")
    with pytest.raises(InputError) as err:
        load_workload(tiny_workload.path)
    expect_problem(err.value, tiny_workload.path, "tensors", "member 'notes.txt' is not a numpy array")


# --------------------------------------------------------------------------
# neuron parameters


@pytest.mark.parametrize("value", [0, 0.0, -1.0])
def test_threshold_not_positive(tiny_workload, expect_problem, value):
    tiny_workload.node("lif")["attrs"]["threshold"] = value
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[1].attrs.threshold", "LIF 'lif'",
                   "threshold must be > 0", value=float(value))


def test_threshold_tensor_with_a_zero(tiny_workload, expect_problem):
    tiny_workload.node("lif")["attrs"]["threshold"] = "lif.threshold"
    tiny_workload.tensors["lif.threshold"] = np.array([1.0, 0.0])
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[1].attrs.threshold", "threshold must be > 0",
                   value="lif.threshold")


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_leak_outside_unit_interval(tiny_workload, expect_problem, value):
    tiny_workload.node("lif")["attrs"]["leak"] = value
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[1].attrs.leak", "leak must be in [0, 1]",
                   value=value)


@pytest.mark.parametrize("leak", [0.0, 1.0])
def test_leak_at_the_bounds_is_fine(tiny_workload, leak):
    tiny_workload.node("lif")["attrs"]["leak"] = leak
    assert load_workload(tiny_workload.write()).node("lif").attrs.leak == leak


def test_per_channel_threshold_of_wrong_shape(tiny_workload, expect_problem):
    tiny_workload.node("lif")["attrs"]["threshold"] = "lif.threshold"
    tiny_workload.tensors["lif.threshold"] = np.ones(3)  # 2 channels
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[1].attrs.threshold",
                   "threshold tensor of shape [3] must be a scalar, per channel [2] or per neuron [2, 8]",
                   value="lif.threshold")


@pytest.mark.parametrize("shape", [(2,), (2, 8), (1,)])
def test_per_channel_and_per_neuron_thresholds_are_fine(tiny_workload, shape):
    tiny_workload.node("lif")["attrs"]["threshold"] = "lif.threshold"
    tiny_workload.tensors["lif.threshold"] = np.full(shape, 0.5)
    assert load_workload(tiny_workload.write()).tensors["lif.threshold"].shape == shape


def test_threshold_tensor_not_in_npz(tiny_workload, expect_problem):
    tiny_workload.node("lif")["attrs"]["threshold"] = "lif.threshold"
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[1].attrs.threshold",
                   "tensor not found in the .npz", value="lif.threshold")


def test_threshold_tensor_not_numeric(tiny_workload, expect_problem):
    tiny_workload.node("lif")["attrs"]["threshold"] = "lif.threshold"
    tiny_workload.tensors["lif.threshold"] = np.array(["a", "b"])
    expect_problem(load_error(tiny_workload), tiny_workload.path, "nodes[1].attrs.threshold",
                   "threshold tensor must be numeric", value="lif.threshold")


# --------------------------------------------------------------------------
# samples (the workload's own) and --inputs


def test_samples_x_of_wrong_shape(tiny_workload, expect_problem):
    tiny_workload.samples["x"] = np.zeros((4, 1, 9))
    expect_problem(load_error(tiny_workload), tiny_workload.path, "samples.x", "shape [4, 1, 9] must be [N, 1, 8]")


def test_sequence_samples_need_a_time_axis(tiny_workload, expect_problem):
    tiny_workload.doc["inputs"][0]["encoding"] = "sequence"
    expect_problem(load_error(tiny_workload), tiny_workload.path, "samples.x",
                   f"shape [4, 1, 8] must be [N, T={TIMESTEPS}, 1, 8] for sequence input")


def test_direct_samples_may_be_given_per_step(tiny_workload):
    tiny_workload.samples["x"] = np.zeros((4, TIMESTEPS) + INPUT_SHAPE)
    assert load_workload(tiny_workload.write()).samples.x.shape == (4, TIMESTEPS, 1, 8)


def test_samples_without_x(tiny_workload, expect_problem):
    tiny_workload.samples = {"inputs": tiny_workload.samples["x"], "y": tiny_workload.samples["y"]}
    expect_problem(load_error(tiny_workload), tiny_workload.path, "samples.x",
                   "array 'x' missing; the file has: inputs, y")


def test_samples_with_nan(tiny_workload, expect_problem):
    tiny_workload.samples["x"] = np.full((4, 1, 8), np.nan)
    expect_problem(load_error(tiny_workload), tiny_workload.path, "samples.x", "contains NaN or infinite values")


@pytest.mark.parametrize("y", [[0, 1, 3, 0], [0, -1, 2, 0]])
def test_labels_out_of_range(tiny_workload, expect_problem, y):
    tiny_workload.samples["y"] = np.array(y)
    expect_problem(load_error(tiny_workload), tiny_workload.path, "samples.y",
                   "labels must be in [0, 2] (the readout has 3 classes)", value=[min(y), max(y)])


def test_non_integer_labels(tiny_workload, expect_problem):
    tiny_workload.samples["y"] = np.array([0.0, 1.0, 2.0, 0.5])
    expect_problem(load_error(tiny_workload), tiny_workload.path, "samples.y", "labels must be integers, got dtype float64")


def test_labels_of_wrong_length(tiny_workload, expect_problem):
    tiny_workload.samples["y"] = np.array([0, 1, 2])
    expect_problem(load_error(tiny_workload), tiny_workload.path, "samples.y", "shape [3] must be [N] = [4]")


def test_inputs_file_of_wrong_shape(workload_file, tmp_path, expect_problem):
    g = load_workload(workload_file)
    bad = tmp_path / "inputs.npz"
    np.savez(bad, x=np.zeros((2, 8)))
    with pytest.raises(InputError) as err:
        load_inputs(bad, g)
    expect_problem(err.value, bad, "x", "shape [2, 8] must be [N, 1, 8]")


def test_inputs_file_without_labels_is_fine(workload_file, tmp_path):
    good = tmp_path / "inputs.npz"
    np.savez(good, x=np.ones((3, 1, 8)))
    s = load_inputs(good, load_workload(workload_file))
    assert len(s) == 3 and s.y is None and s.source == str(good)


def test_inputs_file_missing(workload_file, tmp_path, expect_problem):
    missing = tmp_path / "nope.npz"
    with pytest.raises(InputError) as err:
        load_inputs(missing, load_workload(workload_file))
    expect_problem(err.value, missing, "", "file not found")


def test_inputs_file_that_is_not_npz(workload_file, tmp_path, expect_problem):
    bad = tmp_path / "inputs.npz"
    bad.write_text("x = 1, 2, 3\n")
    with pytest.raises(InputError) as err:
        load_inputs(bad, load_workload(workload_file))
    expect_problem(err.value, bad, "", "not a valid .npz file")


# --------------------------------------------------------------------------
# workload.* overrides


def test_timesteps_override(workload_file):
    assert load_workload(workload_file, [("workload.timesteps", 5)]).timesteps == 5


def test_override_of_an_unsupported_key(workload_file, expect_problem):
    with pytest.raises(InputError) as err:
        load_workload(workload_file, [("workload.nodes", [])])
    expect_problem(err.value, workload_file, "workload.nodes", "only workload.timesteps, workload.name")


def test_override_is_validated(workload_file, expect_problem):
    with pytest.raises(InputError) as err:
        load_workload(workload_file, [("workload.timesteps", 0)])
    expect_problem(err.value, workload_file, "timesteps", "must be greater than or equal to 1", value=0)


# --------------------------------------------------------------------------
# all problems at once


def test_several_problems_reported_at_once(tiny_workload):
    tiny_workload.node("conv")["attrs"]["padz"] = 1
    tiny_workload.node("pool")["name"] = "lif"
    tiny_workload.node("flat")["op"] = "Flat"
    tiny_workload.doc["readout"]["output"] = "logits"
    err = load_error(tiny_workload)
    assert [p.path for p in err.problems] == ["nodes[0].attrs.padz", "nodes[2].name", "nodes[3].op", "readout.output"]
    assert all(p.file == str(tiny_workload.path) for p in err.problems)
    assert err.format().startswith("error: 4 problems:\n  - ")


def test_shape_problems_in_independent_nodes_reported_together(tiny_workload):
    tiny_workload.node("conv")["attrs"]["strides"] = [0]
    tiny_workload.tensors["fc.weight"] = np.zeros((3, 9))
    err = load_error(tiny_workload)
    # fc's input shape is unknown once conv failed: only conv is reported, no follow-on noise
    assert [p.path for p in err.problems] == ["nodes[0].attrs.strides"]


# --------------------------------------------------------------------------
# any attribute value: a Graph or an InputError, never another exception

_ATTR_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 20), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6), st.lists(st.integers(-3, 12), max_size=4), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_ATTR_KEYS = {CONV: ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad", "bogus"],
              LIF: ["threshold", "leak", "reset", "v_reset", "v_init"],
              POOL: ["kernel_shape", "strides", "pads", "ceil_mode", "count_include_pad"],
              FLAT: ["axis"], FC: ["alpha", "beta", "transA", "transB"]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_attribute_gives_graph_or_input_error(tiny_workload, data):
    node = data.draw(st.sampled_from(sorted(_ATTR_KEYS)))
    key = data.draw(st.sampled_from(_ATTR_KEYS[node]))
    value = data.draw(_ATTR_VALUES)
    doc = json.loads(json.dumps(tiny_workload.doc))
    doc["nodes"][node]["attrs"][key] = value
    tiny_workload.path.write_text(json.dumps(doc), encoding="utf-8")
    try:
        load_workload(tiny_workload.path)
    except InputError as exc:
        assert exc.problems and all(p.file == str(tiny_workload.path) for p in exc.problems)
        assert all(p.path.startswith("nodes[") for p in exc.problems), exc.format()
