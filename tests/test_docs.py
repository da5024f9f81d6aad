"""The documentation stays in step with the code."""
from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from accelsim.config.arch import Arch

ROOT = Path(__file__).resolve().parent.parent


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _keys(ann, f"{prefix}{name}.")
        else:
            out.append(prefix + name)
    return out


def test_every_arch_field_is_documented():
    doc = (ROOT / "docs" / "arch-format.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([\w.]+)` \|", doc, re.M))
    missing = [k for k in _keys(Arch) if k not in documented]
    assert not missing, f"run scripts/doc_arch_fields.py; undocumented: {missing}"
    assert "pim.adc_bits" in documented and "core.count" in documented


def test_readme_links_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / link).is_file(), link
