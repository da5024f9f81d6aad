"""NIR's neuron nodes as accelsim neuron ops, both ways: the discretisation of
NIR's continuous-time neuron models into accelsim's per-step updates.

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

Export inverts these formulas. NIR cannot say "reset by subtraction" nor
"fire at v >= threshold" (accelsim's ``LIF``/``IF``): the threshold is written
as the next float below (v > thr' is v >= thr exactly) and accelsim's own
parameters go into each node's ``metadata`` (``accelsim_*`` keys), from which
``accelsim import`` restores the original node exactly; other tools see a
reset to ``v_reset`` (the export command warns when that changes the network).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from accelsim.convert.nir_files import node_metadata

EXPORTABLE = ("LIF", "IF", "LI", "CubaLIF")  # the neuron kinds translated below, both ways


class NeuronImport:
    """The importer's handlers of NIR neuron nodes (mixed into the NIR importer)."""

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
        m = node_metadata(node)
        op = m.get("accelsim_op")
        if op not in EXPORTABLE:
            return None
        attrs = {k[len("accelsim_attr_"):]: v for k, v in m.items() if k.startswith("accelsim_attr_")}
        for k, v in list(attrs.items()):
            if isinstance(v, np.ndarray):
                attrs[k] = self._param(n, k, v, self.shapes[x])
            elif isinstance(v, (np.floating, np.integer)):
                attrs[k] = v.item()
        return self._emit(n, n, op, [x], attrs)

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


class NeuronExport:
    """The exporter's translation of accelsim neuron ops (mixed into the NIR exporter)."""

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

        if node.op not in EXPORTABLE:
            raise self.bad(node, f"no NIR node models this neuron kind (exportable: {', '.join(EXPORTABLE)})")
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
        if thr is not None and (a_.reset == "subtract" or getattr(a_, "v_init", 0.0) != 0.0):
            self.lossy.append(node.name)  # NIR resets to v_reset and starts every membrane at 0
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
