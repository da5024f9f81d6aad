"""Load → validate → build for workloads (``workload.json`` + tensors ``.npz``).

All problems of a file are gathered and raised together as one
:class:`accelsim.errors.InputError`: structure (JSON Schema), names, operator
attributes, tensors and every shape through the graph, then the samples.
Tensor files are loaded with ``allow_pickle=False`` and must lie inside the
workload's folder.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from dataclasses import replace

import numpy as np
import pydantic

from accelsim.util import reader
from accelsim.util.pydantic_errors import problems_from
from accelsim.util.suggest import did_you_mean
from accelsim.errors import InputError, ProblemList, fail
from accelsim.workload.ann import build_ann
from accelsim.workload.graph import Graph, Node, Samples
from accelsim.workload.ops import OPS
from accelsim.workload.spec import WorkloadSpec
from accelsim.workload.cycles import CycleError, delayed_edges
from accelsim.workload.shapes import param_refs, infer_shapes


def read_json(path: Path) -> Any:
    """The workload JSON through the bounded reader (:mod:`accelsim.util.reader`)."""
    return reader.read_json(path, "workload file (JSON)")


def confined_path(folder: Path, rel: str, file: str, path: str) -> Path:
    """``folder / rel``, refusing absolute paths and anything outside ``folder``."""
    candidate = Path(rel)
    if candidate.is_absolute():
        raise fail(file, path, "must be a path relative to the workload's folder", rel)
    full = (folder / candidate).resolve()
    root = folder.resolve()
    if full != root and root not in full.parents:
        raise fail(file, path, "must stay inside the workload's folder", rel)
    return full


def load_npz(full: Path, file: str, path: str, rel: str, names: Optional[Iterable[str]] = None) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (only ``names`` when given), read lazily and checked by the bounded
    reader (no pickle, header and size checked before inflating)."""
    if full.is_dir():
        raise fail(file, path, "is a folder; expected a tensor file (.npz)", rel)
    return reader.read_npz(full, file, path, rel, names)


def load_sample_arrays(full: Path, file: str, path: str, rel: str) -> dict[str, np.ndarray]:
    """``x`` and ``y`` of a samples ``.npz`` (other members are never inflated)."""
    if full.is_dir():
        raise fail(file, path, "is a folder; expected a samples file (.npz) with x [N, *input] and y [N]", rel)
    with reader.NpzArchive(full, file, path, rel) as npz:
        npz.check_all()
        if "x" not in npz.names:
            raise fail(file, f"{path}.x" if path else "x",
                       f"array 'x' missing; the file has: {', '.join(sorted(npz.names)) or 'nothing'}")
        return {n: npz.array(n) for n in ("x", "y") if n in npz.names}


def referenced_names(spec: WorkloadSpec) -> set[str]:
    """Every name the workload could mean as a tensor: node inputs and outputs (also of the ANN
    part), string attributes (neuron parameters given by tensor name), the graph input."""
    names = {spec.inputs[0].name}
    ann = getattr(spec, "ann", None)   # a hybrid's ANN part names its tensors the same way
    for nd in list(spec.nodes) + (list(ann.nodes) if ann is not None else []):
        names.update(nd.inputs)
        names.update(nd.outputs)
        stack = list(nd.attrs.values())
        while stack:   # names may sit in lists (e.g. one tensor per phase)
            v = stack.pop()
            if isinstance(v, str):
                names.add(v)
            elif isinstance(v, (list, tuple)):
                stack.extend(v)
            elif isinstance(v, dict):
                stack.extend(v.values())
    return names


def load_workload(path: str | Path, sets: Iterable[tuple[str, Any]] = ()) -> Graph:
    """Load and validate a workload; ``sets`` are ``("workload.<key>", value)`` overrides
    (e.g. ``workload.timesteps``) applied before validation."""
    path = Path(path)
    file = str(path)
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise fail(file, "", "expected a JSON object (the workload)", raw)
    for key, value in sets:
        raw = set_workload_key(raw, key, value, file)
    spec = _validate(raw, file)
    folder = path.parent
    full_tensors = confined_path(folder, spec.tensors, file, "tensors")
    tensors = load_npz(full_tensors, file, "tensors", spec.tensors, referenced_names(spec))

    def every_tensor() -> list[str]:   # for "did you mean": also the members no node references
        with reader.NpzArchive(full_tensors, file, "tensors", spec.tensors) as npz:
            return list(npz.names)

    graph = graph_from_doc(spec, tensors, file, every_tensor)
    samples = None
    if spec.samples is not None:
        full = confined_path(folder, spec.samples, file, "samples")
        samples = check_samples(load_sample_arrays(full, file, "samples", spec.samples), graph, file, "samples", labels_required=False)
        samples = Samples(samples.x, samples.y, str(folder / spec.samples))  # the report names the samples file
    return Graph(**{**graph.__dict__, "samples": samples})


