"""Domain exceptions raised below the routes; one handler maps them to HTTP responses."""

from dataclasses import dataclass, field


class BidwrightError(Exception):
    """Base class: the message is written for the person using the product."""

    status_code = 400


class NotFoundError(BidwrightError):
    status_code = 404


class ImmutableRecordError(BidwrightError):
    """A published version, frozen revision or finished run was about to change."""

    status_code = 409


class ConcurrentEditError(BidwrightError):
    """Someone else saved the record since it was loaded: the save was refused."""

    status_code = 409


class FieldError(BidwrightError):
    """One form or API field is invalid; the form is shown again with the message beside it."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CellProblem:
    """One problem in an imported file, located to the cell."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def location(self) -> str:
        if self.row is None:
            return self.sheet
        return f"{self.sheet}!{self.column or ''}{self.row}"

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


@dataclass
class ImportRejectedError(BidwrightError):
    """The file had problems; nothing was written. ``problems`` lists every one of them."""

    problems: list[CellProblem] = field(default_factory=list)
    status_code = 422

    def __str__(self) -> str:
        head = f"import refused, nothing was changed: {len(self.problems)} problem(s)"
        return "\n".join([head, *(f"  {problem}" for problem in self.problems)])
