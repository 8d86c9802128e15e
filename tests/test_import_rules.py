"""The house rules of ``builder/``'s imports, read from the source with ``ast`` (nothing is imported).

- no import cycle between modules of ``builder`` (imports inside functions count: they hide cycles);
- ``builder`` never imports ``streamlit`` or ``pages``;
- no module imports another module's ``_private`` name.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "builder"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(importer: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name a relative ``from ... import`` refers to."""
    if level == 0:
        return target or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def runtime_nodes(tree: ast.AST):
    """Every node, except those under ``if TYPE_CHECKING:`` (type hints only: never imported when running)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            yield from (n for child in node.orelse for n in [child, *runtime_nodes(child)])
            continue
        yield node
        yield from runtime_nodes(node)


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """(module imported, name taken from it or None, line) for every import a module runs."""
    found = []
    for node in runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(name, path.name == "__init__.py", node.level, node.module)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:        # `from . import engine` imports a module
                    found.append((submodule, None, node.lineno))
                else:
                    found.append((source, alias.name, node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = {module for module, _, _ in imports(name, path, known) if module in known and module != name}
        # Importing a package runs its __init__: a module of a package depends on that package only
        # when it imports it; importing `builder.data.csvio` also runs `builder.data` (a parent), which
        # is never a cycle by itself, so parents are left out.
        edges[name] = {t for t in targets if not name.startswith(t + ".")}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_builder_has_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_builder_never_imports_streamlit_or_pages():
    known = modules()
    bad = [f"{name}:{line} imports {module}" for name, path in known.items()
           for module, _, line in imports(name, path, known)
           if module.split(".")[0] in ("streamlit", "pages")]
    assert bad == []


def test_no_module_imports_another_modules_private_name():
    known = modules()
    bad = [f"{name}:{line} takes {module}.{taken}" for name, path in known.items()
           for module, taken, line in imports(name, path, known)
           if taken and taken.startswith("_") and not taken.startswith("__") and module != name]
    assert bad == []


def test_the_checker_sees_a_cycle_and_a_private_import(tmp_path):
    """The rules above must be able to fail: a made-up pair of modules breaks both."""
    edges = {"builder.a": {"builder.b"}, "builder.b": {"builder.a"}, "builder.c": set()}
    assert find_cycle(edges) == ["builder.a", "builder.b", "builder.a"]
    module = tmp_path / "builder" / "x.py"
    module.parent.mkdir()
    module.write_text("from .y import _hidden\nif TYPE_CHECKING:\n    from .z import Only\n")
    assert imports("builder.x", module, {"builder.x": module, "builder.y": module}) == [("builder.y", "_hidden", 1)]
