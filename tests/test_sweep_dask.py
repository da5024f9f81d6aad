"""Sweeps on Dask: a local cluster gives the same numbers; a real scheduler + two workers on loopback via --address."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from accelsim.cli import main  # noqa: E402
from accelsim.sweep import SweepSpec, parse_grid, run_sweep  # noqa: E402

GRID = ["pim.adc_bits=3,5", "core.lanes=2,8"]


def local_csv(tmp_path, arch_file, workload_file) -> str:
    spec = SweepSpec(str(arch_file), str(workload_file), parse_grid(GRID), backend="numpy")
    run_sweep(spec, tmp_path / "local", workers=1)
    return (tmp_path / "local" / "results.csv").read_text()


def test_local_dask_cluster_gives_identical_numbers(tmp_path, arch_file, workload_file):
    expected = local_csv(tmp_path, arch_file, workload_file)
    code = main(["sweep", str(arch_file), str(workload_file), *sum((["--grid", g] for g in GRID), []),
                 "-o", str(tmp_path / "dask"), "--executor", "dask", "--workers", "2", "--backend", "numpy", "-q"])
    assert code == 0
    assert (tmp_path / "dask" / "results.csv").read_text() == expected


def _dask_cli() -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    return [str(exe)] if exe.exists() else [shutil.which("dask") or "dask"]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_real_scheduler_and_worker_on_loopback(tmp_path, arch_file, workload_file):
    expected = local_csv(tmp_path, arch_file, workload_file)
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    logs = [open(tmp_path / "scheduler.log", "w"), open(tmp_path / "worker.log", "w")]
    scheduler = subprocess.Popen([*_dask_cli(), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(sched_file)],
                                 stdout=logs[0], stderr=subprocess.STDOUT, env=env)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline and scheduler.poll() is None:
            time.sleep(0.05)
        assert sched_file.exists(), (tmp_path / "scheduler.log").read_text()
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker = subprocess.Popen([*_dask_cli(), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                   "--no-dashboard", "--host", "127.0.0.1"],
                                  stdout=logs[1], stderr=subprocess.STDOUT, env=env)
        from dask.distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        code = main(["sweep", str(arch_file), str(workload_file), *sum((["--grid", g] for g in GRID), []),
                     "-o", str(tmp_path / "remote"), "--executor", "dask", "--address", address,
                     "--backend", "numpy", "-q"])
        assert code == 0
        assert (tmp_path / "remote" / "results.csv").read_text() == expected
    finally:
        if worker is not None:
            _stop(worker)
        _stop(scheduler)
        for f in logs:
            f.close()


def test_unreachable_scheduler_is_a_clean_error(capsys, tmp_path, arch_file, workload_file, monkeypatch):
    from accelsim.sweep import executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    code = main(["sweep", str(arch_file), str(workload_file), "--grid", "pim.adc_bits=3", "-o", str(tmp_path / "x"),
                 "--executor", "dask", "--address", "tcp://127.0.0.1:9", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "--address" in err and "cannot reach the Dask scheduler" in err
