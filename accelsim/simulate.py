"""One simulation in three stages: load and validate, functional trace, cost and report.

The stages are separate so that a sweep can reuse one functional trace for every
design point that differs only in cost parameters: a trace is decided by the
workload and, per layer, its engine's numerics group
(:func:`accelsim.hw.engines.numerics_identity`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from accelsim.config.loader import ArchSpec, load_arch, parse_set
from accelsim.cost import model as cost_model
from accelsim.engine.lower import lower
from accelsim.engine.trace import Trace
from accelsim.errors import InputError, fail
from accelsim.hw.builtin import ann_engine, assign, engines_used
from accelsim.report.build import build_report
from accelsim.schedule import SCHEDULERS
from accelsim.shards import auto_trace, check_jobs, sharded_trace, trace_of
from accelsim.workload.graph import Graph, Samples
from accelsim.workload.loader import load_inputs, load_workload


@dataclass(frozen=True)
class Job:
    """Everything one simulation needs, loaded and validated."""

    spec: ArchSpec
    graph: Graph
    data: Samples
    arch_file: str
    workload_file: str
    inputs_label: str
    pipeline: bool = True  # also schedule streams of inputs for the throughput (sweeps turn it off)
    reuse: Any = None      # shares intermediate results across the jobs of a sweep task: reuse.trace(job,
                           # layers, backend) -> the trace, or None (accelsim.sweep.adc_reuse.GroupTraces)


def prepare(arch_file: str, workload_file: str, sets: Iterable[str | tuple] = (), samples: Optional[int] = None,
            inputs: Optional[str] = None) -> Job:
    """Load and validate the architecture (with ``--set`` overrides), the workload and its inputs."""
    if Path(arch_file).suffix.lower() == ".json" and Path(workload_file).suffix.lower() in (".yaml", ".yml"):
        raise fail(str(arch_file), "", "is a workload and the second argument an architecture: "
                   "the order is ARCH WORKLOAD")
    pairs = [parse_set(s) if isinstance(s, str) else tuple(s) for s in sets]
    spec = load_arch(arch_file, [(k, v) for k, v in pairs if not k.startswith("workload.")])
    graph = load_workload(workload_file, [(k, v) for k, v in pairs if k.startswith("workload.")])
    if inputs is not None:
        data = load_inputs(inputs, graph)
    elif graph.samples is not None:
        data = graph.samples
    else:
        raise fail(workload_file, "samples", "the workload has no samples; pass --inputs FILE.npz")
    if samples is not None:
        data = data.head(samples)
    label = str(inputs) if inputs else (graph.samples.source if graph.samples else "")
    return Job(spec, graph, data, str(arch_file), str(workload_file), label)


def hardware_layers(job: Job) -> list:
    """The workload's layers, each assigned to the hardware engine that runs it."""
    return assign(lower(job.graph), job.spec.arch)


def functional_trace(job: Job, backend: str = "numba", progress: bool = False, layers: Optional[list] = None,
                     jobs: Optional[int] = 1) -> Trace:
    """Run the functional SNN simulation (depends only on numerics-changing parameters); each
    layer's synaptic node runs through its engine's numerics (the first layer through the PIM
    model when ``pim.enabled``, else the quantised digital model). ``jobs``: worker processes
    over the samples (:mod:`accelsim.shards`; None: chosen from the run's size; 1: in-process),
    the same trace for any number."""
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(job.data), unit="sample", desc="simulating", leave=False)
    try:
        layers = hardware_layers(job) if layers is None else layers
        if job.reuse is not None:
            trace = job.reuse.trace(job, layers, backend)
            if trace is not None:
                return trace
        jobs = check_jobs(jobs, "jobs")
        if jobs is None:
            return auto_trace(job.graph, job.data, layers, job.spec.arch, backend, progress=bar.update if bar else None)
        if min(jobs, len(job.data)) > 1:
            return sharded_trace(job.graph, job.data, layers, job.spec.arch, backend, jobs,
                                 progress=bar.update if bar else None)
        return trace_of(job.graph, job.data, layers, job.spec.arch, backend,
                        progress=bar.update if bar else None)
    finally:
        if bar is not None:
            bar.close()


