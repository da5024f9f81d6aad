"""Run a sweep: validate every point, group them by trace, skip finished ones, run, record.

    spec = SweepSpec(arch_file, workload_file, parse_grid(items), samples=20)
    result = run_sweep(spec, "sweep/")       # writes sweep/results.csv

Points are grouped by their trace identity (derived from the engines' numerics
groups, :meth:`accelsim.sweep.validate.PointValidator.trace_identity`): one group =
one functional trace = one worker task; the group's points are costed from that
trace. :func:`trace_reuse` tells which swept keys re-run the functional pass.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable, Optional

from accelsim.version import __version__
from accelsim.util.io import output_dir
from accelsim.errors import fail
from accelsim.sweep import executors
from accelsim.sweep.evaluate import GroupTask, PointTask
from accelsim.sweep.grid import Axis, Point, grid_points, grid_size
from accelsim.sweep.store import FORMAT, JOURNAL, RESULTS, Journal, check_manifest, sha256_file, write_csv
from accelsim.sweep.validate import PointValidator, validate_points

CSV_EVERY_S = 2.0  # rewrite results.csv at most this often while running (always at the end),
                   # and at most 10% of the time: the journal, not the CSV, is what makes a sweep lossless


@dataclass(frozen=True)
class SweepSpec:
    arch_file: str
    workload_file: str
    axes: list[Axis]
    base_sets: tuple[tuple[str, Any], ...] = ()
    samples: Optional[int] = None
    inputs: Optional[str] = None
    backend: str = "numba"
    random_n: Optional[int] = None
    seed: int = 0


@dataclass
class SweepResult:
    points: int                   # design points in this sweep
    reused: int                   # finished in an earlier run, skipped
    ran: int                      # evaluated now
    failed: int                   # rows with status=error
    traces: int                   # functional traces computed now
    seconds: float
    csv: Path
    rows: list[dict] = field(default_factory=list)  # per point: "point" (its key) and the CSV row's values


def manifest(spec: SweepSpec) -> dict[str, Any]:
    return {
        "format": FORMAT, "version": 1,
        "arch_file": os.path.abspath(spec.arch_file), "arch_sha256": sha256_file(spec.arch_file),
        "workload_file": os.path.abspath(spec.workload_file), "workload_sha256": sha256_file(spec.workload_file),
        "samples": spec.samples, "inputs": os.path.abspath(spec.inputs) if spec.inputs else None,
        "inputs_sha256": sha256_file(spec.inputs) if spec.inputs else None,
        "backend": spec.backend, "sets": [[k, v] for k, v in spec.base_sets],
    }


def group_tasks(spec: SweepSpec, points: list[Point], identities: list[Hashable], todo: set[str],
                reuse: bool = True, reuse_ids: Optional[list[Hashable]] = None, workers: int = 1) -> list[GroupTask]:
    """Pending points as worker tasks, in grid order: points of one trace identity share a trace
    (``reuse``; else one trace per point); trace groups of one reuse identity (``reuse_ids``, e.g. an
    ADC sweep: the PIM's column sums) go to one task that computes what they share once, split
    round-robin over up to ``workers`` tasks so every worker has a share."""
    reuse_ids = reuse_ids if (reuse and reuse_ids is not None) else identities
    groups: dict[object, dict[object, list[PointTask]]] = {}
    for point, identity, rid in zip(points, identities, reuse_ids):
        if point.key in todo:
            key, sub = (rid, identity) if reuse else (point.key, point.key)
            groups.setdefault(key, {}).setdefault(sub, []).append(PointTask(point.key, point.values))
    arch = os.path.abspath(spec.arch_file)
    wl = os.path.abspath(spec.workload_file)
    inputs = os.path.abspath(spec.inputs) if spec.inputs else None
    tasks = []
    for subs in groups.values():
        traces = list(subs.values())
        k = max(1, min(workers, len(traces)))
        for w in range(k):
            mine = traces[w::k]
            tasks.append(GroupTask(arch, wl, spec.samples, inputs, spec.backend, spec.base_sets,
                                   tuple(p for pts in mine for p in pts),
                                   tuple(i for i, pts in enumerate(mine) for _ in pts)))
    return tasks


@dataclass(frozen=True)
class TraceReuse:
    """Which swept keys re-run the functional pass and which reuse traces (keys with one value: neither).

    ``rerun``: points that differ only in this key never share a trace; ``reuse``: the key's values
    share traces and no two points differing only in it have different traces; ``partly``: both
    happen (e.g. ``pim.adc_bits`` swept with ``pim.enabled``: it matters only on the PIM).
    """

    rerun: tuple[str, ...]
    reuse: tuple[str, ...]
    partly: tuple[str, ...]

    def __str__(self) -> str:
        parts = [f"re-runs the functional pass for: {', '.join(self.rerun) or '(none)'}",
                 f"reuses traces over: {', '.join(self.reuse) or '(none)'}"]
        if self.partly:
            parts.append(f"re-runs for some values of the other keys: {', '.join(self.partly)}")
        return "; ".join(parts)


def trace_reuse(axes: list[Axis], points: list[Point], identities: list[Hashable]) -> TraceReuse:
    """Classify every swept key by how the points' trace identities fall (see :class:`TraceReuse`).

    Each point is coded once as the indices of its values in their axes (``O(P * A)``; values
    told apart by type, as the grid tells ``1``, ``1.0`` and ``true`` apart), then per axis the
    points are bucketed by the other axes' codes: no JSON text per point and axis."""
    group: dict[Hashable, int] = {}
    gids = [group.setdefault(i, len(group)) for i in identities]
    index = [{(type(v), v): i for i, v in enumerate(a.values)} for a in axes]
    codes = [tuple(index[j][(type(v), v)] for j, (_, v) in enumerate(point.values)) for point in points]
    out: dict[str, list[str]] = {"rerun": [], "reuse": [], "partly": []}
    for j, axis in enumerate(axes):
        if len(axis.values) < 2:
            continue
        within: dict[int, set[int]] = {}           # trace group -> this key's values in it
        neighbours: dict[tuple, set[int]] = {}     # the other keys' values -> trace groups
        for code, g in zip(codes, gids):
            within.setdefault(g, set()).add(code[j])
            neighbours.setdefault(code[:j] + code[j + 1:], set()).add(g)
        shares = any(len(v) > 1 for v in within.values())
        splits = any(len(g) > 1 for g in neighbours.values())
        out["partly" if shares and splits else "reuse" if shares else "rerun"].append(axis.key)
    return TraceReuse(tuple(out["rerun"]), tuple(out["reuse"]), tuple(out["partly"]))


def record(stream, journal: Journal, total: int, progress: bool, write: Callable[[], Any]) -> int:
    """Journal results as they arrive; rewrite the CSV every CSV_EVERY_S (and <= 10 % of the time)."""
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=total, unit="pt", desc="sweep", smoothing=0.1)
    ran = 0
    last, took = time.monotonic(), 0.0
    try:
        for _task, entries in stream:
            journal.append(entries)
            ran += len(entries)
            if bar is not None:
                bar.update(len(entries))
            if time.monotonic() - last > max(CSV_EVERY_S, 10 * took):
                start = time.monotonic()
                write()
                last = time.monotonic()
                took = last - start
    finally:
        if bar is not None:
            bar.close()
    return ran


