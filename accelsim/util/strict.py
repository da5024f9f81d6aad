"""The base of every validated model of an input file (architecture sections, technology tables,
neuron and operator attributes, macro blocks)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


# (no class docstring: it would enter the JSON Schemas of the subclasses' files)
# unknown keys are errors, values frozen, types strict (no '4' for 4), numbers finite
class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
