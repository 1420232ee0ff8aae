"""The drawing of the house (ARCHITECTURE.md): data flows view → service → model, and nothing
imports a view. The pages (`web`) and the API (`api`) are the only rooms with routes; neither
imports the other, and no service, model or tracker imports either."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kaohe_flow"
VIEW_PACKAGES = ("kaohe_flow.web", "kaohe_flow.api")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the kaohe_flow modules a file imports."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("kaohe_flow")}


def _room(name: str) -> str | None:
    for room in VIEW_PACKAGES:
        if name == room or name.startswith(room + "."):
            return room
    return None


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_nothing_imports_a_view_but_its_own_room(path):
    own = _room(_module_name(path))
    if _module_name(path) in ("kaohe_flow", "kaohe_flow.cli"):
        own = "*"  # the app factory registers both rooms; the CLI is an entry point of its own
    for name in _imports(path):
        room = _room(name)
        if room is not None and own != "*":
            assert room == own, f"{_module_name(path)} imports {name}"