def run_sweep(spec: SweepSpec, out_dir: str | Path, executor: str = "local", workers: Optional[int] = None,
              address: Optional[str] = None, progress: bool = False, reuse_traces: bool = True,
              log: Callable[[str], None] = lambda s: None) -> SweepResult:
    """Run (or resume) a sweep into ``out_dir``; see docs/sweeps.md.

    ``reuse_traces=False`` computes a functional trace for every point (to check
    or benchmark trace reuse); the numbers are the same.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise fail(str(out), "", "output path exists and is not a folder")
    if spec.random_n is not None and spec.random_n < 1:
        raise fail("--random", "", "must be a positive integer", spec.random_n)
    if spec.samples is not None and spec.samples < 1:
        raise fail("--samples", "", "must be a positive integer", spec.samples)
    if not spec.axes:
        raise fail("--grid", "", "give at least one --grid KEY=V1,V2,...")
    if executor not in ("local", "dask"):
        raise fail("--executor", "", "must be local or dask", executor)
    if executor == "dask":
        executors.require_dask()
    points = grid_points(spec.axes, spec.random_n, spec.seed)
    validator = PointValidator(spec.arch_file, spec.workload_file, spec.base_sets)
    reuse_ids: list[Hashable] = []
    identities = validate_points(validator, spec.axes, points, reuse_ids)
    output_dir(out, "sweep folder")
    journal = Journal(out / JOURNAL)
    journal.lock()     # one sweep per folder, taken before sweep.json is checked or written
    keys = [p.key for p in points]
    swept = [a.key for a in spec.axes]
    try:
        check_manifest(out, manifest(spec))
        journal.open()
    except BaseException:
        journal.close()
        raise
    try:
        todo = {k for k in keys if not journal.done(k)}
        workers = workers or os.cpu_count() or 1
        tasks = group_tasks(spec, points, identities, todo, reuse_traces, reuse_ids,
                            workers if executor == "local" else len(points))
        reused = len(keys) - len(todo)
        log(f"sweep: {len(keys)} design points (grid of {grid_size(spec.axes)}), {reused} already done, "
            f"{len(todo)} to run in {sum(t.trace_count for t in tasks)} trace group(s); accelsim {__version__}")
        log(f"sweep: {trace_reuse(spec.axes, points, identities)}" if reuse_traces else
            "sweep: --no-reuse: one functional trace per point")
        if not tasks:
            stream: Any = iter(())
        elif executor == "dask":
            stream = executors.run_dask(tasks, address, workers)
        else:
            stream = executors.run_local(tasks, workers)
        ran = record(stream, journal, len(todo), progress, lambda: write_csv(out / RESULTS, keys, swept, journal))
    finally:
        try:
            write_csv(out / RESULTS, keys, swept, journal)
        finally:
            journal.close()   # releases the folder's lock
    rows = [{"point": k, **journal.entries[k]["row"]} for k in keys if k in journal.entries]
    failed = sum(1 for r in rows if r.get("status") != "ok")
    return SweepResult(points=len(keys), reused=reused, ran=ran, failed=failed,
                       traces=sum(t.trace_count for t in tasks),
                       seconds=time.perf_counter() - t0, csv=out / RESULTS, rows=rows)
