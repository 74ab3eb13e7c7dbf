"""The generative backend against a real chat-completions server on loopback (tests/llm_fake.py) that answers from
a script: grounded answers kept, made-up quotes and sentence numbers dropped, broken JSON repaired once, failures
falling back on the extractive top 7 with one line, long meetings condensed chunk by chunk, names masked for a
remote server."""

from __future__ import annotations

import datetime
import json
import logging
import random
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from llm_fake import FakeChatServer, Reply, grounded_final, grounded_points, sentences, task

from pipeline.core.types import Insights, Turn, Turns
from pipeline.insights.extract import ExtractiveBackend, InsightContext
from pipeline.llm.backend import LLMBackend
from pipeline.llm.transport import HttpChat, check_url, is_private_host

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "insights" / "intervisie_nl.json"
DATE = datetime.date(2026, 11, 23)  # a Monday


@pytest.fixture(scope="module")
def turns() -> Turns:
    return Turns.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


def backend(server: FakeChatServer, **options: Any) -> LLMBackend:
    from llm_fake import HashEncoder

    model = HttpChat(server.url, "fake-model", timeout=options.pop("timeout", 10.0),
                     context=options.pop("context", 16384))
    return LLMBackend(model, fallback=ExtractiveBackend(encoder=HashEncoder()), **options)


def run(server: FakeChatServer, turns: Turns, **options: Any) -> Insights:
    return backend(server, **options).extract(turns, language="nl", top=7, progress=None,
                                              context=InsightContext(date=DATE))


def said_sentences(turns: Turns) -> set[tuple[str, str]]:
    """(display name, text) of every turn, to check quotes against."""
    return {(turns.name(t.speaker), t.text) for t in turns.turns}


def assert_verbatim(insights: Insights, turns: Turns) -> None:
    said = said_sentences(turns)
    for insight in insights.insights:
        for quote in insight.quotes:
            assert any(name == quote.speaker and quote.text in text for name, text in said), quote


def test_a_grounded_answer_is_kept_with_its_sources(turns: Turns) -> None:
    with FakeChatServer(lambda request: Reply(json.dumps(grounded_final(request)))) as server:
        result = run(server, turns)
    assert server.tasks() == ["final"]  # 1,468 words fit one request
    request = server.requests[0]
    assert request["response_format"] == {"type": "json_object"} and request["temperature"] == 0
    assert "[1] Marieke: " in request["messages"][1]["content"]
    assert [i.extra["source"] for i in result.insights] == ["llm"] * 7
    assert_verbatim(result, turns)
    assert result.extra["grounding"] == {"kept": 7 + 3 + 1, "dropped": 0, "reasons": {}}
    assert result.extra["backend"] == "llm" and result.extra["model"] == "fake-model"
    assert result.extra["template"] == "intervisie" and result.extra["sources"] == {"summary": "llm",
                                                                                       "actions": "llm"}
    assert result.extra["timings"]["requests"] == 1 and result.extra["timings"]["extractive_s"] == 0
    action = result.actions[0]
    assert action.owner in turns.speakers.values() and action.due == "vrijdag"
    assert action.due_date == "2026-11-27"
    assert result.extra["generated_by"]["note"] == (
        f"Tekst van het taalmodel fake-model ({server.url}): de samenvatting, de top 7 en de actiepunten. Elk punt "
        "is nagelopen op wat er gezegd is.")
    assert "llm_error" not in result.extra


