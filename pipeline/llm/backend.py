"""`LLMBackend`: the generative `InsightBackend` (`--insights llm`), grounded in what was said.

1. The conversation becomes numbered sentences (names replaced by labels when the server is remote).
2. If it fits the model's context in one request, the model writes summary, insights and actions from it directly.
   Otherwise it is cut into chunks of whole turns with one turn of overlap; each chunk is condensed to candidate
   points citing their sentences; the points are merged (repeatedly, when they do not fit one request) and the
   model writes summary, insights and actions from them. Nothing is truncated.
3. Every answer is checked (`grounding`): what cites no sentence, a sentence that does not exist, a quote nobody
   said, or an owner who is not a participant is dropped and counted.
4. When fewer insights survive than the extractive ranking finds themes, the extractive ranking fills up (each item
   marked with its `source`); without grounded actions or summary lines, the extractive ones are used.
5. Failure (server down, timeout, HTTP error, invalid JSON after one repair): one warning line naming the server
   and the cause, and the extractive result.

`backend_from_settings` builds it from the settings: a server (`--llm-url` + `--llm-model`) or a model folder
(`--llm-model FOLDER` without a URL); wrong or missing settings are one-line `ConfigError`s, raised before anything
is sent. `LlmPlug` puts it at the runner's `insights.backend` point.
"""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, require
from pipeline.core.language import is_supported, text_language, texts
from pipeline.core.session import PSEUDONYMS, Session
from pipeline.core.settings import Settings
from pipeline.core.stages import Extension, RunContext
from pipeline.core.types import TOP_N, Action, Insight, Insights, Quote, Turns
from pipeline.insights.confidence import Recognition
from pipeline.insights.duedates import due_date
from pipeline.insights.extract import ExtractiveBackend, InsightBackend, InsightContext
from pipeline.insights.features import Progress
from pipeline.insights.nlp import Sentence, lexicon, split_sentences
from pipeline.llm.grounding import Grounder, Point, Tally, ask_json
from pipeline.llm.masking import Masker, NoMasking
from pipeline.llm.prompts import (
    TEMPLATES,
    Line,
    Template,
    chunk_lines,
    condense_messages,
    final_messages,
    group_owner,
    load_template,
    merge_messages,
)
from pipeline.llm.transport import (
    DEFAULT_CONTEXT,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TIMEOUT,
    ChatModel,
    HttpChat,
    LLMError,
    LocalChat,
    check_url,
)
from pipeline.privacy.mapping import Pseudonyms, fold

log = logging.getLogger(__name__)


def written_by_note(result: Insights, language: str, model: str, server: str, remote: bool) -> str | None:
    """What the model wrote, in the session's language; None when none of its text is used."""
    words = texts(language, "llm")
    sources = result.sources
    k = sum(1 for i in result.insights if i.source == "llm")
    parts = ([words["summary"]] if sources.get("summary") == "llm" and result.summary else []) + \
        ([words["insights" if k < len(result.insights) else "all"].format(k=k, n=len(result.insights))] if k
         else []) + \
        ([words["actions"]] if sources.get("actions") == "llm" and result.actions else [])
    if not parts:
        return None
    mixed = k < len(result.insights) or "extractive" in sources.values()
    text = words["by"].format(model=model, server=server, parts=", ".join(parts[:-1]) + words["and"] + parts[-1]
                              if len(parts) > 1 else parts[0])
    return text + (words["rest"] if mixed else "") + "." + (words["remote"] if remote else "")


