"""The documentation stays in step with the code."""
from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import arch_fields

ROOT = Path(__file__).resolve().parent.parent


def test_every_arch_field_is_documented():
    doc = (ROOT / "docs" / "arch-format.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([\w.]+)` \|", doc, re.M))
    missing = [k for k, _ in arch_fields() if k not in documented]
    assert not missing, f"run scripts/doc_arch_fields.py; undocumented: {missing}"
    assert "pim.adc_bits" in documented and "core.count" in documented


def test_readme_links_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / link).is_file(), link


# The project's own text: what a reader of the repository has in hand.
TEXT_DIRS = ("accelsim", "docs", "benchmarks", "scripts", "tests", "arch_configs", "workloads")
TEXT_FILES = ("README.md", "setup.cfg", "pyproject.toml")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".cfg", ".toml", ".txt", ".csv"}
# design notes kept outside the repository (three upper-case names + .md, or the folder beside it)
OUTSIDE = re.compile(r"\b(?:DESIGN|SEEDS|STYLE)\.md\b|\.\./shared\b")


def _text_files() -> list[Path]:
    files = [ROOT / f for f in TEXT_FILES if (ROOT / f).is_file()]
    for d in TEXT_DIRS:
        files += [p for p in sorted((ROOT / d).rglob("*"))
                  if p.suffix in TEXT_SUFFIXES and p.is_file() and "__pycache__" not in p.parts]
    return files


def test_docs_cite_nothing_outside_the_repo():
    files = _text_files()
    assert len(files) > 50 and ROOT / "docs" / "models.md" in files
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
            for p in files
            for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
            if OUTSIDE.search(line)]
    assert not hits, "references to files outside the repository:\n" + "\n".join(hits)