def _validate(raw: Any, file: str) -> WorkloadSpec:
    try:
        return WorkloadSpec.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise InputError(problems_from(exc, WorkloadSpec, file)) from None


def graph_from_doc(doc: Any, tensors: dict[str, np.ndarray], file: str,
                   tensor_names: Optional[Callable[[], list[str]]] = None) -> Graph:
    """The validated graph of a workload document (a dict or a parsed :class:`WorkloadSpec`) and its
    tensors (floats as float64): nodes, the hybrid ANN part, the real-time step; no samples.
    ``tensor_names()``: every tensor the file holds (when ``tensors`` has only the referenced ones),
    asked only to suggest a name for a misspelt input."""
    spec = doc if isinstance(doc, WorkloadSpec) else _validate(doc, file)
    tensors = {k: (np.asarray(v).astype(np.float64) if np.asarray(v).dtype.kind == "f" else np.asarray(v))
               for k, v in tensors.items()}
    graph = build_graph(spec, tensors, file, tensor_names)
    if spec.ann is not None:
        graph = replace(graph, ann=build_ann(spec, graph, tensors, file))
    if spec.step_s is not None:
        graph = replace(graph, step_s=float(spec.step_s))
    return graph


SETTABLE = ("timesteps", "name", "description", "step_s", "ann_every")


def set_workload_key(raw: dict, key: str, value: Any, file: str) -> dict:
    """``raw`` with one ``workload.<key>`` override (``--set`` or a sweep's grid key) applied;
    ``workload.ann_every`` sets the hybrid ANN's ``ann.every`` (K)."""
    parts = key.split(".")[1:] if key.startswith("workload.") else key.split(".")
    if len(parts) != 1 or parts[0] not in SETTABLE:
        raise fail(file, key, f"only {', '.join('workload.' + k for k in SETTABLE)} can be set", value)
    if parts[0] == "ann_every":
        if not isinstance(raw.get("ann"), dict):
            raise fail(file, key, "the workload has no ANN part (ann), so its K cannot be set", value)
        return {**raw, "ann": {**raw["ann"], "every": value}}
    return {**raw, parts[0]: value}


def _check_nodes(spec: WorkloadSpec, tensors: dict[str, np.ndarray], file: str, pl: ProblemList) -> dict[int, Any]:
    """Unique names and outputs, known ops, valid attributes: each node's validated attributes."""
    inp = spec.inputs[0]
    seen_nodes: dict[str, int] = {}
    producers: dict[str, int] = {}
    attrs_of: dict[int, Any] = {}
    for i, nd in enumerate(spec.nodes):
        p = f"nodes[{i}]"
        if nd.name in seen_nodes:
            pl.add(f"{p}.name", f"duplicate node name (also nodes[{seen_nodes[nd.name]}])", nd.name)
        seen_nodes.setdefault(nd.name, i)
        out = nd.outputs[0]
        if out in producers or out == inp.name:
            pl.add(f"{p}.outputs[0]", "value is produced twice", out)
        elif out in tensors:
            pl.add(f"{p}.outputs[0]", "is also the name of a tensor in the .npz; names must be unique", out)
        producers.setdefault(out, i)
        op = OPS.get(nd.op)
        if op is None:
            pl.add(f"{p}.op", f"unknown operator; supported: {', '.join(sorted(OPS))}", nd.op)
            continue
        try:
            attrs_of[i] = op.Attrs.model_validate(nd.attrs)
        except pydantic.ValidationError as exc:
            pl.extend(problems_from(exc, op.Attrs, file, prefix=f"{p}.attrs"))
    return attrs_of


