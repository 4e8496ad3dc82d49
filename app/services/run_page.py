"""The quote lines of the results page, computed once per succeeded run.

:func:`app.services.documents.quote_lines` decodes the run's input snapshot (hundreds of
kilobytes of JSON) and reads the revision's requirements on every call; that was most of
the results page's time. A succeeded run never changes, so its quote lines depend only on
the run, the language and the role names (which an admin may edit): those make the key,
read afresh on every request, so every server process computes the same lines.
"""

from sqlmodel import Session, col, select

from app.caching import BoundedCache
from app.models import Role, SimulationRun, User
from app.services import documents
from app.services.run_view import run_identity
from app.vocabulary import Language, RunStatus, can_see_cost

_QUOTES: BoundedCache[tuple[object, ...], documents.QuoteLinesView] = BoundedCache(64)


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
    key = (*run_identity(run), language, can_see_cost(user.role), role_names)
    return _QUOTES.get_or_compute(
        key, lambda: documents.quote_lines(session, run.id or 0, user=user, language=language)
    )
