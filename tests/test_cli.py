"""The ``bidwright`` command, end to end on a database of its own."""

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import NoDelayConfig, cli
from app.config import get_settings
from app.db import get_engine, make_engine
from app.models import CatalogVersion, Opportunity
from app.services.catalog_excel import ITEMS_SHEET

runner = CliRunner()


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield database_url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def _invoke(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_upgrade_seed_export_and_import_through_the_cli(configured: str, tmp_path: Path) -> None:
    _invoke("db", "upgrade")
    assert "created: catalog default v1" in _invoke("seed")
    assert "created:" not in _invoke("seed")
    exported = tmp_path / "catalog.xlsx"
    assert "version 1" in _invoke("catalog", "export", str(exported))
    assert "as draft version 2" in _invoke("catalog", "import", str(exported))
    engine = make_engine(configured)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Opportunity)).one() == 1
        assert len(session.exec(select(CatalogVersion)).all()) == 2
    engine.dispose()


def test_a_bad_catalog_file_exits_1_with_every_problem_and_changes_nothing(
    configured: str, tmp_path: Path
) -> None:
    _invoke("db", "upgrade")
    _invoke("seed")
    exported = tmp_path / "catalog.xlsx"
    _invoke("catalog", "export", str(exported))
    workbook = openpyxl.load_workbook(exported)
    sheet = workbook[ITEMS_SHEET]
    sheet["J2"] = 99  # optimistic above most likely
    sheet["I3"] = "NOPE"  # unknown role
    workbook.save(exported)
    result = runner.invoke(cli, ["catalog", "import", str(exported)])
    assert result.exit_code == 1
    assert f"{ITEMS_SHEET}!J2: optimistic=99 is above most_likely=" in result.output
    assert f"{ITEMS_SHEET}!I3: unknown role 'NOPE'" in result.output
    engine = make_engine(configured)
    with Session(engine) as session:
        assert len(session.exec(select(CatalogVersion)).all()) == 1
    engine.dispose()


def test_exporting_an_unknown_catalog_is_a_clear_error(configured: str, tmp_path: Path) -> None:
    _invoke("db", "upgrade")
    result = runner.invoke(
        cli, ["catalog", "export", str(tmp_path / "x.xlsx"), "--catalog", "nope"]
    )
    assert result.exit_code == 1
    assert "catalog 'nope' has no a published version" not in result.output
    assert "catalog 'nope' has no published version" in result.output


def test_connections_to_the_served_socket_get_tcp_nodelay() -> None:
    """Without it every small response waits for the client's delayed ACK (~40 ms)."""
    config = NoDelayConfig("app.main:create_served_app", host="127.0.0.1", port=0, workers=2)
    listener = config.bind_socket()
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            connection = transport.get_extra_info("socket")
            seen.append(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        with socket.create_connection(listener.getsockname()[:2]):
            for _ in range(200):
                if seen:
                    break
                await asyncio.sleep(0.01)
        server.close()

    asyncio.run(accept_one())
    assert len(seen) == 1
    assert seen[0] != 0
