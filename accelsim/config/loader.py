"""Load → validate → build for architecture files.

``load_arch(path, sets)`` reads YAML, applies dotted ``--set`` overrides, validates
into a frozen :class:`Arch` (all problems at once), runs the cross-field rules and
loads the technology table. Errors are :class:`accelsim.errors.InputError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pydantic

from accelsim.config.arch import Arch
from accelsim.util import reader
from accelsim.util.dotted import NotAMapping, set_all
from accelsim.util.pydantic_errors import problems_from
from accelsim.config.rules import ARCH_RULES
from accelsim.tech.table import TechTable, load_tech
from accelsim.errors import InputError, Problem, fail


@dataclass(frozen=True)
class ArchSpec:
    """A validated architecture with its technology table."""

    arch: Arch
    tech: TechTable
    source: str


def read_yaml(path: str | Path) -> Any:
    """The architecture YAML through the bounded reader (:mod:`accelsim.util.reader`)."""
    return reader.read_yaml(path, "architecture file (YAML)")


def parse_set(item: str) -> tuple[str, Any]:
    """``"pim.adc_bits=4"`` → ``("pim.adc_bits", 4)`` (value parsed as YAML)."""
    if "=" not in item:
        raise fail("--set", item, "expected KEY=VALUE with a dotted key, e.g. pim.adc_bits=4")
    key, text = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise fail("--set", key, "expected a dotted key such as pim.adc_bits")
    value = reader.parse_yaml(text, f"--set {key}", raw_on_syntax_error=True) if text.strip() else ""
    return key, value


def apply_sets(raw: dict, sets: Iterable[tuple[str, Any]], file: str) -> dict:
    """``raw`` with dotted keys set (copy-on-write: ``raw`` is never mutated, see
    :mod:`accelsim.util.dotted`); a path through a non-mapping fails."""
    try:
        return set_all(raw, sets)
    except NotAMapping as exc:
        raise fail(file, exc.prefix, f"is not a section; cannot set {exc.key} inside it", exc.value) from None


def validate_arch_dict(raw: Any, file: str) -> Arch:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise fail(file, "", "expected a mapping of sections (tech, pim, core, noc, memory)", raw)
    try:
        arch = Arch.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise InputError(problems_from(exc, Arch, file)) from None
    problems = [Problem(file, path, msg, value) for rule in ARCH_RULES for path, value, msg in rule(arch)]
    if problems:
        raise InputError(problems)
    return arch


def load_arch(path: str | Path, sets: Iterable[str | tuple[str, Any]] = ()) -> ArchSpec:
    file = str(path)
    raw = read_yaml(path)
    pairs = [parse_set(s) if isinstance(s, str) else s for s in sets]
    pairs = [(k, v) for k, v in pairs if not k.startswith("workload.")]
    if pairs:
        if raw is not None and not isinstance(raw, dict):
            raise fail(file, "", "expected a mapping of sections", raw)
        raw = apply_sets(raw or {}, pairs, file)
    return spec_from_raw(raw, file, {k for k, _ in pairs})


def spec_from_raw(raw: Any, file: str, set_keys: Iterable[str] = ()) -> ArchSpec:
    """Validate an architecture mapping (``--set`` keys already applied) and load its technology
    table at its node and supply; problems at ``set_keys`` say they came from ``--set``."""
    set_keys = set(set_keys)
    try:
        arch = validate_arch_dict(raw, file)
        tech = load_tech(arch.tech.node, arch.tech.overrides, file=file, vdd=arch.tech.vdd)
    except InputError as exc:  # say which values came from the command line, not from the file
        raise InputError([Problem(p.file, p.path, f"{p.message} (set by --set {p.path})", p.value)
                          if p.path in set_keys else p for p in exc.problems]) from None
    return ArchSpec(arch=arch, tech=tech, source=file)
