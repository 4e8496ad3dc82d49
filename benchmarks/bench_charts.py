"""Benchmark of the results page's chart images (``GET /runs/{id}/charts/{name}.svg``).

Run ``.venv/bin/python benchmarks/bench_charts.py``. A 300-line estimate with 20 risks is
simulated once (the proposal benchmark's run) into a throw-away SQLite database; then each
of the five charts is drawn in Chinese, median of several runs (the machine is shared).

Target: each chart ≤ 5 ms of CPU when it is not cached yet (the first view of a run), the
result already decoded by the results page. Baseline measured in the same run: the same
chart description drawn by matplotlib and saved as SVG (what the page served before: layout
and text as glyph paths, 200-300 ms per chart).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bench_documents import _large_run  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app import charts  # noqa: E402
from app.models import SimulationRun  # noqa: E402
from app.services import run_charts  # noqa: E402
from app.services.run_view import load_result  # noqa: E402
from app.vocabulary import Language  # noqa: E402

TARGET_MS = 5.0


def _median_ms(action: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.process_time()
        action()
        timings.append(time.process_time() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bw-bench-charts-") as folder:
        database, run_id = _large_run(Path(folder))
        with Session(database) as session:  # type: ignore[arg-type]
            run = session.get(SimulationRun, run_id)
            assert run is not None
            load_result(run)  # the results page decoded it before the images are asked for
            for name in run_charts.CHART_NAMES:

                def written(name: str = name) -> bytes:
                    run_charts._SVG_CACHE.clear()
                    return run_charts.chart_svg(run, name, Language.ZH)

                def matplotlib_svg(name: str = name) -> bytes:
                    chart = run_charts.chart_data(run, name, Language.ZH)
                    return charts.to_svg(charts.figure(chart))

                naive = _median_ms(matplotlib_svg, 5)
                new = _median_ms(written, 51)
                sizes = (len(matplotlib_svg()) // 1024, len(written()) // 1024)
                rows.append((name, naive, new, sizes))
    print("one chart in Chinese, uncached, median CPU milliseconds (process time)")
    print(f"{'chart':<18} {'matplotlib':>11} {'writer':>8} {'x faster':>9} {'KB':>9} {'≤ 5 ms':>7}")
    failed = False
    for name, naive, new, (naive_kb, new_kb) in rows:
        ok = new <= TARGET_MS
        failed |= not ok
        print(
            f"{name:<18} {naive:>11.1f} {new:>8.2f} {naive / new:>9.0f} "
            f"{f'{naive_kb}→{new_kb}':>9} {'yes' if ok else 'NO':>7}"
        )
    naive_sum, new_sum = sum(row[1] for row in rows), sum(row[2] for row in rows)
    print(f"{'five charts':<18} {naive_sum:>11.1f} {new_sum:>8.2f} {naive_sum / new_sum:>9.0f}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
