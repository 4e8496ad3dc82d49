"""LibreOffice headless for the tests: recalculate workbooks, convert documents to PDF.

Each call uses a private profile (``-env:UserInstallation``) so parallel test workers never
share one, a timeout, and the project's fontconfig aliases (宋体 → Noto Serif CJK SC …) so
the PDFs embed real CJK fonts. LibreOffice is installed by ``make system-packages``; a
missing ``soffice`` fails the test rather than skipping it.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from app.config import PROJECT_ROOT

FONTS_CONF = PROJECT_ROOT / "proposal_templates" / "fonts.conf"


def convert(
    sources: list[Path], target_format: str, outdir: Path, *, timeout: int = 240
) -> list[Path]:
    """Convert ``sources`` in one LibreOffice process; returns the converted files."""
    soffice = shutil.which("soffice")
    assert soffice is not None, "LibreOffice is missing: run `make system-packages`"
    with tempfile.TemporaryDirectory(prefix="bw-lo-profile-") as profile:
        completed = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                target_format,
                "--outdir",
                str(outdir),
                *map(str, sources),
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)},
        )
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    extension = target_format.split(":", maxsplit=1)[0]
    outputs = [outdir / f"{source.stem}.{extension}" for source in sources]
    missing = [path for path in outputs if not path.exists()]
    assert not missing, f"LibreOffice did not write {missing}: {completed.stdout!r}"
    return outputs


def pdf_text(path: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext is not None, "poppler-utils is missing: run `make system-packages`"
    completed = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60, check=True
    )
    return completed.stdout.decode()
