"""Pipelined inputs: the schedule of N inputs entering back to back, and the throughput it gives.

One inference is T steps of tasks per layer (:class:`accelsim.hw.tasks.LayerTasks`).
A stream of N inputs is the same tasks repeated N times along the step axis:
input n occupies steps ``nT .. nT + T - 1``, so the scheduler's rules (layer L at
step s after its sources at step s; each core's step-s task of L after its own
step s-1 task of L; resources granted to earlier steps first) let layer L work on
input n while layer L-1 already works on input n+1. With rate coding a layer
takes a new input after its T steps; with few-spikes coding (T = 1 pass, each FS
layer's task holding its K phases) after its K phases: the next input enters
every K phases, as in Stöckl & Maass' pipelined network.

    interval_ns  = (makespan(N) - makespan(N / 2)) / (N / 2)   (steady-state time per input)
    throughput   = 1e9 / interval_ns  inputs per second

The difference of two streams cancels the filling and draining of the pipeline
(``makespan(N) - makespan(1)`` would not: the single input's latency holds slack
that a stream fills). The makespan of N inputs is about ``latency + (N - 1) *
interval``; the interval is at least the busy time per input of the busiest
resource (core, link, PIM macro, DRAM).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from accelsim.hw.tasks import LayerTasks
from accelsim.schedule.result import Schedule

PIPELINE_INPUTS = 8  # inputs streamed to measure the steady-state interval


def tile(layers: list[LayerTasks], n: int) -> list[LayerTasks]:
    """The tasks of ``n`` inputs back to back: every per-step array repeated ``n`` times along the steps
    (a recurrent input restarts from zero state with every input: ``input_steps``)."""
    out = []
    for lt in layers:
        fl = None if lt.first_layer_ns is None else list(lt.first_layer_ns) * n
        out.append(replace(lt, core_cycles=np.tile(lt.core_cycles, (n, 1)), dram_bits=np.tile(lt.dram_bits, (n, 1)),
                           link_cycles=np.tile(lt.link_cycles, (n, 1)),
                           noc_latency_cycles=np.tile(lt.noc_latency_cycles, n), first_layer_ns=fl,
                           input_steps=lt.input_steps or lt.core_cycles.shape[0]))
    return out


def pipelined(layers: list[LayerTasks], T: int, single: Schedule, run: Callable[[list[LayerTasks], int], Schedule],
              inputs: int = PIPELINE_INPUTS) -> dict:
    """report.json's ``pipeline``: ``inputs`` (even) inputs streamed (``run(tasks, steps)`` schedules
    them, and half as many), their makespan, the steady-state interval per input and the throughput."""
    if inputs < 2 or inputs % 2:
        raise ValueError("pipelining needs an even number of inputs >= 2")
    half = inputs // 2
    few = single if half == 1 else run(tile(layers, half), T * half)
    many = run(tile(layers, inputs), T * inputs)
    interval = (many.makespan_ns - few.makespan_ns) / (inputs - half)
    return {
        "inputs": inputs,
        "makespan_ns": float(many.makespan_ns),
        "latency_ns": float(single.makespan_ns),
        "interval_ns": float(interval),
        "throughput_inputs_per_s": float(1e9 / interval) if interval > 0 else None,
        "busiest_resource": max(many.busy_ns, key=many.busy_ns.get) if many.busy_ns else None,
    }
