"""Meaning search through the job queue: the query goes to a worker, which has the sentence encoder loaded, and the
answer comes back; the web's search page and `oogst search --meaning` (with a broker) ask the same way.

    asks = meaning_asks(queue, index)      # the embedded queue's `asks` table, or Celery with a broker
    number = asks.ask("hoe houden we ouders betrokken", series=None)
    hits, error = asks.answer(number)      # (None, None) while no worker has answered

Embedded queue (`SQLiteQueue`): the request waits in the index file's `asks` table and the worker's thread answers
it (`search.meaning.serve_asks`). Broker (`CeleryQueue`): the request is a Celery task, `oogst.meaning`, in its
own queue `oogst.search`, which every `oogst worker` consumes on a thread of its own beside the job it runs
(`serve_search`): a query never waits behind a transcription. The message expires after `answer_within` seconds
(`[search] answer_within`, default 30), and the answer is kept in Redis (`oogst:ask:<n>`, an hour); when no worker
answered in that time, `answer` gives `NO_WORKER`'s one line. Each worker answers from its own index (in its own
state folder), built from the shared outputs folder like any other.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.core.errors import OogstError
from pipeline.core.settings import positive_seconds
from pipeline.search.index import Hit, SearchIndex, checked_series, dumps, loads
from pipeline.search.meaning import ASK_EMBED, KEEP_ASKS, answer, ask, meaning

if TYPE_CHECKING:
    from pipeline.jobs.celery_queue import CeleryQueue
    from pipeline.jobs.queue import JobQueue

log = logging.getLogger(__name__)

SEARCH_TASK = "oogst.meaning"
SEARCH_QUEUE = "oogst.search"  # consumed by every worker's search thread, never behind a job
ANSWER_WITHIN = 30.0  # seconds a meaning search waits for a worker, unless [search] answer_within says otherwise
LIMIT = 10  # results a meaning search gives (the page's; `oogst search --limit` asks for its own)
NO_WORKER = "no_worker"  # `answer`'s error when no worker answered in time (a page shows its own words for it)


def no_worker_line(within: float) -> str:
    """The command line's sentence for `NO_WORKER`."""
    return (f"no worker answered the meaning search within {within:.0f} s: start `oogst worker` with the same broker "
            "(it has the sentence encoder), or search by word (without --meaning)")


class MeaningAsks(Protocol):
    within: float

    def ask(self, query: str, series: str | None = None) -> int: ...

    def answer(self, number: int) -> tuple[list[Hit] | None, str | None]: ...


class LocalAsks:
    """The embedded queue's way: the index file's `asks` table, answered by the worker's thread."""

    def __init__(self, index: SearchIndex, within: float = ANSWER_WITHIN) -> None:
        self.index = index
        self.within = within

    def ask(self, query: str, series: str | None = None) -> int:
        return ask(self.index, query, series)

    def answer(self, number: int) -> tuple[list[Hit] | None, str | None]:
        return answer(self.index, number)


def _key(number: int) -> str:
    return f"oogst:ask:{number}"


class CeleryAsks:
    """A meaning search as a Celery task for the workers; its answer in Redis beside the jobs' state."""

    def __init__(self, queue: CeleryQueue, index: SearchIndex, within: float = ANSWER_WITHIN,
                 limit: int = LIMIT) -> None:
        self.queue = queue
        self.index = index
        self.within = within
        self.limit = limit

    def ask(self, query: str, series: str | None = None) -> int:
        series = checked_series(self.index.out_dir, series)
        query = " ".join(query.split())[:500]
        db = self.queue.db
        with self.queue._talk():
            number = int(db.incr("oogst:asks"))
            db.hset(_key(number), mapping={"query": query, "series": series or "", "submitted": time.time()})
            db.expire(_key(number), int(KEEP_ASKS))
        try:  # high priority on Redis is a queue of its own, which a thread of every worker consumes
            self.queue.app.send_task(SEARCH_TASK, args=[number, query, series or None, self.limit],
                                     queue=SEARCH_QUEUE,
                                     expires=self.within, retry=False)
        except Exception as exc:  # kombu's OperationalError and friends
            from pipeline.jobs.celery_queue import BrokerError, shown_url

            raise BrokerError(f"{shown_url(self.queue.url)}: cannot hand the meaning search to the broker ({exc}); "
                              "start it (redis-server) or fix OOGST_BROKER_URL / broker in [queue]") from None
        return number

    def answer(self, number: int) -> tuple[list[Hit] | None, str | None]:
        with self.queue._talk():
            fields = self.queue.db.hgetall(_key(number))
        if not fields:
            return None, None
        if fields.get("answered"):
            return (loads(fields["hits"]) if fields.get("hits") else []), fields.get("error") or None
        if time.time() - float(fields.get("submitted") or 0) > self.within:
            return [], NO_WORKER
        return None, None


