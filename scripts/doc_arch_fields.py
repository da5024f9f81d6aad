#!/usr/bin/env python
"""Regenerate the field table of docs/arch-format.md from the pydantic models.

    python scripts/doc_arch_fields.py          # rewrites the part after <!-- FIELDS -->

tests/test_docs.py checks that every field of the architecture is in the table.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from accelsim.config.arch import Arch
from accelsim.util.io import atomic_write_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "arch-format.md"
MARK = "<!-- FIELDS -->"


def _default(field) -> str:
    if field.default is not PydanticUndefined:
        value = field.default
    elif field.default_factory is not None:
        value = field.default_factory()
    else:
        return "required"
    if isinstance(value, BaseModel):
        return "(section)"
    return f"`{value!r}`" if not isinstance(value, str) else f"`{value}`"


def rows(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += rows(ann, f"{prefix}{name}.")
            continue
        desc = (field.description or "").replace("|", "\\|")
        out.append(f"| `{prefix}{name}` | {_default(field)} | {desc} |")
    return out


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    head = text.split(MARK)[0]
    table = ["| key | default | meaning (unit) |", "| --- | --- | --- |"] + rows(Arch)
    atomic_write_text(DOC, head + MARK + "\n\n" + "\n".join(table) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
