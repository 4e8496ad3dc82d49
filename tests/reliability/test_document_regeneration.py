"""A stored run regenerates byte-identical documents after a restart and after a migration
round trip (downgrade to 0002, upgrade to head) of a copy of its database."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.db import get_engine, make_engine
from app.main import create_app
from app.migrate import downgrade, upgrade
from app.models import EstimateRevision
from app.services.operations import backup, check_database, restore
from tests.conftest import _new_database
from tests.web.conftest import csrf_of, log_in

DOCUMENTS = (
    "proposal.docx?language=en",
    "proposal.docx?language=zh",
    "quote.xlsx",
)


def _documents(database: Engine, run_id: int) -> dict[str, bytes]:
    with TestClient(create_app(database)) as client:
        assert log_in(client, "presales").status_code == 303
        downloads = {name: client.get(f"/runs/{run_id}/{name}") for name in DOCUMENTS}
    assert {name: r.status_code for name, r in downloads.items()} == dict.fromkeys(
        DOCUMENTS, 200
    ), {name: r.text[:300] for name, r in downloads.items() if r.status_code != 200}
    return {name: response.content for name, response in downloads.items()}


def _stored_run(database: Engine) -> int:
    with Session(database) as session:
        revision = session.exec(select(EstimateRevision).order_by(col(EstimateRevision.id))).first()
        assert revision is not None
    with TestClient(create_app(database)) as client:
        assert log_in(client, "presales").status_code == 303
        response = client.post(
            f"/revisions/{revision.id}/runs",
            data={"csrf_token": csrf_of(client)},
            follow_redirects=False,
        )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


@contextmanager
def _copy_of(url: str, tmp_path: Path) -> Iterator[str]:
    """A copy of the database through ``bidwright backup``/``restore``'s functions (a file
    copy would miss what SQLite still holds in its WAL file)."""
    backup(url, tmp_path / "copy.backup")
    with _new_database(tmp_path) as copy_url:
        restore(copy_url, tmp_path / "copy.backup")
        yield copy_url


def test_a_stored_run_regenerates_identical_documents_after_restart_and_migration(
    configured: str, tmp_path: Path
) -> None:
    first = make_engine(configured)
    run_id = _stored_run(first)
    original = _documents(first, run_id)
    first.dispose()
    get_engine().dispose()

    restarted = make_engine(configured)  # a new engine and app: what a restart builds
    assert _documents(restarted, run_id) == original
    restarted.dispose()

    with _copy_of(configured, tmp_path) as copy_url:
        downgrade(copy_url, "0002")
        upgrade(copy_url)
        migrated = make_engine(copy_url)
        try:
            assert check_database(migrated).ok
            assert _documents(migrated, run_id) == original
        finally:
            migrated.dispose()
