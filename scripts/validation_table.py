#!/usr/bin/env python
"""Regenerate the reference-point table of docs/validation.md from the model.

    python scripts/validation_table.py          # rewrites the part after <!-- TABLE -->

Every row the PIM macro model expresses (tests/data/validation/cim_points.yaml): the
reference, the model's value, the error and whether the row was fitted, is an input,
derived from published parameters or predicted; then the error summary.
"""
from __future__ import annotations

from pathlib import Path

from accelsim.hw.pim.validation import compare, mean_abs_error
from accelsim.util.io import atomic_write_text

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "validation.md"
DATA = ROOT / "tests" / "data" / "validation"
MARK = "<!-- TABLE -->"
EFFICIENCY = ("energy_efficiency", "energy per MAC")
THROUGHPUT = ("throughput",)


def _g(x: float) -> str:
    return f"{x:.4g}"


def table() -> str:
    cs = compare(DATA / "cim_points.yaml", DATA / "cim_macros_reference.csv", ROOT)
    lines = ["| row | macro | source | condition | metric | reference | model | error | kind |",
             "|---:|---|---|---|---|---:|---:|---:|---|"]
    for c in cs:
        cond = c.conditions.replace("|", "/")
        if len(cond) > 60:
            cond = cond[:57] + "..."
        lines.append(f"| {c.row} | {c.macro} | {c.paper_source} | {cond} | {c.metric} ({c.unit.split(' (')[0]}) | "
                     f"{_g(c.reference)} | {_g(c.model)} | {100 * c.error:+.1f} % | {c.kind} |")
    nf = [c for c in cs if c.kind in ("predicted", "derived")]

    def mae(group, metrics):
        errs = [abs(c.error) for c in group if c.metric.startswith(metrics)]
        return f"{100 * sum(errs) / len(errs):.1f} % ({len(errs)} points)"
    pred = [c for c in cs if c.kind == "predicted"]
    worst = max(pred, key=lambda c: abs(c.error))
    lines += ["", "| error summary | energy efficiency (TOPS/W, fJ/MAC) | throughput (TOPS) |", "|---|---|---|",
              f"| MAE, predicted points | {mae(pred, EFFICIENCY)} | {mae(pred, THROUGHPUT)} |",
              f"| MAE, predicted + derived points | {mae(nf, EFFICIENCY)} | {mae(nf, THROUGHPUT)} |",
              f"| target | 10 % | 5 % |", "",
              f"Worst predicted point: row {worst.row} ({worst.macro}, {worst.metric}): {100 * worst.error:+.1f} %. "
              f"Points: {len(cs)} ({', '.join(f'{k} {sum(c.kind == k for c in cs)}' for k in ('predicted', 'derived', 'fitted', 'input', 'duplicate'))})."]
    assert abs(mean_abs_error(cs, EFFICIENCY) - sum(abs(c.error) for c in pred if c.metric.startswith(EFFICIENCY))
               / sum(c.metric.startswith(EFFICIENCY) for c in pred)) < 1e-12
    return "\n".join(lines) + "\n"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    head = text.split(MARK)[0]
    tail = text.split(MARK, 2)[2] if text.count(MARK) >= 2 else ""
    atomic_write_text(DOC, f"{head}{MARK}\n\n{table()}\n{MARK}{tail}")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
