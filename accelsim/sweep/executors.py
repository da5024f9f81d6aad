"""Where trace groups run: in-process, local worker processes, or a Dask cluster.

Every executor yields ``(task, entries)`` as groups finish, in completion order;
a group whose worker failed outright yields error entries for its points, so
the sweep always goes on.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Iterator, Optional

from accelsim.errors import fail
from accelsim.util.threads import cores
from accelsim.sweep.evaluate import GroupTask, error_row, run_group

Result = tuple[GroupTask, list[dict]]
CONNECT_TIMEOUT_S = 30.0   # how long to wait for a Dask scheduler given by --address
MP_START = "spawn"   # not fork: numba/OpenMP state does not survive fork()
NO_WORKER_TIMEOUT_S = 60.0   # a Dask sweep with no live worker for this long fails (finished points are kept)
POLL_S = 1.0                 # how often a Dask sweep checks its workers (a worker its parent: shards.POLL_S)


def failed(task: GroupTask, message: str) -> Result:
    return task, [{"point": p.key, "values": dict(p.values), "row": error_row(message)} for p in task.points]


def run_inline(tasks: list[GroupTask]) -> Iterator[Result]:
    for task in tasks:
        yield task, run_group(task)


def _exit_with_parent(parent: int, threads: int = 0) -> None:
    """Worker initializer: a daemon thread ends the worker as soon as the sweep that started it is
    gone (even by SIGKILL, which runs no cleanup), so no worker outlives its sweep; the resource
    tracker then ends too, its last user gone. ``threads``: numba and BLAS threads of the worker
    (its share of the cores, so the workers together do not oversubscribe them; 0: unchanged)."""
    from accelsim.shards import exit_with_parent, pin_threads
    if threads:
        pin_threads(threads)
    exit_with_parent(parent)


def run_local(tasks: list[GroupTask], workers: int) -> Iterator[Result]:
    """Worker processes (spawned: no state inherited from the parent besides the task), ended once
    every result is in."""
    if workers <= 1 or len(tasks) <= 1:
        yield from run_inline(tasks)
        return
    ctx = multiprocessing.get_context(MP_START)
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx,
                             initializer=_exit_with_parent,
                             initargs=(os.getpid(), max(1, cores() // min(workers, len(tasks))))) as pool:
        futures = {pool.submit(run_group, t): t for t in tasks}
        for fut in as_completed(futures):
            task = futures[fut]
            try:
                yield task, fut.result()
            except Exception as exc:  # a worker died (BrokenProcessPool) or could not pickle
                yield failed(task, f"worker failed: {type(exc).__name__}: {exc}")
        # every result is in: end the idle workers rather than wait for their interpreters' shutdown
        # (numba and LLVM teardown, ~0.3 s at the end of every sweep on the project machine)
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()


def require_dask() -> None:
    """Fail with a clear message when the optional Dask extra is not installed."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise fail("--executor", "dask", "needs Dask, an optional extra: pip install 'accelsim[dask]' "
                   "(dask[distributed])") from None


def dask_client(address: Optional[str], workers: int):
    """A distributed Client: connected to ``address``, or to a new local cluster."""
    require_dask()
    from dask.distributed import Client, LocalCluster

    if address:
        try:
            return Client(address, timeout=CONNECT_TIMEOUT_S), None
        except (OSError, TimeoutError) as exc:
            raise fail("--address", "", f"cannot reach the Dask scheduler: {exc}", address) from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def _completed(client, futures: list) -> Iterator:
    """``futures`` as they finish (those finishing together in submission order: sorted per poll,
    not a scan of all futures per poll); fails when the cluster has had no worker for
    :data:`NO_WORKER_TIMEOUT_S` (Dask itself would wait for one forever)."""
    from dask.distributed import wait

    order = {f: i for i, f in enumerate(futures)}
    pending, idle_since = set(futures), None
    while pending:
        try:
            done, pending = wait(pending, timeout=POLL_S, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        yield from sorted(done, key=order.__getitem__)
        if done or not pending:
            idle_since = None
            continue
        if client.nthreads():
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > NO_WORKER_TIMEOUT_S:
            raise fail("--executor", "dask", f"no Dask worker alive for {NO_WORKER_TIMEOUT_S:.0f} s with "
                       f"{len(pending)} trace group(s) left; finished points are kept in the journal, run the "
                       "same command again to resume")


def run_dask(tasks: list[GroupTask], address: Optional[str], workers: int) -> Iterator[Result]:
    """Each group is one Dask task. Workers must see the arch and workload files at the same paths."""
    client, cluster = dask_client(address, workers)
    from dask.distributed import as_completed as dask_completed

    try:
        futures = {client.submit(run_group, t, pure=False): t for t in tasks}
        for fut in _completed(client, list(futures)):
            task = futures[fut]
            try:
                yield task, fut.result()
            except Exception as exc:  # worker lost, task erred outside run_group's own handling
                yield failed(task, f"dask worker failed: {type(exc).__name__}: {exc}")
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
