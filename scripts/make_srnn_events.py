#!/usr/bin/env python
"""Make workloads/srnn_events: a small recurrent SNN (SRNN) on a synthetic event sequence task.

The data are synthetic (made here, seeded): a contact moves around a ring of ``TAXELS`` = 16
sensors (a tactile-sweep / moving-dot stand-in for event-sensor data such as the NIR paper's
Braille task). Four classes: clockwise or counter-clockwise, slow (one sensor every 2 steps)
or fast (one sensor per step). The start sensor is random; at every step the sensor under
the contact emits an event with probability ``P_EVENT`` = 0.7, and every sensor fires a
noise event with probability ``P_NOISE`` = 0.03. Input: [16] binary events per step,
T = 20 steps (``encoding: sequence``). No single frame carries the class; the order of
events across steps does.

Network (every equation is what accelsim evaluates; docs/recurrent.md):

    i[t] = W_in x[t] + b_in + W_rec s[t-1]          (s[-1] = 0: the recurrent edge's one-step delay)
    v[t] = LEAK v[t-1] + i[t];  s[t] = v[t] >= 1;  v[t] -= s[t]     (LIF, reset by subtraction)
    o[t] = W_out s[t] + b_out;  class = argmax_c sum_t o[t, c]       (readout: membrane mode)

16 inputs -> 32 recurrent LIF -> 4 outputs, trained here in numpy by backpropagation through
time with a fast-sigmoid surrogate gradient (slope ``SLOPE``; the reset treated as a constant
in the backward pass) and Adam, fixed seeds: the same command writes the same files. A
feed-forward twin (``W_rec`` held at 0) is trained the same way to show what the recurrent
weights add; both accuracies are on the ``N_TEST`` held-out samples written to samples.npz and
are printed and stored in the workload's metadata.

    python scripts/make_srnn_events.py [--out workloads/srnn_events]

Needs numpy and accelsim only (about 20 s on one core).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

T, TAXELS, HIDDEN, CLASSES = 20, 16, 32, 4
P_EVENT, P_NOISE = 0.7, 0.03
LEAK, THRESHOLD = 0.9, 1.0
SLOPE = 5.0                   # fast-sigmoid surrogate: ds/dv = 1 / (1 + SLOPE |v - threshold|)^2
N_TRAIN, N_TEST = 4096, 256
EPOCHS, BATCH, LR = 150, 128, 3e-3
SEED_DATA_TRAIN, SEED_DATA_TEST, SEED_INIT = 1, 2, 3


def make_events(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` [n, T, TAXELS] uint8 events and ``y`` [n] classes (0: cw slow, 1: cw fast, 2: ccw slow,
    3: ccw fast)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    direction = np.where(y < 2, 1, -1)
    period = np.where(y % 2 == 0, 2, 1)          # steps per sensor
    x = (rng.random((n, T, TAXELS)) < P_NOISE).astype(np.uint8)
    start = rng.integers(0, TAXELS, n)
    idx = np.arange(n)
    for t in range(T):
        pos = (start + direction * (t // period)) % TAXELS
        hit = rng.random(n) < P_EVENT
        x[idx[hit], t, pos[hit]] = 1
    return x, y


def forward(x: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact forward pass (``s = v >= threshold``): (scores [n, C], membranes before reset [T, n, H],
    spikes [T, n, H])."""
    n = x.shape[0]
    v = np.zeros((n, HIDDEN))
    s = np.zeros((n, HIDDEN))
    us, ss = np.zeros((T, n, HIDDEN)), np.zeros((T, n, HIDDEN))
    scores = np.zeros((n, CLASSES))
    for t in range(T):
        u = LEAK * v + x[:, t] @ p["W_in"].T + p["b_in"] + s @ p["W_rec"].T
        s = (u >= THRESHOLD).astype(np.float64)
        v = u - THRESHOLD * s
        us[t], ss[t] = u, s
        scores += s @ p["W_out"].T + p["b_out"]
    return scores, us, ss


def gradients(x: np.ndarray, y: np.ndarray, p: dict) -> tuple[float, dict]:
    """Cross-entropy of ``softmax(scores / T)`` and its gradient by BPTT with the surrogate."""
    n = x.shape[0]
    scores, us, ss = forward(x, p)
    z = scores / T
    z = z - z.max(axis=1, keepdims=True)
    prob = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = float(-np.log(prob[np.arange(n), y] + 1e-12).mean())
    g = prob.copy()
    g[np.arange(n), y] -= 1.0
    g /= n * T                                   # dL/dscores
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    grads["W_out"] = g.T @ ss.sum(axis=0)
    grads["b_out"] = g.sum(axis=0) * T
    ds_direct = g @ p["W_out"]                   # the same at every step
    dv = np.zeros((n, HIDDEN))                   # dL/dv[t] flowing back from step t+1
    ds_next = np.zeros((n, HIDDEN))              # dL/ds[t] through the recurrent weights of step t+1
    for t in range(T - 1, -1, -1):
        sg = 1.0 / (1.0 + SLOPE * np.abs(us[t] - THRESHOLD)) ** 2
        du = dv + (ds_direct + ds_next) * sg
        grads["W_in"] += du.T @ x[:, t]
        grads["b_in"] += du.sum(axis=0)
        if t > 0:
            grads["W_rec"] += du.T @ ss[t - 1]
        ds_next = du @ p["W_rec"]
        dv = LEAK * du
    return loss, grads


