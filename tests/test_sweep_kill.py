"""SIGKILL a running sweep, run the same command again: every point exactly once, none recomputed."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

from accelsim.sweep.store import JOURNAL

STEPS = list(range(1, 31))
GRID = ["--grid", "workload.timesteps=" + ",".join(map(str, STEPS)), "--grid", "tech.clock_mhz=100,200"]
TOTAL = 2 * len(STEPS)     # 30 trace groups of 2 cost-only points each


def journal_keys(out):
    path = out / JOURNAL
    if not path.exists():
        return []
    keys = []
    for line in path.read_text().splitlines():
        try:
            keys.append(json.loads(line)["point"])
        except json.JSONDecodeError:
            pass   # a torn last line
    return keys


def test_sigkill_mid_run_then_resume(tmp_path, arch_file, workload_file):
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "accelsim", "sweep", str(arch_file), str(workload_file), *GRID, "-o", str(out),
           "--workers", "1", "--backend", "numpy", "-q"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(journal_keys(out)) < 4 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        os.killpg(proc.pid, signal.SIGKILL)      # the sweep and anything it started
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    before = journal_keys(out)
    assert 4 <= len(before) < TOTAL
    assert len(before) == len(set(before))

    done = subprocess.run(cmd[:-1], capture_output=True, text=True, timeout=120)   # same command, not quiet
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} already done" in done.stderr
    after = journal_keys(out)
    assert after[: len(before)] == before                 # finished points kept, not recomputed...
    assert len(after) == len(set(after)) == TOTAL          # ...and every point exactly once
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == TOTAL and len({r["point"] for r in rows}) == TOTAL
    assert all(r["status"] == "ok" and float(r["energy_pj"]) > 0 for r in rows)
    assert [int(r["workload.timesteps"]) for r in rows] == [t for t in STEPS for _ in (100, 200)]
