"""accelsim.util.heap: freed memory kept by glibc's allocator in accelsim's own processes.

Each case runs in a fresh interpreter (the setting lasts for the process): after a 64 MiB array
is freed, filling a new one of the same size faults in (almost) no new pages when freed memory
is kept, and one fault per 4 KiB page when it is not (numpy's huge-page advice off, so that a
page is 4 KiB in both)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, resource, sys
import numpy as np
from accelsim.util import heap
kept = heap.keep_freed_memory() if sys.argv[1] == "keep" else False
a = np.ones(8 * 2**20); del a            # 64 MiB, freed
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
b = np.ones(8 * 2**20)
print(json.dumps({"kept": kept, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""


def _probe(mode: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**clean, "PYTHONPATH": str(ROOT), "NUMPY_MADVISE_HUGEPAGE": "0", **env})
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_memory_is_reused_without_new_page_faults():
    kept = _probe("keep")
    if not kept["kept"]:
        pytest.skip("this C library has no mallopt")
    pages = 64 * 2**20 // 4096
    assert kept["faults"] < pages // 10
    assert _probe("default")["faults"] >= pages * 9 // 10


def test_environment_tuning_is_left_alone():
    assert _probe("keep", MALLOC_MMAP_MAX_="65536")["kept"] is False
    assert _probe("keep", GLIBC_TUNABLES="glibc.malloc.trim_threshold=1")["kept"] is False
