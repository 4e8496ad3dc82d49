"""One stored run of the demo estimate, shared by the document tests (SQLite, read only).

The customer's name carries ``&`` and ``<`` (escaping) and the contact a formula
(``=HYPERLINK``), so every document test also checks that user text stays text.
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from app.config import PROJECT_ROOT, get_settings
from app.db import make_engine, write_session
from app.models import Customer, EstimateRevision, SimulationRun, User
from app.services import accounts
from app.services import documents as document_service
from app.services.runs import create_run, execute_run
from app.services.seed import seed_all
from app.vocabulary import AccessRole, Language

DATA_DIR = PROJECT_ROOT / "data"
CUSTOMER = "某某银行 & Co <HQ>"
CONTACT = '=HYPERLINK("http://example.com","click")'


@dataclass(frozen=True)
class StoredRun:
    engine: Engine
    run_id: int

    def run(self) -> SimulationRun:
        with Session(self.engine) as session:
            run = session.get(SimulationRun, self.run_id)
            assert run is not None
            # Load the deferred JSON columns while the session is open.
            assert run.input_snapshot is not None
            assert run.summary is not None
            return run

    def user(self, role: AccessRole) -> User:
        with Session(self.engine) as session:
            return session.exec(select(User).where(User.username == role.value)).one()


@pytest.fixture(scope="session")
def stored_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoredRun]:
    path = tmp_path_factory.mktemp("documents") / "documents.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with write_session(engine) as session:
        seed_all(session, DATA_DIR)
        for role in AccessRole:
            accounts.create_user(
                session, username=role.value, password="correct horse battery", role=role
            )
        customer = session.exec(select(Customer)).one()
        customer.name, customer.contact_name = CUSTOMER, CONTACT
    with write_session(engine) as session:
        user = session.exec(select(User).where(User.username == "presales")).one()
        revision = session.exec(select(EstimateRevision).order_by(EstimateRevision.id)).first()
        assert revision is not None
        run = create_run(session, user=user, revision_id=revision.id or 0, data_dir=DATA_DIR)
        run_id = run.id or 0
    execute_run(engine, run_id)
    yield StoredRun(engine=engine, run_id=run_id)
    engine.dispose()


Build = Callable[..., document_service.Document]


@pytest.fixture(scope="session")
def proposal_for(stored_run: StoredRun) -> Build:
    def build(role: AccessRole, language: Language, **kwargs: object) -> document_service.Document:
        with Session(stored_run.engine) as session:
            return document_service.proposal_document(
                session,
                stored_run.run_id,
                user=stored_run.user(role),
                language=language,
                **kwargs,  # type: ignore[arg-type]
            )

    return build


@pytest.fixture(scope="session")
def quote_for(stored_run: StoredRun) -> Build:
    def build(role: AccessRole, language: Language, **kwargs: object) -> document_service.Document:
        with Session(stored_run.engine) as session:
            return document_service.quote_document(
                session,
                stored_run.run_id,
                user=stored_run.user(role),
                language=language,
                **kwargs,  # type: ignore[arg-type]
            )

    return build


@pytest.fixture
def template_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("BIDWRIGHT_TEMPLATE_DIR", str(tmp_path / "templates"))
    get_settings.cache_clear()
    yield tmp_path / "templates"
    get_settings.cache_clear()


def template_with(*paragraphs: str, footer: str = "") -> bytes:
    """A .docx proposal template: one paragraph per text, and an optional footer."""
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if footer:
        document.sections[0].footer.paragraphs[0].text = footer
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
