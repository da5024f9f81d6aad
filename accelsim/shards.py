"""Many samples on every core: a run's samples split into shards, each simulated in a worker
process, the shards' traces merged into the trace of the whole run (bit for bit).

Why processes: the functional pass runs numba kernels (parallel over the samples of a
batch), numpy glue (counting, im2col, quantisers) and Python (the interpreter, the
step loop); only the kernels use a second core by themselves. A worker process per
core runs everything of its shard on that core. Each worker is pinned to one numba
thread and one BLAS/OpenMP thread (``jobs x 1`` threads: no oversubscription), is a
fresh interpreter (``python -c``: numba's and OpenMP's state does not survive ``fork``,
and nothing of the caller's ``__main__`` is re-run), gets its shard pickled on stdin,
returns its trace pickled on stdout, and ends when the run that started it is gone.

Determinism: shards are contiguous ranges of samples; a shard knows the global index of
its first sample (per-sample random numbers, such as the PIM model's ADC noise, are
keyed by it); every count is an exact integer and every score is per sample, so
:func:`accelsim.engine.merge.merge_traces` gives the same trace for any number of
workers (``tests/test_shards.py`` compares report.json of 1 and 2 workers).

How many workers (:func:`auto_trace`, ``jobs=None``): a process costs about a second to
start (Python, numpy, numba and its cached kernels) plus its copy of the graph, and the
numba kernels already use every core for a batch of samples in-process, so only long runs
gain. A run whose dense work is small (:func:`auto_jobs`: below :data:`PARALLEL_MIN_MACS`, or
fewer than two samples per worker) stays in-process; otherwise its first
:data:`PROBE_SAMPLES` samples run in-process and are timed, and the rest is split over the
cores when it would take at least :data:`PARALLEL_MIN_SECONDS` more, by a first timing
(which includes loading the kernels) and a second, warm one (the merged trace is
the same for any split, so the timing decides only how fast). ``jobs=N``
(``accelsim run --jobs N``) asks for N workers (at most one per sample); ``jobs=1`` runs
in-process.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional


from accelsim.config.arch import Arch
from accelsim.engine.functional import simulate
from accelsim.engine.merge import merge_traces
from accelsim.engine.trace import Trace
from accelsim.errors import InputError, fail
from accelsim.util import threads
from accelsim.workload.graph import Graph, Samples

POLL_S = 1.0   # how often a worker checks that the process that started it is alive (exit_with_parent)
THREAD_ENV = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Runs with fewer dense MACs (all layers, steps and samples) stay in-process without a probe: 5e10
# MACs is ~20 s of dense work on one core of the benchmark machine (ResNet-18 shape: 1.81 G MACs x 4
# steps per sample in ~3 s, docs/performance.md); spiking sparsity makes the real pass shorter
# (hsi_hybrid: 29 G dense MACs, ~2.5 s).
PARALLEL_MIN_MACS = 5e10
# The rest of a run is split when the probe predicts at least this much more work in-process: a
# worker costs ~1 s to start plus building its executors (ResNet-18's shape: a few seconds), so
# short runs gain nothing (ResNet-18 shape, 8 samples: 12.5 s in-process, 12.7 s in 2 workers;
# 100 samples: 152.5 s and 72.4 s; benchmarks/bench_batch.py, docs/performance.md). A stated default.
PARALLEL_MIN_SECONDS = 10.0
PROBE_SAMPLES = 2
MIN_SAMPLES_PER_JOB = 2


def dense_macs(graph: Graph, layers: list, samples: int) -> float:
    """Dense MACs of the run: per sample and step every layer's MACs (an upper bound of the
    event-driven work), times the steps and the samples."""
    return float(sum(l.macs for l in layers)) * graph.timesteps * samples


def auto_jobs(graph: Graph, layers: list, samples: int, available: Optional[int] = None) -> int:
    """The number of worker processes for a run (1: in-process); see the module docstring."""
    available = threads.cores() if available is None else available
    if available < 2 or samples < 2 * MIN_SAMPLES_PER_JOB or dense_macs(graph, layers, samples) < PARALLEL_MIN_MACS:
        return 1
    return max(1, min(available, samples // MIN_SAMPLES_PER_JOB))


def check_jobs(jobs: Any, where: str = "--jobs") -> Optional[int]:
    """``jobs`` as given by a user: None (automatic) or a positive integer."""
    if jobs is None:
        return None
    if type(jobs) is not int or jobs < 1:
        raise fail(where, "", "must be a positive integer (worker processes; omit it for automatic)", jobs)
    return jobs


def bounds(samples: int, jobs: int) -> list[tuple[int, int]]:
    """``jobs`` contiguous ranges covering ``0..samples-1``, sizes differing by at most one."""
    jobs = max(1, min(jobs, samples))
    q, r = divmod(samples, jobs)
    out, start = [], 0
    for i in range(jobs):
        stop = start + q + (i < r)
        out.append((start, stop))
        start = stop
    return out


@dataclass(frozen=True)
class Shard:
    """What a worker needs to simulate samples ``first .. first + len(x) - 1`` of a run."""

    graph: Graph
    layers: list
    arch: Arch
    data: Samples
    backend: str
    first: int


def trace_of(graph: Graph, data: Samples, layers: list, arch: Arch, backend: str, first: int = 0,
             progress: Optional[Callable[[int], None]] = None) -> Trace:
    """The trace of ``data`` (samples ``first ..`` of a run) simulated in this process, every layer
    through its engine's numerics."""
    from accelsim.hw.builtin import HardwareNumerics   # registers the shipped engines (in a worker too)

    return simulate(graph, data, backend=backend, progress=progress, layers=layers,
                    executors=HardwareNumerics(arch, layers), first_sample=first)


