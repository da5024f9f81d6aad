"""Export a ReLU MLP (e.g. scikit-learn's ``MLPClassifier``) to ONNX with ``onnx.helper``.

Used by the digits example (``scripts/digits_balance_table.py``) and the tests: the
exported model is ``Flatten -> (MatMul -> Add -> Relu)* -> MatMul -> Add`` (the
pattern PyTorch's ``nn.Linear`` exports to when traced with a 3-D input, and the
one :mod:`accelsim.convert.onnx_graph` folds into Gemm nodes), or the same with
``Gemm`` nodes.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from accelsim.convert.onnx_graph import require_onnx


def mlp_to_onnx(coefs: Sequence[np.ndarray], intercepts: Sequence[np.ndarray], input_shape: Sequence[int],
                style: str = "matmul", opset: int = 17):
    """``coefs[i]`` is [in, out] (scikit-learn's layout); returns an ``onnx.ModelProto``.

    The input is ``x`` [batch, *input_shape] (batch symbolic), the output ``logits`` [batch, classes].
    """
    onnx = require_onnx()
    from onnx import TensorProto, helper, numpy_helper

    if style not in ("matmul", "gemm"):
        raise ValueError("style must be 'matmul' or 'gemm'")
    nodes = [helper.make_node("Flatten", ["x"], ["h0"], name="flatten", axis=1)]
    inits = []
    h = "h0"
    n = len(coefs)
    for i, (w, b) in enumerate(zip(coefs, intercepts), 1):
        w = np.asarray(w, dtype=np.float32)
        b = np.asarray(b, dtype=np.float32)
        last = i == n
        z = "logits" if last else f"z{i}"
        if style == "gemm":
            inits += [numpy_helper.from_array(np.ascontiguousarray(w.T), f"fc{i}.weight"),
                      numpy_helper.from_array(b, f"fc{i}.bias")]
            nodes.append(helper.make_node("Gemm", [h, f"fc{i}.weight", f"fc{i}.bias"], [z], name=f"fc{i}", transB=1))
        else:
            inits += [numpy_helper.from_array(w, f"fc{i}.weight"), numpy_helper.from_array(b, f"fc{i}.bias")]
            nodes.append(helper.make_node("MatMul", [h, f"fc{i}.weight"], [f"mm{i}"], name=f"fc{i}/MatMul"))
            nodes.append(helper.make_node("Add", [f"mm{i}", f"fc{i}.bias"], [z], name=f"fc{i}/Add"))
        if not last:
            nodes.append(helper.make_node("Relu", [z], [f"a{i}"], name=f"relu{i}"))
            h = f"a{i}"
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", *map(int, input_shape)])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", int(np.shape(intercepts[-1])[0])])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="accelsim")
    onnx.checker.check_model(model)
    return model


def mlp_from_workload(graph) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The ANN weights of a converted MLP workload (Flatten -> (Gemm -> IF)* -> Gemm), e.g. the
    shipped ``workloads/digits``: weights as stored, biases multiplied back by the activation
    scale of the neuron node before them (``metadata.activation_scale``, written by
    ``scripts/make_digits.py``; balancing divided them by it). Returns (coefs [in, out], intercepts)."""
    scale = graph.spec.metadata.get("activation_scale", {})
    coefs, intercepts = [], []
    prev = None
    for node in graph.nodes:
        if node.op == "Gemm":
            w = graph.tensors[node.inputs[1]]
            coefs.append(np.asarray(w.T if node.attrs.transB else w, dtype=np.float64))
            b = graph.tensors[node.inputs[2]] if len(node.inputs) > 2 else np.zeros(coefs[-1].shape[1])
            intercepts.append(np.asarray(b, dtype=np.float64) * (scale.get(prev, 1.0) if prev else 1.0))
        elif node.kind == "neuron":
            prev = node.name
    return coefs, intercepts
