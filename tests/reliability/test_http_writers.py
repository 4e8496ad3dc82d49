"""Concurrent writers on SQLite under HTTP load never see "database is locked".

Eight users save their own estimate lines as fast as the server answers, against a real
server, while a second process writes to the same database file directly (a CLI import or
a second server would): every save succeeds, and neither a response nor the server's log
mentions a locked database.
"""

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.reliability.live import LiveServer, form_values, line_ids, prepare_database
from tests.reliability.workloads import LOCKED

pytestmark = pytest.mark.sqlite_only

USERS = 8
SECONDS = 4.0
OTHER_PROCESS = """
import sys, time
from app.db import make_engine, write_session
from app.models import Customer
database = make_engine(sys.argv[1])
print("ready", flush=True)
deadline, written = time.monotonic() + float(sys.argv[2]), 0
while time.monotonic() < deadline:
    with write_session(database) as session:  # a batch, as an import would write
        for _ in range(200):
            session.add(Customer(name=f"other process {written}"))
            written += 1
    time.sleep(0.001)
print(written)
"""


def _user_saves(
    client: httpx.Client,
    csrf: str,
    line_id: int,
    deadline: float,
    results: list[tuple[int, str]],
) -> None:
    quantity = 1
    while time.monotonic() < deadline:
        try:
            form = client.get(f"/lines/{line_id}/edit", headers={"HX-Request": "true"})
            results.append((form.status_code, form.text))
            values = form_values(form.text) if form.status_code == 200 else {}
            quantity += 1
            values.update(csrf_token=csrf, quantity=str(quantity))
            response = client.post(f"/lines/{line_id}", data=values, headers={"HX-Request": "true"})
            results.append((response.status_code, response.text))
        except httpx.HTTPError as error:  # counted as a failed request
            results.append((0, f"{type(error).__name__}: {error}"))


def test_sqlite_writers_under_http_load_never_surface_a_locked_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bidwright.db'}"
    revision_id = prepare_database(url, users=USERS, lines=USERS)
    lines = line_ids(url, revision_id)
    server = LiveServer(url, tmp_path / "server.log")
    server.start()
    results: list[tuple[int, str]] = []
    sessions = [server.log_in(f"user{number}") for number in range(USERS)]
    other = subprocess.Popen(  # noqa: S603 - our own code on a temporary file
        [sys.executable, "-c", OTHER_PROCESS, url, str(SECONDS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "ready"  # writing from now on
        deadline = time.monotonic() + SECONDS
        users = [
            threading.Thread(
                target=_user_saves, args=(client, csrf, lines[number], deadline, results)
            )
            for number, (client, csrf) in enumerate(sessions)
        ]
        for user in users:
            user.start()
        for user in users:
            user.join()
        other_out, other_err = other.communicate(timeout=60)
    finally:
        for client, _ in sessions:
            client.close()
        server.stop()
    assert other.returncode == 0, other_err
    assert int(other_out) > 0
    print(f"\n{len(results)} saves, {int(other_out)} writes by the other process")
    statuses = [status for status, _ in results]
    assert len(statuses) >= USERS
    assert set(statuses) == {200}, sorted(set(statuses))
    assert not any(LOCKED in body for _, body in results)
    assert LOCKED not in (tmp_path / "server.log").read_text()
