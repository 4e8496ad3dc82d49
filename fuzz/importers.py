"""The importers' pure entry points, as the fuzzers and the security tests drive them.

Each entry point takes the uploaded bytes and either returns what was read or raises the
importer's refusal (:class:`~app.errors.ImportRejectedError` with located problems or
:class:`~app.intake.types.IntakeRefusedError` naming the file and the reason). Anything
else escaping is a bug; :func:`refusal_is_located` says whether a refusal tells the user
where the problem is (sheet, row or column) or why the whole file was refused.
"""

import warnings
from collections.abc import Callable

from app.errors import FieldError, ImportRejectedError
from app.intake import detect
from app.intake.extract import extract_requirements
from app.intake.reader import read_workbook
from app.intake.types import IntakeRefusedError
from app.services.catalog_excel import parse_catalog_xlsx
from app.services.history_import import (
    REQUIRED,
    RowKind,
    check_rows,
    find_header,
    propose_mapping,
    read_grid,
)

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
ROLE_CODES = ("PM", "ARCH", "DEV", "QA", "OPS")
REFUSALS = (ImportRejectedError, IntakeRefusedError, FieldError)


def requirement_list(data: bytes, file_name: str = "fuzz.xlsx") -> int:
    """Read the workbook, propose the mapping and extract: the number of requirements."""
    workbook = read_workbook(data, file_name, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    extraction = extract_requirements(workbook, detect.propose_mapping(workbook))
    return len(extraction.requirements)


def catalog(data: bytes, file_name: str = "fuzz.xlsx") -> int:
    """Parse and validate a catalog workbook: the number of work items."""
    parsed = parse_catalog_xlsx(
        data, known_roles=ROLE_CODES, file_name=file_name, max_bytes=MAX_BYTES
    )
    return len(parsed.items)


def history(data: bytes, file_name: str = "fuzz.xlsx") -> int:
    """Read the grid, propose the columns and check every row: the number of good rows."""
    grid = read_grid(data, file_name, max_bytes=MAX_BYTES)
    header = find_header(grid.rows)
    mapping = propose_mapping(grid.rows[header]) if header is not None else {}
    if not set(REQUIRED) <= set(mapping.values()):
        return 0  # the user would be asked to map the columns
    by_field = {field: index for index, field in mapping.items()}
    checked = check_rows(
        grid, file_name=file_name, kind=RowKind.TASKS, mapping=by_field, role_codes={}
    )
    return len(checked.rows)


ENTRY_POINTS: dict[str, Callable[[bytes, str], int]] = {
    "requirement_list": requirement_list,
    "catalog": catalog,
    "history": history,
}


def run(entry_point: str, data: bytes, file_name: str = "fuzz.xlsx") -> int:
    """Call one entry point as the server does: openpyxl's warnings about parts it drops are
    logged there, not errors (the test suite turns warnings into errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ENTRY_POINTS[entry_point](data, file_name)


def refusal_is_located(error: Exception, file_name: str) -> bool:
    """A refusal names the file (whole-file reason) or each problem's sheet/row/column."""
    if isinstance(error, FieldError):
        return bool(error.field) and bool(str(error))
    if isinstance(error, IntakeRefusedError):
        return str(error).startswith(f"{file_name}: ") and len(str(error)) > len(file_name) + 4
    assert isinstance(error, ImportRejectedError)
    return bool(error.problems) and all(
        problem.message and (problem.sheet or problem.row is not None) for problem in error.problems
    )
