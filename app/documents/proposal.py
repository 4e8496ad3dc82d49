"""Word technical proposals: render a docxtpl template with a :class:`ProposalContext`.

- Values are always escaped (``autoescape``): docxtpl's default drops text after ``&`` or
  ``<`` and lets a value inject XML.
- Templates render in Jinja's :class:`~jinja2.sandbox.SandboxedEnvironment`: a template
  reaching for ``__class__.__mro__`` is refused, not executed. The sandbox does not bound
  time or memory, so uploaded templates render in a child process with both limited
  (:func:`render_user_proposal`).
- Every text value is bounded before rendering (docxtpl silently truncated a 20 MB value).
- :func:`check_template` lints an uploaded template: syntax errors located to the
  paragraph, variables the context does not provide, full-width braces.
"""

import dataclasses
import io
import multiprocessing
import re
import resource
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from types import SimpleNamespace
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage  # type: ignore[import-untyped]
from jinja2 import Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from app.caching import BoundedCache
from app.documents.context import TOP_LEVEL_NAMES, ChartImage, ProposalContext
from app.documents.errors import DocumentError, TemplateProblem, TemplateRejectedError
from app.documents.reproducible import normalize_package
from app.documents.upload_checks import check_docx_archive

MAX_FIELD_CHARS = 20_000


@dataclass(frozen=True, kw_only=True)
class RenderLimits:
    """Bounds for rendering an uploaded template in its child process."""

    seconds: float = 20.0
    memory_bytes: int = 1024 * 1024 * 1024
    max_field_chars: int = MAX_FIELD_CHARS


class _CompilingOnce(SandboxedEnvironment):
    """The sandbox, compiling each distinct template source once.

    docxtpl compiles every XML part of the template on every render: ~70 ms of a 200-line
    proposal's ~270. A compiled template holds no render state, so it is reused; the key
    is the source text itself, so an edited or uploaded template is compiled afresh.
    """

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self._compiled: BoundedCache[str, Template] = BoundedCache(_COMPILED_SOURCES)

    def from_string(
        self,
        source: str | nodes.Template,
        globals: typing.MutableMapping[str, Any] | None = None,
        template_class: type[Template] | None = None,
    ) -> Template:
        if not isinstance(source, str) or globals is not None or template_class is not None:
            return super().from_string(source, globals, template_class)
        return self._compiled.get_or_compute(
            source, lambda: super(_CompilingOnce, self).from_string(source)
        )


class _Template(DocxTemplate):  # type: ignore[misc]
    """docxtpl's template, with its XML clean-up (a dozen regular expressions over each
    part, ~40 ms of a proposal) done once per distinct part."""

    def patch_xml(self, src_xml: str) -> str:
        return _PATCHED.get_or_compute(
            src_xml, lambda: str(super(_Template, self).patch_xml(src_xml))
        )


# Built-in templates in two languages, each a body, headers and footers, plus a few
# uploaded ones (rendered in a child process of their own, with its own caches).
_COMPILED_SOURCES = 32
_PATCHED: BoundedCache[str, str] = BoundedCache(_COMPILED_SOURCES)
_SANDBOX = _CompilingOnce()


def _template_value(value: Any, template: DocxTemplate, path: str, limit: int) -> Any:
    """Plain data for Jinja: groups become namespaces, charts become inline pictures.

    Not dicts: ``wbs_phase.items`` on a dict would be its ``items`` method.
    """
    if isinstance(value, ChartImage):
        return InlineImage(template, io.BytesIO(value.png), width=Mm(value.width_mm))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return SimpleNamespace(
            **{
                item.name: _template_value(
                    getattr(value, item.name), template, f"{path}.{item.name}", limit
                )
                for item in dataclasses.fields(value)
            }
        )
    if isinstance(value, list | tuple):
        return [
            _template_value(entry, template, f"{path}[{index}]", limit)
            for index, entry in enumerate(value)
        ]
    if isinstance(value, str) and len(value) > limit:
        raise DocumentError(
            f"{path.lstrip('.')} is {len(value):,} characters long; the limit is {limit:,}"
        )
    return value