def _check_inputs(spec: WorkloadSpec, tensors: dict[str, np.ndarray], values: set[str], attrs_of: dict[int, Any],
                  pl: ProblemList, tensor_names: Callable[[], list[str]]) -> None:
    """Every input names a graph value or a tensor, as its role asks; neuron tensors exist; outputs exist."""
    for i, nd in enumerate(spec.nodes):
        op = OPS.get(nd.op)
        if op is None:
            continue
        p = f"nodes[{i}]"
        roles = op.roles
        variadic = roles[-1].endswith("*")
        required = sum(1 for r in roles if not r.endswith("?") and not r.endswith("*"))
        if len(nd.inputs) < max(required, 1) or (not variadic and len(nd.inputs) > len(roles)):
            allowed = f"{required}" + ("+" if variadic else f"..{len(roles)}" if len(roles) != required else "")
            pl.add(f"{p}.inputs", f"{nd.op} takes {allowed} inputs ({', '.join(roles)})", nd.inputs)
            continue
        for j, name in enumerate(nd.inputs):
            role = roles[min(j, len(roles) - 1)].rstrip("?*")
            is_val, is_ten = name in values, name in tensors
            if not is_val and not is_ten:
                pl.add(f"{p}.inputs[{j}]", f"not a graph input, a node output or a tensor in the .npz ({spec.tensors})"
                       + did_you_mean(name, [*sorted(values), *tensor_names()]), name)
            elif role == "value" and not is_val:
                pl.add(f"{p}.inputs[{j}]", f"{nd.op} input {j} must be a graph value, not a tensor", name)
            elif role == "tensor" and not is_ten:
                pl.add(f"{p}.inputs[{j}]", f"{nd.op} input {j} must be a tensor from the .npz (weights), not a graph value", name)
        if op.kind == "neuron" and i in attrs_of:
            for key in op.params:
                ref = getattr(attrs_of[i], key, None)
                for path, r in param_refs(f"{p}.attrs.{key}", ref):
                    if isinstance(r, str) and r not in tensors:
                        pl.add(path, "tensor not found in the .npz", r)
    for k, name in enumerate(spec.outputs):
        if name not in values:
            pl.add(f"outputs[{k}]", "not a graph value", name)
    if spec.readout.output not in values:
        pl.add("readout.output", "not a graph value", spec.readout.output)


def build_graph(spec: WorkloadSpec, tensors: dict[str, np.ndarray], file: str,
                tensor_names: Optional[Callable[[], list[str]]] = None) -> Graph:
    """Validate a parsed workload against its tensors and build the typed graph: every problem
    is gathered and raised at once (names, ops, attributes, inputs, cycles, shapes, readout)."""
    pl = ProblemList(file)
    inp = spec.inputs[0]
    if any(d < 1 for d in inp.shape):
        pl.add("inputs[0].shape", "every dimension must be a positive integer", inp.shape)
    if inp.name in tensors:
        pl.add("inputs[0].name", "is also the name of a tensor in the .npz; names must be unique", inp.name)
    attrs_of = _check_nodes(spec, tensors, file, pl)
    values = {inp.name} | {nd.outputs[0] for nd in spec.nodes}
    _check_inputs(spec, tensors, values, attrs_of, pl, tensor_names or (lambda: list(tensors)))
    pl.raise_if_any()

    delayed = recurrent_inputs(spec, inp.name, file)
    order = topo_order(spec, inp.name, file, delayed)
    shapes, nodes = infer_shapes(spec, order, tensors, values, attrs_of, pl, delayed)
    pl.raise_if_any()

    if spec.readout.mode == "spike_count":
        prod = next((n for n in nodes if n.output == spec.readout.output), None)
        if prod is None or prod.kind != "neuron":
            pl.add("readout.mode", "spike_count needs readout.output to be the output of a neuron node", spec.readout.mode)
    pl.raise_if_any()
    consumers: dict[str, list[Node]] = {}
    for n in nodes:
        for v in n.inputs:
            if v in shapes:
                consumers.setdefault(v, []).append(n)
    return Graph(
        name=spec.name, source=file, timesteps=spec.timesteps, input=inp, nodes=tuple(nodes),
        outputs=tuple(spec.outputs), readout=spec.readout, tensors=tensors, shapes=shapes, samples=None,
        weight_bits=spec.weight_bits, spec=spec, _consumers={k: tuple(v) for k, v in consumers.items()},
        delayed=frozenset((spec.nodes[i].name, j) for i, j in delayed),
    )


def recurrent_inputs(spec: WorkloadSpec, input_name: str, file: str) -> frozenset[tuple[int, int]]:
    """The (node index, input index) pairs that read the previous step's value: the edge of each
    cycle from a neuron node into a synaptic node, chosen by :func:`accelsim.workload.cycles.delayed_edges`.
    A cycle without a neuron (an algebraic loop) or without a neuron feeding a synaptic node is an
    error naming its nodes in order."""
    producer = {nd.outputs[0]: i for i, nd in enumerate(spec.nodes)}
    succ: dict[int, list[int]] = {i: [] for i in range(len(spec.nodes))}
    for i, nd in enumerate(spec.nodes):
        for x in nd.inputs:
            if x in producer and i not in succ[producer[x]]:
                succ[producer[x]].append(i)
    roots = [i for i, nd in enumerate(spec.nodes) if input_name in nd.inputs]
    kind = lambda i: OPS[spec.nodes[i].op].kind  # noqa: E731
    try:
        edges = delayed_edges(range(len(spec.nodes)), roots, succ, lambda i: kind(i) == "neuron",
                              lambda i: kind(i) == "synaptic")
    except CycleError as exc:
        raise fail(file, "nodes", exc.message(lambda i: spec.nodes[i].name)) from None
    return frozenset((d, j) for s, d in edges for j, x in enumerate(spec.nodes[d].inputs)
                     if x == spec.nodes[s].outputs[0])


