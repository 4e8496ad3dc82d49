"""The quote lines of the results page, computed once per succeeded run.

:func:`app.services.documents.quote_lines` decodes the run's input snapshot (hundreds of
kilobytes of JSON) and reads the revision's requirements on every call; that was most of
the results page's time. A succeeded run never changes, so its quote lines depend only on
the run, the language and the role names (which an admin may edit): those make the key,
read afresh on every request, so every server process computes the same lines.
"""

import threading
from collections import OrderedDict

from sqlmodel import Session, col, select

from app.models import Role, SimulationRun, User
from app.services import documents
from app.vocabulary import Language, RunStatus, can_see_cost

_QUOTES: OrderedDict[tuple[object, ...], documents.QuoteLinesView] = OrderedDict()
_QUOTES_KEPT = 64
_QUOTES_LOCK = threading.Lock()


def page_quote_lines(
    session: Session, run: SimulationRun, *, user: User, language: Language
) -> documents.QuoteLinesView | None:
    """The quote lines of a succeeded run as the page shows them; None for other runs."""
    if run.status != RunStatus.SUCCEEDED:
        return None
    role_names = tuple(
        tuple(row)
        for row in session.exec(
            select(Role.code, Role.name_zh, Role.name_en).order_by(col(Role.sort_order))
        )
    )
    key = (
        run.id,
        run.input_sha256,
        str(run.finished_at),
        language,
        can_see_cost(user.role),
        role_names,
    )
    with _QUOTES_LOCK:
        cached = _QUOTES.get(key)
    if cached is not None:
        return cached
    lines = documents.quote_lines(session, run.id or 0, user=user, language=language)
    with _QUOTES_LOCK:
        _QUOTES[key] = lines
        if len(_QUOTES) > _QUOTES_KEPT:
            _QUOTES.popitem(last=False)
    return lines
