"""Read an ONNX model into an accelsim ANN graph (step 1 of ``accelsim convert``).

The result is a :class:`~accelsim.workload.builder.WorkloadBuilder` holding the
same network in the workload format, activations kept as ``Relu``/``Clip``
nodes, so it runs in accelsim's engine and can be compared with
``onnx.reference.ReferenceEvaluator``. :mod:`accelsim.convert.onnx_import` then
turns it into an SNN.

What happens to each ONNX operator:

* ``Conv`` (1-D/2-D/3-D), ``Gemm``, ``MatMul`` (constant right operand, written
  as a Gemm), ``AveragePool``, ``MaxPool``, ``Flatten``, ``Add``: kept;
* ``GlobalAveragePool``, ``ReduceMean`` over all spatial axes: an ``AveragePool``
  over the whole spatial extent;
* ``Relu``, ``Clip`` (lower bound 0, constant upper bound): kept as activations;
* ``BatchNormalization``: folded into the Conv/Gemm before it
  (W' = W * g / sqrt(var + eps) per output channel, b' = (b - mean) * g / sqrt(var + eps) + beta);
* ``Add`` of a constant right after a Conv/Gemm (``MatMul`` + ``Add``): folded into its bias;
* ``Dropout``, ``Identity``: dropped (inference);
* ``Reshape``: its target shape must be constant (``allowzero = 1`` is accepted
  when the target has no zeros: it changes nothing then); PyTorch's
  ``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` chain is folded, with
  ``Constant``, ``Shape``, ``Gather``, ``Unsqueeze``, ``Squeeze``, ``Concat``,
  ``Cast`` and ``Slice`` evaluated on constants (the batch dimension reads as 1);
* anything else: an :class:`InputError` naming the node and its op.

Reading and validation live here, :mod:`accelsim.convert.onnx_reader` holds the
reader's state, :mod:`accelsim.convert.onnx_folding` the folded operators and
:mod:`accelsim.convert.onnx_layers` the translated ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from accelsim.convert.onnx_folding import ConstantFolding
from accelsim.convert.onnx_layers import LayerTranslation
from accelsim.convert.onnx_reader import GraphValue, ReaderBase
from accelsim.errors import fail
from accelsim.workload.builder import WorkloadBuilder

SUPPORTED = ("Conv", "Gemm", "MatMul", "Add", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
             "ReduceMean", "Flatten", "Reshape", "BatchNormalization", "Dropout", "Identity")
FOLDED = ("Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice")


def require_onnx():
    """The ``onnx`` module, or an InputError saying how to install it."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise fail("onnx", "", "the 'onnx' package is needed to read ONNX models: pip install 'accelsim[onnx]'") from None
    return onnx


@dataclass
class AnnGraph:
    """An ONNX model read into the workload format (activations still ANN ``Relu``/``Clip``)."""

    builder: WorkloadBuilder
    input_shape: tuple[int, ...]
    output: str
    source: str
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)