@dataclass
class LLMBackend:
    """Summary, top 7 and actions written by a generative model, each item citing the sentences it rests on."""

    model: ChatModel
    template: str | None = None  # a built-in template name or a file (default: intervisie)
    remote: bool = False  # the server is outside this machine and its private network: names are masked
    fallback: InsightBackend | None = None  # default: the extractive backend
    per_chunk: int = 8  # candidate points asked per chunk of a long meeting
    hidden: tuple[tuple[str, tuple[str, ...]], ...] = ()  # remote: (kind, spellings) from pseudonyms.json

    name = "llm"
    version = "1"  # raise when prompts, templates or grounding change what comes out

    def cache_parts(self) -> tuple[Any, ...]:
        """What the insights stage's cache key adds for this backend: model, server, template (its text)."""
        digests = tuple(load_template(self.template, lang).digest for lang in ("nl", "en")) \
            if self.template in (None, *TEMPLATES) else (load_template(self.template, "nl").digest,)
        return (self.model.name, self.model.server, self.template, digests, self.remote, self.hidden)

    def extract(self, turns: Turns, *, language: str, top: int = TOP_N, progress: Progress | None = None,
                context: InsightContext | None = None) -> Insights:
        """See `pipeline.insights.extract.extract_insights`."""
        context = context or InsightContext()
        report = progress or (lambda _fraction: None)
        fallback = self.fallback or ExtractiveBackend()
        began, asked = time.perf_counter(), self.model.requests
        template = load_template(self.template, language)
        meta: dict[str, Any] = {"backend": self.name, "model": self.model.name, "server": self.model.server,
                                "template": template.name}
        extractive: list[Insights] = []
        spent = {"extractive": 0.0}

        def base() -> Insights:
            if not extractive:
                started = time.perf_counter()
                extractive.append(fallback.extract(turns, language=language, top=top, progress=None,
                                                   context=context))
                spent["extractive"] = time.perf_counter() - started
            return extractive[0]

        def timings(model_seconds: float, chunks: int) -> dict[str, Any]:
            return {"model_s": round(model_seconds, 3), "extractive_s": round(spent["extractive"], 3),
                    "total_s": round(time.perf_counter() - began, 3), "requests": self.model.requests - asked,
                    "chunks": chunks}

        report(0.0)
        if not turns.turns or not is_supported(language):
            result = base()
            report(1.0)
            return result.with_extra(**meta, timings=timings(0.0, 0))
        try:
            run = _Run(self, template, turns, language, top, report)
            answer = run.generate()
        except LLMError as exc:
            log.warning("insights: the language model failed: %s; the extractive top 7 is used instead", exc)
            result = base()
            report(1.0)
            marked = replace(result, insights=tuple(i.mark(source="extractive") for i in result.insights))
            return marked.with_extra(**meta, llm_error=str(exc), timings=timings(time.perf_counter() - began, 0))
        model_seconds = time.perf_counter() - began
        report(0.9)
        result = run.assemble(answer, context, base)
        report(1.0)
        note = written_by_note(result, language, self.model.name, self.model.server, self.remote)
        written = {"generated_by": {"model": self.model.name, "server": self.model.server, "remote": self.remote,
                                    "note": note}} if note else {}
        return result.with_extra(**meta, timings=timings(model_seconds, run.chunks),
                                 grounding={"kept": run.kept, "dropped": sum(run.tally.dropped.values()),
                                            "reasons": dict(run.tally.dropped)}, **written)


@dataclass
class _Answer:
    summary: list[Point]
    insights: list[Point]
    actions: list[Point]


