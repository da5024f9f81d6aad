"""Turn pydantic validation errors into accelsim :class:`Problem` s.

Each pydantic error becomes one problem with the dotted path, the offending value
and what is allowed; unknown keys list the keys that are recognised there.
"""
from __future__ import annotations


import typing
from typing import Any

import pydantic

from accelsim.errors import Problem
from accelsim.util.suggest import did_you_mean

_MISSING = object()


def dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(model: type, loc: tuple) -> type | None:
    """The pydantic model class found by walking ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
            continue
        if not (isinstance(current, type) and issubclass(current, pydantic.BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            # look up by alias
            field = next((f for f in current.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, pydantic.BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated/list wrappers to reach a model class."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, pydantic.BaseModel):
                return arg
        return annotation
    if origin in (list, tuple):
        return annotation
    return annotation


def allowed_keys(model: type, loc: tuple) -> list[str]:
    cls = _model_at(model, loc)
    if cls is None:
        return []
    return [f.alias or name for name, f in cls.model_fields.items()]


def problems_from(exc: pydantic.ValidationError, model: type, file: str, prefix: str = "") -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        raw = tuple(err["loc"])
        # pydantic appends the union member / function name to the loc; drop those (an unknown key is
        # the user's own text, kept whatever it holds)
        keep = raw[-1:] if err["type"] == "extra_forbidden" else ()
        loc = tuple(p for p in raw[:len(raw) - len(keep)]
                    if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))) + keep
        path = dotted(loc)
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        kind = err["type"]
        value = err.get("input", _MISSING)
        if kind == "extra_forbidden":
            keys = allowed_keys(model, loc[:-1])
            msg = ("unknown key" + (f"; allowed keys: {', '.join(keys)}" if keys else "")
                   + did_you_mean(loc[-1], keys))
        elif kind == "missing":
            msg = "required key is missing"
            value = _MISSING
        elif kind == "model_type":
            keys = allowed_keys(model, loc)
            msg = "must be a mapping" + (f" with keys among: {', '.join(keys)}" if keys else "")
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            for subject in ("Input", "List", "String", "Dictionary", "Tuple"):
                msg = msg.replace(f"{subject} should ", "must ")
            msg = msg.replace(" after validation", "")
        if isinstance(value, dict) and kind != "extra_forbidden":
            value = _MISSING if kind != "model_type" else value
        if value is _MISSING:
            problems.append(Problem(file, path, msg))
        else:
            problems.append(Problem(file, path, msg, value))
    return problems