def run_shard(shard: Shard) -> Trace | InputError:
    """The shard's trace, or the InputError it raised (returned, so that a worker pickles it to the
    parent like a trace: an InputError pickles whole, :mod:`accelsim.errors`)."""
    try:
        return trace_of(shard.graph, shard.data, shard.layers, shard.arch, shard.backend, shard.first)
    except InputError as exc:   # raised again in the parent
        return exc


def pin_threads(n: int = 1) -> None:
    """``n`` numba threads and one BLAS thread for the rest of this process (a worker; through
    :func:`accelsim.util.threads.set_threads`, so the first GEMM does not apply the default)."""
    threads.set_threads(n, blas=1)


def exit_with_parent(parent: int) -> None:
    """A daemon thread ends this worker process as soon as the process ``parent`` that started it is
    gone (even by SIGKILL, which runs no cleanup): it checks every ``POLL_S``. Used by the shard
    workers and by the sweep's worker initializer (:mod:`accelsim.sweep.executors`)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="accelsim-parent-watch", daemon=True).start()


def worker_main() -> None:
    """A worker process: a pickled :class:`Shard` on stdin, its pickled result on stdout (see
    :func:`run_shard`; any other error as ``("error", text)``)."""
    exit_with_parent(os.getppid())
    out = os.fdopen(os.dup(1), "wb")     # the result's channel; anything else printed goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    pin_threads(1)
    shard = pickle.load(sys.stdin.buffer)
    try:
        result: Any = run_shard(shard)
    except Exception:   # noqa: BLE001 - handed to the parent, which raises it
        result = ("error", traceback.format_exc())
    pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.close()


def _worker() -> subprocess.Popen:
    """A fresh interpreter running :func:`worker_main` on this accelsim, one thread of each kind.
    A plain subprocess, not multiprocessing: nothing of the caller's ``__main__`` is re-run (a script
    calling ``accelsim.run`` needs no ``if __name__ == "__main__"`` guard)."""
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, **{k: "1" for k in THREAD_ENV}}
    env["PYTHONPATH"] = os.pathsep.join([root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return subprocess.Popen([sys.executable, "-c", "from accelsim.shards import worker_main; worker_main()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)


def _in_workers(shards: list[Shard], progress: Optional[Callable[[int], None]]) -> list[Any]:
    procs = [_worker() for _ in shards]
    try:
        for proc, shard in zip(procs, shards):   # a worker reads its whole shard before it starts
            pickle.dump(shard, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.close()
        results = []
        for proc, shard in zip(procs, shards):
            data = proc.stdout.read()
            if proc.wait() != 0 or not data:
                raise RuntimeError(f"a worker process of the functional pass failed (exit {proc.returncode})")
            results.append(pickle.loads(data))
            if progress is not None:
                progress(len(shard.data))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def auto_trace(graph: Graph, data: Samples, layers: list, arch: Arch, backend: str,
               progress: Optional[Callable[[int], None]] = None, available: Optional[int] = None) -> Trace:
    """The run's trace with the number of workers chosen automatically (see the module docstring):
    in-process, or a timed probe of the first samples in-process and the rest in workers."""
    available = threads.cores() if available is None else available
    n = len(data)
    probe = min(n, PROBE_SAMPLES)

    def here(a: int, b: int) -> Trace:
        return trace_of(graph, data.rows(a, b), layers, arch, backend, a, progress)

    jobs = auto_jobs(graph, layers, n - 2 * probe, available)   # workers for what is left after the probes
    if jobs == 1:
        return here(0, n)
    parts, done = [], 0
    for _ in range(2):   # the first probe also loads the kernels: the split needs a warm one too
        t0 = time.perf_counter()
        parts.append(here(done, done + probe))
        done += probe
        rest = (time.perf_counter() - t0) / probe * (n - done)
        if rest < PARALLEL_MIN_SECONDS:
            return merge_traces(parts + [here(done, n)], layers)
    tail = sharded_trace(graph, data, layers, arch, backend, jobs, progress, first=done)
    return merge_traces(parts + [tail], layers)


def sharded_trace(graph: Graph, data: Samples, layers: list, arch: Arch, backend: str, jobs: int,
                  progress: Optional[Callable[[int], None]] = None, inline: bool = False, first: int = 0) -> Trace:
    """The trace of samples ``first..`` from ``jobs`` shards in worker processes (``inline``: one after
    the other in this process, for tests), merged in sample order."""
    parts = [(first + a, first + b) for a, b in bounds(len(data) - first, jobs)]
    shards = [Shard(graph, layers, arch, data.rows(a, b), backend, a) for a, b in parts]
    results: list[Any] = [None] * len(shards)
    if inline:
        for i, s in enumerate(shards):
            results[i] = run_shard(s)
            if progress is not None:
                progress(len(s.data))
    else:
        results = _in_workers(shards, progress)
    for r in results:
        if isinstance(r, InputError):
            raise r
        if isinstance(r, tuple):
            raise RuntimeError(f"a worker of the functional pass failed:\n{r[1]}")
    return merge_traces(results, layers)
