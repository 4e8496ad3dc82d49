"""Where runs execute, and how many at once.

The engine never runs in the web server's process: its Python parts hold the interpreter
lock, and under load every page waited behind the runs (measured: page p95 of seconds with
20 users). Child processes do the work instead: two for interactive runs, whose request
waits for the result, and one for long runs, whose page polls. Each child keeps one
database engine per URL; only ids, the URL and the data folder cross the boundary.

Per server process, at most ``INTERACTIVE_SLOTS`` interactive runs are handed to the run
processes at once; up to ``INTERACTIVE_WAITING`` more requests wait in line for a slot (at
most ``INTERACTIVE_WAIT_SECONDS``), and ``MAX_QUEUED_LONG_RUNS`` long runs may be queued.
Beyond that the request is refused with 503 and a ``Retry-After`` hint instead of piling up.
"""

import atexit
import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from app.collector import settle_long_lived_objects
from app.config import get_settings
from app.db import make_engine
from app.errors import BidwrightError
from app.models import User
from app.services.engine_input import RunInputError
from app.services.estimates import get_revision
from app.services.runs import (
    INTERACTIVE_LIMIT,
    create_queued_run,
    execute_run,
    run_interactive,
)

MAX_QUEUED_LONG_RUNS = 4
INTERACTIVE_SLOTS = 4
# Under load a person would rather wait a few seconds for a run than be told to retry
# (which only adds load): with 50 users on 2 cores, a 5 s limit refused 2-4% of runs. The
# line is bounded so that waiting requests (each holds one of the server's 40 threads)
# never starve page requests.
INTERACTIVE_WAITING = 16
INTERACTIVE_WAIT_SECONDS = 30.0
INTERACTIVE_TIMEOUT_SECONDS = 120.0
_interactive = threading.BoundedSemaphore(INTERACTIVE_SLOTS)
_admitted = threading.BoundedSemaphore(INTERACTIVE_SLOTS + INTERACTIVE_WAITING)
_queued: set[Future[None]] = set()
_queued_lock = threading.Lock()


class RunsBusyError(BidwrightError):
    """Too many runs at once; the client should retry after ``retry_after`` seconds."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@cache
def _child_database(database_url: str) -> Engine:
    """In a child process: one engine per database, kept for the child's lifetime."""
    return make_engine(database_url)


def _execute_in_child(database_url: str, run_id: int, report_progress: bool) -> None:
    execute_run(_child_database(database_url), run_id, report_progress=report_progress)


def _create_and_execute_in_child(
    database_url: str, user_id: int, revision_id: int, data_dir: str
) -> tuple[int, str]:
    """An interactive run from start to end: snapshot, record, simulate, store.

    Returns the run's id, or 0 and the message refusing the revision as it stands. Reading
    the revision and building its snapshot cost a 200-line run ~100 ms of Python; done
    here, that time no longer holds the web server's interpreter lock.
    """
    database = _child_database(database_url)
    try:
        run_id = run_interactive(
            database, user_id=user_id, revision_id=revision_id, data_dir=Path(data_dir)
        )
    except RunInputError as refusal:
        return 0, str(refusal)
    return run_id, ""


# Simulations yield the cores to page requests: a page costs milliseconds, a run hundreds.
# During 8 simultaneous 100k-iteration runs, page p95/p99 were 233/296 ms with interactive
# runs at 5, 140-198/229-267 ms at 10, while the 20-user mix measured the same either way
# (its runs are short); the runs took up to 13 s instead of 10.
RUN_NICENESS = {"interactive": 10, "long": 15}
# Two interactive run processes per server process: a run is one thread of numpy, so with
# one process a second run waited for the first while a core could have taken it. Measured
# with 20 users and 2 server processes on 2 cores: run p95 375-479 ms against 479-556 with
# one (pages 73-89 against 85-95 ms); a third gave nothing more. Each costs ~150 MB.
RUN_PROCESSES = {"interactive": 2, "long": 1}


def _prepare_child(niceness: int, server: int) -> None:
    """Lower the child's CPU priority, leave the modules it imported out of the collector's
    scans (see app.collector), and exit when the server process ``server`` dies."""
    lower_priority(niceness)
    settle_long_lived_objects()
    exit_with_parent(server)


def lower_priority(niceness: int) -> None:
    """Add ``niceness`` to every thread of this process.

    On Linux a nice value belongs to a thread: ``os.nice`` lowered only the main thread,
    and the BLAS threads numpy starts on import went on competing with page requests at
    full priority.
    """
    target = os.nice(niceness)
    try:
        threads = [int(name) for name in os.listdir("/proc/self/task")]
    except OSError:  # no /proc: the process-wide meaning of nice applies
        return
    for thread in threads:
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            if os.getpriority(os.PRIO_PROCESS, thread) < target:
                os.setpriority(os.PRIO_PROCESS, thread, target)


