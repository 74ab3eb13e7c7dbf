"""`oogst search QUERY [--series S] [--meaning]`: the transcript lines, insights and action points of every session
that hold the words (or, with --meaning, come closest in meaning), best first, one line each."""

from __future__ import annotations

import argparse
from typing import Any

from pipeline.core.errors import InputError


def hms(seconds: float | None) -> str:
    if seconds is None:
        return "        "
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def by_meaning(oogst: Any, query: str, args: argparse.Namespace) -> list[Any]:
    """With a broker, a worker (it has the sentence encoder loaded) answers, as for the web app; without one, this
    process loads the encoder and ranks."""
    from pipeline.cli import err
    from pipeline.jobs.engines import broker_url

    index = oogst.search_index()
    if broker_url(oogst.settings):
        from pipeline.jobs.engines import open_queue
        from pipeline.jobs.search import answer_within, meaning_asks, wait_for_answer

        asks = meaning_asks(open_queue(oogst.settings), index, answer_within(oogst.settings.section("search")),
                            limit=args.limit)
        err(f"  asking a worker (at most {asks.within:.0f} s)…")
        return wait_for_answer(asks, query, args.series)[:args.limit]
    err("  loading the sentence encoder (the web app asks its worker, which has it loaded)…")
    from pipeline.search.meaning import meaning

    return list(meaning(index, query, series=args.series, limit=args.limit))


def cmd_search(args: argparse.Namespace) -> int:
    from pipeline.cli import service

    query = " ".join(args.query).strip()
    if not query:
        raise InputError("oogst search: give the words to look for, e.g. oogst search ouderavond")
    oogst = service(args)
    if args.meaning:
        hits = by_meaning(oogst, query, args)
    else:
        hits = oogst.search_index().words(query, series=args.series, limit=args.limit)
    if not hits:
        print(f"nothing found for {query!r}" + (f" in series {args.series}" if args.series else ""))
        return 0
    for hit in hits:
        text = "".join(f"«{piece}»" if marked else piece for piece, marked in hit.parts())
        who = f"{hit.speaker}: " if hit.speaker and hit.kind != "insight" else ""
        print(f"{hit.session}  {hms(hit.start)}  {hit.kind:<7}  {who}{' '.join(text.split())}")
    return 0


def add_search(sub: Any) -> None:
    from pipeline.cli import add_common

    search = sub.add_parser("search", help="search every session's transcript, top 7 and actions",
                            description="Find where something was said: the corrected transcripts (names and "
                                        "corrections applied), the top 7 and the action points of all sessions in "
                                        "the outputs folder, by word (prefixes: ouderavond finds ouderavonden; "
                                        "\"quoted words\" as a phrase) or by meaning (--meaning). The index lives "
                                        "in the state folder and follows every change; a pseudonymised session is "
                                        "found by its labels (unless [search] originals = true).")
    search.add_argument("query", nargs="+", metavar="QUERY", help="the words to look for")
    search.add_argument("--series", metavar="NAME", help="only the sessions of this series")
    search.add_argument("--meaning", action="store_true",
                        help="rank by meaning with the sentence encoder (a paraphrase finds it); with a job broker "
                             "a worker answers, within [search] answer_within seconds (default 30)")
    search.add_argument("--limit", type=int, default=20, metavar="N", help="at most N results (default 20)")
    add_common(search)
    search.set_defaults(func=cmd_search)