class _Run:
    """One conversation through the model: numbered lines, chunks, requests, grounding, then `Insights`."""

    def __init__(self, backend: LLMBackend, template: Template, turns: Turns, language: str, top: int,
                 report: Progress) -> None:
        self.backend, self.model, self.template = backend, backend.model, template
        self.language, self.top, self.report = language, top, report
        self.sentences: list[Sentence] = split_sentences(turns, text_language(language))
        self.participants = list(dict.fromkeys(turns.name(t.speaker) for t in turns.turns))
        self.masker: Masker | NoMasking = Masker(self.participants, language, [s.text for s in self.sentences],
                                                 hidden=backend.hidden) if backend.remote else NoMasking()
        self.lines = {k: Line(k, s.turn, self.masker.text(s.speaker), self.masker.text(s.text))
                      for k, s in enumerate(self.sentences, 1)}
        self.names = [self.masker.text(n) for n in self.participants]
        self.tally = Tally()
        self.grounder = Grounder(self.lines, self._owner, self.tally)
        self.chunks = 0
        self.kept = 0

    def _owner(self, given: str) -> str | None:
        wanted = fold(self.masker.restore(given))
        group = group_owner(self.language)
        if wanted == fold(group):
            return group
        for name in self.participants:
            if wanted in (fold(name), fold(name.split()[0])):
                return name
        return None

    def _count(self, messages: list[dict[str, str]]) -> int:
        return sum(self.model.count(m["content"]) + 4 for m in messages)

    def generate(self) -> _Answer:
        overhead = self._count(final_messages(self.template, self.language, self.names, self.top, "", True))
        budget = self.model.context - self.model.max_tokens - overhead - 32
        if budget < 200:
            raise LLMError(f"{self.model.server}: a context of {self.model.context} tokens leaves no room for the "
                           "conversation (raise [llm] context, or --llm-context)")
        whole = "\n".join(line.render() for line in self.lines.values())
        if self.model.count(whole) <= budget:
            self.chunks = 1
            answer = ask_json(self.model, final_messages(self.template, self.language, self.names, self.top,
                                                         whole, False))
        else:
            points = self._condense(budget)
            points = self._merge(points, budget)
            answer = ask_json(self.model, final_messages(self.template, self.language, self.names, self.top,
                                                         self._points_body(points), True))
        return _Answer(self.grounder.summary(answer.get("summary")), self.grounder.insights(answer.get("insights")),
                       self.grounder.actions(answer.get("actions")))

    def _condense(self, budget: int) -> list[Point]:
        chunks = chunk_lines(list(self.lines.values()), budget, self.model.count)
        self.chunks = len(chunks)
        points: list[Point] = []
        for part, chunk in enumerate(chunks, 1):
            body = "\n".join(line.render() for line in chunk)
            messages = condense_messages(self.template, self.language, self.names, part, len(chunks), body,
                                         self.backend.per_chunk)
            points += self.grounder.points(ask_json(self.model, messages))
            self.report(0.8 * part / len(chunks))
        return list({(p.kind, p.ids, p.text): p for p in points}.values())

    def _merge(self, points: list[Point], budget: int) -> list[Point]:
        """Merge candidate points in groups that fit, until all of them fit one request."""
        while self.model.count(self._points_body(points)) > budget:
            groups: list[list[Point]] = [[]]
            for point in points:
                if groups[-1] and self.model.count(self._points_body([*groups[-1], point])) > budget:
                    groups.append([])
                groups[-1].append(point)
            merged: list[Point] = []
            for group in groups:
                messages = merge_messages(self.template, self.language, self.names, self._points_body(group),
                                          max(self.backend.per_chunk, len(group) // 2))
                merged += self.grounder.points(ask_json(self.model, messages))
            if len(merged) >= len(points):
                raise LLMError(f"{self.model.server}: the model did not merge the {len(points)} candidate points "
                               "into fewer (a larger context would help)")
            points = merged
        return points

    def _points_body(self, points: list[Point]) -> str:
        rows = []
        for k, point in enumerate(points, 1):
            about = [point.kind] + ([f"owner {point.owner}"] if point.owner else []) + \
                ([f"due {point.due}"] if point.due else [])
            rows.append(f"P{k} ({'; '.join(about)}; sentences {', '.join(map(str, point.ids))}): {point.text}")
        cited = sorted({i for p in points for i in p.ids})
        return "Candidate points:\n" + "\n".join(rows) + "\n\nThe sentences they cite:\n" + \
            "\n".join(self.lines[i].render() for i in cited)

    # -- the artefact ----------------------------------------------------------------------------------------------
    def assemble(self, answer: _Answer, context: InsightContext, base: Any) -> Insights:
        heard = Recognition(context.words, model=context.model)
        restore = self.masker.restore
        distinct: list[Point] = []
        for point in answer.insights:  # the same quotes twice is one insight said twice, not two
            if any(set(point.quotes) == set(other.quotes) for other in distinct):
                self.tally.drop("repeated")
            else:
                distinct.append(point)
        insights = [self._insight(rank, p, heard) for rank, p in enumerate(distinct[:self.top], 1)]
        actions = [Action(p.owner, restore(p.text), restore(p.due) if p.due else None,
                          round(self.sentences[p.ids[0] - 1].start, 3), _iso(due_date(restore(p.due) if p.due
                                                                                       else None, context.date,
                                                                                       self.language)))
                   for p in answer.actions]
        summary = [restore(p.text) for p in answer.summary]
        self.kept = len(insights) + len(actions) + len(summary)
        sources = {"summary": "llm", "actions": "llm"}
        extra: dict[str, Any] = {}
        sections = None  # the model's summary has no paragraphs yet; the extractive one keeps its own
        if len(insights) < self.top or not summary or not actions:
            extractive: Insights = base()
            cited = {(round(self.sentences[i - 1].start, 3), self.sentences[i - 1].text)
                     for p in answer.insights for i in p.ids}
            wanted = min(self.top, max(len(insights), len(extractive.insights)))
            for item in extractive.insights:
                if len(insights) >= wanted:
                    break
                if not any((round(q.start, 3), q.text) in cited for q in item.quotes):
                    insights.append(replace(item.mark(source="extractive"), rank=len(insights) + 1))
            if not summary:
                summary, sources["summary"] = list(extractive.summary), "extractive"
                sections = extractive.sections
            if not actions:
                actions, sources["actions"] = list(extractive.actions), "extractive"
            if len(insights) < self.top and extractive.has("fewer_reason"):  # the same words, this count
                messages = lexicon(self.language)["messages"]
                extra["fewer_reason"] = messages["fewer"].format(n=len(insights)) if insights else messages["none"]
        return Insights(self.language, tuple(summary), tuple(insights), tuple(actions),
                        {**extra, "sources": sources}, sections=sections)

    def _insight(self, rank: int, point: Point, heard: Recognition) -> Insight:
        order = list(point.quotes) + [i for i in point.ids if i not in point.quotes]
        chosen: list[int] = []
        for pass_ in (0, 1):  # different speakers first, then any
            for i in order:
                speaker = self.sentences[i - 1].speaker
                if i not in chosen and len(chosen) < 3 and (pass_ or speaker not in
                                                             {self.sentences[j - 1].speaker for j in chosen}):
                    chosen.append(i)
        said = sorted((self.sentences[i - 1] for i in chosen), key=lambda s: s.start)
        speakers = list(dict.fromkeys(self.sentences[i - 1].speaker
                                      for i in sorted(point.ids, key=lambda i: self.sentences[i - 1].start)))
        text = self.masker.restore(point.text)
        title = self.masker.restore(point.title) or " ".join(text.split()[:5])
        return Insight(rank=rank, title=title, text=text, speakers=tuple(speakers),
                       score=round(1.0 - (rank - 1) / (2 * max(self.top, 1)), 4),
                       quotes=tuple(Quote(s.speaker, round(s.start, 3), round(s.end, 3), s.text,
                                          heard.confidence(s.text, s.start, s.end)) for s in said),
                       extra={"source": "llm"})


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


HOW = ("say which model: --llm-url URL --llm-model NAME for a server (Ollama, llama.cpp's server), or "
       "--llm-model FOLDER for a local model folder ([llm] url, model in the config file; OOGST_LLM_URL, "
       "OOGST_LLM_MODEL)")


def hidden_names(session: Session | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(kind, spellings) of every name the session's pseudonyms.json hides (none without the file)."""
    if session is None:
        return ()
    pseudonyms = Pseudonyms.load(session.path(PSEUDONYMS))
    return tuple((e.kind, tuple(n for n in e.names if not pseudonyms.is_unhidden(n)))
                 for e in pseudonyms.entities)


def backend_from_settings(settings: Settings, session: Session | None = None) -> LLMBackend:
    """The `LLMBackend` for `--insights llm`, its server address checked against the privacy rule.

    Args:
        session: for a remote server, the names its pseudonyms.json hides are masked too.
    """
    require("llm", "--insights llm")
    load_template(settings.llm_template, settings.language)  # a missing template file fails here, not later
    model: ChatModel
    remote = False
    if settings.llm_url:
        if not settings.llm_model:
            raise ConfigError(f"--llm-url {settings.llm_url}: also give --llm-model NAME (the name the server "
                              "knows the model by, e.g. llama3.1:8b)")
        remote = check_url(settings.llm_url, settings.allow_remote)
        context = settings.llm_context or DEFAULT_CONTEXT
        # The final answer (summary, 7 insights with quotes, actions) needs room: a third of the context, 1-2k tokens.
        model = HttpChat(settings.llm_url, settings.llm_model, api_key=settings.llm_api_key,
                         timeout=settings.llm_timeout or DEFAULT_TIMEOUT, context=context,
                         max_tokens=min(2048, max(DEFAULT_MAX_TOKENS, context // 3)))
    elif settings.llm_model:
        folder = Path(settings.llm_model).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"--llm-model {settings.llm_model}: no such model folder (without --llm-url the "
                              "model is a local folder with config.json, weights and a tokenizer); or " + HOW)
        model = LocalChat(folder, context_limit=settings.llm_context, threads=settings.threads)
    else:
        raise ConfigError(f"--insights llm: {HOW}")
    return LLMBackend(model, template=settings.llm_template, remote=remote,
                      hidden=hidden_names(session) if remote else ())


class LlmPlug(Extension):
    """`--insights llm` at the runner's `insights.backend` point: the generative backend the settings name."""

    def insights_backend(self, ctx: RunContext) -> Any:
        return backend_from_settings(ctx.settings, ctx.session)
