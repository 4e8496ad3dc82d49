"""Uploaded templates: checked at upload, rendered sandboxed in a limited child process."""

import io
import time
import zipfile
from datetime import datetime

import pytest
from docx import Document

from app.documents.errors import DocumentError, TemplateRejectedError
from app.documents.proposal import RenderLimits, check_template, render_user_proposal
from app.documents.upload_checks import check_docx_archive
from app.services.documents import TEMPLATE_DIR
from tests.documents.conftest import CUSTOMER, template_with
from tests.documents.test_proposal import _minimal_context

STAMP = datetime(2026, 1, 1)


def _kinds(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [problem.kind for problem in report.problems]


def test_a_syntax_error_is_located_to_its_paragraph() -> None:
    report = check_template(template_with("封面", "{{ customer }}", "{% if show_cost %}成本"))
    assert _kinds(report) == ["syntax"]
    problem = report.problems[0]
    assert problem.location == "paragraph 3"
    assert "if show_cost" in problem.message
    assert "endif" in problem.message


def test_a_broken_expression_is_located_too() -> None:
    report = check_template(template_with("ok", "{{ project | }}", "later"))
    assert report.problems[0].location == "paragraph 2"


def test_unknown_variables_are_listed() -> None:
    report = check_template(
        template_with("{{ customer }} {{ custmer }}", "{{ effort.p95 }}", footer="{{ pagee }}")
    )
    messages = [str(problem) for problem in report.problems]
    assert _kinds(report) == ["unknown-variable"] * 3
    assert any("custmer is not provided" in m for m in messages)
    assert any("pagee is not provided" in m for m in messages)
    assert any(m.startswith("paragraph 2: effort.p95") for m in messages)
    assert not report.ok


def test_full_width_braces_are_flagged_as_likely_mistakes() -> None:
    report = check_template(template_with("客户：｛｛ customer ｝｝", "{{ project }}"))
    assert _kinds(report) == ["full-width-brace", "full-width-brace"]
    assert report.problems[0].location == "paragraph 1"
    assert report.ok  # a warning: the template is still usable


def test_the_sandbox_refuses_to_reach_python_internals() -> None:
    payload = "{{ project.__class__.__mro__[1].__subclasses__() }}"
    assert "unsafe" in _kinds(check_template(template_with(payload)))
    with pytest.raises(DocumentError, match="Python internals"):
        render_user_proposal(template_with(payload), _minimal_context(), stamp=STAMP)


def test_a_template_that_runs_too_long_is_stopped_with_a_clear_message() -> None:
    loops = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    started = time.perf_counter()
    with pytest.raises(DocumentError, match=r"took longer than 1\.5 s"):
        render_user_proposal(
            template_with(loops), _minimal_context(), stamp=STAMP, limits=RenderLimits(seconds=1.5)
        )
    assert time.perf_counter() - started < 8


def test_a_template_that_needs_too_much_memory_is_stopped() -> None:
    hog = "{% set x = [project] * 400000000 %}{{ x|length }}"
    with pytest.raises(DocumentError, match="MiB"):
        render_user_proposal(
            template_with(hog),
            _minimal_context(),
            stamp=STAMP,
            limits=RenderLimits(seconds=20, memory_bytes=768 * 1024 * 1024),
        )


def test_a_good_user_template_renders_in_the_child_process_escaped() -> None:
    content = render_user_proposal(
        template_with("客户：{{ customer }}", "{{ charts.gantt }}"),
        _minimal_context(customer=CUSTOMER),
        stamp=STAMP,
    )
    document = Document(io.BytesIO(content))
    assert document.paragraphs[0].text == f"客户：{CUSTOMER}"
    assert len(document.inline_shapes) == 1


def test_the_builtin_template_also_renders_as_a_user_template() -> None:
    # The same context through the child process gives the same document content.
    template = (TEMPLATE_DIR / "technical_proposal_en.docx").read_bytes()
    content = render_user_proposal(template, _minimal_context(project="Proj & <X>"), stamp=STAMP)
    assert "Proj & <X>" in Document(io.BytesIO(content)).paragraphs[4].text


def test_a_20_mb_file_that_is_not_a_docx_is_refused_quickly() -> None:
    data = b"MZ" + bytes(20 * 1024 * 1024)
    started = time.perf_counter()
    with pytest.raises(TemplateRejectedError, match="limit"):
        check_template(data)
    with pytest.raises(TemplateRejectedError, match=r"not a \.docx"):
        check_docx_archive(data[:1000], max_bytes=10_000)
    assert time.perf_counter() - started < 0.5


def test_a_zip_bomb_is_refused_before_decompressing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", bytes(80 * 1024 * 1024))
    bomb = buffer.getvalue()
    assert len(bomb) < 200_000
    started = time.perf_counter()
    with pytest.raises(TemplateRejectedError, match="zip bomb"):
        check_template(bomb)
    assert time.perf_counter() - started < 0.05


def test_entity_declarations_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>',
        )
    with pytest.raises(TemplateRejectedError, match="DOCTYPE"):
        check_template(buffer.getvalue())
