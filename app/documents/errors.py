"""Errors of document building, written for the person using the product."""

from dataclasses import dataclass, field

from app.errors import BidwrightError


class DocumentError(BidwrightError):
    """A document cannot be built as asked (bad options, oversized field, failed template)."""

    status_code = 422


@dataclass(frozen=True)
class TemplateProblem:
    """One problem found in an uploaded template, located as precisely as possible."""

    kind: str  # "syntax", "unknown-variable", "full-width-brace", "unsafe", "file"
    message: str
    location: str = ""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass
class TemplateRejectedError(DocumentError):
    """The uploaded template was refused; ``problems`` lists every reason."""

    problems: list[TemplateProblem] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"template refused: {len(self.problems)} problem(s)"
        return "\n".join([head, *(f"  {problem}" for problem in self.problems)])
