"""Sales can never obtain cost rates or margins: crawled, not spot-checked.

The rate card's cost rates are first set to figures that appear nowhere else, a run is made
(so every result page, chart, document and export exists), then a sales user follows every
link reachable from the dashboard, as a page and as an htmx fragment, downloads every
document and export it links to, asks the JSON API, and provokes error pages. No body, no
part of a downloaded .docx or .xlsx, may contain a cost rate or a cost or margin figure.
"""

import io
import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from urllib.parse import urljoin, urlsplit

from sqlalchemy import Engine, text
from sqlmodel import Session, select

from app.db import write_session
from app.models import EstimateRevision, RateCardEntry, SimulationRun, User
from app.services import accounts
from app.vocabulary import AccessRole
from tests.web.conftest import Browser

Open = Callable[[AccessRole], Browser]
MAX_PAGES = 400
_LINK = re.compile(r'(?:href|src|hx-get)="([^"#]+)"')


def _distinct_cost_rates(engine: Engine) -> list[float]:
    """Cost day rates no price, id or count could ever equal by chance."""
    with Session(engine) as session:
        ids = [entry.id for entry in session.exec(select(RateCardEntry)).all()]
    rates = [1357.91 + 111.13 * index for index in range(len(ids))]
    with write_session(engine) as session:  # raw SQL: published cards are frozen in the ORM
        for entry_id, rate in zip(ids, rates, strict=True):
            session.execute(
                text("UPDATE rate_card_entry SET cost_day_rate = :rate WHERE id = :id"),
                {"rate": rate, "id": entry_id},
            )
    return rates


def _secrets(rates: list[float], engine: Engine, run_id: int) -> set[str]:
    with Session(engine) as session:
        run = session.get(SimulationRun, run_id)
        assert run is not None
        summary = dict(run.summary or {})
    figures = [float(value) for key, value in summary.items() if "cost" in key or "margin" in key]
    assert figures, "the run stored no cost or margin figures to look for"
    found = set()
    for figure in [*rates, *figures]:
        found |= {f"{figure:,.2f}", f"{figure:.2f}", repr(figure)}
    return {secret for secret in found if len(secret.replace(",", "")) >= 6}


def _bodies(content: bytes) -> Iterator[str]:
    """The text of a response; for an Office file, the text of every part inside it."""
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for name in archive.namelist():
                yield archive.read(name).decode("utf-8", "replace")
        return
    yield content.decode("utf-8", "replace")


def _links(page: str, base: str) -> Iterator[str]:
    for target in _LINK.findall(page):
        url = urljoin(base, target.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.netloc in {"", "testserver"} and not parts.path.startswith("/static"):
            yield parts.path + (f"?{parts.query}" if parts.query else "")


def _crawl(browser: Browser, start: list[str]) -> Iterator[tuple[str, str, bytes]]:
    """(url, content type, body) of every page and fragment reachable from ``start``."""
    seen, queue = set(start), deque(start)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.client.get(url, headers=headers, follow_redirects=True)
            assert response.status_code < 500, url
            content_type = response.headers.get("content-type", "")
            yield url, content_type, response.content
            if "html" in content_type:
                for link in _links(response.text, url):
                    if link not in seen:
                        seen.add(link)
                        queue.append(link)


def test_nothing_a_sales_user_can_reach_contains_a_cost_rate_or_a_margin(
    open_as: Open, seeded: Engine
) -> None:
    rates = _distinct_cost_rates(seeded)
    presales = open_as(AccessRole.PRESALES)
    with Session(seeded) as session:
        revision_id = session.exec(select(EstimateRevision)).first().id  # type: ignore[union-attr]
    started = presales.post(f"/revisions/{revision_id}/runs")
    assert started.status_code == 303, started.text
    run_id = int(started.headers["location"].rsplit("/", 1)[1])
    secrets = _secrets(rates, seeded, run_id)
    # The crawl is meaningful only if the same pages show these figures to presales.
    presales_page = presales.get(f"/runs/{run_id}").text
    assert any(secret in presales_page for secret in secrets)

    sales = open_as(AccessRole.SALES)
    start = [
        "/",
        f"/runs/{run_id}",
        f"/runs/{run_id}/proposal.docx",
        f"/runs/{run_id}/quote.xlsx",
        # Error pages: refused or missing things must not leak figures either.
        "/lines/1/edit",
        "/rate-cards/999999",
        f"/runs/{run_id}/charts/no-such-chart.svg",
    ]
    leaks = []
    visited = 0
    for url, _, content in _crawl(sales, start):
        visited += 1
        for body in _bodies(content):
            leaks += [f"{url}: {secret}" for secret in secrets if secret in body]
    with write_session(seeded) as session:
        user = session.exec(select(User).where(User.username == "sales")).one()
        token, _ = accounts.issue_api_token(session, user=user, name="crawl")
    for url in ("/api/v1/estimates", f"/api/v1/revisions/{revision_id}", f"/api/v1/runs/{run_id}"):
        body = sales.client.get(url, headers={"Authorization": f"Bearer {token}"}).text
        leaks += [f"{url}: {secret}" for secret in secrets if secret in body]
    assert visited > 40, "the crawl reached too few pages to mean anything"
    assert leaks == []
