"""Load on loopback against a real server (issue 8): mixed users, memory, and run storms.

Phases, each against the same server on a temporary SQLite database (200-line estimate):

1. 20 and then 50 concurrent users for ``LOAD_SECONDS`` (2 minutes) each, mixing page
   views, catalog searches, line edits, interactive runs (10,000 iterations) and proposal
   and quote downloads (``bench_web.one_round`` plus downloads). Reported: throughput,
   p50/p95/p99 per kind, errors. The server's resident memory (``VmRSS`` summed over its
   processes) is sampled every second; target: the second minute's peak ≤ 1.10 × the first
   minute's (flat memory), and 0 errors.
2. 30 users for ``SHORT_SECONDS`` (60 s): < 1% failures, p95 < 300 ms.
3. 8 simultaneous 100,000-iteration runs plus 12 users viewing pages (browsing from 2 s
   before the runs start; the pages viewed while runs are in flight count): p99 < 250 ms;
   runs the server does not admit (beyond its slots and waiting line) are refused with
   429/503 and a ``Retry-After`` hint; none times out.

Baseline in the same run: one user, one request at a time (``bench_web``'s baseline).
Run ``.venv/bin/python benchmarks/bench_load.py`` (``make bench``) on a quiet machine;
``LOAD_SECONDS``/``SHORT_SECONDS`` shorten it for a smoke run. Exits 1 when a correctness
target (errors, time-outs, memory growth, missing retry hints) fails; latency verdicts are
printed.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx2 as httpx  # noqa: E402
from bench_web import one_round, percentile, report  # noqa: E402

from app.db import make_engine, write_session  # noqa: E402
from app.models import EstimateRevision  # noqa: E402
from tests.reliability.live import LiveServer, line_ids, prepare_database  # noqa: E402

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "120"))
SHORT_SECONDS = float(os.environ.get("SHORT_SECONDS", "60"))
MAX_USERS = 50
LINES = 200
THINK_SECONDS = 1.0
STORM_RUNS = 8
STORM_ITERATIONS = 100_000
STORM_PAGE_USERS = 12
# The page viewers are browsing before the runs start, each from its own moment: measured
# from a common start, twelve users' first page views at once (~0.7-1 s each) made the p99.
STORM_WARM_UP_SECONDS = 2.0
CLIENT_TIMEOUT_SECONDS = 120.0
Record = dict[str, list[float]]


@dataclass
class MemorySampler:
    """The server's resident memory (every process of it), once a second."""

    resident_kib: Callable[[], int]
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MemorySampler:
        started = time.perf_counter()

        def sample() -> None:
            while not self._stop.wait(1.0):
                self.samples.append((time.perf_counter() - started, self.resident_kib()))

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def peaks(self, split: float) -> tuple[int, int]:
        first = [kib for at, kib in self.samples if at <= split]
        second = [kib for at, kib in self.samples if at > split]
        return max(first, default=0), max(second, default=0)


@dataclass
class Setup:
    server: LiveServer
    revision_id: int
    line_ids: list[int]
    run_id: int
    sessions: list[tuple[httpx.Client, str]]


def user_round(setup: Setup, number: int, record: Record, think: Callable[[], None]) -> None:
    """bench_web's round (pages, searches, a line edit, a run and its page), then the two
    documents of a stored run."""
    client, csrf = setup.sessions[number]
    one_round(
        client,
        csrf,
        revision_id=setup.revision_id,
        line_id=setup.line_ids[number],
        record=record,
        think=think,
    )
    for url in (f"/runs/{setup.run_id}/proposal.docx", f"/runs/{setup.run_id}/quote.xlsx"):
        think()
        started = time.perf_counter()
        response = client.get(url)
        record["download"].append(time.perf_counter() - started)
        if response.status_code >= 400:
            record["errors"].append(float(response.status_code))


class _PhaseOverError(Exception):
    pass


