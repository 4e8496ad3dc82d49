"""Generated customer workbooks, built once per test session (they are read, never changed)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.intake.detect import propose_mapping
from app.intake.extract import extract_requirements
from app.intake.reader import read_workbook
from app.intake.types import Extraction, ParsedWorkbook, Requirement, WorkbookMapping
from tests.documents.office import convert
from tests.intake import workbooks

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_rows": 100_000}


@dataclass(frozen=True)
class Intake:
    """A workbook read, mapped and extracted with the proposed mapping."""

    data: bytes
    workbook: ParsedWorkbook
    mapping: WorkbookMapping
    extraction: Extraction

    def requirement(self, sheet: str, row: int) -> Requirement:
        return next(r for r in self.extraction.requirements if (r.sheet, r.row) == (sheet, row))

    def on(self, sheet: str) -> list[Requirement]:
        return [r for r in self.extraction.requirements if r.sheet == sheet]


def intake(data: bytes, file_name: str = "customer.xlsx") -> Intake:
    workbook = read_workbook(data, file_name, **LIMITS)
    mapping = propose_mapping(workbook)
    return Intake(data, workbook, mapping, extract_requirements(workbook, mapping))


@pytest.fixture(scope="session")
def english() -> Intake:
    return intake(workbooks.english_rfp(), "rfp.xlsx")


@pytest.fixture(scope="session")
def english_shared() -> Intake:
    """The same workbook with its text in sharedStrings.xml, as Excel saves it."""
    return intake(workbooks.with_shared_strings(workbooks.english_rfp()), "rfp.xlsx")


@pytest.fixture(scope="session")
def chinese() -> Intake:
    return intake(workbooks.chinese_tender(), "招标需求.xlsx")


@pytest.fixture(scope="session")
def make_intake() -> Callable[[bytes, str], Intake]:
    return intake


@pytest.fixture(scope="session")
def legacy_xls(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The English workbook saved by LibreOffice as Excel 97-2003 (.xls, BIFF8)."""
    folder = tmp_path_factory.mktemp("xls")
    source = folder / "rfp.xlsx"
    source.write_bytes(workbooks.english_rfp(cached_formulas=False))
    (target,) = convert([source], "xls", folder / "out")
    return Path(target).read_bytes()
