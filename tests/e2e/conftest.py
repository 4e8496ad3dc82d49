"""A real server on loopback and the system Chromium driven by Playwright.

The browser is Debian's ``chromium`` (installed by ``make test`` through
``scripts/ensure-packages.sh``); ``playwright install`` is never run.
"""

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from app.config import PROJECT_ROOT
from app.db import make_engine, write_session
from app.main import create_app
from app.migrate import upgrade
from app.services import accounts
from app.services.seed import seed_all
from app.vocabulary import AccessRole
from tests.conftest import DATA_DIR

PASSWORD = "correct horse battery"
SCREENSHOTS = PROJECT_ROOT / "test-output" / "e2e"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def database_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'bidwright.db'}"


@pytest.fixture(scope="module")
def server(database_file: str) -> Iterator[str]:
    database_url = database_file
    upgrade(database_url)
    database = make_engine(database_url)
    with write_session(database) as session:
        seed_all(session, DATA_DIR)
        for role in AccessRole:
            accounts.create_user(session, username=role.value, password=PASSWORD, role=role)
    port = _free_port()
    config = uvicorn.Config(create_app(database), host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: run scripts/ensure-packages.sh chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page_for(browser: Browser, server: str) -> Iterator[object]:
    contexts = []

    def open_as(username: str) -> Page:
        context = browser.new_context(
            base_url=server, locale="zh-CN", viewport={"width": 1400, "height": 1000}
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(f"{server}/")
        return page

    yield open_as
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
