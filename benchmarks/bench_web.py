"""Web latency under load: 20 concurrent users on loopback against a real server.

Measures p50/p95/p99 latency of page and fragment requests and of interactive runs
(10,000 iterations over a 200-line estimate), beside a naive baseline measured in the same
run: the same requests made one at a time by a single user.

A user is a person, not a request loop: between two actions they pause (think time drawn
from an exponential distribution, mean ``THINK_SECONDS``). Each round: the dashboard, the
estimate, two catalog searches, an inline line edit (edit form, then save), a run and its
results page.

The load runs twice: with the HTML requests only, then with the results page's five chart
images fetched after it as a browser does (reported as ``chart``; each is drawn once per
server process and language, by matplotlib).

Targets (issue 4): p95 ≤ 100 ms for pages and fragments, ≤ 300 ms for interactive runs.
Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_web.py``).
"""

import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import make_engine, write_session  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import EstimateLine, EstimateRevision, WorkItem  # noqa: E402
from app.services import accounts  # noqa: E402
from app.services.estimates import add_line_from_item  # noqa: E402
from app.services.seed import seed_all  # noqa: E402
from app.vocabulary import AccessRole, ItemKind  # noqa: E402
from tests.reliability.live import LiveServer  # noqa: E402

USERS = 20
DURATION_SECONDS = 60
THINK_SECONDS = 1.0
PASSWORD = "bench password 1"  # noqa: S105 - throwaway accounts on a temporary database
LINES = 200


def prepare(database_url: str) -> int:
    """Seed, add users, and grow the demo revision to 200 lines; returns its id."""
    upgrade(database_url)
    database = make_engine(database_url)
    with write_session(database) as session:
        seed_all(session, ROOT / "data")
        for number in range(USERS):
            accounts.create_user(
                session, username=f"user{number}", password=PASSWORD, role=AccessRole.PRESALES
            )
        revision = session.exec(select(EstimateRevision)).one()
        items = session.exec(
            select(WorkItem)
            .where(WorkItem.catalog_version_id == revision.catalog_version_id)
            .where(WorkItem.kind == ItemKind.DAYS)
            .order_by(col(WorkItem.id))
        ).all()
        for index in range(LINES - len(revision.lines)):
            add_line_from_item(session, revision=revision, item=items[index % len(items)])
        revision_id = revision.id or 0
    database.dispose()
    return revision_id


def line_ids_of(database_url: str, revision_id: int) -> list[int]:
    database = make_engine(database_url)
    with Session(database) as session:
        lines = session.exec(
            select(EstimateLine.id)
            .where(EstimateLine.revision_id == revision_id)
            .order_by(col(EstimateLine.id))
        ).all()
    database.dispose()
    return [line for line in lines if line is not None]


def log_in(base: str, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "login_csrf": token.group(1)}
    )
    assert response.status_code in (200, 303), response.status_code
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert csrf is not None
    return client, csrf.group(1)


def one_round(
    client: httpx.Client,
    csrf: str,
    *,
    revision_id: int,
    line_id: int,
    record: dict[str, list[float]],
    think: Callable[[], None],
    charts: bool = False,
) -> None:
    """What a presales engineer does in a minute or so; with ``charts``, the results page's
    chart images are fetched too, as a browser does."""
    fragment = {"HX-Request": "true"}

    def save_line() -> httpx.Response:
        form = client.get(f"/lines/{line_id}/edit", headers=fragment).text
        values = dict(re.findall(r'name="([a-z_0-9]+)"[^>]*value="([^"]*)"', form))
        values["csrf_token"] = csrf
        return client.post(f"/lines/{line_id}", data=values, headers=fragment)

    def search(term: str) -> httpx.Response:
        return client.get(
            f"/revisions/{revision_id}/catalog-search", params={"q": term}, headers=fragment
        )

    requests: list[tuple[str, Callable[[], httpx.Response]]] = [
        ("page", lambda: client.get("/")),
        ("page", lambda: client.get(f"/revisions/{revision_id}")),
        ("fragment", lambda: search("登录")),
        ("fragment", lambda: search("report")),
        ("fragment", save_line),
        ("run", lambda: client.post(f"/revisions/{revision_id}/runs", data={"csrf_token": csrf})),
    ]
    for kind, call in requests:
        think()
        started = time.perf_counter()
        response = call()
        elapsed = time.perf_counter() - started
        if response.status_code >= 400:
            record["errors"].append(float(response.status_code))
            print(f"error {response.status_code} on {response.request.url}", file=sys.stderr)
        record[kind].append(elapsed)
        if kind == "run":
            location = response.headers.get("location", "")
            think()
            started = time.perf_counter()
            results = client.get(location)
            record["page"].append(time.perf_counter() - started)
            for chart in re.findall(r'src="(/runs/\d+/charts/[a-z-]+\.svg)"', results.text):
                if charts:
                    started = time.perf_counter()
                    client.get(chart)
                    record["chart"].append(time.perf_counter() - started)


