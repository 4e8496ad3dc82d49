"""``app/documents`` is bytes in, bytes out: no web framework, no ORM, no sessions."""

import ast

from app.config import PROJECT_ROOT

FORBIDDEN = {"fastapi", "starlette", "sqlmodel", "sqlalchemy"}


def test_the_document_builders_import_no_web_or_orm_module() -> None:
    offenders = {}
    for path in (PROJECT_ROOT / "app" / "documents").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules.add(node.module.split(".")[0])
                if node.module.startswith(("app.services", "app.models", "app.routes")):
                    modules.add(node.module)
        bad = sorted(modules & FORBIDDEN | {m for m in modules if m.startswith("app.")})
        if bad:
            offenders[path.name] = bad
    assert offenders == {}
