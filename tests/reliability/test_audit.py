"""The dependency audit fails on fixable vulnerabilities and on an audit that checked nothing.

pip-audit itself is replaced by a fake that prints a prepared report: the advisory service
is not reachable from every machine, and these tests check the verdict, not the service.
"""

import importlib.util
import json
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"


def _load(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "audit_script", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def audit_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    module = _load(monkeypatch)

    def configure(stdout: str, *, exit_code: int = 0, stderr: str = "") -> ModuleType:
        fake = tmp_path / "pip-audit"
        fake.write_text(
            f"#!/bin/sh\ncat <<'JSON'\n{stdout}\nJSON\necho '{stderr}' >&2\nexit {exit_code}\n"
        )
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setattr(module, "PIP_AUDIT", fake)
        return module

    return configure


def _report(*dependencies: dict[str, object]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_vulnerability_with_a_fix_available_fails_the_audit(audit_with, capsys) -> None:  # type: ignore[no-untyped-def]
    module = audit_with(
        _report(
            {
                "name": "jinja2",
                "version": "3.1.4",
                "vulns": [{"id": "GHSA-q2x7-8rv6-6q7h", "fix_versions": ["3.1.5"]}],
            },
            {"name": "numpy", "version": "2.4.6", "vulns": []},
        ),
        exit_code=1,
    )
    assert module.main(["requirements.lock"]) == 1
    assert "FIXABLE: jinja2 3.1.4 GHSA-q2x7-8rv6-6q7h -> 3.1.5" in capsys.readouterr().out


def test_a_vulnerability_without_a_fix_is_listed_but_passes(audit_with, capsys) -> None:  # type: ignore[no-untyped-def]
    module = audit_with(
        _report(
            {
                "name": "lxml",
                "version": "6.1.3",
                "vulns": [{"id": "PYSEC-0000-1", "fix_versions": []}],
            }
        ),
        exit_code=1,
    )
    assert module.main(["requirements.lock"]) == 0
    assert "no fix yet: lxml 6.1.3 PYSEC-0000-1" in capsys.readouterr().out


def test_a_clean_report_passes(audit_with, capsys) -> None:  # type: ignore[no-untyped-def]
    module = audit_with(_report({"name": "numpy", "version": "2.4.6", "vulns": []}))
    assert module.main(["requirements.lock"]) == 0
    assert "0 known vulnerabilities, 0 with a fix available" in capsys.readouterr().out


def test_packages_the_service_could_not_check_fail_the_audit(audit_with, capsys) -> None:  # type: ignore[no-untyped-def]
    module = audit_with(
        _report({"name": "alembic", "version": "1.20.1", "skip_reason": "not found on PyPI"})
    )
    assert module.main(["requirements.lock"]) == 1
    assert "AUDIT NOT DONE" in capsys.readouterr().err


def test_an_unreachable_advisory_service_fails_loudly(audit_with, capsys) -> None:  # type: ignore[no-untyped-def]
    module = audit_with(
        "", exit_code=1, stderr="ERROR: Connection refused: https://pypi.org/pypi/alembic/json"
    )
    assert module.main(["requirements.lock", "requirements-dev.lock"]) == 1
    error = capsys.readouterr().err
    assert error.count("AUDIT NOT DONE") == 2
    assert "Connection refused" in error