def percentile(values: list[float], level: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(level * len(ordered)))] * 1000


def report(title: str, record: dict[str, list[float]], seconds: float) -> None:
    total = sum(len(values) for kind, values in record.items() if kind != "errors")
    print(
        f"\n{title}: {total} requests in {seconds:.1f} s ({total / seconds:.1f} req/s), "
        f"errors: {len(record['errors'])}"
    )
    print(f"{'kind':<10}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for kind in ("page", "fragment", "run", "chart"):
        values = record[kind]
        if values:
            print(
                f"{kind:<10}{len(values):>8}{percentile(values, 0.50):>10.1f}"
                f"{percentile(values, 0.95):>10.1f}{percentile(values, 0.99):>10.1f}"
                f"{statistics.mean(values) * 1000:>10.1f}"
            )


def load_pass(
    sessions: list[tuple[httpx.Client, str]],
    revision_id: int,
    line_ids: list[int],
    *,
    charts: bool,
) -> dict[str, list[float]]:
    """``USERS`` users doing rounds for ``DURATION_SECONDS``; the latencies by kind."""
    loaded: dict[str, list[float]] = defaultdict(list)
    deadline = time.perf_counter() + DURATION_SECONDS

    def user_loop(number: int, client: httpx.Client, csrf: str) -> None:
        pauses = random.Random(number)  # noqa: S311 - think times, not secrets

        def think() -> None:
            time.sleep(min(5 * THINK_SECONDS, pauses.expovariate(1 / THINK_SECONDS)))

        while time.perf_counter() < deadline:
            one_round(
                client,
                csrf,
                revision_id=revision_id,
                line_id=line_ids[number],
                record=loaded,
                think=think,
                charts=charts,
            )

    threads = [
        threading.Thread(target=user_loop, args=(number, *session))
        for number, session in enumerate(sessions)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    images = "with" if charts else "without"
    report(
        f"load: {USERS} concurrent users for {DURATION_SECONDS} s, {images} the results "
        "page's chart images",
        loaded,
        time.perf_counter() - started,
    )
    return loaded


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bidwright-bench-"))
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    revision_id = prepare(database_url)
    server = LiveServer(database_url, workdir / "server.log")
    server.start()
    base = server.base
    try:
        sessions = [log_in(base, f"user{number}") for number in range(USERS)]

        line_ids = line_ids_of(database_url, revision_id)
        baseline: dict[str, list[float]] = defaultdict(list)
        started = time.perf_counter()
        for _ in range(10):
            one_round(
                *sessions[0],
                revision_id=revision_id,
                line_id=line_ids[0],
                record=baseline,
                think=lambda: None,
            )
        report("baseline: one user, one request at a time", baseline, time.perf_counter() - started)

        for charts in (False, True):
            loaded = load_pass(sessions, revision_id, line_ids, charts=charts)
            pages = loaded["page"] + loaded["fragment"]
            print(
                f"\ntargets: pages+fragments p95 {percentile(pages, 0.95):.0f} ms (≤ 100), "
                f"interactive runs p95 {percentile(loaded['run'], 0.95):.0f} ms (≤ 300)"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
