"""The optional ``nir`` package (PyPI ``nir``) and ``.nir`` files: loading a graph
file with clear errors, and reading the ``metadata`` a NIR node or graph carries
(where ``accelsim export`` keeps what NIR cannot express).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from accelsim.errors import fail
from accelsim.util import reader


def require_nir():
    try:
        import nir  # noqa: F401
    except ImportError:
        raise fail("nir", "", "the 'nir' package is needed for NIR graphs: pip install 'accelsim[nir]'") from None
    return nir


def read_nir_file(path: str | Path):
    nir = require_nir()
    path = Path(path)
    reader.check_regular(path, "NIR graph", reader.MAX_MODEL_BYTES)
    try:
        return nir.read(str(path), type_check=False)  # accelsim infers and checks every shape itself
    except Exception as exc:  # h5py / NIR's own checks
        raise fail(str(path), "", f"not a readable NIR graph: {type(exc).__name__}: {exc}") from None


def node_metadata(node) -> dict[str, Any]:
    out = {}
    for k, v in (getattr(node, "metadata", None) or {}).items():
        if isinstance(v, bytes):
            v = v.decode("utf8")
        elif isinstance(v, np.ndarray) and v.ndim == 0:
            v = v.item()
            v = v.decode("utf8") if isinstance(v, bytes) else v
        out[str(k)] = v
    return out
