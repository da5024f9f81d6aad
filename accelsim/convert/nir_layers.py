"""NIR's synaptic and shape nodes as accelsim ops, both ways.

=========  ============================================================
NIR node   accelsim node
=========  ============================================================
Affine     Gemm (with a bias)
Linear     Gemm
Scale      Mul
Conv1d/2d  Conv
AvgPool2d  AveragePool (padding counted, as in PyTorch)
SumPool2d  AveragePool * kernel size
Flatten    Flatten (to a vector) or Reshape
=========  ============================================================
"""
from __future__ import annotations

import numpy as np

from accelsim.workload.ops.window import window_params


class LayerImport:
    """The importer's handlers of NIR synaptic and shape nodes (mixed into the NIR importer)."""

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


class LayerExport:
    """The exporter's translation of accelsim's synaptic, pooling and shape ops (mixed into the NIR exporter)."""

    def layer(self, node):
        import nir

        g, op, at = self.g, node.op, node.attrs
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
