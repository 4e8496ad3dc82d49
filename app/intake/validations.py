"""Dropdown answer lists (list data validations) read from the sheet XML.

openpyxl cannot see the x14 kind that Excel writes when the list lives on another sheet
(``<x14:dataValidation>`` with ``<xm:f>Lists!$A$1:$A$4</xm:f>``) and drops it on save, so
both kinds are read here from the part that follows ``</sheetData>``, and each list is
resolved to its option texts from the cached values of the sheet it points at, hidden
sheets included.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping
from xml.etree.ElementTree import Element

from app.intake.package import (
    MAIN_NS,
    X14_NS,
    XM_NS,
    defined_names,
    parse_range,
    parse_sqref,
    sheet_parts,
    sheet_tail,
)
from app.intake.types import CellRange, SheetData, Validation

# 'My Lists'!$A$1:$A$4, Lists!A1:A4 or $H$2:$H$5 (then on the validating sheet itself).
_RANGE_FORMULA = re.compile(
    r"^=?(?:(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^!'\s]+))!)?"
    r"(?P<range>\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)$"
)
MAX_OPTIONS = 200


def read_validations(
    archive: zipfile.ZipFile, sheets: Mapping[str, SheetData]
) -> dict[str, tuple[Validation, ...]]:
    """Every list validation per sheet name, resolved to option texts where possible."""
    names = defined_names(archive)
    found: dict[str, tuple[Validation, ...]] = {}
    for part in sheet_parts(archive):
        if part.name not in sheets or part.part not in archive.NameToInfo:
            continue
        root = sheet_tail(archive, part.part)
        resolved = (
            Validation(ranges, _options(formula, part.name, sheets, names))
            for ranges, formula in _list_validations(root)
        )
        found[part.name] = tuple(v for v in resolved if v.options)
    return found


def _list_validations(root: Element) -> Iterator[tuple[tuple[CellRange, ...], str]]:
    """(ranges, formula1) of each ``type="list"`` validation, classic and x14."""
    for rule in root.iter(f"{{{MAIN_NS}}}dataValidation"):
        formula = rule.findtext(f"{{{MAIN_NS}}}formula1")
        if rule.get("type") == "list" and formula and rule.get("sqref"):
            yield parse_sqref(rule.get("sqref", "")), formula
    for rule in root.iter(f"{{{X14_NS}}}dataValidation"):
        formula = rule.findtext(f"{{{X14_NS}}}formula1/{{{XM_NS}}}f")
        sqref = rule.findtext(f"{{{XM_NS}}}sqref")
        if rule.get("type") == "list" and formula and sqref:
            yield parse_sqref(sqref), formula


def _options(
    formula: str, sheet: str, sheets: Mapping[str, SheetData], names: Mapping[str, str]
) -> tuple[str, ...]:
    formula = formula.strip()
    if formula.startswith('"'):
        return _unique(formula.strip('"').split(","))
    if formula in names:  # a defined name, one level deep
        formula = names[formula]
    match = _RANGE_FORMULA.match(formula)
    if match is None:
        return ()  # INDIRECT(), OFFSET() and other computed lists
    target = match.group("quoted") or match.group("plain") or sheet
    target = target.replace("''", "'")
    if target not in sheets:
        return ()
    area = parse_range(match.group("range"))
    values = (
        sheets[target].cell(row, column)
        for row in range(area.first_row, min(area.last_row, area.first_row + MAX_OPTIONS) + 1)
        for column in range(area.first_column, area.last_column + 1)
    )
    return _unique(str(value) for value in values if value is not None)


def _unique(values: Iterator[str] | list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value.strip():
            seen.setdefault(value.strip(), None)
    return tuple(seen)