def topo_order(spec: WorkloadSpec, input_name: str, file: str,
               delayed: frozenset[tuple[int, int]] = frozenset()) -> list[int]:
    """Kahn's algorithm on the graph without its ``delayed`` inputs, stable in file order. A node
    that reads a delayed value (a recurrent synapse: its one value input is the previous step's)
    depends on nothing within the step; it is placed just before the first node that reads it."""
    producer = {nd.outputs[0]: i for i, nd in enumerate(spec.nodes)}
    late = sorted({i for i, _ in delayed})
    deps = [{producer[x] for j, x in enumerate(nd.inputs) if x in producer and (i, j) not in delayed
             and producer[x] not in late} for i, nd in enumerate(spec.nodes)]
    done: list[int] = []
    placed: set[int] = set()
    remaining = [i for i in range(len(spec.nodes)) if i not in late]
    while remaining:
        ready = [i for i in remaining if deps[i] <= placed]
        if not ready:
            names = ", ".join(spec.nodes[i].name for i in remaining)
            raise fail(file, "nodes", f"the graph has a cycle through: {names}")
        done.append(ready[0])
        placed.add(ready[0])
        remaining.remove(ready[0])
    for i in late:
        out = spec.nodes[i].outputs[0]
        first = next((k for k, n in enumerate(done) if out in spec.nodes[n].inputs), len(done))
        done.insert(first, i)
    return done


def check_samples(data: dict[str, np.ndarray], graph: Graph, file: str, path: str,
                  labels_required: bool = False) -> Samples:
    """Samples/inputs ``.npz``: ``x`` [N, *input] or [N, T, *input], optional ``y`` [N]."""
    pl = ProblemList(file)
    path = f"{path}." if path else ""
    if "x" not in data:
        raise fail(file, f"{path}x", f"array 'x' missing; the file has: {', '.join(sorted(data)) or 'nothing'}")
    x = data["x"]
    if x.ndim == 0:
        raise fail(file, f"{path}x", f"must be an array [N, ...] of samples, got a 0-d value of dtype {x.dtype}")
    shp = tuple(graph.input.shape)
    T = graph.timesteps
    if x.dtype.kind not in "fiub":
        pl.add(f"{path}x", f"must be numeric, got dtype {x.dtype}")
    elif graph.input.encoding == "direct":
        if tuple(x.shape[1:]) == (T,) + shp and x.ndim == len(shp) + 2:
            pass  # a per-step sequence is also accepted for direct-encoded inputs
        elif tuple(x.shape[1:]) != shp:
            pl.add(f"{path}x", f"shape {list(x.shape)} must be [N, {', '.join(map(str, shp))}] (or [N, T={T}, ...])")
    else:
        if tuple(x.shape[1:]) != (T,) + shp:
            pl.add(f"{path}x", f"shape {list(x.shape)} must be [N, T={T}, {', '.join(map(str, shp))}] for sequence input")
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        pl.add(f"{path}x", "contains NaN or infinite values")
    if x.ndim == 0 or x.shape[0] < 1:
        pl.add(f"{path}x", "needs at least one sample")
    y = data.get("y")
    if y is None and labels_required:
        pl.add(f"{path}y", "labels missing")
    if y is not None:
        ncls = graph.num_classes
        if y.dtype.kind not in "iu":
            pl.add(f"{path}y", f"labels must be integers, got dtype {y.dtype}")
        elif y.shape != (x.shape[0],):
            pl.add(f"{path}y", f"shape {list(y.shape)} must be [N] = [{x.shape[0]}]")
        elif y.size and (y.min() < 0 or y.max() >= ncls):
            pl.add(f"{path}y", f"labels must be in [0, {ncls - 1}] (the readout has {ncls} classes)",
                   [int(y.min()), int(y.max())])
    pl.raise_if_any()
    return Samples(np.asarray(x, dtype=np.float64), None if y is None else y.astype(np.int64), file)


def load_inputs(path: str | Path, graph: Graph) -> Samples:
    """``--inputs FILE.npz``: replaces the workload's own samples."""
    path = Path(path)
    file = str(path)
    if path.is_dir():
        raise fail(file, "", "is a folder; --inputs takes a .npz file with x [N, *input] (and y [N])")
    return check_samples(load_sample_arrays(path, file, "", file), graph, file, "")