def timed_users(setup: Setup, users: int, seconds: float) -> tuple[Record, float]:
    record: Record = defaultdict(list)
    deadline = time.perf_counter() + seconds

    def loop(number: int) -> None:
        pauses = random.Random(number)  # noqa: S311 - think times, not secrets

        def think() -> None:
            pause = min(5 * THINK_SECONDS, pauses.expovariate(1 / THINK_SECONDS))
            if time.perf_counter() + pause >= deadline:
                raise _PhaseOverError  # stop mid-round: the phase lasts what it says
            time.sleep(pause)

        while time.perf_counter() < deadline:
            try:
                user_round(setup, number, record, think)
            except _PhaseOverError:
                return
            except httpx.TransportError as error:
                record["errors"].append(0.0)
                print(f"transport error: {error!r}", file=sys.stderr)

    threads = [threading.Thread(target=loop, args=(number,)) for number in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return record, time.perf_counter() - started


def verdict(label: str, passed: bool) -> bool:
    print(f"  {'PASS' if passed else 'FAIL'}: {label}")
    return passed


def mixed_load(setup: Setup, users: int, seconds: float) -> bool:
    with MemorySampler(setup.server.resident_kib) as memory:
        record, elapsed = timed_users(setup, users, seconds)
    _, errors = report(f"{users} users for {seconds:.0f} s", record, elapsed)
    first, second = memory.peaks(seconds / 2)
    print(
        f"server RSS peak: first half {first / 1024:.0f} MiB, second half {second / 1024:.0f} MiB"
    )
    ok = verdict("0 errors", errors == 0)
    return verdict("memory flat (second half ≤ 1.10 × first)", second <= 1.10 * first) and ok


def short_load(setup: Setup) -> bool:
    record, elapsed = timed_users(setup, 30, SHORT_SECONDS)
    total, errors = report(f"30 users for {SHORT_SECONDS:.0f} s", record, elapsed)
    everything = [value for kind, values in record.items() if kind != "errors" for value in values]
    verdict("p95 < 300 ms (all requests)", percentile(everything, 0.95) < 300)
    return verdict("< 1% failures", errors < 0.01 * total)


def run_storm(setup: Setup) -> bool:
    """8 simultaneous 100k-iteration runs while other users view pages; the pages viewed
    while the runs are in flight are measured."""
    _set_iterations(setup, STORM_ITERATIONS)
    views: list[tuple[float, float, bool]] = []  # (began, seconds, failed)
    outcomes: list[tuple[int, str | None, float]] = []
    timeouts: list[str] = []
    start = threading.Barrier(STORM_RUNS)
    storm_over = threading.Event()

    def launch(number: int) -> None:
        client, csrf = setup.sessions[number]
        start.wait()
        began = time.perf_counter()
        try:
            response = client.post(
                f"/revisions/{setup.revision_id}/runs", data={"csrf_token": csrf}
            )
        except httpx.TimeoutException as error:
            timeouts.append(repr(error))
            return
        retry = response.headers.get("retry-after")
        outcomes.append((response.status_code, retry, time.perf_counter() - began))

    def view_pages(number: int) -> None:
        client, _ = setup.sessions[STORM_RUNS + number]
        time.sleep(number * STORM_WARM_UP_SECONDS / (2 * STORM_PAGE_USERS))
        while not storm_over.is_set():
            for url in ("/", f"/revisions/{setup.revision_id}"):
                began = time.perf_counter()
                response = client.get(url)
                views.append((began, time.perf_counter() - began, response.status_code >= 400))
                time.sleep(0.2)

    viewers = [threading.Thread(target=view_pages, args=(n,)) for n in range(STORM_PAGE_USERS)]
    runners = [threading.Thread(target=launch, args=(n,)) for n in range(STORM_RUNS)]
    for thread in viewers:
        thread.start()
    time.sleep(STORM_WARM_UP_SECONDS)
    began = time.perf_counter()
    for thread in runners:
        thread.start()
    for thread in runners:
        thread.join()
    ended = time.perf_counter()
    storm_over.set()
    for thread in viewers:
        thread.join()
    _set_iterations(setup, 10_000)
    pages: Record = defaultdict(list)
    for view_began, seconds, failed in views:
        if began <= view_began <= ended:
            pages["page"].append(seconds)
        if failed:  # warm-up included
            pages["errors"].append(1.0)
    report(
        f"{STORM_RUNS} runs of {STORM_ITERATIONS:,} iterations + page views",
        pages,
        ended - began,
    )
    done = [o for o in outcomes if o[0] in (200, 303)]
    refused = [o for o in outcomes if o[0] in (429, 503)]
    print(
        f"runs: {len(done)} finished (slowest {max((o[2] for o in done), default=0):.1f} s), "
        f"{len(refused)} refused (Retry-After {sorted({o[1] or '-' for o in refused})}), "
        f"{len(timeouts)} timed out, other {[o[0] for o in outcomes if o not in done + refused]}"
    )
    verdict("page p99 < 250 ms", percentile(pages["page"], 0.99) < 250)
    ok = verdict("no run timed out", not timeouts)
    ok = verdict("every run finished or was refused", len(done) + len(refused) == STORM_RUNS) and ok
    return verdict("every refusal carries Retry-After", all(o[1] for o in refused)) and ok


def _set_iterations(setup: Setup, iterations: int) -> None:
    database = make_engine(setup.server.database_url)
    with write_session(database) as session:
        revision = session.get(EstimateRevision, setup.revision_id)
        assert revision is not None
        revision.iterations = iterations
    database.dispose()


def prepare(workdir: Path) -> Setup:
    url = f"sqlite:///{workdir / 'load.db'}"
    revision_id = prepare_database(url, users=MAX_USERS, lines=LINES)
    lines = line_ids(url, revision_id)
    server = LiveServer(url, workdir / "server.log")
    server.start()
    sessions = [
        server.log_in(f"user{number}", timeout=CLIENT_TIMEOUT_SECONDS)
        for number in range(MAX_USERS)
    ]
    client, csrf = sessions[0]
    response = client.post(f"/revisions/{revision_id}/runs", data={"csrf_token": csrf})
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    return Setup(server, revision_id, lines, run_id, sessions)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bidwright-load-"))
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
    setup = prepare(workdir)
    try:
        baseline: Record = defaultdict(list)
        started = time.perf_counter()
        for _ in range(5):
            user_round(setup, 0, baseline, lambda: None)
        report("baseline: one user, one request at a time", baseline, time.perf_counter() - started)
        ok = mixed_load(setup, 20, LOAD_SECONDS)
        ok = mixed_load(setup, 50, LOAD_SECONDS) and ok
        ok = short_load(setup) and ok
        ok = run_storm(setup) and ok
        log = (workdir / "server.log").read_text(errors="replace")
        ok = (
            verdict('no "database is locked" in the server log', "database is locked" not in log)
            and ok
        )
    finally:
        for client, _ in setup.sessions:
            client.close()
        setup.server.stop()
    print(f"load average after: {os.getloadavg()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
