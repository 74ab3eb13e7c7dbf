"""Search by meaning: the index's texts ranked by the cosine of their sentence vectors with the query's, with the
encoder the insights stage loads (multilingual-e5-small), so "how do we keep parents involved" finds a line about
the parents' evening that shares none of its words.

Vectors are kept in the index file by the text's hash (`index.text_hash`): a text is embedded once, whatever session
it is in, and a correction embeds only the corrected line again. The encoder is loaded where it already is, the
worker: the web app puts a request in the `asks` table (`ask`) and reads the answer (`answer`); the worker's thread
(`serve_asks`) answers them, and while the worker has no job it embeds the texts of new and changed sessions ahead,
a batch at a time (embedding a one-hour session takes minutes on a small CPU; a request embeds at most `ASK_EMBED`
texts itself). The command line (`oogst search --meaning`) ranks in its own process (`meaning`), embedding all;
with a job broker both ask a worker through Celery instead (`jobs.search`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.core.errors import OogstError
from pipeline.search.index import Hit, SearchIndex, checked_series, dumps, loads, now

if TYPE_CHECKING:
    from pipeline.insights.nlp import Encoder

log = logging.getLogger(__name__)

BATCH = 64
KEEP_ASKS = 3600.0  # seconds an answered or unanswered request is kept
STALE = 120.0  # seconds after which a request nobody answered is left (the page has stopped waiting)
ASK_EMBED = 256  # texts without a vector a web request embeds at most (the rest: in the worker's idle time)
_cache: dict[tuple[str, int], tuple[np.ndarray, list[dict[str, Any]]]] = {}
_cache_lock = threading.Lock()
_complete: dict[str, int] = {}  # per index file, the generation at which every text had its vector


def _vectors_of(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Vectors without filling the encoder's own per-process cache (the index keeps them)."""
    fresh = getattr(encoder, "embed_new", None)
    return np.asarray(fresh(texts) if fresh is not None else encoder.embed(texts), dtype=np.float32)


def embed_missing(index: SearchIndex, encoder: Encoder, *, batch: int = BATCH, limit: int | None = None) -> int:
    """Embed the indexed texts that have no vector yet (at most `limit`, newest sessions first); returns how many
    were embedded."""
    with index.db() as db:
        todo = {row["hash"]: row["text"] for row in db.execute(
            "SELECT u.hash, u.text FROM units u LEFT JOIN vectors v ON v.hash = u.hash WHERE v.hash IS NULL "
            "ORDER BY u.session DESC" + (" LIMIT ?" if limit is not None else ""),
            (limit,) if limit is not None else ())}
    items = list(todo.items())
    for i in range(0, len(items), batch):
        chunk = items[i:i + batch]
        vectors = _vectors_of(encoder, [text for _, text in chunk])
        with index.write() as db:
            db.executemany("INSERT OR REPLACE INTO vectors (hash, vector) VALUES (?, ?)",
                           [(key, vector.astype(np.float32).tobytes()) for (key, _), vector in
                            zip(chunk, vectors, strict=True)])
            index.bump(db)  # a matrix kept in memory no longer holds every vector
    return len(items)


def matrix(index: SearchIndex) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Every indexed text's vector (one row each) and what it is; kept in memory until the index changes."""
    key = (str(index.path.resolve()), index.generation())
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    with index.db() as db:
        vectors = {row["hash"]: row["vector"] for row in db.execute("SELECT hash, vector FROM vectors")}
        rows = [dict(row) for row in db.execute(
            "SELECT u.session, u.kind, u.ref, u.start, u.speaker, u.text, u.hash, s.title, s.day, s.series "
            "FROM units u JOIN sessions s ON s.name = u.session")]
    rows = [row for row in rows if row["hash"] in vectors]
    if rows:
        dim = len(vectors[rows[0]["hash"]]) // 4
        found = np.empty((len(rows), dim), dtype=np.float32)
        for n, row in enumerate(rows):
            found[n] = np.frombuffer(vectors[row["hash"]], dtype=np.float32)
    else:
        found = np.zeros((0, 0), dtype=np.float32)
    with _cache_lock:
        _cache.clear()  # one index version in memory
        _cache[key] = (found, rows)
    return found, rows


