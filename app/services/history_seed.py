"""The demo delivery history (``data/history/*.csv``), loaded by ``bidwright seed``.

It goes through the same importer as a user's upload (header synonyms, row checks), so
the calibration pages have something to show on a fresh install. Idempotent: a file whose
SHA-256 was imported before is left alone.
"""

import hashlib
from pathlib import Path

from sqlmodel import Session

from app.models import HistorySource
from app.services import history
from app.services.history_import import (
    HistoryField,
    RowKind,
    check_rows,
    find_header,
    propose_mapping,
    read_csv,
)


class DemoHistoryError(ValueError):
    """The demo history file does not read cleanly (it is generated: regenerate it)."""


def seed_history(session: Session, directory: Path) -> tuple[list[str], list[str]]:
    """Import every CSV in ``directory`` not imported yet; (created, kept) file names."""
    created: list[str] = []
    kept: list[str] = []
    for path in sorted(directory.glob("*.csv")) if directory.is_dir() else []:
        data = path.read_bytes()
        label = f"history {path.name}"
        if history.previous_import(session, hashlib.sha256(data).hexdigest()) is not None:
            kept.append(label)
            continue
        grid = read_csv(data, path.name)
        header = find_header(grid.rows)
        if header is None:
            raise DemoHistoryError(f"{path}: no header row naming an estimate and an actual")
        mapping = {kind: index for index, kind in propose_mapping(grid.rows[header]).items()}
        checked = check_rows(
            grid,
            file_name=path.name,
            kind=RowKind.TASKS,
            mapping=mapping,
            role_codes=history.role_lookup(session),
        )
        if checked.problems or HistoryField.PROJECT not in mapping:
            raise DemoHistoryError(f"{path}: {'; '.join(map(str, checked.problems[:5]))}")
        history.store_import(
            session,
            user=None,
            checked=checked,
            sha256=hashlib.sha256(data).hexdigest(),
            source=HistorySource.DEMO,
        )
        created.append(label)
    return created, kept
