"""The part of a report.json the report figures read, validated before any is drawn.

A report.json may be edited, truncated or written by an older accelsim: every key
a figure reads is checked here (type, finiteness), the rest is ignored; header
fields a figure only shows in its title (``workload``, ``arch``, ``timesteps``,
``samples``, ``accuracy``) may be missing.
"""
from __future__ import annotations

from typing import Any, Optional

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from accelsim.errors import InputError, fail
from accelsim.util.pydantic_errors import problems_from


class _Lax(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class _PerInference(_Lax):
    energy_pj: float = Field(ge=0)
    latency_ns: float = Field(ge=0)


class _Layer(_Lax):
    name: str
    engine: str = "?"
    sparsity: Optional[float] = Field(None, ge=0, le=1)
    spike_rate: Optional[float] = Field(None, ge=0)
    energy_breakdown_pj: dict[str, float] = Field(default_factory=dict)


class ReportInput(_Lax):
    per_inference: _PerInference
    layers: list[_Layer] = Field(min_length=1)
    energy_breakdown_pj: dict[str, float] = Field(default_factory=dict)
    workload: str = "?"
    arch: str = "?"
    timesteps: Optional[int] = None
    samples: Optional[int] = None
    accuracy: Optional[float] = None


def checked_report(raw: Any, file: str) -> dict[str, Any]:
    """``raw`` (a parsed report.json) as a dict whose figure keys are all present and valid."""
    if not isinstance(raw, dict) or "layers" not in raw or "per_inference" not in raw:
        raise fail(file, "", "not an accelsim report.json (needs per_inference and layers)")
    try:
        return ReportInput.model_validate(raw).model_dump()
    except pydantic.ValidationError as exc:
        raise InputError(problems_from(exc, ReportInput, file)) from None


def steps_text(report: dict[str, Any]) -> str:
    """``T = 16`` or ``T = ?`` when the report does not say."""
    return f"T = {report['timesteps'] if report.get('timesteps') is not None else '?'}"
