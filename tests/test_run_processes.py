"""Run processes yield the cores to page requests, every thread of them."""

import multiprocessing
import os
from pathlib import Path
from typing import Any

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


def _pid_when_all_arrive(barrier: Any) -> int:
    barrier.wait()
    return os.getpid()


def test_two_interactive_runs_proceed_at_once_in_two_processes() -> None:
    """Each task waits at a barrier for the other: with a single run process the first
    would wait alone until the barrier's timeout breaks it."""
    processes = worker.RUN_PROCESSES["interactive"]
    worker.start_interactive_workers()
    with multiprocessing.get_context("spawn").Manager() as manager:
        barrier = manager.Barrier(processes, timeout=60)
        tasks = [
            worker._pool("interactive").submit(_pid_when_all_arrive, barrier)
            for _ in range(processes)
        ]
        pids = {task.result(timeout=120) for task in tasks}
    assert len(pids) == processes == 2
