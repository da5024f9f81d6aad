"""The packages form a DAG that their order below states: no module imports from a package
above its own (parsed from the sources, imports inside functions included)."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "accelsim"

# lowest first; a module may import from its own level or any level below it
LAYERS = [
    {"errors", "util", "datasets", "version"},
    {"tech"},
    {"config"},
    {"kernels"},
    {"neurons"},
    {"workload"},
    {"engine"},
    {"hw"},
    {"schedule"},
    {"cost"},
    {"report"},
    {"simulate", "shards", "convert", "schema"},
    {"sweep", "plot"},
    {"commands", "api"},
    {"cli", "__main__", "__init__"},
]
LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    rel = path.relative_to(PKG.parent).with_suffix("")
    mod_parts = list(rel.parts)
    if mod_parts[-1] == "__init__":
        mod_parts = mod_parts[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod_parts if path.name == "__init__.py" else mod_parts[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] if target != "accelsim" else [f"accelsim.{a.name}" for a in node.names]
            out += [(node.lineno, t) for t in names if t.startswith("accelsim")]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("accelsim")]
    return out


def test_every_package_has_a_level():
    pkgs = {p.stem if p.is_file() else p.name for p in PKG.iterdir()
            if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"}
    assert pkgs <= set(LEVEL), f"add these to LAYERS: {sorted(pkgs - set(LEVEL))}"


def test_no_module_imports_from_a_package_above_its_own():
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        own = _package(".".join(path.relative_to(PKG.parent).with_suffix("").parts))
        if own == "__init__" and path.parent != PKG:
            own = path.parent.name
        for line, target in _imports(path):
            dep = _package(target)
            if target == "accelsim":
                continue
            if LEVEL[dep] > LEVEL[own]:
                bad.append(f"{path.relative_to(PKG.parent)}:{line} ({own}) imports {target} ({dep})")
    assert not bad, "imports from a higher layer:\n" + "\n".join(bad)


def _unit(module: str) -> str:
    """A package, or a subpackage of hw (pim, core, ann), as one unit of the dependency graph."""
    parts = module.split(".")
    if len(parts) > 2 and parts[1] == "hw" and parts[2] in ("pim", "core", "ann", "builtin"):
        return f"hw.{parts[2]}"  # hw.builtin registers the engines: above hw.pim, hw.core, hw.ann
    return _package(module)


def test_packages_have_no_cycles():
    edges: dict[str, set[str]] = {}
    for path in sorted(PKG.rglob("*.py")):
        mod = ".".join(path.relative_to(PKG.parent).with_suffix("").parts).removesuffix(".__init__")
        own = _unit(mod) if mod != "accelsim" else "__init__"
        for _, target in _imports(path):
            dep = _unit(target)
            if dep != own and target != "accelsim":
                edges.setdefault(own, set()).add(dep)
    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for m in sorted(edges.get(n, ())):
            assert state.get(m) != 1, "package cycle: " + " -> ".join(stack + [n, m])
            if m not in state:
                visit(m, stack + [n])
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n, [])