def _render(
    template_bytes: bytes, context: ProposalContext, *, stamp: datetime, limit: int
) -> bytes:
    template = _Template(io.BytesIO(template_bytes))
    data = vars(_template_value(context, template, "", limit))
    try:
        template.render(data, jinja_env=_SANDBOX, autoescape=True)
    except SecurityError as error:
        raise DocumentError(
            f"the template tried to reach Python internals and was refused ({error})"
        ) from error
    except TemplateSyntaxError as error:
        raise DocumentError(f"the template has a syntax error: {error.message}") from error
    except TemplateError as error:
        raise DocumentError(f"the template could not be rendered: {error}") from error
    properties = template.docx.core_properties
    properties.created = properties.modified = stamp
    properties.last_modified_by = "Bidwright"
    buffer = io.BytesIO()
    template.save(buffer)
    return normalize_package(buffer.getvalue(), stamp=stamp)


def render_proposal(
    template_bytes: bytes,
    context: ProposalContext,
    *,
    stamp: datetime,
    max_field_chars: int = MAX_FIELD_CHARS,
) -> bytes:
    """Render a trusted (built-in) template in this process; same input, same bytes.

    Examples
    --------
    ``render_proposal(Path("proposal_templates/technical_proposal_zh.docx").read_bytes(),
    context, stamp=run_finished_at)`` returns the .docx bytes.
    """
    return _render(template_bytes, context, stamp=stamp, limit=max_field_chars)


# --- Uploaded templates: a child process with limits ----------------------------------------


def _child_render(
    connection: Connection,
    template_bytes: bytes,
    context: ProposalContext,
    stamp: datetime,
    limits: RenderLimits,
) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    cpu = int(limits.seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    try:
        outcome: tuple[str, Any] = (
            "ok",
            _render(template_bytes, context, stamp=stamp, limit=limits.max_field_chars),
        )
    except DocumentError as error:
        outcome = ("error", str(error))
    except MemoryError:
        outcome = ("memory", "")
    except Exception as error:  # anything else a hostile template provokes
        outcome = ("error", f"the template could not be rendered: {type(error).__name__}")
    connection.send(outcome)
    connection.close()


_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["app.documents.proposal"])


def render_user_proposal(
    template_bytes: bytes,
    context: ProposalContext,
    *,
    stamp: datetime,
    limits: RenderLimits | None = None,
) -> bytes:
    """Render an uploaded template in a child process bounded in time and memory."""
    limits = limits or RenderLimits()
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(
        target=_child_render, args=(sender, template_bytes, context, stamp, limits), daemon=True
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            raise DocumentError(
                f"the template took longer than {limits.seconds:g} s to render and was "
                "stopped; simplify its loops"
            )
        kind, payload = receiver.recv()
    except EOFError as error:
        raise DocumentError(_too_big(limits)) from error
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)
    if kind == "memory":
        raise DocumentError(_too_big(limits))
    if kind == "error":
        raise DocumentError(payload)
    return typing.cast(bytes, payload)


def _too_big(limits: RenderLimits) -> str:
    return (
        f"the template needed more than {limits.memory_bytes // 2**20:,} MiB or "
        f"{limits.seconds:g} s to render and was stopped; simplify its loops"
    )


# --- Checking uploaded templates ------------------------------------------------------------

_DOCXTPL_TAG = re.compile(r"\{%\s*(?:p|tr|tc|r)\s")
_DOCXTPL_VAR = re.compile(r"\{\{\s*(?:p|tr|tc|r)\s")
_SMART_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_FULL_WIDTH = re.compile(r"｛｛|｝｝|｛[%％]|[%％]｝|\{％|％\}|｛\{|\{｛|｝\}|\}｝")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_DUNDER = re.compile(r"__\w+__|\bmro\b|\bglobals\b|\bsubclasses\b")