def meaning(index: SearchIndex, query: str, encoder: Encoder | None = None, *, series: str | None = None,
            limit: int = 10, embed_limit: int | None = None) -> list[Hit]:
    """`oogst search --meaning`: the `limit` texts closest in meaning to `query`, best first, with `encoder` (None:
    the shared one, loaded here) and the index brought up to date first; with
    `embed_limit`, at most that many texts without a vector are embedded now, the others are left out until the
    worker's idle time has embedded them)."""
    series = checked_series(index.out_dir, series)
    if not query.strip():
        return []
    if encoder is None:
        from pipeline.insights.nlp import default_encoder

        encoder = default_encoder()
    index.refresh()
    where = str(index.path.resolve())
    if _complete.get(where) != index.generation():  # a warm query does not look for texts to embed
        done = embed_missing(index, encoder, limit=embed_limit)
        if embed_limit is None or done < embed_limit:
            _complete[where] = index.generation()
    vectors, rows = matrix(index)
    if not rows:
        return []
    wanted = _vectors_of(encoder, [" ".join(query.split())[:500]])[0]
    scores = vectors @ wanted
    if series:
        scores = np.where(np.array([row["series"] == series for row in rows]), scores, -np.inf)
    best = np.argsort(-scores)[:limit]
    return [Hit(rows[i]["session"], rows[i]["kind"], str(rows[i]["ref"]), rows[i]["start"], rows[i]["speaker"] or "",
                rows[i]["text"], rows[i]["text"], rows[i]["title"] or rows[i]["session"], rows[i]["day"],
                rows[i]["series"], float(scores[i])) for i in best if np.isfinite(scores[i])]


# -- the web app asks, the worker answers -----------------------------------------------------------------------
def ask(index: SearchIndex, query: str, series: str | None = None) -> int:
    """Leave a meaning search for the worker; returns the request's number (`answer` reads the result)."""
    series = checked_series(index.out_dir, series)
    with index.write() as db:
        db.execute("DELETE FROM asks WHERE submitted < ?", (now() - KEEP_ASKS,))
        cursor = db.execute("INSERT INTO asks (query, series, submitted) VALUES (?, ?, ?)",
                            (" ".join(query.split())[:500], series or None, now()))
    return int(cursor.lastrowid or 0)


def answer(index: SearchIndex, number: int) -> tuple[list[Hit] | None, str | None]:
    """(the hits, None) once the worker answered; (None, None) while it has not; ([], error) when it failed."""
    with index.db() as db:
        row = db.execute("SELECT answered, hits, error FROM asks WHERE id = ?", (number,)).fetchone()
    if row is None or row["answered"] is None:
        return None, None
    return (loads(row["hits"]) if row["hits"] else []), row["error"]


def answer_waiting(index: SearchIndex, encoder: Callable[[], Encoder]) -> int:
    """Answer the requests waiting (the newest first); returns how many were answered."""
    with index.db() as db:
        waiting = db.execute("SELECT id, query, series FROM asks WHERE answered IS NULL AND submitted > ? "
                             "ORDER BY id DESC", (now() - STALE,)).fetchall()
    for row in waiting:
        error = None
        try:
            hits = meaning(index, row["query"], encoder(), series=row["series"], embed_limit=ASK_EMBED)
        except OogstError as exc:
            hits, error = [], str(exc)
        with index.write() as db:
            db.execute("UPDATE asks SET answered = ?, hits = ?, error = ? WHERE id = ?",
                       (now(), dumps(hits), error, row["id"]))
    return len(waiting)


def serve_asks(index: SearchIndex, encoder: Callable[[], Encoder], stop: threading.Event, *,
               poll: float = 0.25, idle: Callable[[], bool] | None = None, fill_every: float = 30.0) -> None:
    """Answer meaning searches until `stop` is set (the worker's thread, beside the job it runs). While `idle` says
    the worker has no job, the texts of new or changed sessions are embedded a batch at a time (checked every
    `fill_every` seconds), so a search seldom waits for them."""
    last_fill = 0.0
    while not stop.wait(poll):
        try:
            if answer_waiting(index, encoder):
                continue
            if idle is not None and idle() and now() - last_fill >= fill_every:
                index.refresh()
                if not embed_missing(index, encoder(), limit=BATCH):
                    last_fill = now()  # all embedded: look again later; otherwise the next batch at once
        except Exception:  # a bug must not stop the worker's jobs; the page says no answer came
            log.exception("search: a meaning search failed")


def start_answering(index: SearchIndex, encoder: Callable[[], Encoder] | None = None,
                    idle: Callable[[], bool] | None = None) -> threading.Event:
    """`serve_asks` in a daemon thread (with the shared encoder unless given; embedding ahead while `idle`); set
    the returned event to stop it."""
    if encoder is None:
        from pipeline.insights.nlp import default_encoder

        encoder = default_encoder
    stop = threading.Event()
    threading.Thread(target=serve_asks, args=(index, encoder, stop), kwargs={"idle": idle}, name="oogst-search",
                     daemon=True).start()
    return stop
