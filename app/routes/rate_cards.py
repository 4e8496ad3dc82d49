"""Rate cards: everyone sees sell rates; cost and margin only admin and presales; admins edit."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import forms
from app.deps import SessionDep
from app.errors import ConcurrentEditError, FieldError, ImmutableRecordError
from app.models import User
from app.security import CurrentUser, csrf_protect, require
from app.services import rate_card_admin
from app.vocabulary import AccessRole
from app.web import language_of, render, wants_fragment

router = APIRouter(tags=["rate cards"], dependencies=[Depends(csrf_protect)])
Admin = Annotated[User, Depends(require(AccessRole.ADMIN))]


@router.get("/rate-cards", response_class=HTMLResponse)
def rate_card_list(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    cards = rate_card_admin.list_rate_cards(session, language_of(request))
    return render(request, "rate_cards.html", {"cards": cards}, block="cards")


def card_page(
    request: Request,
    session: Session,
    card_id: int,
    *,
    block: str | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    user = request.state.user
    card = rate_card_admin.rate_card_view(
        session, card_id, viewer=user.role, language=language_of(request)
    )
    context = {"card": card, "is_admin": user.role == AccessRole.ADMIN, **extra}
    return render(request, "rate_card.html", context, block=block, status_code=status_code)


def _after_change(request: Request, session: Session, card_id: int, block: str) -> Response:
    if wants_fragment(request):
        return card_page(request, session, card_id, block=block)
    return RedirectResponse(f"/rate-cards/{card_id}#{block}", status_code=303)


@router.get("/rate-cards/{card_id}", response_class=HTMLResponse)
def rate_card_detail(
    request: Request, session: SessionDep, user: CurrentUser, card_id: int
) -> Response:
    return card_page(request, session, card_id, block="entries")


@router.post("/rate-cards/{card_id}/new-draft")
def new_rate_card_draft(session: SessionDep, user: Admin, card_id: int) -> Response:
    draft = rate_card_admin.new_draft(session, user=user, card_id=card_id)
    session.commit()
    return RedirectResponse(f"/rate-cards/{draft.id}", status_code=303)


@router.post("/rate-cards/{card_id}/publish")
def publish_rate_card(
    request: Request,
    session: SessionDep,
    user: Admin,
    card_id: int,
    lock_version: Annotated[int, Form()],
) -> Response:
    try:
        rate_card_admin.publish(
            session, user=user, card_id=card_id, expected_lock_version=lock_version
        )
    except (ConcurrentEditError, ImmutableRecordError) as error:
        session.rollback()
        return card_page(
            request, session, card_id, block="card", status_code=409, card_conflict=str(error)
        )
    session.commit()
    return _after_change(request, session, card_id, "card")


def _parse_rates(form: dict[str, str], role_codes: list[str]) -> dict[str, Any]:
    return {
        code: rate_card_admin.DayRates(
            cost=forms.money(f"cost_{code}", form.get(f"cost_{code}")),
            sell=forms.money(f"sell_{code}", form.get(f"sell_{code}")),
        )
        for code in role_codes
    }


@router.post("/rate-cards/{card_id}/entries")
async def save_rates(request: Request, session: SessionDep, user: Admin, card_id: int) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await run_in_threadpool(_save_rates, request, session, user, card_id, form)


def _save_rates(
    request: Request, session: Session, user: User, card_id: int, form: dict[str, str]
) -> Response:
    try:
        rates = _parse_rates(form, rate_card_admin.role_codes_of(session, card_id))
        expected = forms.integer("lock_version", form.get("lock_version"), minimum=1, maximum=2**31)
        rate_card_admin.update_rates(
            session, user=user, card_id=card_id, expected_lock_version=expected, rates=rates
        )
    except FieldError as error:
        session.rollback()
        extra = {"error": error, "values": form}
        return card_page(request, session, card_id, block="entries", status_code=422, **extra)
    except (ConcurrentEditError, ImmutableRecordError) as error:
        session.rollback()
        extra = {"conflict": str(error)}
        return card_page(request, session, card_id, block="entries", status_code=409, **extra)
    session.commit()
    return _after_change(request, session, card_id, "entries")