def answer_within(settings_section: Mapping[str, Any]) -> float:
    """`[search] answer_within`: seconds a meaning search waits for a worker (default 30)."""
    return positive_seconds(settings_section, "search", "answer_within", ANSWER_WITHIN)


def meaning_asks(queue: JobQueue, index: SearchIndex, within: float = ANSWER_WITHIN,
                 limit: int = LIMIT) -> MeaningAsks:
    """How this queue's workers are asked: Celery with a broker (at most `limit` results), else the index file's
    table (the page's ten)."""
    from pipeline.jobs.queue import SQLiteQueue

    if isinstance(queue, SQLiteQueue):
        return LocalAsks(index, within)
    from pipeline.jobs.celery_queue import CeleryQueue

    assert isinstance(queue, CeleryQueue)
    return CeleryAsks(queue, index, within, limit)


def wait_for_answer(asks: MeaningAsks, query: str, series: str | None = None, *, poll: float = 0.2) -> list[Hit]:
    """Ask and wait for the answer (`oogst search --meaning` with a broker); OogstError when none came in time."""
    number = asks.ask(query, series)
    deadline = time.monotonic() + asks.within + 2 * poll
    while True:
        hits, error = asks.answer(number)
        if hits is not None:
            if error == NO_WORKER:
                raise OogstError(no_worker_line(asks.within))
            if error:
                raise OogstError(f"the meaning search failed on the worker: {error}")
            return hits
        if time.monotonic() > deadline:
            raise OogstError(no_worker_line(asks.within))
        time.sleep(poll)


# -- the worker's side ------------------------------------------------------------------------------------------
def answer_ask(queue: CeleryQueue, index: SearchIndex, encoder: Callable[[], Any] | None, number: int, query: str,
               series: str | None, limit: int = LIMIT) -> int:
    """The body of the `oogst.meaning` task: rank (with the process's shared encoder unless `encoder` gives one),
    and keep the answer in Redis for the asker; returns the number of hits."""
    error = None
    try:
        hits = meaning(index, query, encoder() if encoder is not None else None, series=series,
                       limit=max(1, min(int(limit), 100)), embed_limit=ASK_EMBED)
    except OogstError as exc:
        hits, error = [], str(exc)
    with queue._talk():
        queue.db.hset(_key(number), mapping={"answered": time.time(), "hits": dumps(hits), "error": error or ""})
        queue.db.expire(_key(number), int(KEEP_ASKS))
    return len(hits)


def serve_search(queue: CeleryQueue, index: SearchIndex, encoder: Callable[[], Any] | None = None) -> Any:
    """A second Celery consumer in this process, on a daemon thread, that answers `oogst.meaning` from the
    `oogst.search` queue with the encoder this process has loaded, while the main one runs a job; returns its
    `WorkController` (`stop()` ends it)."""
    from pipeline.jobs.celery_queue import celery_app

    app = celery_app(queue.url, visibility_timeout=queue.visibility_timeout)
    app.conf.update(task_acks_late=False, task_reject_on_worker_lost=False)  # a query is not worth redoing

    @app.task(name=SEARCH_TASK, ignore_result=True)
    def oogst_meaning(number: int, query: str, series: str | None = None, limit: int = LIMIT) -> int:
        return answer_ask(queue, index, encoder, number, query, series, limit)

    class SearchConsumer(app.WorkController):  # type: ignore[name-defined,misc]
        def should_use_eventloop(self) -> bool:
            return False  # the blocking loop: the process's one event loop (kombu's hub) is the job consumer's

    controller = SearchConsumer(app=app, pool="solo", concurrency=1, queues=[SEARCH_QUEUE],
                                    hostname=f"oogst-search.{os.getpid()}@{socket.gethostname()}",
                                    without_heartbeat=True, without_mingle=True, without_gossip=True,
                                    loglevel=logging.WARNING)

    def run() -> None:
        try:
            controller.start()
        except Exception:  # the jobs run on without it; a search then says no worker answered
            log.exception("search: the meaning search consumer stopped")

    threading.Thread(target=run, name="oogst-search", daemon=True).start()
    return controller
