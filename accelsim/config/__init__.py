"""Validated configuration: architecture YAML and technology tables."""
from accelsim.config.arch import Arch
from accelsim.config.loader import ArchSpec, load_arch
from accelsim.tech.table import TechTable, load_tech

__all__ = ["Arch", "ArchSpec", "TechTable", "load_arch", "load_tech"]
