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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability.live import LiveServer, line_ids, prepare_database  # noqa: E402

USERS = 20
DURATION_SECONDS = 60
THINK_SECONDS = 1.0
LINES = 200


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


KINDS = ("page", "fragment", "run", "chart", "download")


def report(title: str, record: dict[str, list[float]], seconds: float) -> tuple[int, int]:
    """Throughput, errors and latency percentiles by kind of request; (requests, errors)."""
    total = sum(len(values) for kind, values in record.items() if kind != "errors")
    errors = len(record["errors"])
    print(
        f"\n{title}: {total} requests in {seconds:.1f} s ({total / seconds:.1f} req/s), "
        f"errors: {errors} ({100 * errors / max(total, 1):.2f}%)"
    )
    print(f"{'kind':<10}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for kind in KINDS:
        values = record[kind]
        if values:
            print(
                f"{kind:<10}{len(values):>8}{percentile(values, 0.50):>10.1f}"
                f"{percentile(values, 0.95):>10.1f}{percentile(values, 0.99):>10.1f}"
                f"{statistics.mean(values) * 1000:>10.1f}"
            )
    return total, errors


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
    revision_id = prepare_database(database_url, users=USERS, lines=LINES)
    lines = line_ids(database_url, revision_id)
    server = LiveServer(database_url, workdir / "server.log")
    server.start()
    try:
        sessions = [server.log_in(f"user{number}") for number in range(USERS)]
        baseline: dict[str, list[float]] = defaultdict(list)
        started = time.perf_counter()
        for _ in range(10):
            one_round(
                *sessions[0],
                revision_id=revision_id,
                line_id=lines[0],
                record=baseline,
                think=lambda: None,
            )
        report("baseline: one user, one request at a time", baseline, time.perf_counter() - started)

        for charts in (False, True):
            loaded = load_pass(sessions, revision_id, lines, charts=charts)
            pages = loaded["page"] + loaded["fragment"]
            print(
                f"\ntargets: pages+fragments p95 {percentile(pages, 0.95):.0f} ms (≤ 100), "
                f"interactive runs p95 {percentile(loaded['run'], 0.95):.0f} ms (≤ 300)"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