@dataclass
class TemplateReport:
    """The outcome of :func:`check_template`: problems and the variables used."""

    problems: list[TemplateProblem] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[TemplateProblem]:
        return [p for p in self.problems if p.kind != "full-width-brace"]

    @property
    def warnings(self) -> list[TemplateProblem]:
        return [p for p in self.problems if p.kind == "full-width-brace"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _paragraph_texts(document: Any) -> Iterator[tuple[str, str]]:
    """(location, text) for every paragraph: body and tables, then headers and footers."""
    for number, paragraph in enumerate(document.element.body.iter(qn("w:p")), start=1):
        yield f"paragraph {number}", "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
    for index, section in enumerate(document.sections, start=1):
        for part_name, part in (("header", section.header), ("footer", section.footer)):
            if part.is_linked_to_previous:
                continue
            for number, paragraph in enumerate(part._element.iter(qn("w:p")), start=1):
                text = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
                yield f"section {index} {part_name}, paragraph {number}", text


def _excerpt(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attribute_problems(tree: nodes.Template) -> list[TemplateProblem]:
    """``{{ effort.p95 }}``: attributes the context's groups do not have."""
    hints = typing.get_type_hints(ProposalContext)
    problems = []
    for node in tree.find_all(nodes.Getattr):
        if not isinstance(node.node, nodes.Name) or node.node.name not in TOP_LEVEL_NAMES:
            continue
        annotation = hints[node.node.name]
        group = next(
            (a for a in (annotation, *typing.get_args(annotation)) if dataclasses.is_dataclass(a)),
            None,
        )
        if group is None:
            continue
        known = {item.name for item in dataclasses.fields(group)}
        if node.attr not in known:
            problems.append(
                TemplateProblem(
                    kind="unknown-variable",
                    message=f"{node.node.name}.{node.attr} is not provided by the context",
                    location=f"line {node.lineno}",
                )
            )
    return problems


def check_template(data: bytes, *, max_bytes: int = 10 * 1024 * 1024) -> TemplateReport:
    """Lint an uploaded template; file-level problems raise :class:`TemplateRejectedError`."""
    check_docx_archive(data, max_bytes=max_bytes)
    try:
        document = Document(io.BytesIO(data))
    except Exception as error:
        raise TemplateRejectedError(
            [TemplateProblem(kind="file", message=f"not a readable Word document ({error})")]
        ) from error
    report = TemplateReport()
    located = list(_paragraph_texts(document))
    lines = []
    for location, text in located:
        for match in _FULL_WIDTH.finditer(text):
            report.problems.append(
                TemplateProblem(
                    kind="full-width-brace",
                    message=f"full-width {match.group()!r} in {_excerpt(text)!r} is not a tag; "
                    "type braces with the English input method",
                    location=location,
                )
            )
        for tag in _TAG.findall(text):
            if _DUNDER.search(tag):
                report.problems.append(
                    TemplateProblem(
                        kind="unsafe",
                        message=f"{_excerpt(tag)!r} reaches for Python internals",
                        location=location,
                    )
                )
        normalized = _DOCXTPL_VAR.sub("{{ ", _DOCXTPL_TAG.sub("{% ", text))
        lines.append(normalized.translate(_SMART_QUOTES))
    try:
        tree = _SANDBOX.parse("\n".join(lines))
    except TemplateSyntaxError as error:
        index = min(max((error.lineno or 1) - 1, 0), len(located) - 1) if located else 0
        location, text = located[index] if located else ("document", "")
        report.problems.append(
            TemplateProblem(
                kind="syntax",
                message=f"{error.message} (in {_excerpt(text)!r})",
                location=location,
            )
        )
        return report
    used = meta.find_undeclared_variables(tree)
    report.variables = sorted(used)
    for name in sorted(used - TOP_LEVEL_NAMES):
        report.problems.append(
            TemplateProblem(
                kind="unknown-variable",
                message=f"{name} is not provided by the context (see VARIABLES.md)",
            )
        )
    for problem in _attribute_problems(tree):
        line = int(problem.location.removeprefix("line "))
        location = located[line - 1][0] if 0 < line <= len(located) else problem.location
        report.problems.append(dataclasses.replace(problem, location=location))
    return report
