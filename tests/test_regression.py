"""Pinned figures of the shipped examples on both shipped architectures.

An intentional model change regenerates tests/data/regression.json with
``python scripts/update_regression.py`` in the same commit and says why in the
commit message; any other difference is a regression.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from regression_cases import CASES, figures
from accelsim.simulate import run_simulation

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = json.loads((ROOT / "tests" / "data" / "regression.json").read_text(encoding="utf-8"))
REL = 1e-9


def _compare(got, want, path: str, out: list[str]) -> None:
    if isinstance(want, dict):
        if set(got) != set(want):
            out.append(f"{path}: keys {sorted(got)} != {sorted(want)}")
            return
        for k in want:
            _compare(got[k], want[k], f"{path}.{k}", out)
    elif want is None or isinstance(want, str):
        if got != want:
            out.append(f"{path}: {got!r} != {want!r}")
    elif not math.isclose(got, want, rel_tol=REL, abs_tol=1e-12):
        out.append(f"{path}: {got!r} != {want!r} (rel {abs(got - want) / max(abs(want), 1e-300):.3g})")


@pytest.mark.parametrize("arch,workload", CASES, ids=[f"{a.split('/')[-1][:-5]}-{w.split('/')[1]}" for a, w in CASES])
def test_shipped_example_figures_are_unchanged(arch, workload):
    report = run_simulation(str(ROOT / arch), str(ROOT / workload))
    diffs: list[str] = []
    _compare(figures(report), EXPECTED[f"{arch}|{workload}"], "", diffs)
    assert not diffs, "figures changed (regenerate with scripts/update_regression.py if intended):\n" + "\n".join(diffs[:20])
