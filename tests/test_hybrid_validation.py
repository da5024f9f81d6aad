"""Bad hybrid workloads: one clear problem each (file, dotted path, value, what is allowed)."""
from __future__ import annotations

import json

import pytest

from accelsim.errors import InputError
from accelsim.workload.loader import load_workload

from hybrid_cases import workload


def _edit(tmp_path, fn):
    path = workload(tmp_path)
    wl = json.loads(path.read_text())
    fn(wl)
    path.write_text(json.dumps(wl))
    return path


def _load_error(path, sets=()):
    with pytest.raises(InputError) as err:
        load_workload(path, sets)
    return err.value


def test_k_below_one(tmp_path, expect_problem):
    path = _edit(tmp_path, lambda wl: wl["ann"].update(every=0))
    expect_problem(_load_error(path), path, "ann.every", "greater than or equal to 1")


def test_binding_shape_mismatch(tmp_path, expect_problem):
    def fn(wl):
        wl["ann"]["bindings"][0]["neuron"] = "out"   # 2 neurons, the value has 3 elements
    path = _edit(tmp_path, fn)
    expect_problem(_load_error(path), path, "ann.bindings[0].value", "shape mismatch", "[3]", "out has [2]",
                   value="v1_init")


def test_unknown_neuron(tmp_path, expect_problem):
    path = _edit(tmp_path, lambda wl: wl["ann"]["bindings"][0].update(neuron="lif9"))
    expect_problem(_load_error(path), path, "ann.bindings[0].neuron", "not an SNN neuron node", "lif1, out",
                   value="lif9")


def test_unknown_state(tmp_path, expect_problem):
    path = _edit(tmp_path, lambda wl: wl["ann"]["bindings"][0].update(state="i"))
    expect_problem(_load_error(path), path, "ann.bindings[0].state", "LIF has no state 'i'", "its states: v",
                   value="i")


def test_unknown_value(tmp_path, expect_problem):
    path = _edit(tmp_path, lambda wl: wl["ann"]["bindings"][0].update(value="nope"))
    expect_problem(_load_error(path), path, "ann.bindings[0].value", "not the output of an ann.nodes node",
                   value="nope")


def test_state_bound_twice(tmp_path, expect_problem):
    path = _edit(tmp_path, lambda wl: wl["ann"]["bindings"].append(dict(wl["ann"]["bindings"][0])))
    expect_problem(_load_error(path), path, "ann.bindings[1]", "already bound by ann.bindings[0]")


def test_neuron_node_in_ann(tmp_path, expect_problem):
    def fn(wl):
        wl["ann"]["nodes"].append({"name": "alif", "op": "LIF", "inputs": ["v1_init"], "outputs": ["z"]})
    path = _edit(tmp_path, fn)
    expect_problem(_load_error(path), path, "ann.nodes[1].op", "stateless", value="LIF")


def test_ann_node_errors_are_prefixed(tmp_path, expect_problem):
    path = _edit(tmp_path, lambda wl: wl["ann"]["nodes"][0].update(inputs=["x", "Missing"]))
    expect_problem(_load_error(path), path, "ann.nodes[0].inputs[1]", "not a graph input", value="Missing")


def test_name_clash_with_snn(tmp_path, expect_problem):
    path = _edit(tmp_path, lambda wl: wl["ann"]["nodes"][0].update(outputs=["s1"]))
    err = _load_error(path)
    expect_problem(err, path, "ann.nodes[0].outputs[0]", "names must be unique", value="s1", only=False)


def test_unknown_initialiser(tmp_path, expect_problem):
    path = _edit(tmp_path, lambda wl: wl["ann"].update(initialisers=["nope"]))
    expect_problem(_load_error(path), path, "ann.initialisers[0]", "not the name of an ann.nodes node", value="nope")


def test_set_ann_every(tmp_path, expect_problem):
    path = workload(tmp_path)
    assert load_workload(path, [("workload.ann_every", 2)]).ann.every == 2
    expect_problem(_load_error(path, [("workload.ann_every", 0)]), path, "ann.every", "greater than or equal to 1")
    plain = _edit(tmp_path / "p", lambda wl: wl.pop("ann"))
    expect_problem(_load_error(plain, [("workload.ann_every", 2)]), plain, "workload.ann_every", "no ANN part",
                   value=2)


def test_step_s(tmp_path, expect_problem):
    path = workload(tmp_path)
    assert load_workload(path, [("workload.step_s", 0.01)]).step_s == 0.01
    expect_problem(_load_error(path, [("workload.step_s", -1)]), path, "step_s", "greater than 0")
