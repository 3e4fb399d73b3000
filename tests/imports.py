"""What a source tree imports, read from its syntax: import statements anywhere (lazy ones inside functions
too) and `importlib.import_module("…")` / `__import__("…")` calls with a literal name. Any other string —
`[sys.executable, "-m", "simulator.fleet"]` for a client subprocess — is not an import."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT_CALLS = {"import_module", "__import__"}


def imported_modules(source: str) -> set[str]:
    """Absolute module names `source` imports; relative imports stay inside their own package and are skipped."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Call) and _call_name(node.func) in IMPORT_CALLS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def tree_imports(package: str) -> dict[str, set[str]]:
    """Each .py file under ROOT/package (path relative to ROOT) and what it imports."""
    return {str(path.relative_to(ROOT)): imported_modules(path.read_text(encoding="utf-8"))
            for path in sorted((ROOT / package).rglob("*.py"))}


def forbidden_imports(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """`file: module` for each import under `package` of a `forbidden` package or one of its modules."""
    return [f"{path}: {module}" for path, modules in tree_imports(package).items() for module in sorted(modules)
            if any(module == name or module.startswith(name + ".") for name in forbidden)]
