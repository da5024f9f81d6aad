"""Sweep faults: every Dask worker gone, a killed local sweep, two sweeps in one folder, and the
seeding rule that makes ``--samples N`` a prefix of the full run with PIM noise on."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.sweep.store import JOURNAL, MANIFEST, Journal

GRID = ["--grid", "pim.adc_bits=3,4,5,6", "--grid", "core.lanes=2,8"]


def journal_lines(out: Path) -> list[str]:
    path = out / JOURNAL
    return path.read_text().splitlines() if path.exists() else []


def test_dask_with_no_live_worker_fails_keeping_finished_points(tmp_path, arch_file, workload_file, capsys,
                                                                  monkeypatch):
    pytest.importorskip("distributed")
    from dask.distributed import LocalCluster

    from accelsim.sweep import executors

    out = tmp_path / "sweep"
    argv = ["sweep", str(arch_file), str(workload_file), *GRID, "-o", str(out), "--backend", "numpy", "-q"]
    assert main(argv + ["--workers", "1"]) == 0
    lines = journal_lines(out)
    (out / JOURNAL).write_text("\n".join(lines[:3]) + "\n")     # three points finished, five to run
    monkeypatch.setattr(executors, "NO_WORKER_TIMEOUT_S", 2.0)
    monkeypatch.setattr(executors, "POLL_S", 0.2)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:   # every worker gone
        t0 = time.monotonic()
        code = main(argv + ["--executor", "dask", "--address", cluster.scheduler_address])
        elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert code == 2 and "no Dask worker alive for 2 s" in err and "run the same command again" in err
    assert elapsed < 30
    assert journal_lines(out) == lines[:3]
    rows = (out / "results.csv").read_text().splitlines()
    assert len(rows) == 1 + 3


def _session_processes(sid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":   # session id; zombies are already dead
            pids.append(int(entry))
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_killed_local_sweep_leaves_no_orphan(tmp_path, arch_file, workload_file):
    out = tmp_path / "sweep"
    steps = ",".join(str(t) for t in range(1, 41))
    cmd = [sys.executable, "-m", "accelsim", "sweep", str(arch_file), str(workload_file), "--grid",
           f"workload.timesteps={steps}", "-o", str(out), "--workers", "2", "--backend", "numpy", "-q"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sid = proc.pid
    try:
        deadline = time.monotonic() + 120
        while len(journal_lines(out)) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        assert len(_session_processes(sid)) >= 3      # the sweep, its workers (and the resource tracker)
        os.kill(proc.pid, signal.SIGKILL)             # the sweep alone, as an OOM killer would
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while _session_processes(sid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _session_processes(sid)
        assert not left, f"orphans: {[Path(f'/proc/{p}/cmdline').read_bytes()[:80] for p in left]}"
    finally:
        try:
            os.killpg(sid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_second_sweep_in_a_locked_folder_writes_nothing(tmp_path, arch_file, workload_file, capsys):
    out = tmp_path / "sweep"
    out.mkdir()
    holder = Journal(out / JOURNAL)
    holder.lock()      # another sweep is starting in this folder and has not written sweep.json yet
    try:
        code = main(["sweep", str(arch_file), str(workload_file), *GRID, "-o", str(out), "-q"])
    finally:
        holder.close()
    assert code == 2 and "another accelsim sweep is writing to this folder" in capsys.readouterr().err
    assert not (out / MANIFEST).exists()


def test_samples_prefix_with_pim_noise(arch_file, workload_file, tiny_workload, monkeypatch):
    """Seeding rule: the noise of sample i depends on (pim.seed, the layer, i, the call), never on how
    many samples run or how they are batched; so --samples N gives the first N samples' results of
    the full run."""
    from accelsim.simulate import functional_trace, prepare

    rng = np.random.default_rng(1)
    tiny_workload.samples = {"x": rng.random((40,) + tuple(tiny_workload.samples["x"].shape[1:])),
                             "y": rng.integers(0, 3, 40)}
    tiny_workload.write()
    sets = ["pim.adc_noise_lsb=0.8", "pim.conductance_sigma=0.1", "pim.adc_offset_lsb=0.5", "pim.seed=7"]
    from accelsim.engine import functional

    monkeypatch.setattr(functional, "BATCH_BYTES", 10_000)   # the full run in batches of a few samples
    full = functional_trace(prepare(str(arch_file), str(workload_file), sets))
    monkeypatch.undo()                                          # the prefixes in one batch each
    for n in (1, 7, 33):
        part = functional_trace(prepare(str(arch_file), str(workload_file), sets, samples=n))
        assert np.array_equal(part.scores, full.scores[:n])
    quiet = functional_trace(prepare(str(arch_file), str(workload_file)))
    assert not np.array_equal(quiet.scores, full.scores)      # the noise is on


def test_a_local_sweep_ends_its_idle_workers_with_every_result_kept(tmp_path, arch_file, workload_file, monkeypatch):
    """Once every result is in, the local executor terminates its idle worker processes (their
    interpreter shutdown cost ~0.3 s per sweep, docs/performance.md) instead of waiting for them to
    exit: they end by SIGTERM, nothing is left running and no point is lost."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from accelsim.sweep import SweepSpec, executors, parse_grid, run_sweep

    seen = []

    class Recording(ProcessPoolExecutor):
        def shutdown(self, *args, **kwargs):
            seen.extend((getattr(self, "_processes", None) or {}).values())
            return super().shutdown(*args, **kwargs)

    monkeypatch.setattr(executors, "ProcessPoolExecutor", Recording)
    res = run_sweep(SweepSpec(str(arch_file), str(workload_file), parse_grid(["pim.adc_bits=3,4,5,6"]), samples=4),
                    tmp_path / "s", workers=2)
    assert res.failed == 0 and res.ran == res.points == 4 and res.traces == 4
    assert len(seen) == 2 and all(p.exitcode == -signal.SIGTERM for p in seen)
    assert multiprocessing.active_children() == []
