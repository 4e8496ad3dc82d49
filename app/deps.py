"""Request dependencies (``Annotated`` aliases used by the routes)."""

from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlmodel import Session

from app.db import begin_write

_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; state-changing requests take SQLite's write lock up front.

    A deferred SQLite transaction that reads and then writes fails at once with "database
    is locked" if another writer committed in between (WAL snapshot), whatever the busy
    timeout; ``BEGIN IMMEDIATE`` waits for the lock instead.
    """
    with Session(request.app.state.database) as session:
        endpoint = request.scope.get("endpoint")
        if request.method not in _READ_ONLY_METHODS and not getattr(endpoint, _READS_ONLY, False):
            begin_write(session)
        yield session


_READS_ONLY = "bidwright_session_reads_only"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def session_reads_only(endpoint: Endpoint) -> Endpoint:
    """Mark a state-changing route whose request session only reads: it takes no write
    lock up front. Starting a run is one: the run process writes the run, and a request
    holding the lock meanwhile would make every other writer wait for nothing."""
    setattr(endpoint, _READS_ONLY, True)
    return endpoint


SessionDep = Annotated[Session, Depends(get_session)]
