"""Dotted keys on nested mappings: the one setter behind ``--set``, ``--grid``, and tech-table
overrides (``pim.adc_bits`` sets ``tree["pim"]["adc_bits"]``).

:func:`set_dotted` is copy-on-write: it returns a new tree in which only the
mappings along the key's path are copied; the input, and every branch off the
path, is shared and never mutated (validating a design point cannot change the
arch it starts from). A missing (or null) section on the path is created; a
path through a value that is not a mapping raises :class:`NotAMapping`, which
the callers turn into their own problem message.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping


class NotAMapping(ValueError):
    """``key``'s path goes through ``prefix``, which holds ``value``, not a mapping."""

    def __init__(self, key: str, prefix: str, value: Any):
        self.key, self.prefix, self.value = key, prefix, value
        super().__init__(f"{prefix} = {value!r} is not a section; cannot set {key} inside it")


def set_dotted(tree: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of ``tree`` with the dotted ``key`` set to ``value`` (copy-on-write, see the module)."""
    parts = key.split(".")
    out = dict(tree)
    node = out
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = {}
        elif isinstance(child, Mapping):
            child = dict(child)
        else:
            raise NotAMapping(key, ".".join(parts[: i + 1]), child)
        node[part] = child
        node = child
    node[parts[-1]] = value
    return out


def set_all(tree: Mapping[str, Any], pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """``tree`` with every dotted ``(key, value)`` of ``pairs`` set in order (later keys win)."""
    out = dict(tree)
    for key, value in pairs:
        out = set_dotted(out, key, value)
    return out


def flatten(tree: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{"arith_pj": {"int8_add": 0.05}}`` → ``[("arith_pj.int8_add", 0.05)]``: nested mappings
    become dotted keys; an empty mapping is a value."""
    out: list[tuple[str, Any]] = []
    for key, value in tree.items():
        if isinstance(value, Mapping) and value:
            out += flatten(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out
