"""Regenerate tests/data/regression.json: the pinned figures of the shipped examples.

Run after an *intentional* model change and commit the new file in the same
commit, saying in its message what changed and why:

    python scripts/update_regression.py

tests/test_regression.py compares fresh runs with this file (relative 1e-9).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from regression_cases import CASES, figures  # noqa: E402

from accelsim.simulate import run_simulation  # noqa: E402


def main() -> None:
    out = {}
    for arch, workload in CASES:
        report = run_simulation(str(ROOT / arch), str(ROOT / workload))
        out[f"{arch}|{workload}"] = figures(report)
    path = ROOT / "tests" / "data" / "regression.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
