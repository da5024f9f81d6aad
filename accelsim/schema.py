"""JSON Schemas of the file formats (``accelsim schema arch|workload``)."""
from __future__ import annotations

from typing import Any

from accelsim.config.arch import Arch
from accelsim.workload.ops import OPS
from accelsim.workload.spec import WorkloadSpec


def arch_schema() -> dict[str, Any]:
    schema = Arch.model_json_schema()
    schema["title"] = "accelsim architecture (YAML)"
    return schema


def workload_schema() -> dict[str, Any]:
    schema = WorkloadSpec.model_json_schema()
    schema["title"] = "accelsim workload v1 (JSON)"
    node = schema["$defs"]["NodeSpec"]
    node["properties"]["op"]["enum"] = sorted(OPS)
    # attributes per operator: if op == X then attrs follows X's schema
    node["allOf"] = []
    for name, op in sorted(OPS.items()):
        attrs = op.Attrs.model_json_schema()
        for k, v in attrs.pop("$defs", {}).items():
            schema["$defs"][k] = v
        attrs["title"] = f"{name} attributes"
        node["allOf"].append({"if": {"properties": {"op": {"const": name}}},
                              "then": {"properties": {"attrs": attrs}}})
    return schema