def test_a_made_up_quote_is_dropped_and_the_extractive_ranking_fills_up(turns: Turns) -> None:
    def script(request: dict[str, Any]) -> Reply:
        answer = grounded_final(request)
        answer["insights"][1]["quotes"][0]["quote"] += " En dat werkte altijd perfect."  # more than was said
        number = answer["insights"][2]["ids"][0]
        answer["insights"][2]["quotes"] = [{"id": number, "quote": "We moeten de ouders vaker bellen."}]
        return Reply(json.dumps(answer))

    with FakeChatServer(script) as server:
        result = run(server, turns)
    assert result.extra["grounding"]["dropped"] == 2
    assert result.extra["grounding"]["reasons"] == {"quote not said": 2}
    sources = [i.extra["source"] for i in result.insights]
    assert sources[:5] == ["llm"] * 5 and set(sources[5:]) == {"extractive"} and len(sources) == 7
    assert [i.rank for i in result.insights] == list(range(1, 8))
    assert not any("perfect" in i.text or "vaker bellen" in i.text for i in result.insights)
    assert "5 van de 7 inzichten" in result.extra["generated_by"]["note"]
    assert "de rest komt uit Oogsts eigen rangschikking" in result.extra["generated_by"]["note"]
    llm_quotes = {q.text for i in result.insights[:5] for q in i.quotes}
    assert not any(q.text in llm_quotes for i in result.insights[5:] for q in i.quotes)
    assert_verbatim(result, turns)


def test_a_sentence_that_does_not_exist_or_an_unknown_owner_is_dropped(turns: Turns) -> None:
    def script(request: dict[str, Any]) -> Reply:
        answer = grounded_final(request)
        answer["insights"][0]["ids"] = [9999]
        answer["summary"][0]["ids"] = [0]
        answer["summary"].append({"text": "Een regel zonder bron.", "ids": []})
        answer["actions"].append({"owner": "Voldemort", "text": "De school bellen", "due": None, "ids": [3]})
        answer["actions"].append({"owner": "iedereen", "text": "Het rooster delen", "due": None, "ids": [3]})
        answer["insights"].append(dict(answer["insights"][1], title="Nog eens"))  # the same insight twice
        return Reply(json.dumps(answer))

    with FakeChatServer(script) as server:
        result = run(server, turns)
    assert result.extra["grounding"]["reasons"] == {"unknown sentence": 2, "uncited": 1,
                                                    "owner not a participant": 1, "repeated": 1}
    assert len(result.summary) == 2 and "Voldemort" not in [a.owner for a in result.actions]
    assert [a.owner for a in result.actions][1:] == ["iedereen"]  # the whole group, as the extractive actions say
    assert [i.extra["source"] for i in result.insights][:6] == ["llm"] * 6
    assert result.extra["grounding"]["kept"] == 6 + 2 + 2


def test_malformed_json_is_repaired_once(turns: Turns) -> None:
    def script(request: dict[str, Any]) -> Reply:
        if task(request) == "repair":
            return Reply("```json\n" + json.dumps(grounded_final(request | {"messages": request["messages"][:2]}))
                         + "\n```")
        return Reply('Hier is het antwoord: {"summary": [{"text": "Casus", "ids": [1]},')

    with FakeChatServer(script) as server:
        result = run(server, turns)
    assert server.tasks() == ["final", "repair"]
    assert "not valid JSON" in server.requests[1]["messages"][-1]["content"]
    assert server.requests[1]["messages"][-2] == {"role": "assistant", "content":
                                                  'Hier is het antwoord: {"summary": [{"text": "Casus", "ids": [1]},'}
    assert [i.extra["source"] for i in result.insights] == ["llm"] * 7


def assert_fell_back(result: Insights, caplog: pytest.LogCaptureFixture, url: str, cause: str) -> None:
    assert cause in result.extra["llm_error"] and url in result.extra["llm_error"]
    assert result.insights and {i.extra["source"] for i in result.insights} == {"extractive"}
    assert "grounding" not in result.extra and "generated_by" not in result.extra
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and url in warnings[0] and cause in warnings[0] and "\n" not in warnings[0]


