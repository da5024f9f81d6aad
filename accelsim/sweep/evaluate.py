"""Evaluate one trace group: one functional trace, then every design point's cost from it.

Runs inside a worker (a local process or a Dask worker), so it takes one
picklable :class:`GroupTask` and returns plain rows. Points of a group share
their trace identity (their workload values and every engine's numerics group,
:meth:`accelsim.sweep.validate.PointValidator.trace_identity`), so the trace of
the first is the trace of all; only
:func:`accelsim.simulate.cost_and_report` runs per point. A failure is recorded
in the point's row (``status=error``) and the other points go on.
"""
from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, replace
from typing import Any, Optional

from accelsim.errors import InputError


@dataclass(frozen=True)
class PointTask:
    key: str
    values: tuple[tuple[str, Any], ...]   # swept (key, value) pairs, validated up front


@dataclass(frozen=True)
class GroupTask:
    arch_file: str
    workload_file: str
    samples: Optional[int]
    inputs: Optional[str]
    backend: str
    base_sets: tuple[tuple[str, Any], ...]
    points: tuple[PointTask, ...]
    traces: tuple[int, ...] = ()          # per point, its trace group in the task (empty: one trace)

    @property
    def trace_count(self) -> int:
        return len(set(self.traces)) if self.traces else 1


def error_text(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return exc.format().removeprefix("error: ")
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def metrics_row(report: dict[str, Any]) -> dict[str, Any]:
    """Headline metrics of a report as one CSV row (read from report.json keys only)."""
    pi = report["per_inference"]
    row: dict[str, Any] = {
        "status": "ok", "error": "",
        "energy_pj": pi["energy_pj"], "latency_ns": pi["latency_ns"], "edp_pj_ns": pi["edp_pj_ns"],
        "accuracy": report.get("accuracy"), "timesteps": report["timesteps"], "samples": report["samples"],
    }
    for comp, e in report["energy_breakdown_pj"].items():
        row[f"energy_pj.{comp}"] = e
    if "real_time" in report:  # the workload declares step_s: average power, total and per engine
        for engine, w in report["real_time"]["power_w"].items():
            row["power_w" if engine == "total" else f"power_w.{engine}"] = w
    for name, b in (report.get("baselines") or {}).items():
        if b.get("kind", "cnn") == "cnn" and b.get("cnn_over_snn") is not None:
            row[f"cnn_over_snn.{name}"] = b["cnn_over_snn"]
    return row


def checked(row: dict[str, Any]) -> dict[str, Any]:
    """The row, or an error row when a metric is NaN or infinite (a cost-model bug, never a number to plot)."""
    bad = [k for k, v in row.items() if isinstance(v, float) and not math.isfinite(v)]
    return error_row(f"non-finite metric(s): {', '.join(bad)}") if bad else row


def error_row(message: str) -> dict[str, Any]:
    return {"status": "error", "error": message}


def run_group(task: GroupTask) -> list[dict[str, Any]]:
    """Journal entries (``point``, ``values``, ``row``) for every point of the group: per trace
    group one functional trace (:class:`accelsim.sweep.adc_reuse.GroupTraces`: what the trace
    groups share is computed once), then every point's cost from it."""
    from accelsim.simulate import cost_and_report, functional_trace, prepare
    from accelsim.sweep.adc_reuse import GroupTraces
    from accelsim.sweep.validate import PointValidator, split_pairs

    first = task.points[0]
    try:
        job = prepare(task.arch_file, task.workload_file, task.base_sets + first.values, task.samples, task.inputs)
        validator = PointValidator(task.arch_file, task.workload_file, task.base_sets)
        traces = GroupTraces() if task.trace_count > 1 else None   # nothing to share with one trace
    except Exception as exc:  # the whole group fails with its trace
        msg = "functional trace: " + error_text(exc)
        return [{"point": p.key, "values": dict(p.values), "row": error_row(msg)} for p in task.points]
    groups: dict[int, list[PointTask]] = {}
    for p, g in zip(task.points, task.traces or [0] * len(task.points)):
        groups.setdefault(g, []).append(p)
    out = []
    for pts in groups.values():
        try:
            spec = job.spec if pts[0] is first else validator.arch_spec(split_pairs(pts[0].values)[0])
            trace = functional_trace(replace(job, spec=spec, reuse=traces), task.backend)
        except Exception as exc:  # this trace group fails with its trace
            msg = "functional trace: " + error_text(exc)
            out += [{"point": p.key, "values": dict(p.values), "row": error_row(msg)} for p in pts]
            continue
        for p in pts:
            try:
                spec = validator.arch_spec(split_pairs(p.values)[0])
                row = checked(metrics_row(cost_and_report(replace(job, spec=spec, pipeline=False), trace)))
            except Exception as exc:
                row = error_row(error_text(exc))
            out.append({"point": p.key, "values": dict(p.values), "row": row})
    return out
