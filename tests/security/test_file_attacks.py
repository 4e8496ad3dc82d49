"""Files as attacks: bombs, entities, sandbox escapes, oversized and misnamed uploads.

The bomb checks run in a fresh process (``tests/security/bomb_probe.py``) so the time and
the peak resident memory (VmHWM) are the check's own; each parser is replaced by a
tripwire there, which shows that the bomb was refused before any parser saw it.
Pass figures (issue #8): a zip bomb refused in ≤ 50 ms, an entity bomb in ≤ 100 ms; the
memory bound here is a rise of at most 64 MiB in peak RSS over the loaded process.
"""

import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.config import PROJECT_ROOT, get_settings
from app.models import RequirementList
from app.vocabulary import AccessRole
from tests.intake import workbooks
from tests.security import attack_files
from tests.web.conftest import Browser

ZIP_BOMB_SECONDS = 0.050
ENTITY_BOMB_SECONDS = 0.100
MEMORY_RISE_MIB = 64
IMPORTERS = ("requirement_list", "catalog", "history")
XLSX_ATTACKS: dict[str, tuple[Callable[[], bytes], float]] = {
    "zip bomb (2 GiB sheet)": (attack_files.xlsx_zip_bomb, ZIP_BOMB_SECONDS),
    "billion laughs": (attack_files.xlsx_billion_laughs, ENTITY_BOMB_SECONDS),
    "billion laughs in UTF-16": (
        lambda: attack_files.xlsx_billion_laughs("utf-16"),
        ENTITY_BOMB_SECONDS,
    ),
    "external entity": (attack_files.xlsx_external_entity, ENTITY_BOMB_SECONDS),
}
DOCX_ATTACKS: dict[str, tuple[Callable[[], bytes], float]] = {
    "zip bomb (2 GiB document)": (attack_files.docx_zip_bomb, ZIP_BOMB_SECONDS),
    "billion laughs": (attack_files.docx_billion_laughs, ENTITY_BOMB_SECONDS),
    "billion laughs in UTF-16": (
        lambda: attack_files.docx_billion_laughs("utf-16"),
        ENTITY_BOMB_SECONDS,
    ),
    "external entity": (attack_files.docx_external_entity, ENTITY_BOMB_SECONDS),
}


def _probe(importer: str, data: bytes, path: Path) -> dict[str, object]:
    path.write_bytes(data)
    finished = subprocess.run(  # noqa: S603  (our own interpreter and module)
        [sys.executable, "-m", "tests.security.bomb_probe", importer, str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(finished.stdout.strip().splitlines()[-1])
    print(importer, path.name, result)  # the figures, for the closing note
    return result


def _assert_refused_cheaply(result: dict[str, object], seconds: float) -> None:
    assert result["refused"] is True, result
    assert result["parser_ran"] == [], result
    assert isinstance(result["seconds"], float)
    assert result["seconds"] <= seconds, result
    rise = float(result["hwm_after_mib"]) - float(result["hwm_before_mib"])  # type: ignore[arg-type]
    assert rise <= MEMORY_RISE_MIB, result


@pytest.mark.parametrize("attack", sorted(XLSX_ATTACKS))
@pytest.mark.parametrize("importer", IMPORTERS)
def test_a_hostile_workbook_is_refused_fast_in_bounded_memory_before_any_parser_runs(
    importer: str, attack: str, tmp_path: Path
) -> None:
    build, seconds = XLSX_ATTACKS[attack]
    result = _probe(importer, build(), tmp_path / "attack.xlsx")
    _assert_refused_cheaply(result, seconds)


@pytest.mark.parametrize("attack", sorted(DOCX_ATTACKS))
def test_a_hostile_proposal_template_is_refused_fast_in_bounded_memory_before_any_parser_runs(
    attack: str, tmp_path: Path
) -> None:
    build, seconds = DOCX_ATTACKS[attack]
    result = _probe("template", build(), tmp_path / "attack.docx")
    _assert_refused_cheaply(result, seconds)


def test_the_bombs_really_are_bombs() -> None:
    for bomb in (attack_files.xlsx_zip_bomb(), attack_files.docx_zip_bomb()):
        with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
        assert len(bomb) < 3 * 1024 * 1024
        assert expanded >= 1.9 * 1024**3


def _lists(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(RequirementList)).one()


@pytest.mark.parametrize(
    ("file_name", "content_type"),
    [
        ("../../etc/passwd.xlsx", "application/vnd.ms-excel"),
        ("..\\..\\windows\\win.ini.xlsx", "application/octet-stream"),
        ("nul\x00byte.xlsx", "application/octet-stream"),
        ("\u202excod.xlsx", "text/html"),
        ("a" * 5000 + ".xlsx", "image/png"),
    ],
    ids=["dot-dot", "backslashes", "nul", "rtl-override", "5000-characters"],
)
def test_path_like_file_names_are_kept_as_a_plain_short_base_name(
    open_as: Callable[[AccessRole], Browser],
    seeded: Engine,
    file_name: str,
    content_type: str,
) -> None:
    browser = open_as(AccessRole.BID)
    response = browser.post(
        "/opportunities/1/requirement-lists",
        files={"workbook": (file_name, workbooks.english_rfp(), content_type)},
    )
    assert response.status_code < 500
    with Session(seeded) as session:
        stored = session.exec(select(RequirementList.file_name)).all()
    for name in stored:
        assert "/" not in name
        assert "\\" not in name
        assert "\x00" not in name
        assert len(name) <= 200
    assert "/etc/passwd" not in response.text


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"%PDF-1.7\n" + b"0" * 1000, "PDF"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "web page"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "PNG"),
        (b"MZ" + b"\x00" * 4000, "binary"),
    ],
)
def test_a_file_of_another_type_named_xlsx_is_refused_with_a_reason(
    open_as: Callable[[AccessRole], Browser], seeded: Engine, content: bytes, what: str
) -> None:
    browser = open_as(AccessRole.BID)
    before = _lists(seeded)
    response = browser.post(
        "/opportunities/1/requirement-lists",
        files={"workbook": ("list.xlsx", content, "application/vnd.ms-excel")},
    )
    assert response.status_code == 422
    assert "list.xlsx" in response.text
    assert _lists(seeded) == before


def test_an_oversized_upload_is_refused_with_413_before_it_is_read(
    open_as: Callable[[AccessRole], Browser],
) -> None:
    browser = open_as(AccessRole.ADMIN)
    too_big = b"0" * (get_settings().max_request_bytes + 1)
    for url, field in (
        ("/opportunities/1/requirement-lists", "workbook"),
        ("/catalogs/import", "workbook"),
        ("/calibration/import", "upload"),
        ("/proposal-templates", "template"),
    ):
        response = browser.post(url, files={field: ("big.xlsx", too_big, "application/zip")})
        assert response.status_code == 413, url


def test_a_template_reaching_for_python_internals_is_flagged_and_never_rendered(
    open_as: Callable[[AccessRole], Browser],
) -> None:
    document = Document()
    document.add_paragraph("{{ ''.__class__.__mro__[1].__subclasses__()[0].__init__.__globals__ }}")
    document.add_paragraph("{{ cycler.__init__.__globals__.os.popen('id').read() }}")
    buffer = io.BytesIO()
    document.save(buffer)
    browser = open_as(AccessRole.PRESALES)
    response = browser.post(
        "/proposal-templates",
        files={"template": ("escape.docx", buffer.getvalue(), "application/octet-stream")},
    )
    assert response.status_code == 422
    assert "Python internals" in response.text or "internals" in response.text
    assert "uid=" not in response.text
