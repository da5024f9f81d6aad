"""OpenBLAS's idle threads sleep at once under accelsim's OPENBLAS_THREAD_TIMEOUT default, so BLAS
may use the cores numba's kernels use at other moments (accelsim/util/blasenv.py, util/threads.py).
Each case runs in a fresh interpreter: OpenBLAS reads the variable when it loads."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from accelsim.util import blasenv, threads

PROBE = r"""
import json, os, resource, sys, time
import accelsim
import numpy as np
from accelsim.util import blasenv, threads
threads._load = lambda: 0.0     # as on a quiet machine (the load rule: tests/test_gemm.py)
n = threads.set_threads(None)
a = np.random.default_rng(0).random((400, 400))
cpu = lambda: (lambda r: r.ru_utime + r.ru_stime)(resource.getrusage(resource.RUSAGE_SELF))
idle = []
for _ in range(ROUNDS):
    a @ a                       # a GEMM on threads.blas_threads() threads, then nothing
    c0 = cpu()
    time.sleep(0.25)
    idle.append(cpu() - c0)     # CPU time the process used while it had nothing to do
print(json.dumps({"numba": n, "blas": threads.blas_threads(), "sleeps": blasenv.blas_sleeps(),
                  "timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT"), "idle": idle}))
"""


def _probe(env_timeout=None, numpy_first=False, idle=False):
    """The probe's figures; ``idle``: also the CPU time while asleep after GEMMs (3 rounds)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_THREAD_TIMEOUT", "ACCELSIM_THREADS")}
    if env_timeout is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = env_timeout
    code = ("import numpy\n" if numpy_first else "") + f"ROUNDS = {3 if idle else 0}\n" + PROBE
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(threads.cores() < 2, reason="BLAS on more than one thread needs two cores")
def test_default_timeout_lets_blas_use_every_core_and_sleep_after():
    r = _probe(idle=True)
    assert r["timeout"] == str(blasenv.TIMEOUT_DEFAULT) and r["sleeps"]
    assert r["blas"] == r["numba"] == min(threads.cores(), r["numba"]) and r["blas"] >= 2
    assert min(r["idle"]) < 0.01          # asleep: no core held (spinning, 2^28 cycles, used ~40 ms here)


def test_environment_wins_and_late_numpy_keeps_one_blas_thread():
    r = _probe("30")                      # the user's long spin: BLAS may not share the cores
    assert r["timeout"] == "30" and not r["sleeps"] and r["blas"] == 1
    r = _probe(numpy_first=True)          # numpy's OpenBLAS loaded before accelsim set the default
    assert not r["sleeps"] and r["blas"] == 1


def test_timeout_parsing_follows_openblas():
    assert blasenv._parse("4") == 4 and blasenv._parse("2") == 4 and blasenv._parse("99") == 30
    assert blasenv._parse("0") == blasenv._parse("junk") == blasenv.OPENBLAS_DEFAULT_TIMEOUT


@pytest.mark.skipif(threads.cores() < 2, reason="two threads need two cores")
@pytest.mark.parametrize("arch", ["ace_snn_pim", "digital_only"])
def test_report_is_the_same_with_blas_on_one_or_two_threads(arch):
    """Every BLAS call of a run (the exact GEMM path, the report's real-valued products) gives the
    same bits on one or two BLAS threads: the whole report of a shipped example is equal."""
    from pathlib import Path

    from accelsim.simulate import run_simulation

    root = Path(__file__).resolve().parent.parent
    args = (str(root / "arch_configs" / f"{arch}.yaml"), str(root / "workloads" / "digits" / "workload.json"))
    with threads.limited(1, blas=1):
        one = run_simulation(*args)
    with threads.limited(2, blas=2):
        two = run_simulation(*args)
    assert json.dumps(one, sort_keys=True, default=str) == json.dumps(two, sort_keys=True, default=str)
