"""Request dependencies (``Annotated`` aliases used by the routes)."""

from collections.abc import Iterator
from typing import Annotated

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
        if request.method not in _READ_ONLY_METHODS:
            begin_write(session)
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