PARENT_CHECK_SECONDS = 0.5
# Set by ``bidwright serve`` for its server processes: the supervisor whose death they follow.
SUPERVISOR_PID = "BIDWRIGHT_SUPERVISOR_PID"


def exit_with_parent(parent: int) -> None:
    """Exit this process as soon as ``parent``, the process that started it, is no longer
    its parent (checked twice a second, first at once).

    A server killed with SIGKILL leaves its children running: an orphaned run process
    would store its result after the restarted server marked the run interrupted, and an
    orphaned server process would go on answering on the old socket. They exit instead.
    The parent's id comes from the parent: a child still starting up when its parent was
    killed would otherwise take its new parent (init) for its own and never exit.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


_pools: dict[str, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(kind: str) -> ProcessPoolExecutor:
    """The processes for ``kind`` ("interactive" or "long"), started on first use."""
    with _pools_lock:
        if kind not in _pools:
            # "spawn": a clean interpreter, no copy of the server's threads, locks or sockets.
            context = multiprocessing.get_context("spawn")
            _pools[kind] = ProcessPoolExecutor(
                max_workers=RUN_PROCESSES[kind],
                mp_context=context,
                initializer=_prepare_child,
                initargs=(RUN_NICENESS[kind], os.getpid()),
            )
        return _pools[kind]


def _ready() -> bool:
    return True


def start_interactive_workers() -> None:
    """Start the interactive run processes now, in the background: spawning one and
    importing the app there takes ~2 s, which the first runs of each server process paid.
    The pool starts a process for each task that finds none idle, so one task per process
    starts them all."""
    pool = _pool("interactive")
    for _ in range(RUN_PROCESSES["interactive"]):
        pool.submit(_ready)


@atexit.register
def shutdown() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        _pools.clear()


def _queued_long_runs() -> int:
    with _queued_lock:
        _queued.difference_update({future for future in _queued if future.done()})
        return len(_queued)


def submit_run(run_id: int, *, database_url: str) -> Future[None]:
    future = _pool("long").submit(_execute_in_child, database_url, run_id, True)
    with _queued_lock:
        _queued.add(future)
    return future


def _url(database: Engine) -> str:
    return database.url.render_as_string(hide_password=False)


def launch_run(session: Session, *, user: User, revision_id: int, database: Engine) -> int:
    """Create a run and execute it (interactive size) or queue it (long); return its id.

    Nothing waits while holding the database's write lock: the request's transaction is
    ended first, and the run row is written in a short transaction of its own. An
    interactive run is snapshotted, recorded and simulated in the worker process; the
    request only waits for it.
    """
    long_run = get_revision(session, revision_id).iterations > INTERACTIVE_LIMIT
    user_id = user.id or 0
    # From here the session stays untouched until the run is stored: any read (even of an
    # expired attribute) would start a transaction whose snapshot predates the result.
    session.commit()
    data_dir = get_settings().data_dir
    if long_run:
        if _queued_long_runs() >= MAX_QUEUED_LONG_RUNS:
            raise RunsBusyError(
                f"{MAX_QUEUED_LONG_RUNS} long runs are already queued; try again in a minute",
                retry_after=60,
            )
        run_id = create_queued_run(
            database, user_id=user_id, revision_id=revision_id, data_dir=data_dir
        ).run_id
        submit_run(run_id, database_url=_url(database))
        return run_id
    with _interactive_slot():
        future = _pool("interactive").submit(
            _create_and_execute_in_child, _url(database), user_id, revision_id, str(data_dir)
        )
        run_id, refusal = future.result(timeout=INTERACTIVE_TIMEOUT_SECONDS)
    if refusal:
        raise RunInputError(refusal)
    return run_id


@contextlib.contextmanager
def _interactive_slot() -> Iterator[None]:
    """Hold one of the interactive slots, after waiting in line for it if need be."""
    if not _admitted.acquire(blocking=False):
        raise RunsBusyError(
            f"{INTERACTIVE_WAITING} runs are already waiting; try again", retry_after=5
        )
    try:
        if not _interactive.acquire(timeout=INTERACTIVE_WAIT_SECONDS):
            raise RunsBusyError("the server is busy with other runs; try again", retry_after=5)
        try:
            yield
        finally:
            _interactive.release()
    finally:
        _admitted.release()
