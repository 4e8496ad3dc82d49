"""Long simulation runs in a separate process, so requests are never held up by them.

One worker process: the machine has two cores and the web server needs one. The child
process opens its own database engine; nothing but the run id crosses the boundary.
"""

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache

from sqlalchemy import Engine
from sqlmodel import Session

from app.config import get_settings
from app.db import make_engine
from app.models import User
from app.services.runs import create_run, execute_run, is_interactive


def _execute_in_child(database_url: str, run_id: int) -> None:
    database = make_engine(database_url)
    try:
        execute_run(database, run_id)
    finally:
        database.dispose()


@lru_cache
def _executor() -> ProcessPoolExecutor:
    # "spawn": a clean interpreter, no copy of the server's threads, locks or connections.
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def submit_run(run_id: int, *, database_url: str) -> Future[None]:
    return _executor().submit(_execute_in_child, database_url, run_id)


def shutdown() -> None:
    if _executor.cache_info().currsize:
        _executor().shutdown(wait=False, cancel_futures=True)
        _executor.cache_clear()


def launch_run(session: Session, *, user: User, revision_id: int, database: Engine) -> int:
    """Create a run, commit it, and execute it here (interactive size) or in the worker.

    Returns the run id. The run's attributes are read before the commit: touching it
    afterwards would open a read transaction whose snapshot predates the stored result.
    """
    run, model = create_run(
        session, user=user, revision_id=revision_id, data_dir=get_settings().data_dir
    )
    run_id, interactive = run.id or 0, is_interactive(run)
    session.commit()
    if interactive:
        execute_run(database, run_id, model=model)
    else:
        submit_run(run_id, database_url=database.url.render_as_string(hide_password=False))
    return run_id
