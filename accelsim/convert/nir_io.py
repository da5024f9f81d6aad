"""NIR (Neuromorphic Intermediate Representation) import and export.

``accelsim import GRAPH.nir -o DIR --dt DT`` reads a NIR graph (PyPI ``nir``)
into a workload; ``accelsim export WORKLOAD -o GRAPH.nir`` writes one back.

NIR neurons are continuous-time ODEs; accelsim runs discrete time steps of
length ``dt`` (an explicit option: NIR does not store it). With the input
current I[t] summed over the node's incoming edges at step t:

=========  ==============================  ======================================
NIR node   accelsim node                   per step
=========  ==============================  ======================================
LIF        CubaLIF (syn_leak 0, w_in 1)    v = a v + g I + c; spike v > v_th;
                                           v = v_reset after a spike
IF         CubaLIF (a = 1, c = 0)          v = v + dt R I
LI         LI                              v = a v + g I + c   (output: v)
I          LI (a = 1, c = 0)               v = v + dt R I
CubaLIF    CubaLIF                         i = a_s i + w I;  v = a v + g i + c
Threshold  CubaLIF (a = 0, g = 1)          s = I > threshold
=========  ==============================  ======================================

with, for tau dv/dt = (v_leak - v) + R I and tau_syn di/dt = -i + w_in S,

* forward Euler (default, what snnTorch and Norse step):
  a = 1 - dt/tau, g = dt R / tau, c = dt v_leak / tau;
  a_s = 1 - dt/tau_syn, w = dt w_in / tau_syn;
* exact (``--discretisation exact``; the input held constant over the step):
  a = exp(-dt/tau), g = (1 - a) R, c = (1 - a) v_leak;
  a_s = exp(-dt/tau_syn), w = (1 - a_s) w_in.

The synaptic current is updated first and drives the membrane in the same step
(snnTorch's ``Synaptic``). Forward Euler needs dt <= tau (a >= 0).

Other nodes: Affine -> Gemm (bias), Linear -> Gemm, Scale -> Mul, Conv1d/Conv2d
-> Conv, AvgPool2d -> AveragePool (padding counted, as in PyTorch), SumPool2d ->
AveragePool * kernel size, Flatten -> Flatten/Reshape; Input/Output of nested
subgraphs are pass-throughs; several edges into a node are summed (Add). Every
node of the graph runs once per step in topological order, so a spike crosses
any number of layers within its step (as in the frameworks' sequential
modules). Recurrent edges (cycles) are rejected: the engine is feed-forward.

Export inverts these formulas. NIR cannot say "reset by subtraction" nor
"fire at v >= threshold" (accelsim's ``LIF``/``IF``): the threshold is written
as the next float below (v > thr' is v >= thr exactly) and accelsim's own
parameters go into each node's ``metadata`` (``accelsim_*`` keys), from which
``accelsim import`` restores the original node exactly; other tools see a
reset to ``v_reset`` (the export command warns when that changes the network).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from accelsim.errors import fail
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Graph
from accelsim.workload.ops import OPS, ShapeError

SUPPORTED = ("Input", "Output", "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten",
             "IF", "LIF", "LI", "I", "CubaLIF", "Threshold", "NIRGraph")
SPIKING = ("CubaLIF", "LIF", "IF")


def require_nir():
    try:
        import nir  # noqa: F401
    except ImportError:
        raise fail("nir", "", "the 'nir' package is needed for NIR graphs: pip install 'accelsim[nir]'") from None
    return nir


@dataclass(frozen=True)
class NirOptions:
    dt: float
    discretisation: str = "euler"          # "euler" or "exact"
    timesteps: Optional[int] = None        # default: the graph's metadata (accelsim export), else required
    encoding: Optional[str] = None         # "sequence" (default) or "direct"
    name: Optional[str] = None


def _meta(node) -> dict[str, Any]:
    out = {}
    for k, v in (getattr(node, "metadata", None) or {}).items():
        if isinstance(v, bytes):
            v = v.decode("utf8")
        elif isinstance(v, np.ndarray) and v.ndim == 0:
            v = v.item()
            v = v.decode("utf8") if isinstance(v, bytes) else v
        out[str(k)] = v
    return out


# --------------------------------------------------------------------------
# import

class _Importer:
    def __init__(self, graph, opts: NirOptions, file: str):
        self.opts, self.file = opts, file
        self.nodes: dict[str, Any] = {}
        self.edges: list[tuple[str, str]] = []
        self._flatten(graph, "")
        self.top = set(graph.nodes)
        self.gmeta = _meta(graph)

    def bad(self, name: str, message: str, value: Any = ...):
        return fail(self.file, f"nodes.{name}", message) if value is ... else fail(self.file, f"nodes.{name}", message, value)

    def _flatten(self, graph, prefix: str) -> None:
        """Nested NIRGraph nodes are inlined: their Input/Output nodes become pass-throughs."""
        import nir

        for name, node in graph.nodes.items():
            full = prefix + name
            if isinstance(node, nir.NIRGraph):
                self._flatten(node, full + ".")
            else:
                self.nodes[full] = node
        for src, dst in graph.edges:
            s, d = prefix + src, prefix + dst
            if isinstance(graph.nodes.get(src), nir.NIRGraph):
                outs = [k for k, n in graph.nodes[src].nodes.items() if isinstance(n, nir.Output)]
                if len(outs) != 1:
                    raise fail(self.file, f"nodes.{s}", "a subgraph used as a node needs exactly one Output node", outs)
                s = f"{s}.{outs[0]}"
            if isinstance(graph.nodes.get(dst), nir.NIRGraph):
                ins = [k for k, n in graph.nodes[dst].nodes.items() if isinstance(n, nir.Input)]
                if len(ins) != 1:
                    raise fail(self.file, f"nodes.{d}", "a subgraph used as a node needs exactly one Input node", ins)
                d = f"{d}.{ins[0]}"
            self.edges.append((s, d))

    def order(self) -> list[str]:
        names = list(self.nodes)
        preds = {n: [s for s, d in self.edges if d == n] for n in names}
        for s, d in self.edges:
            for x in (s, d):
                if x not in self.nodes:
                    raise fail(self.file, "edges", f"edge ({s!r}, {d!r}) names a node that does not exist", x)
        done, placed, remaining = [], set(), list(names)
        while remaining:
            ready = [n for n in remaining if all(p in placed for p in preds[n])]
            if not ready:
                cyc = set(remaining)
                while True:
                    sinks = {n for n in cyc if not any(s == n and d in cyc for s, d in self.edges)}
                    if not sinks:
                        break
                    cyc -= sinks
                raise fail(self.file, "edges", "recurrent edges are not supported (the engine runs feed-forward "
                                               f"graphs): cycle through {', '.join(sorted(cyc))}")
            for n in ready:
                done.append(n)
                placed.add(n)
                remaining.remove(n)
        self.preds = preds
        return done

    def read(self) -> WorkloadBuilder:
        import nir

        order = self.order()
        inputs = [n for n in order if isinstance(self.nodes[n], nir.Input) and not self.preds[n]]
        if len(inputs) != 1:
            raise fail(self.file, "nodes", f"expected exactly one graph Input node, found {len(inputs)}", inputs)
        shape = tuple(int(d) for d in np.asarray(self.nodes[inputs[0]].input_type["input"]).reshape(-1))
        if not shape or any(d < 1 for d in shape):
            raise fail(self.file, f"nodes.{inputs[0]}", "the Input node needs a fixed positive shape", list(shape))
        T = self.opts.timesteps or self.gmeta.get("accelsim_timesteps")
        if T is None:
            raise fail("--timesteps", "", "the graph does not record a number of time steps; give --timesteps")
        enc = self.opts.encoding or self.gmeta.get("accelsim_encoding", "sequence")
        name = self.opts.name or self.gmeta.get("accelsim_name") or Path(self.file).stem
        self.b = WorkloadBuilder(name, input_shape=shape, timesteps=int(T), encoding=enc, input_name="input",
                                 description=f"imported from {Path(self.file).name} (NIR), dt = {self.opts.dt}, "
                                             f"{self.opts.discretisation} discretisation")
        self.shapes: dict[str, tuple[int, ...]] = {"input": shape}
        self.val: dict[str, str] = {inputs[0]: "input"}
        self.kind: dict[str, str] = {}
        outputs = []
        for n in order:
            if n == inputs[0]:
                continue
            node = self.nodes[n]
            if not self.preds[n]:
                raise self.bad(n, "has no incoming edge (only the graph's Input may)")
            x = self._sum_inputs(n)
            tname = type(node).__name__
            if isinstance(node, (nir.Input, nir.Output)):
                self.val[n] = x
                if isinstance(node, nir.Output) and n in self.top:
                    outputs.append(x)
                continue
            handler = getattr(self, f"node_{tname}", None)
            if handler is None:
                raise self.bad(n, f"unsupported NIR node type {tname!r}; supported: {', '.join(SUPPORTED)}", tname)
            self.val[n] = handler(n, node, x)
        if not outputs:
            raise fail(self.file, "nodes", "the graph has no Output node")
        prod = next((nd for nd in self.b.doc["nodes"] if nd["outputs"][0] == outputs[0]), None)
        mode = self.gmeta.get("accelsim_readout")
        if mode not in ("membrane", "spike_count"):
            mode = "spike_count" if prod is not None and prod["op"] in SPIKING else "membrane"
        self.b.readout(outputs[0], mode=mode)
        self.b.doc["outputs"] = list(dict.fromkeys(outputs))
        self.b.graph()  # validate
        return self.b

    # -- helpers ---------------------------------------------------------
    def _sum_inputs(self, n: str) -> str:
        vals = [self.val[p] for p in self.preds[n]]
        acc = vals[0]
        for k, v in enumerate(vals[1:], 1):
            if self.shapes[acc] != self.shapes[v]:
                raise self.bad(n, f"incoming edges carry shapes {list(self.shapes[acc])} and {list(self.shapes[v])}; "
                                  "summed inputs must match")
            acc = self._emit(n, f"{n}.sum{k}", "Add", [acc, v], {})
        return acc

    def _emit(self, n: str, name: str, op: str, inputs: list[str], attrs: dict) -> str:
        spec = OPS[op]
        a = spec.Attrs.model_validate(attrs)
        shapes = [self.shapes[i] if i in self.shapes else tuple(self.b.tensors[i].shape) for i in inputs]
        consts = [None if i in self.shapes else self.b.tensors[i] for i in inputs]
        try:
            shape = tuple(int(d) for d in spec.infer(a, shapes, consts))
            if spec.kind == "neuron":
                from accelsim.workload.loader import check_neuron_params

                check_neuron_params(a, shape, self.b.tensors, spec.params)
        except ShapeError as exc:
            raise self.bad(n, f"{exc}" + (f" ({exc.path})" if exc.path else "")) from None
        out = self.b.node(name, op, inputs, attrs)
        self.shapes[out] = shape
        return out

    def _param(self, n: str, key: str, value, shape: tuple[int, ...]):
        """A neuron parameter: a number if uniform, else a tensor (per channel or per neuron)."""
        arr = np.asarray(value, dtype=np.float64)
        if arr.size == 1 or np.all(arr == arr.reshape(-1)[0]):
            return float(arr.reshape(-1)[0])
        if arr.size == int(np.prod(shape)):
            return self.b.tensor(f"{n}.{key}", arr.reshape(shape))
        if arr.size == shape[0] and arr.shape[0] == shape[0]:  # per channel, e.g. [C] or [C, 1, 1]
            return self.b.tensor(f"{n}.{key}", arr.reshape(shape[0]))
        raise self.bad(n, f"parameter {key} of shape {list(arr.shape)} does not fit the input of shape {list(shape)}")

    def _scalar(self, n: str, key: str, value) -> float:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
        if arr.size == 0 or not np.all(arr == arr[0]):
            raise self.bad(n, f"{key} must be the same for every neuron (accelsim takes one value)", arr[:4].tolist())
        return float(arr[0])

    def _decay(self, n: str, tau, what: str) -> tuple[np.ndarray, np.ndarray]:
        """(a, k): a = decay per step; k = the weight of the drive, dt/tau (Euler) or 1 - a (exact)."""
        tau = np.asarray(tau, dtype=np.float64)
        dt = self.opts.dt
        if np.any(tau <= 0) or not np.all(np.isfinite(tau)):
            raise self.bad(n, f"{what} must be positive and finite", tau.reshape(-1)[:4].tolist())
        if self.opts.discretisation == "exact":
            a = np.exp(-dt / tau)
            return a, 1.0 - a
        if np.any(dt > tau):
            raise self.bad(n, f"forward Euler is unstable with dt = {dt} > {what} = {float(tau.min())}; "
                              "use a smaller --dt or --discretisation exact")
        return 1.0 - dt / tau, dt / tau

    def _restore(self, n: str, node, x: str) -> Optional[str]:
        """accelsim's own node, when the graph was written by ``accelsim export``."""
        m = _meta(node)
        op = m.get("accelsim_op")
        if op not in ("LIF", "IF", "LI", "CubaLIF"):
            return None
        attrs = {k[len("accelsim_attr_"):]: v for k, v in m.items() if k.startswith("accelsim_attr_")}
        for k, v in list(attrs.items()):
            if isinstance(v, np.ndarray):
                attrs[k] = self._param(n, k, v, self.shapes[x])
            elif isinstance(v, (np.floating, np.integer)):
                attrs[k] = v.item()
        return self._emit(n, n, op, [x], attrs)

    # -- synaptic and shape nodes -----------------------------------------
    def node_Affine(self, n, node, x):
        return self._dense(n, np.asarray(node.weight, dtype=np.float64), np.asarray(node.bias, dtype=np.float64), x)

    def node_Linear(self, n, node, x):
        return self._dense(n, np.asarray(node.weight, dtype=np.float64), None, x)

    def _dense(self, n, w, b, x):
        if w.ndim != 2:
            raise self.bad(n, f"only 2-D weights [out, in] are supported, got shape {list(w.shape)}")
        if len(self.shapes[x]) != 1:
            raise self.bad(n, f"the input must be a vector (add a Flatten); its shape is {list(self.shapes[x])}")
        ins = [x, self.b.tensor(f"{n}.weight", w)]
        if b is not None:
            ins.append(self.b.tensor(f"{n}.bias", np.broadcast_to(b.reshape(-1), (w.shape[0],)).copy()))
        return self._emit(n, n, "Gemm", ins, {"transB": 1})

    def node_Scale(self, n, node, x):
        s = np.asarray(node.scale, dtype=np.float64)
        return self._emit(n, n, "Mul", [x, self.b.tensor(f"{n}.scale", s)], {})

    def _conv(self, n, node, x, nd: int):
        w = np.asarray(node.weight, dtype=np.float64)
        shp = self.shapes[x]
        if len(shp) != nd + 1 or w.ndim != nd + 2:
            raise self.bad(n, f"Conv{nd}d needs a [C, {'L' if nd == 1 else 'H, W'}] input and a {nd + 2}-D weight; "
                              f"got input {list(shp)}, weight {list(w.shape)}")
        tup = lambda v: [int(e) for e in np.broadcast_to(np.asarray(v).reshape(-1), (nd,))]  # noqa: E731
        stride, dil = tup(node.stride), tup(node.dilation)
        pad = node.padding
        pad = pad.decode() if isinstance(pad, bytes) else pad
        if isinstance(pad, np.ndarray) and pad.dtype.kind in "SUO":
            pad = str(pad.reshape(-1)[0].decode() if isinstance(pad.reshape(-1)[0], bytes) else pad.reshape(-1)[0])
        if isinstance(pad, str):
            if pad == "valid":
                pads = [0] * (2 * nd)
            else:  # "same": PyTorch's split, the extra cell at the end
                tot = [d * (k - 1) for d, k in zip(dil, w.shape[2:])]
                pads = [t // 2 for t in tot] + [t - t // 2 for t in tot]
        else:
            p = tup(pad)
            pads = p + p
        bias = np.asarray(node.bias, dtype=np.float64).reshape(-1)
        ins = [x, self.b.tensor(f"{n}.weight", w)]
        if bias.size and np.any(bias != 0):
            ins.append(self.b.tensor(f"{n}.bias", np.broadcast_to(bias, (w.shape[0],)).copy()))
        return self._emit(n, n, "Conv", ins, {"strides": stride, "pads": pads, "dilations": dil, "group": int(node.groups)})

    def node_Conv1d(self, n, node, x):
        return self._conv(n, node, x, 1)

    def node_Conv2d(self, n, node, x):
        return self._conv(n, node, x, 2)

    def _pool(self, n, node, x) -> tuple[str, int]:
        k = [int(e) for e in np.broadcast_to(np.asarray(node.kernel_size).reshape(-1), (2,))]
        s = [int(e) for e in np.broadcast_to(np.asarray(node.stride).reshape(-1), (2,))]
        p = [int(e) for e in np.broadcast_to(np.asarray(node.padding).reshape(-1), (2,))]
        if len(self.shapes[x]) != 3:
            raise self.bad(n, f"2-D pooling needs a [C, H, W] input, got {list(self.shapes[x])}")
        out = self._emit(n, n, "AveragePool", [x], {"kernel_shape": k, "strides": s, "pads": p + p,
                                                     "count_include_pad": 1})
        return out, k[0] * k[1]

    def node_AvgPool2d(self, n, node, x):
        return self._pool(n, node, x)[0]

    def node_SumPool2d(self, n, node, x):
        avg, taps = self._pool(n, node, x)
        self.b.doc["nodes"][-1]["name"] = f"{n}.avg"
        self.b.doc["nodes"][-1]["outputs"] = [f"{n}.avg"]
        self.shapes[f"{n}.avg"] = self.shapes.pop(avg)
        return self._emit(n, n, "Mul", [f"{n}.avg", self.b.tensor(f"{n}.taps", np.array(float(taps)))], {})

    def node_Flatten(self, n, node, x):
        shp = self.shapes[x]
        start, end = int(node.start_dim), int(node.end_dim)
        start = start + len(shp) if start < 0 else start
        end = end + len(shp) if end < 0 else end
        if not 0 <= start <= end < len(shp):
            raise self.bad(n, f"start_dim/end_dim do not fit the input of shape {list(shp)}", [node.start_dim, node.end_dim])
        out = list(shp[:start]) + [int(np.prod(shp[start:end + 1]))] + list(shp[end + 1:])
        if len(out) == 1:
            return self._emit(n, n, "Flatten", [x], {"axis": 1})
        return self._emit(n, n, "Reshape", [x], {"shape": [1] + out})

    # -- neurons -----------------------------------------------------------
    def _lif_like(self, n, node, x, tau, r, v_leak, thr, v_reset, syn=None):
        restored = self._restore(n, node, x)
        if restored is not None:
            return restored
        shp = self.shapes[x]
        if tau is None:  # IF / I: dv/dt = R I
            a, k = np.ones_like(np.asarray(r, dtype=np.float64)), np.full_like(np.asarray(r, dtype=np.float64), self.opts.dt)
            v_leak = np.zeros_like(a)
        else:
            a, k = self._decay(n, tau, "tau" if syn is None else "tau_mem")
        r = np.asarray(r, dtype=np.float64)
        attrs = {"leak": self._param(n, "leak", a, shp), "gain": self._param(n, "gain", k * r, shp),
                 "bias": self._param(n, "bias", k * np.asarray(v_leak, dtype=np.float64), shp)}
        if thr is None:
            return self._emit(n, n, "LI", [x], attrs)
        attrs.update(threshold=self._param(n, "threshold", thr, shp), reset="zero",
                     v_reset=self._scalar(n, "v_reset", v_reset))
        if syn is not None:
            tau_syn, w_in = syn
            a_s, k_s = self._decay(n, tau_syn, "tau_syn")
            attrs.update(syn_leak=self._param(n, "syn_leak", a_s, shp),
                         w_in=self._param(n, "w_in", k_s * np.asarray(w_in, dtype=np.float64), shp))
        return self._emit(n, n, "CubaLIF", [x], attrs)

    def node_LIF(self, n, node, x):
        return self._lif_like(n, node, x, node.tau, node.r, node.v_leak, node.v_threshold, node.v_reset)

    def node_IF(self, n, node, x):
        return self._lif_like(n, node, x, None, node.r, None, node.v_threshold, node.v_reset)

    def node_LI(self, n, node, x):
        return self._lif_like(n, node, x, node.tau, node.r, node.v_leak, None, None)

    def node_I(self, n, node, x):
        return self._lif_like(n, node, x, None, node.r, None, None, None)

    def node_CubaLIF(self, n, node, x):
        return self._lif_like(n, node, x, node.tau_mem, node.r, node.v_leak, node.v_threshold, node.v_reset,
                              syn=(node.tau_syn, node.w_in))

    def node_Threshold(self, n, node, x):
        shp = self.shapes[x]
        return self._emit(n, n, "CubaLIF", [x], {"leak": 0.0, "gain": 1.0, "bias": 0.0, "reset": "zero", "v_reset": 0.0,
                                                 "threshold": self._param(n, "threshold", node.threshold, shp)})


def read_nir_file(path: str | Path):
    nir = require_nir()
    path = Path(path)
    if not path.is_file():
        raise fail(str(path), "", "file not found")
    try:
        return nir.read(str(path), type_check=False)  # accelsim infers and checks every shape itself
    except Exception as exc:  # h5py / NIR's own checks
        raise fail(str(path), "", f"not a readable NIR graph: {type(exc).__name__}: {exc}") from None


def import_nir(graph_or_path, opts: NirOptions, file: str = "<nir>") -> WorkloadBuilder:
    """A NIR graph (or a ``.nir`` file) as a workload builder (write it with ``.write(folder)``)."""
    if opts.discretisation not in ("euler", "exact"):
        raise fail("--discretisation", "", "must be euler or exact", opts.discretisation)
    if not (opts.dt > 0 and np.isfinite(opts.dt)):
        raise fail("--dt", "", "must be a positive number (the time step, in the graph's time unit)", opts.dt)
    if isinstance(graph_or_path, (str, Path)):
        file = str(graph_or_path)
        graph_or_path = read_nir_file(graph_or_path)
    else:
        require_nir()
    return _Importer(graph_or_path, opts, file).read()


# --------------------------------------------------------------------------
# export

class _Exporter:
    def __init__(self, graph: Graph, dt: float, discretisation: str):
        self.g, self.dt, self.disc = graph, dt, discretisation
        self.lossy: list[str] = []

    def bad(self, node, message: str):
        return fail(self.g.source, f"nodes.{node.name}", f"{node.op} cannot be expressed in NIR: {message}")

    def param(self, ref, shape) -> np.ndarray:
        arr = np.asarray(self.g.tensors[ref] if isinstance(ref, str) else ref, dtype=np.float64)
        if arr.ndim == 1 and arr.shape[0] == shape[0] and len(shape) > 1:
            arr = arr.reshape((shape[0],) + (1,) * (len(shape) - 1))
        return np.ascontiguousarray(np.broadcast_to(arr, shape))

    def inverse(self, node, a: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
        """(tau, k) from a decay a per step; k as in the import (dt/tau or 1 - a)."""
        if np.any(a >= 1.0):
            raise self.bad(node, f"{what} = 1 (no decay) has no finite time constant")
        if self.disc == "exact":
            if np.any(a <= 0.0):
                raise self.bad(node, f"{what} = 0 has no time constant under the exact discretisation; use euler")
            return -self.dt / np.log(a), 1.0 - a
        tau = self.dt / (1.0 - a)
        return tau, self.dt / tau

    def neuron(self, node):
        import nir

        shape = self.g.shapes[node.output]
        a_ = node.attrs
        meta: dict[str, Any] = {"accelsim_op": node.op}
        for k, v in a_.model_dump().items():
            meta[f"accelsim_attr_{k}"] = np.asarray(self.g.tensors[v]) if isinstance(v, str) and v in self.g.tensors else v
        P = lambda k, default=0.0: self.param(getattr(a_, k, default), shape)  # noqa: E731
        leak, gain, bias = P("leak", 1.0), P("gain", 1.0), P("bias", 0.0)
        if node.op in ("LIF", "IF"):
            thr = np.nextafter(P("threshold"), -np.inf)  # NIR fires at v > thr'  <=>  v >= thr
            syn = None
        elif node.op == "CubaLIF":
            thr = P("threshold")
            syn_leak, w_in = P("syn_leak"), P("w_in", 1.0)
            syn = None if np.all(syn_leak == 0) and np.all(w_in == 1) else (syn_leak, w_in)
        else:
            thr, syn = None, None
        if thr is not None and a_.reset == "subtract":  # NIR resets to v_reset
            self.lossy.append(node.name)
        v_reset = np.full(shape, float(getattr(a_, "v_reset", 0.0)))
        if np.all(leak == 1.0) and np.all(bias == 0.0) and syn is None:
            r = gain / self.dt
            if thr is None:
                return nir.I(r=r, metadata=meta)
            return nir.IF(r=r, v_threshold=thr, v_reset=v_reset, metadata=meta)
        tau, k = self.inverse(node, leak, "leak")
        r, v_leak = gain / k, bias / k
        if thr is None:
            return nir.LI(tau=tau, r=r, v_leak=v_leak, metadata=meta)
        if syn is None:
            return nir.LIF(tau=tau, r=r, v_leak=v_leak, v_threshold=thr, v_reset=v_reset, metadata=meta)
        tau_syn, k_s = self.inverse(node, syn[0], "syn_leak")
        return nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau, r=r, v_leak=v_leak, v_threshold=thr, v_reset=v_reset,
                           w_in=syn[1] / k_s, metadata=meta)

    def convert(self, node):
        import nir

        g, op, at = self.g, node.op, node.attrs
        if node.kind == "neuron":
            return self.neuron(node)
        if op in ("Gemm", "MatMul"):
            w = np.asarray(g.tensors[node.inputs[1]], dtype=np.float64)
            if op == "MatMul" or not at.transB:
                w = w.T
            alpha, beta = (at.alpha, at.beta) if op == "Gemm" else (1.0, 1.0)
            if len(node.inputs) > 2:
                b = np.broadcast_to(np.asarray(g.tensors[node.inputs[2]], dtype=np.float64).reshape(-1), (w.shape[0],))
                return nir.Affine(weight=alpha * w, bias=beta * b.copy())
            return nir.Linear(weight=alpha * w)
        if op == "Conv":
            w = np.asarray(g.tensors[node.inputs[1]], dtype=np.float64)
            nd = w.ndim - 2
            if nd not in (1, 2):
                raise self.bad(node, "NIR has Conv1d and Conv2d only")
            x = g.shapes[node.inputs[0]]
            from accelsim.workload.ops.window import window_params

            strides, pads, dil = window_params(at, nd)
            if tuple(pads[:nd]) != tuple(pads[nd:]):
                raise self.bad(node, f"asymmetric padding {list(pads)}")
            b = np.asarray(g.tensors[node.inputs[2]], dtype=np.float64) if len(node.inputs) > 2 else np.zeros(w.shape[0])
            cls = nir.Conv1d if nd == 1 else nir.Conv2d
            shp = int(x[1]) if nd == 1 else tuple(int(d) for d in x[1:])
            pad = int(pads[0]) if nd == 1 else tuple(int(p) for p in pads[:2])
            st = int(strides[0]) if nd == 1 else tuple(int(s) for s in strides)
            dl = int(dil[0]) if nd == 1 else tuple(int(d) for d in dil)
            return cls(input_shape=shp, weight=w, stride=st, padding=pad, dilation=dl, groups=int(at.group), bias=b)
        if op == "AveragePool":
            x = g.shapes[node.inputs[0]]
            from accelsim.workload.ops.window import window_params

            if len(x) != 3:
                raise self.bad(node, "NIR has 2-D pooling only")
            strides, pads, _ = window_params(at, 2)
            if tuple(pads[:2]) != tuple(pads[2:]):
                raise self.bad(node, f"asymmetric padding {list(pads)}")
            if any(pads) and not at.count_include_pad:
                raise self.bad(node, "NIR's AvgPool2d counts padding (count_include_pad = 1)")
            return nir.AvgPool2d(kernel_size=np.array(at.kernel_shape), stride=np.array(strides), padding=np.array(pads[:2]))
        if op in ("Flatten", "Reshape"):
            out = g.shapes[node.output]
            if len(out) != 1:
                raise self.bad(node, "only a flatten to a vector")
            return nir.Flatten(input_type={"input": np.array(g.shapes[node.inputs[0]])}, start_dim=0, end_dim=-1)
        if op == "Mul":
            s = np.broadcast_to(np.asarray(g.tensors[node.inputs[1]], dtype=np.float64), g.shapes[node.output])
            return nir.Scale(scale=s.copy())
        if op in ("Relu", "Clip"):
            raise self.bad(node, "an ANN activation; convert the ANN to an SNN first (accelsim convert)")
        raise self.bad(node, "no NIR equivalent")

    def export(self):
        import nir

        g = self.g
        nodes: dict[str, Any] = {"input": nir.Input(input_type={"input": np.array(g.input.shape)})}
        edges: list[tuple[str, str]] = []
        sources: dict[str, list[str]] = {g.input.name: ["input"]}
        for node in g.nodes:
            vins = g.value_inputs(node)
            if node.op == "Add":
                if len(vins) != 2:
                    raise self.bad(node, "adding a constant tensor")
                sources[node.output] = sources[vins[0]] + sources[vins[1]]  # NIR sums a node's incoming edges
                continue
            name = node.name if node.name not in ("input", "output") else f"{node.name}_"
            nodes[name] = self.convert(node)
            edges += [(s, name) for s in sources[vins[0]]]
            sources[node.output] = [name]
        nodes["output"] = nir.Output(output_type={"output": np.array(g.shapes[g.readout.output])})
        edges += [(s, "output") for s in sources[g.readout.output]]
        meta = {"accelsim_timesteps": int(g.timesteps), "accelsim_encoding": g.input.encoding,
                "accelsim_readout": g.readout.mode, "accelsim_name": g.name, "accelsim_dt": float(self.dt),
                "accelsim_discretisation": self.disc}
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)


def export_nir(graph: Graph, dt: float = 1.0, discretisation: str = "euler"):
    """(NIR graph, names of nodes whose reset NIR cannot express) for a workload graph."""
    require_nir()
    if discretisation not in ("euler", "exact"):
        raise fail("--discretisation", "", "must be euler or exact", discretisation)
    if not (dt > 0 and np.isfinite(dt)):
        raise fail("--dt", "", "must be a positive number", dt)
    ex = _Exporter(graph, dt, discretisation)
    return ex.export(), ex.lossy