def test_malformed_json_twice_falls_back_on_the_extractive_top_7(turns: Turns,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    with FakeChatServer(lambda request: Reply("Sorry, ik kan geen JSON maken.")) as server:
        result = run(server, turns)
    assert server.tasks() == ["final", "repair"]
    assert_fell_back(result, caplog, server.url, "no valid JSON after one repair attempt")


def test_a_timeout_falls_back(turns: Turns, caplog: pytest.LogCaptureFixture) -> None:
    with FakeChatServer(lambda request: Reply("{}", delay=2.0)) as server:
        result = run(server, turns, timeout=0.3)
    assert_fell_back(result, caplog, server.url, "timeout")


def test_http_500_falls_back(turns: Turns, caplog: pytest.LogCaptureFixture) -> None:
    with FakeChatServer(lambda request: Reply(status=500)) as server:
        result = run(server, turns)
    assert_fell_back(result, caplog, server.url, "HTTP 500")


def test_a_server_that_is_down_falls_back(turns: Turns, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    from llm_fake import HashEncoder

    url = f"http://127.0.0.1:{port}/v1"
    result = LLMBackend(HttpChat(url, "fake-model", timeout=5.0),
                        fallback=ExtractiveBackend(encoder=HashEncoder())).extract(turns, language="nl", top=7,
                                                                                    progress=None)
    assert_fell_back(result, caplog, url, "cannot reach the server")


def test_a_server_without_json_mode_is_asked_again_without_it(turns: Turns) -> None:
    def script(request: dict[str, Any]) -> Reply:
        if "response_format" in request:
            return Reply(status=400, body='{"error": "response_format is not supported"}')
        return Reply(json.dumps(grounded_final(request)))

    with FakeChatServer(script) as server:
        result = run(server, turns)
    assert ["response_format" in r for r in server.requests] == [True, False]
    assert [i.extra["source"] for i in result.insights] == ["llm"] * 7


# ---------------------------------------------------------------- long meetings

TOPICS = ["de ouder die elke avond belt", "het leerlingvolgsysteem", "de werkdruk in het team", "de nieuwe collega",
          "het gesprek met de directie", "de klas die onrustig is", "het project over lezen", "de stagiaire"]
LESSONS = ["je eerst moet luisteren voordat je advies geeft", "een grens stellen ook zorg voor jezelf is",
           "vaste afspraken rust geven aan iedereen", "je het samen met een collega moet voorbereiden",
           "het helpt om de vraag achter de vraag te zoeken", "je niet alles in een keer hoeft op te lossen"]


def two_hour_meeting(words: int = 18000, seed: int = 3) -> Turns:
    """A synthetic 2-hour conversation: 4 speakers, turns of two to four sentences, every sentence different."""
    rng = random.Random(seed)
    names = {"S1": "Sanne", "S2": "Joris", "S3": "Fatima", "S4": "Pieter"}
    turns, clock, count, k = [], 0.0, 0, 0
    while count < words:
        sentences_ = []
        for _ in range(rng.randint(2, 4)):
            k += 1
            sentences_.append(f"In ronde {k} ging het over {rng.choice(TOPICS)} en wat ik daarvan leer is dat "
                              f"{rng.choice(LESSONS)}.")
        text = " ".join(sentences_)
        length = len(text.split()) / 2.5
        turns.append(Turn(f"S{rng.randint(1, 4)}", clock, clock + length, text))
        clock += length + 0.5
        count += len(text.split())
    return Turns(names, tuple(turns))


def test_a_two_hour_meeting_is_condensed_chunk_by_chunk_never_truncated() -> None:
    meeting = two_hour_meeting()
    assert meeting.turns[-1].end > 2 * 3600 * 0.9

    def script(request: dict[str, Any]) -> Reply:
        if task(request) == "final":
            return Reply(json.dumps(grounded_final(request)))
        return Reply(json.dumps(grounded_points(request)))

    with FakeChatServer(script) as server:
        result = backend(server, context=4096).extract(meeting, language="nl", top=7, progress=None)
    condensed = [r for r in server.requests if task(r) == "condense"]
    seen = [set(sentences(r)) for r in condensed]
    total = sum(t.text.count(".") for t in meeting.turns)
    assert len(condensed) == result.extra["timings"]["chunks"] >= 10
    assert set().union(*seen) == set(range(1, total + 1))  # every sentence went to the model
    assert all(a & b for a, b in zip(seen, seen[1:], strict=False))  # chunks overlap
    assert all(len(json.dumps(r["messages"])) // 3 < 4096 for r in server.requests)  # each request fits
    assert "merge" in server.tasks()  # 48 candidate points do not fit one request: merged in groups first
    assert server.tasks()[-1] == "final" and "Candidate points:" in server.requests[-1]["messages"][1]["content"]
    assert [i.extra["source"] for i in result.insights] == ["llm"] * 7
    assert result.extra["grounding"]["dropped"] == 0
    said = {s for t in meeting.turns for s in t.text.split(". ")}
    assert all(any(q.text.rstrip(".") in s or s in q.text for s in said) for i in result.insights for q in i.quotes)


# ---------------------------------------------------------------- privacy

@pytest.mark.parametrize(("host", "private"), [("127.0.0.1", True), ("localhost", True), ("10.1.2.3", True),
                                               ("192.168.1.20", True), ("172.20.0.5", True), ("::1", True),
                                               ("8.8.8.8", False), ("93.184.215.14", False)])
def test_which_servers_count_as_private(host: str, private: bool) -> None:
    assert is_private_host(host) is private


def test_a_remote_server_is_refused_without_allow_remote() -> None:
    from pipeline.core.errors import ConfigError

    with pytest.raises(ConfigError, match="refused.*--allow-remote"):
        check_url("http://93.184.215.14:8080/v1", allow_remote=False)
    assert check_url("http://93.184.215.14:8080/v1", allow_remote=True) is True
    assert check_url("http://127.0.0.1:11434/v1", allow_remote=False) is False


def test_with_allow_remote_names_are_labels_on_the_wire_and_names_again_in_the_result(turns: Turns) -> None:
    names = list(dict.fromkeys(turns.name(t.speaker) for t in turns.turns))  # labels go in order of speaking

    def script(request: dict[str, Any]) -> Reply:
        answer = grounded_final(request)
        answer["insights"][0]["text"] = "[Deelnemer 2] leerde van [Deelnemer 3] dat een grens helpt."
        answer["actions"][0]["owner"] = "[Deelnemer 3]"
        return Reply(json.dumps(answer))

    with FakeChatServer(script) as server:
        result = run(server, turns, remote=True)
    wire = json.dumps(server.requests)
    assert not [n for n in names if n in wire]
    assert "[Deelnemer 1]" in wire
    assert result.insights[0].text == f"{names[1]} leerde van {names[2]} dat een grens helpt."
    assert result.actions[0].owner == names[2]
    assert all(q.speaker in names for i in result.insights for q in i.quotes)
    assert_verbatim(result, turns)
    assert "labels" in result.extra["generated_by"]["note"] and result.extra["generated_by"]["remote"] is True


# ---------------------------------------------------------------- chunks and templates

def test_chunks_keep_every_sentence_and_cut_a_long_turn_between_sentences() -> None:
    from pipeline.llm.prompts import Line, chunk_lines

    lines = [Line(k, turn, "Sanne", f"Zin {k} van beurt {turn} met wat woorden erbij.")
             for k, turn in enumerate([0] * 3 + [1] * 40 + [2] * 5 + [3] * 2, 1)]
    count = len  # one token a character
    chunks = chunk_lines(lines, 400, count)
    assert {line.id for chunk in chunks for line in chunk} == {line.id for line in lines}
    assert all(sum(count(line.render()) + 1 for line in chunk) <= 400 for chunk in chunks)
    assert all(a[-1].id >= b[0].id for a, b in zip(chunks, chunks[1:], strict=False))  # overlap, in order
    assert len(chunks) > 4  # turn 1 alone is longer than one chunk


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_kind_of_session_has_a_template_in_both_languages(language: str, tmp_path: Path) -> None:
    from pipeline.core.errors import ConfigError
    from pipeline.llm.prompts import TEMPLATES, load_template

    texts = {name: load_template(name, language).text for name in TEMPLATES}
    assert len(set(texts.values())) == 4 and all(len(t) > 300 for t in texts.values())
    own = tmp_path / "mijn-sjabloon.md"
    own.write_text("Zoek naar de lessen over samenwerken.", encoding="utf-8")
    assert load_template(str(own), language).text.startswith("Zoek") and load_template(str(own), language).name \
        == str(own)
    with pytest.raises(ConfigError, match="neither a file nor a built-in template"):
        load_template(str(tmp_path / "weg.md"), language)


def test_an_english_session_gets_the_english_template_and_words() -> None:
    cop = Turns.from_dict(json.loads((FIXTURE.parent / "cop_en.json").read_text(encoding="utf-8")))

    def script(request: dict[str, Any]) -> Reply:
        answer = grounded_final(request)
        answer["actions"][0]["owner"] = "everyone"
        return Reply(json.dumps(answer))

    with FakeChatServer(script) as server:
        result = backend(server, template="community-of-practice").extract(cop, language="en", top=7,
                                                                           progress=None)
    system = server.requests[0]["messages"][0]["content"]
    assert system.startswith("You help the facilitator of a community of practice")
    assert "Write every text in English" in system and '"everyone" for the whole group' in system
    assert result.actions[0].owner == "everyone" and result.extra["template"] == "community-of-practice"
    assert result.extra["generated_by"]["note"].startswith("Text by the language model fake-model")
    assert_verbatim(result, cop)


def test_names_the_session_hides_are_masked_even_where_the_rules_miss_them(tmp_path: Path) -> None:
    from pipeline.core.settings import Settings
    from pipeline.llm.backend import backend_from_settings
    from pipeline.llm.masking import Masker
    from pipeline.privacy.mapping import Pseudonyms

    pseudonyms = Pseudonyms(tmp_path / "pseudonyms.json")
    pseudonyms.hide([["Tim", "Timmie"]])
    pseudonyms.hide([["De Regenboog"]], kind="school")
    pseudonyms.save("nl")
    settings = Settings(insights="llm", llm_url="http://93.184.215.14:8080/v1", llm_model="m", allow_remote=True)
    from pipeline.core.session import Session

    chosen = backend_from_settings(settings, Session(tmp_path))
    assert chosen.remote and chosen.hidden == (("person", ("Tim", "Timmie")), ("school", ("De Regenboog",)))
    assert backend_from_settings(replace(settings, llm_url="http://127.0.0.1:8080"), Session(tmp_path)).hidden == ()

    said = "Tim zat bij De Regenboog. Timmie belde Sanne gisteren op 06-12345678."
    masker = Masker(["Sanne de Vries"], "nl", [said], hidden=chosen.hidden)
    sent = masker.text(said)
    assert sent == "[Persoon 1] zat bij [School 1]. [Persoon 1] belde [Deelnemer 1] gisteren op [Telefoon]."
    assert masker.restore("[Deelnemer 1] sprak met [Persoon 1] over [School 1].") == \
        "Sanne de Vries sprak met Tim over De Regenboog."


def test_a_short_conversation_says_why_its_top_is_shorter(turns: Turns) -> None:
    short = Turns(turns.speakers, turns.turns[20:32])
    with FakeChatServer(lambda request: Reply(json.dumps(grounded_final(request, n_insights=2)))) as server:
        result = run(server, short)
    n = len(result.insights)
    assert 2 <= n < 7 and [i.extra["source"] for i in result.insights][:2] == ["llm", "llm"]
    from pipeline.insights.nlp import lexicon

    assert result.extra["fewer_reason"] == lexicon("nl")["messages"]["fewer"].format(n=n)
