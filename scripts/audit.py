"""Audit the locked dependencies for known vulnerabilities (``make audit``).

Runs pip-audit on each lock file (hashes required, no pip resolution: exactly what is
pinned). Fails when a vulnerability has a fixed version to move to; lists the ones without
a fix as warnings. pip-audit on its own exits 0 when the advisory service does not know a
package (it "skips" it): an audit that checked nothing would pass. ``--strict`` turns
every skipped package into a failure, and this script says so loudly.

Usage: python scripts/audit.py requirements.lock requirements-dev.lock
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    fixed_in: tuple[str, ...]


def findings(report: dict[str, Any]) -> list[Finding]:
    """Every (package, advisory) pair in pip-audit's JSON report."""
    return [
        Finding(
            package=dependency["name"],
            version=dependency.get("version", "?"),
            advisory=vulnerability["id"],
            fixed_in=tuple(vulnerability.get("fix_versions") or ()),
        )
        for dependency in report.get("dependencies", [])
        for vulnerability in dependency.get("vulns", [])
    ]


def skipped(report: dict[str, Any]) -> list[str]:
    """Packages the service could not check, with its reason."""
    return [
        f"{dependency['name']}: {dependency['skip_reason']}"
        for dependency in report.get("dependencies", [])
        if dependency.get("skip_reason")
    ]


def audit(lock_file: Path) -> tuple[list[Finding], str]:
    """Run pip-audit on ``lock_file``; returns the findings, or raises with why it could not."""
    command = [
        str(PIP_AUDIT),
        "--requirement",
        str(lock_file),
        "--require-hashes",
        "--disable-pip",
        "--strict",
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    finished = subprocess.run(  # noqa: S603 - our own tool on our own files
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    try:
        report = json.loads(finished.stdout)
    except json.JSONDecodeError:
        errors = finished.stderr.strip().splitlines()
        raise RuntimeError(
            f"pip-audit could not audit {lock_file} (exit {finished.returncode}): "
            + (errors[-1] if errors else "no output")
        ) from None
    missing = skipped(report)
    if missing:
        raise RuntimeError(f"{len(missing)} packages could not be checked: " + "; ".join(missing))
    return findings(report), finished.stderr


def main(lock_files: list[str]) -> int:
    failed = False
    for name in lock_files:
        try:
            found, _ = audit(Path(name))
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            print(
                f"AUDIT NOT DONE for {name}: {error}\n"
                "The vulnerability advisory service (PyPI's JSON API, or OSV) must be "
                "reachable; an audit that checked nothing does not pass.",
                file=sys.stderr,
            )
            failed = True
            continue
        fixable = [finding for finding in found if finding.fixed_in]
        for finding in found:
            kind = "FIXABLE" if finding.fixed_in else "no fix yet"
            fix = f" -> {', '.join(finding.fixed_in)}" if finding.fixed_in else ""
            print(f"{name}: {kind}: {finding.package} {finding.version} {finding.advisory}{fix}")
        print(f"{name}: {len(found)} known vulnerabilities, {len(fixable)} with a fix available")
        failed = failed or bool(fixable)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements.lock", "requirements-dev.lock"]))
