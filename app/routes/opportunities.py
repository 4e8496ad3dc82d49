"""Dashboard, opportunities and their estimates."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import forms
from app.deps import SessionDep
from app.errors import FieldError
from app.models import User
from app.security import CurrentUser, csrf_protect, require
from app.services import estimates as estimate_service
from app.services import opportunities as opportunity_service
from app.services import reference
from app.vocabulary import AccessRole
from app.web import render

router = APIRouter(tags=["opportunities"], dependencies=[Depends(csrf_protect)])
Editor = Annotated[User, Depends(require(AccessRole.ADMIN, AccessRole.PRESALES))]


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    rows = opportunity_service.list_opportunities(session)
    return render(request, "index.html", {"opportunities": rows}, block="opportunities")


@router.get("/opportunities/new", response_class=HTMLResponse)
def new_opportunity(request: Request, user: Editor) -> Response:
    return render(request, "opportunity_new.html", {"values": {}, "error": None})


@router.post("/opportunities")
def create_opportunity(
    request: Request,
    session: SessionDep,
    user: Editor,
    customer_name: Annotated[str, Form(max_length=300)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    bid_number: Annotated[str, Form(max_length=100)] = "",
    bid_deadline: Annotated[str, Form(max_length=20)] = "",
    currency: Annotated[str, Form(pattern=r"^[A-Z]{3}$")] = "CNY",
) -> Response:
    values = {
        "customer_name": customer_name,
        "name": name,
        "bid_number": bid_number,
        "bid_deadline": bid_deadline,
        "currency": currency,
    }
    try:
        opportunity = opportunity_service.create_opportunity(
            session,
            user=user,
            customer_name=customer_name,
            name=name,
            bid_number=bid_number,
            bid_deadline=forms.optional_date("bid_deadline", bid_deadline),
            currency=currency,
        )
    except FieldError as error:
        context = {"values": values, "error": error}
        return render(request, "opportunity_new.html", context, status_code=422)
    session.commit()
    return RedirectResponse(f"/opportunities/{opportunity.id}", status_code=303)


@router.get("/opportunities/{opportunity_id}", response_class=HTMLResponse)
def opportunity_detail(
    request: Request, session: SessionDep, user: CurrentUser, opportunity_id: int
) -> Response:
    opportunity = opportunity_service.get_opportunity(session, opportunity_id)
    context = {"opportunity": opportunity, "choices": reference.estimate_choices(session)}
    return render(request, "opportunity.html", context)


@router.post("/opportunities/{opportunity_id}/estimates")
def create_estimate(
    session: SessionDep,
    user: Editor,
    opportunity_id: int,
    name: Annotated[str, Form(max_length=300)] = "",
    catalog_version_id: Annotated[int, Form()] = 0,
    rate_card_id: Annotated[int, Form()] = 0,
) -> Response:
    opportunity_service.get_opportunity(session, opportunity_id)
    estimate = estimate_service.create_estimate(
        session,
        user=user,
        opportunity_id=opportunity_id,
        name=name,
        catalog_version_id=catalog_version_id,
        rate_card_id=rate_card_id,
    )
    session.commit()
    return RedirectResponse(f"/revisions/{estimate.revisions[0].id}", status_code=303)
