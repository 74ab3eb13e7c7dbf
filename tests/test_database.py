"""The state folder's SQLite files opened by several processes at the same moment (two workers starting together)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from pipeline.jobs.queue import SQLiteQueue
from pipeline.review.answers import AnswerStore
from pipeline.search.index import SearchIndex

PROCESSES = 6


def _open_all(state: str, start: object) -> str:
    start.wait()  # type: ignore[attr-defined]
    try:
        SearchIndex(Path(state) / "search.sqlite3", Path(state))
        SQLiteQueue(Path(state) / "jobs.sqlite3")
        AnswerStore(Path(state) / "answers.sqlite3")
    except Exception as error:  # the test reports what failed
        return repr(error)
    return ""


@pytest.mark.parametrize("attempt", range(12))
def test_new_state_files_opened_by_many_processes_at_once_all_open(tmp_path: Path, attempt: int) -> None:
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        start = manager.Barrier(PROCESSES)
        with context.Pool(PROCESSES) as pool:
            errors = pool.starmap(_open_all, [(str(tmp_path), start)] * PROCESSES)
    assert [error for error in errors if error] == []
    for name in ("search.sqlite3", "jobs.sqlite3", "answers.sqlite3"):
        assert (tmp_path / name).read_bytes()[:16] == b"SQLite format 3\x00"
