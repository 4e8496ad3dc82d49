"""Run processes yield the cores to page requests, every thread of them."""

import os
from pathlib import Path

from app import worker


def _thread_niceness(pid: int) -> dict[int, int]:
    tasks = Path(f"/proc/{pid}/task")
    return {
        int(thread.name): int((thread / "stat").read_text().rsplit(")", 1)[1].split()[16])
        for thread in tasks.iterdir()
    }


def test_every_thread_of_the_interactive_run_process_is_niced() -> None:
    pid = worker._pool("interactive").submit(os.getpid).result(timeout=120)
    expected = os.getpriority(os.PRIO_PROCESS, 0) + worker.RUN_NICENESS["interactive"]
    threads = _thread_niceness(pid)
    assert len(threads) > 1, "numpy's BLAS threads are expected beside the main thread"
    assert set(threads.values()) == {expected}, threads
