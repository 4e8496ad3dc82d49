"""Layering rules that keep the engine a pure, publishable library."""

import ast
import sys
from pathlib import Path

from app.config import PROJECT_ROOT

ENGINE_ALLOWED_THIRD_PARTY = {"numpy", "scipy"}


def _imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_the_engine_imports_only_the_standard_library_numpy_and_scipy() -> None:
    allowed = set(sys.stdlib_module_names) | ENGINE_ALLOWED_THIRD_PARTY | {"estimation"}
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(_imported_top_level_modules(path) - allowed)
        for path in (PROJECT_ROOT / "estimation").rglob("*.py")
    }
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def test_the_import_scanner_sees_through_nested_and_aliased_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import numpy as np\nfrom scipy import stats\n"
        "def f():\n    import fastapi.routing\n    from sqlmodel import Session\n"
    )
    assert _imported_top_level_modules(sample) == {"numpy", "scipy", "fastapi", "sqlmodel"}
