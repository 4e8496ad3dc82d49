"""Benchmark of the proposal (.docx) and quote (.xlsx) builders (issue 5 targets).

Run ``.venv/bin/python benchmarks/bench_documents.py`` (``make bench``). A 300-line
estimate with 20 risks is simulated once (10,000 iterations) into a throw-away SQLite
database; then each case is timed, best of several runs (the machine is shared).

Targets: the proposal with its charts ≤ 2 s, the quote ≤ 0.5 s. Baselines measured in
the same run:

- proposal, cold: every chart drawn again for the document (no per-run PNG cache), the
  template read from disk: what a naive builder does on every download;
- quote, naive: the same cells written with fresh Font/Border/Alignment objects per cell
  (openpyxl's default way) instead of named styles registered once.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402
from openpyxl.styles import Alignment, Border, Font, Side  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

from app.db import make_engine, write_session  # noqa: E402
from app.models import EstimateRevision, SimulationRun, User  # noqa: E402
from app.services import accounts  # noqa: E402
from app.services import documents as document_service  # noqa: E402
from app.services.engine_input import snapshot_digest  # noqa: E402
from app.services.runs import create_run, execute_run  # noqa: E402
from app.services.seed import seed_all  # noqa: E402
from app.vocabulary import AccessRole, Language  # noqa: E402

LINES = 300
RISKS = 20


def _large_run(folder: Path) -> tuple[object, int]:
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    with write_session(engine) as session:
        seed_all(session, ROOT / "data")
        accounts.create_user(
            session, username="presales", password="x" * 12, role=AccessRole.PRESALES
        )
    with write_session(engine) as session:
        user = session.exec(select(User)).one()
        revision = session.exec(select(EstimateRevision).order_by(EstimateRevision.id)).first()
        assert revision is not None
        run = create_run(session, user=user, revision_id=revision.id or 0, data_dir=ROOT / "data")
        snapshot = dict(run.input_snapshot)
        lines = sorted({item["line"] for item in snapshot["items"]})
        copies = -(-LINES // len(lines))
        snapshot["items"] = [
            {**item, "line": f"{item['line']}#{copy}"}
            for copy in range(copies)
            for item in snapshot["items"]
            if lines.index(item["line"]) + copy * len(lines) < LINES
        ]
        snapshot["risks"] = [
            {**risk, "code": f"R{number + 1}"}
            for number, risk in enumerate(
                snapshot["risks"][index % len(snapshot["risks"])] for index in range(RISKS)
            )
        ]
        run.input_snapshot = snapshot
        run.input_sha256 = snapshot_digest(snapshot)
        run_id = run.id or 0
    execute_run(engine, run_id)
    with Session(engine) as session:
        stored = session.get(SimulationRun, run_id)
        assert stored is not None
        assert stored.result is not None, stored.error
        assert len({item["line"] for item in stored.input_snapshot["items"]}) == LINES
    return engine, run_id


def _best(action: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def _naive_quote(quote: object) -> bytes:
    """The quote's cells written the default openpyxl way: new style objects per cell."""
    workbook = Workbook()
    sheet = workbook.active
    side = Side(style="thin")
    rows = [
        [line.category, line.name, line.unit, float(line.quantity), float(line.unit_price)]
        for line in quote.lines  # type: ignore[attr-defined]
    ]
    rows += [
        [r.line, r.name, r.phase, r.role, r.quantity, r.optimistic, r.most_likely, r.p50, r.p80]
        for r in quote.wbs  # type: ignore[attr-defined]
    ]
    for row_number, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_number, column=column, value=value)
            cell.font = Font(name="宋体", size=10.5)
            cell.border = Border(left=side, right=side, top=side, bottom=side)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            cell.number_format = "#,##0.00"
        sheet.cell(row=row_number, column=10, value=f"=ROUND(D{row_number}*E{row_number},2)")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bw-bench-docs-") as folder:
        database, run_id = _large_run(Path(folder))
        with Session(database) as session:  # type: ignore[arg-type]
            user = session.exec(select(User)).one()

            def proposal() -> bytes:
                return document_service.proposal_document(
                    session, run_id, user=user, language=Language.ZH
                ).content

            def proposal_cold() -> bytes:
                document_service._CHART_CACHE.clear()
                document_service._builtin_template.cache_clear()
                return proposal()

            def quote() -> bytes:
                return document_service.quote_document(
                    session, run_id, user=user, language=Language.ZH
                ).content

            sources = document_service._sources(session, run_id, user=user, language=Language.ZH)
            quote_data = document_service.quote_data(sources, document_service.QuoteOptions())
            naive_quote = _best(lambda: _naive_quote(quote_data), 5)
            figures = [
                ("proposal .docx, baseline: charts redrawn (cold)", _best(proposal_cold, 3), None),
                ("proposal .docx, per-run chart cache (warm)", _best(proposal, 5), 2.0),
                ("quote .xlsx, baseline: per-cell style objects", naive_quote, None),
                ("quote .xlsx, named styles", _best(quote, 5), 0.5),
            ]
    print(f"{LINES}-line estimate, {RISKS} risks, 4 charts (3 from the run + Gantt), best of runs")
    print(f"{'case':<52} {'seconds':>8} {'target':>8}  ok")
    failed = False
    for name, seconds, target in figures:
        ok = target is None or seconds <= target
        failed |= not ok
        shown = f"{target:.1f}" if target is not None else "-"
        print(f"{name:<52} {seconds:>8.3f} {shown:>8}  {'yes' if ok else 'NO'}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