class _Reader(ConstantFolding, LayerTranslation, ReaderBase):
    """Reads one ONNX graph in topological order; ``op_<type>`` handlers come from the mixins."""

    def input_spec(self) -> tuple[str, tuple[int, ...]]:
        data = [i for i in self.g.input if i.name not in self.consts]
        if len(data) != 1:
            raise fail(self.file, "graph.input", f"expected exactly one data input (not an initializer), found {len(data)}",
                       [i.name for i in data])
        inp = data[0]
        tt = inp.type.tensor_type
        if not tt.HasField("shape"):
            raise fail(self.file, f"graph.input ({inp.name})", "the input has no shape; export with a fixed input shape")
        dims = list(tt.shape.dim)
        if len(dims) < 2:
            raise fail(self.file, f"graph.input ({inp.name})", "the input must be [batch, *features]", len(dims))
        shape = []
        for k, d in enumerate(dims[1:], 1):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(int(d.dim_value))
            else:
                raise fail(self.file, f"graph.input ({inp.name}).shape[{k}]",
                           "dynamic shapes are not supported: every dimension but the batch must be a fixed number; "
                           "export with a fixed input shape", d.dim_param or "?")
        return inp.name, tuple(shape)

    def order(self) -> list[int]:
        """Topological order of the ONNX nodes; a cycle is an error naming its nodes."""
        nodes = list(self.g.node)
        producer = {o: i for i, nd in enumerate(nodes) for o in nd.output if o}
        deps = [{producer[x] for x in nd.input if x in producer} for nd in nodes]
        placed: set[int] = set()
        done: list[int] = []
        remaining = list(range(len(nodes)))
        while remaining:
            ready = [i for i in remaining if deps[i] <= placed]
            if not ready:
                cyc = set(remaining)
                while True:  # drop nodes merely downstream of the cycle (nothing in it depends on them)
                    sinks = {i for i in cyc if not any(i in deps[j] for j in cyc)}
                    if not sinks:
                        break
                    cyc -= sinks
                names = ", ".join(f"{nodes[i].name or '<unnamed>'} ({nodes[i].op_type})" for i in sorted(cyc))
                raise fail(self.file, "graph.node", f"the graph has a cycle through: {names}")
            for i in ready:
                done.append(i)
                placed.add(i)
                remaining.remove(i)
        return done

    def read(self) -> AnnGraph:
        in_name, in_shape = self.input_spec()
        self.b = WorkloadBuilder(self.model_name, input_shape=in_shape, timesteps=self.timesteps, input_name="input",
                                 description=f"converted from {Path(self.file).name}")
        self.names.add("input")
        self.shapes["input"] = in_shape
        self.env.update(self.consts)
        self.env[in_name] = GraphValue("input", in_shape)
        for idx in self.order():
            nd = self.g.node[idx]
            for j, i in enumerate(nd.input):
                if i and i not in self.env:
                    raise self.bad(nd, idx, f"input {j} ({i!r}) is not produced by any node, not a graph input and not "
                                            "an initializer (missing initializer?)", i)
            handler = getattr(self, f"op_{nd.op_type}", None)
            if nd.domain not in ("", "ai.onnx") or handler is None:
                raise self.bad(nd, idx, f"unsupported operator {nd.op_type!r}"
                                        f"{' (domain ' + nd.domain + ')' if nd.domain else ''}; supported: "
                                        f"{', '.join(SUPPORTED)} (and constant {', '.join(FOLDED)})", nd.op_type)
            handler(nd, idx)
        outs = [o.name for o in self.g.output]
        res = self.env.get(outs[0]) if outs else None
        if not isinstance(res, GraphValue):
            raise fail(self.file, "graph.output", "the first graph output must be computed from the input", outs)
        self.b.readout(res.name, mode="membrane")
        return AnnGraph(self.b, in_shape, res.name, self.file, dict(self.shapes))


def load_onnx_model(path: str | Path):
    """Parse an ``.onnx`` file (with a clear error if it is missing or not ONNX)."""
    onnx = require_onnx()
    path = Path(path)
    if not path.is_file():
        raise fail(str(path), "", "file not found")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf DecodeError and friends
        raise fail(str(path), "", f"not a valid ONNX model: {exc}") from None
    _load_external_data(model, path)
    return model


def _load_external_data(model, path: Path) -> None:
    """Weights stored beside the model (torch's dynamo exporter writes ``MODEL.onnx.data``), read in place."""
    from onnx.external_data_helper import ExternalDataInfo, load_external_data_for_model, uses_external_data

    tensors = list(model.graph.initializer) + [a.t for nd in model.graph.node for a in nd.attribute if a.HasField("t")]
    files = sorted({ExternalDataInfo(t).location for t in tensors if uses_external_data(t)})
    missing = [f for f in files if not (path.parent / f).is_file()]
    if missing:
        raise fail(str(path), "", "the weights are stored in external data file(s) that must be next to the model "
                                  "(torch's dynamo exporter writes MODEL.onnx.data): not found", missing)
    try:
        load_external_data_for_model(model, str(path.parent))
    except Exception as exc:  # a truncated or mismatched data file
        raise fail(str(path), "", f"cannot read the external weights ({', '.join(files)}): {exc}") from None


def read_onnx(model, file: str = "<onnx>", name: str = "model", timesteps: int = 1) -> AnnGraph:
    """Read an ``onnx.ModelProto`` (or a path) into an :class:`AnnGraph`."""
    require_onnx()
    if isinstance(model, (str, Path)):
        file = str(model)
        model = load_onnx_model(model)
    return _Reader(model, file, name, timesteps).read()