def init(rng: np.random.Generator) -> dict:
    return {
        "W_in": rng.normal(0.0, 1.0 / np.sqrt(TAXELS * P_EVENT), (HIDDEN, TAXELS)),
        "b_in": np.zeros(HIDDEN),
        "W_rec": rng.normal(0.0, 0.5 / np.sqrt(HIDDEN), (HIDDEN, HIDDEN)),
        "W_out": rng.normal(0.0, 1.0 / np.sqrt(HIDDEN), (CLASSES, HIDDEN)),
        "b_out": np.zeros(CLASSES),
    }


def train(x: np.ndarray, y: np.ndarray, recurrent: bool, seed: int) -> dict:
    """Adam on minibatches, fixed order per seed; ``recurrent=False`` keeps ``W_rec`` at 0."""
    rng = np.random.default_rng(seed)
    p = init(rng)
    if not recurrent:
        p["W_rec"][:] = 0.0
    m = {k: np.zeros_like(v) for k, v in p.items()}
    s2 = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, step = 0.9, 0.999, 0
    for epoch in range(EPOCHS):
        order = rng.permutation(x.shape[0])
        for i in range(0, x.shape[0], BATCH):
            j = order[i:i + BATCH]
            _, g = gradients(x[j], y[j], p)
            step += 1
            for k in p:
                if k == "W_rec" and not recurrent:
                    continue
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                s2[k] = b2 * s2[k] + (1 - b2) * g[k] ** 2
                p[k] -= LR * (m[k] / (1 - b1 ** step)) / (np.sqrt(s2[k] / (1 - b2 ** step)) + 1e-8)
    return p


def accuracy(x: np.ndarray, y: np.ndarray, p: dict) -> float:
    return float(np.mean(np.argmax(forward(x, p)[0], axis=1) == y))


def build(out: Path) -> dict:
    from accelsim.workload.builder import WorkloadBuilder

    x_tr, y_tr = make_events(N_TRAIN, SEED_DATA_TRAIN)
    x_te, y_te = make_events(N_TEST, SEED_DATA_TEST)
    p = train(x_tr.astype(np.float64), y_tr, True, SEED_INIT)
    ff = train(x_tr.astype(np.float64), y_tr, False, SEED_INIT)
    xt = x_te.astype(np.float64)
    no_rec = dict(p, W_rec=np.zeros_like(p["W_rec"]))
    _, _, spikes = forward(xt, p)
    figures = {
        "test_accuracy": accuracy(xt, y_te, p),
        "test_accuracy_recurrent_weights_zeroed": accuracy(xt, y_te, no_rec),
        "test_accuracy_feedforward_twin": accuracy(xt, y_te, ff),
        "train_accuracy": accuracy(x_tr.astype(np.float64), y_tr, p),
        "chance": 1.0 / CLASSES,
        "hidden_spike_rate": float(spikes.mean()),
        "input_event_rate": float(x_te.mean()),
    }

    b = WorkloadBuilder("srnn_events", input_shape=(TAXELS,), timesteps=T, encoding="sequence", input_name="events",
                        description="recurrent SNN (16-32R-4) on synthetic ring sweeps (direction x speed)")
    i_in = b.gemm("fc_in", "events", p["W_in"], p["b_in"])
    i_rec = b.gemm("fc_rec", "s", p["W_rec"])          # a back edge: reads lif's spikes of the previous step
    i = b.node("add", "Add", [i_in, i_rec], output="i")
    s = b.node("lif", "LIF", [i], {"reset": "subtract", "threshold": THRESHOLD, "leak": LEAK}, output="s")
    b.readout(b.gemm("fc_out", s, p["W_out"], p["b_out"]))
    meta = {"source": "scripts/make_srnn_events.py",
            "data": "synthetic: a contact moving around a ring of 16 sensors; classes cw/ccw x slow/fast",
            "training": "numpy BPTT, fast-sigmoid surrogate, Adam", **figures}
    b.write(out, samples=(x_te, y_te), compressed=True, metadata=meta)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "workloads" / "srnn_events")
    args = ap.parse_args()
    print(json.dumps(build(args.out), indent=1))


if __name__ == "__main__":
    main()