def cost_and_report(job: Job, trace: Trace, timeline: Optional[str] = None, scheduler: str = "fast") -> dict:
    """Energy and latency of ``trace`` on ``job.spec``, as a report.json dict.
    ``timeline``: also write the schedule there as CSV (see :mod:`accelsim.schedule`);
    ``scheduler``: ``fast`` (the numba model) or ``simpy`` (its specification), the same schedule.
    ``job.pipeline``: also schedule streams of inputs for the throughput (two more schedules; sweeps skip it)."""
    try:
        cost = cost_model.evaluate(trace, job.spec, job.graph, job.arch_file, scheduler=scheduler,
                                   pipeline=job.pipeline)
    except InputError as exc:  # a limit found while costing: name the architecture file
        raise InputError([replace(p, file=p.file or job.arch_file) for p in exc.problems]) from None
    except (OverflowError, ZeroDivisionError, ValueError) as exc:  # bounds should make this unreachable
        raise fail(job.arch_file, "", f"the cost model cannot represent this architecture ({type(exc).__name__}: "
                   f"{exc}); a parameter is too large or too small") from None
    report = build_report(job.graph, job.spec, trace, cost, arch_file=job.arch_file,
                          workload_file=job.workload_file, inputs=job.inputs_label)
    check_finite(report, job.arch_file)
    if timeline is not None:
        from accelsim.schedule import timeline_csv
        from accelsim.util.io import atomic_write_text
        atomic_write_text(timeline, timeline_csv(cost.schedule))
    return report


def check_finite(report: dict, arch_file: str) -> None:
    """Every number of a report is finite, or an InputError names the first non-finite one (a
    parameter too large or too small for the cost model; never NaN or inf in report.json)."""
    stack: list[tuple[str, object]] = [("", report)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, dict):
            stack.extend((f"{path}.{k}" if path else str(k), c) for k, c in reversed(list(v.items())))
        elif isinstance(v, (list, tuple)):
            stack.extend((f"{path}[{i}]", c) for i, c in reversed(list(enumerate(v))))
        elif isinstance(v, float) and not math.isfinite(v):
            raise fail(arch_file, "", f"the results are not finite ({path} = {v}): a parameter is too large or "
                       "too small for the cost model to represent")


def run_simulation(arch_file: str, workload_file: str, sets: Iterable[str] = (), samples: Optional[int] = None,
                   inputs: Optional[str] = None, backend: str = "numba", progress: bool = False,
                   timeline: Optional[str] = None, before_run: Optional[Callable[[Job], None]] = None,
                   scheduler: str = "fast", jobs: Optional[int] = None) -> dict:
    """The whole simulation. ``before_run(job)``: called once everything is validated and
    before the long part (e.g. to check that the outputs can be written); ``scheduler``: see
    :func:`cost_and_report`; ``jobs``: worker processes for the functional pass (None: automatic,
    :func:`accelsim.shards.auto_jobs`)."""
    if scheduler not in SCHEDULERS:
        raise fail("--scheduler", "", f"must be one of {', '.join(SCHEDULERS)}", scheduler)
    check_jobs(jobs)
    job = prepare(arch_file, workload_file, sets, samples, inputs)
    return run_job(job, backend, progress, timeline, before_run, scheduler, jobs)


def run_job(job: Job, backend: str = "numba", progress: bool = False, timeline: Optional[str] = None,
            before_run: Optional[Callable[[Job], None]] = None, scheduler: str = "fast",
            jobs: Optional[int] = None) -> dict:
    """Stages 2 and 3 of a loaded and validated job (the Python API builds jobs from objects)."""
    if scheduler not in SCHEDULERS:
        raise fail("scheduler", "", f"must be one of {', '.join(SCHEDULERS)}", scheduler)
    check_jobs(jobs, "jobs")
    if backend not in ("numba", "numpy"):
        raise fail("backend", "", "must be numba or numpy", backend)
    layers = hardware_layers(job)
    for engine in engines_used(layers):  # mapping and placement fit: fail before the long part
        engine.check(layers, job.spec)
    if job.graph.ann is not None:  # a hybrid's ANN: fits the PIM macros (ann.target: pim), NoC node
        ann_engine().check_ann(lower(job.graph.ann.graph), layers, job.spec)
    if before_run is not None:
        before_run(job)
    return cost_and_report(job, functional_trace(job, backend, progress, layers, jobs), timeline, scheduler)
