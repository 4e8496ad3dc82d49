"""A real Bidwright server in a subprocess on a temporary database, for fault tests.

Used by the kill tests (``tests/reliability``) and the reliability and load benchmarks.
The server runs in a process group of its own, so killing the group also kills its
run workers, as a container stop or systemd's default ``KillMode`` does.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import openpyxl
from sqlmodel import col, select

from app.config import PROJECT_ROOT
from app.db import make_engine, read_session, write_session
from app.migrate import upgrade
from app.models import EstimateLine, EstimateRevision, WorkItem
from app.services import accounts
from app.services import catalog as catalog_service
from app.services.catalog_excel import ITEMS_SHEET
from app.services.estimates import add_line_from_item
from app.services.seed import seed_all
from app.vocabulary import AccessRole, ItemKind

PASSWORD = "live server password"  # throwaway accounts, temporary database
_LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_database(database_url: str, *, users: int = 1, lines: int = 0) -> int:
    """Migrate and seed; add ``user0..`` (presales) and ``admin0`` (admin); grow the demo
    revision to ``lines`` lines. Returns the demo revision's id."""
    upgrade(database_url)
    database = make_engine(database_url)
    with write_session(database) as session:
        seed_all(session, PROJECT_ROOT / "data")
        for number in range(users):
            accounts.create_user(
                session, username=f"user{number}", password=PASSWORD, role=AccessRole.PRESALES
            )
        accounts.create_user(session, username="admin0", password=PASSWORD, role=AccessRole.ADMIN)
        revision = session.exec(select(EstimateRevision).order_by(col(EstimateRevision.id))).first()
        assert revision is not None
        items = session.exec(
            select(WorkItem)
            .where(WorkItem.catalog_version_id == revision.catalog_version_id)
            .where(WorkItem.kind == ItemKind.DAYS)
            .order_by(col(WorkItem.id))
        ).all()
        for index in range(max(0, lines - len(revision.lines))):
            add_line_from_item(session, revision=revision, item=items[index % len(items)])
        revision_id = revision.id or 0
    database.dispose()
    return revision_id


def large_catalog_workbook(database_url: str, *, copies: int) -> tuple[bytes, int]:
    """The default catalog exported with its day items repeated ``copies`` times under new
    codes; returns the workbook and how many items it holds."""
    database = make_engine(database_url)
    with read_session(database) as session:
        version = catalog_service.find_catalog_version(session, catalog_code="default", number=None)
        data = catalog_service.export_catalog_workbook(session, version=version)
    database.dispose()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook[ITEMS_SHEET]
    header = [cell.value for cell in sheet[1]]
    code_column, kind_column = header.index("编码 Code"), header.index("类型 Kind")
    rows = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    codes = {row[code_column] for row in rows}
    for copy in range(copies):
        for row in rows:
            if row[kind_column] == "days":
                clone = list(row)
                clone[code_column] = f"{row[code_column]}-C{copy:03d}"
                codes.add(clone[code_column])
                sheet.append(clone)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue(), len(codes)


@dataclass
class LiveServer:
    """``bidwright serve`` on loopback, as deployed (``BIDWRIGHT_WORKERS`` server
    processes); its output (the request log) to a file."""

    database_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra_environment: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 90.0) -> None:
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "BIDWRIGHT_ENVIRONMENT": "test",
            **self.extra_environment,
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own server on loopback
            [
                str(Path(sys.executable).with_name("bidwright")),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited at start-up: {self.log_path.read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not answer within {timeout} s")

    def kill(self) -> None:
        """SIGKILL the server and its run workers (the whole process group), at once."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def resident_kib(self) -> int:
        """Resident memory of the whole server (supervisor, workers, run processes), KiB."""
        assert self.process is not None
        total = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            with contextlib.suppress(OSError):
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
                if os.getpgid(int(status.parent.name)) == self.process.pid:
                    total += int(fields.get("VmRSS", "0 kB").split()[0])
        return total

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        self.kill()

    def log_in(self, username: str, *, timeout: float = 60) -> tuple[httpx.Client, str]:
        client = httpx.Client(base_url=self.base, timeout=timeout)
        page = client.get("/login").text
        token = _LOGIN_CSRF.search(page)
        assert token is not None
        response = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "login_csrf": token.group(1)},
        )
        assert response.status_code in (200, 303), response.status_code
        csrf = _CSRF.search(client.get("/").text)
        assert csrf is not None
        return client, csrf.group(1)


def line_ids(database_url: str, revision_id: int, *, limit: int | None = None) -> list[int]:
    """The revision's line ids in creation order (the first ``limit`` of them)."""
    database = make_engine(database_url)
    try:
        with read_session(database) as session:
            ids = session.exec(
                select(EstimateLine.id)
                .where(EstimateLine.revision_id == revision_id)
                .order_by(col(EstimateLine.id))
                .limit(limit)
            ).all()
    finally:
        database.dispose()
    return [line_id for line_id in ids if line_id is not None]


def edit_form_values(client: httpx.Client, line_id: int) -> dict[str, str]:
    """The line editor's current field values (including its ``lock_version``)."""
    return form_values(client.get(f"/lines/{line_id}/edit", headers={"HX-Request": "true"}).text)


def form_values(html: str) -> dict[str, str]:
    """Named input values of a rendered form."""
    return dict(re.findall(r'name="([a-z_0-9]+)"[^>]*value="([^"]*)"', html))
