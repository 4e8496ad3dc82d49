"""The ``bidwright`` command: serve, migrate, seed, catalog import/export, backup/restore/check."""

import os
import socket
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from app.config import Environment, get_settings
from app.db import get_engine, read_session, write_session
from app.errors import BidwrightError
from app.migrate import upgrade
from app.services import accounts, operations
from app.services import catalog as catalog_service
from app.services.runs import mark_interrupted_runs
from app.services.seed import seed_all
from app.vocabulary import AccessRole
from app.worker import SUPERVISOR_PID

cli = typer.Typer(
    help="Bidwright: presales estimation and proposals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
catalog_cli = typer.Typer(help="Work-item catalogs as Excel workbooks.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(catalog_cli, name="catalog")


class NoDelayConfig(uvicorn.Config):
    """uvicorn's configuration, with its shared listening socket labelled as TCP.

    With several workers uvicorn binds one socket for all of them as protocol 0, and asyncio
    sets ``TCP_NODELAY`` only on connections of sockets that say ``IPPROTO_TCP``: every
    small response then waited ~40 ms for the client's delayed ACK (measured: a 9 ms
    fragment answered in 52 ms). The same socket, relabelled, gets ``TCP_NODELAY``.
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return sock
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())


# Idle keep-alive connections stay open longer than clients and proxies keep theirs (5 s in
# httpx, 60 s behind a typical load balancer): at uvicorn's default of 5 s, a request sent
# on a connection the server was closing at that moment got "connection reset by peer"
# (seen once in bench_load's 30-user phase).
KEEP_ALIVE_SECONDS = 65


def run_server(config: uvicorn.Config) -> None:
    """What ``uvicorn.run`` does for an import-string app, with ``config``'s socket."""
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        raise typer.Exit(code=3)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (BIDWRIGHT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (BIDWRIGHT_PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Server processes (BIDWRIGHT_WORKERS).")
    ] = None,
) -> None:
    """Serve the web app: runs a stopped server left unfinished are marked failed first."""
    settings = get_settings()
    interrupted = mark_interrupted_runs(get_engine())
    if interrupted:
        typer.echo(f"{interrupted} interrupted run(s) marked failed; they can be run again")
    processes = workers or settings.workers
    if processes > 1:
        os.environ[SUPERVISOR_PID] = str(os.getpid())  # inherited by the worker processes
    run_server(
        NoDelayConfig(
            "app.main:create_served_app" if processes > 1 else "app.main:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=processes,
            proxy_headers=True,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            access_log=False,  # the app logs every request itself, as JSON with its request id
        )
    )


@db_cli.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the Alembic migrations (creates the database if needed)."""
    upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@cli.command()
def seed() -> None:
    """Load the default roles, rate card, catalog and demo opportunity (idempotent).

    In development, also create the first admin when there is no user yet and print its
    one-time password (to be changed at first log-in).
    """
    settings = get_settings()
    with _friendly_errors(), write_session() as session:
        report = seed_all(session, settings.data_dir)
        first_admin = (
            accounts.create_first_admin(session)
            if settings.environment == Environment.DEVELOPMENT
            else None
        )
    typer.echo(str(report))
    if first_admin is not None:
        username, password = first_admin
        typer.echo(f"first admin: user {username!r}, one-time password {password!r}")


user_cli = typer.Typer(help="User accounts.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")


@user_cli.command("create")
def user_create(
    username: str,
    role: Annotated[AccessRole, typer.Option(help="admin, presales, sales or bid.")],
) -> None:
    """Create a user with a one-time password, printed once, to change at first log-in."""
    password = accounts.generate_password()
    with _friendly_errors(), write_session() as session:
        accounts.create_user(
            session, username=username, password=password, role=role, must_change_password=True
        )
    typer.echo(f"created {role.value} {username!r}; one-time password: {password}")


@catalog_cli.command("export")
def catalog_export(
    file: Path,
    catalog: Annotated[str, typer.Option(help="Catalog code.")] = "default",
    version: Annotated[
        int | None, typer.Option(help="Version (default: latest published).")
    ] = None,
) -> None:
    """Write a catalog version to an .xlsx file."""
    with _friendly_errors(), read_session() as session:
        found = catalog_service.find_catalog_version(session, catalog_code=catalog, number=version)
        data = catalog_service.export_catalog_workbook(session, version=found)
    file.write_bytes(data)
    typer.echo(f"wrote {file} (catalog {catalog} version {found.number})")


@catalog_cli.command("import")
def catalog_import(
    file: Path,
    catalog: Annotated[
        str | None, typer.Option(help="Target catalog code (default: the file's).")
    ] = None,
) -> None:
    """Import an .xlsx file as a new draft catalog version; any error changes nothing."""
    with _friendly_errors(), write_session() as session:
        version = catalog_service.import_catalog_workbook(
            session,
            data=file.read_bytes(),
            file_name=file.name,
            max_bytes=get_settings().max_upload_bytes,
            catalog_code=catalog,
        )
        summary = f"imported {len(version.items)} items as draft version {version.number}"
    typer.echo(summary)


@cli.command("backup")
def backup_command(
    file: Annotated[Path, typer.Argument(help="New file to write the backup to.")],
) -> None:
    """Back up the database while the server runs (SQLite online backup; pg_dump)."""
    with _friendly_errors():
        operations.backup(get_settings().database_url, file)
    typer.echo(f"backed up to {file}")


@cli.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="A file written by `bidwright backup`.")],
) -> None:
    """Replace the database with a backup (stop the server first); then run `check`."""
    with _friendly_errors():
        operations.restore(get_settings().database_url, file)
    typer.echo(f"restored from {file}")


@cli.command("check")
def check_command() -> None:
    """Check the database: integrity (SQLite), reachability and migration level.

    Exits 1 and lists the problems when there are any.
    """
    report = operations.check_database(get_engine())
    for problem in report.problems:
        typer.echo(f"problem: {problem}", err=True)
    if not report.ok:
        raise typer.Exit(code=1)
    typer.echo(f"ok: {report.backend} database at migration {report.revision}")


class _friendly_errors:  # noqa: N801 - used as a context manager, reads like one
    """Print domain errors as the user's message and exit 1, instead of a traceback."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, _tb: object) -> None:
        if isinstance(error, BidwrightError):
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=1) from error


def main() -> None:
    cli()
