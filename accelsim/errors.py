"""Errors raised for bad user input.

Every problem names the file, the dotted path inside it, the offending value and
what is allowed. Loaders gather all problems of a file and raise one
:class:`InputError`; only ``cli.py`` turns it into exit code 2.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

class _Missing:
    """The "no value" marker of a :class:`Problem`; one instance, also after pickling."""

    def __repr__(self) -> str:
        return "<no value>"

    def __reduce__(self) -> str:
        return "_MISSING"   # pickled by name: unpickling gives the module's one instance


_MISSING = _Missing()


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    path: str
    message: str
    value: Any = _MISSING

    @property
    def value_missing(self) -> bool:
        """Whether the problem names no value."""
        return self.value is _MISSING

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        if not self.path:  # the file (or option) as a whole
            value = "" if self.value is _MISSING else f"{_short(self.value)}: "
            return f"{where}{value}{self.message}"
        if self.value is _MISSING:
            return f"{where}{self.path}: {self.message}"
        return f"{where}{self.path} = {_short(self.value)}: {self.message}"


class AccelsimError(Exception):
    """Base of the errors accelsim raises for its user (``accelsim.AccelsimError`` in the Python API)."""


class InputError(AccelsimError):
    """Bad input: one or more :class:`Problem` s, reported all at once. ``file``, ``path``,
    ``value`` and ``allowed`` are those of the first problem (what the CLI prints first)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self.format())

    def __reduce__(self):
        # Exception pickles its args (the formatted message); rebuild from the problems instead,
        # so an error raised in a worker process (accelsim.shards, sweep workers) arrives whole
        return (type(self), (self.problems,))

    @property
    def file(self) -> str:
        return self.problems[0].file if self.problems else ""

    @property
    def path(self) -> str:
        return self.problems[0].path if self.problems else ""

    @property
    def value(self) -> Any:
        """The offending value, or None when the problem has none."""
        v = self.problems[0].value if self.problems else _MISSING
        return None if v is _MISSING else v

    @property
    def allowed(self) -> str:
        """What is wrong and what is allowed (the message of the first problem)."""
        return self.problems[0].message if self.problems else ""

    def format(self) -> str:
        if len(self.problems) == 1:
            return f"error: {self.problems[0]}"
        lines = [f"error: {len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def fail(file: str, path: str, message: str, value: Any = _MISSING) -> InputError:
    """Shorthand for a one-problem :class:`InputError` (to be raised)."""
    return InputError([Problem(file, path, message, value)])


class ProblemList:
    """Collects problems while checking; raises them together."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Problem] = []

    def add(self, path: str, message: str, value: Any = _MISSING) -> None:
        self.items.append(Problem(self.file, path, message, value))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)
