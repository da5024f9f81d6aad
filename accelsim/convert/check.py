"""The converter's check of its own result: the SNN against the ANN it came from.

After ``accelsim convert`` builds the SNN it runs, on the check samples (the
``--samples`` file, else the calibration inputs):

* the ANN (accelsim's engine, ReLU activations): its predictions and accuracy;
* the SNN for its ``T`` time steps (functional simulation, exact float64, no
  hardware numerics): predictions, accuracy at ``T`` and at ``T/2``;
* the SNN's rate model (:func:`accelsim.engine.ann.run_ann` with ``mode="rate"``:
  every IF neuron replaced by its steady-state rate ``clip(I / threshold, 0, 1)``,
  every spiking max-pool by the max of its input rates), the limit T -> infinity of
  an IF network with reset by subtraction.

It reports the accuracies (when the samples are labelled) and the agreement of the
SNN's predictions with the ANN's. When the SNN is more than ``TOLERANCE`` below the
ANN it names the likely cause, in this order (with few-spikes coding, ``--coding
fs``, one pass of K phases: the K-bit truncation of the activations):

1. **pooling**: a max-pool of time-varying values was converted as an average pool
   or an OR of spikes (``--maxpool avg|or``), which changes a max-pool-trained
   network's function;
2. **neuron**: a leaky neuron or reset to zero loses charge, so rates fall below
   the ANN's activations (the rate model does not cover these);
3. **too few time steps**: the rate model (the SNN at T -> infinity) is within the
   tolerance of the ANN, so more steps close the gap (or ``--balance ratenorm``
   for short runs);
4. **balancing**: the rate model itself is below the ANN: the thresholds clip
   activations (``--balance percentile|ratenorm``); ``max`` clips nothing on the
   calibration inputs.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from accelsim.engine.ann import run_ann
from accelsim.engine.functional import simulate
from accelsim.workload.graph import Graph, Samples

TOLERANCE = 0.02  # accuracy (fraction) the SNN may lose against the ANN before the check warns


@dataclass(frozen=True)
class CheckResult:
    """What the check measured; accuracies are fractions, None without labels."""

    samples: int
    timesteps: int
    agreement: float                  # SNN predictions equal to the ANN's
    ann_accuracy: Optional[float]
    snn_accuracy: Optional[float]     # at T
    snn_accuracy_half_t: Optional[float]  # at T // 2 (None for T = 1)
    rate_accuracy: Optional[float]    # the SNN's rate model (T -> infinity)
    warning: Optional[str]

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One line for the terminal."""
        if self.ann_accuracy is None:
            return (f"check on {self.samples} unlabelled samples: SNN (T = {self.timesteps}) agrees with the ANN on "
                    f"{100 * self.agreement:.1f} % of them")
        return (f"check on {self.samples} samples: ANN {100 * self.ann_accuracy:.1f} %, SNN "
                f"{100 * self.snn_accuracy:.1f} % at T = {self.timesteps}, agreement {100 * self.agreement:.1f} %")


def likely_cause(info: dict, ann: float, snn: float, rate: Optional[float], half: Optional[float], T: int) -> str:
    """The most likely reason the SNN falls short of the ANN (see the module docstring)."""
    pct = lambda a: f"{100 * a:.1f} %"  # noqa: E731
    if info.get("coding") == "fs":
        return (f"few-spikes coding: each activation is truncated to K = {info.get('phases')} binary digits of its "
                f"scale (--balance {info.get('balance')}); more --phases, or --balance percentile, reduce the error")
    if info.get("pools_changed"):
        how = {"avg": "average pools", "or": "maxima of single steps (an OR of spikes)"}.get(info.get("maxpool"), "?")
        return (f"pooling: the max-pool(s) {', '.join(info['pools_changed'])} of a network trained with max pooling "
                f"were converted as {how} (--maxpool {info.get('maxpool')}), which changes its function; the default "
                "--maxpool spike keeps it")
    if info.get("neuron") == "LIF" and (info.get("leak") is not None and info["leak"] < 1.0) or info.get("reset") == "zero":
        return ("neuron: a leak below 1 or reset to zero loses charge, so firing rates fall below the ANN's "
                "activations; IF neurons with reset by subtraction converge to the ANN")
    if rate >= ann - TOLERANCE:
        rise = f"; accuracy rose from {pct(half)} at T = {T // 2}" if half is not None else ""
        return (f"too few time steps: at T -> infinity the SNN's rate model reaches {pct(rate)}{rise} to {pct(snn)} "
                f"at T = {T}; convert with a larger --timesteps, or --balance ratenorm for short runs")
    return (f"balancing: even at T -> infinity the SNN's rate model reaches only {pct(rate)}: the thresholds "
            f"(--balance {info.get('balance')}) clip activations; --balance max clips nothing on the calibration inputs")


def check_conversion(ann: Graph, snn: Graph, x: np.ndarray, y: Optional[np.ndarray], info: dict,
                     ann_pred: Optional[np.ndarray] = None) -> CheckResult:
    """Run the ANN, the SNN and its rate model on ``x`` (labels ``y`` or None); ``info``: what the
    conversion did (:func:`accelsim.convert.onnx_import.to_snn`); ``ann_pred``: the ANN's predictions
    on ``x`` when the caller has them."""
    T = snn.timesteps
    if ann_pred is None:
        ann_pred = run_ann(ann, x).argmax(1)
    tr = simulate(snn, Samples(x, y, "check"))
    agreement = float(np.mean(tr.predictions == ann_pred))
    if y is None:
        return CheckResult(len(x), T, agreement, None, None, None, None, None)
    ann_acc = float(np.mean(ann_pred == y))
    snn_acc = float(tr.accuracy)
    half = tr.accuracy_by_step[T // 2 - 1] if T > 1 else None
    rate = None  # the rate model is the limit of rate coding; few-spikes coding has no T to grow
    if info.get("coding", "rate") == "rate":
        rate = float(np.mean(run_ann(snn, x, mode="rate").argmax(1) == y))
    warning = None
    if snn_acc < ann_acc - TOLERANCE:
        warning = (f"the SNN is {100 * (ann_acc - snn_acc):.1f} points below the ANN ({100 * snn_acc:.1f} % vs "
                   f"{100 * ann_acc:.1f} % at T = {T}). Likely cause: {likely_cause(info, ann_acc, snn_acc, rate, half, T)}")
    return CheckResult(len(x), T, agreement, ann_acc, snn_acc, half, rate, warning)
