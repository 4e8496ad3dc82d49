"""The documented context schema, VARIABLES.md and the shipped templates agree."""

import subprocess
import sys
from pathlib import Path

from app.config import PROJECT_ROOT
from app.documents.context import TOP_LEVEL_NAMES, variables_markdown
from app.documents.proposal import check_template

TEMPLATES = PROJECT_ROOT / "proposal_templates"


def test_variables_md_is_generated_from_the_schema_and_up_to_date() -> None:
    committed = (TEMPLATES / "VARIABLES.md").read_text(encoding="utf-8")
    assert committed == variables_markdown(), (
        "regenerate: python -m app.documents.context > proposal_templates/VARIABLES.md"
    )


def test_the_generator_command_prints_the_same_page() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "app.documents.context"],
        capture_output=True,
        check=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert completed.stdout.decode() == variables_markdown()


def test_every_top_level_variable_and_loop_is_documented() -> None:
    page = variables_markdown()
    for name in TOP_LEVEL_NAMES:
        assert f"| `{name}` |" in page
    assert "{% for wbs_item in wbs_phase.items %}" in page


def test_the_shipped_templates_pass_their_own_check() -> None:
    for language in ("zh", "en"):
        report = check_template((TEMPLATES / f"technical_proposal_{language}.docx").read_bytes())
        assert report.problems == []
        assert {"project", "quote", "charts", "wbs", "risks"} <= set(report.variables)


def test_the_build_script_regenerates_the_committed_templates(tmp_path: Path) -> None:
    sys.path.insert(0, str(TEMPLATES))
    try:
        import build_templates  # noqa: PLC0415 - a script beside the templates
    finally:
        sys.path.remove(str(TEMPLATES))
    build_templates.main(tmp_path)
    for language in ("zh", "en"):
        name = f"technical_proposal_{language}.docx"
        # Reproducible build: the committed file is exactly what the script writes.
        assert (tmp_path / name).read_bytes() == (TEMPLATES / name).read_bytes()
