"""Coverage-guided fuzzing of the three importers with atheris (libFuzzer), for a set time.

    FUZZ_SECONDS=300 .venv/bin/python fuzz/fuzz_importers.py

The first input byte picks the importer (requirement list, catalog, history); the rest is
the file. The corpus starts from real workbooks (an English RFP, a Chinese tender, the
seeded catalog's export, the demo history as CSV and as .xlsx) and generated hostile ones.
An exception other than the importer's located refusal stops the run and is reported;
libFuzzer's ``-rss_limit_mb=512`` fails the run if memory passes 512 MB. libFuzzer's final
lines give the figures: "Done <executions> runs in <seconds> second(s)", executions per
second and peak RSS (``stat::peak_rss_mb``); the exit status is 0 only for a clean run.
"""

import io
import os
import random
import sys
import tempfile
import warnings
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["app", "fuzz"]):
    from openpyxl import Workbook
    from sqlmodel import Session, SQLModel, select

    from app.config import PROJECT_ROOT
    from app.db import make_engine, write_session
    from app.models import CatalogVersion
    from app.services.catalog import export_catalog_workbook
    from app.services.seed import seed_all
    from fuzz import generators, importers
    from tests.intake import workbooks

NAMES = sorted(importers.ENTRY_POINTS)
RSS_LIMIT_MB = 512


def seed_files() -> list[bytes]:
    """Real workbooks and a few generated hostile ones."""
    history_csv = (ROOT / "data" / "history" / "demo_history.csv").read_bytes()
    history = Workbook()
    sheet = history.active
    assert sheet is not None
    for line in history_csv.decode("utf-8-sig").splitlines()[:60]:
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    history.save(buffer)
    files = [
        workbooks.english_rfp(),
        workbooks.chinese_tender(),
        history_csv,
        buffer.getvalue(),
        _catalog_export(),
    ]
    rng = random.Random(0)  # noqa: S311  (reproducible seeds, not secrets)
    files += [generators.random_workbook(rng) for _ in range(8)]
    return files


def _catalog_export() -> bytes:
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with write_session(engine) as session:
        seed_all(session, PROJECT_ROOT / "data")
    with Session(engine) as session:
        version = session.exec(select(CatalogVersion)).first()
        assert version is not None
        return export_catalog_workbook(session, version=version)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    name = NAMES[data[0] % len(NAMES)]
    try:
        importers.run(name, data[1:])
    except importers.REFUSALS as error:
        if not importers.refusal_is_located(error, "fuzz.xlsx"):
            raise AssertionError(f"{name}: refusal without a location: {error}") from error


def main() -> None:
    seconds = int(os.environ.get("FUZZ_SECONDS", "300"))
    warnings.simplefilter("ignore")
    corpus = Path(tempfile.mkdtemp(prefix="bidwright-fuzz-"))
    for index, content in enumerate(seed_files()):
        for selector in range(len(NAMES)):
            (corpus / f"seed-{index}-{selector}").write_bytes(bytes([selector]) + content)
    atheris.Setup(
        [
            sys.argv[0],
            f"-max_total_time={seconds}",
            f"-rss_limit_mb={RSS_LIMIT_MB}",
            "-max_len=262144",
            "-timeout=20",
            "-print_final_stats=1",
            f"-artifact_prefix={corpus}/",
            str(corpus),
            *sys.argv[1:],
        ],
        test_one_input,
    )
    atheris.Fuzz()


if __name__ == "__main__":
    main()
