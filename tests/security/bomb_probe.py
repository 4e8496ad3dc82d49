"""Run one upload check on one file in a fresh process and report time, memory and outcome.

    python -m tests.security.bomb_probe <importer> <file>

Prints one JSON object: whether the file was refused and with what message, the seconds the
check took, the process's peak resident memory (VmHWM) before and after the check, and
whether any parser was entered (each parser is replaced by a tripwire first, so a bomb
that reaches one shows as ``parser_ran``).
"""

import json
import sys
import time
from pathlib import Path
from typing import Any

import docx
import openpyxl
import python_calamine

from app.documents import proposal
from app.documents.errors import DocumentError
from app.errors import BidwrightError
from app.intake import reader
from app.services import catalog_excel, history_import
from fuzz import importers

PARSERS_ENTERED: list[str] = []


def _vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def _tripwire(name: str, original: Any) -> Any:
    def entered(*args: Any, **kwargs: Any) -> Any:
        PARSERS_ENTERED.append(name)
        return original(*args, **kwargs)

    return entered


def _arm_tripwires() -> None:
    catalog_excel.openpyxl.load_workbook = _tripwire("openpyxl", openpyxl.load_workbook)
    history_import.load_workbook = _tripwire("openpyxl", openpyxl.load_workbook)
    calamine = python_calamine.CalamineWorkbook
    reader.CalamineWorkbook = type(
        "TrippedCalamine",
        (),
        {"from_filelike": staticmethod(_tripwire("calamine", calamine.from_filelike))},
    )
    proposal.Document = _tripwire("python-docx", docx.Document)


def _check(importer: str, data: bytes, file_name: str) -> None:
    if importer == "template":
        proposal.check_template(data, max_bytes=10 * 1024 * 1024)
    else:
        importers.ENTRY_POINTS[importer](data, file_name)


def main() -> None:
    importer, path = sys.argv[1], Path(sys.argv[2])
    data = path.read_bytes()
    _arm_tripwires()
    before = _vm_hwm_kib()
    started = time.perf_counter()
    outcome: dict[str, Any] = {"refused": False, "message": ""}
    try:
        _check(importer, data, path.name)
    except (BidwrightError, DocumentError) as error:
        outcome = {"refused": True, "message": str(error)}
    seconds = time.perf_counter() - started
    outcome |= {
        "seconds": seconds,
        "hwm_before_mib": before / 1024,
        "hwm_after_mib": _vm_hwm_kib() / 1024,
        "parser_ran": PARSERS_ENTERED,
    }
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
